/*
 * elffile.h - one ELF file of a process's mappings as the symbolizer holds
 * it (elffile.c reads it), private to elffile.c and symbols.c: symbols.c
 * keeps one elf_file per file in its cache and asks it for names.
 *
 * Here: the entry and its symbols; what they hold and their invariants are
 * elffile.c's (its header comment).  The lookups of an address
 * (elffile_to_vaddr, elffile_find_sym, elffile_named_at) run for every
 * frame of every profile: they are static inline here so that
 * symbols_func and symbols_lines may inline them across the seam
 * (inlined, symbols_func ran 10% fewer instructions than with find_sym and
 * to_vaddr called out of line, as GCC -O2 had them in one file: callgrind,
 * 50 x 12,288 lookups).  The functions that cross files are named for it
 * (STYLE.md rule 2) and hidden (-fvisibility=hidden: libheapprof.so
 * exports none of them).
 */
#ifndef HEAPPROF_ELFFILE_H
#define HEAPPROF_ELFFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "elfread.h"
#include "srclines.h"

/* How far back a lookup walks for a symbol enclosing a smaller one that
 * starts inside it (assembly routines with inner entry points). */
#define BACKSCAN 8
/* "/proc/self/map_files/" and two 64-bit addresses in hex. */
enum { VIA_MAX = 64 };

typedef struct load_seg {
    uint64_t off, filesz, vaddr;
    bool exec;
} load_seg;

typedef struct sym {
    uint64_t addr, size;
    const char *name;
    bool label; /* size 0 in the file, stretched to the next symbol */
} sym;

typedef struct file_id {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime, ctime;
} file_id;

typedef struct elf_file {
    bool have_id;           /* a regular file we may open */
    bool build_id_retry;    /* reading it ran out of memory */
    bool syms_tried;        /* elffile_load_symbols ran (successfully or not) */
    bool syms_retry;        /* ...but ran out of memory */
    bool cxx_dwarf;         /* C++ symbols and DWARF: see symbols_keep_names */
    bool dwarf_nameless;    /* DWARF where pprof finds functions nameless: the same */
    bool from_debug;        /* names or DWARF from a separate debug file (debugfile.h) */
    bool dwarf_funcs;       /* DWARF: it names what no symbol covers (symbols_lines) */
    bool dwarf_asked;       /* ...and a lookup met such an address: see symbols_keep_names */
    char *debug_path;       /* that file, when its DWARF is the one in dw, else NULL */
    file_id debug_id;       /* ... as it was when found: only it is read */
    file_id id;
    uint64_t map_dev, map_ino; /* what maps says of it while on disk (0: unknown) */
    char via[VIA_MAX];      /* deleted: /proc/self/map_files/ of a mapping of it, or "" */
    uint64_t gen;           /* last refresh that mapped this file */
    const char *build_id;   /* malloc'd hex, or elffile_no_build_id */
    load_seg *loads;
    size_t nloads;
    /* .debug_line, .debug_info and the sections they refer to
     * (dwarfinline.h's order), and the cache made on the first
     * symbols_lines */
    srclines_file dw;       /* where they lie; its ctx and read are set per lookup */
    srclines *lines;
    struct elf_file *alt;   /* dwz -m's supplementary file, checked (find_alt), or NULL */
    sym *syms;              /* names point into names */
    size_t nsyms;
    char *names;
    char path[];
} elf_file;

/* The build-id of a file that has none (or none read yet): "", compared by
 * address, as it is never freed. */
extern const char elffile_no_build_id[];

static inline file_id elffile_id_of(const struct stat *st)
{
    return (file_id){ st->st_dev, st->st_ino, st->st_size, st->st_mtim, st->st_ctim };
}

static inline bool elffile_same_id(const file_id *a, const struct stat *st)
{
    file_id b = elffile_id_of(st);
    return a->dev == b.dev && a->ino == b.ino && a->size == b.size &&
           a->mtime.tv_sec == b.mtime.tv_sec && a->mtime.tv_nsec == b.mtime.tv_nsec &&
           a->ctime.tv_sec == b.ctime.tv_sec && a->ctime.tv_nsec == b.ctime.tv_nsec;
}

/* Opens path only if it is still the file of identity id. */
bool elffile_open_same(const char *path, const file_id *id, elf_in *e);

/* Opens f only if it is still the file we stat'ed at refresh time. */
bool elffile_open(const elf_file *f, elf_in *e);

/* f's build-id in hex (malloc'd), or elffile_no_build_id; *oom set when
 * memory ran out. */
const char *elffile_read_build_id(const elf_file *f, bool *oom);

/* f's symbols, segments and DWARF sections, read once (syms_tried), its
 * debug file's looked for under dirs; syms_retry when memory ran out. */
void elffile_load_symbols(elf_file *f, const char *dirs);

/* The .dwo file a lookup has open (srclines_file.open_split). */
typedef struct elffile_split {
    elf_in e;
    bool open;
} elffile_split;

/* srclines_file.open_split and close_split, sctx an elffile_split
 * ({ .open = false } at first): the .dwo at path, its .debug_*.dwo
 * sections into *out; a SRCLINES_SPLIT_* status. */
int elffile_open_split(void *sctx, const char *path, srclines_file *out);
void elffile_close_split(void *sctx);

/* Frees f (NULL: nothing), its symbols, build-id, lines and alt file. */
void elffile_free(elf_file *f);

/* File offset to link-time address through the PT_LOAD that holds it.
 * Executable segments first: in old page-overlapping layouts a code page's
 * file offset may also fall in the data segment's range. */
static inline bool elffile_to_vaddr(const elf_file *f, uint64_t fileoff, uint64_t *vaddr)
{
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < f->nloads; i++) {
            const load_seg *l = &f->loads[i];
            if ((pass || l->exec) && fileoff >= l->off &&
                fileoff - l->off < l->filesz) {
                *vaddr = fileoff - l->off + l->vaddr;
                return true;
            }
        }
    return false;
}

static inline const sym *elffile_find_sym(const elf_file *f, uint64_t v)
{
    size_t lo = 0, hi = f->nsyms;
    while (lo < hi) {  /* lo = first symbol starting after v */
        size_t mid = lo + (hi - lo) / 2;
        if (f->syms[mid].addr <= v)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (int k = 0; k < BACKSCAN && lo > 0; k++, lo--) {
        const sym *y = &f->syms[lo - 1];
        if (v - y->addr < y->size)
            return y;
    }
    return NULL;
}

/* The symbol that names link-time address v, or NULL: none covers it, or
 * only a label does where the DWARF may name the function (dwarf_funcs),
 * which symbols_lines then gives, or the label's name where it does not. */
static inline const sym *elffile_named_at(elf_file *f, uint64_t v)
{
    const sym *y = elffile_find_sym(f, v);
    if (f->dwarf_funcs && (!y || (y->label && v != y->addr))) {
        f->dwarf_asked = true;
        return NULL;
    }
    return y;
}

#endif

/*
 * symbols.c - the executable mappings of a process, and function names for
 * addresses inside them, read from the ELF files on disk.
 *
 * Data:
 *   s->maps   the executable, file-backed mappings of the last successful
 *             refresh, sorted by start.  Each points at the elf_file it maps;
 *             the path and build_id strings it hands out belong to that file.
 *   s->files  the per-file cache.  A file is identified by the path printed
 *             in maps plus what stat() says (device, inode, size, mtime,
 *             ctime), so a library rewritten on disk gets a fresh entry rather
 *             than stale names.  A file unlinked since it was mapped ("PATH
 *             (deleted)") is opened through /proc/self/map_files (via),
 *             where the process may.  Its build-id is read when the entry is made
 *             (every mapping needs one for the profile); its symbol tables
 *             only when an address inside it is first looked up, because a
 *             process maps many libraries and most are never hit.  A file
 *             stripped of its .symtab or DWARF has them read then from its
 *             separate debug file (debugfile.h), found once per entry;
 *             later lookups of lines reopen that file by path, checked to
 *             be still the one found (debug_path, debug_id).
 *
 * Invariants:
 *   - every file referenced from s->maps is in s->files.  A refresh drops the
 *     files it no longer maps only once its new table is complete, so a
 *     failed refresh leaves the previous snapshot intact and usable.
 *   - a loaded file's syms[] is sorted by address, addresses are unique,
 *     every size is nonzero (zero-size symbols were stretched to the next
 *     symbol), and names point into the file's own names[] pool.
 *   - nothing read from a file is trusted: it is read through elfread.h,
 *     which checks every offset and size against the size fstat() reported
 *     and reads with pread(), so a truncated, corrupt or concurrently
 *     shrinking file yields "no name" or "" build-id, never a fault.
 *   - retired mappings (libraries since dlclose()d, symbols.h) join s->maps
 *     only where they overlap no executable mapping of this refresh and no
 *     newer retired one, so s->maps never overlaps itself and every address
 *     has at most one answer: the current one when there is one.
 *   - allocation failure never loses the snapshot: it fails the refresh with
 *     ENOMEM, or marks the build-id / symbols to be retried on the next one.
 *
 * Only ELF64 in the host's byte order is parsed (x86_64 in practice).
 */
#define _GNU_SOURCE
#include "symbols.h"

#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include "altlink.h"
#include "debugfile.h"
#include "dwarfabbrev.h"
#include "elfread.h"
#include "fdid.h"
#include "log.h"
#include "mem.h"
#include "sort.h"
#include "srclines.h"
#include "zsection.h"
#include "stacks.h"

/* A bound against absurd inputs: a maps file larger than this is not one. */
#define MAPS_MAX ((size_t)256 << 20)
/* How far back a lookup walks for a symbol enclosing a smaller one that
 * starts inside it (assembly routines with inner entry points). */
#define BACKSCAN 8
/* Most bytes of .debug_abbrev read (see dwarf_nameless). */
#define ABBREV_MAX ((uint64_t)1 << 20)
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
    bool syms_tried;        /* load_symbols ran (successfully or not) */
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
    const char *build_id;   /* malloc'd hex, or no_build_id */
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

typedef struct map_entry {
    hp_mapping m;
    elf_file *file;
    bool no_names;  /* retired, and the file on disk is not the one mapped */
    char *own_id;   /* m.build_id when only this entry has it, else NULL */
} map_entry;

struct symbolizer {
    map_entry *maps;
    size_t nmaps;
    elf_file **files;
    size_t nfiles, capfiles;
    uint64_t gen;
    uint64_t lost; /* symbol tables and build-ids not read for memory */
    uint64_t main_addr; /* inside the main program (symbols_main_mapping) */
    const char *debug_dirs; /* where separate debug files are looked for, or NULL */
    bool hold;              /* symbols_lines_hold */
    elf_file *held;         /* ...the file whose srclines holds its sections, or NULL */
};

static const char no_build_id[] = "";

/* ---- reading an ELF file ------------------------------------------------ */

static file_id id_of(const struct stat *st)
{
    return (file_id){ st->st_dev, st->st_ino, st->st_size, st->st_mtim, st->st_ctim };
}

static bool same_id(const file_id *a, const struct stat *st)
{
    file_id b = id_of(st);
    return a->dev == b.dev && a->ino == b.ino && a->size == b.size &&
           a->mtime.tv_sec == b.mtime.tv_sec && a->mtime.tv_nsec == b.mtime.tv_nsec &&
           a->ctime.tv_sec == b.ctime.tv_sec && a->ctime.tv_nsec == b.ctime.tv_nsec;
}

/* Opens path only if it is still the file whose identity was recorded, so
 * data read from it matches what the cache holds. */
static bool open_same(const char *path, const file_id *id, elf_in *e)
{
    struct stat st;
    if (!elfread_open(path, e, &st))
        return false;
    if (!same_id(id, &st)) {
        elfread_close(e);
        return false;
    }
    return elfread_header(e);
}

/* Opens f only if it is still the file we stat'ed at refresh time. */
static bool elf_open(const elf_file *f, elf_in *e)
{
    struct stat st;
    if (!f->have_id)
        return false;
    if (open_same(f->path, &f->id, e))
        return true;
    /* A file deleted since: the kernel's own link to what is mapped
     * (file_get), checked by the inode maps gives, as its unlinking
     * changed its ctime. */
    if (!f->via[0] || !elfread_open(f->via, e, &st))
        return false;
    if ((uint64_t)st.st_ino != f->map_ino) {
        elfread_close(e);
        return false;
    }
    return elfread_header(e);
}

static const char *read_build_id(const elf_file *f, bool *oom)
{
    elf_in e;
    if (!elf_open(f, &e))
        return no_build_id;
    char *id = elfread_build_id(&e, oom);
    elfread_close(&e);
    return id ? id : no_build_id;
}

/* ---- symbol tables ------------------------------------------------------ */

typedef struct cand {
    uint64_t addr, size;
    const char *name;   /* into a string table still held by load_symbols */
    unsigned char bind, dyn;
} cand;

static unsigned bind_rank(unsigned char bind)
{
    return bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 1 : bind == STB_LOCAL ? 2 : 3;
}

/* By address; among aliases the first is the one we keep.  Sized symbols beat
 * zero-size labels, and plain names versioned ones (name@@VERSION); fewer
 * leading underscores pick the name users call (getpid over __getpid,
 * malloc over __libc_malloc) even though glibc makes the public one the
 * weak alias; then global/weak/local, .symtab over
 * .dynsym, and finally the name itself so the choice is deterministic. */
static int cand_cmp(const void *pa, const void *pb)
{
    const cand *a = pa, *b = pb;
    if (a->addr != b->addr)
        return a->addr < b->addr ? -1 : 1;
    if ((a->size == 0) != (b->size == 0))
        return a->size == 0 ? 1 : -1;
    /* A .symtab names a versioned definition twice, as
     * __libc_start_main@@GLIBC_2.34 and plainly (the debug files of a
     * distribution's libc do): the name users call is the plain one. */
    bool va = strchr(a->name, '@'), vb = strchr(b->name, '@');
    if (va != vb)
        return va ? 1 : -1;
    size_t ua = strspn(a->name, "_"), ub = strspn(b->name, "_");
    if (ua != ub)
        return ua < ub ? -1 : 1;
    if (bind_rank(a->bind) != bind_rank(b->bind))
        return bind_rank(a->bind) < bind_rank(b->bind) ? -1 : 1;
    if (a->dyn != b->dyn)
        return a->dyn ? 1 : -1;
    return strcmp(a->name, b->name);
}

/* Appends the function symbols of section idx (a SYMTAB or DYNSYM) to *c.
 * Its string table is returned in *strtab and must outlive the names. */
static void collect_syms(const elf_in *e, const Elf64_Shdr *sh, size_t nsh,
                         size_t idx, cand **c, size_t *nc, char **strtab,
                         bool *oom)
{
    const Elf64_Shdr *st = &sh[idx];
    if (st->sh_link >= nsh || sh[st->sh_link].sh_type != SHT_STRTAB ||
        st->sh_entsize < sizeof(Elf64_Sym))
        return;
    uint64_t strsz = sh[st->sh_link].sh_size;
    uint64_t count = st->sh_size / st->sh_entsize;
    if (strsz == 0 || count == 0 || count > e->size / st->sh_entsize)
        return;
    char *str = elfread_alloc(e, sh[st->sh_link].sh_offset, strsz, oom);
    if (!str)
        return;
    unsigned char *raw = elfread_alloc(e, st->sh_offset, count * st->sh_entsize, oom);
    cand *grown = raw ? mem_realloc(*c, (*nc + count) * sizeof **c) : NULL;
    if (!grown) {
        *oom |= raw != NULL;
        mem_free(raw);
        mem_free(str);
        return;
    }
    *c = grown;
    for (uint64_t i = 0; i < count; i++) {
        Elf64_Sym y;
        memcpy(&y, raw + i * st->sh_entsize, sizeof y);
        unsigned type = ELF64_ST_TYPE(y.st_info);
        if ((type != STT_FUNC && type != STT_GNU_IFUNC) ||
            y.st_shndx == SHN_UNDEF || y.st_value == 0 || y.st_name >= strsz ||
            str[y.st_name] == '\0' ||
            !memchr(str + y.st_name, '\0', strsz - y.st_name))
            continue;
        (*c)[(*nc)++] = (cand){ y.st_value, y.st_size, str + y.st_name,
                                ELF64_ST_BIND(y.st_info), st->sh_type == SHT_DYNSYM };
    }
    mem_free(raw);
    *strtab = str;
}

static void load_segments(elf_file *f, const elf_in *e, bool *oom)
{
    size_t n;
    Elf64_Phdr *ph = elfread_phdrs(e, &n, oom);
    f->nloads = 0; /* whatever an earlier, failed load left */
    f->loads = ph && n ? mem_alloc(n * sizeof *f->loads) : NULL;
    *oom |= ph && n && !f->loads;
    for (size_t i = 0; f->loads && i < n; i++)
        if (ph[i].p_type == PT_LOAD && ph[i].p_filesz > 0)
            f->loads[f->nloads++] = (load_seg){ ph[i].p_offset, ph[i].p_filesz,
                                                ph[i].p_vaddr, ph[i].p_flags & PF_X };
    mem_free(ph);
}

static void drop_symbols(elf_file *f)
{
    mem_free(f->loads);
    mem_free(f->syms);
    mem_free(f->names);
    mem_free(f->debug_path);
    f->debug_path = NULL;
    f->from_debug = false;
    f->loads = NULL;
    f->syms = NULL;
    f->names = NULL;
    f->nloads = f->nsyms = 0;
}

/* Whether go tool pprof, reading this file's DWARF, would leave some of its
 * functions nameless (dwarfabbrev.h).  Only the first ABBREV_MAX bytes of
 * .debug_abbrev are read: such a declaration comes with the first unit that
 * inlined a function, and a larger table is one of many units.  A
 * compressed section is inflated, as pprof does (debug/elf): SHF_COMPRESSED
 * (-gz, an Elf64_Chdr then zlib), or GNU's older .zdebug_abbrev ("ZLIB",
 * the size in 8 bytes big-endian, then zlib; -gz=zlib-gnu).  Read as it
 * was, it declared nothing, and pprof showed "[binary]" for such a C
 * program's functions.  One compressed otherwise (zstd, which pprof reads
 * from Go 1.21) counts as nameless: keeping heapprof's names costs nothing
 * where pprof cannot read the DWARF. */
static bool dwarf_nameless(const elf_in *e, const Elf64_Shdr *sh, size_t nsh, bool *oom)
{
    size_t i = elfread_section(e, sh, nsh, ".debug_abbrev");
    bool gnu = i == nsh;
    if (gnu)
        i = elfread_section(e, sh, nsh, ".zdebug_abbrev");
    if (i == nsh || sh[i].sh_type == SHT_NOBITS)
        return false;
    size_t len = 0;
    unsigned char *abbrev;
    zsec_kind kind = gnu ? ZSEC_GNU : (sh[i].sh_flags & SHF_COMPRESSED) ? ZSEC_ELF : ZSEC_PLAIN;
    if (kind != ZSEC_PLAIN) {
        uint64_t whole;
        zsec_status st;
        abbrev = zsec_inflate(elfread_cb, (void *)e, kind, sh[i].sh_offset, sh[i].sh_size,
                              ABBREV_MAX, false, &len, &whole, &st);
        *oom |= st == ZSEC_OOM;
        if (st == ZSEC_NOT_ZLIB)
            return true;
    } else {
        len = (size_t)(sh[i].sh_size < ABBREV_MAX ? sh[i].sh_size : ABBREV_MAX);
        abbrev = elfread_alloc(e, sh[i].sh_offset, len, oom);
    }
    bool nameless = abbrev && dwarfabbrev_nameless_functions(abbrev, len);
    mem_free(abbrev);
    return nameless;
}

#ifndef ELFCOMPRESS_ZSTD
#define ELFCOMPRESS_ZSTD 2 /* the gABI's value, which an older elf.h lacks */
#endif

/* The ch_type of section s when it is compressed in a format zsection.h
 * does not inflate (zstd: --compress-debug-sections=zstd), else 0. */
static uint32_t unread_compression(const elf_in *e, const Elf64_Shdr *s)
{
    Elf64_Chdr ch;
    if (!(s->sh_flags & SHF_COMPRESSED) || !elfread_at(e, s->sh_offset, &ch, sizeof ch))
        return 0;
    return ch.ch_type == ELFCOMPRESS_ZLIB ? 0 : ch.ch_type;
}

/* One line, once per file, that the lines and inlined frames of the file
 * at path are left out: its DWARF is compressed with type (0: it is not). */
static void say_unreadable(const char *path, uint32_t type)
{
    if (type)
        log_first_line("compression", path,
                       "%s: its DWARF is compressed with %s (ch_type %u), which heapprof does "
                       "not inflate (zlib only): profiles leave out the lines and inlined "
                       "frames it holds",
                       path, type == ELFCOMPRESS_ZSTD ? "zstd" : "an unknown format",
                       (unsigned)type);
}

/* Where the sections that symbols_lines reads lie (none: size 0), under
 * their own names or GNU's compressed ones (.zdebug_*, zsection.h); the
 * compression type of the first one compressed in a format not read
 * (unread_compression), or 0. */
static uint32_t find_line_sections(elf_file *f, const elf_in *e, const Elf64_Shdr *sh, size_t nsh)
{
    uint32_t unread = 0;
    static const char *const names[DWARFINLINE_NSECS][2] = {
        [DWARFLINE_LINE] = {".debug_line", ".zdebug_line"},
        [DWARFLINE_LINE_STR] = {".debug_line_str", ".zdebug_line_str"},
        [DWARFLINE_STR] = {".debug_str", ".zdebug_str"},
        [DWARFINLINE_INFO] = {".debug_info", ".zdebug_info"},
        [DWARFINLINE_ABBREV] = {".debug_abbrev", ".zdebug_abbrev"},
        [DWARFINLINE_RANGES] = {".debug_ranges", ".zdebug_ranges"},
        [DWARFINLINE_RNGLISTS] = {".debug_rnglists", ".zdebug_rnglists"},
        [DWARFINLINE_ADDR] = {".debug_addr", ".zdebug_addr"},
        [DWARFINLINE_STR_OFFSETS] = {".debug_str_offsets", ".zdebug_str_offsets"},
    };
    for (int k = 0; k < DWARFINLINE_NSECS; k++) {
        size_t i = elfread_section(e, sh, nsh, names[k][0]);
        bool gnu = i == nsh;
        if (gnu)
            i = elfread_section(e, sh, nsh, names[k][1]);
        bool there = i < nsh && sh[i].sh_type != SHT_NOBITS && elfread_in(e, sh[i].sh_offset, sh[i].sh_size);
        f->dw.off[k] = there ? sh[i].sh_offset : 0;
        f->dw.size[k] = there ? sh[i].sh_size : 0;
        f->dw.kind[k] = !there ? ZSEC_PLAIN
                        : gnu ? ZSEC_GNU
                        : (sh[i].sh_flags & SHF_COMPRESSED) ? ZSEC_ELF
                                                            : ZSEC_PLAIN;
        if (there && !unread && !gnu) /* a .zdebug_ is read as GNU's, whatever its flags */
            unread = unread_compression(e, &sh[i]);
    }
    return unread;
}

static void free_file(elf_file *f);

/* The contents of section i of e (at most ALTLINK_PATH_MAX and a few
 * bytes: a reference to a supplementary file), or NULL. */
static unsigned char *small_section(const elf_in *e, const Elf64_Shdr *sh, size_t nsh, size_t i,
                                    size_t *n, bool *oom)
{
    if (i >= nsh || sh[i].sh_type == SHT_NOBITS || (sh[i].sh_flags & SHF_COMPRESSED) ||
        sh[i].sh_size > ALTLINK_PATH_MAX + ALTLINK_ID_MAX + 16)
        return NULL;
    *n = (size_t)sh[i].sh_size;
    return elfread_alloc(e, sh[i].sh_offset, sh[i].sh_size, oom);
}

/* Why a path tried for a supplementary file gave none (alt_at), as its
 * line says it (find_alt). */
enum { ALT_MISSING, ALT_SELF, ALT_UNREADABLE, ALT_OTHER_BUILD, ALT_NO_DWARF };
static const char *const alt_why[] = {
    [ALT_MISSING] = "is missing",
    [ALT_SELF] = "is the file itself",
    [ALT_UNREADABLE] = "is no ELF file heapprof can read",
    [ALT_OTHER_BUILD] = "is of another build",
    [ALT_NO_DWARF] = "has no .debug_info",
};

/* The file at path, if it is the supplementary file `want` names (its
 * build-id, .debug_sup: its checksum, the one recorded) and not e itself,
 * whatever its notes say: an entry with where its sections lie, or NULL
 * and *why. */
static elf_file *alt_at(const char *path, const altlink *want, bool sup, const elf_in *e,
                        int *why, bool *oom)
{
    struct stat st;
    elf_file *alt = NULL;
    *why = ALT_MISSING;
    if (stat(path, &st) || !S_ISREG(st.st_mode))
        return NULL;
    *why = ALT_SELF;
    if (st.st_dev == e->fd_id.dev && st.st_ino == e->fd_id.ino)
        return NULL;
    *why = ALT_UNREADABLE;
    if (!(alt = mem_calloc(1, sizeof *alt + strlen(path) + 1))) {
        *oom = true;
        return NULL;
    }
    strcpy(alt->path, path);
    alt->have_id = true;
    alt->id = id_of(&st);
    alt->build_id = no_build_id;
    elf_in ae;
    altlink got;
    bool opened = elf_open(alt, &ae), same = false;
    size_t ansh = 0;
    Elf64_Shdr *ash = opened ? elfread_shdrs(&ae, &ansh, oom) : NULL;
    if (ash && sup) {
        size_t an = 0, k = elfread_section(&ae, ash, ansh, ".debug_sup");
        unsigned char *theirs = small_section(&ae, ash, ansh, k, &an, oom);
        same = theirs && altlink_parse(theirs, an, true, &got) && altlink_same_sup(want, &got);
        *why = ALT_OTHER_BUILD;
        mem_free(theirs);
    }
    if (opened && !sup) {
        char *id = elfread_build_id(&ae, oom); /* its note bytes capped */
        same = id && altlink_same_build_id(want, id);
        *why = ALT_OTHER_BUILD;
        mem_free(id);
    }
    if (same)
        say_unreadable(path, find_line_sections(alt, &ae, ash, ansh));
    mem_free(ash);
    if (opened)
        elfread_close(&ae);
    if (same && alt->dw.size[DWARFINLINE_INFO])
        return alt;
    *why = same ? ALT_NO_DWARF : *why;
    free_file(alt);
    return NULL;
}

/* Appends "PATH WHY" to the list of paths tried in tried[TRIED_MAX] (its
 * length *n), "; " between, "; ..." where it is full. */
enum { TRIED_MAX = 2048 };
static void add_tried(char *tried, size_t *n, const char *path, int why)
{
    if (*n >= TRIED_MAX - 1)
        return;
    int w = snprintf(tried + *n, TRIED_MAX - *n, "%s%s %s", *n ? "; " : "", path, alt_why[why]);
    if (w >= 0 && (size_t)w < TRIED_MAX - *n) {
        *n += (size_t)w;
        return;
    }
    memcpy(tried + TRIED_MAX - 6, "; ...", 6); /* with its NUL */
    *n = TRIED_MAX - 1;
}

/* dwz -m's supplementary file of f (altlink.h), whose sections the DWARF
 * of e (the file at `path`: f's own, or where its DWARF lies) names
 * functions and strings from, into f->alt with where its sections lie: at
 * the path .gnu_debugaltlink or .debug_sup records (absolute, or relative
 * to path's directory, links resolved as gdb does), else, as gdb looks
 * next, at DIR/.build-id/xx/rest.debug of the identity recorded for each
 * of dirs (a debug tree copied elsewhere keeps its build-id tree, not the
 * absolute paths dwz wrote); only a file of that build-id (.debug_sup:
 * checksum) is taken.  symbols_lines opens it again, checked by what stat
 * says now.  None found: the inlined frames that need its names are left
 * out, and a line says so once. */
static void find_alt(elf_file *f, const char *dirs, const char *path_of_e, const elf_in *e,
                     const Elf64_Shdr *sh, size_t nsh, bool *oom)
{
    free_file(f->alt);
    f->alt = NULL;
    size_t n = 0, i = elfread_section(e, sh, nsh, ".gnu_debugaltlink");
    bool sup = i == nsh;
    if (sup)
        i = elfread_section(e, sh, nsh, ".debug_sup");
    unsigned char *link = small_section(e, sh, nsh, i, &n, oom);
    altlink want;
    char real[PATH_MAX], path[PATH_MAX], hex[2 * ALTLINK_ID_MAX + 1];
    if (!link || !altlink_parse(link, n, sup, &want) || want.supplementary) {
        mem_free(link);
        return;
    }
    char tried[TRIED_MAX] = "";
    size_t ntried = 0;
    int why;
    elf_file *alt = NULL;
    if (altlink_path(realpath(path_of_e, real) ? real : path_of_e, want.name, path, sizeof path) &&
        !(alt = alt_at(path, &want, sup, e, &why, oom)))
        add_tried(tried, &ntried, path, why);
    altlink_hex(&want, hex);
    for (const char *d = dirs; !alt && !*oom && debugfile_next_by_id(&d, hex, path); )
        if (!(alt = alt_at(path, &want, sup, e, &why, oom)))
            add_tried(tried, &ntried, path, why);
    /* Each path tried, and why it gave none: a user who installed the file
     * sees where it was looked for, and whether it was there at all. */
    if (!alt && !*oom)
        log_first_line("altlink", path_of_e,
                       "%s: its supplementary DWARF file (dwz) %s was not read: %s: profiles "
                       "leave out the inlined frames named from it",
                       path_of_e, want.name, ntried ? tried : "no path to try");
    f->alt = alt;
    mem_free(link);
}

/* The DWARF of e (the file at path_of_e), if it has any: where the
 * sections symbols_lines reads lie, dwz's supplementary file, and whether
 * pprof would find some of its functions nameless. */
static bool take_dwarf(elf_file *f, const char *dirs, const char *path_of_e, const elf_in *e,
                       const Elf64_Shdr *sh, size_t nsh, bool *oom)
{
    if (!sh)
        return false;
    if (elfread_section(e, sh, nsh, ".debug_info") == nsh &&
        elfread_section(e, sh, nsh, ".zdebug_info") == nsh)
        return false;
    f->dwarf_nameless = dwarf_nameless(e, sh, nsh, oom);
    say_unreadable(path_of_e, find_line_sections(f, e, sh, nsh));
    find_alt(f, dirs, path_of_e, e, sh, nsh, oom);
    return true;
}

/* What a stripped f lacks (its .symtab, symtab; its DWARF, *dwarf false),
 * from its separate debug file, if one is found (debugfile.h).  The debug
 * file's addresses are f's own link-time addresses; its code sections are
 * NOBITS there, but its symbols are whole.  Names and lines from it mark
 * the mapping's names as kept (symbols_keep_names).  Its DWARF is read
 * again by symbols_lines, so its path and identity are kept with it. */
static void take_debug_file(elf_file *f, const char *dirs, const elf_in *e,
                            const Elf64_Shdr *sh, size_t nsh, bool symtab, bool *dwarf,
                            cand **c, size_t *nc, char **strtab, bool *oom)
{
    debugfile_found d;
    if (!debugfile_find(dirs, f->path, f->build_id, e, sh, nsh, &d, oom))
        return;
    size_t dn = 0, had = *nc;
    Elf64_Shdr *dsh = elfread_shdrs(&d.e, &dn, oom);
    if (!*dwarf && take_dwarf(f, dirs, d.path, &d.e, dsh, dn, oom) && !*oom) {
        *dwarf = true;
        f->debug_id = id_of(&d.st);
        f->debug_path = d.path;
        d.path = NULL;
    }
    for (size_t i = 0; i < dn && !symtab && !*oom; i++)
        if (dsh[i].sh_type == SHT_SYMTAB) {
            collect_syms(&d.e, dsh, dn, i, c, nc, strtab, oom);
            break;
        }
    f->from_debug = f->debug_path || *nc > had;
    mem_free(dsh);
    debugfile_close(&d);
}

/* .symtab and .dynsym are merged: .symtab has the static functions, and
 * .dynsym still names the exports of a library whose .symtab was stripped.
 * A file without .symtab or without DWARF takes them from its separate
 * debug file, where it has one under dirs. */
static void load_symbols(elf_file *f, const char *dirs)
{
    elf_in e;
    bool oom = false, symtab = false;
    cand *c = NULL;
    size_t nc = 0, nsh = 0;
    char *strtab[2] = { NULL, NULL };
    f->syms_tried = true;
    f->syms_retry = false;
    /* A retry starts afresh: the debug file an earlier try read may be
     * gone, and its sections' offsets are no place in f. */
    memset(&f->dw, 0, sizeof f->dw);
    free_file(f->alt);
    f->alt = NULL;
    f->dwarf_nameless = f->cxx_dwarf = f->dwarf_funcs = f->dwarf_asked = false;
    if (!elf_open(f, &e))
        return;
    load_segments(f, &e, &oom);
    Elf64_Shdr *sh = f->nloads ? elfread_shdrs(&e, &nsh, &oom) : NULL;
    bool dwarf = take_dwarf(f, dirs, f->path, &e, sh, nsh, &oom);
    for (size_t i = 0; i < nsh && !oom; i++) {
        int slot = sh[i].sh_type == SHT_SYMTAB ? 0 : sh[i].sh_type == SHT_DYNSYM ? 1 : -1;
        symtab |= slot == 0;
        if (slot >= 0 && !strtab[slot])  /* at most one table of each kind */
            collect_syms(&e, sh, nsh, i, &c, &nc, &strtab[slot], &oom);
    }
    if (nsh && (!symtab || !dwarf) && !oom) {
        take_debug_file(f, dirs, &e, sh, nsh, symtab, &dwarf, &c, &nc, &strtab[0], &oom);
        /* Its build-id, lost for memory, is what would have found it:
         * tried again with the build-id at the next refresh. */
        oom |= !f->from_debug && f->build_id_retry && dirs && *dirs;
    }
    mem_free(sh);
    elfread_close(&e);

    size_t n = 0, pool = 0;
    if (!oom && nc > 0) {
        sort_array(c, nc, sizeof *c, cand_cmp);
        for (size_t i = 0; i < nc; i++)
            if (n == 0 || c[i].addr != c[n - 1].addr)
                c[n++] = c[i];
        for (size_t i = 0; i < n; i++)
            pool += strlen(c[i].name) + 1;
        f->syms = mem_alloc(n * sizeof *f->syms);
        f->names = mem_alloc(pool);
        oom = !f->syms || !f->names;
    }
    if (!oom && n > 0) {
        char *p = f->names;
        for (size_t i = 0; i < n; i++) {
            size_t len = strlen(c[i].name) + 1;
            memcpy(p, c[i].name, len);
            uint64_t size = c[i].size;
            /* A label runs up to whatever comes next; but where the DWARF
             * names the functions (dwarf_funcs), the static functions after
             * it may have lost their own symbols (a .symtab of the exports
             * only), and the label named them all, the DWARF's name left
             * unused (review E): there it names them only where the DWARF
             * does not (named_at). */
            if (size == 0)
                size = i + 1 < n ? c[i + 1].addr - c[i].addr : UINT64_MAX - c[i].addr;
            f->syms[i] = (sym){ c[i].addr, size, p, c[i].size == 0 };
            p += len;
        }
        f->nsyms = n;
        for (size_t i = 0; i < n && dwarf && !f->cxx_dwarf; i++)
            f->cxx_dwarf = f->syms[i].name[0] == '_' && f->syms[i].name[1] == 'Z';
    }
    /* A .symtab of the exports only (strip --discard-all, objcopy
     * --strip-unneeded, a debug file stripped of its .symtab: objcopy
     * --strip-all --keep-section='.debug_*') names no static function:
     * those are named by the DWARF symbols_lines reads anyway.  Asked of
     * every file with DWARF: which symbols a file lost cannot be told. */
    f->dwarf_funcs = !oom && dwarf && f->dw.size[DWARFINLINE_INFO];
    if (oom) {  /* all or nothing, and try again after the next refresh */
        drop_symbols(f);
        f->syms_retry = true;
    }
    mem_free(c);
    mem_free(strtab[0]);
    mem_free(strtab[1]);
}

/* File offset to link-time address through the PT_LOAD that holds it.
 * Executable segments first: in old page-overlapping layouts a code page's
 * file offset may also fall in the data segment's range. */
static bool to_vaddr(const elf_file *f, uint64_t fileoff, uint64_t *vaddr)
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

static const sym *find_sym(const elf_file *f, uint64_t v)
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
static const sym *named_at(elf_file *f, uint64_t v)
{
    const sym *y = find_sym(f, v);
    if (f->dwarf_funcs && (!y || (y->label && v != y->addr))) {
        f->dwarf_asked = true;
        return NULL;
    }
    return y;
}

/* ---- the file cache ----------------------------------------------------- */

static void free_file(elf_file *f)
{
    if (!f)
        return;
    if (f->build_id != no_build_id)
        mem_free((char *)f->build_id);
    drop_symbols(f);
    srclines_free(f->lines);
    free_file(f->alt);
    mem_free(f);
}

static bool is_deleted(const char *path, size_t len)
{
    static const char suffix[] = " (deleted)";
    return len >= sizeof suffix - 1 &&
           memcmp(path + len - (sizeof suffix - 1), suffix, sizeof suffix - 1) == 0;
}

/* The entry a mapping marked " (deleted)" had while its file was on disk,
 * or NULL.  A long-running process sees its program or a library replaced
 * under it (a deployment, a package upgrade renames the new file over the
 * old): the old file is still what is mapped, and the entry made for it
 * before, matched by the device and inode maps gives (the numbers of a
 * mapping, which stat() of an overlayfs path may not repeat), still names
 * its code with the symbols it loaded and its build-id.  Made anew, the
 * entry could not be opened, and every later profile lost the names and
 * the build-id of the program or the library (lifecycle_replaced_binary).
 * Symbols not loaded before the file went are read through via, where the
 * kernel lets us (file_get). */
static elf_file *file_deleted(symbolizer *s, const char *path, size_t len, uint64_t dev,
                              uint64_t ino, const char via[VIA_MAX])
{
    if (!ino || !is_deleted(path, len))
        return NULL;
    len -= sizeof " (deleted)" - 1;
    for (size_t i = 0; i < s->nfiles; i++) {
        elf_file *f = s->files[i];
        /* strnlen first: a path from maps may hold a NUL before len, where
         * strncmp stops short and f->path[len] lay past a shorter name
         * (fuzz_maps). */
        if (f->have_id && f->map_ino == ino && f->map_dev == dev &&
            strnlen(f->path, len + 1) == len && !memcmp(f->path, path, len)) {
            memcpy(f->via, via, sizeof f->via);
            return f;
        }
    }
    return NULL;
}

/* The cache entry for path as it is on disk now, made if needed; NULL only
 * when out of memory.  dev and ino are what maps says of the mapping, start
 * and limit where (0: not from maps). */
static elf_file *file_get(symbolizer *s, const char *path, size_t len, uint64_t dev,
                          uint64_t ino, uint64_t start, uint64_t limit)
{
    struct stat st;
    bool oom = false;
    /* A deleted file is still what is mapped, and the kernel links to it
     * under /proc/self/map_files (readable with CAP_SYS_ADMIN, or
     * CAP_CHECKPOINT_RESTORE since Linux 5.9).  A program or library
     * replaced on disk before the first profile (a deployment, a package
     * upgrade) had an entry made anew, never opened: no names, no build-id
     * (test_symbols' deleted_first). */
    char via[VIA_MAX] = "";
    if (ino && is_deleted(path, len))
        snprintf(via, sizeof via, "/proc/self/map_files/%" PRIx64 "-%" PRIx64, start, limit);
    elf_file *gone = file_deleted(s, path, len, dev, ino, via);
    if (gone)
        return gone;
    /* Taken under its name on disk, as an entry made before it went. */
    if (via[0] && stat(via, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_ino == ino)
        len -= sizeof " (deleted)" - 1;
    else
        via[0] = '\0';
    /* A deleted file's name may since have been reused by another file. */
    bool have = via[0] || (!is_deleted(path, len) && stat(path, &st) == 0 && S_ISREG(st.st_mode));
    for (size_t i = 0; i < s->nfiles; i++) {
        elf_file *f = s->files[i];
        if (f->have_id != have || strcmp(f->path, path) != 0 ||
            (have && !same_id(&f->id, &st)))
            continue;
        /* Only a missing id is retried: the last snapshot still points at
         * the current one, and must keep doing so if this refresh fails. */
        if (f->build_id_retry && f->build_id == no_build_id) {
            f->build_id = read_build_id(f, &oom);
            f->build_id_retry = oom;
            s->lost += oom;
        }
        if (f->syms_retry)
            f->syms_tried = false;
        if (have && ino) {
            f->map_dev = dev;
            f->map_ino = ino;
        }
        return f;
    }
    if (s->nfiles == s->capfiles) {
        size_t cap = s->capfiles ? s->capfiles * 2 : 32;
        elf_file **grown = mem_realloc(s->files, cap * sizeof *grown);
        if (!grown)
            return NULL;
        s->files = grown;
        s->capfiles = cap;
    }
    elf_file *f = mem_calloc(1, sizeof *f + len + 1);
    if (!f)
        return NULL;
    memcpy(f->path, path, len);
    f->path[len] = '\0';
    memcpy(f->via, via, sizeof f->via);
    f->have_id = have;
    if (have) {
        f->id = id_of(&st);
        f->map_dev = dev;
        f->map_ino = ino;
    }
    f->build_id = read_build_id(f, &oom);
    f->build_id_retry = oom;
    s->lost += oom;
    s->files[s->nfiles++] = f;
    return f;
}

/* ---- /proc/<pid>/maps --------------------------------------------------- */

static int read_text(const char *path, char **out, size_t *outlen)
{
    fdid id;
    int fd = fdid_open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, &id);
    if (fd < 0)
        return errno;
    /* /proc files report size 0, so grow until read() says end of file. */
    size_t cap = 0, len = 0;
    char *buf = NULL;
    int err = 0;
    for (;;) {
        if (cap - len < 2) {  /* room for a read and the final NUL */
            size_t ncap = cap ? cap * 2 : 16384;
            char *grown = ncap <= MAPS_MAX ? mem_realloc(buf, ncap) : NULL;
            if (!grown) {
                err = ncap <= MAPS_MAX ? ENOMEM : EFBIG;
                break;
            }
            buf = grown;
            cap = ncap;
        }
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n > 0)
            len += (size_t)n;
        else if (n == 0 || errno != EINTR) {
            err = n ? errno : 0;
            break;
        }
    }
    fdid_close(fd, &id);
    if (err) {
        mem_free(buf);
        return err;
    }
    buf[len] = '\0';
    *out = buf;
    *outlen = len;
    return 0;
}

/* A number in base followed by the character sep.  Lines are NUL
 * terminated, so strtoull cannot run past one; checking the first digit
 * keeps it from skipping blanks or taking a sign. */
static bool parse_num(const char **p, uint64_t *v, int base, char sep)
{
    char *q;
    if (!(base == 16 ? isxdigit : isdigit)((unsigned char)**p))
        return false;
    errno = 0;
    *v = strtoull(*p, &q, base);
    if (errno || *q != sep)
        return false;
    *p = q + (sep != '\0');
    return true;
}

typedef struct maps_line {
    uint64_t start, limit, offset;
    uint64_t dev, inode; /* major << 32 | minor */
    const char *perms, *path;
    size_t pathlen;
} maps_line;

/* "start-limit perms offset major:minor inode   path"; the path is the rest
 * of the line, spaces and all, and is empty for anonymous memory. */
static bool parse_line(const char *p, const char *end, maps_line *l)
{
    uint64_t major, minor;
    if (!parse_num(&p, &l->start, 16, '-') || !parse_num(&p, &l->limit, 16, ' ') ||
        end - p < 5 || p[4] != ' ')
        return false;
    l->perms = p;
    p += 5;
    if (!parse_num(&p, &l->offset, 16, ' ') || !parse_num(&p, &major, 16, ':') ||
        !parse_num(&p, &minor, 16, ' ') ||
        (!parse_num(&p, &l->inode, 10, ' ') && !parse_num(&p, &l->inode, 10, '\0')))
        return false;
    l->dev = major << 32 | (minor & 0xffffffffu);
    while (p < end && *p == ' ')
        p++;
    l->path = p;
    l->pathlen = (size_t)(end - p);
    return l->start < l->limit;
}

/* A newline in a mapped file's name is printed as "\012", and nothing else
 * is escaped (show_map_vma escapes "\n" only, through seq_file_path): taken
 * as printed, the name named no file, and the library lost its names and
 * build-id, and pprof its binary.  So where the name as printed is no file
 * (a name may hold "\012" itself) or no longer on disk, it is decoded, in
 * place: the line is the refresh's own copy, and it only shrinks. */
static void unescape_newlines(char *path, maps_line *l)
{
    struct stat st;
    if (!memmem(path, l->pathlen, "\\012", 4) ||
        (!is_deleted(path, l->pathlen) && stat(path, &st) == 0))
        return;
    size_t n = 0;
    for (size_t i = 0; i < l->pathlen; i++) {
        bool nl = l->pathlen - i >= 4 && !memcmp(path + i, "\\012", 4);
        path[n++] = nl ? '\n' : path[i];
        i += nl ? 3 : 0;
    }
    path[n] = '\0';
    l->pathlen = n;
}

static int map_cmp(const void *pa, const void *pb)
{
    const hp_mapping *a = &((const map_entry *)pa)->m, *b = &((const map_entry *)pb)->m;
    return (a->start > b->start) - (a->start < b->start);
}

/* ---- public ------------------------------------------------------------- */

symbolizer *symbols_new(void)
{
    symbolizer *s = mem_calloc(1, sizeof(symbolizer));
    /* ld.so run as a command (`ld.so ./prog`) rewrites AT_ENTRY to the
     * program's entry before the program runs (glibc rtld.c, dl_main). */
    if (s)
        s->main_addr = getauxval(AT_ENTRY);
    return s;
}

void symbols_set_main(symbolizer *s, uint64_t addr) { s->main_addr = addr; }

void symbols_set_debug_dirs(symbolizer *s, const char *dirs) { s->debug_dirs = dirs; }

static void free_maps(map_entry *maps, size_t n)
{
    for (size_t i = 0; i < n; i++)
        mem_free(maps[i].own_id);
    mem_free(maps);
}

typedef struct range {
    uint64_t start, limit;
} range;

static bool overlaps(const range *r, size_t n, uint64_t start, uint64_t limit)
{
    for (size_t i = 0; i < n; i++)
        if (start < r[i].limit && r[i].start < limit)
            return true;
    return false;
}

/* Appends to *list, growing it; false when out of memory. */
static bool grow(void **list, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 64;
    void *grown = mem_realloc(*list, ncap * size);
    if (!grown)
        return false;
    *list = grown;
    *cap = ncap;
    return true;
}

/* Appends the retired mappings that overlap nothing in busy[] (every
 * executable range of this refresh, and the retired ones already taken),
 * newest first.  The build-id reported is the recorded one: the file now on
 * disk may be another. */
static int add_retired(symbolizer *s, uint64_t gen, map_entry **maps, size_t *n,
                       size_t *cap, range **busy, size_t *nbusy, size_t *capbusy,
                       const hp_mapping *retired, size_t nretired)
{
    for (size_t i = 0; i < nretired; i++) {
        const hp_mapping *r = &retired[i];
        if (r->start >= r->limit || !r->path || r->path[0] != '/' ||
            overlaps(*busy, *nbusy, r->start, r->limit))
            continue;
        if (!grow((void **)maps, cap, *n, sizeof **maps) ||
            !grow((void **)busy, capbusy, *nbusy, sizeof **busy))
            return ENOMEM;
        elf_file *f = file_get(s, r->path, strlen(r->path), 0, 0, 0, 0);
        if (!f)
            return ENOMEM;
        f->gen = gen;
        const char *want = r->build_id ? r->build_id : no_build_id;
        map_entry me = { { r->start, r->limit, r->offset, f->path, f->build_id }, f,
                         !f->have_id, NULL };
        if (strcmp(want, f->build_id) != 0) {
            me.no_names = true;
            if (want[0] && !(me.m.build_id = me.own_id = mem_strdup(want)))
                return ENOMEM;
            if (!want[0])
                me.m.build_id = no_build_id;
        }
        (*maps)[(*n)++] = me;
        (*busy)[(*nbusy)++] = (range){ r->start, r->limit };
    }
    return 0;
}

int symbols_refresh(symbolizer *s, const char *maps_path)
{
    return symbols_refresh_retired(s, maps_path, NULL, 0);
}

/* What a refresh builds: its mappings, and the ranges of executable memory
 * no retired mapping may claim. */
typedef struct building {
    map_entry *maps;
    size_t n, cap;
    range *busy;
    size_t nbusy, capbusy;
    bool track_busy; /* only when there are retired mappings to place */
} building;

/* Takes one executable line of maps; 0 or ENOMEM. */
static int take_line(symbolizer *s, uint64_t gen, const maps_line *l, building *b)
{
    /* Anonymous code (a JIT, the vdso) also takes its range from any
     * retired mapping. */
    if (b->track_busy) {
        if (!grow((void **)&b->busy, &b->capbusy, b->nbusy, sizeof *b->busy))
            return ENOMEM;
        b->busy[b->nbusy++] = (range){ l->start, l->limit };
    }
    if (l->pathlen == 0 || l->path[0] != '/')
        return 0;
    if (!grow((void **)&b->maps, &b->cap, b->n, sizeof *b->maps))
        return ENOMEM;
    elf_file *f = file_get(s, l->path, l->pathlen, l->dev, l->inode, l->start, l->limit);
    if (!f)
        return ENOMEM;
    f->gen = gen;
    b->maps[b->n++] = (map_entry){ { l->start, l->limit, l->offset, f->path, f->build_id },
                                   f, false, NULL };
    return 0;
}

int symbols_refresh_retired(symbolizer *s, const char *maps_path,
                            const hp_mapping *retired, size_t nretired)
{
    char *text = NULL;
    size_t len = 0, nlater = 0, caplater = 0;
    building b = { .track_busy = nretired > 0 };
    maps_line *later = NULL;
    int err = read_text(maps_path, &text, &len);
    if (err)
        return err;
    /* Bumped even if this refresh fails, so marks it leaves behind are
     * stale to the next one and cannot keep unmapped files alive. */
    uint64_t gen = ++s->gen;
    /* Lines of deleted files are taken after all others.  A deleted mapping
     * looks for the entry its file had on disk (file_deleted), and the line
     * that records that entry's device and inode may come after it: taken
     * in order, one maps file read twice left the mapping unnamed the first
     * time and named it the second (fuzz_maps).  A real process never lists
     * one inode both deleted and on disk; the order keeps the answer a
     * function of the maps file and the cache alone. */
    for (char *line = text, *end; line < text + len && !err; line = end + 1) {
        maps_line l;
        end = memchr(line, '\n', (size_t)(text + len - line));
        if (!end)
            end = text + len;
        *end = '\0';  /* terminates the path for stat() and open() */
        if (!parse_line(line, end, &l) || l.perms[2] != 'x')
            continue;
        unescape_newlines(line + (l.path - line), &l);
        if (!l.inode || !is_deleted(l.path, l.pathlen))
            err = take_line(s, gen, &l, &b);
        else if (grow((void **)&later, &caplater, nlater, sizeof *later))
            later[nlater++] = l;
        else
            err = ENOMEM;
    }
    for (size_t i = 0; i < nlater && !err; i++)
        err = take_line(s, gen, &later[i], &b);
    mem_free(later);
    mem_free(text);
    if (!err && nretired)
        err = add_retired(s, gen, &b.maps, &b.n, &b.cap, &b.busy, &b.nbusy, &b.capbusy,
                          retired, nretired);
    mem_free(b.busy);
    map_entry *maps = b.maps;
    size_t n = b.n;
    if (err) {
        free_maps(maps, n);
        return err;
    }
    /* The kernel lists mappings in order; other sources need not. */
    sort_array(maps, n, sizeof *maps, map_cmp);
    size_t kept = 0;
    for (size_t i = 0; i < s->nfiles; i++) {
        if (s->files[i]->gen == gen) {
            s->files[kept++] = s->files[i];
        } else {
            if (s->files[i] == s->held)
                s->held = NULL;
            free_file(s->files[i]);
        }
    }
    s->nfiles = kept;
    free_maps(s->maps, s->nmaps);
    s->maps = maps;
    s->nmaps = n;
    return 0;
}

size_t symbols_mapping_count(const symbolizer *s)
{
    return s->nmaps;
}

const hp_mapping *symbols_mapping(const symbolizer *s, size_t i)
{
    return i < s->nmaps ? &s->maps[i].m : NULL;
}

long symbols_find_mapping(const symbolizer *s, uint64_t addr)
{
    size_t lo = 0, hi = s->nmaps;
    while (lo < hi) {  /* lo = first mapping starting after addr */
        size_t mid = lo + (hi - lo) / 2;
        if (s->maps[mid].m.start <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || addr >= s->maps[lo - 1].m.limit)
        return -1;
    return (long)(lo - 1);
}

long symbols_main_mapping(const symbolizer *s)
{
    return s->main_addr ? symbols_find_mapping(s, s->main_addr) : -1;
}

const char *symbols_func(symbolizer *s, uint64_t addr, uint64_t *offset)
{
    *offset = 0;
    /* A location's address is its return address less one (pprof.c). */
    if (addr == STACKS_MERGED_PC - 1)
        return STACKS_MERGED_NAME;
    long i = symbols_find_mapping(s, addr);
    if (i < 0)
        return NULL;
    const map_entry *me = &s->maps[i];
    elf_file *f = me->file;
    if (me->no_names)
        return NULL;
    if (!f->syms_tried) {
        load_symbols(f, s->debug_dirs);
        s->lost += f->syms_retry;
    }
    uint64_t vaddr;
    if (!to_vaddr(f, addr - me->m.start + me->m.offset, &vaddr))
        return NULL;
    const sym *y = named_at(f, vaddr);
    if (!y)
        return NULL;
    *offset = vaddr - y->addr;
    return y->name;
}

const char *symbols_func_name(symbolizer *s, uint64_t addr)
{
    uint64_t offset;
    return symbols_func(s, addr, &offset);
}

bool symbols_keep_names(const symbolizer *s, size_t i)
{
    if (i >= s->nmaps)
        return false;
    const elf_file *f = s->maps[i].file;
    /* go tool pprof reads the binary it is given, never its separate
     * debug file: it would find no names or lines there. */
    return f && !s->maps[i].no_names && f->syms_tried &&
           (f->cxx_dwarf || f->dwarf_nameless || f->from_debug || f->dwarf_asked);
}


int symbols_lines(symbolizer *s, size_t i, const uint64_t *addrs, size_t n, symbols_line *out)
{
    for (size_t k = 0; k < n; k++)
        out[k] = (symbols_line){ NULL, 0, 0, NULL, NULL };
    if (!n || !symbols_keep_names(s, i))
        return 0;
    const map_entry *me = &s->maps[i];
    elf_file *f = me->file;
    if (!f->dw.size[DWARFLINE_LINE] && !f->dw.size[DWARFINLINE_INFO])
        return 0;
    /* Link-time addresses, in the order of addrs (within one mapping the
     * file offset, and so the address, grows with the runtime address),
     * and from[] the index in addrs of each. */
    uint64_t *v = mem_alloc(n * sizeof *v);
    size_t *from = mem_alloc(n * sizeof *from);
    symbols_line *got = mem_alloc(n * sizeof *got);
    size_t nv = 0;
    bool have = v && from && got;
    for (size_t k = 0; have && k < n; k++) {
        uint64_t a;
        if (addrs[k] >= me->m.start && addrs[k] < me->m.limit &&
            to_vaddr(f, addrs[k] - me->m.start + me->m.offset, &a) && (!nv || a >= v[nv - 1])) {
            from[nv] = k;
            got[nv] = out[k];
            v[nv++] = a;
        }
    }
    int err = !have || (!f->lines && !(f->lines = srclines_new())) ? ENOMEM : 0;
    if (!err && s->hold && s->held != f) {
        if (s->held)
            srclines_release(s->held->lines);
        srclines_hold(f->lines);
        s->held = f;
    }
    elf_in e, ae;
    if (!err && nv &&
        (f->debug_path ? open_same(f->debug_path, &f->debug_id, &e) : elf_open(f, &e))) {
        srclines_file sf = f->dw, alt;
        sf.ctx = &e;
        sf.read = elfread_cb;
        sf.funcs = f->dwarf_funcs;
        /* The supplementary file, if it is still the one checked. */
        bool alt_open = f->alt && elf_open(f->alt, &ae);
        sf.alt = NULL;
        if (alt_open) {
            alt = f->alt->dw;
            alt.ctx = &ae;
            alt.read = elfread_cb;
            sf.alt = &alt;
        }
        err = srclines_lookup(f->lines, &sf, v, nv, got);
        if (alt_open)
            elfread_close(&ae);
        if (srclines_declined(f->lines))
            log_line("%s: its compressed debug sections (-gz) need over %llu MiB inflated at "
                     "once: profiles leave out the lines or inlined frames they hold (a build "
                     "without -gz has them)",
                     f->debug_path ? f->debug_path : f->path,
                     (unsigned long long)(SRCLINES_INFLATE_MAX >> 20));
        elfread_close(&e);
    }
    /* Where the DWARF names nothing, a label stretched over the address
     * names it (named_at): also when the DWARF could not be read (its
     * file replaced, or no memory for its cache or its lookup), as it did
     * before it was asked; not without memory for v, from and got. */
    for (size_t j = 0; have && j < nv; j++) {
        const sym *y = f->dwarf_funcs && !got[j].func ? find_sym(f, v[j]) : NULL;
        if (y && y->label)
            got[j].func = y->name;
        out[from[j]] = got[j];
    }
    s->lost += err == ENOMEM;
    mem_free(v);
    mem_free(from);
    mem_free(got);
    return err;
}

void symbols_lines_hold(symbolizer *s, bool hold)
{
    s->hold = hold;
    if (!hold && s->held) {
        srclines_release(s->held->lines);
        s->held = NULL;
    }
}

uint64_t symbols_lost(const symbolizer *s) { return s->lost; }

void symbols_free(symbolizer *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nfiles; i++)
        free_file(s->files[i]);
    mem_free(s->files);
    free_maps(s->maps, s->nmaps);
    mem_free(s);
}

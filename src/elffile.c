/*
 * elffile.c - one ELF file a process maps, read from disk for the
 * symbolizer (symbols.c): its build-id, its function symbols (.symtab and
 * .dynsym), its loadable segments, and where its DWARF lies: in it, in its
 * separate debug file, and in dwz's supplementary file of either.
 *
 * Data (elffile.h's elf_file, one per entry of symbols.c's file cache):
 *   its build-id is read when the entry is made (every mapping needs one
 *   for the profile); its symbol tables only when an address inside it is
 *   first looked up (elffile_load_symbols).  A file
 *   stripped of its .symtab or DWARF has them read then from its
 *   separate debug file (debugfile.h), found once per entry;
 *   later lookups of lines reopen that file by path, checked to
 *   be still the one found (debug_path, debug_id).
 *
 * Invariants:
 *   - a loaded file's syms[] is sorted by address, addresses are unique,
 *     every size is nonzero (zero-size symbols were stretched to the next
 *     symbol), and names point into the file's own names[] pool.
 *   - nothing read from a file is trusted: it is read through elfread.h,
 *     which checks every offset and size against the size fstat() reported
 *     and reads with pread(), so a truncated, corrupt or concurrently
 *     shrinking file yields "no name" or "" build-id, never a fault.
 *   - allocation failure marks the build-id / symbols to be retried on the
 *     next refresh (build_id_retry, syms_retry): symbols are all or nothing.
 *
 * Only ELF64 in the host's byte order is parsed (x86_64 in practice).
 */
#define _GNU_SOURCE
#include "elffile.h"

#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "altlink.h"
#include "debugfile.h"
#include "dwarfabbrev.h"
#include "elfread.h"
#include "log.h"
#include "mem.h"
#include "sort.h"
#include "srclines.h"
#include "zsection.h"

/* Most bytes of .debug_abbrev read (see dwarf_nameless). */
#define ABBREV_MAX ((uint64_t)1 << 20)

const char elffile_no_build_id[] = "";

/* ---- reading an ELF file ------------------------------------------------ */

/* Opens path only if it is still the file whose identity was recorded, so
 * data read from it matches what the cache holds. */
bool elffile_open_same(const char *path, const file_id *id, elf_in *e)
{
    struct stat st;
    if (!elfread_open(path, e, &st))
        return false;
    if (!elffile_same_id(id, &st)) {
        elfread_close(e);
        return false;
    }
    return elfread_header(e);
}

/* Opens f only if it is still the file we stat'ed at refresh time. */
bool elffile_open(const elf_file *f, elf_in *e)
{
    struct stat st;
    if (!f->have_id)
        return false;
    if (elffile_open_same(f->path, &f->id, e))
        return true;
    /* A file deleted since: the kernel's own link to what is mapped
     * (symbols.c, file_get), checked by the inode maps gives, as its unlinking
     * changed its ctime. */
    if (!f->via[0] || !elfread_open(f->via, e, &st))
        return false;
    if ((uint64_t)st.st_ino != f->map_ino) {
        elfread_close(e);
        return false;
    }
    return elfread_header(e);
}

const char *elffile_read_build_id(const elf_file *f, bool *oom)
{
    elf_in e;
    if (!elffile_open(f, &e))
        return elffile_no_build_id;
    char *id = elfread_build_id(&e, oom);
    elfread_close(&e);
    return id ? id : elffile_no_build_id;
}

/* ---- symbol tables ------------------------------------------------------ */

typedef struct cand {
    uint64_t addr, size;
    const char *name;   /* into a string table still held by elffile_load_symbols */
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

/* The names of the sections symbols_lines reads, and GNU's compressed
 * ones (.zdebug_*, zsection.h). */
static const char *const line_names[DWARFINLINE_NSECS][2] = {
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

/* A split DWARF file's (-gsplit-dwarf's .dwo): their namesakes, under the
 * same indices; its .debug_line.dwo is a header only (file names), and
 * its addresses are in the binary's .debug_addr (dwarfinline_split.c). */
static const char *const split_names[DWARFINLINE_NSECS][2] = {
        [DWARFLINE_LINE] = {".debug_line.dwo", ".zdebug_line.dwo"},
        [DWARFLINE_STR] = {".debug_str.dwo", ".zdebug_str.dwo"},
        [DWARFINLINE_INFO] = {".debug_info.dwo", ".zdebug_info.dwo"},
        [DWARFINLINE_ABBREV] = {".debug_abbrev.dwo", ".zdebug_abbrev.dwo"},
        [DWARFINLINE_RNGLISTS] = {".debug_rnglists.dwo", ".zdebug_rnglists.dwo"},
        [DWARFINLINE_STR_OFFSETS] = {".debug_str_offsets.dwo", ".zdebug_str_offsets.dwo"},
};

/* Where the sections named names[] lie (none: size 0) into dw, under
 * their own names or GNU's compressed ones; the compression type of the
 * first one compressed in a format not read (unread_compression), or 0. */
static uint32_t find_line_sections(srclines_file *dw, const elf_in *e, const Elf64_Shdr *sh,
                                   size_t nsh, const char *const names[DWARFINLINE_NSECS][2])
{
    uint32_t unread = 0;
    for (int k = 0; k < DWARFINLINE_NSECS; k++) {
        if (!names[k][0]) {
            dw->off[k] = dw->size[k] = 0;
            dw->kind[k] = ZSEC_PLAIN;
            continue;
        }
        size_t i = elfread_section(e, sh, nsh, names[k][0]);
        bool gnu = i == nsh;
        if (gnu)
            i = elfread_section(e, sh, nsh, names[k][1]);
        bool there = i < nsh && sh[i].sh_type != SHT_NOBITS && elfread_in(e, sh[i].sh_offset, sh[i].sh_size);
        dw->off[k] = there ? sh[i].sh_offset : 0;
        dw->size[k] = there ? sh[i].sh_size : 0;
        dw->kind[k] = !there ? ZSEC_PLAIN
                        : gnu ? ZSEC_GNU
                        : (sh[i].sh_flags & SHF_COMPRESSED) ? ZSEC_ELF
                                                            : ZSEC_PLAIN;
        if (there && !unread && !gnu) /* a .zdebug_ is read as GNU's, whatever its flags */
            unread = unread_compression(e, &sh[i]);
    }
    return unread;
}

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
    alt->id = elffile_id_of(&st);
    alt->build_id = elffile_no_build_id;
    elf_in ae;
    altlink got;
    bool opened = elffile_open(alt, &ae), same = false;
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
        say_unreadable(path, find_line_sections(&alt->dw, &ae, ash, ansh, line_names));
    mem_free(ash);
    if (opened)
        elfread_close(&ae);
    if (same && alt->dw.size[DWARFINLINE_INFO])
        return alt;
    *why = same ? ALT_NO_DWARF : *why;
    elffile_free(alt);
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
    elffile_free(f->alt);
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
    say_unreadable(path_of_e, find_line_sections(&f->dw, e, sh, nsh, line_names));
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
        f->debug_id = elffile_id_of(&d.st);
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
void elffile_load_symbols(elf_file *f, const char *dirs)
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
    elffile_free(f->alt);
    f->alt = NULL;
    f->dwarf_nameless = f->cxx_dwarf = f->dwarf_funcs = f->dwarf_asked = false;
    if (!elffile_open(f, &e))
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
             * does not (elffile_named_at). */
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

/* ---- freeing ----------------------------------------------------------- */

void elffile_free(elf_file *f)
{
    if (!f)
        return;
    if (f->build_id != elffile_no_build_id)
        mem_free((char *)f->build_id);
    drop_symbols(f);
    srclines_free(f->lines);
    elffile_free(f->alt);
    mem_free(f);
}

/* ---- split DWARF ------------------------------------------------------------- */

int elffile_open_split(void *sctx, const char *path, srclines_file *out)
{
    elffile_split *sp = sctx;
    elffile_close_split(sp);
    struct stat st;
    bool oom = false;
    size_t nsh = 0;
    /* A regular file before it is opened, as debug files (debugfile.c):
     * an open has effects on some devices, and a .dwo name is the
     * binary's to choose.  Only what stays so is not tried again: too
     * many files open, or an interrupted call, may pass. */
    if (stat(path, &st) != 0)
        return errno == ENOENT || errno == ENOTDIR || errno == ELOOP || errno == ENAMETOOLONG ||
                       errno == EACCES
                   ? SRCLINES_SPLIT_NONE
                   : SRCLINES_SPLIT_FAILED;
    if (!S_ISREG(st.st_mode))
        return SRCLINES_SPLIT_NONE;
    /* O_RDONLY | O_NONBLOCK | O_CLOEXEC, a regular file only (elfread_open). */
    if (!elfread_open(path, &sp->e, &st))
        return SRCLINES_SPLIT_FAILED;
    if (!elfread_header(&sp->e)) /* closed */
        return SRCLINES_SPLIT_NONE;
    Elf64_Shdr *sh = elfread_shdrs(&sp->e, &nsh, &oom);
    if (!sh) {
        elfread_close(&sp->e);
        return oom ? SRCLINES_SPLIT_OOM : SRCLINES_SPLIT_NONE;
    }
    *out = (srclines_file){ .ctx = &sp->e, .read = elfread_cb };
    say_unreadable(path, find_line_sections(out, &sp->e, sh, nsh, split_names));
    mem_free(sh);
    sp->open = true;
    return SRCLINES_SPLIT_OPENED;
}

void elffile_close_split(void *sctx)
{
    elffile_split *sp = sctx;
    if (sp->open)
        elfread_close(&sp->e);
    sp->open = false;
}

/*
 * symbols.c - the executable mappings of a process, and function names for
 * addresses inside them, read from the ELF files on disk (elffile.c reads
 * each file).
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
 *             process maps many libraries and most are never hit.  What an
 *             entry holds, and the invariants of its symbols, are elffile.c's.
 *
 * Invariants:
 *   - every file referenced from s->maps is in s->files.  A refresh drops the
 *     files it no longer maps only once its new table is complete, so a
 *     failed refresh leaves the previous snapshot intact and usable.
 *   - retired mappings (libraries since dlclose()d, symbols.h) join s->maps
 *     only where they overlap no executable mapping of this refresh and no
 *     newer retired one, so s->maps never overlaps itself and every address
 *     has at most one answer: the current one when there is one.
 *   - allocation failure never loses the snapshot: it fails the refresh with
 *     ENOMEM, or marks the build-id / symbols to be retried on the next one.
 */
#define _GNU_SOURCE
#include "symbols.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elffile.h"
#include "elfread.h"
#include "fdid.h"
#include "log.h"
#include "mem.h"
#include "sort.h"
#include "srclines.h"
#include "stacks.h"

/* A bound against absurd inputs: a maps file larger than this is not one. */
#define MAPS_MAX ((size_t)256 << 20)

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

/* ---- the file cache ----------------------------------------------------- */

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
            (have && !elffile_same_id(&f->id, &st)))
            continue;
        /* Only a missing id is retried: the last snapshot still points at
         * the current one, and must keep doing so if this refresh fails. */
        if (f->build_id_retry && f->build_id == elffile_no_build_id) {
            f->build_id = elffile_read_build_id(f, &oom);
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
        f->id = elffile_id_of(&st);
        f->map_dev = dev;
        f->map_ino = ino;
    }
    f->build_id = elffile_read_build_id(f, &oom);
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
        const char *want = r->build_id ? r->build_id : elffile_no_build_id;
        map_entry me = { { r->start, r->limit, r->offset, f->path, f->build_id }, f,
                         !f->have_id, NULL };
        if (strcmp(want, f->build_id) != 0) {
            me.no_names = true;
            if (want[0] && !(me.m.build_id = me.own_id = mem_strdup(want)))
                return ENOMEM;
            if (!want[0])
                me.m.build_id = elffile_no_build_id;
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
    int err = maps_path ? read_text(maps_path, &text, &len) : 0;
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
            elffile_free(s->files[i]);
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
        elffile_load_symbols(f, s->debug_dirs);
        s->lost += f->syms_retry;
    }
    uint64_t vaddr;
    if (!elffile_to_vaddr(f, addr - me->m.start + me->m.offset, &vaddr))
        return NULL;
    const sym *y = elffile_named_at(f, vaddr);
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


bool symbols_mapping_found(const symbolizer *s, size_t i)
{
    return i < s->nmaps && !s->maps[i].no_names && s->maps[i].file->have_id;
}

/* symbols_lines, and with any symbols_lines_any. */
static int lines_of(symbolizer *s, size_t i, const uint64_t *addrs, size_t n, symbols_line *out,
                    bool any)
{
    for (size_t k = 0; k < n; k++)
        out[k] = (symbols_line){ NULL, 0, 0, NULL, NULL };
    if (!n || (any ? !symbols_mapping_found(s, i) : !symbols_keep_names(s, i)))
        return 0;
    const map_entry *me = &s->maps[i];
    elf_file *f = me->file;
    if (!f->syms_tried) {
        elffile_load_symbols(f, s->debug_dirs);
        s->lost += f->syms_retry;
    }
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
            elffile_to_vaddr(f, addrs[k] - me->m.start + me->m.offset, &a) &&
            (!nv || a >= v[nv - 1])) {
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
        (f->debug_path ? elffile_open_same(f->debug_path, &f->debug_id, &e)
                       : elffile_open(f, &e))) {
        srclines_file sf = f->dw, alt;
        sf.ctx = &e;
        sf.read = elfread_cb;
        sf.funcs = f->dwarf_funcs;
        /* Split DWARF's .dwo files, opened one at a time by the lookup. */
        elffile_split split = { .open = false };
        sf.open_split = elffile_open_split;
        sf.close_split = elffile_close_split;
        sf.sctx = &split;
        /* The supplementary file, if it is still the one checked. */
        bool alt_open = f->alt && elffile_open(f->alt, &ae);
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
        /* In KiB under 1 MiB: the fuzz build's cap is 2 KiB ("over 0 MiB"). */
        bool mib = SRCLINES_INFLATE_MAX >= (1u << 20);
        if (srclines_declined(f->lines))
            log_line("%s: its compressed debug sections (-gz)%s need over %llu %s inflated at "
                     "once: profiles leave out the lines or inlined frames they hold (a build "
                     "without -gz has them)",
                     f->debug_path ? f->debug_path : f->path,
                     srclines_declined_split(f->lines) ? ", or those of its split DWARF .dwo files,"
                                                       : "",
                     (unsigned long long)(SRCLINES_INFLATE_MAX >> (mib ? 20 : 10)),
                     mib ? "MiB" : "KiB");
        elfread_close(&e);
    }
    /* Where the DWARF names nothing, a label stretched over the address
     * names it (elffile_named_at): also when the DWARF could not be read (its
     * file replaced, or no memory for its cache or its lookup), as it did
     * before it was asked; not without memory for v, from and got. */
    for (size_t j = 0; have && j < nv; j++) {
        const sym *y = f->dwarf_funcs && !got[j].func ? elffile_find_sym(f, v[j]) : NULL;
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

int symbols_lines(symbolizer *s, size_t i, const uint64_t *addrs, size_t n, symbols_line *out)
{
    return lines_of(s, i, addrs, n, out, false);
}

int symbols_lines_any(symbolizer *s, size_t i, const uint64_t *addrs, size_t n,
                      symbols_line *out)
{
    return lines_of(s, i, addrs, n, out, true);
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
        elffile_free(s->files[i]);
    mem_free(s->files);
    free_maps(s->maps, s->nmaps);
    mem_free(s);
}

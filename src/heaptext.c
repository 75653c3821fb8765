/*
 * heaptext.c - see heaptext.h.
 *
 * Output goes through one buffer of OUT_BUF bytes, written to the
 * descriptor whenever it fills: memory is that buffer, whatever the number
 * of records and the length of the names (written a byte at a time into
 * it).  The records are the caller's, sorted in place.  Runs on the
 * profiler's own thread, under the dump lock (dump.c).
 */
#include "heaptext.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"
#include "mem.h"
#include "sort.h"

/* NAME_MAX_OUT: pprof reads a line of at most 64 KiB (bufio.Scanner's
 * limit) and fails on a longer one, even a comment: a C++ name can be
 * longer, so a name is cut there, with "...". */
enum { OUT_BUF = 64 * 1024, NAME_MAX_OUT = 4096 };

typedef struct out {
    int fd;
    const fdid *fd_id; /* NULL: not checked */
    int err; /* the first error; later output is dropped */
    size_t len;
    char buf[OUT_BUF];
} out;

static void flush(out *o)
{
    for (size_t off = 0; off < o->len && !o->err;) {
        if (o->fd_id && !fdid_same(o->fd, o->fd_id)) {
            o->err = EBADF; /* closed, perhaps reused by the program: not ours */
            break;
        }
        ssize_t w = fault_write(o->fd, o->buf + off, o->len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            o->err = w < 0 && errno ? errno : EIO; /* no progress, no reason: don't spin */
        else
            off += (size_t)w;
    }
    o->len = 0;
}

static void put_char(out *o, char c)
{
    if (o->len == OUT_BUF)
        flush(o);
    o->buf[o->len++] = c;
}

/* A literal of ours, as it is. */
static void put_raw(out *o, const char *s)
{
    for (; *s; s++)
        put_char(o, *s);
}

/* A name from a symbol table, or a comment: any byte that would end or
 * upset the line (a control byte) is written as '?'; at most NAME_MAX_OUT
 * bytes. */
static void put_text(out *o, const char *s)
{
    for (size_t n = 0; *s; s++, n++) {
        if (n == NAME_MAX_OUT) {
            put_raw(o, "...");
            return;
        }
        put_char(o, (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
    }
}

static void put_fmt(out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Formatted, short (a number or two): at most 127 bytes are kept. */
static void put_fmt(out *o, const char *fmt, ...)
{
    char b[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b, sizeof b, fmt, ap);
    va_end(ap);
    for (int i = 0; i < n && i < (int)sizeof b - 1; i++)
        put_char(o, b[i]);
}

/* Go's order (pprof.go sorts by InUseBytes): the biggest first; then by
 * bytes allocated, so that equal ones come in one order every time. */
static int by_inuse(const void *a, const void *b)
{
    const heaptext_record *x = a, *y = b;
    if (x->inuse_bytes != y->inuse_bytes)
        return x->inuse_bytes > y->inuse_bytes ? -1 : 1;
    if (x->alloc_bytes != y->alloc_bytes)
        return x->alloc_bytes > y->alloc_bytes ? -1 : 1;
    return 0;
}

/* Any order that puts equal stacks together. */
static int by_stack(const void *a, const void *b)
{
    const heaptext_record *x = a, *y = b;
    if (x->depth != y->depth)
        return x->depth < y->depth ? -1 : 1;
    return x->depth ? memcmp(x->pcs, y->pcs, x->depth * sizeof *x->pcs) : 0;
}

/* One record per stack: the format has no labels, so the records of one
 * stack under several label sets (components) are added up.  Returns how
 * many are left. */
static size_t merge_stacks(heaptext_record *r, size_t n)
{
    if (n < 2)
        return n;
    sort_array(r, n, sizeof *r, by_stack);
    size_t k = 0;
    for (size_t i = 1; i < n; i++) {
        if (!by_stack(&r[k], &r[i])) {
            r[k].inuse_objs += r[i].inuse_objs;
            r[k].inuse_bytes += r[i].inuse_bytes;
            r[k].alloc_objs += r[i].alloc_objs;
            r[k].alloc_bytes += r[i].alloc_bytes;
        } else {
            r[++k] = r[i];
        }
    }
    return k + 1;
}

/* Values pprof's reader accepts: none below zero (heapprof's profiles
 * that are not deltas have none; kept so whatever comes in), and objects
 * wherever there are bytes. */
static void fix(int64_t *objs, int64_t *bytes)
{
    if (*objs < 0)
        *objs = 0;
    if (*bytes < 0)
        *bytes = 0;
    if (!*objs && *bytes)
        *objs = 1;
}

/* "I: IB [A: AB]", the values of Go's MemProfileRecord. */
static void put_values(out *o, const heaptext_record *r)
{
    put_fmt(o, "%" PRId64 ": %" PRId64 " [%" PRId64 ": %" PRId64 "]", r->inuse_objs,
            r->inuse_bytes, r->alloc_objs, r->alloc_bytes);
}

/* ---- names from the DWARF ----------------------------------------------
 *
 * A frame no symbol names (a static function of a file whose .symtab has
 * the exports only) is named as the binary profile names it, from the
 * DWARF (pprof_symbols.lines).  Asked one address at a time, every lookup
 * read the compile unit again: 6000 such functions took 15 s, under the
 * dump lock.  So they are looked up first, sorted, in one batch per
 * mapping, as pprof.c does; the names are the symbolizer's, alive for the
 * dump. */

typedef struct dwarf_name {
    uint64_t addr;
    uint32_t map;
    const char *func; /* NULL: the DWARF names nothing there either */
} dwarf_name;

typedef struct dwarf_names {
    dwarf_name *v;
    size_t n, cap;
} dwarf_names;

/* The frame's function and its offset from the symbol table, or NULL. */
static const char *symbol_at(const pprof_symbols *sy, uint64_t addr, uint64_t *off)
{
    *off = 0;
    return sy->func_at ? sy->func_at(sy->ctx, addr, off)
           : sy->func_name ? sy->func_name(sy->ctx, addr)
                           : NULL;
}

/* The index of the mapping holding addr (sorted by start), or SIZE_MAX. */
static size_t mapping_of(const pprof_symbols *sy, size_t nmaps, uint64_t addr)
{
    size_t lo = 0, hi = nmaps;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const hp_mapping *m = sy->mapping(sy->ctx, mid);
        if (m && addr < m->start)
            hi = mid;
        else if (m && addr >= m->limit)
            lo = mid + 1;
        else
            return m ? mid : SIZE_MAX;
    }
    return SIZE_MAX;
}

static int by_map_addr(const void *a, const void *b)
{
    const dwarf_name *x = a, *y = b;
    if (x->map != y->map)
        return x->map < y->map ? -1 : 1;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* d's entries sorted by address, each once. */
static void sort_unique(dwarf_names *d)
{
    if (!d->n)
        return;
    sort_array(d->v, d->n, sizeof *d->v, by_map_addr);
    size_t u = 0;
    for (size_t i = 1; i < d->n; i++)
        if (d->v[i].addr != d->v[u].addr)
            d->v[++u] = d->v[i];
    d->n = u + 1;
}

/* Room for one more entry in d: its repeats dropped first (a frame is in
 * many stacks), so that d grows with the distinct addresses, as pprof.c's
 * locations do, not with every frame; doubled when that left it over half
 * full.  false: no memory for it. */
static bool make_room(dwarf_names *d)
{
    if (d->n < d->cap)
        return true;
    sort_unique(d);
    if (d->cap && d->n <= d->cap / 2)
        return true;
    size_t cap = d->cap ? 2 * d->cap : 256;
    dwarf_name *v = mem_realloc(d->v, cap * sizeof *v);
    if (!v)
        return d->n < d->cap;
    d->v = v;
    d->cap = cap;
    return true;
}

/* The frames of r[0..n) no symbol names, in mappings whose DWARF names
 * functions (keep_names), into d, sorted by address without repeats, each
 * with the DWARF's name.  Out of memory, the names looked up so far stand
 * (the rest are written as addresses alone). */
static void dwarf_lookup(const pprof_symbols *sy, const heaptext_record *r, size_t n,
                         dwarf_names *d)
{
    size_t nmaps = sy->mapping_count ? sy->mapping_count(sy->ctx) : 0;
    if (!sy->lines || !sy->keep_names || !sy->mapping || !nmaps)
        return;
    for (size_t i = 0; i < n; i++)
        for (uint32_t k = 0; k < r[i].depth; k++) {
            uint64_t addr = r[i].pcs[k] - 1, off;
            size_t m;
            if (symbol_at(sy, addr, &off) || (m = mapping_of(sy, nmaps, addr)) == SIZE_MAX ||
                !sy->keep_names(sy->ctx, m))
                continue;
            if (!make_room(d))
                goto lookup;
            d->v[d->n++] = (dwarf_name){addr, (uint32_t)m, NULL};
        }
lookup:
    sort_unique(d);
    if (!d->n)
        return;
    uint64_t *addrs = mem_alloc(d->n * sizeof *addrs);
    symbols_line *got = mem_alloc(d->n * sizeof *got);
    for (size_t i = 0, j; addrs && got && i < d->n; i = j) {
        for (j = i; j < d->n && d->v[j].map == d->v[i].map; j++)
            addrs[j - i] = d->v[j].addr;
        /* ENOMEM: counted by the source; what it found stands */
        (void)sy->lines(sy->ctx, d->v[i].map, addrs, j - i, got);
        for (size_t k = i; k < j; k++)
            d->v[k].func = got[k - i].func;
    }
    mem_free(addrs);
    mem_free(got);
}

/* The DWARF's name of addr (dwarf_lookup), or NULL. */
static const char *dwarf_name_of(const dwarf_names *d, uint64_t addr)
{
    size_t lo = 0, hi = d->n; /* sorted by map, so by address: mappings do not overlap */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->v[mid].addr == addr)
            return d->v[mid].func;
        if (d->v[mid].addr < addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* One "#" line per frame, then a blank line (printStackRecord).  Go's
 * Frame.PC is the return address less one, in the call instruction.  A
 * name from the DWARF has no offset: it does not give the function's
 * start. */
static void put_frames(out *o, const pprof_symbols *sy, const dwarf_names *d,
                       const heaptext_record *r)
{
    for (uint32_t k = 0; k < r->depth; k++) {
        uint64_t addr = r->pcs[k] - 1, off;
        const char *name = symbol_at(sy, addr, &off);
        bool offset = name && sy->func_at;
        name = name ? name : dwarf_name_of(d, addr);
        put_fmt(o, "#\t0x%" PRIx64, addr);
        if (name && *name) {
            put_char(o, '\t');
            put_text(o, name);
            if (offset)
                put_fmt(o, "+0x%" PRIx64, off);
        }
        put_char(o, '\n');
    }
    put_char(o, '\n');
}

/* A path pprof's map reader takes whole: no blank, no control byte. */
static int plain_path(const char *p)
{
    if (!p || *p != '/')
        return 0;
    for (; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

/* The mappings, in a form pprof's legacy reader parses (briefMapsRE in
 * legacy_profile.go): "start-limit r-xp path (@offset) buildid". */
static void put_maps(out *o, const pprof_symbols *sy)
{
    size_t n = sy->mapping_count ? sy->mapping_count(sy->ctx) : 0;
    put_raw(o, "\nMAPPED_LIBRARIES:\n");
    for (size_t i = 0; i < n; i++) {
        const hp_mapping *m = sy->mapping(sy->ctx, i);
        if (!m || !plain_path(m->path))
            continue;
        put_fmt(o, "%" PRIx64 "-%" PRIx64 " r-xp ", m->start, m->limit);
        put_text(o, m->path);
        put_fmt(o, " (@%" PRIx64 ")", m->offset);
        if (m->build_id && *m->build_id) {
            put_char(o, ' ');
            put_text(o, m->build_id);
        }
        put_char(o, '\n');
    }
}

int heaptext_write(heaptext_profile *p, int fd)
{
    out *o = mem_alloc(sizeof *o);
    if (!o)
        return ENOMEM;
    o->fd = fd;
    o->fd_id = p->fd_id;
    o->err = 0;
    o->len = 0;
    heaptext_record total = {0};
    p->nrecords = merge_stacks(p->records, p->nrecords);
    for (size_t i = 0; i < p->nrecords; i++) {
        heaptext_record *r = &p->records[i];
        fix(&r->inuse_objs, &r->inuse_bytes);
        fix(&r->alloc_objs, &r->alloc_bytes);
        total.inuse_objs += r->inuse_objs;
        total.inuse_bytes += r->inuse_bytes;
        total.alloc_objs += r->alloc_objs;
        total.alloc_bytes += r->alloc_bytes;
    }
    sort_array(p->records, p->nrecords, sizeof *p->records, by_inuse);
    dwarf_names d = {0};
    dwarf_lookup(&p->symbols, p->records, p->nrecords, &d);
    put_raw(o, "heap profile: ");
    put_values(o, &total);
    put_raw(o, " @ heap/2\n"); /* an interval of 1: the values are not to be scaled */
    for (size_t i = 0; i < p->nrecords && !o->err; i++) {
        const heaptext_record *r = &p->records[i];
        put_values(o, r);
        put_raw(o, " @");
        for (uint32_t k = 0; k < r->depth; k++)
            put_fmt(o, " 0x%" PRIx64, r->pcs[k]);
        put_char(o, '\n');
        put_frames(o, &p->symbols, &d, r);
    }
    put_raw(o, "\n# heapprof: the values are estimates already scaled up from the samples "
                "(exact with sample_interval_bytes=1); heap/2 tells pprof to take them as "
                "they are\n");
    for (size_t i = 0; i < p->ncomments; i++) {
        put_raw(o, "# ");
        put_text(o, p->comments[i]);
        put_char(o, '\n');
    }
    put_maps(o, &p->symbols);
    flush(o);
    int err = o->err;
    mem_free(d.v);
    mem_free(o);
    return err;
}

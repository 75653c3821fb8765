/*
 * srclines.c - file:line per address of one ELF file, remembered (see
 * srclines.h).
 *
 * Data:
 *   memo[]   every address asked about so far, sorted, with its answer
 *            (file NULL: none).  Grows with the distinct call sites the
 *            profiles hold, never with the file's rows.
 *   names[]  the distinct file names answers point at, one block each,
 *            found again through name_slots[] (open addressing, index + 1,
 *            at most half full): a binary of thousands of files asks for
 *            the same headers from every unit, and a linear search cost
 *            answers x names compares.
 *   units[]  after the first complete scan (indexed): each unit's offset
 *            and the [lo, hi) its rows cover, so a later scan reads only
 *            the units that can answer one of its addresses.
 * Invariants: memo[] is sorted with unique addresses; an address is in it
 * only after a scan that completed (an out-of-memory scan answers its
 * caller but records nothing, so the next profile asks again).
 */
#include "srclines.h"

#include <errno.h>
#include <string.h>

#include "common.h"
#include "mem.h"

typedef struct memo_ent {
    uint64_t vaddr;
    const char *file;
    uint32_t line;
} memo_ent;

typedef struct unit_rng {
    uint64_t off, lo, hi;
} unit_rng;

struct srclines {
    memo_ent *memo;
    size_t nmemo;
    char **names;
    size_t nnames, capnames;
    uint32_t *name_slots;
    size_t nslots; /* a power of two, or 0 */
    unit_rng *units;
    size_t nunits, capunits;
    bool indexed;
};

/* One lookup's view of the sections, and where its answers go. */
typedef struct lookup {
    srclines *c;
    const srclines_file *f;
    const srclines_file *orig; /* f, but for the sizes of scan_file's view */
    /* Compressed sections, whole, inflated on their first read: a lookup
     * may read none of them, and DWARF 2-4 names never .debug_str. */
    unsigned char *inflated[DWARFLINE_NSECS];
    bool tried[DWARFLINE_NSECS];
    const uint64_t *miss; /* addresses asked of the file, sorted, unique */
    memo_ent *got;        /* their answers, by index */
    bool oom;
} lookup;

srclines *srclines_new(void) { return mem_calloc(1, sizeof(srclines)); }

void srclines_free(srclines *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nnames; i++)
        mem_free(c->names[i]);
    mem_free(c->names);
    mem_free(c->name_slots);
    mem_free(c->memo);
    mem_free(c->units);
    mem_free(c);
}

/* ---- the sections ---------------------------------------------------------- */

static unsigned char *inflate_sec(const srclines_file *f, int sec, bool *oom);

static bool sec_read(void *ctx, int sec, uint64_t off, void *dst, size_t len)
{
    lookup *l = ctx;
    uint64_t size = l->f->size[sec];
    if (off > size || len > size - off)
        return false;
    if (l->f->kind[sec] != ZSEC_PLAIN && !l->tried[sec]) {
        l->tried[sec] = true;
        l->inflated[sec] = inflate_sec(l->orig, sec, &l->oom);
    }
    if (l->inflated[sec]) {
        memcpy(dst, l->inflated[sec] + off, len);
        return true;
    }
    return l->f->kind[sec] == ZSEC_PLAIN && l->f->read(l->f->ctx, l->f->off[sec] + off, dst, len);
}

/* Section sec, compressed, whole into memory (its inflated size, as its
 * header says: scan_file's view).  NULL when it cannot be (over
 * SRCLINES_INFLATE_MAX, another format, corrupt, or out of memory: *oom). */
static unsigned char *inflate_sec(const srclines_file *f, int sec, bool *oom)
{
    size_t len;
    uint64_t whole;
    zsec_status st;
    unsigned char *out = zsec_inflate(f->read, f->ctx, f->kind[sec], f->off[sec], f->size[sec],
                                      SRCLINES_INFLATE_MAX, true, &len, &whole, &st);
    *oom |= st == ZSEC_OOM;
    if (out && len != whole) { /* corrupt or cut short: rows would be missing */
        mem_free(out);
        out = NULL;
    }
    return out;
}

/* ---- answers --------------------------------------------------------------- */

/* name's slot in name_slots: the one holding it, or the empty one where
 * it would go. */
static uint32_t *name_slot(const srclines *c, const char *name)
{
    size_t mask = c->nslots - 1;
    for (size_t j = hp_hash_str(name) & mask;; j = (j + 1) & mask)
        if (!c->name_slots[j] || !strcmp(c->names[c->name_slots[j] - 1], name))
            return &c->name_slots[j];
}

/* Room for one more name: names[] and name_slots[] grown (false: no
 * memory, nothing changed). */
static bool names_room(srclines *c)
{
    if (c->nnames == c->capnames) {
        size_t cap = c->capnames ? c->capnames * 2 : 16;
        char **grown = mem_realloc(c->names, cap * sizeof *grown);
        if (!grown)
            return false;
        c->names = grown;
        c->capnames = cap;
    }
    if (2 * (c->nnames + 1) <= c->nslots)
        return true;
    size_t n = c->nslots ? c->nslots * 2 : 32;
    uint32_t *slots = mem_calloc(n, sizeof *slots);
    if (!slots)
        return false;
    mem_free(c->name_slots);
    c->name_slots = slots;
    c->nslots = n;
    for (size_t i = 0; i < c->nnames; i++)
        *name_slot(c, c->names[i]) = (uint32_t)i + 1;
    return true;
}

/* The kept copy of name, made if new. */
static const char *keep_name(srclines *c, const char *name)
{
    uint32_t *slot = c->nslots ? name_slot(c, name) : NULL;
    if (slot && *slot)
        return c->names[*slot - 1];
    if (!names_room(c))
        return NULL;
    char *copy = mem_strdup(name);
    if (!copy)
        return NULL;
    *name_slot(c, copy) = (uint32_t)c->nnames + 1;
    c->names[c->nnames++] = copy;
    return copy;
}

static void on_found(void *ctx, size_t q, const char *path, uint32_t line)
{
    lookup *l = ctx;
    const char *kept = keep_name(l->c, path);
    if (!kept) {
        l->oom = true;
        return;
    }
    l->got[q].file = kept;
    l->got[q].line = line;
}

static void on_unit(void *ctx, uint64_t off, uint64_t lo, uint64_t hi)
{
    lookup *l = ctx;
    srclines *c = l->c;
    if (lo >= hi)
        return; /* no rows: it answers nothing, now or later */
    if (c->nunits == c->capunits) {
        size_t cap = c->capunits ? c->capunits * 2 : 64;
        unit_rng *grown = mem_realloc(c->units, cap * sizeof *grown);
        if (!grown) {
            l->oom = true;
            return;
        }
        c->units = grown;
        c->capunits = cap;
    }
    c->units[c->nunits++] = (unit_rng){ off, lo, hi };
}

static const memo_ent *memo_find(const srclines *c, uint64_t v)
{
    size_t lo = 0, hi = c->nmemo;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->memo[mid].vaddr < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->nmemo && c->memo[lo].vaddr == v ? &c->memo[lo] : NULL;
}

/* Whether some address of miss[0..n) lies in [lo, hi). */
static bool holds(const uint64_t *miss, size_t n, uint64_t lo, uint64_t hi)
{
    size_t a = 0, b = n;
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if (miss[mid] < lo)
            a = mid + 1;
        else
            b = mid;
    }
    return a < n && miss[a] < hi;
}

/* Scans the file for miss[0..n), answers into got[].  0 or ENOMEM. */
static int scan_file(lookup *l, size_t n)
{
    srclines *c = l->c;
    const srclines_file *f = l->f;
    dwarfline_src src = { l, sec_read, { 0 } };
    for (int s = 0; s < DWARFLINE_NSECS; s++) {
        uint64_t whole = 0;
        src.size[s] = f->size[s];
        /* A compressed section's size is its header's (inflated on first
         * read, sec_read; one whose stream falls short reads as absent). */
        if (f->kind[s] != ZSEC_PLAIN &&
            (!f->size[s] || zsec_size(f->read, f->ctx, f->kind[s], f->off[s], f->size[s], &whole) ||
             whole > SRCLINES_INFLATE_MAX))
            whole = 0;
        if (f->kind[s] != ZSEC_PLAIN)
            src.size[s] = whole;
    }
    /* sec_read bounds by the sizes it sees: the inflated ones. */
    srclines_file view = *f;
    memcpy(view.size, src.size, sizeof view.size);
    l->orig = f;
    l->f = &view;
    int err = 0;
    if (src.size[DWARFLINE_LINE] > SRCLINES_SECTION_MAX) {
        /* too large to read on each first profile: no lines */
    } else if (c->indexed) {
        uint64_t *units = mem_alloc((c->nunits ? c->nunits : 1) * sizeof *units);
        size_t nunits = 0;
        for (size_t i = 0; units && i < c->nunits; i++)
            if (holds(l->miss, n, c->units[i].lo, c->units[i].hi))
                units[nunits++] = c->units[i].off;
        dwarfline_sink sink = { l, on_found, NULL };
        err = !units ? ENOMEM
                     : nunits ? dwarfline_scan(&src, l->miss, n, units, nunits, &sink) : 0;
        mem_free(units);
    } else {
        dwarfline_sink sink = { l, on_found, on_unit };
        c->nunits = 0;
        err = dwarfline_scan(&src, l->miss, n, NULL, 0, &sink);
        c->indexed = !err && !l->oom;
    }
    for (int s = 0; s < DWARFLINE_NSECS; s++)
        mem_free(l->inflated[s]);
    l->f = f;
    return err ? err : l->oom ? ENOMEM : 0;
}

/* Adds the n answers got[] to the memo, keeping it sorted. */
static bool remember(srclines *c, const memo_ent *got, size_t n)
{
    memo_ent *m = mem_realloc(c->memo, (c->nmemo + n) * sizeof *m);
    if (!m)
        return false;
    c->memo = m;
    /* Merge from the back: both runs are sorted, and no address repeats. */
    size_t i = c->nmemo, j = n, k = c->nmemo + n;
    while (j > 0) {
        if (i > 0 && m[i - 1].vaddr > got[j - 1].vaddr)
            m[--k] = m[--i];
        else
            m[--k] = got[--j];
    }
    c->nmemo += n;
    return true;
}

int srclines_lookup(srclines *c, const srclines_file *f, const uint64_t *vaddrs, size_t n,
                    symbols_line *out)
{
    size_t nmiss = 0;
    for (size_t k = 0; k < n; k++) {
        const memo_ent *e = memo_find(c, vaddrs[k]);
        out[k] = e ? (symbols_line){ e->file, e->line } : (symbols_line){ NULL, 0 };
        nmiss += !e && (k == 0 || vaddrs[k] != vaddrs[k - 1]);
    }
    if (!nmiss)
        return 0;
    uint64_t *miss = mem_alloc(nmiss * sizeof *miss);
    memo_ent *got = mem_calloc(nmiss, sizeof *got);
    int err = ENOMEM;
    if (miss && got) {
        size_t m = 0;
        for (size_t k = 0; k < n; k++)
            if (!out[k].file && (m == 0 || miss[m - 1] != vaddrs[k]) && !memo_find(c, vaddrs[k]))
                miss[m++] = vaddrs[k];
        for (size_t q = 0; q < m; q++)
            got[q].vaddr = miss[q];
        lookup l = { .c = c, .f = f, .miss = miss, .got = got };
        err = scan_file(&l, m);
        for (size_t k = 0, q = 0; k < n; k++) {
            while (q < m && miss[q] < vaddrs[k])
                q++;
            if (q < m && miss[q] == vaddrs[k])
                out[k] = (symbols_line){ got[q].file, got[q].line };
        }
        if (!err && !remember(c, got, m))
            err = ENOMEM;
    }
    mem_free(miss);
    mem_free(got);
    return err;
}

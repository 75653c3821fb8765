/*
 * srclines.c - file:line and inlined functions per address of one ELF
 * file, remembered (see srclines.h).
 *
 * Data:
 *   memo[]   every address asked about so far, sorted, with its answer
 *            (file NULL: none) and its inlined functions, a run of
 *            frames[] (ninl 0: none).  Grows with the distinct call sites
 *            the profiles hold, never with the file's rows or entries.
 *   names[]  the distinct strings answers point at (file and function
 *            names), one block each, found again through ntab[].
 *   lines, infos  after the first complete scan of .debug_line, of
 *            .debug_info (indexed): each unit's offset and the [lo, hi)
 *            its code covers, so a later scan reads only the units that
 *            can answer one of its addresses.  Complete: every unit was
 *            reported (index_done), none left out by a section declined
 *            for room, which a later lookup may have; until one has,
 *            partial, the units that were (rescanned once at most
 *            without completing: full_scan).
 *   held     while held (srclines_hold), the compressed sections lookups
 *            inflated, kept for the next one until srclines_release:
 *            with those a lookup inflates, at most SRCLINES_INFLATE_MAX.
 *   heads    a lookup's own: the headers of the line units holding its
 *            addresses, kept when it frees .debug_line for the sections
 *            of .debug_info (free_lines), counted with them.
 * Invariants: memo[] is sorted with unique addresses; an address is in it
 * only after a lookup whose scans completed (an out-of-memory lookup
 * answers its caller but records nothing, so the next profile asks
 * again) and read its split unit, if any, as wholly as a later lookup
 * might (later[]: the cap on opens, a .dwo section declined for room); ntab[] is a power of two, at most half full, holding indices
 * of names[] + 1.
 */
#include "srclines.h"

#include <errno.h>
#include <string.h>

#include "common.h"
#include "mem.h"
#include "sort.h"

typedef struct memo_ent {
    uint64_t vaddr;
    const char *file;
    const char *func; /* its function, from .debug_info (srclines_file.funcs), or NULL */
    uint32_t line;
    uint32_t ninl;
    size_t inl; /* its frames: frames[inl .. inl + ninl) */
} memo_ent;

/* A compressed section inflated by one lookup and kept for the next
 * (srclines_hold), with where it lay in the file and its inflated size:
 * the next lookup takes it only for that same section. */
typedef struct held_sec {
    unsigned char *bytes; /* NULL: none */
    uint64_t off, size, whole;
} held_sec;

typedef struct unit_rng {
    uint64_t off, lo, hi;
} unit_rng;

/* Where one section's units lie, once a full scan has said. */
typedef struct unit_index {
    unit_rng *units;
    size_t nunits, capunits;
    bool indexed;
    /* The last full scan ended only for a section declined for room: the
     * units are those it reported, the ones it could read. */
    bool partial;
    /* A rescan of the partial index ended partial again: not tried
     * again while the cache lives (full_scan). */
    bool stuck;
    /* The sections of the unit mask (index_done) full scans read, a bit
     * each: a full scan reads them again. */
    unsigned needs;
} unit_index;

struct srclines {
    memo_ent *memo;
    size_t nmemo;
    symbols_frame *frames;
    size_t nframes, capframes;
    char **names;
    size_t nnames, capnames;
    uint32_t *ntab;
    size_t ntab_cap;
    unit_index lines, infos;
    /* A lookup left a compressed section uninflated, over the cap on the
     * bytes inflated at once, and srclines_declined has not said so yet. */
    bool declined, said;
    /* srclines_hold: the sections lookups inflate stay, [0] the file's,
     * [1] the supplementary file's, until srclines_release. */
    bool hold;
    held_sec held[2][DWARFINLINE_NSECS];
    /* The hashes of the .dwo paths that could not be opened (split_src). */
    uint64_t *split_miss;
    size_t nsplit_miss;
    /* A section of a .dwo was declined (declined_split); one was declined
     * with room left for it alone, and the queries of its unit left for
     * the next lookup (split_again): the next lookup that declines one
     * keeps its answers, so that at most one rescan is for nothing. */
    bool declined_split, split_room_tried;
};

struct lookup;

/* One lookup's view of one file's sections: the file's, or its
 * supplementary file's. */
typedef struct fileview {
    struct lookup *l;
    const srclines_file *orig; /* the caller's */
    srclines_file f;           /* orig, but for the sizes: inflated ones (view_open) */
    /* Compressed sections, whole, inflated on their first read: a lookup
     * may read none of them, and DWARF 2-4 names never .debug_str. */
    unsigned char *inflated[DWARFINLINE_NSECS];
    bool tried[DWARFINLINE_NSECS];
    /* The sections (a bit each) declined for room that fit the cap alone:
     * a later lookup that inflates fewer, or holds fewer, may read them. */
    unsigned later;
    unsigned read; /* the sections (a bit each) the lookup read */
    unsigned held; /* the sections (a bit each) taken from the hold (view_open) */
} fileview;

/* The bytes [off, off + len) of .debug_line, a line program's header
 * (its file table), kept at heads.bytes + at (free_lines). */
typedef struct kept_head {
    uint64_t off, len;
    size_t at;
} kept_head;

/* One lookup's view of the sections, and where its answers go. */
typedef struct lookup {
    srclines *c;
    fileview file, alt; /* alt.orig NULL: no supplementary file */
    /* The bytes both views inflated, and the heads kept: at most
     * SRCLINES_INFLATE_MAX. */
    uint64_t ninflated;
    const uint64_t *miss; /* addresses asked of the file, sorted, unique */
    size_t nmiss;
    memo_ent *got;        /* their answers, by index */
    bool oom;
    /* scan_lines is done: the file's .debug_line, inflated, may be freed
     * (free_lines) for the sections of .debug_info. */
    bool inlining;
    /* The headers of the line units whose rows hold a query, sorted by
     * offset (plan_heads), nbytes in all; bytes: their copy, once the
     * inflated .debug_line is freed (lines_freed), which the file's reads
     * of .debug_line are then served from. */
    struct {
        kept_head *at;
        size_t n;
        uint64_t nbytes;
        unsigned char *bytes;
        bool planned;
    } heads;
    bool lines_freed;
    /* The sections (a bit each) of the file the inline scan reads
     * (lines_for_inlines): .debug_line is freed for one only where the
     * others not inflated yet fit after it too. */
    unsigned want;
    /* The .dwo file open for a skeleton unit (split_src): its sections,
     * the view the inline scan reads them through, and how many this
     * lookup opened. */
    srclines_file dwof;
    fileview dwo;
    dwarfinline_src dwosrc;
    bool dwo_open;
    unsigned nsplit;
    /* The hash of the path split_src was last asked, and whether a later
     * lookup may read its split unit where this one did not (the cap on
     * opens, a section declined for room): split_again. */
    uint64_t dwo_hash;
    bool dwo_again, dwo_room;
    /* Per query: its answer lacks a split unit a later lookup may read
     * (on_later): not remembered. */
    bool *later;
} lookup;

srclines *srclines_new(void) { return mem_calloc(1, sizeof(srclines)); }

void srclines_free(srclines *c)
{
    if (!c)
        return;
    srclines_release(c);
    for (size_t i = 0; i < c->nnames; i++)
        mem_free(c->names[i]);
    mem_free(c->names);
    mem_free(c->ntab);
    mem_free(c->memo);
    mem_free(c->frames);
    mem_free(c->lines.units);
    mem_free(c->infos.units);
    mem_free(c->split_miss);
    mem_free(c);
}

/* ---- the sections ---------------------------------------------------------- */

static unsigned char *inflate_sec(const srclines_file *f, int sec, bool *oom);
static uint64_t lines_room(lookup *l);
static void free_lines(lookup *l);
static bool read_heads(lookup *l, uint64_t off, void *dst, size_t len);
static uint64_t want_bytes(const lookup *l);
static void drop_unread_held(lookup *l, uint64_t size);

static bool sec_read(void *ctx, int sec, uint64_t off, void *dst, size_t len)
{
    fileview *v = ctx;
    lookup *l = v->l;
    uint64_t size = v->f.size[sec];
    v->read |= 1u << sec;
    if (off > size || len > size - off)
        return false;
    if (v->f.kind[sec] != ZSEC_PLAIN && !v->tried[sec]) {
        v->tried[sec] = true;
        /* The sections inflated live together until the lookup ends
         * (or the hold, srclines_hold, with those held counted): together
         * they stay under the cap, the profiler's memory inside the
         * program (a section past it reads as absent).  Once the rows are
         * read, .debug_line is freed for one that would go over, if that
         * makes the room for it and for the rest the inline scan wants
         * (lines_room, want_bytes), where lines_for_inlines did not free
         * it before: freed for one while another is declined anyway, it
         * was freed for nothing, and the lookup held nothing after
         * (.debug_line 14 MiB with a 7 MiB header, .debug_info 20,
         * .debug_abbrev 8).  .debug_line itself, read for the rows,
         * takes the room of the held sections this lookup has not read
         * (drop_unread_held); not in the inline scan, which may yet read
         * them (they would be inflated again, or declined). */
        if (size > SRCLINES_INFLATE_MAX - l->ninflated && size <= SRCLINES_INFLATE_MAX) {
            if (sec == DWARFLINE_LINE && v == &l->file && !l->inlining)
                drop_unread_held(l, size);
            uint64_t gain = lines_room(l), rest = want_bytes(l);
            if (gain && rest <= SRCLINES_INFLATE_MAX - size &&
                size + rest <= SRCLINES_INFLATE_MAX - (l->ninflated - gain))
                free_lines(l);
        }
        if (size > SRCLINES_INFLATE_MAX - l->ninflated) {
            l->c->declined = true;
            if (size <= SRCLINES_INFLATE_MAX)
                v->later |= 1u << sec;
            /* The file's index keeps its later sections (index_done); a
             * .dwo's leaves its unit's queries to the next lookup. */
            if (v == &l->dwo) {
                l->c->declined_split = true;
                if (size <= SRCLINES_INFLATE_MAX && !l->c->split_room_tried)
                    l->dwo_again = l->dwo_room = true;
            }
        } else if ((v->inflated[sec] = inflate_sec(v->orig, sec, &l->oom))) {
            l->ninflated += size;
        }
    }
    if (sec == DWARFLINE_LINE && v == &l->file && l->lines_freed)
        return read_heads(l, off, dst, len);
    if (v->inflated[sec]) {
        memcpy(dst, v->inflated[sec] + off, len);
        return true;
    }
    return v->f.kind[sec] == ZSEC_PLAIN && v->f.read(v->f.ctx, v->f.off[sec] + off, dst, len);
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

static uint32_t name_hash(const char *s) { return (uint32_t)hp_hash_str(s); }

static bool ntab_grow(srclines *c)
{
    size_t cap = c->ntab_cap ? c->ntab_cap * 2 : 256;
    uint32_t *t = mem_calloc(cap, sizeof *t);
    if (!t)
        return false;
    for (size_t i = 0; i < c->nnames; i++) {
        size_t j = name_hash(c->names[i]) & (cap - 1);
        while (t[j])
            j = (j + 1) & (cap - 1);
        t[j] = (uint32_t)i + 1;
    }
    mem_free(c->ntab);
    c->ntab = t;
    c->ntab_cap = cap;
    return true;
}

/* The kept copy of name, made if new. */
static const char *keep_name(srclines *c, const char *name)
{
    if ((c->nnames + 1) * 2 > c->ntab_cap && (c->nnames >= UINT32_MAX / 2 || !ntab_grow(c)))
        return NULL;
    size_t mask = c->ntab_cap - 1, j = name_hash(name) & mask;
    for (; c->ntab[j]; j = (j + 1) & mask)
        if (strcmp(c->names[c->ntab[j] - 1], name) == 0)
            return c->names[c->ntab[j] - 1];
    if (c->nnames == c->capnames) {
        size_t cap = c->capnames ? c->capnames * 2 : 16;
        char **grown = mem_realloc(c->names, cap * sizeof *grown);
        if (!grown)
            return NULL;
        c->names = grown;
        c->capnames = cap;
    }
    char *copy = mem_strdup(name);
    if (copy) {
        c->names[c->nnames++] = copy;
        c->ntab[j] = (uint32_t)c->nnames;
    }
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

/* Query q lies in the n inlined functions f[]: they join frames[], their
 * strings the kept names. */
static void on_inline(void *ctx, size_t q, const dwarfinline_frame *f, size_t n)
{
    lookup *l = ctx;
    srclines *c = l->c;
    if (n > UINT32_MAX || c->nframes + n < n)
        return;
    if (c->nframes + n > c->capframes) {
        size_t cap = c->capframes ? c->capframes : 64;
        while (cap < c->nframes + n)
            cap *= 2;
        symbols_frame *grown = mem_realloc(c->frames, cap * sizeof *grown);
        if (!grown) {
            l->oom = true;
            return;
        }
        c->frames = grown;
        c->capframes = cap;
    }
    for (size_t k = 0; k < n; k++) {
        const char *name = keep_name(c, f[k].name);
        const char *file = f[k].file ? keep_name(c, f[k].file) : NULL;
        /* Mostly a file kept already (a header's, the unit's source). */
        const char *decl = f[k].decl_file ? keep_name(c, f[k].decl_file) : NULL;
        if (!name || (f[k].file && !file) || (f[k].decl_file && !decl)) {
            l->oom = true;
            return;
        }
        c->frames[c->nframes + k] = (symbols_frame){ name, file, f[k].line, decl };
    }
    l->got[q].inl = c->nframes;
    l->got[q].ninl = (uint32_t)n;
    c->nframes += n;
}

/* Whether query q's address has a file: .debug_line is read first
 * (scan_file), so its innermost inlined function needs no decl file. */
static bool on_placed(void *ctx, size_t q)
{
    const lookup *l = ctx;
    return l->got[q].file != NULL;
}

/* Query q lies in the function named name (srclines_file.funcs). */
static void on_func(void *ctx, size_t q, const char *name)
{
    lookup *l = ctx;
    if (!(l->got[q].func = keep_name(l->c, name)))
        l->oom = true;
}

static void add_unit(lookup *l, unit_index *x, uint64_t off, uint64_t lo, uint64_t hi)
{
    if (lo >= hi)
        return; /* no code: it answers nothing, now or later */
    if (x->nunits == x->capunits) {
        size_t cap = x->capunits ? x->capunits * 2 : 64;
        unit_rng *grown = mem_realloc(x->units, cap * sizeof *grown);
        if (!grown) {
            l->oom = true;
            return;
        }
        x->units = grown;
        x->capunits = cap;
    }
    x->units[x->nunits++] = (unit_rng){ off, lo, hi };
}

static void on_line_unit(void *ctx, uint64_t off, uint64_t lo, uint64_t hi)
{
    lookup *l = ctx;
    add_unit(l, &l->c->lines, off, lo, hi);
}

static void on_info_unit(void *ctx, uint64_t off, uint64_t lo, uint64_t hi)
{
    lookup *l = ctx;
    add_unit(l, &l->c->infos, off, lo, hi);
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
    size_t a = sort_lower_bound(miss, n, lo);
    return a < n && miss[a] < hi;
}

/* The units of index x whose code holds one of miss[0..n), into *units
 * (for mem_free).  false: out of memory. */
static bool pick_units(const unit_index *x, const uint64_t *miss, size_t n, uint64_t **units,
                       size_t *nunits)
{
    *nunits = 0;
    if (!(*units = mem_alloc((x->nunits ? x->nunits : 1) * sizeof **units)))
        return false;
    for (size_t i = 0; i < x->nunits; i++)
        if (holds(miss, n, x->units[i].lo, x->units[i].hi))
            (*units)[(*nunits)++] = x->units[i].off;
    return true;
}

/* ---- .debug_line freed, its headers kept ----------------------------------- */

static int head_cmp(const void *pa, const void *pb)
{
    const kept_head *a = pa, *b = pb;
    return (a->off > b->off) - (a->off < b->off);
}

/* Plans l->heads: the header of each line unit the index says holds a
 * query (the bytes dwarfline_files_open reads of it), from the inflated
 * .debug_line.  A compile unit's DW_AT_stmt_list names the line unit of
 * its own code: these are the tables the queries' inlined frames name
 * their call files (and most decl files) through.  A file named through
 * another unit's (a far unit's decl file, or a compile unit whose line
 * unit holds no query: an address without a row) is not named once
 * .debug_line is freed, as when it is declined. */
static void plan_heads(lookup *l)
{
    uint64_t *units;
    size_t n, nheads = 0;
    l->heads.planned = true;
    if (!pick_units(&l->c->lines, l->miss, l->nmiss, &units, &n)) {
        l->oom = true;
        return;
    }
    kept_head *heads = n ? mem_alloc(n * sizeof *heads) : NULL;
    if (n && !heads) {
        mem_free(units);
        l->oom = true;
        return;
    }
    dwarfline_src src = { &l->file, sec_read, { 0 } };
    memcpy(src.size, l->file.f.size, sizeof src.size);
    uint64_t size = src.size[DWARFLINE_LINE], total = 0;
    for (size_t k = 0; k < n; k++) {
        uint64_t len;
        if (units[k] >= size)
            continue;
        uint64_t left = size - units[k];
        /* One whose header cannot be read keeps the bytes
         * dwarfline_files_open peeks at: it fails on them as on the whole
         * section, not as a read left out for room (read_heads). */
        if (!dwarfline_files_extent(&src, units[k], &len) || len < DWARFLINE_FILES_PEEK)
            len = left < DWARFLINE_FILES_PEEK ? left : DWARFLINE_FILES_PEEK;
        heads[nheads++] = (kept_head){ units[k], len, 0 };
    }
    mem_free(units);
    sort_array(heads, nheads, sizeof *heads, head_cmp);
    for (size_t k = 0; k < nheads; k++) {
        heads[k].at = (size_t)total;
        total += heads[k].len;
    }
    l->heads.at = heads;
    l->heads.n = nheads;
    l->heads.nbytes = total;
}

/* The bytes freeing the file's inflated .debug_line would give back: its
 * size less the heads kept of it; 0 when it cannot be freed (its rows not
 * all read yet, not inflated) or the heads would not fit beside it while
 * they are copied. */
static uint64_t lines_room(lookup *l)
{
    const fileview *v = &l->file;
    if (!l->inlining || l->lines_freed || !v->inflated[DWARFLINE_LINE])
        return 0;
    if (!l->heads.planned)
        plan_heads(l);
    uint64_t size = v->f.size[DWARFLINE_LINE], kept = l->heads.nbytes;
    if (l->oom || kept >= size || l->ninflated > SRCLINES_INFLATE_MAX ||
        kept > SRCLINES_INFLATE_MAX - l->ninflated)
        return 0;
    return size - kept;
}

/* Frees the file's inflated .debug_line (lines_room said it can be),
 * its heads copied first: the inlined frames name call files from
 * them, and the room goes to the sections of .debug_info. */
static void free_lines(lookup *l)
{
    fileview *v = &l->file;
    if (l->heads.nbytes && !(l->heads.bytes = mem_alloc((size_t)l->heads.nbytes))) {
        l->oom = true;
        return;
    }
    for (size_t k = 0; k < l->heads.n; k++)
        memcpy(l->heads.bytes + l->heads.at[k].at, v->inflated[DWARFLINE_LINE] + l->heads.at[k].off,
               (size_t)l->heads.at[k].len);
    mem_free(v->inflated[DWARFLINE_LINE]);
    v->inflated[DWARFLINE_LINE] = NULL;
    l->ninflated -= v->f.size[DWARFLINE_LINE] - l->heads.nbytes;
    l->lines_freed = true;
}

/* Whether a line unit with code starts at off of .debug_line (the
 * index's, which scan_lines made or used on it). */
static bool line_unit_at(const srclines *c, uint64_t off)
{
    for (size_t k = 0; k < c->lines.nunits; k++)
        if (c->lines.units[k].off == off)
            return true;
    return false;
}

/* Bytes [off, off + len) of the freed .debug_line, from a kept header;
 * false for others: the file names they hold are not given, said as a
 * section declined is (srclines_declined) where a line unit's header
 * was left out for room, not where no unit starts (a corrupt
 * DW_AT_stmt_list, which the whole section fails on too). */
static bool read_heads(lookup *l, uint64_t off, void *dst, size_t len)
{
    size_t lo = 0, hi = l->heads.n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->heads.at[mid].off <= off)
            lo = mid + 1;
        else
            hi = mid;
    }
    const kept_head *h = lo ? &l->heads.at[lo - 1] : NULL;
    if (h && off - h->off <= h->len && len <= h->len - (off - h->off)) {
        memcpy(dst, l->heads.bytes + h->at + (off - h->off), len);
        return true;
    }
    if (line_unit_at(l->c, off))
        l->c->declined = true;
    return false;
}

/* Ends full scan x with err: its index is complete when the units it
 * reported are all the units there are: no out-of-memory, and none of the
 * sections mask names (dwarfline.h's DWARFLINE_UNIT_SECS, dwarfinline.h's)
 * declined for room this time.  A unit whose range went unread so is not
 * reported; taken as complete, the index would send no later lookup to
 * it, and its lines, inlined frames and function names would be lost
 * while the cache lives, though a later lookup may have the room (one
 * that reads no line unit, or after a release).  Left incomplete, the
 * next lookup scans every unit again, if it has the room (full_scan).  A
 * section over the cap alone, or corrupt, is never read: it leaves the
 * index complete, or every lookup would rescan the file for nothing. */
static void index_done(lookup *l, unit_index *x, int err, unsigned mask)
{
    bool again = x->partial;
    x->needs |= l->file.read & mask;
    x->partial = !err && !l->oom && (l->file.later & mask);
    x->indexed = !err && !l->oom && !(l->file.later & mask);
    x->stuck = x->partial && again;
}



/* Whether lookup l scans every unit of x (else only those its index
 * picks).  An index left partial by a section declined for room is
 * completed by a lookup with room for every compressed section of the
 * mask full scans read (x->needs) beside those inflated already
 * (.debug_line is freed before, where they do not fit beside it,
 * lines_for_inlines): one with less would decline one of them again,
 * and inflate the others for
 * nothing (.debug_line 14 MiB, .debug_info 12, .debug_abbrev 8: each
 * lookup of an address with lines inflated .debug_info, then declined
 * .debug_abbrev).  It reads the units the partial index holds, as a
 * complete one's.  The count is a floor: a scan also walks the units
 * that hold its queries as it goes, whose names, call files and string
 * offsets (and the supplementary file's) take room before a later unit's
 * range is read.  A rescan that had the room by this count and still
 * ended partial is therefore not tried again (stuck): at most one rescan
 * for nothing in any layout (a review's: .debug_info 10 MiB, .debug_str 8,
 * .debug_ranges 8, .debug_rnglists 10, each lookup of the first unit
 * inflated .debug_ranges again). */
static bool full_scan(const lookup *l, const unit_index *x)
{
    if (x->indexed || x->stuck)
        return false;
    if (!x->partial)
        return true;
    const fileview *v = &l->file;
    uint64_t used = l->ninflated;
    for (int s = 0; s < DWARFINLINE_NSECS; s++) {
        uint64_t size = v->f.size[s];
        /* One over the cap alone is never inflated: it takes no room. */
        if (!(x->needs >> s & 1) || v->f.kind[s] == ZSEC_PLAIN || v->inflated[s] ||
            size > SRCLINES_INFLATE_MAX)
            continue;
        if (used > SRCLINES_INFLATE_MAX || size > SRCLINES_INFLATE_MAX - used)
            return false;
        used += size;
    }
    return true;
}

/* The lines of miss[0..n), through the units .debug_line's index picks,
 * or all of them the first time (which makes the index). */
static int scan_lines(lookup *l, size_t n)
{
    unit_index *x = &l->c->lines;
    dwarfline_src src = { &l->file, sec_read, { 0 } };
    memcpy(src.size, l->file.f.size, sizeof src.size);
    if (src.size[DWARFLINE_LINE] > SRCLINES_SECTION_MAX)
        return 0; /* too large to read on each first profile: no lines */
    if (full_scan(l, x)) {
        dwarfline_sink sink = { l, on_found, on_line_unit };
        x->nunits = 0;
        int err = dwarfline_scan(&src, l->miss, n, NULL, 0, &sink);
        index_done(l, x, err, DWARFLINE_UNIT_SECS);
        return err;
    }
    uint64_t *units;
    size_t nunits;
    dwarfline_sink sink = { l, on_found, NULL };
    int err = !pick_units(x, l->miss, n, &units, &nunits) ? ENOMEM
              : nunits ? dwarfline_scan(&src, l->miss, n, units, nunits, &sink)
                       : 0;
    mem_free(units);
    return err;
}

/* Frees the file's .debug_line, but for the heads (free_lines), before
 * the inline scan reads a section, when the compressed sections it needs
 * (those of the mask x's full scans read; before any, those of
 * DWARFINLINE_UNIT_SECS) do not fit beside those inflated: then the copy
 * of the heads is made beside .debug_line alone, and full_scan counts the
 * room the scan has.  Freed only on a section's read (sec_read), it was
 * made beside .debug_info too, and left no room for the heads where
 * full_scan had counted them in (.debug_line 14 MiB with an 8 MiB header,
 * .debug_info 12, .debug_abbrev 8: .debug_abbrev declined, the index left
 * partial, rescanned for nothing and stuck). */
static void lines_for_inlines(lookup *l, const unit_index *x)
{
    /* .debug_info and .debug_abbrev always: a scan that declined
     * .debug_info never read .debug_abbrev, and the count without it let
     * the next lookup free .debug_line for .debug_info and decline
     * .debug_abbrev (.debug_line 14 MiB with a 7 MiB header, .debug_info
     * 20, .debug_abbrev 8: the index stuck, f never named). */
    l->want = x->needs ? x->needs | 1u << DWARFINLINE_INFO | 1u << DWARFINLINE_ABBREV
                       : DWARFINLINE_UNIT_SECS;
    uint64_t want = want_bytes(l);
    if (l->ninflated <= SRCLINES_INFLATE_MAX && want <= SRCLINES_INFLATE_MAX - l->ninflated)
        return;
    /* Only where they then fit: else one is declined anyway, and the free
     * was for nothing (.debug_line 14 MiB with a 13 MiB header,
     * .debug_info 12, .debug_abbrev 8: each lookup in a hold inflated
     * .debug_line again, where none was freed before). */
    uint64_t gain = lines_room(l);
    if (gain && want <= SRCLINES_INFLATE_MAX - (l->ninflated - gain))
        free_lines(l);
}

/* The bytes of the compressed sections of l->want the file's view has not
 * tried to inflate yet (one over the cap alone never is). */
static uint64_t want_bytes(const lookup *l)
{
    const fileview *v = &l->file;
    uint64_t want = 0;
    for (int s = 0; s < DWARFINLINE_NSECS; s++) {
        uint64_t size = v->f.size[s];
        if ((l->want >> s & 1) && v->f.kind[s] != ZSEC_PLAIN && !v->tried[s] &&
            size <= SRCLINES_INFLATE_MAX)
            want += size;
    }
    return want;
}

/* Frees the sections held from the lookup before (view_open) that this
 * one has not read, where that makes the room for .debug_line's size
 * bytes: they are only a cache, inflated again if read, while the
 * declined .debug_line lost an address's file and line for good (a
 * lookup of an address without lines held .debug_info and .debug_abbrev,
 * 20 MiB, and the next one, with lines, declined .debug_line's 14).  The
 * inline scan after may then decline one of them, where .debug_line's
 * kept headers leave it no room: a file:line is worth more than the
 * DWARF function name, which the ELF symbol table usually gives anyway.
 * Called for the rows only (before the inline scan, !l->inlining). */
static void drop_unread_held(lookup *l, uint64_t size)
{
    fileview *views[] = { &l->file, &l->alt };
    uint64_t drop = 0;
    for (size_t k = 0; k < 2; k++)
        for (int s = 0; s < DWARFINLINE_NSECS; s++)
            if ((views[k]->held & ~views[k]->read) >> s & 1)
                drop += views[k]->f.size[s];
    if (l->ninflated > SRCLINES_INFLATE_MAX || drop > l->ninflated ||
        size > SRCLINES_INFLATE_MAX - (l->ninflated - drop))
        return;
    for (size_t k = 0; k < 2; k++) {
        fileview *v = views[k];
        for (int s = 0; s < DWARFINLINE_NSECS; s++) {
            if (!((v->held & ~v->read) >> s & 1))
                continue;
            mem_free(v->inflated[s]);
            v->inflated[s] = NULL;
            v->tried[s] = false;
            v->held &= ~(1u << s);
            l->ninflated -= v->f.size[s];
        }
    }
}

static void view_open(lookup *l, fileview *v, const srclines_file *f, held_sec *held);

/* Closes the .dwo open (split_src): its sections inflated leave the
 * lookup's count. */
static void close_dwo(lookup *l)
{
    if (!l->dwo_open)
        return;
    for (int s = 0; s < DWARFINLINE_NSECS; s++) {
        if (l->dwo.inflated[s]) {
            mem_free(l->dwo.inflated[s]);
            l->ninflated -= l->dwo.f.size[s];
        }
    }
    l->file.orig->close_split(l->file.orig->sctx);
    l->dwo_open = false;
}

/* Remembers the .dwo path of hash h as one not to open again. */
static void split_missing(lookup *l, uint64_t h)
{
    srclines *c = l->c;
    if (!c->split_miss && !(c->split_miss = mem_alloc(SRCLINES_SPLIT_MISSES * sizeof h)))
        l->oom = true;
    else if (c->nsplit_miss < SRCLINES_SPLIT_MISSES)
        c->split_miss[c->nsplit_miss++] = h;
}

/* dwarfinline_src.split: the sections of the .dwo at path, read through a
 * view of this lookup (sec_read: a -gz one is inflated within
 * SRCLINES_INFLATE_MAX with the rest), or NULL: no opener, a path
 * remembered missing, SRCLINES_SPLIT_OPENS opened already (dwo_again:
 * the next lookup opens it), or it cannot be opened (remembered when not
 * there for good; out of memory: the lookup records nothing). */
static const dwarfinline_src *split_src(void *ctx, const char *path)
{
    fileview *v = ctx;
    lookup *l = v->l;
    srclines *c = l->c;
    l->dwo_again = false;
    if (v != &l->file || !v->orig->open_split)
        return NULL;
    uint64_t h = hp_hash_str(path);
    l->dwo_hash = h;
    for (size_t k = 0; k < c->nsplit_miss; k++)
        if (c->split_miss[k] == h)
            return NULL;
    close_dwo(l);
    if (l->nsplit >= SRCLINES_SPLIT_OPENS) {
        l->dwo_again = true;
        return NULL;
    }
    l->nsplit++;
    int st = v->orig->open_split(v->orig->sctx, path, &l->dwof);
    if (st != SRCLINES_SPLIT_OPENED) {
        if (st == SRCLINES_SPLIT_NONE)
            split_missing(l, h);
        l->oom |= st == SRCLINES_SPLIT_OOM;
        return NULL;
    }
    l->dwo_open = true;
    held_sec none[DWARFINLINE_NSECS] = { { NULL, 0, 0, 0 } };
    view_open(l, &l->dwo, &l->dwof, none);
    l->dwosrc = (dwarfinline_src){ &l->dwo, sec_read, { 0 }, NULL, NULL, NULL };
    memcpy(l->dwosrc.size, l->dwo.f.size, sizeof l->dwosrc.size);
    return &l->dwosrc;
}

/* dwarfinline_src.split_again: the split unit split_src was last asked for
 * is done with.  A .dwo of another build is remembered as a missing one
 * (its path names that build's file until a rebuild, which makes another
 * binary, and another cache); not one a section of which was declined
 * (dwo_again), as its unit may not have been found for that. */
static bool split_again(void *ctx, bool other_build)
{
    const fileview *v = ctx;
    lookup *l = v->l;
    if (other_build && !l->dwo_again)
        split_missing(l, l->dwo_hash);
    return l->dwo_again;
}

static void on_later(void *ctx, size_t q)
{
    lookup *l = ctx;
    l->later[q] = true;
}

/* The inlined functions of miss[0..n), as scan_lines goes. */
static int scan_inlines(lookup *l, size_t n)
{
    unit_index *x = &l->c->infos;
    dwarfinline_src alt = { &l->alt, sec_read, { 0 }, NULL, NULL, NULL };
    dwarfinline_src src = { &l->file, sec_read, { 0 }, l->alt.orig ? &alt : NULL, split_src,
                            split_again };
    memcpy(src.size, l->file.f.size, sizeof src.size);
    memcpy(alt.size, l->alt.f.size, sizeof alt.size);
    if (!src.size[DWARFINLINE_INFO] || !src.size[DWARFINLINE_ABBREV])
        return 0;
    bool (*placed)(void *, size_t) = l->file.f.decls ? NULL : on_placed;
    lines_for_inlines(l, x);
    if (full_scan(l, x)) {
        dwarfinline_sink sink = { l, on_inline, on_info_unit, NULL,
                                  l->file.f.funcs ? on_func : NULL, placed, on_later };
        x->nunits = 0;
        int err = dwarfinline_scan(&src, l->miss, n, NULL, 0, &sink);
        index_done(l, x, err, DWARFINLINE_UNIT_SECS);
        return err;
    }
    uint64_t *units;
    size_t nunits;
    dwarfinline_sink sink = { l, on_inline, NULL, NULL, l->file.f.funcs ? on_func : NULL, placed,
                              on_later };
    int err = !pick_units(x, l->miss, n, &units, &nunits) ? ENOMEM
              : nunits ? dwarfinline_scan(&src, l->miss, n, units, nunits, &sink)
                       : 0;
    mem_free(units);
    return err;
}

/* v, a view of file f for lookup l: a compressed section's size is its
 * header's (inflated on first read, sec_read; one whose stream falls
 * short reads as absent).  A section held from the lookup before
 * (held[], srclines_hold) is taken where it is the same one, and counts
 * against the cap as if inflated here; held[] is left empty. */
static void view_open(lookup *l, fileview *v, const srclines_file *f, held_sec *held)
{
    *v = (fileview){ .l = l, .orig = f, .f = *f };
    for (int s = 0; s < DWARFINLINE_NSECS; s++) {
        uint64_t whole = 0;
        held_sec h = held[s];
        held[s] = (held_sec){ NULL, 0, 0, 0 };
        if (f->kind[s] != ZSEC_PLAIN) {
            if (!f->size[s] ||
                zsec_size(f->read, f->ctx, f->kind[s], f->off[s], f->size[s], &whole))
                whole = 0;
            v->f.size[s] = whole;
        }
        if (h.bytes && whole && h.off == f->off[s] && h.size == f->size[s] && h.whole == whole) {
            v->inflated[s] = h.bytes;
            v->tried[s] = true;
            v->held |= 1u << s;
            l->ninflated += whole;
        } else {
            mem_free(h.bytes);
        }
    }
}

static void drop_held(held_sec *held)
{
    for (int s = 0; s < DWARFINLINE_NSECS; s++) {
        mem_free(held[s].bytes);
        held[s] = (held_sec){ NULL, 0, 0, 0 };
    }
}

/* The sections v inflated: into held[] when keep, else freed. */
static void view_close(fileview *v, held_sec *held, bool keep)
{
    for (int s = 0; s < DWARFINLINE_NSECS; s++) {
        if (keep && v->inflated[s])
            held[s] = (held_sec){ v->inflated[s], v->orig->off[s], v->orig->size[s],
                                  v->f.size[s] };
        else
            mem_free(v->inflated[s]);
    }
}

/* Scans the file for miss[0..n), answers into got[].  0 or ENOMEM. */
static int scan_file(lookup *l, const srclines_file *f, size_t n)
{
    srclines *c = l->c;
    view_open(l, &l->file, f, c->held[0]);
    if (f->alt)
        view_open(l, &l->alt, f->alt, c->held[1]);
    else
        drop_held(c->held[1]); /* what is held counts against the cap */
    int err = scan_lines(l, n);
    l->inlining = true;
    if (!err && !l->oom)
        err = scan_inlines(l, n);
    close_dwo(l);
    if (l->dwo_room)
        c->split_room_tried = true;
    /* One that freed .debug_line holds nothing: the next one with lines
     * reads the rows first, and the sections of .debug_info held would
     * leave them no room (they did not fit together): it would drop them
     * (drop_unread_held).  Nor does one that ran out of memory: a step
     * that failed may have left what it would have freed (such as
     * .debug_line, where freeing it for the scan failed), and held, that
     * leaves no later lookup in the hold the room for .debug_info: none
     * names a function until the release. */
    bool keep = c->hold && !l->lines_freed && !l->oom;
    view_close(&l->file, c->held[0], keep);
    view_close(&l->alt, c->held[1], keep);
    mem_free(l->heads.at);
    mem_free(l->heads.bytes);
    return err ? err : l->oom ? ENOMEM : 0;
}

static symbols_line answer(const srclines *c, const memo_ent *e)
{
    return (symbols_line){ e->file, e->line, e->ninl, e->ninl ? c->frames + e->inl : NULL, e->func };
}

/* Adds the n answers got[] to the memo, keeping it sorted, but for
 * those later[] marks (left to the next lookup).  got[] is compacted. */
static bool remember(srclines *c, memo_ent *got, const bool *later, size_t n)
{
    size_t kept = 0;
    for (size_t q = 0; q < n; q++)
        if (!later[q])
            got[kept++] = got[q];
    n = kept;
    if (!n)
        return true;
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

void srclines_hold(srclines *c) { c->hold = true; }

void srclines_release(srclines *c)
{
    drop_held(c->held[0]);
    drop_held(c->held[1]);
    c->hold = false;
}

bool srclines_declined_split(const srclines *c) { return c->declined_split; }

bool srclines_declined(srclines *c)
{
    if (!c->declined || c->said)
        return false;
    c->said = true;
    return true;
}

int srclines_lookup(srclines *c, const srclines_file *f, const uint64_t *vaddrs, size_t n,
                    symbols_line *out)
{
    size_t nmiss = 0;
    for (size_t k = 0; k < n; k++) {
        const memo_ent *e = memo_find(c, vaddrs[k]);
        out[k] = e ? answer(c, e) : (symbols_line){ NULL, 0, 0, NULL, NULL };
        nmiss += !e && (k == 0 || vaddrs[k] != vaddrs[k - 1]);
    }
    if (!nmiss)
        return 0;
    uint64_t *miss = mem_alloc(nmiss * sizeof *miss);
    memo_ent *got = mem_calloc(nmiss, sizeof *got);
    bool *later = mem_calloc(nmiss, sizeof *later);
    int err = ENOMEM;
    if (miss && got && later) {
        size_t m = 0;
        for (size_t k = 0; k < n; k++)
            if (!out[k].file && (m == 0 || miss[m - 1] != vaddrs[k]) && !memo_find(c, vaddrs[k]))
                miss[m++] = vaddrs[k];
        for (size_t q = 0; q < m; q++)
            got[q].vaddr = miss[q];
        lookup l = { .c = c, .miss = miss, .nmiss = m, .got = got, .later = later };
        size_t nframes = c->nframes;
        err = scan_file(&l, f, m);
        /* The scan may have moved frames[]: every answer is made anew. */
        for (size_t k = 0, q = 0; k < n; k++) {
            while (q < m && miss[q] < vaddrs[k])
                q++;
            const memo_ent *e = q < m && miss[q] == vaddrs[k] ? &got[q] : memo_find(c, vaddrs[k]);
            if (e)
                out[k] = answer(c, e);
        }
        if (!err && !remember(c, got, later, m))
            err = ENOMEM;
        /* Frames of answers not remembered are dropped (their bytes stay
         * until the next lookup, as out[] promises). */
        if (err)
            c->nframes = nframes;
    }
    mem_free(miss);
    mem_free(got);
    mem_free(later);
    return err;
}

/*
 * pprof.c - see pprof.h.
 *
 * Data model.  Encoding happens in two phases over one `builder`:
 *
 *  1. Interning.  Every string, function and location gets a dense index in
 *     first-seen order, found again through open-addressing hash tables:
 *       strs[]      the string table; strs[0] is "".  Entries are borrowed
 *                   pointers (symbol names, mapping paths, the caller's
 *                   comments) that stay valid until the encode returns.
 *       str_func[]  per string, the id of the Function named by it (0: none),
 *                   so deduplicating functions by name costs no second table.
 *       funcs[]     per Function (id = index + 1), the string index of its name.
 *       locs[]      per Location (id = index + 1): address, mapping id, and
 *                   function id (0: unknown name, the Location gets no Line).
 *       ids[]       all samples' location ids back to back, sample i owning
 *                   samples[i].depth entries starting where sample i-1 ended.
 *     Mapping ids are the symbol source's mapping indices + 1; its mappings
 *     are sorted and disjoint, so one binary search finds an address's.
 *
 *  2. Viewing.  Only once interning is complete (and the arrays above stop
 *     moving) are the protobuf-c structs built, each kind in one bulk array
 *     with a parallel array of pointers, because protobuf-c wants `T **`.
 *     They point into the interning arrays and into the caller's sample
 *     values, which are read but never written through.
 *
 * Invariants: hash tables are powers of two, at most half full, and hold
 * index + 1 (0 marks an empty slot).  Every allocation is owned by the builder
 * and released by builder_free, so each error path is a plain return.
 *
 * pprof_write_gz never holds the whole serialized profile: protobuf-c packs
 * into a ProtobufCBuffer whose append callback stages bytes into a fixed
 * buffer and feeds full chunks to deflate, which writes straight to the fd.
 */
#include "pprof.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "fault.h"
#include "profile.pb-c.h"

typedef Perftools__Profiles__Profile pb_profile;
typedef Perftools__Profiles__ValueType pb_value_type;
typedef Perftools__Profiles__Sample pb_sample;
typedef Perftools__Profiles__Mapping pb_mapping;
typedef Perftools__Profiles__Location pb_location;
typedef Perftools__Profiles__Line pb_line;
typedef Perftools__Profiles__Function pb_function;
typedef Perftools__Profiles__Label pb_label;

enum {
    TABLE_MIN = 1024,   /* first hash table size, slots */
    GZ_IN = 64 * 1024,  /* staging buffer in front of deflate */
    GZ_OUT = 64 * 1024, /* deflate output, written per fill */
};

typedef struct loc_rec {
    uint64_t addr;
    uint32_t mapping_id;
    uint32_t func_id;
} loc_rec;

typedef struct str_slot {
    uint32_t hash; /* kept so most mismatches and every rehash skip strcmp/rehashing */
    uint32_t idx1;
} str_slot;

typedef struct loc_slot {
    uint64_t addr;
    uint64_t idx1;
} loc_slot;

typedef struct builder {
    const pprof_profile *p;

    char **strs;         /* borrowed; protobuf-c wants char **, never writes */
    uint32_t *str_func;
    size_t nstrs, strs_cap, str_func_cap;
    str_slot *stab;
    size_t stab_cap;

    uint32_t *funcs;
    size_t nfuncs, funcs_cap;

    loc_rec *locs;
    size_t nlocs, locs_cap;
    loc_slot *ltab;
    size_t ltab_cap;

    const hp_mapping **maps;
    int64_t (*map_strs)[2]; /* per mapping: path and build-id string indices */
    size_t nmaps;

    uint64_t *ids;
    size_t nlabels;          /* all samples' labels, back to back in pb_labels */
    int64_t *comments;
    int64_t type_str[PPROF_NVALUES], unit_str[PPROF_NVALUES];
    int64_t space_str, bytes_str;

    /* phase 2: the protobuf-c view */
    pb_profile msg;
    pb_value_type vtypes[PPROF_NVALUES + 1];
    pb_value_type *vtype_ptrs[PPROF_NVALUES];
    pb_sample *pb_samples;
    pb_sample **pb_sample_ptrs;
    pb_mapping *pb_maps;
    pb_mapping **pb_map_ptrs;
    pb_location *pb_locs;
    pb_location **pb_loc_ptrs;
    pb_line *pb_lines;
    pb_line **pb_line_ptrs;
    pb_function *pb_funcs;
    pb_function **pb_func_ptrs;
    pb_label *pb_labels;
    pb_label **pb_label_ptrs;
} builder;

/* ---- memory -------------------------------------------------------------- */

static void *alloc_array(size_t n, size_t size)
{
    size_t bytes;
    if (__builtin_mul_overflow(n, size, &bytes))
        return NULL;
    return fault_malloc(bytes ? bytes : 1);
}

static void *zalloc_array(size_t n, size_t size)
{
    return fault_calloc(n ? n : 1, size);
}

/* A doubled copy of a full growable array, or NULL (the old one intact).
 * *cap is updated only on success. */
static void *grow_array(void *arr, size_t *cap, size_t size)
{
    size_t ncap = *cap ? *cap * 2 : 64;
    size_t bytes;
    if (ncap < *cap || __builtin_mul_overflow(ncap, size, &bytes))
        return NULL;
    void *a = fault_realloc(arr, bytes);
    if (a)
        *cap = ncap;
    return a;
}

/* Makes element n of a growable array addressable; yields ENOMEM on failure.
 * A macro so each array keeps its own type (no void ** punning). */
#define RESERVE(arr, cap, n)                                                   \
    do {                                                                       \
        if ((n) >= (cap)) {                                                    \
            void *grown_ = grow_array((arr), &(cap), sizeof *(arr));           \
            if (!grown_)                                                       \
                return ENOMEM;                                                 \
            (arr) = grown_;                                                    \
        }                                                                      \
    } while (0)

static void builder_free(builder *b)
{
    free(b->strs);
    free(b->str_func);
    free(b->stab);
    free(b->funcs);
    free(b->locs);
    free(b->ltab);
    free(b->maps);
    free(b->map_strs);
    free(b->ids);
    free(b->pb_labels);
    free(b->pb_label_ptrs);
    free(b->comments);
    free(b->pb_samples);
    free(b->pb_sample_ptrs);
    free(b->pb_maps);
    free(b->pb_map_ptrs);
    free(b->pb_locs);
    free(b->pb_loc_ptrs);
    free(b->pb_lines);
    free(b->pb_line_ptrs);
    free(b->pb_funcs);
    free(b->pb_func_ptrs);
}

/* ---- hashing ------------------------------------------------------------- */

/* Addresses share their high bits and alignment, so mix them fully before
 * masking (the murmur3 finalizer). */
static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static inline uint32_t hash_str(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return (uint32_t)mix64(h);
}

/* ---- strings and functions ----------------------------------------------- */

static int stab_grow(builder *b)
{
    size_t ncap = b->stab_cap ? b->stab_cap * 2 : TABLE_MIN;
    str_slot *t = zalloc_array(ncap, sizeof *t);
    if (!t)
        return ENOMEM;
    for (size_t i = 0; i < b->stab_cap; i++) {
        str_slot s = b->stab[i];
        if (!s.idx1)
            continue;
        size_t j = s.hash & (ncap - 1);
        while (t[j].idx1)
            j = (j + 1) & (ncap - 1);
        t[j] = s;
    }
    free(b->stab);
    b->stab = t;
    b->stab_cap = ncap;
    return 0;
}

/* The string table index of s (NULL counts as ""), added if new. */
static int intern(builder *b, const char *s, int64_t *out)
{
    if (!s || !*s) {
        *out = 0;
        return 0;
    }
    if ((b->nstrs + 1) * 2 > b->stab_cap && stab_grow(b))
        return ENOMEM;
    uint32_t h = hash_str(s);
    size_t mask = b->stab_cap - 1;
    size_t j = h & mask;
    for (; b->stab[j].idx1; j = (j + 1) & mask) {
        uint32_t idx = b->stab[j].idx1 - 1;
        if (b->stab[j].hash == h && strcmp(b->strs[idx], s) == 0) {
            *out = idx;
            return 0;
        }
    }
    if (b->nstrs >= UINT32_MAX - 1)
        return ENOMEM;
    RESERVE(b->strs, b->strs_cap, b->nstrs);
    RESERVE(b->str_func, b->str_func_cap, b->nstrs);
    b->strs[b->nstrs] = (char *)s;
    b->str_func[b->nstrs] = 0;
    b->stab[j] = (str_slot){ .hash = h, .idx1 = (uint32_t)b->nstrs + 1 };
    *out = (int64_t)b->nstrs++;
    return 0;
}

/* The Function id for a symbol name, created on first use. */
static int intern_func(builder *b, const char *name, uint32_t *out)
{
    int64_t si;
    if (intern(b, name, &si))
        return ENOMEM;
    if (!b->str_func[si]) {
        if (b->nfuncs >= UINT32_MAX - 1)
            return ENOMEM;
        RESERVE(b->funcs, b->funcs_cap, b->nfuncs);
        b->funcs[b->nfuncs++] = (uint32_t)si;
        b->str_func[si] = (uint32_t)b->nfuncs;
    }
    *out = b->str_func[si];
    return 0;
}

/* ---- mappings and locations ---------------------------------------------- */

/* Mapping id (index + 1) of the mapping containing addr, 0 when none. */
static uint32_t find_mapping(const builder *b, uint64_t addr)
{
    size_t lo = 0, hi = b->nmaps; /* first mapping starting after addr */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (b->maps[mid]->start <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || addr >= b->maps[lo - 1]->limit)
        return 0;
    return (uint32_t)lo;
}

static int ltab_grow(builder *b)
{
    size_t ncap = b->ltab_cap ? b->ltab_cap * 2 : TABLE_MIN;
    loc_slot *t = zalloc_array(ncap, sizeof *t);
    if (!t)
        return ENOMEM;
    for (size_t i = 0; i < b->ltab_cap; i++) {
        if (!b->ltab[i].idx1)
            continue;
        size_t j = mix64(b->ltab[i].addr) & (ncap - 1);
        while (t[j].idx1)
            j = (j + 1) & (ncap - 1);
        t[j] = b->ltab[i];
    }
    free(b->ltab);
    b->ltab = t;
    b->ltab_cap = ncap;
    return 0;
}

/* A new Location for addr: its mapping and, when the name is known, its
 * function. */
static int add_location(builder *b, uint64_t addr)
{
    const pprof_symbols *sy = &b->p->symbols;
    uint32_t func_id = 0;
    const char *name = sy->func_name ? sy->func_name(sy->ctx, addr) : NULL;
    if (name && *name && intern_func(b, name, &func_id))
        return ENOMEM;
    if (b->nlocs >= UINT32_MAX - 1)
        return ENOMEM;
    RESERVE(b->locs, b->locs_cap, b->nlocs);
    b->locs[b->nlocs++] = (loc_rec){
        .addr = addr, .mapping_id = find_mapping(b, addr), .func_id = func_id };
    return 0;
}

/* The Location id for a return address. */
static int intern_pc(builder *b, uint64_t pc, uint64_t *out)
{
    /* Step back into the call instruction: the return address may already
     * belong to the next line, or the next function after a noreturn call. */
    uint64_t addr = pc - 1;
    size_t mask = b->ltab_cap - 1;
    size_t j = mix64(addr) & mask;
    for (; b->ltab[j].idx1; j = (j + 1) & mask) {
        if (b->ltab[j].addr == addr) {
            *out = b->ltab[j].idx1;
            return 0;
        }
    }
    if (add_location(b, addr))
        return ENOMEM;
    b->ltab[j] = (loc_slot){ .addr = addr, .idx1 = b->nlocs };
    *out = b->nlocs;
    /* Grow after inserting so the probe above never runs on a full table. */
    if (b->nlocs * 2 > b->ltab_cap && ltab_grow(b))
        return ENOMEM;
    return 0;
}

/* ---- phase 1: interning -------------------------------------------------- */

static int intern_all(builder *b)
{
    static const char *const type_names[PPROF_NVALUES][2] = {
        { "alloc_objects", "count" }, { "alloc_space", "bytes" },
        { "inuse_objects", "count" }, { "inuse_space", "bytes" },
    };
    const pprof_profile *p = b->p;
    const pprof_symbols *sy = &p->symbols;

    /* Entry 0 is "" and never enters the hash table: intern() maps "" to 0. */
    RESERVE(b->strs, b->strs_cap, 0);
    RESERVE(b->str_func, b->str_func_cap, 0);
    b->strs[0] = (char *)"";
    b->str_func[0] = 0;
    b->nstrs = 1;
    if (stab_grow(b) || ltab_grow(b))
        return ENOMEM;

    for (int i = 0; i < PPROF_NVALUES; i++)
        if (intern(b, type_names[i][0], &b->type_str[i]) ||
            intern(b, type_names[i][1], &b->unit_str[i]))
            return ENOMEM;
    if (intern(b, "space", &b->space_str) || intern(b, "bytes", &b->bytes_str))
        return ENOMEM;

    if (!(b->comments = alloc_array(p->ncomments, sizeof *b->comments)))
        return ENOMEM;
    for (size_t i = 0; i < p->ncomments; i++)
        if (intern(b, p->comments[i], &b->comments[i]))
            return ENOMEM;

    /* Mapping strings are interned here because phase 2 must not touch the
     * string table any more: the view points at it. */
    b->nmaps = sy->mapping_count ? sy->mapping_count(sy->ctx) : 0;
    if (b->nmaps >= UINT32_MAX || !(b->maps = alloc_array(b->nmaps, sizeof *b->maps)) ||
        !(b->map_strs = alloc_array(b->nmaps, sizeof *b->map_strs)))
        return ENOMEM;
    for (size_t i = 0; i < b->nmaps; i++) {
        const hp_mapping *m = sy->mapping(sy->ctx, i);
        if (!m)
            return EINVAL;
        b->maps[i] = m;
        if (intern(b, m->path, &b->map_strs[i][0]) ||
            intern(b, m->build_id, &b->map_strs[i][1]))
            return ENOMEM;
    }

    size_t total = 0;
    for (size_t i = 0; i < p->nsamples; i++)
        if (__builtin_add_overflow(total, (size_t)p->samples[i].depth, &total))
            return ENOMEM;
    if (!(b->ids = alloc_array(total, sizeof *b->ids)))
        return ENOMEM;
    uint64_t *id = b->ids;
    for (size_t i = 0; i < p->nsamples; i++) {
        const pprof_sample *s = &p->samples[i];
        for (uint32_t k = 0; k < s->depth; k++)
            if (intern_pc(b, s->pcs[k], id++))
                return ENOMEM;
    }

    /* Label messages hold string indices, not pointers, so they can be
     * built now, once, rather than noted here and copied in phase 2. */
    size_t nl = 0;
    for (size_t i = 0; i < p->nsamples; i++)
        nl += p->samples[i].nlabels;
    if (!(b->pb_labels = alloc_array(nl, sizeof *b->pb_labels)))
        return ENOMEM;
    b->nlabels = nl;
    /* Labels repeat a handful of strings (the same key and unit pointers on
     * every sample): a pointer-keyed memo in front of intern() spares a
     * hash and a strcmp per string, millions of them for 100k stacks. */
    struct { const char *p; int64_t idx; } memo[64] = {{0}};
#define INTERN_MEMO(str, out)                                                  \
    do {                                                                       \
        const char *s_ = (str);                                                \
        size_t h_ = ((uintptr_t)s_ >> 3) & 63;                                 \
        if (memo[h_].p != s_ || !s_) {                                         \
            if (intern(b, s_, &memo[h_].idx))                                  \
                return ENOMEM;                                                 \
            memo[h_].p = s_;                                                   \
        }                                                                      \
        (out) = memo[h_].idx;                                                  \
    } while (0)
    pb_label *pl = b->pb_labels;
    for (size_t i = 0; i < p->nsamples; i++) {
        const pprof_sample *s = &p->samples[i];
        for (uint32_t k = 0; k < s->nlabels; k++, pl++) {
            const pprof_label *l = &s->labels[k];
            perftools__profiles__label__init(pl);
            INTERN_MEMO(l->key, pl->key);
            if (l->str) {
                INTERN_MEMO(l->str, pl->str);
            } else {
                pl->num = l->num;
                INTERN_MEMO(l->num_unit, pl->num_unit);
            }
        }
    }
#undef INTERN_MEMO
    return 0;
}

/* ---- phase 2: the protobuf-c view ---------------------------------------- */

/* Allocates a bulk array of n messages and its array of pointers. */
#define ALLOC_MSGS(arr, ptrs, n)                                               \
    do {                                                                       \
        if (!((arr) = alloc_array((n), sizeof *(arr))) ||                      \
            !((ptrs) = alloc_array((n), sizeof *(ptrs))))                      \
            return ENOMEM;                                                     \
    } while (0)

static int build_view(builder *b)
{
    const pprof_profile *p = b->p;
    pb_profile *m = &b->msg;
    perftools__profiles__profile__init(m);

    for (int i = 0; i <= PPROF_NVALUES; i++)
        perftools__profiles__value_type__init(&b->vtypes[i]);
    for (int i = 0; i < PPROF_NVALUES; i++) {
        b->vtypes[i].type = b->type_str[i];
        b->vtypes[i].unit = b->unit_str[i];
        b->vtype_ptrs[i] = &b->vtypes[i];
    }
    m->n_sample_type = PPROF_NVALUES;
    m->sample_type = b->vtype_ptrs;
    b->vtypes[PPROF_NVALUES].type = b->space_str;
    b->vtypes[PPROF_NVALUES].unit = b->bytes_str;
    m->period_type = &b->vtypes[PPROF_NVALUES];
    m->period = p->period;
    m->default_sample_type = b->type_str[p->default_alloc ? 1 : 3]; /* alloc_space : inuse_space */
    m->time_nanos = p->time_nanos;
    m->duration_nanos = p->duration_nanos;
    m->n_comment = p->ncomments;
    m->comment = b->comments;
    m->n_string_table = b->nstrs;
    m->string_table = b->strs;

    ALLOC_MSGS(b->pb_samples, b->pb_sample_ptrs, p->nsamples);
    if (!(b->pb_label_ptrs = alloc_array(b->nlabels, sizeof *b->pb_label_ptrs)))
        return ENOMEM;
    uint64_t *ids = b->ids;
    size_t li = 0;
    for (size_t i = 0; i < p->nsamples; i++) {
        pb_sample *s = &b->pb_samples[i];
        perftools__profiles__sample__init(s);
        s->n_location_id = p->samples[i].depth;
        s->location_id = ids;
        ids += p->samples[i].depth;
        s->n_label = p->samples[i].nlabels;
        s->label = &b->pb_label_ptrs[li];
        for (uint32_t k = 0; k < p->samples[i].nlabels; k++, li++)
            b->pb_label_ptrs[li] = &b->pb_labels[li];
        s->n_value = PPROF_NVALUES;
        s->value = (int64_t *)p->samples[i].values; /* only read by packing */
        b->pb_sample_ptrs[i] = s;
    }
    m->n_sample = p->nsamples;
    m->sample = b->pb_sample_ptrs;

    /* No has_* flags as a rule: pprof then still symbolizes these mappings
     * itself when it finds the binaries, adding files and lines to our
     * names.  The exception (keep_names) is C++ with DWARF, see symbols.h. */
    ALLOC_MSGS(b->pb_maps, b->pb_map_ptrs, b->nmaps);
    for (size_t i = 0; i < b->nmaps; i++) {
        const hp_mapping *hm = b->maps[i];
        pb_mapping *pm = &b->pb_maps[i];
        perftools__profiles__mapping__init(pm);
        pm->id = i + 1;
        pm->memory_start = hm->start;
        pm->memory_limit = hm->limit;
        pm->file_offset = hm->offset;
        pm->filename = b->map_strs[i][0];
        pm->build_id = b->map_strs[i][1];
        /* Names were looked up during interning, so the answer is known. */
        pm->has_functions = p->symbols.keep_names && p->symbols.keep_names(p->symbols.ctx, i);
        b->pb_map_ptrs[i] = pm;
    }
    m->n_mapping = b->nmaps;
    m->mapping = b->pb_map_ptrs;

    ALLOC_MSGS(b->pb_funcs, b->pb_func_ptrs, b->nfuncs);
    for (size_t i = 0; i < b->nfuncs; i++) {
        pb_function *f = &b->pb_funcs[i];
        perftools__profiles__function__init(f);
        f->id = i + 1;
        f->name = f->system_name = b->funcs[i];
        b->pb_func_ptrs[i] = f;
    }
    m->n_function = b->nfuncs;
    m->function = b->pb_func_ptrs;

    ALLOC_MSGS(b->pb_locs, b->pb_loc_ptrs, b->nlocs);
    ALLOC_MSGS(b->pb_lines, b->pb_line_ptrs, b->nlocs);
    size_t nlines = 0;
    for (size_t i = 0; i < b->nlocs; i++) {
        const loc_rec *r = &b->locs[i];
        pb_location *l = &b->pb_locs[i];
        perftools__profiles__location__init(l);
        l->id = i + 1;
        l->mapping_id = r->mapping_id;
        l->address = r->addr;
        if (r->func_id) {
            pb_line *ln = &b->pb_lines[nlines];
            perftools__profiles__line__init(ln);
            ln->function_id = r->func_id;
            b->pb_line_ptrs[nlines] = ln;
            l->n_line = 1;
            l->line = &b->pb_line_ptrs[nlines++];
        }
        b->pb_loc_ptrs[i] = l;
    }
    m->n_location = b->nlocs;
    m->location = b->pb_loc_ptrs;
    return 0;
}

static int build(builder *b, const pprof_profile *p)
{
    memset(b, 0, sizeof *b);
    b->p = p;
    if (p->nsamples && !p->samples)
        return EINVAL;
    int err = intern_all(b);
    if (!err)
        err = build_view(b);
    return err;
}

int pprof_encode(const pprof_profile *p, uint8_t **out, size_t *len)
{
    builder b;
    int err = build(&b, p);
    if (!err) {
        size_t n = perftools__profiles__profile__get_packed_size(&b.msg);
        uint8_t *buf = fault_malloc(n ? n : 1);
        if (!buf)
            err = ENOMEM;
        else if (perftools__profiles__profile__pack(&b.msg, buf) != n) {
            free(buf);
            err = EIO;
        } else {
            *out = buf;
            *len = n;
        }
    }
    builder_free(&b);
    return err;
}

/* ---- gzip streaming ------------------------------------------------------ */

typedef struct gz_sink {
    ProtobufCBuffer base; /* first, so the append callback can cast back */
    z_stream zs;
    int fd;
    int err;     /* first error; later appends are dropped */
    size_t fill; /* bytes staged in `in` */
    uint8_t in[GZ_IN];
    uint8_t out[GZ_OUT];
} gz_sink;

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = fault_write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return errno ? errno : EIO;
        }
        if (w == 0)
            return EIO; /* no progress and no reason: don't spin */
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Compresses the staged bytes; with Z_FINISH also ends the gzip stream. */
static void gz_deflate(gz_sink *g, int flush)
{
    g->zs.next_in = g->in;
    g->zs.avail_in = (uInt)g->fill;
    g->fill = 0;
    int r;
    do {
        g->zs.next_out = g->out;
        g->zs.avail_out = GZ_OUT;
        r = deflate(&g->zs, flush);
        if (r == Z_STREAM_ERROR) {
            g->err = EIO;
            return;
        }
        size_t have = GZ_OUT - g->zs.avail_out;
        if (have && (g->err = write_all(g->fd, g->out, have)))
            return;
    } while (g->zs.avail_out == 0);
    if (flush == Z_FINISH && r != Z_STREAM_END)
        g->err = EIO;
}

/* zlib's own memory goes through the same allocation seam as ours. */
static voidpf gz_zalloc(voidpf opaque, uInt n, uInt size) { return alloc_array(n, size); }

static void gz_zfree(voidpf opaque, voidpf p) { free(p); }

/* protobuf-c calls this with many tiny pieces (tags, varints); staging them
 * keeps deflate's per-call overhead off the per-field path. */
static void gz_append(ProtobufCBuffer *buf, size_t len, const uint8_t *data)
{
    gz_sink *g = (gz_sink *)buf;
    while (len && !g->err) {
        size_t n = GZ_IN - g->fill;
        if (n > len)
            n = len;
        memcpy(g->in + g->fill, data, n);
        g->fill += n;
        data += n;
        len -= n;
        if (g->fill == GZ_IN)
            gz_deflate(g, Z_NO_FLUSH);
    }
}

int pprof_write_gz(const pprof_profile *p, int fd)
{
    builder b;
    int err = build(&b, p);
    gz_sink *g = NULL;
    if (!err && !(g = fault_malloc(sizeof *g)))
        err = ENOMEM;
    if (!err) {
        memset(&g->zs, 0, sizeof g->zs);
        g->zs.zalloc = gz_zalloc;
        g->zs.zfree = gz_zfree;
        g->base.append = gz_append;
        g->fd = fd;
        g->err = 0;
        g->fill = 0;
        /* Level 1: profiles are repetitive and compress well even at the
         * fastest level; the writer thread's latency matters more. */
        int r = deflateInit2(&g->zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8,
                             Z_DEFAULT_STRATEGY);
        if (r != Z_OK) {
            err = r == Z_MEM_ERROR ? ENOMEM : EINVAL;
        } else {
            perftools__profiles__profile__pack_to_buffer(&b.msg, &g->base);
            if (!g->err)
                gz_deflate(g, Z_FINISH);
            err = g->err;
            deflateEnd(&g->zs);
        }
    }
    free(g);
    builder_free(&b);
    return err;
}

/* ---- the live symbolizer as a symbol source ------------------------------ */

static size_t sym_mapping_count(void *ctx) { return symbols_mapping_count(ctx); }

static const hp_mapping *sym_mapping(void *ctx, size_t i) { return symbols_mapping(ctx, i); }

static const char *sym_func_name(void *ctx, uint64_t addr) { return symbols_func_name(ctx, addr); }

static bool sym_keep_names(void *ctx, size_t i) { return symbols_keep_names(ctx, i); }

pprof_symbols pprof_symbols_from(symbolizer *s)
{
    return (pprof_symbols){
        .ctx = s,
        .mapping_count = sym_mapping_count,
        .mapping = sym_mapping,
        .func_name = sym_func_name,
        .keep_names = sym_keep_names,
    };
}

/*
 * pprof.c - see pprof.h.  Steps 1, 2 and 3 below are here; step 2b, the
 * Lines and Functions, is pprof_lines.c; the builder both fill is
 * pprof_builder.h.
 *
 * Data model.  Encoding happens in three steps over one `builder`:
 *
 *  1. Interning.  Every string, function and location gets a dense index in
 *     first-seen order, found again through open-addressing hash tables:
 *       strs[]      the string table; strs[0] is "".  Entries are borrowed
 *                   pointers (symbol names, mapping paths, the caller's
 *                   comments, the samples' label strings) that stay valid
 *                   and unchanged until the encode returns.
 *       str_func[]  per string, the id of the Function named by it and no
 *                   file (0: none), so deduplicating most functions costs no
 *                   second table; ftab[] finds those with a file.
 *       funcs[]     per Function (id = index + 1), the string indices of its
 *                   name and file: two static functions of one name in two
 *                   files stay two Functions, but a function with some
 *                   Lines of no file (line 0) stays one (step 2b).
 *       locs[]      per Location (id = index + 1): address, mapping id, the
 *                   name's string (0: unknown, the Location gets no Line),
 *                   which step 2b turns into its function id, and its file
 *                   and line.
 *       inls[]      step 2b's Lines of functions inlined at a location, a
 *                   run per location (innermost first) written before its
 *                   own Line; name, then Function id, file and line.
 *     Mappings keep the symbol source's order, sorted and disjoint, so one
 *     binary search finds an address's; their ids are that order's, but for
 *     the main program's, which takes id 1 (map_id).
 *
 *  2. Samples, streamed.  Each sample is read, its locations and label
 *     strings interned, and packed at once from scratch arrays reused for
 *     the next one.  Nothing is kept per sample: a profile of 100k stacks
 *     used to build ~80 MiB of per-sample arrays, which cost page faults on
 *     every dump and showed as the profiler's own memory.
 *
 *  2b. Lines (pprof_lines.c).  Once every location is known, the mappings
 *     whose names the profile keeps (keep_names: pprof adds no file:line
 *     there) are asked for the file and line of their locations, and the
 *     functions inlined there, one sorted batch per mapping
 *     (symbols_lines); a location the symbol tables left unnamed takes the
 *     name the answer may give (a debug file without .symtab).  A Line
 *     left without a file (line 0, or no row in .debug_line) takes its
 *     function's file, its line staying 0, so that it is the same in
 *     every profile: an inlined function's Line the file the DWARF
 *     declares the function in (set_lines, decl_file); a function's own
 *     Line the file of the function's entry (entry_files: one more sorted
 *     batch per mapping, of those entries, right after the mapping's, so
 *     that a compressed debug file is inflated once for both:
 *     lines_hold); one that has neither the file the
 *     mapping's Lines of that name with a file all name (a hash table of
 *     those Lines).  Then each Line gets its Function, by name and file.
 *
 *  3. Viewing.  Only once every sample is out (and the arrays above stop
 *     moving) are the protobuf-c structs for the rest built, each kind in
 *     one bulk array with a parallel array of pointers, because protobuf-c
 *     wants `T **`, and packed as one Profile message with no samples.
 *
 * The wire format allows this split: a message's fields may come in any
 * order and repeated ones are concatenated, so samples written before the
 * string table decode the same: protobuf-c's unpack joins the repeated
 * occurrences, and string indices are looked up only once the whole
 * message is read (pprof's postDecode, the CLI's checks after unpacking).
 * Each sample is written as that field is: its key (field number from the
 * generated descriptor, length-delimited), its length, and the Sample
 * message, encoded here (pack_sample) rather than by protobuf-c: the one
 * departure from protobuf-c for the format, because a profile is mostly
 * samples and protobuf-c packs each through its descriptors, field by
 * field, ~8000 instructions and ~30 appends for a sample of 27 frames and
 * six labels (callgrind, finding 20 in docs/benchmarks.md).  The field
 * numbers are checked against the generated descriptors before the first
 * sample (sample_fields_match), and the unit test decodes what this writes
 * with protobuf-c.
 *
 * Invariants: hash tables are powers of two, at most half full, and hold
 * index + 1 (0 marks an empty slot).  Every allocation is owned by the builder
 * and released by builder_free, or by the sink (the memory buffer, the gzip
 * state) and released by its encode function, so each error path is a
 * plain return.
 *
 * pprof_write_gz never holds the whole serialized profile: protobuf-c packs
 * into a ProtobufCBuffer whose append callback stages bytes into a fixed
 * buffer and feeds full chunks to deflate, which writes straight to the fd.
 * A write error stops the encode at the next sample.
 */
#include "pprof.h"
#include "pprof_builder.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "common.h"
#include "fault.h"
#include "mem.h"
#include "profile.pb-c.h"

enum {
    GZ_IN = 64 * 1024,  /* staging buffer in front of deflate */
    GZ_OUT = 64 * 1024, /* deflate output, written per fill */
};

/* Where packed bytes go: a ProtobufCBuffer that remembers its first error. */
typedef struct sink {
    ProtobufCBuffer base; /* first, so append callbacks can cast back */
    int err;              /* first error; later appends are dropped */
} sink;

static void builder_free(builder *b)
{
    mem_free(b->strs);
    mem_free(b->str_func);
    mem_free(b->stab);
    mem_free(b->funcs);
    mem_free(b->ftab);
    mem_free(b->keep);
    mem_free(b->lined);
    mem_free(b->locs);
    mem_free(b->inls);
    mem_free(b->ltab);
    mem_free(b->maps);
    mem_free(b->map_strs);
    mem_free(b->ids);
    mem_free(b->bytes);
    mem_free(b->comments);
    mem_free(b->pb_maps);
    mem_free(b->pb_map_ptrs);
    mem_free(b->pb_locs);
    mem_free(b->pb_loc_ptrs);
    mem_free(b->pb_lines);
    mem_free(b->pb_line_ptrs);
    mem_free(b->pb_funcs);
    mem_free(b->pb_func_ptrs);
}

/* ---- hashing ------------------------------------------------------------- */

static inline uint32_t hash_str(const char *s) { return (uint32_t)hp_hash_str(s); }

/* ---- strings ------------------------------------------------------------- */

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
    mem_free(b->stab);
    b->stab = t;
    b->stab_cap = ncap;
    return 0;
}

/* The string table index of s (NULL counts as ""), added if new. */
int pprof_intern(builder *b, const char *s, int64_t *out)
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

/* ---- mappings and locations ---------------------------------------------- */

/* The id of mapping i: 1 for the main program's, which pprof takes for the
 * main binary whatever its address (profile.proto: "mapping[0] will be the
 * main binary"), the others in address order after it. */
static uint32_t map_id(const builder *b, size_t i)
{
    if (b->main_map >= b->nmaps || i > b->main_map)
        return (uint32_t)i + 1;
    return i == b->main_map ? 1 : (uint32_t)i + 2;
}

/* Mapping id of the mapping containing addr, 0 when none. */
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
    return map_id(b, lo - 1);
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
        size_t j = hp_mix64(b->ltab[i].addr) & (ncap - 1);
        while (t[j].idx1)
            j = (j + 1) & (ncap - 1);
        t[j] = b->ltab[i];
    }
    mem_free(b->ltab);
    b->ltab = t;
    b->ltab_cap = ncap;
    return 0;
}

/* A new Location for addr: its mapping and, when the name is known, its
 * function. */
static int add_location(builder *b, uint64_t addr)
{
    const pprof_symbols *sy = &b->p->symbols;
    int64_t name_str = 0;
    const char *name = sy->func_name ? sy->func_name(sy->ctx, addr) : NULL;
    if (pprof_intern(b, name, &name_str))
        return ENOMEM;
    if (b->nlocs >= UINT32_MAX - 1)
        return ENOMEM;
    RESERVE(b->locs, b->locs_cap, b->nlocs);
    b->locs[b->nlocs++] = (loc_rec){
        .addr = addr, .mapping_id = find_mapping(b, addr), .func = (uint32_t)name_str };
    return 0;
}

/* The Location id for a return address. */
static int intern_pc(builder *b, uint64_t pc, uint64_t *out)
{
    /* Step back into the call instruction: the return address may already
     * belong to the next line, or the next function after a noreturn call. */
    uint64_t addr = pc - 1;
    size_t mask = b->ltab_cap - 1;
    size_t j = hp_mix64(addr) & mask;
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

/* ---- step 1: interning what every profile has ---------------------------- */

static int intern_fixed(builder *b)
{
    static const char *const type_names[PPROF_NVALUES][2] = {
        { "alloc_objects", "count" }, { "alloc_space", "bytes" },
        { "inuse_objects", "count" }, { "inuse_space", "bytes" },
    };
    const pprof_profile *p = b->p;
    const pprof_symbols *sy = &p->symbols;

    /* Entry 0 is "" and never enters the hash table: pprof_intern() maps "" to 0. */
    RESERVE(b->strs, b->strs_cap, 0);
    RESERVE(b->str_func, b->str_func_cap, 0);
    b->strs[0] = (char *)"";
    b->str_func[0] = 0;
    b->nstrs = 1;
    if (stab_grow(b) || ltab_grow(b))
        return ENOMEM;

    for (int i = 0; i < PPROF_NVALUES; i++)
        if (pprof_intern(b, type_names[i][0], &b->type_str[i]) ||
            pprof_intern(b, type_names[i][1], &b->unit_str[i]))
            return ENOMEM;
    if (pprof_intern(b, "space", &b->space_str) || pprof_intern(b, "bytes", &b->bytes_str))
        return ENOMEM;

    if (!(b->comments = alloc_array(p->ncomments, sizeof *b->comments)))
        return ENOMEM;
    for (size_t i = 0; i < p->ncomments; i++)
        if (pprof_intern(b, p->comments[i], &b->comments[i]))
            return ENOMEM;

    /* Mapping strings are interned here because step 3 must not touch the
     * string table any more: the view points at it.  (Samples intern
     * theirs in step 2, before the view exists.) */
    b->nmaps = sy->mapping_count ? sy->mapping_count(sy->ctx) : 0;
    long main_map = sy->main_mapping ? sy->main_mapping(sy->ctx) : -1;
    b->main_map = main_map >= 0 ? (size_t)main_map : b->nmaps;
    if (b->nmaps >= UINT32_MAX || !(b->maps = alloc_array(b->nmaps, sizeof *b->maps)) ||
        !(b->map_strs = alloc_array(b->nmaps, sizeof *b->map_strs)))
        return ENOMEM;
    for (size_t i = 0; i < b->nmaps; i++) {
        const hp_mapping *m = sy->mapping(sy->ctx, i);
        if (!m)
            return EINVAL;
        b->maps[i] = m;
        if (pprof_intern(b, m->path, &b->map_strs[i][0]) ||
            pprof_intern(b, m->build_id, &b->map_strs[i][1]))
            return ENOMEM;
    }

    return 0;
}

/* ---- step 2: samples, one at a time -------------------------------------- */

/* The next sample, from the callback or the array: 1, 0 at the end, or
 * -errno. */
static int next_sample(builder *b, size_t *i, pprof_sample *s)
{
    const pprof_profile *p = b->p;
    if (p->next)
        return p->next(p->next_ctx, s);
    if (*i >= p->nsamples)
        return 0;
    *s = p->samples[(*i)++];
    return 1;
}

static int intern_memo(builder *b, const char *s, int64_t *out)
{
    if (!s) {
        *out = 0;
        return 0;
    }
    size_t h = ((uintptr_t)s >> 3) & 63;
    if (b->memo[h].p != s) {
        if (pprof_intern(b, s, &b->memo[h].idx))
            return ENOMEM;
        b->memo[h].p = s;
    }
    *out = b->memo[h].idx;
    return 0;
}

/* Protobuf's base-128 varint; returns its length (at most 10). */
static size_t put_varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    for (; v >= 0x80; v >>= 7)
        p[n++] = (uint8_t)(v | 0x80);
    p[n++] = (uint8_t)v;
    return n;
}

/* The bytes of a varint (put_varint): 7 bits a byte. */
static size_t varint_len(uint64_t v)
{
    return v < 0x80 ? 1 : (size_t)(70 - __builtin_clzll(v)) / 7;
}

/* Keys of Sample's and Label's fields on the wire (profile.proto): packed
 * repeated fields and messages are length-delimited (wire type 2), the
 * label's scalars varints (0). */
enum {
    KEY_LOCATION_ID = 1 << 3 | 2,
    KEY_VALUE = 2 << 3 | 2,
    KEY_LABEL = 3 << 3 | 2,
    KEY_LABEL_KEY = 1 << 3,
    KEY_LABEL_STR = 2 << 3,
    KEY_LABEL_NUM = 3 << 3,
    KEY_LABEL_NUM_UNIT = 4 << 3,
    /* The most a key and a length take, and a scalar field. */
    VARINT_MAX = 10,
    FIELD_MAX = 1 + VARINT_MAX,
    /* A label: its key, its length (the body is under 128 bytes: one
     * byte), its four scalar fields. */
    LABEL_MAX = 2 + 4 * FIELD_MAX,
};
/* Written as one byte each. */
_Static_assert(KEY_LABEL < 0x80 && KEY_LABEL_NUM_UNIT < 0x80, "keys of one byte");
_Static_assert(4 * FIELD_MAX < 0x80, "a label's length in one byte");

/* Whether message d's field `name` has the key, the type, and the label
 * (repeated or not, packed or not) that pack_sample writes it with. */
static bool field_is(const ProtobufCMessageDescriptor *d, const char *name, unsigned key,
                     ProtobufCType type, ProtobufCLabel label, bool packed)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(d, name);
    return f && f->id == key >> 3 && f->type == type && f->label == label &&
           !!(f->flags & PROTOBUF_C_FIELD_FLAG_PACKED) == packed;
}

/* Whether the generated code says what the keys above say. */
static bool sample_fields_match(void)
{
    const ProtobufCMessageDescriptor *s = &perftools__profiles__sample__descriptor,
                                     *l = &perftools__profiles__label__descriptor;
    const ProtobufCLabel rep = PROTOBUF_C_LABEL_REPEATED, one = PROTOBUF_C_LABEL_NONE;
    const ProtobufCType u64 = PROTOBUF_C_TYPE_UINT64, i64 = PROTOBUF_C_TYPE_INT64;
    return field_is(s, "location_id", KEY_LOCATION_ID, u64, rep, true) &&
           field_is(s, "value", KEY_VALUE, i64, rep, true) &&
           field_is(s, "label", KEY_LABEL, PROTOBUF_C_TYPE_MESSAGE, rep, false) &&
           field_is(l, "key", KEY_LABEL_KEY, i64, one, false) &&
           field_is(l, "str", KEY_LABEL_STR, i64, one, false) &&
           field_is(l, "num", KEY_LABEL_NUM, i64, one, false) &&
           field_is(l, "num_unit", KEY_LABEL_NUM_UNIT, i64, one, false);
}

/* A proto3 scalar: left out when 0, as protobuf-c leaves it. */
static uint8_t *put_field(uint8_t *q, unsigned key, int64_t v)
{
    if (v) {
        *q++ = (uint8_t)key;
        q += put_varint(q, (uint64_t)v);
    }
    return q;
}

/* The bytes put_field writes for v. */
static size_t field_len(int64_t v) { return v ? 1 + varint_len((uint64_t)v) : 0; }

/* Interns one sample's locations and label strings and writes it as a
 * Profile's field: its key, its length, then the Sample message, whose
 * fields come in field-number order, as protobuf-c writes them. */
static int pack_sample(builder *b, const pprof_sample *s, ProtobufCBuffer *out)
{
    while (b->ids_cap < s->depth)
        RESERVE(b->ids, b->ids_cap, b->ids_cap);
    size_t ids_len = 0;
    for (uint32_t k = 0; k < s->depth; k++) {
        if (intern_pc(b, s->pcs[k], &b->ids[k]))
            return ENOMEM;
        ids_len += varint_len(b->ids[k]);
    }
    size_t values_len = 0;
    for (int v = 0; v < PPROF_NVALUES; v++)
        values_len += varint_len((uint64_t)s->values[v]);
    /* The most a sample takes: the ids' and the values' keys and lengths,
     * the ids and values, and its labels. */
    size_t most = (size_t)2 * FIELD_MAX + ids_len + values_len + (size_t)s->nlabels * LABEL_MAX;
    while (b->bytes_cap < most)
        RESERVE(b->bytes, b->bytes_cap, b->bytes_cap);
    uint8_t *q = b->bytes;
    if (s->depth) {
        *q++ = KEY_LOCATION_ID;
        q += put_varint(q, ids_len);
        for (uint32_t k = 0; k < s->depth; k++)
            q += put_varint(q, b->ids[k]);
    }
    *q++ = KEY_VALUE;
    q += put_varint(q, values_len);
    for (int v = 0; v < PPROF_NVALUES; v++)
        q += put_varint(q, (uint64_t)s->values[v]);
    for (uint32_t k = 0; k < s->nlabels; k++) {
        const pprof_label *l = &s->labels[k];
        int64_t key, str = 0, num = 0, unit = 0;
        if (intern_memo(b, l->key, &key))
            return ENOMEM;
        if (l->str) {
            if (intern_memo(b, l->str, &str))
                return ENOMEM;
        } else {
            num = l->num;
            if (intern_memo(b, l->num_unit, &unit))
                return ENOMEM;
        }
        *q++ = KEY_LABEL;
        q += put_varint(q, field_len(key) + field_len(str) + field_len(num) + field_len(unit));
        q = put_field(q, KEY_LABEL_KEY, key);
        q = put_field(q, KEY_LABEL_STR, str);
        q = put_field(q, KEY_LABEL_NUM, num);
        q = put_field(q, KEY_LABEL_NUM_UNIT, unit);
    }
    uint8_t head[2 * 10]; /* two varints */
    size_t n = put_varint(head, b->sample_key);
    n += put_varint(head + n, (uint64_t)(q - b->bytes));
    out->append(out, n, head);
    out->append(out, (size_t)(q - b->bytes), b->bytes);
    return 0;
}

static int stream_samples(builder *b, sink *out)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(&perftools__profiles__profile__descriptor, "sample");
    if (!f || !sample_fields_match())
        return EINVAL;
    b->sample_key = (uint64_t)f->id << 3 | PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED;
    pprof_sample s;
    size_t i = 0;
    int r;
    while ((r = next_sample(b, &i, &s)) > 0) {
        int err = pack_sample(b, &s, &out->base);
        if (err || (err = out->err))
            return err;
    }
    return -r;
}

/* ---- step 3: the protobuf-c view of the rest ----------------------------- */

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

    /* No has_* flags as a rule: pprof then still symbolizes these mappings
     * itself when it finds the binaries, adding files and lines to our
     * names.  The exception (keep_names) is DWARF that would cost names,
     * see symbols.h. */
    ALLOC_MSGS(b->pb_maps, b->pb_map_ptrs, b->nmaps);
    for (size_t i = 0; i < b->nmaps; i++) {
        const hp_mapping *hm = b->maps[i];
        uint32_t id = map_id(b, i);
        pb_mapping *pm = &b->pb_maps[id - 1];
        perftools__profiles__mapping__init(pm);
        pm->id = id;
        pm->memory_start = hm->start;
        pm->memory_limit = hm->limit;
        pm->file_offset = hm->offset;
        pm->filename = b->map_strs[i][0];
        pm->build_id = b->map_strs[i][1];
        pm->has_functions = b->keep[i];
        pm->has_filenames = pm->has_line_numbers = b->lined[i];
        b->pb_map_ptrs[id - 1] = pm;
    }
    m->n_mapping = b->nmaps;
    m->mapping = b->pb_map_ptrs;

    ALLOC_MSGS(b->pb_funcs, b->pb_func_ptrs, b->nfuncs);
    for (size_t i = 0; i < b->nfuncs; i++) {
        pb_function *f = &b->pb_funcs[i];
        perftools__profiles__function__init(f);
        f->id = i + 1;
        f->name = f->system_name = b->funcs[i].name_str;
        f->filename = b->funcs[i].file_str;
        b->pb_func_ptrs[i] = f;
    }
    m->n_function = b->nfuncs;
    m->function = b->pb_func_ptrs;

    ALLOC_MSGS(b->pb_locs, b->pb_loc_ptrs, b->nlocs);
    ALLOC_MSGS(b->pb_lines, b->pb_line_ptrs, b->nlocs + b->ninls);
    size_t nlines = 0;
    for (size_t i = 0; i < b->nlocs; i++) {
        const loc_rec *r = &b->locs[i];
        pb_location *l = &b->pb_locs[i];
        perftools__profiles__location__init(l);
        l->id = i + 1;
        l->mapping_id = r->mapping_id;
        l->address = r->addr;
        if (r->func) {
            /* Line[0] is the innermost function (profile.proto). */
            l->line = &b->pb_line_ptrs[nlines];
            for (uint32_t k = 0; k <= r->ninl; k++) {
                const inl_rec *x = k < r->ninl ? &b->inls[r->inl + k] : NULL;
                pb_line *ln = &b->pb_lines[nlines];
                perftools__profiles__line__init(ln);
                ln->function_id = x ? x->func : r->func;
                ln->line = x ? x->line : r->line;
                b->pb_line_ptrs[nlines++] = ln;
            }
            l->n_line = r->ninl + 1u;
        }
        b->pb_loc_ptrs[i] = l;
    }
    m->n_location = b->nlocs;
    m->location = b->pb_loc_ptrs;
    return 0;
}

/* Steps 1-3 into out.  0 or an errno (the sink's first error included). */
static int encode(const pprof_profile *p, sink *out)
{
    builder b;
    memset(&b, 0, sizeof b);
    b.p = p;
    int err = p->nsamples && !p->samples && !p->next ? EINVAL : 0;
    if (!err)
        err = intern_fixed(&b);
    if (!err)
        err = stream_samples(&b, out);
    if (!err)
        err = pprof_lines_and_functions(&b);
    if (!err)
        err = build_view(&b);
    if (!err) {
        perftools__profiles__profile__pack_to_buffer(&b.msg, &out->base);
        err = out->err;
    }
    builder_free(&b);
    return err;
}

/* ---- into memory ---------------------------------------------------------- */

typedef struct mem_sink {
    sink s;
    uint8_t *buf;
    size_t len, cap;
} mem_sink;

static void mem_append(ProtobufCBuffer *buf, size_t len, const uint8_t *data)
{
    mem_sink *m = (mem_sink *)buf;
    if (m->s.err || !len)
        return;
    while (len > m->cap - m->len) {
        uint8_t *nb = grow_array(m->buf, &m->cap, 1);
        if (!nb) {
            m->s.err = ENOMEM;
            return;
        }
        m->buf = nb;
    }
    memcpy(m->buf + m->len, data, len);
    m->len += len;
}

int pprof_encode(const pprof_profile *p, uint8_t **out, size_t *len)
{
    mem_sink m = { .s.base.append = mem_append };
    int err = encode(p, &m.s);
    if (err) {
        mem_free(m.buf);
        return err;
    }
    *out = m.buf;
    *len = m.len;
    return 0;
}

/* ---- gzip streaming ------------------------------------------------------ */

typedef struct gz_sink {
    sink s; /* first, so the append callback can cast back */
    z_stream zs;
    int fd;
    const fdid *fd_id; /* NULL: not checked */
    size_t fill; /* bytes staged in `in` */
    uint8_t in[GZ_IN];
    uint8_t out[GZ_OUT];
} gz_sink;

static int write_all(int fd, const fdid *id, const uint8_t *p, size_t n)
{
    while (n) {
        if (id && !fdid_same(fd, id))
            return EBADF; /* closed, perhaps reused by the program: not ours */
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
            g->s.err = EIO;
            return;
        }
        size_t have = GZ_OUT - g->zs.avail_out;
        if (have && (g->s.err = write_all(g->fd, g->fd_id, g->out, have)))
            return;
    } while (g->zs.avail_out == 0);
    if (flush == Z_FINISH && r != Z_STREAM_END)
        g->s.err = EIO;
}

/* zlib's own memory goes through the same allocation seam as ours. */
static voidpf gz_zalloc(voidpf opaque, uInt n, uInt size) { return alloc_array(n, size); }

static void gz_zfree(voidpf opaque, voidpf p) { mem_free(p); }

/* protobuf-c calls this with many tiny pieces (tags, varints); staging them
 * keeps deflate's per-call overhead off the per-field path. */
static void gz_append(ProtobufCBuffer *buf, size_t len, const uint8_t *data)
{
    gz_sink *g = (gz_sink *)buf;
    while (len && !g->s.err) {
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
    gz_sink *g = mem_alloc(sizeof *g);
    if (!g)
        return ENOMEM;
    memset(&g->zs, 0, sizeof g->zs);
    g->zs.zalloc = gz_zalloc;
    g->zs.zfree = gz_zfree;
    g->s = (sink){ .base.append = gz_append };
    g->fd = fd;
    g->fd_id = p->fd_id;
    g->fill = 0;
    /* Level 1: profiles are repetitive and compress well even at the
     * fastest level; the writer thread's latency matters more. */
    int r = deflateInit2(&g->zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    int err;
    if (r != Z_OK) {
        err = r == Z_MEM_ERROR ? ENOMEM : EINVAL;
    } else {
        err = encode(p, &g->s);
        if (!err) {
            gz_deflate(g, Z_FINISH);
            err = g->s.err;
        }
        deflateEnd(&g->zs);
    }
    mem_free(g);
    return err;
}

/* ---- the live symbolizer as a symbol source ------------------------------ */

static size_t sym_mapping_count(void *ctx) { return symbols_mapping_count(ctx); }

static const hp_mapping *sym_mapping(void *ctx, size_t i) { return symbols_mapping(ctx, i); }

static const char *sym_func_name(void *ctx, uint64_t addr) { return symbols_func_name(ctx, addr); }

static bool sym_keep_names(void *ctx, size_t i) { return symbols_keep_names(ctx, i); }

static int sym_lines(void *ctx, size_t i, const uint64_t *addrs, size_t n, symbols_line *out)
{
    return symbols_lines(ctx, i, addrs, n, out);
}

static void sym_lines_hold(void *ctx, bool hold) { symbols_lines_hold(ctx, hold); }

static long sym_main_mapping(void *ctx) { return symbols_main_mapping(ctx); }

static const char *sym_func_at(void *ctx, uint64_t addr, uint64_t *offset)
{
    return symbols_func(ctx, addr, offset);
}

pprof_symbols pprof_symbols_from(symbolizer *s)
{
    return (pprof_symbols){
        .ctx = s,
        .mapping_count = sym_mapping_count,
        .mapping = sym_mapping,
        .func_name = sym_func_name,
        .keep_names = sym_keep_names,
        .lines = sym_lines,
        .lines_hold = sym_lines_hold,
        .func_at = sym_func_at,
        .main_mapping = sym_main_mapping,
    };
}

/*
 * test_pprof.c - the pprof encoder against a fake symbol source.
 *
 * Profiles are encoded, decoded again with protobuf-c and compared field by
 * field, so the tests check what a reader sees rather than our internals.
 *
 * Extra modes, not run by ctest (no timing is ever a pass/fail criterion):
 *   test_pprof --write FILE   write the small fake profile, for go tool pprof
 *   test_pprof --bench FILE   100k stacks of depth 20: time encode and gzip
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "mem.h"
#include "pprof.h"
#include "profile.pb-c.h"

typedef Perftools__Profiles__Profile pb_profile;

/* ---- allocation fault injection ------------------------------------------ */

/* Every block the encoder allocates comes from the profiler's heap
 * (src/mem.h), which counts what is held and can fail its Nth allocation:
 * a test fails each allocation inside one call in turn and checks what
 * that call left behind.  Under sanitizers and valgrind too. */

/* ---- the fake symbol source ---------------------------------------------- */

typedef struct fake_name {
    uint64_t lo, hi; /* [lo, hi) */
    const char *name;
} fake_name;

typedef struct fake_syms {
    const hp_mapping *maps;
    size_t nmaps;
    const fake_name *names;
    size_t nnames;
    uint64_t asked[64]; /* addresses passed to func_name, in order */
    size_t nasked;
} fake_syms;

static size_t fake_count(void *ctx) { return ((fake_syms *)ctx)->nmaps; }

static const hp_mapping *fake_mapping(void *ctx, size_t i)
{
    fake_syms *f = ctx;
    return i < f->nmaps ? &f->maps[i] : NULL;
}

static const char *fake_func_name(void *ctx, uint64_t addr)
{
    fake_syms *f = ctx;
    if (f->nasked < sizeof f->asked / sizeof f->asked[0])
        f->asked[f->nasked++] = addr;
    for (size_t i = 0; i < f->nnames; i++)
        if (addr >= f->names[i].lo && addr < f->names[i].hi)
            return f->names[i].name;
    return NULL;
}

/* The name, as fake_func_name gives it, and addr's offset from its start. */
static const char *fake_func_at(void *ctx, uint64_t addr, uint64_t *offset)
{
    const fake_syms *f = ctx;
    *offset = 0;
    for (size_t i = 0; i < f->nnames; i++) {
        if (addr >= f->names[i].lo && addr < f->names[i].hi) {
            *offset = addr - f->names[i].lo;
            return f->names[i].name;
        }
    }
    return NULL;
}

static const hp_mapping small_maps[] = {
    { 0x400000, 0x500000, 0, "/nonexistent/fakeprog", "0123456789abcdef" },
    { 0x7f0000000000, 0x7f0000100000, 0x1000, "/nonexistent/libfake.so", "" },
};

static const fake_name small_names[] = {
    { 0x401000, 0x401100, "alloc_thing" },
    { 0x402000, 0x402100, "main" },
    { 0x7f0000000100, 0x7f0000000200, "lib_make" },
    { 0x900000, 0x900100, "jit_code" }, /* outside every mapping */
};

/* s0 and s1 share their two outer frames; their leaves are different
 * addresses in the same function.  s2 has a nameless frame in a mapping and
 * a named one outside all mappings; s3 one nameless frame outside all. */
static const uint64_t pcs0[] = { 0x401011, 0x402021, 0x7f0000000105 };
static const uint64_t pcs1[] = { 0x401051, 0x402021, 0x7f0000000105 };
static const uint64_t pcs2[] = { 0x403001, 0x900011 };
static const uint64_t pcs3[] = { 0xa00001 };

static const pprof_label labels0[] = {
    { "component", "parser", 0, NULL },
    { "alloc_samples", NULL, 5, "count" },
};

static const pprof_sample small_samples[] = {
    { .pcs = pcs0, .depth = 3, .nlabels = 2, .labels = labels0, .values = { 1, 100, 1, 100 } },
    { .pcs = pcs1, .depth = 3, .values = { 2, 200, 0, 0 } },
    { .pcs = pcs2, .depth = 2, .values = { 3, 300, 3, 300 } },
    { .pcs = pcs3, .depth = 1, .values = { 4, 4096, 1, 1024 } },
};

static const char *const small_comments[] = { "heapprof unit test", "second comment" };

static fake_syms small_fake;

static pprof_profile small_profile(void)
{
    small_fake = (fake_syms){ .maps = small_maps, .nmaps = 2, .names = small_names, .nnames = 4 };
    return (pprof_profile){
        .time_nanos = 1700000000123456789LL,
        .duration_nanos = 42000000000LL,
        .period = 524288,
        .samples = small_samples,
        .nsamples = 4,
        .comments = small_comments,
        .ncomments = 2,
        .symbols = { &small_fake, fake_count, fake_mapping, fake_func_name },
    };
}

/* ---- decoding helpers ---------------------------------------------------- */

static const char *str(const pb_profile *m, int64_t i)
{
    assert_true(i >= 0 && (size_t)i < m->n_string_table);
    return m->string_table[i];
}

static const Perftools__Profiles__Location *loc_by_id(const pb_profile *m, uint64_t id)
{
    assert_true(id >= 1 && id <= m->n_location);
    for (size_t i = 0; i < m->n_location; i++)
        if (m->location[i]->id == id)
            return m->location[i];
    fail_msg("no location %llu", (unsigned long long)id);
    return NULL;
}

static const char *func_name_of(const pb_profile *m, uint64_t fid)
{
    for (size_t i = 0; i < m->n_function; i++)
        if (m->function[i]->id == fid)
            return str(m, m->function[i]->name);
    fail_msg("no function %llu", (unsigned long long)fid);
    return NULL;
}

/* The function name at a location, or NULL when it has no Line. */
static const char *loc_name(const pb_profile *m, uint64_t id)
{
    const Perftools__Profiles__Location *l = loc_by_id(m, id);
    if (l->n_line == 0)
        return NULL;
    assert_int_equal(l->n_line, 1);
    return func_name_of(m, l->line[0]->function_id);
}

static pb_profile *encode_decode(const pprof_profile *p)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    assert_int_equal(pprof_encode(p, &buf, &len), 0);
    pb_profile *m = perftools__profiles__profile__unpack(NULL, len, buf);
    mem_free(buf);
    assert_non_null(m);
    return m;
}

/* ---- tests --------------------------------------------------------------- */

static void test_header_fields(void **state)
{
    pprof_profile p = small_profile();
    pb_profile *m = encode_decode(&p);

    assert_true(m->n_string_table >= 1);
    assert_string_equal(m->string_table[0], "");
    for (size_t i = 1; i < m->n_string_table; i++) {
        assert_true(m->string_table[i][0] != '\0');
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(m->string_table[i], m->string_table[j]);
    }

    static const char *const want[4][2] = {
        { "alloc_objects", "count" }, { "alloc_space", "bytes" },
        { "inuse_objects", "count" }, { "inuse_space", "bytes" },
    };
    assert_int_equal(m->n_sample_type, 4);
    for (int i = 0; i < 4; i++) {
        assert_string_equal(str(m, m->sample_type[i]->type), want[i][0]);
        assert_string_equal(str(m, m->sample_type[i]->unit), want[i][1]);
    }
    assert_non_null(m->period_type);
    assert_string_equal(str(m, m->period_type->type), "space");
    assert_string_equal(str(m, m->period_type->unit), "bytes");
    assert_int_equal(m->period, 524288);
    assert_string_equal(str(m, m->default_sample_type), "inuse_space");
    assert_int_equal(m->time_nanos, 1700000000123456789LL);
    assert_int_equal(m->duration_nanos, 42000000000LL);
    assert_int_equal(m->n_comment, 2);
    assert_string_equal(str(m, m->comment[0]), "heapprof unit test");
    assert_string_equal(str(m, m->comment[1]), "second comment");
    assert_int_equal(m->drop_frames, 0);
    assert_int_equal(m->keep_frames, 0);
    perftools__profiles__profile__free_unpacked(m, NULL);
}

static void test_mappings(void **state)
{
    pprof_profile p = small_profile();
    pb_profile *m = encode_decode(&p);

    assert_int_equal(m->n_mapping, 2);
    for (size_t i = 0; i < 2; i++) {
        const Perftools__Profiles__Mapping *pm = m->mapping[i];
        assert_int_equal(pm->id, i + 1);
        assert_int_equal(pm->memory_start, small_maps[i].start);
        assert_int_equal(pm->memory_limit, small_maps[i].limit);
        assert_int_equal(pm->file_offset, small_maps[i].offset);
        assert_string_equal(str(m, pm->filename), small_maps[i].path);
        assert_string_equal(str(m, pm->build_id), small_maps[i].build_id);
        /* Set flags would stop pprof from symbolizing from the binaries. */
        assert_false(pm->has_functions);
        assert_false(pm->has_filenames);
        assert_false(pm->has_line_numbers);
        assert_false(pm->has_inline_frames);
    }
    assert_int_equal(m->mapping[1]->build_id, 0); /* "" is index 0 */
    perftools__profiles__profile__free_unpacked(m, NULL);
}

static void test_samples_and_locations(void **state)
{
    pprof_profile p = small_profile();
    pb_profile *m = encode_decode(&p);

    /* Each address is symbolized once, and as pc - 1. */
    assert_int_equal(small_fake.nasked, 7);
    assert_int_equal(small_fake.asked[0], 0x401010);

    assert_int_equal(m->n_sample, 4);
    for (size_t i = 0; i < 4; i++) {
        const Perftools__Profiles__Sample *s = m->sample[i];
        assert_int_equal(s->n_value, 4);
        for (int v = 0; v < 4; v++)
            assert_int_equal(s->value[v], small_samples[i].values[v]);
        assert_int_equal(s->n_location_id, small_samples[i].depth);
        assert_int_equal(s->n_label, small_samples[i].nlabels);
        for (size_t k = 0; k < s->n_label; k++) {
            const pprof_label *want = &small_samples[i].labels[k];
            const Perftools__Profiles__Label *got = s->label[k];
            assert_string_equal(m->string_table[got->key], want->key);
            if (want->str) {
                assert_string_equal(m->string_table[got->str], want->str);
                assert_int_equal(got->num, 0);
            } else {
                assert_int_equal(got->str, 0);
                assert_int_equal(got->num, want->num);
                assert_string_equal(m->string_table[got->num_unit], want->num_unit);
            }
        }
        for (size_t k = 0; k < s->n_location_id; k++) {
            const Perftools__Profiles__Location *l = loc_by_id(m, s->location_id[k]);
            uint64_t pc = small_samples[i].pcs[k];
            assert_int_equal(l->address, pc - 1);
            uint64_t want_map = pc >= 0x7f0000000000 ? 2 : pc < 0x500000 ? 1 : 0;
            assert_int_equal(l->mapping_id, want_map);
            assert_false(l->is_folded);
        }
    }

    /* 7 distinct addresses, ids 1..7 each once. */
    assert_int_equal(m->n_location, 7);
    for (size_t i = 0; i < m->n_location; i++)
        assert_int_equal(m->location[i]->id, i + 1);

    const uint64_t *ids0 = m->sample[0]->location_id, *ids1 = m->sample[1]->location_id;
    assert_int_not_equal(ids0[0], ids1[0]);
    assert_int_equal(ids0[1], ids1[1]);
    assert_int_equal(ids0[2], ids1[2]);

    assert_string_equal(loc_name(m, ids0[0]), "alloc_thing");
    assert_string_equal(loc_name(m, ids0[1]), "main");
    assert_string_equal(loc_name(m, ids0[2]), "lib_make");
    /* Different addresses in one function share the Function. */
    assert_int_equal(loc_by_id(m, ids0[0])->line[0]->function_id,
                     loc_by_id(m, ids1[0])->line[0]->function_id);
    assert_null(loc_name(m, m->sample[2]->location_id[0])); /* unknown name */
    assert_string_equal(loc_name(m, m->sample[2]->location_id[1]), "jit_code");
    assert_null(loc_name(m, m->sample[3]->location_id[0]));

    assert_int_equal(m->n_function, 4);
    for (size_t i = 0; i < m->n_function; i++) {
        const Perftools__Profiles__Function *f = m->function[i];
        assert_int_equal(f->id, i + 1);
        assert_int_not_equal(f->name, 0);
        assert_int_equal(f->system_name, f->name);
        assert_int_equal(f->filename, 0);
        assert_int_equal(f->start_line, 0);
        for (size_t j = 0; j < i; j++)
            assert_int_not_equal(m->function[j]->name, f->name);
    }
    for (size_t i = 0; i < m->n_location; i++)
        if (m->location[i]->n_line)
            assert_int_equal(m->location[i]->line[0]->line, 0);
    perftools__profiles__profile__free_unpacked(m, NULL);
}

static long fake_main_is_lib(void *ctx)
{
    (void)ctx;
    return 1;
}

/* The main program's mapping is mapping 1 wherever it lies (pprof takes
 * mapping[0] for the main binary), here the higher of the two; the other
 * follows, and every location still points at the mapping holding it. */
static void test_main_mapping_first(void **state)
{
    (void)state;
    pprof_profile p = small_profile();
    p.symbols.main_mapping = fake_main_is_lib;
    pb_profile *m = encode_decode(&p);
    assert_int_equal(m->n_mapping, 2);
    for (size_t i = 0; i < 2; i++) {
        const hp_mapping *want = &small_maps[1 - i];
        assert_int_equal(m->mapping[i]->id, i + 1);
        assert_int_equal(m->mapping[i]->memory_start, want->start);
        assert_string_equal(str(m, m->mapping[i]->filename), want->path);
    }
    for (size_t i = 0; i < m->n_location; i++) {
        const Perftools__Profiles__Location *l = m->location[i];
        uint64_t want_map = l->address >= 0x7f0000000000 ? 1 : l->address < 0x500000 ? 2 : 0;
        assert_int_equal(l->mapping_id, want_map);
    }
    perftools__profiles__profile__free_unpacked(m, NULL);
}

/* Samples are encoded by pprof.c, not by protobuf-c: values at the edges
 * of int64 (negative ones are ten-byte varints), zeros (left out), labels
 * of every kind, no frames and 256, ids past one varint byte, and first a
 * sample all labels, 64 ten-byte numbers (its bound on the sample's size
 * is then mostly the labels' part: ASan sees an overflow).  Each comes
 * back from protobuf-c's decoder as it went in, and its bytes are the
 * bytes protobuf-c packs for the decoded message. */
static void test_sample_encoding_edges(void **state)
{
    (void)state;
    static uint64_t deep_pcs[256];
    for (int i = 0; i < 256; i++)
        deep_pcs[i] = 0x401000 + 16 * (uint64_t)i + 1; /* 256 distinct locations */
    static const pprof_label many[] = {
        { "k", "v", 0, NULL },
        { "zero", NULL, 0, "count" },         /* num 0: left out */
        { "neg", NULL, -1, "bytes" },          /* ten bytes */
        { "max", NULL, INT64_MAX, NULL },      /* no unit */
        { "min", NULL, INT64_MIN, "count" },
        { "", NULL, 7, "" },                   /* key and unit "": index 0, left out */
    };
    static pprof_label negative[64];
    for (int i = 0; i < 64; i++)
        negative[i] = (pprof_label){ "n", NULL, INT64_MIN + i, "bytes" };
    const pprof_sample samples[] = {
        { .pcs = NULL, .depth = 0, .nlabels = 64, .labels = negative, .values = { -1, -1, -1, -1 } },
        { .pcs = deep_pcs, .depth = 256, .nlabels = 6, .labels = many,
          .values = { INT64_MAX, INT64_MIN, -1, 0 } },
        { .pcs = NULL, .depth = 0, .values = { 0, 0, 0, 0 } },
        { .pcs = deep_pcs + 200, .depth = 3, .nlabels = 1, .labels = many + 2,
          .values = { 127, 128, 16383, 16384 } },
    };
    pprof_profile p = small_profile();
    p.samples = samples;
    p.nsamples = 4;
    uint8_t *buf = NULL;
    size_t len = 0;
    assert_int_equal(pprof_encode(&p, &buf, &len), 0);
    pb_profile *m = perftools__profiles__profile__unpack(NULL, len, buf);
    assert_non_null(m);
    assert_int_equal(m->n_sample, 4);
    /* The samples come first in the stream, each as field 2 of Profile. */
    size_t at = 0;
    for (size_t i = 0; i < 4; i++) {
        const Perftools__Profiles__Sample *got = m->sample[i];
        const pprof_sample *want = &samples[i];
        assert_int_equal(got->n_location_id, want->depth);
        for (uint32_t k = 0; k < want->depth; k++)
            assert_int_equal(loc_by_id(m, got->location_id[k])->address, want->pcs[k] - 1);
        assert_int_equal(got->n_value, PPROF_NVALUES);
        for (int v = 0; v < PPROF_NVALUES; v++)
            assert_true(got->value[v] == want->values[v]);
        assert_int_equal(got->n_label, want->nlabels);
        for (uint32_t k = 0; k < want->nlabels; k++) {
            const pprof_label *wl = &want->labels[k];
            const Perftools__Profiles__Label *gl = got->label[k];
            assert_string_equal(str(m, gl->key), wl->key);
            assert_string_equal(str(m, gl->str), wl->str ? wl->str : "");
            assert_true(gl->num == (wl->str ? 0 : wl->num));
            assert_string_equal(str(m, gl->num_unit), wl->num_unit ? wl->num_unit : "");
        }
        uint8_t want_bytes[8192];
        size_t n = perftools__profiles__sample__get_packed_size(got);
        assert_true(n <= sizeof want_bytes);
        assert_int_equal(perftools__profiles__sample__pack(got, want_bytes), n);
        assert_true(at + 2 <= len);
        assert_int_equal(buf[at++], 2 << 3 | 2);
        uint64_t body = 0;
        for (int shift = 0;; shift += 7) {
            assert_true(at < len && shift < 64);
            body |= (uint64_t)(buf[at] & 0x7f) << shift;
            if (!(buf[at++] & 0x80))
                break;
        }
        assert_int_equal(body, n);
        assert_true(at + n <= len);
        assert_memory_equal(buf + at, want_bytes, n);
        at += n;
    }
    mem_free(buf);
    perftools__profiles__profile__free_unpacked(m, NULL);
}

/* No samples, no comments, a symbol source with no callbacks. */
static void test_empty(void **state)
{
    pprof_profile p = { .period = 1 };
    pb_profile *m = encode_decode(&p);
    assert_int_equal(m->n_sample, 0);
    assert_int_equal(m->n_location, 0);
    assert_int_equal(m->n_mapping, 0);
    assert_int_equal(m->n_function, 0);
    assert_string_equal(m->string_table[0], "");
    assert_string_equal(str(m, m->default_sample_type), "inuse_space");
    perftools__profiles__profile__free_unpacked(m, NULL);
}

/* Many stacks over a pool of shared frames: grows every table several times.
 * Frame k of stack i is drawn from a pool of 2000 addresses, some outside
 * the three mappings, named by one of 300 functions (every seventh nameless). */
enum { BIG_POOL = 2000, BIG_FUNCS = 300, BIG_DEPTH = 20 };

static const hp_mapping big_maps[] = {
    { 0x10000, 0x20000, 0, "/nonexistent/a", "aa" },
    { 0x20000, 0x30000, 0, "/nonexistent/b", "bb" },
    { 0x38000, 0x3c000, 0, "/nonexistent/c", "cc" },
};

static char big_name_buf[BIG_FUNCS][16];

/* Slots are 96 bytes apart, so the pool spans a, b, the gap before c, c,
 * and the space after it. */
static uint64_t big_pc(uint32_t slot) { return 0x10000 + (uint64_t)slot * 96 + 5; }

static const char *big_func_name(void *ctx, uint64_t addr)
{
    uint64_t slot = (addr - 0x10000) / 96;
    if (slot % 7 == 3)
        return NULL;
    return big_name_buf[slot % BIG_FUNCS];
}

static size_t big_count(void *ctx) { return 3; }

static const hp_mapping *big_mapping(void *ctx, size_t i) { return &big_maps[i]; }

/* Builds n stacks; the caller frees *pcs and *samples. */
static pprof_profile big_profile(size_t n, uint64_t **pcs, pprof_sample **samples)
{
    for (int i = 0; i < BIG_FUNCS; i++)
        snprintf(big_name_buf[i], sizeof big_name_buf[i], "func_%d", i);
    *pcs = malloc(n * BIG_DEPTH * sizeof **pcs);
    *samples = malloc(n * sizeof **samples);
    assert_non_null(*pcs);
    assert_non_null(*samples);
    uint64_t x = 88172645463325252ULL;
    for (size_t i = 0; i < n; i++) {
        uint64_t *f = *pcs + i * BIG_DEPTH;
        for (int k = 0; k < BIG_DEPTH; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            /* Outer frames come from a small set, as real call trees do. */
            uint32_t span = k < 10 ? BIG_POOL : 40u * (uint32_t)(BIG_DEPTH - k);
            f[k] = big_pc((uint32_t)(x % span));
        }
        (*samples)[i] = (pprof_sample){ .pcs = f, .depth = BIG_DEPTH,
                                        .values = { 1, 64, (int64_t)(i & 1), (int64_t)(i & 1) * 64 } };
    }
    return (pprof_profile){
        .period = 4096,
        .samples = *samples,
        .nsamples = n,
        .symbols = { NULL, big_count, big_mapping, big_func_name },
    };
}

static void test_many_stacks(void **state)
{
    uint64_t *pcs;
    pprof_sample *samples;
    pprof_profile p = big_profile(20000, &pcs, &samples);
    pb_profile *m = encode_decode(&p);

    assert_int_equal(m->n_sample, 20000);
    assert_true(m->n_location <= BIG_POOL);
    for (size_t i = 0; i < m->n_sample; i += 97) {
        for (int k = 0; k < BIG_DEPTH; k++) {
            const Perftools__Profiles__Location *l = loc_by_id(m, m->sample[i]->location_id[k]);
            uint64_t pc = pcs[i * BIG_DEPTH + k];
            assert_int_equal(l->address, pc - 1);
            uint64_t want_map = pc < 0x20000 ? 1 : pc < 0x30000 ? 2
                              : pc >= 0x38000 && pc < 0x3c000 ? 3 : 0;
            assert_int_equal(l->mapping_id, want_map);
            const char *want = big_func_name(NULL, pc - 1);
            if (want)
                assert_string_equal(loc_name(m, l->id), want);
            else
                assert_null(loc_name(m, l->id));
        }
        assert_int_equal(m->sample[i]->value[3], (int64_t)(i & 1) * 64);
    }
    assert_true(m->n_function <= BIG_FUNCS);
    perftools__profiles__profile__free_unpacked(m, NULL);
    free(pcs);
    free(samples);
}

/* Reads a whole gzip file. */
static uint8_t *gunzip_file(const char *path, size_t *len)
{
    gzFile gz = gzopen(path, "rb");
    assert_non_null(gz);
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    assert_non_null(buf);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        int r = gzread(gz, buf + n, (unsigned)(cap - n));
        assert_true(r >= 0);
        if (r == 0)
            break;
        n += (size_t)r;
    }
    assert_int_equal(gzclose(gz), Z_OK);
    *len = n;
    return buf;
}

static void check_gz_matches_encode(const pprof_profile *p)
{
    char path[] = "/tmp/test_pprof_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(pprof_write_gz(p, fd), 0);
    assert_int_equal(close(fd), 0);

    size_t glen;
    uint8_t *g = gunzip_file(path, &glen);
    unlink(path);
    uint8_t *e;
    size_t elen;
    assert_int_equal(pprof_encode(p, &e, &elen), 0);
    assert_int_equal(glen, elen);
    assert_memory_equal(g, e, elen);

    pb_profile *m = perftools__profiles__profile__unpack(NULL, glen, g);
    assert_non_null(m);
    assert_int_equal(m->n_sample, p->nsamples);
    perftools__profiles__profile__free_unpacked(m, NULL);
    free(g);
    mem_free(e);
}

static void test_write_gz(void **state)
{
    pprof_profile p = small_profile();
    check_gz_matches_encode(&p);
}

/* Big enough to pass through many staging-buffer and deflate-output fills. */
static void test_write_gz_large(void **state)
{
    uint64_t *pcs;
    pprof_sample *samples;
    pprof_profile p = big_profile(20000, &pcs, &samples);
    check_gz_matches_encode(&p);
    free(pcs);
    free(samples);
}

static void test_write_gz_enospc(void **state)
{
    int fd = open("/dev/full", O_WRONLY);
    if (fd < 0)
        skip();
    pprof_profile p = small_profile();
    assert_int_equal(pprof_write_gz(&p, fd), ENOSPC);
    uint64_t *pcs;
    pprof_sample *samples;
    p = big_profile(5000, &pcs, &samples); /* fails mid-stream, not at the end */
    assert_int_equal(pprof_write_gz(&p, fd), ENOSPC);
    free(pcs);
    free(samples);
    close(fd);
}

static void test_write_gz_bad_fd(void **state)
{
    pprof_profile p = small_profile();
    assert_int_equal(pprof_write_gz(&p, -1), EBADF);
}

/* ---- samples from a callback ---------------------------------------------- */

/* Hands out small_samples one at a time through one labels buffer that is
 * scribbled over before each refill: the encoder may keep the strings and
 * pcs a sample points to, but not its labels array. */
typedef struct feed {
    const pprof_sample *src;
    size_t n, next;
    size_t fail_at; /* -EIO instead of this sample; SIZE_MAX: never */
    pprof_label buf[4];
} feed;

static int feed_next(void *ctx, pprof_sample *out)
{
    feed *f = ctx;
    if (f->next == f->fail_at)
        return -EIO;
    if (f->next == f->n)
        return 0;
    const pprof_sample *s = &f->src[f->next++];
    assert_true(s->nlabels <= 4);
    for (size_t k = 0; k < 4; k++)
        f->buf[k] = (pprof_label){ "stale", "stale", -1, "stale" };
    if (s->nlabels) /* labels may be NULL then: no memcpy from NULL */
        memcpy(f->buf, s->labels, s->nlabels * sizeof *f->buf);
    *out = *s;
    out->labels = f->buf;
    return 1;
}

static void test_sample_callback(void **state)
{
    pprof_profile p = small_profile();
    uint8_t *want, *got;
    size_t wlen, glen;
    assert_int_equal(pprof_encode(&p, &want, &wlen), 0);
    feed f = { .src = small_samples, .n = 4, .fail_at = SIZE_MAX };
    p.samples = NULL;
    p.nsamples = 0;
    p.next = feed_next;
    p.next_ctx = &f;
    assert_int_equal(pprof_encode(&p, &got, &glen), 0);
    /* Byte for byte what the array gives, whose decoding
     * test_samples_and_locations checks field by field; sample 0 leaves the
     * labels buffer full of "stale", so a label read late would differ. */
    assert_int_equal(glen, wlen);
    assert_memory_equal(got, want, wlen);
    mem_free(got);
    mem_free(want);

    /* A source error ends the encode with that error, nothing left behind. */
    int devnull = open("/dev/null", O_WRONLY);
    assert_true(devnull >= 0);
    for (int gz = 0; gz <= 1; gz++) {
        f = (feed){ .src = small_samples, .n = 4, .fail_at = 2 };
        uint8_t *out = NULL;
        size_t len;
        uint64_t blocks = mem_heap_blocks();
        int rc = gz ? pprof_write_gz(&p, devnull) : pprof_encode(&p, &out, &len);
        assert_int_equal(mem_heap_blocks(), blocks);
        assert_int_equal(rc, EIO);
    }
    close(devnull);
}

/* n samples over the same 64 stacks, generated on demand, each with the six
 * labels a dump gives. */
typedef struct gen {
    size_t n, next;
    uint64_t pool[64 * BIG_DEPTH];
    pprof_label labels[6];
} gen;

static int gen_next(void *ctx, pprof_sample *out)
{
    static const char *const keys[6] = { "alloc_samples", "inuse_samples", "alloc_objects_sd",
                                         "alloc_space_sd", "inuse_objects_sd", "inuse_space_sd" };
    gen *g = ctx;
    if (g->next == g->n)
        return 0;
    size_t i = g->next++;
    for (int k = 0; k < 6; k++)
        g->labels[k] = (pprof_label){ keys[k], NULL, (int64_t)(i * 7 + (size_t)k), k & 1 ? "bytes" : "count" };
    *out = (pprof_sample){ .pcs = &g->pool[(i % 64) * BIG_DEPTH], .depth = BIG_DEPTH, .nlabels = 6,
                           .labels = g->labels, .values = { 1, (int64_t)i, 1, (int64_t)i } };
    return 1;
}

/* The encoder's memory grows with the distinct locations and strings, not
 * with the samples: a hundred times the samples over the same frames peak
 * at the same bytes.  (It once held every sample's location ids and labels
 * at once, ~80 MiB for a dump of 100k stacks.) */
static void test_memory_flat_in_samples(void **state)
{
    int devnull = open("/dev/null", O_WRONLY);
    assert_true(devnull >= 0);
    static gen g;
    for (size_t i = 0; i < 64 * BIG_DEPTH; i++)
        g.pool[i] = big_pc((uint32_t)((i * 0x9E3779B97F4A7C15ULL) >> 40) % BIG_POOL);
    long peak[2];
    size_t sizes[2] = { 1000, 100000 };
    for (int r = 0; r < 2; r++) {
        g.n = sizes[r];
        g.next = 0;
        pprof_profile p = { .period = 4096, .next = gen_next, .next_ctx = &g,
                            .symbols = { NULL, big_count, big_mapping, big_func_name } };
        mem_heap_peak_reset();
        uint64_t held = mem_heap_bytes();
        int rc = pprof_write_gz(&p, devnull);
        assert_int_equal(rc, 0);
        assert_int_equal(g.next, g.n);
        peak[r] = (long)(mem_heap_peak() - held);
    }
    print_message("encoder peak: %ld bytes for 1000 samples, %ld for 100000\n", peak[0], peak[1]);
    assert_true(peak[0] > 0);
    assert_true(peak[1] <= peak[0] + 4096);
    close(devnull);
}

/* Fails each allocation of one call in turn: every failure must come back as
 * ENOMEM with nothing left allocated. */
static void test_alloc_failures(void **state)
{
    int devnull = open("/dev/null", O_WRONLY);
    assert_true(devnull >= 0);
    uint64_t *pcs;
    pprof_sample *samples;
    pprof_profile p = big_profile(300, &pcs, &samples);
    for (int gz = 0; gz <= 1; gz++) {
        unsigned long nth;
        uint64_t blocks = mem_heap_blocks();
        for (nth = 1;; nth++) {
            uint8_t *out = NULL;
            size_t len;
            mem_fail_after(nth);
            int rc = gz ? pprof_write_gz(&p, devnull) : pprof_encode(&p, &out, &len);
            mem_free(out);
            unsigned long left = mem_fail_after(0);
            assert_int_equal(mem_heap_blocks(), blocks);
            if (rc == 0) {
                assert_int_not_equal(left, 0); /* no failure seen */
                break;
            }
            assert_int_equal(rc, ENOMEM);
        }
        assert_true(nth > 5); /* the loop did inject failures */
    }
    free(pcs);
    free(samples);
    close(devnull);
}

/* ---- file:line for mappings whose names are kept -------------------------- */

/* Mapping 0 keeps its names and answers lines: "dup" is a static function
 * of one name in two files (two Functions), alloc_thing has two lines of
 * one file (one Function).  Mapping 1 keeps nothing, and is never asked. */
static const fake_name lined_names[] = {
    { 0x401000, 0x401100, "alloc_thing" },
    { 0x402000, 0x402100, "dup" },
    { 0x403000, 0x403100, "dup" },
    { 0x7f0000000100, 0x7f0000000200, "lib_make" },
};
static const uint64_t lined_pcs0[] = { 0x401011, 0x402021, 0x7f0000000105 };
static const uint64_t lined_pcs1[] = { 0x401051, 0x403021, 0x7f0000000105, 0x404001 };
static const pprof_sample lined_samples[] = {
    { .pcs = lined_pcs0, .depth = 3, .values = { 1, 100, 1, 100 } },
    { .pcs = lined_pcs1, .depth = 4, .values = { 2, 200, 0, 0 } },
};
static size_t lines_calls;

static bool lined_keep(void *ctx, size_t i) { return i == 0; }

static int lined_lines(void *ctx, size_t i, const uint64_t *addrs, size_t n, symbols_line *out)
{
    assert_int_equal(i, 0);
    lines_calls++;
    for (size_t k = 0; k < n; k++) {
        assert_true(k == 0 || addrs[k - 1] < addrs[k]); /* sorted, each once */
        uint64_t a = addrs[k];
        out[k] = a == 0x401010 ? (symbols_line){ "/src/a.c", 10 }
               : a == 0x401050 ? (symbols_line){ "/src/a.c", 12 }
               : a == 0x402020 ? (symbols_line){ "/src/a.c", 30 }
               : a == 0x403020 ? (symbols_line){ "/src/b.c", 40 }
                               : (symbols_line){ NULL, 0 };
    }
    return 0;
}

/* As lined_lines, but naming the functions too, as symbols_lines does for
 * a debug file without .symtab: 0x404000, which no symbol names, is
 * dwarf_only at c.c:7; 0x401010's name from the DWARF is not the
 * symbol's, which stands. */
static int named_lines(void *ctx, size_t i, const uint64_t *addrs, size_t n, symbols_line *out)
{
    assert_int_equal(lined_lines(ctx, i, addrs, n, out), 0);
    for (size_t k = 0; k < n; k++) {
        if (addrs[k] == 0x404000)
            out[k] = (symbols_line){ "/src/c.c", 7, 0, NULL, "dwarf_only" };
        if (addrs[k] == 0x401010)
            out[k].func = "not_the_symbol";
    }
    return 0;
}

static const Perftools__Profiles__Function *func_of(const pb_profile *m, uint64_t loc_id)
{
    const Perftools__Profiles__Location *l = loc_by_id(m, loc_id);
    assert_int_equal(l->n_line, 1);
    for (size_t i = 0; i < m->n_function; i++)
        if (m->function[i]->id == l->line[0]->function_id)
            return m->function[i];
    fail_msg("no function");
    return NULL;
}

/* Every allocation of pprof_encode(p) failing in turn: ENOMEM, nothing
 * leaked, until one run needs no more than it was given. */
static void encode_fails_cleanly(const pprof_profile *p)
{
    uint64_t blocks = mem_heap_blocks();
    for (unsigned long nth = 1;; nth++) {
        uint8_t *out = NULL;
        size_t len;
        mem_fail_after(nth);
        int rc = pprof_encode(p, &out, &len);
        mem_free(out);
        unsigned long left = mem_fail_after(0);
        assert_int_equal(mem_heap_blocks(), blocks);
        if (rc == 0) {
            assert_int_not_equal(left, 0);
            break;
        }
        assert_int_equal(rc, ENOMEM);
    }
}

/* A profile of samples[0..nsamples) over small_maps, whose functions are
 * names[0..nnames), keep marks the mappings whose names are kept, and
 * lines answers for them; func_at gives names and offsets. */
static pprof_profile kept_profile(const fake_name *names, size_t nnames,
                                  const pprof_sample *samples, size_t nsamples,
                                  bool (*keep)(void *, size_t),
                                  int (*lines)(void *, size_t, const uint64_t *, size_t,
                                               symbols_line *))
{
    small_fake = (fake_syms){ .maps = small_maps, .nmaps = 2, .names = names, .nnames = nnames };
    return (pprof_profile){
        .period = 1,
        .samples = samples,
        .nsamples = nsamples,
        .symbols = { &small_fake, fake_count, fake_mapping, fake_func_name, keep,
                     .lines = lines, .func_at = fake_func_at },
    };
}

static void test_lines(void **state)
{
    pprof_profile p = kept_profile(lined_names, 4, lined_samples, 2, lined_keep, lined_lines);
    lines_calls = 0;
    pb_profile *m = encode_decode(&p);
    /* One batch for the one mapping kept; every Line has a file, so no
     * entry is asked for (test_entry_file). */
    assert_int_equal(lines_calls, 1);
    assert_true(m->mapping[0]->has_functions && m->mapping[0]->has_filenames &&
                m->mapping[0]->has_line_numbers);
    assert_false(m->mapping[1]->has_functions || m->mapping[1]->has_filenames ||
                 m->mapping[1]->has_line_numbers);
    const uint64_t *s0 = m->sample[0]->location_id, *s1 = m->sample[1]->location_id;
    /* alloc_thing: one Function, two lines. */
    const Perftools__Profiles__Function *f0 = func_of(m, s0[0]), *f1 = func_of(m, s1[0]);
    assert_ptr_equal(f0, f1);
    assert_string_equal(str(m, f0->name), "alloc_thing");
    assert_string_equal(str(m, f0->filename), "/src/a.c");
    assert_int_equal(loc_by_id(m, s0[0])->line[0]->line, 10);
    assert_int_equal(loc_by_id(m, s1[0])->line[0]->line, 12);
    /* dup in a.c and dup in b.c: two Functions. */
    const Perftools__Profiles__Function *d0 = func_of(m, s0[1]), *d1 = func_of(m, s1[1]);
    assert_ptr_not_equal(d0, d1);
    assert_string_equal(str(m, d0->name), "dup");
    assert_string_equal(str(m, d1->name), "dup");
    assert_string_equal(str(m, d0->filename), "/src/a.c");
    assert_string_equal(str(m, d1->filename), "/src/b.c");
    assert_int_equal(loc_by_id(m, s1[1])->line[0]->line, 40);
    /* The library's frame: a name, no file, no line. */
    const Perftools__Profiles__Function *lf = func_of(m, s0[2]);
    assert_string_equal(str(m, lf->name), "lib_make");
    assert_int_equal(lf->filename, 0);
    assert_int_equal(loc_by_id(m, s0[2])->line[0]->line, 0);
    /* The unnamed frame has no Line at all. */
    assert_int_equal(loc_by_id(m, s1[3])->n_line, 0);
    assert_int_equal(m->n_function, 4);
    perftools__profiles__profile__free_unpacked(m, NULL);
    /* Named by the lines' answer where no symbol names it (before, asked
     * no line: "[fakeprog]"); the symbol's name stands elsewhere. */
    p.symbols.lines = named_lines;
    m = encode_decode(&p);
    const Perftools__Profiles__Function *dw = func_of(m, m->sample[1]->location_id[3]);
    assert_string_equal(str(m, dw->name), "dwarf_only");
    assert_string_equal(str(m, dw->filename), "/src/c.c");
    assert_int_equal(loc_by_id(m, m->sample[1]->location_id[3])->line[0]->line, 7);
    assert_string_equal(str(m, func_of(m, m->sample[0]->location_id[0])->name), "alloc_thing");
    assert_int_equal(m->n_function, 5);
    perftools__profiles__profile__free_unpacked(m, NULL);
    encode_fails_cleanly(&p); /* the lines' step's allocations too */
}

/* Inlined frames: 0x401010 lies in inner, inlined into mid at a.h:5,
 * inlined into alloc_thing at a.c:20; 0x401050 in mid alone (a.c:21), with
 * no line of its own from .debug_line.  Each Location's Lines are
 * innermost first, the symbol's name last; a function inlined at two
 * places of one file is one Function, and so is mid, whose Line without a
 * file takes a.h from the other (test_files_adopted). */
static int inl_lines(void *ctx, size_t i, const uint64_t *addrs, size_t n, symbols_line *out)
{
    static const symbols_frame deep[] = { { "inner", "/src/a.h", 5 }, { "mid", "/src/a.c", 20 } };
    static const symbols_frame shallow[] = { { "mid", "/src/a.c", 21 } };
    (void)ctx;
    assert_int_equal(i, 0);
    for (size_t k = 0; k < n; k++)
        out[k] = addrs[k] == 0x401010 ? (symbols_line){ "/src/a.h", 2, 2, deep }
               : addrs[k] == 0x401050 ? (symbols_line){ NULL, 0, 1, shallow }
                                      : (symbols_line){ NULL, 0, 0, NULL };
    return 0;
}

/* Every address of mapping 0 in inner < mid < its function. */
static int inl_every(void *ctx, size_t i, const uint64_t *addrs, size_t n, symbols_line *out)
{
    static const symbols_frame deep[] = { { "inner", "/src/a.h", 5 }, { "mid", "/src/a.c", 20 } };
    (void)ctx;
    (void)addrs;
    assert_int_equal(i, 0);
    for (size_t k = 0; k < n; k++)
        out[k] = (symbols_line){ "/src/a.h", 2, 2, deep };
    return 0;
}

static void test_inlined_lines(void **state)
{
    (void)state;
    pprof_profile p = kept_profile(lined_names, 4, lined_samples, 2, lined_keep, inl_lines);
    pb_profile *m = encode_decode(&p);
    const Perftools__Profiles__Location *l0 = loc_by_id(m, m->sample[0]->location_id[0]);
    const Perftools__Profiles__Location *l1 = loc_by_id(m, m->sample[1]->location_id[0]);
    static const char *const want0[][3] = {
        { "inner", "/src/a.h", "2" }, { "mid", "/src/a.h", "5" }, { "alloc_thing", "/src/a.c", "20" } };
    static const char *const want1[][3] = { { "mid", "/src/a.h", "0" },
                                            { "alloc_thing", "/src/a.c", "21" } };
    assert_int_equal(l0->n_line, 3);
    assert_int_equal(l1->n_line, 2);
    const Perftools__Profiles__Function *mid0 = NULL, *mid1 = NULL;
    for (size_t k = 0; k < 3 + 2; k++) {
        const Perftools__Profiles__Line *ln = k < 3 ? l0->line[k] : l1->line[k - 3];
        const char *const *w = k < 3 ? want0[k] : want1[k - 3];
        const Perftools__Profiles__Function *f = NULL;
        for (size_t i = 0; i < m->n_function; i++)
            if (m->function[i]->id == ln->function_id)
                f = m->function[i];
        assert_non_null(f);
        assert_string_equal(str(m, f->name), w[0]);
        assert_string_equal(str(m, f->system_name), w[0]);
        assert_string_equal(str(m, f->filename), w[1]);
        assert_int_equal(ln->line, atoi(w[2]));
        if (k == 1)
            mid0 = f;
        if (k == 3)
            mid1 = f;
    }
    /* mid with no line of its own takes the file of its other Line (a.h):
     * one Function, as alloc_thing at a.c twice is.  An inlined Line has
     * no entry of its own to ask for (adopt_files), func_at or not: the
     * vote alone. */
    assert_ptr_equal(mid0, mid1);
    assert_int_equal(l0->line[2]->function_id, l1->line[1]->function_id);
    assert_true(m->mapping[0]->has_functions && m->mapping[0]->has_line_numbers);
    perftools__profiles__profile__free_unpacked(m, NULL);
    /* Many inlined locations: the Lines' array grows (once freed the old
     * array twice, and glibc aborted the profiled program). */
    static uint64_t many_pcs[200][1];
    static pprof_sample many[200];
    for (int i = 0; i < 200; i++) {
        many_pcs[i][0] = 0x401001 + (uint64_t)i; /* 200 addresses of alloc_thing */
        many[i] = (pprof_sample){ .pcs = many_pcs[i], .depth = 1, .values = { 1, 1, 1, 1 } };
    }
    pprof_profile pm = p;
    pm.samples = many;
    pm.nsamples = 200;
    pm.symbols.lines = inl_every;
    m = encode_decode(&pm);
    assert_int_equal(m->n_location, 200);
    for (size_t i = 0; i < m->n_location; i++)
        assert_int_equal(m->location[i]->n_line, 3);
    perftools__profiles__profile__free_unpacked(m, NULL);
    encode_fails_cleanly(&p);
}

/* ---- a file for the Lines without one ------------------------------------ */

/* Both mappings keep their names.  f has lines at a.c:10 and a.c:11 and an
 * address with none (line 0 in .debug_line, or no row at all); g has lines
 * in a.c and in b.c (two static functions of one name) and an address with
 * none; the library's f has no line anywhere. */
static const fake_name hole_names[] = {
    { 0x401000, 0x401100, "f" },
    { 0x402000, 0x402100, "g" },
    { 0x7f0000000100, 0x7f0000000200, "f" },
};
static const uint64_t hole_pcs0[] = { 0x401011, 0x402011 };
static const uint64_t hole_pcs1[] = { 0x401021, 0x402021 };
static const uint64_t hole_pcs2[] = { 0x401031, 0x402031 };
static const uint64_t hole_pcs3[] = { 0x7f0000000101 };
static const pprof_sample hole_samples[] = {
    { .pcs = hole_pcs0, .depth = 2, .values = { 1, 1, 1, 1 } },
    { .pcs = hole_pcs1, .depth = 2, .values = { 1, 1, 1, 1 } },
    { .pcs = hole_pcs2, .depth = 2, .values = { 1, 1, 1, 1 } },
    { .pcs = hole_pcs3, .depth = 1, .values = { 1, 1, 1, 1 } },
};

static bool hole_keep(void *ctx, size_t i) { return true; }

static int hole_lines(void *ctx, size_t i, const uint64_t *addrs, size_t n, symbols_line *out)
{
    for (size_t k = 0; k < n; k++) {
        uint64_t a = addrs[k];
        out[k] = a == 0x401010 ? (symbols_line){ "/src/a.c", 10 }
               : a == 0x401020 ? (symbols_line){ "/src/a.c", 11 }
               : a == 0x402010 ? (symbols_line){ "/src/a.c", 20 }
               : a == 0x402020 ? (symbols_line){ "/src/b.c", 30 }
                               : (symbols_line){ NULL, 0 };
    }
    return 0;
}

/* The Functions named name. */
static size_t funcs_named(const pb_profile *m, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < m->n_function; i++)
        n += strcmp(str(m, m->function[i]->name), name) == 0;
    return n;
}

/* An address of a function without a line gets the function's file when
 * its other addresses in the mapping agree on one: f is one Function, not
 * "f" and "f a.c" (two rows at pprof's -lines and -filefunctions).  The
 * functions' entries (0x401000, 0x402000, the library's) have no line
 * here, so the vote decides (test_entry_file: where they have one). */
static void test_files_adopted(void **state)
{
    (void)state;
    pprof_profile p = kept_profile(hole_names, 3, hole_samples, 3, hole_keep, hole_lines);
    pb_profile *m = encode_decode(&p);
    /* f: one Function, of a.c, that its three Locations refer to; the
     * one without a line keeps line 0. */
    assert_int_equal(funcs_named(m, "f"), 1);
    const Perftools__Profiles__Function *f = func_of(m, m->sample[0]->location_id[0]);
    assert_string_equal(str(m, f->name), "f");
    assert_string_equal(str(m, f->filename), "/src/a.c");
    size_t refs = 0;
    for (size_t i = 0; i < m->n_location; i++)
        refs += m->location[i]->n_line && m->location[i]->line[0]->function_id == f->id;
    assert_int_equal(refs, 3);
    static const int64_t f_lines[] = { 10, 11, 0 };
    for (size_t s = 0; s < 3; s++) {
        assert_ptr_equal(func_of(m, m->sample[s]->location_id[0]), f);
        assert_int_equal(loc_by_id(m, m->sample[s]->location_id[0])->line[0]->line, f_lines[s]);
    }
    /* g in a.c and in b.c: which one the address without a line is in,
     * nothing says, so it keeps no file, as before. */
    assert_int_equal(funcs_named(m, "g"), 3);
    static const char *const g_files[] = { "/src/a.c", "/src/b.c", "" };
    for (size_t s = 0; s < 3; s++) {
        const Perftools__Profiles__Function *g = func_of(m, m->sample[s]->location_id[1]);
        assert_string_equal(str(m, g->name), "g");
        assert_string_equal(str(m, g->filename), g_files[s]);
    }
    assert_int_equal(m->n_function, 4);
    perftools__profiles__profile__free_unpacked(m, NULL);
    /* The library's f is another function: a.c is the program's. */
    p.nsamples = 4;
    m = encode_decode(&p);
    assert_int_equal(funcs_named(m, "f"), 2);
    const Perftools__Profiles__Function *lf = func_of(m, m->sample[3]->location_id[0]);
    assert_string_equal(str(m, lf->name), "f");
    assert_int_equal(lf->filename, 0);
    assert_string_equal(str(m, func_of(m, m->sample[2]->location_id[0])->filename), "/src/a.c");
    perftools__profiles__profile__free_unpacked(m, NULL);
    encode_fails_cleanly(&p);
}

/* inl_lines with the files the DWARF declares inner and mid in
 * (symbols_frame.decl_file): x.h for inner, whose Line has a file, a.h
 * for mid. */
static int decl_lines(void *ctx, size_t i, const uint64_t *addrs, size_t n, symbols_line *out)
{
    static const symbols_frame deep[] = { { "inner", "/src/a.h", 5, "/src/x.h" },
                                          { "mid", "/src/a.c", 20, "/src/a.h" } };
    static const symbols_frame shallow[] = { { "mid", "/src/a.c", 21, "/src/a.h" } };
    (void)ctx;
    assert_int_equal(i, 0);
    for (size_t k = 0; k < n; k++)
        out[k] = addrs[k] == 0x401010 ? (symbols_line){ "/src/a.h", 2, 2, deep }
               : addrs[k] == 0x401050 ? (symbols_line){ NULL, 0, 1, shallow }
                                      : (symbols_line){ NULL, 0, 0, NULL };
    return 0;
}

/* The Function of Line k of sample s's frame 0. */
static const Perftools__Profiles__Function *line_func(const pb_profile *m, size_t s, size_t k)
{
    const Perftools__Profiles__Location *l = loc_by_id(m, m->sample[s]->location_id[0]);
    assert_true(k < l->n_line);
    for (size_t i = 0; i < m->n_function; i++)
        if (m->function[i]->id == l->line[k]->function_id)
            return m->function[i];
    fail_msg("no Function %llu", (unsigned long long)l->line[k]->function_id);
    return NULL;
}

/* An inlined function's Line at line 0 takes the file the DWARF declares
 * the function in, whatever else the profile holds: mid at 0x401050 reads
 * "mid a.h" in a profile that sampled no other frame of mid as in one
 * that did, so pprof -diff_base -filefunctions shows mid as one row, not
 * a minus row "mid" and a plus row "mid a.h".  Before decl_file only the
 * vote (adopt_files) gave it one, in the second profile alone.  A Line
 * with a file keeps it (inner: a.h, not its decl x.h). */
static void test_inlined_decl_file(void **state)
{
    (void)state;
    /* Alone: sample 1, mid at line 0 and nothing else of mid. */
    pprof_profile p = kept_profile(lined_names, 4, lined_samples + 1, 1, lined_keep, decl_lines);
    pb_profile *m = encode_decode(&p);
    const Perftools__Profiles__Function *mid = line_func(m, 0, 0);
    assert_string_equal(str(m, mid->name), "mid");
    assert_string_equal(str(m, mid->filename), "/src/a.h");
    assert_int_equal(loc_by_id(m, m->sample[0]->location_id[0])->line[0]->line, 0);
    assert_int_equal(funcs_named(m, "mid"), 1);
    perftools__profiles__profile__free_unpacked(m, NULL);
    /* With sample 0, where mid has a line in a.h: the same Function. */
    p.samples = lined_samples;
    p.nsamples = 2;
    m = encode_decode(&p);
    assert_int_equal(funcs_named(m, "mid"), 1);
    assert_ptr_equal(line_func(m, 1, 0), line_func(m, 0, 1));
    assert_string_equal(str(m, line_func(m, 1, 0)->filename), "/src/a.h");
    assert_string_equal(str(m, line_func(m, 0, 0)->name), "inner");
    assert_string_equal(str(m, line_func(m, 0, 0)->filename), "/src/a.h");
    assert_int_equal(funcs_named(m, "inner"), 1);
    perftools__profiles__profile__free_unpacked(m, NULL);
    encode_fails_cleanly(&p);
    /* Where the DWARF declares none, the vote alone: nothing to vote in
     * the first profile. */
    p = kept_profile(lined_names, 4, lined_samples + 1, 1, lined_keep, inl_lines);
    m = encode_decode(&p);
    assert_string_equal(str(m, line_func(m, 0, 0)->filename), "");
    perftools__profiles__profile__free_unpacked(m, NULL);
}

/* ---- the file of a function's entry -------------------------------------- */

/* Mapping 0 keeps its names.  f's entry is at a.c:3, and it has a line at
 * a.c:11 and two addresses without one; g's entry holds a function of b.h
 * inlined at g.c:5 (so g's own file is g.c); h's entry has no line, its
 * other address c.c:9. */
static const fake_name entry_names[] = {
    { 0x401000, 0x401100, "f" },
    { 0x402000, 0x402100, "g" },
    { 0x403000, 0x403100, "h" },
};
static const uint64_t entry_pcs0[] = { 0x401031, 0x402031 };
static const uint64_t entry_pcs1[] = { 0x401041, 0x403031 };
static const uint64_t entry_pcs2[] = { 0x401021, 0x403021 };
static const pprof_sample entry_samples[] = {
    { .pcs = entry_pcs0, .depth = 2, .values = { 1, 1, 1, 1 } },
    { .pcs = entry_pcs1, .depth = 2, .values = { 1, 1, 1, 1 } },
    { .pcs = entry_pcs2, .depth = 2, .values = { 1, 1, 1, 1 } },
};

static int entry_lines(void *ctx, size_t i, const uint64_t *addrs, size_t n, symbols_line *out)
{
    static const symbols_frame into_g[] = { { "inl", "/src/g.c", 5 } };
    (void)ctx;
    assert_int_equal(i, 0);
    lines_calls++;
    for (size_t k = 0; k < n; k++) {
        assert_true(k == 0 || addrs[k - 1] < addrs[k]); /* sorted, each once */
        uint64_t a = addrs[k];
        out[k] = a == 0x401000 ? (symbols_line){ "/src/a.c", 3 }
               : a == 0x401020 ? (symbols_line){ "/src/a.c", 11 }
               : a == 0x402000 ? (symbols_line){ "/src/b.h", 2, 1, into_g }
               : a == 0x403020 ? (symbols_line){ "/src/c.c", 9 }
                               : (symbols_line){ NULL, 0 };
    }
    return 0;
}

/* The file of the Function of sample s's frame k. */
static const char *frame_file(const pb_profile *m, size_t s, size_t k)
{
    return str(m, func_of(m, m->sample[s]->location_id[k])->filename);
}

/* A frame without a line takes the file that the line table gives its
 * function's entry, whatever else the profile holds: f's frames without a
 * line read "f a.c" in a profile where no other frame of f was sampled as
 * in one where one was, so pprof -diff_base shows f as one row, not as a
 * minus row "f" and a plus row "f a.c".  Where the entry names no file
 * (h), the function's other Lines decide, as test_files_adopted's do. */
static void test_entry_file(void **state)
{
    (void)state;
    pprof_profile p = kept_profile(entry_names, 3, entry_samples, 1, lined_keep, entry_lines);
    /* Early: f's and g's frames have no line, and nothing else of them. */
    lines_calls = 0;
    pb_profile *m = encode_decode(&p);
    assert_int_equal(lines_calls, 2); /* the locations, then their entries */
    assert_int_equal(funcs_named(m, "f"), 1);
    assert_string_equal(frame_file(m, 0, 0), "/src/a.c");
    assert_int_equal(loc_by_id(m, m->sample[0]->location_id[0])->line[0]->line, 0);
    /* The file of g itself, where inl was inlined, not inl's. */
    assert_string_equal(frame_file(m, 0, 1), "/src/g.c");
    assert_int_equal(loc_by_id(m, m->sample[0]->location_id[1])->n_line, 1);
    perftools__profiles__profile__free_unpacked(m, NULL);
    /* Late: a second frame of f without a line (its entry asked once),
     * one with; h's frames. */
    p.nsamples = 3;
    lines_calls = 0;
    m = encode_decode(&p);
    assert_int_equal(lines_calls, 2);
    assert_int_equal(funcs_named(m, "f"), 1);
    for (size_t s = 0; s < 3; s++)
        assert_string_equal(frame_file(m, s, 0), "/src/a.c");
    assert_int_equal(loc_by_id(m, m->sample[1]->location_id[0])->line[0]->line, 0);
    assert_int_equal(loc_by_id(m, m->sample[2]->location_id[0])->line[0]->line, 11);
    assert_int_equal(funcs_named(m, "h"), 1);
    assert_string_equal(frame_file(m, 1, 1), "/src/c.c");
    assert_string_equal(frame_file(m, 2, 1), "/src/c.c");
    perftools__profiles__profile__free_unpacked(m, NULL);
    encode_fails_cleanly(&p);
    /* Without func_at nothing names an entry: the vote alone, as before. */
    p.symbols.func_at = NULL;
    p.nsamples = 1;
    lines_calls = 0;
    m = encode_decode(&p);
    assert_int_equal(lines_calls, 1);
    assert_string_equal(frame_file(m, 0, 0), "");
    perftools__profiles__profile__free_unpacked(m, NULL);
}

/* A function nested in another's symbol (a local label's sized symbol,
 * an inner function): in address order their frames' entries fall, and
 * are sorted before they are asked for.  Files from entries alone mark
 * the mapping as having files and lines. */
static const fake_name nested_names[] = {
    { 0x401100, 0x401110, "inner" }, /* fake_func_at takes the first that covers */
    { 0x401000, 0x401200, "outer" },
};
static const uint64_t nested_pcs[] = { 0x401105, 0x401151 };
static const pprof_sample nested_samples[] = {
    { .pcs = nested_pcs, .depth = 2, .values = { 1, 1, 1, 1 } },
};

static int nested_lines(void *ctx, size_t i, const uint64_t *addrs, size_t n, symbols_line *out)
{
    (void)ctx;
    assert_int_equal(i, 0);
    for (size_t k = 0; k < n; k++) {
        assert_true(k == 0 || addrs[k - 1] < addrs[k]); /* sorted, as symbols_lines wants */
        out[k] = addrs[k] == 0x401000 ? (symbols_line){ "/src/outer.c", 1 }
               : addrs[k] == 0x401100 ? (symbols_line){ "/src/inner.c", 1 }
                                      : (symbols_line){ NULL, 0 };
    }
    return 0;
}

static void test_entry_nested(void **state)
{
    (void)state;
    pprof_profile p = kept_profile(nested_names, 2, nested_samples, 1, lined_keep, nested_lines);
    pb_profile *m = encode_decode(&p);
    assert_string_equal(frame_file(m, 0, 0), "/src/inner.c");
    assert_string_equal(frame_file(m, 0, 1), "/src/outer.c");
    assert_true(m->mapping[0]->has_filenames && m->mapping[0]->has_line_numbers);
    perftools__profiles__profile__free_unpacked(m, NULL);
}

/* Two kept mappings, each with a frame without a line: each mapping's
 * entries are asked right after its lines, between lines_hold true and
 * false, so that the source may keep what it read of one file for both
 * (symbols_lines_hold: inflating a compressed debug file again cost 40 to
 * 70 ms); false follows true on every failure too. */
static const fake_name hold_names[] = {
    { 0x401000, 0x401100, "f" },
    { 0x7f0000000100, 0x7f0000000200, "lf" },
};
static const uint64_t hold_pcs[] = { 0x401021, 0x7f0000000121 };
static const pprof_sample hold_samples[] = {
    { .pcs = hold_pcs, .depth = 2, .values = { 1, 1, 1, 1 } },
};

static char hold_log[64]; /* H hold, R release, then per batch its mapping and first address's */
static size_t hold_nlog;
static int hold_depth;

static bool hold_keep(void *ctx, size_t i)
{
    (void)ctx;
    return i < 2;
}

static void hold_hold(void *ctx, bool hold)
{
    (void)ctx;
    assert_int_equal(hold_depth, !hold); /* true, then false, never nested */
    hold_depth = hold;
    if (hold_nlog < sizeof hold_log - 1)
        hold_log[hold_nlog++] = hold ? 'H' : 'R';
}

/* Entries (0x401000, 0x7f0000000100) at a.c:1 and l.c:1; nothing else
 * has a line. */
static int hold_lines(void *ctx, size_t i, const uint64_t *addrs, size_t n, symbols_line *out)
{
    (void)ctx;
    assert_int_equal(hold_depth, 1);
    bool entry = addrs[0] == 0x401000 || addrs[0] == 0x7f0000000100;
    if (hold_nlog < sizeof hold_log - 2) {
        hold_log[hold_nlog++] = (char)('0' + i);
        hold_log[hold_nlog++] = entry ? 'e' : 'l';
    }
    for (size_t k = 0; k < n; k++)
        out[k] = addrs[k] == 0x401000       ? (symbols_line){ "/src/a.c", 1 }
               : addrs[k] == 0x7f0000000100 ? (symbols_line){ "/src/l.c", 1 }
                                            : (symbols_line){ NULL, 0 };
    return 0;
}

static void test_entries_held(void **state)
{
    (void)state;
    pprof_profile p = kept_profile(hold_names, 2, hold_samples, 1, hold_keep, hold_lines);
    p.symbols.lines_hold = hold_hold;
    hold_nlog = 0;
    pb_profile *m = encode_decode(&p);
    hold_log[hold_nlog] = '\0';
    assert_string_equal(hold_log, "H0l0e1l1eR");
    assert_string_equal(frame_file(m, 0, 0), "/src/a.c");
    assert_string_equal(frame_file(m, 0, 1), "/src/l.c");
    perftools__profiles__profile__free_unpacked(m, NULL);
    encode_fails_cleanly(&p);
    assert_int_equal(hold_depth, 0);
}

/* ---- manual modes -------------------------------------------------------- */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int write_file(const char *path, const pprof_profile *p)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        perror(path);
        return 1;
    }
    int rc = pprof_write_gz(p, fd);
    if (close(fd) && !rc)
        rc = errno;
    if (rc)
        fprintf(stderr, "%s: %s\n", path, strerror(rc));
    return rc != 0;
}

/* Call-tree shaped stacks: frame d (from the root) depends on the path to
 * it, and i's bits pick one of two callees at each of the outer 17 levels, so
 * the root-side frames are shared by many stacks, as in real programs. */
static void make_tree(uint64_t *pcs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t path = 1;
        for (int d = 0; d < BIG_DEPTH; d++) {
            path = path * 2 + (d < 17 ? (i >> d) & 1 : 0);
            pcs[i * BIG_DEPTH + (BIG_DEPTH - 1 - d)] =
                big_pc((uint32_t)((path * 0x9E3779B97F4A7C15ULL) >> 40) % BIG_POOL);
        }
    }
}

static int bench(const char *path)
{
    uint64_t *pcs;
    pprof_sample *samples;
    pprof_profile p = big_profile(100000, &pcs, &samples);
    for (int shape = 0; shape < 2; shape++) {
        if (shape == 1)
            make_tree(pcs, p.nsamples);
        for (int run = 0; run < 3; run++) {
            double t0 = now_ms();
            uint8_t *buf;
            size_t len;
            if (pprof_encode(&p, &buf, &len))
                return 1;
            double t1 = now_ms();
            mem_free(buf);
            if (write_file(path, &p))
                return 1;
            double t2 = now_ms();
            struct stat st;
            stat(path, &st);
            printf("%s: 100k stacks x %d frames: encode %.1f ms (%zu bytes), "
                   "write_gz %.1f ms (%lld bytes)\n", shape ? "tree" : "random",
                   BIG_DEPTH, t1 - t0, len, t2 - t1, (long long)st.st_size);
        }
    }
    free(pcs);
    free(samples);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write") == 0) {
        pprof_profile p = small_profile();
        return write_file(argv[2], &p);
    }
    if (argc == 3 && strcmp(argv[1], "--bench") == 0)
        return bench(argv[2]);

    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_fields),
        cmocka_unit_test(test_mappings),
        cmocka_unit_test(test_samples_and_locations),
        cmocka_unit_test(test_main_mapping_first),
        cmocka_unit_test(test_sample_encoding_edges),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_many_stacks),
        cmocka_unit_test(test_write_gz),
        cmocka_unit_test(test_write_gz_large),
        cmocka_unit_test(test_write_gz_enospc),
        cmocka_unit_test(test_write_gz_bad_fd),
        cmocka_unit_test(test_sample_callback),
        cmocka_unit_test(test_memory_flat_in_samples),
        cmocka_unit_test(test_alloc_failures),
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_inlined_lines),
        cmocka_unit_test(test_files_adopted),
        cmocka_unit_test(test_inlined_decl_file),
        cmocka_unit_test(test_entry_file),
        cmocka_unit_test(test_entry_nested),
        cmocka_unit_test(test_entries_held),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * fuzz_pprof.c - libFuzzer target for the pprof encoder (pprof.c): random
 * tables in, pprof_encode, unpack with protobuf-c, and compare everything
 * a reader sees with what went in.  Also pprof_write_gz into a pipe-less
 * memory file, gunzipped, must give the very same bytes.
 *
 * The input is consumed as a stream of choices (a tiny FuzzedDataProvider):
 * mappings (sorted, disjoint, as the symbolizer gives them), a small pool
 * of function names, comments, and samples with arbitrary 64-bit return
 * addresses (0 included: its location is 2^64-1), values and labels.
 *
 * Compared, per sample: the four values; per frame, the location's address
 * (pc - 1), its mapping (the one containing pc - 1, or none), its function
 * name (or no line when the symbol source knows none); each label's key,
 * and string value or number and unit.  Globally: sample types, period and
 * its type, default sample type, times, comments, mapping fields, one
 * Function per distinct name, string_table[0] == "".
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include "mem.h"
#include "pprof.h"
#include "profile.pb-c.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_pprof: check failed: %s (line %d)\n", #cond, __LINE__);         \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

typedef Perftools__Profiles__Profile pb_profile;

/* ---- the input as a stream of choices ------------------------------------ */

typedef struct in {
    const uint8_t *p;
    size_t n;
} in;

static uint64_t take(in *d, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes && d->n; i++, d->p++, d->n--)
        v = v << 8 | *d->p;
    return v;
}

static uint64_t take_range(in *d, uint64_t max) { return max ? take(d, 1) % (max + 1) : 0; }

/* A string of 0..max bytes; empty allowed only when allow_empty.  Bytes
 * are printable so that string equality is what the reader compares. */
static char *take_str(in *d, size_t max, int allow_empty, char *buf)
{
    size_t len = take_range(d, max);
    if (!len && !allow_empty)
        len = 1;
    for (size_t i = 0; i < len; i++)
        buf[i] = (char)(' ' + take(d, 1) % 95);
    buf[len] = '\0';
    return buf;
}

/* ---- the fake symbol source ---------------------------------------------- */

enum { MAXMAPS = 6, MAXNAMES = 8, MAXSAMPLES = 48, MAXDEPTH = 20, MAXLABELS = 5, MAXCOMMENTS = 3,
       STRMAX = 24 };

static hp_mapping maps[MAXMAPS];
static size_t nmaps;
static char map_path[MAXMAPS][STRMAX + 2], map_id[MAXMAPS][STRMAX + 2];
static char names[MAXNAMES][STRMAX + 2];
static size_t nnames;
static uint64_t name_salt;

static size_t fake_count(void *ctx) { return nmaps; }
static const hp_mapping *fake_mapping(void *ctx, size_t i) { return i < nmaps ? &maps[i] : NULL; }

/* A deterministic name for an address (the encoder may ask once or many
 * times); about one address in five has none. */
static const char *fake_name(void *ctx, uint64_t addr)
{
    if (!nnames)
        return NULL;
    uint64_t h = (addr ^ name_salt) * 0x9E3779B97F4A7C15ULL;
    if ((h >> 60) < 3)
        return NULL;
    return names[(h >> 32) % nnames];
}

static long mapping_of(uint64_t addr)
{
    for (size_t i = 0; i < nmaps; i++)
        if (addr >= maps[i].start && addr < maps[i].limit)
            return (long)i;
    return -1;
}

/* ---- building the input profile ------------------------------------------ */

static uint64_t pcs[MAXSAMPLES][MAXDEPTH];
static pprof_label labels[MAXSAMPLES][MAXLABELS];
static char label_text[MAXSAMPLES][MAXLABELS][3][STRMAX + 2];
static pprof_sample samples[MAXSAMPLES];
static char comment_text[MAXCOMMENTS][STRMAX + 2];
static const char *comments[MAXCOMMENTS];

static pprof_profile build(in *d)
{
    /* Mappings: increasing, disjoint, non-empty. */
    nmaps = take_range(d, MAXMAPS);
    uint64_t at = take(d, 4) << 12;
    for (size_t i = 0; i < nmaps; i++) {
        uint64_t gap = take(d, 2) << 4, len = (take(d, 2) + 1) << 4;
        if (at + gap + len < at) { /* would wrap: stop here */
            nmaps = i;
            break;
        }
        maps[i] = (hp_mapping){at + gap, at + gap + len, take(d, 2) << 12,
                               take_str(d, STRMAX, 1, map_path[i]), take_str(d, STRMAX, 1, map_id[i])};
        at = maps[i].limit;
    }
    nnames = take_range(d, MAXNAMES);
    for (size_t i = 0; i < nnames; i++)
        take_str(d, STRMAX, 0, names[i]);
    name_salt = take(d, 2);
    size_t nc = take_range(d, MAXCOMMENTS);
    for (size_t i = 0; i < nc; i++)
        comments[i] = take_str(d, STRMAX, 1, comment_text[i]);
    size_t ns = take_range(d, MAXSAMPLES);
    for (size_t i = 0; i < ns; i++) {
        pprof_sample *s = &samples[i];
        s->depth = (uint32_t)take_range(d, MAXDEPTH);
        for (uint32_t k = 0; k < s->depth; k++) {
            /* Mostly addresses inside or near mappings; some anywhere. */
            uint64_t mode = take(d, 1) % 4;
            if (mode == 0 || !nmaps)
                pcs[i][k] = take(d, 8);
            else if (mode == 1 && i > 0 && samples[i - 1].depth)
                pcs[i][k] = pcs[i - 1][k % samples[i - 1].depth]; /* shared frames */
            else
                pcs[i][k] = maps[take(d, 1) % nmaps].start + take(d, 2);
        }
        s->pcs = pcs[i];
        for (int v = 0; v < PPROF_NVALUES; v++)
            s->values[v] = (int64_t)take(d, take(d, 1) % 9);
        s->nlabels = (uint32_t)take_range(d, MAXLABELS);
        for (uint32_t k = 0; k < s->nlabels; k++) {
            pprof_label *l = &labels[i][k];
            l->key = take_str(d, STRMAX, 0, label_text[i][k][0]);
            if (take(d, 1) & 1) {
                l->str = take_str(d, STRMAX, 0, label_text[i][k][1]);
                l->num = 0;
                l->num_unit = NULL;
            } else {
                l->str = NULL;
                l->num = (int64_t)take(d, 8);
                l->num_unit = take(d, 1) & 1 ? take_str(d, STRMAX, 1, label_text[i][k][2]) : NULL;
            }
        }
        s->labels = labels[i];
    }
    return (pprof_profile){
        .time_nanos = (int64_t)take(d, 8),
        .duration_nanos = (int64_t)take(d, 8),
        .period = (int64_t)take(d, 4),
        .default_alloc = take(d, 1) & 1,
        .samples = samples,
        .nsamples = ns,
        .comments = comments,
        .ncomments = nc,
        .symbols = {NULL, fake_count, fake_mapping, fake_name},
    };
}

/* ---- comparing ----------------------------------------------------------- */

static const char *str(const pb_profile *m, int64_t i)
{
    CHECK(i >= 0 && (size_t)i < m->n_string_table);
    return m->string_table[i];
}

static const Perftools__Profiles__Location *loc(const pb_profile *m, uint64_t id)
{
    CHECK(id >= 1 && id <= m->n_location);
    const Perftools__Profiles__Location *l = m->location[id - 1];
    CHECK(l->id == id);
    return l;
}

static void compare(const pprof_profile *p, const pb_profile *m)
{
    static const char *const types[4][2] = {
        {"alloc_objects", "count"}, {"alloc_space", "bytes"},
        {"inuse_objects", "count"}, {"inuse_space", "bytes"}};
    CHECK(m->n_string_table >= 1 && !strcmp(m->string_table[0], ""));
    CHECK(m->n_sample_type == 4);
    for (int i = 0; i < 4; i++) {
        CHECK(!strcmp(str(m, m->sample_type[i]->type), types[i][0]));
        CHECK(!strcmp(str(m, m->sample_type[i]->unit), types[i][1]));
    }
    CHECK(m->period_type && !strcmp(str(m, m->period_type->type), "space"));
    CHECK(!strcmp(str(m, m->period_type->unit), "bytes"));
    CHECK(m->period == p->period);
    CHECK(!strcmp(str(m, m->default_sample_type), p->default_alloc ? "alloc_space" : "inuse_space"));
    CHECK(m->time_nanos == p->time_nanos && m->duration_nanos == p->duration_nanos);
    CHECK(m->n_comment == p->ncomments);
    for (size_t i = 0; i < p->ncomments; i++)
        CHECK(!strcmp(str(m, m->comment[i]), p->comments[i]));
    CHECK(m->n_mapping == nmaps);
    for (size_t i = 0; i < nmaps; i++) {
        const Perftools__Profiles__Mapping *pm = m->mapping[i];
        CHECK(pm->id == i + 1);
        CHECK(pm->memory_start == maps[i].start && pm->memory_limit == maps[i].limit);
        CHECK(pm->file_offset == maps[i].offset);
        CHECK(!strcmp(str(m, pm->filename), maps[i].path));
        CHECK(!strcmp(str(m, pm->build_id), maps[i].build_id));
    }
    /* One Location per address. */
    for (size_t i = 0; i < m->n_location; i++)
        for (size_t j = 0; j < i; j++)
            CHECK(m->location[i]->address != m->location[j]->address);
    /* One Function per distinct name, named by it. */
    for (size_t i = 0; i < m->n_function; i++) {
        CHECK(m->function[i]->id == i + 1);
        CHECK(m->function[i]->name == m->function[i]->system_name);
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(str(m, m->function[i]->name), str(m, m->function[j]->name)));
    }
    CHECK(m->n_sample == p->nsamples);
    for (size_t i = 0; i < p->nsamples; i++) {
        const pprof_sample *s = &p->samples[i];
        const Perftools__Profiles__Sample *ms = m->sample[i];
        CHECK(ms->n_value == 4);
        for (int v = 0; v < 4; v++)
            CHECK(ms->value[v] == s->values[v]);
        CHECK(ms->n_location_id == s->depth);
        for (uint32_t k = 0; k < s->depth; k++) {
            const Perftools__Profiles__Location *l = loc(m, ms->location_id[k]);
            uint64_t addr = s->pcs[k] - 1;
            CHECK(l->address == addr);
            long mi = mapping_of(addr);
            CHECK(l->mapping_id == (uint64_t)(mi + 1));
            const char *name = fake_name(NULL, addr);
            if (!name) {
                CHECK(l->n_line == 0);
            } else {
                CHECK(l->n_line == 1);
                uint64_t fid = l->line[0]->function_id;
                CHECK(fid >= 1 && fid <= m->n_function);
                CHECK(!strcmp(str(m, m->function[fid - 1]->name), name));
            }
        }
        CHECK(ms->n_label == s->nlabels);
        for (uint32_t k = 0; k < s->nlabels; k++) {
            const pprof_label *l = &s->labels[k];
            const Perftools__Profiles__Label *ml = ms->label[k];
            CHECK(!strcmp(str(m, ml->key), l->key));
            if (l->str) {
                CHECK(!strcmp(str(m, ml->str), l->str));
                CHECK(ml->num == 0);
            } else {
                CHECK(ml->str == 0);
                CHECK(ml->num == l->num);
                CHECK(!strcmp(str(m, ml->num_unit), l->num_unit ? l->num_unit : ""));
            }
        }
    }
}

/* pprof_write_gz into a memory file; gunzipped it must equal `raw`. */
static void check_gz(const pprof_profile *p, const uint8_t *raw, size_t len)
{
    int fd = memfd_create("fuzz_pprof", MFD_CLOEXEC);
    CHECK(fd >= 0);
    CHECK(pprof_write_gz(p, fd) == 0);
    off_t gzlen = lseek(fd, 0, SEEK_END);
    CHECK(gzlen > 0);
    uint8_t *gz = malloc((size_t)gzlen);
    CHECK(gz && pread(fd, gz, (size_t)gzlen, 0) == gzlen);
    close(fd);
    uint8_t *out = malloc(len + 1);
    CHECK(out);
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    CHECK(inflateInit2(&zs, 15 + 16) == Z_OK);
    zs.next_in = gz;
    zs.avail_in = (uInt)gzlen;
    zs.next_out = out;
    zs.avail_out = (uInt)(len + 1);
    CHECK(inflate(&zs, Z_FINISH) == Z_STREAM_END);
    CHECK(zs.total_out == len && zs.avail_in == 0);
    CHECK(!memcmp(out, raw, len));
    inflateEnd(&zs);
    free(out);
    free(gz);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    in d = {data, size};
    pprof_profile p = build(&d);
    uint8_t *raw = NULL;
    size_t len = 0;
    CHECK(pprof_encode(&p, &raw, &len) == 0);
    pb_profile *m = perftools__profiles__profile__unpack(NULL, len, raw);
    CHECK(m != NULL);
    compare(&p, m);
    perftools__profiles__profile__free_unpacked(m, NULL);
    check_gz(&p, raw, len);
    mem_free(raw);
    return 0;
}

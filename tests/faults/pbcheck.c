/*
 * pbcheck.c - is this file a complete, consistent heap profile?  And what
 * does it say per leaf function?  Used by tests/faults and tests/realprogs
 * (kept separate from tests/tools so those suites build on their own).
 *
 * Usage: pbcheck [--leaf PREFIX | --stacks] FILE.pb.gz
 *
 * The whole file must be one complete gzip stream (a torn file fails here,
 * not just "decodes to less"), and the message must unpack and be
 * consistent: string_table[0] is "", every string index in range, every
 * location/function/mapping id referenced exists, four sample types, four
 * values per sample.  Prints "ok samples=N" and, with --leaf, one line per
 * leaf function whose name starts with PREFIX:
 *   leaf NAME alloc_objects alloc_space inuse_objects inuse_space
 * and, with --stacks, one line per sample:
 *   stack alloc_objects alloc_space inuse_objects inuse_space | LEAF ... ROOT
 * each frame the function's name (for an address without one, its object
 * and offset in that object's file, "rg+0x1a2b3"; "?" without a mapping),
 * so that two runs of a program compare whatever their address layout,
 * stripped code frame by frame too; then the
 * comments as "comment TEXT".  Exit status 0 ok, 1 unreadable or
 * torn, 2 inconsistent.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "profile.pb-c.h"

typedef Perftools__Profiles__Profile pb_profile;

static const char *file;

static void die(int code, const char *what)
{
    fprintf(stderr, "pbcheck: %s: %s\n", file, what);
    exit(code);
}

/* The file's bytes, inflated; dies unless it is exactly one whole gzip
 * stream. */
static uint8_t *inflate_file(size_t *outlen)
{
    FILE *f = fopen(file, "rb");
    if (!f)
        die(1, "cannot open");
    size_t cap = 1 << 16, n = 0;
    uint8_t *in = malloc(cap);
    for (size_t r; in && (r = fread(in + n, 1, cap - n, f)) > 0;) {
        n += r;
        if (n == cap)
            in = realloc(in, cap *= 2);
    }
    fclose(f);
    if (!in)
        die(1, "out of memory");
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 15 + 16) != Z_OK)
        die(1, "inflateInit2 failed");
    size_t ocap = n * 4 + 4096, olen = 0;
    uint8_t *out = malloc(ocap);
    zs.next_in = in;
    zs.avail_in = (uInt)n;
    int r;
    do {
        if (ocap - olen < 4096)
            out = realloc(out, ocap *= 2);
        if (!out)
            die(1, "out of memory");
        zs.next_out = out + olen;
        zs.avail_out = (uInt)(ocap - olen);
        r = inflate(&zs, Z_NO_FLUSH);
        olen = ocap - zs.avail_out;
    } while (r == Z_OK);
    if (r != Z_STREAM_END)
        die(1, r == Z_BUF_ERROR ? "torn: the gzip stream ends early" : "corrupt gzip data");
    if (zs.avail_in != 0)
        die(1, "garbage after the gzip stream");
    inflateEnd(&zs);
    free(in);
    *outlen = olen;
    return out;
}

static int errors;

static void bad(const char *what, unsigned long long v)
{
    if (errors++ < 10)
        fprintf(stderr, "pbcheck: %s: inconsistent: %s (%llu)\n", file, what, v);
}

static bool str_ok(const pb_profile *p, int64_t i) { return i >= 0 && (size_t)i < p->n_string_table; }

/* Ids are checked by linear search: profiles here are small. */
static const Perftools__Profiles__Location *loc(const pb_profile *p, uint64_t id)
{
    for (size_t i = 0; i < p->n_location; i++)
        if (p->location[i]->id == id)
            return p->location[i];
    return NULL;
}

static const Perftools__Profiles__Function *func(const pb_profile *p, uint64_t id)
{
    for (size_t i = 0; i < p->n_function; i++)
        if (p->function[i]->id == id)
            return p->function[i];
    return NULL;
}

static bool mapping_ok(const pb_profile *p, uint64_t id)
{
    for (size_t i = 0; id && i < p->n_mapping; i++)
        if (p->mapping[i]->id == id)
            return true;
    return id == 0;
}

static void check(const pb_profile *p)
{
    if (p->n_string_table == 0 || strcmp(p->string_table[0], ""))
        bad("string_table[0] is not empty", 0);
    if (p->n_sample_type != 4)
        bad("sample types", p->n_sample_type);
    for (size_t i = 0; i < p->n_sample_type; i++)
        if (!str_ok(p, p->sample_type[i]->type) || !str_ok(p, p->sample_type[i]->unit))
            bad("sample type string", i);
    for (size_t i = 0; i < p->n_comment; i++)
        if (!str_ok(p, p->comment[i]))
            bad("comment string", i);
    for (size_t i = 0; i < p->n_mapping; i++)
        if (!p->mapping[i]->id || !str_ok(p, p->mapping[i]->filename) ||
            !str_ok(p, p->mapping[i]->build_id))
            bad("mapping", i);
    for (size_t i = 0; i < p->n_function; i++)
        if (!p->function[i]->id || !str_ok(p, p->function[i]->name) ||
            !str_ok(p, p->function[i]->system_name))
            bad("function", i);
    for (size_t i = 0; i < p->n_location; i++) {
        const Perftools__Profiles__Location *l = p->location[i];
        if (!l->id || !mapping_ok(p, l->mapping_id))
            bad("location id or mapping", i);
        for (size_t k = 0; k < l->n_line; k++)
            if (!func(p, l->line[k]->function_id))
                bad("line's function", i);
    }
    for (size_t i = 0; i < p->n_sample; i++) {
        const Perftools__Profiles__Sample *s = p->sample[i];
        if (s->n_value != 4)
            bad("sample values", i);
        for (size_t k = 0; k < s->n_location_id; k++)
            if (!loc(p, s->location_id[k]))
                bad("sample's location", i);
        for (size_t k = 0; k < s->n_label; k++)
            if (!str_ok(p, s->label[k]->key) || !str_ok(p, s->label[k]->str) ||
                !str_ok(p, s->label[k]->num_unit))
                bad("label string", i);
    }
}

static const char *leaf_name(const pb_profile *p, const Perftools__Profiles__Sample *s)
{
    if (!s->n_location_id)
        return "(empty)";
    const Perftools__Profiles__Location *l = loc(p, s->location_id[0]);
    if (!l || !l->n_line)
        return "?";
    const Perftools__Profiles__Function *f = func(p, l->line[0]->function_id);
    return f ? p->string_table[f->name] : "?";
}

/* A frame without a name, as its object and offset in that object's file
 * ("rg+0x1a2b3"): the same in every run whatever the address layout, so
 * that two runs of a stripped program compare frame by frame. */
static void print_unnamed(const pb_profile *p, const Perftools__Profiles__Location *l)
{
    for (size_t i = 0; l && l->mapping_id && i < p->n_mapping; i++) {
        const Perftools__Profiles__Mapping *m = p->mapping[i];
        if (m->id != l->mapping_id || l->address < m->memory_start)
            continue;
        const char *obj = p->string_table[m->filename], *slash = strrchr(obj, '/');
        printf(" %s+0x%llx", slash ? slash + 1 : obj,
               (unsigned long long)(l->address - m->memory_start + m->file_offset));
        return;
    }
    printf(" ?");
}

static void print_stacks(const pb_profile *p)
{
    for (size_t i = 0; i < p->n_sample; i++) {
        const Perftools__Profiles__Sample *s = p->sample[i];
        printf("stack %lld %lld %lld %lld |", (long long)s->value[0], (long long)s->value[1],
               (long long)s->value[2], (long long)s->value[3]);
        for (size_t k = 0; k < s->n_location_id; k++) {
            const Perftools__Profiles__Location *l = loc(p, s->location_id[k]);
            /* Inlined frames first, as pprof lists them. */
            for (size_t j = 0; l && j < l->n_line; j++) {
                const Perftools__Profiles__Function *f = func(p, l->line[j]->function_id);
                printf(" %s", f ? p->string_table[f->name] : "?");
            }
            if (!l || !l->n_line)
                print_unnamed(p, l);
        }
        printf("\n");
    }
}

static void print_leaves(const pb_profile *p, const char *prefix)
{
    /* Distinct names with the prefix, in order of first appearance. */
    const char **names = calloc(p->n_sample + 1, sizeof *names);
    int64_t(*sums)[4] = calloc(p->n_sample + 1, sizeof *sums);
    size_t nn = 0;
    for (size_t i = 0; i < p->n_sample; i++) {
        const char *n = leaf_name(p, p->sample[i]);
        if (strncmp(n, prefix, strlen(prefix)))
            continue;
        size_t k = 0;
        while (k < nn && strcmp(names[k], n))
            k++;
        if (k == nn)
            names[nn++] = n;
        for (int v = 0; v < 4; v++)
            sums[k][v] += p->sample[i]->value[v];
    }
    for (size_t k = 0; k < nn; k++)
        printf("leaf %s %lld %lld %lld %lld\n", names[k], (long long)sums[k][0],
               (long long)sums[k][1], (long long)sums[k][2], (long long)sums[k][3]);
    free(names);
    free(sums);
}

int main(int argc, char **argv)
{
    const char *prefix = NULL;
    bool stacks = false;
    int a = 1;
    if (argc > 2 && !strcmp(argv[1], "--leaf")) {
        prefix = argv[2];
        a = 3;
    } else if (argc > 1 && !strcmp(argv[1], "--stacks")) {
        stacks = true;
        a = 2;
    }
    if (a != argc - 1) {
        fprintf(stderr, "usage: pbcheck [--leaf PREFIX | --stacks] FILE.pb.gz\n");
        return 2;
    }
    file = argv[a];
    size_t len;
    uint8_t *buf = inflate_file(&len);
    pb_profile *p = perftools__profiles__profile__unpack(NULL, len, buf);
    if (!p)
        die(2, "not a profile.proto message");
    check(p);
    if (errors)
        return 2;
    printf("ok samples=%zu\n", p->n_sample);
    if (prefix)
        print_leaves(p, prefix);
    if (stacks)
        print_stacks(p);
    for (size_t i = 0; i < p->n_comment; i++)
        printf("comment %s\n", p->string_table[p->comment[i]]);
    perftools__profiles__profile__free_unpacked(p, NULL);
    free(buf);
    return 0;
}

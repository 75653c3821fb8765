/*
 * fuzz_dwarfinline.c - libFuzzer target for the inlined-function reader
 * (dwarfinline.c).
 *
 * Input: the sections .debug_abbrev, .debug_line, .debug_line_str,
 * .debug_str, .debug_ranges, .debug_rnglists, .debug_addr and
 * .debug_str_offsets, each as a 2-byte little-endian length and that many
 * bytes, and the rest is .debug_info (a short input leaves the later
 * sections empty).  Sections are read only through the callback, which
 * checks every request lies inside its section.  The same .debug_info,
 * .debug_abbrev and .debug_str serve as the supplementary file's (dwz -m),
 * read through a view of their own: references into it (DW_FORM_GNU_ref_alt,
 * DW_FORM_ref_sup4/8, and their strings) lead into the same bytes.
 *
 * Two scans for a spread of addresses: one over every unit, indexing them;
 * then, for addresses inside each unit's range, one over every unit and
 * one over only the units whose range holds one, which must answer
 * exactly alike (decl files too).  Every answer has 1 to
 * DWARFINLINE_DEPTH_MAX functions, each with a non-empty name, a call file
 * and a decl file each NULL or non-empty, and no query is answered twice.
 *
 * The input's last byte (modulo 3) also picks the sink's placed, as
 * srclines.c gives it for profiles (the decl files looked up lazily, and
 * the names' memo asked again for them): none (every frame's decl file),
 * every odd query placed, or each query by a bit of that byte.  With one,
 * a frame whose position has a file has no decl file: the innermost of a
 * placed query, and each one inlined into a frame with a call file.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dwarfinline.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_dwarfinline: check failed: %s (line %d)\n", #cond, __LINE__);   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

enum { NQ = 64 };

static const uint8_t *sec_p[DWARFINLINE_NSECS];
static unsigned placed_mode, placed_bits;

static bool placed(void *ctx, size_t q)
{
    (void)ctx;
    CHECK(q < NQ);
    return placed_mode == 1 ? q % 2 : (placed_bits >> (q % 8)) & 1;
}

/* A split unit left for a later scan, as the input's last byte says: the
 * skeleton's ranges are read again after its split unit's walk (defer). */
static bool self_again(void *ctx, bool other_build)
{
    (void)ctx;
    (void)other_build;
    return placed_bits >> 3 & 1;
}

static void later(void *ctx, size_t q)
{
    (void)ctx;
    CHECK(q < NQ);
}

typedef struct answers {
    int calls[NQ];
    uint64_t hash[NQ];
    uint64_t ulo[NQ], uhi[NQ], uoff[NQ];
    size_t nunits, seen;
} answers;

static bool rd(void *ctx, int sec, uint64_t off, void *dst, size_t len)
{
    const dwarfinline_src *src = ctx;
    CHECK(sec >= 0 && sec < DWARFINLINE_NSECS);
    CHECK(off <= src->size[sec] && len <= src->size[sec] - off);
    memcpy(dst, sec_p[sec] + off, len);
    return true;
}

static uint64_t mix(uint64_t h, const char *s)
{
    for (; s && *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return (h ^ 0xff) * 1099511628211ULL;
}

static void found(void *ctx, size_t q, const dwarfinline_frame *f, size_t n)
{
    answers *a = ctx;
    CHECK(q < NQ);
    CHECK(n >= 1 && n <= DWARFINLINE_DEPTH_MAX);
    uint64_t h = 1469598103934665603ULL;
    for (size_t k = 0; k < n; k++) {
        CHECK(f[k].name && f[k].name[0]);
        CHECK(!f[k].file || f[k].file[0]);
        CHECK(!f[k].decl_file || f[k].decl_file[0]);
        if (placed_mode)
            CHECK(!f[k].decl_file || (k ? !f[k - 1].file : !placed(NULL, q)));
        h = mix(mix(mix(h, f[k].name), f[k].file), f[k].decl_file) ^ f[k].line;
    }
    a->calls[q]++;
    a->hash[q] = h;
}

/* The function holding query q: a name, whatever the input. */
static void func(void *ctx, size_t q, const char *name)
{
    (void)ctx;
    CHECK(q < NQ);
    CHECK(name && name[0] && strlen(name) < (1 << 16));
}

static void unit(void *ctx, uint64_t off, uint64_t lo, uint64_t hi)
{
    answers *a = ctx;
    CHECK(lo <= hi);
    a->seen++;
    if (a->nunits < NQ) {
        a->uoff[a->nunits] = off;
        a->ulo[a->nunits] = lo;
        a->uhi[a->nunits++] = hi;
    }
}

static int cmp_u64(const void *pa, const void *pb)
{
    uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    return (a > b) - (a < b);
}

static void scan(dwarfinline_src *src, const uint64_t *q, size_t n, const uint64_t *units,
                 size_t nunits, answers *a)
{
    memset(a, 0, sizeof *a);
    src->ctx = src;
    dwarfinline_sink sink = { a, found, unit, NULL, func, placed_mode ? placed : NULL, later };
    CHECK(dwarfinline_scan(src, q, n, units, nunits, &sink) == 0);
    for (size_t i = 0; i < n; i++)
        CHECK(a->calls[i] <= 1);
}

/* dwarfinline_src.split: the input's own sections stand for the .dwo of
 * a skeleton unit, so that a skeleton in the input reaches the reading
 * of its split unit (dwarfinline_split.c). */
static const dwarfinline_src *split_self;
static const dwarfinline_src *self_split(void *ctx, const char *path)
{
    (void)ctx;
    (void)path;
    return split_self;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int order[] = { DWARFINLINE_ABBREV, DWARFLINE_LINE, DWARFLINE_LINE_STR,
                                 DWARFLINE_STR, DWARFINLINE_RANGES, DWARFINLINE_RNGLISTS,
                                 DWARFINLINE_ADDR, DWARFINLINE_STR_OFFSETS };
    dwarfinline_src src = { NULL, rd, { 0 }, NULL, self_split, self_again };
    split_self = &src;
    const uint8_t *p = data, *end = data + size;
    placed_mode = size ? data[size - 1] % 3 : 0;
    placed_bits = size ? data[size - 1] : 0;
    for (size_t k = 0; k < sizeof order / sizeof *order; k++) {
        size_t len = 0;
        if (end - p >= 2) {
            len = (size_t)p[0] | (size_t)p[1] << 8;
            p += 2;
        }
        if (len > (size_t)(end - p))
            len = (size_t)(end - p);
        sec_p[order[k]] = p;
        src.size[order[k]] = len;
        p += len;
    }
    sec_p[DWARFINLINE_INFO] = p;
    src.size[DWARFINLINE_INFO] = (uint64_t)(end - p);
    static dwarfinline_src alt;
    alt = (dwarfinline_src){ &alt, rd, { 0 }, NULL, NULL, NULL };
    alt.size[DWARFINLINE_INFO] = src.size[DWARFINLINE_INFO];
    alt.size[DWARFINLINE_ABBREV] = src.size[DWARFINLINE_ABBREV];
    alt.size[DWARFLINE_STR] = src.size[DWARFLINE_STR];
    src.alt = &alt;

    static answers first, all, some;
    uint64_t q[NQ];
    size_t n = 0;
    for (uint64_t a = 0x1000; n < 32; a += 0x21)
        q[n++] = a;
    scan(&src, q, n, NULL, 0, &first);

    /* Addresses inside each unit's code, sorted and unique. */
    n = 0;
    for (size_t u = 0; u < first.nunits && n + 4 <= NQ; u++) {
        uint64_t lo = first.ulo[u], hi = first.uhi[u];
        if (lo == hi)
            continue;
        q[n++] = lo;
        q[n++] = lo + (hi - lo) / 3;
        q[n++] = lo + (hi - lo) / 2;
        q[n++] = hi - 1;
    }
    qsort(q, n, sizeof *q, cmp_u64);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (m == 0 || q[m - 1] != q[i])
            q[m++] = q[i];
    if (!m)
        return 0;
    scan(&src, q, m, NULL, 0, &all);
    /* The units that can hold one, as srclines.c picks them. */
    uint64_t units[NQ];
    size_t nunits = 0;
    for (size_t u = 0; u < first.nunits; u++)
        for (size_t i = 0; i < m; i++)
            if (q[i] >= first.ulo[u] && q[i] < first.uhi[u]) {
                units[nunits++] = first.uoff[u];
                break;
            }
    scan(&src, q, m, units, nunits, &some);
    /* Only when every unit was indexed can the filtered scan match. */
    if (first.seen == first.nunits)
        for (size_t i = 0; i < m; i++) {
            CHECK(all.calls[i] == some.calls[i]);
            CHECK(all.hash[i] == some.hash[i]);
        }
    return 0;
}

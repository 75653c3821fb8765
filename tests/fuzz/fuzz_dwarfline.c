/*
 * fuzz_dwarfline.c - libFuzzer target for the DWARF line-program reader
 * (dwarfline.c).
 *
 * Input: a 2-byte little-endian length, that many bytes of
 * .debug_line_str, then another 2-byte length and .debug_str, and the rest
 * is .debug_line (shorter inputs are .debug_line alone).  Sections are
 * read only through the callback, which checks every request lies inside
 * its section: the reader checks sizes before reading.
 *
 * Two scans: one for a fixed spread of addresses, indexing the units;
 * then one for addresses inside each unit's range, over every unit and
 * again over only the units whose range holds one, which must answer
 * exactly alike.  Every answer is a non-empty name shorter than
 * DWARFLINE_PATH_MAX with a line above 0, and no query is answered twice.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dwarfline.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_dwarfline: check failed: %s (line %d)\n", #cond, __LINE__);     \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

enum { NQ = 64 };

static const uint8_t *sec_p[DWARFLINE_NSECS];

typedef struct answers {
    int calls[NQ];
    uint32_t line[NQ];
    uint64_t hash[NQ];
    uint64_t ulo[NQ], uhi[NQ], uoff[NQ];
    size_t nunits;
} answers;

static bool rd(void *ctx, int sec, uint64_t off, void *dst, size_t len)
{
    const dwarfline_src *src = ctx;
    CHECK(sec >= 0 && sec < DWARFLINE_NSECS);
    CHECK(off <= src->size[sec] && len <= src->size[sec] - off);
    memcpy(dst, sec_p[sec] + off, len);
    return true;
}

static void found(void *ctx, size_t q, const char *path, uint32_t line)
{
    answers *a = ctx;
    CHECK(q < NQ);
    size_t len = strlen(path);
    CHECK(len > 0 && len < DWARFLINE_PATH_MAX && line > 0);
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)path[i]) * 1099511628211ULL;
    a->calls[q]++;
    a->line[q] = line;
    a->hash[q] = h;
}

static void unit(void *ctx, uint64_t off, uint64_t lo, uint64_t hi)
{
    answers *a = ctx;
    CHECK(lo <= hi);
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

static void scan(dwarfline_src *src, const uint64_t *q, size_t n, const uint64_t *units,
                 size_t nunits, answers *a, bool index)
{
    memset(a, 0, sizeof *a);
    src->ctx = src;
    dwarfline_sink sink = { a, found, index ? unit : NULL };
    CHECK(dwarfline_scan(src, q, n, units, nunits, &sink) == 0);
    for (size_t i = 0; i < n; i++)
        CHECK(a->calls[i] <= 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dwarfline_src src = { NULL, rd, { 0 } };
    const uint8_t *p = data, *end = data + size;
    for (int s = DWARFLINE_LINE_STR; s <= DWARFLINE_STR && end - p >= 2; s++) {
        size_t len = (size_t)p[0] | (size_t)p[1] << 8;
        p += 2;
        if (len > (size_t)(end - p))
            len = (size_t)(end - p);
        sec_p[s] = p;
        src.size[s] = len;
        p += len;
    }
    sec_p[DWARFLINE_LINE] = p;
    src.size[DWARFLINE_LINE] = (uint64_t)(end - p);

    static answers first, all, some;
    uint64_t q[NQ];
    size_t n = 0;
    for (uint64_t a = 0; n < 32; a += 0x101)
        q[n++] = a;
    scan(&src, q, n, NULL, 0, &first, true);

    /* Addresses inside each unit's rows, sorted and unique. */
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
    scan(&src, q, m, NULL, 0, &all, false);
    /* The units that can hold one, as srclines.c picks them. */
    uint64_t units[NQ];
    size_t nunits = 0;
    for (size_t u = 0; u < first.nunits; u++)
        for (size_t i = 0; i < m; i++)
            if (q[i] >= first.ulo[u] && q[i] < first.uhi[u]) {
                units[nunits++] = first.uoff[u];
                break;
            }
    scan(&src, q, m, units, nunits, &some, false);
    /* Only when every unit was indexed can the filtered scan match. */
    if (first.nunits < NQ)
        for (size_t i = 0; i < m; i++) {
            CHECK(all.calls[i] == some.calls[i]);
            CHECK(all.line[i] == some.line[i] && all.hash[i] == some.hash[i]);
        }
    return 0;
}

/*
 * exact.c - every C allocation entry point, each from its own function,
 * with its own count of what it allocated and what it still holds.
 *
 * Run with HEAPPROF_SAMPLE=1: the exit profile's leaf totals must equal the
 * "expect" lines this program prints, to the byte.  The accounting rules
 * are the profiler's documented ones:
 *   - realloc = free of the old block (charged to the site that allocated
 *     it) + allocation of the new size (charged to the caller of realloc);
 *   - calloc(a, b) counts a*b bytes; the aligned allocators count the
 *     requested size; malloc(0) is one object of 0 bytes;
 *   - a call that fails (NULL / error code) counts nothing, and a failed
 *     realloc leaves the old block allocated and charged where it was;
 *   - realloc(p, 0) frees p (glibc returns NULL).
 *
 * Usage: exact [rounds]   (default 3)
 */
#define _GNU_SOURCE
#include <malloc.h>

#include "integ.h"

/* glibc sets errno to ENOMEM on every failed allocation; jemalloc does not
 * always (realloc of a huge size returns NULL with errno untouched).  Under
 * another allocator (integ_stacked) the errno checks are relaxed: what is
 * tested there is the profiler's accounting, not the allocator's errno. */
static int lax_errno;

/* Set when the allocator's own pvalloc wraps a size rounded up past
 * SIZE_MAX (gperftools' does); heapprof's, for allocators without one
 * (jemalloc), must not: EXACT_PVALLOC_WRAPS. */
static int pvalloc_wraps;

static volatile size_t half_max = SIZE_MAX / 2; /* opaque to the compiler */

static site s_malloc = SITE(ex_malloc);
static site s_calloc = SITE(ex_calloc);
static site s_realloc_grow = SITE(ex_realloc_grow);
static site s_realloc_shrink = SITE(ex_realloc_shrink);
static site s_reallocarray = SITE(ex_reallocarray);
static site s_posix_memalign = SITE(ex_posix_memalign);
static site s_aligned_alloc = SITE(ex_aligned_alloc);
static site s_memalign = SITE(ex_memalign);
static site s_valloc = SITE(ex_valloc);
static site s_pvalloc = SITE(ex_pvalloc);
static site s_malloc0 = SITE(ex_malloc0);
static site s_strdup = SITE(ex_strdup);
static site s_realloc_zero = SITE(ex_realloc_zero);
static site s_realloc_fail = SITE(ex_realloc_fail);
static site s_failures = SITE(ex_failures);
static site s_after_huge = SITE(ex_after_huge);
static site s_alloc_for_later = SITE(ex_alloc_for_later);
static site s_free_later = SITE(ex_free_later);
static site s_big = SITE(ex_big);
static site s_deep_leaf = SITE(ex_deep_leaf);

/* Blocks kept to the end, with the site and size each is charged to. */
typedef struct held {
    void *p;
    site *s;
    size_t n;
} held;
static held later[4096];
static size_t nlater;

static void hold(void *p, site *s, size_t n)
{
    CHECK(nlater < sizeof later / sizeof later[0], "too many held blocks");
    later[nlater++] = (held){p, s, n};
}

NOINLINE static void ex_malloc(int round)
{
    void *v[64];
    for (int i = 0; i < 64; i++) {
        size_t n = (size_t)(i * 37 + round * 5 + 1);
        v[i] = malloc(n);
        CHECK(v[i], "malloc(%zu)", n);
        memset(v[i], 0xab, n);
        site_alloc(&s_malloc, n);
        if (i % 3 == 0) {
            free(v[i]);
            site_free(&s_malloc, n);
        } else if (i % 3 == 1) {
            hold(v[i], &s_malloc, n);
        } else {
            free(v[i]);
            site_free(&s_malloc, n);
        }
    }
}

NOINLINE static void ex_calloc(int round)
{
    static const size_t dims[][2] = {{1, 1}, {3, 7}, {10, 100}, {128, 8}, {1, 4000}, {0, 5}, {5, 0}};
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++) {
        size_t a = dims[i][0], b = dims[i][1] + (size_t)round;
        unsigned char *p = calloc(a, b);
        CHECK(p, "calloc(%zu, %zu)", a, b);
        for (size_t k = 0; k < a * b; k++)
            CHECK(p[k] == 0, "calloc memory not zeroed");
        site_alloc(&s_calloc, a * b);
        if (i % 2) {
            free(p);
            site_free(&s_calloc, a * b);
        } else {
            hold(p, &s_calloc, a * b);
        }
    }
}

/* A growth chain: each realloc frees the old block (charged here: it was
 * allocated here) and allocates the new one. */
NOINLINE static void ex_realloc_grow(int round)
{
    size_t n = 8;
    char *p = realloc(NULL, n); /* realloc(NULL, n) is malloc */
    CHECK(p, "realloc(NULL)");
    memset(p, 'x', n);
    site_alloc(&s_realloc_grow, n);
    for (int i = 0; i < 12; i++) {
        size_t m = n * 2 + (size_t)round;
        char *q = realloc(p, m);
        CHECK(q, "realloc grow to %zu", m);
        CHECK(q[0] == 'x' && q[n - 1] == 'x', "realloc lost the contents");
        memset(q, 'x', m);
        site_free(&s_realloc_grow, n);
        site_alloc(&s_realloc_grow, m);
        p = q;
        n = m;
    }
    if (round % 2) {
        free(p);
        site_free(&s_realloc_grow, n);
    } else {
        hold(p, &s_realloc_grow, n);
    }
}

NOINLINE static void ex_realloc_shrink(int round)
{
    size_t n = 5000 + (size_t)round;
    char *p = malloc(n);
    CHECK(p, "malloc");
    site_alloc(&s_realloc_shrink, n);
    while (n > 10) {
        size_t m = n / 3;
        char *q = realloc(p, m);
        CHECK(q, "realloc shrink");
        site_free(&s_realloc_shrink, n);
        site_alloc(&s_realloc_shrink, m);
        p = q;
        n = m;
    }
    hold(p, &s_realloc_shrink, n);
}

NOINLINE static void ex_reallocarray(int round)
{
    size_t count = 4, size = 24;
    void *p = reallocarray(NULL, count, size);
    CHECK(p, "reallocarray(NULL)");
    site_alloc(&s_reallocarray, count * size);
    for (int i = 0; i < 5; i++) {
        size_t nc = count * 3 + (size_t)round;
        void *q = reallocarray(p, nc, size);
        CHECK(q, "reallocarray grow");
        site_free(&s_reallocarray, count * size);
        site_alloc(&s_reallocarray, nc * size);
        p = q;
        count = nc;
    }
    /* Overflowing product: fails with ENOMEM, p untouched, nothing counted. */
    errno = 0;
    void *bad = reallocarray(p, half_max, 4);
    CHECK(!bad && (errno == ENOMEM || lax_errno), "reallocarray overflow: %p errno %d", bad, errno);
    hold(p, &s_reallocarray, count * size);
}

NOINLINE static void ex_posix_memalign(int round)
{
    static const size_t aligns[] = {sizeof(void *), 16, 32, 64, 256, 4096};
    for (size_t i = 0; i < sizeof aligns / sizeof aligns[0]; i++) {
        void *p = NULL;
        size_t n = 100 * i + 3 + (size_t)round;
        int err = posix_memalign(&p, aligns[i], n);
        CHECK(err == 0 && p, "posix_memalign(%zu, %zu) = %d", aligns[i], n, err);
        CHECK(((uintptr_t)p & (aligns[i] - 1)) == 0, "misaligned");
        site_alloc(&s_posix_memalign, n);
        if (i % 2) {
            free(p);
            site_free(&s_posix_memalign, n);
        } else {
            hold(p, &s_posix_memalign, n);
        }
    }
    /* An invalid alignment fails with EINVAL and counts nothing. */
    void *q = (void *)1;
    int err = posix_memalign(&q, 24, 100);
    CHECK(err == EINVAL, "posix_memalign(24) = %d", err);
}

NOINLINE static void ex_aligned_alloc(int round)
{
    for (size_t a = 16; a <= 1024; a *= 4) {
        size_t n = a * (size_t)(round + 2);
        void *p = aligned_alloc(a, n);
        CHECK(p && ((uintptr_t)p & (a - 1)) == 0, "aligned_alloc(%zu, %zu)", a, n);
        site_alloc(&s_aligned_alloc, n);
        hold(p, &s_aligned_alloc, n);
    }
}

NOINLINE static void ex_memalign(int round)
{
    for (size_t a = 8; a <= 512; a *= 2) {
        size_t n = 77 + a + (size_t)round;
        void *p = memalign(a, n);
        CHECK(p && ((uintptr_t)p & (a - 1)) == 0, "memalign(%zu, %zu)", a, n);
        site_alloc(&s_memalign, n);
        if (a == 64) {
            hold(p, &s_memalign, n);
        } else {
            free(p);
            site_free(&s_memalign, n);
        }
    }
}

NOINLINE static void ex_valloc(int round)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    for (int i = 0; i < 3; i++) {
        size_t n = 1000 * (size_t)(i + 1) + (size_t)round;
        void *p = valloc(n);
        CHECK(p && ((uintptr_t)p % page) == 0, "valloc(%zu)", n);
        site_alloc(&s_valloc, n);
        if (i == 1) {
            hold(p, &s_valloc, n);
        } else {
            free(p);
            site_free(&s_valloc, n);
        }
    }
}

NOINLINE static void ex_pvalloc(int round)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    for (int i = 0; i < 2; i++) {
        size_t n = 123 + (size_t)(i * 5000 + round); /* not a page multiple */
        void *p = pvalloc(n);
        CHECK(p && ((uintptr_t)p % page) == 0, "pvalloc(%zu)", n);
        site_alloc(&s_pvalloc, n); /* the requested size, not the rounded one */
        if (i == 0) {
            hold(p, &s_pvalloc, n);
        } else {
            free(p);
            site_free(&s_pvalloc, n);
        }
    }
}

NOINLINE static void ex_malloc0(int round)
{
    for (int i = 0; i < 5; i++) {
        void *p = malloc(0);
        CHECK(p, "malloc(0) returned NULL");
        site_alloc(&s_malloc0, 0);
        if (i < 2) {
            free(p);
            site_free(&s_malloc0, 0);
        } else {
            hold(p, &s_malloc0, 0);
        }
    }
}

/* strdup-like code of our own: the leaf is this function. */
NOINLINE static char *ex_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    CHECK(d, "malloc");
    memcpy(d, s, n);
    site_alloc(&s_strdup, n);
    return d;
}

NOINLINE static void use_strdup(int round)
{
    static const char *words[] = {"a", "heap", "profiler", "writes pprof files", ""};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        char *d = ex_strdup(words[i]);
        CHECK(strcmp(d, words[i]) == 0, "copy differs");
        if ((i + (size_t)round) % 2) {
            size_t n = strlen(d) + 1;
            free(d);
            site_free(&s_strdup, n);
        } else {
            hold(d, &s_strdup, strlen(d) + 1);
        }
    }
}

/* realloc(p, 0): glibc frees p and returns NULL. */
NOINLINE static void ex_realloc_zero(int round)
{
    size_t n = 40 + (size_t)round;
    void *p = malloc(n);
    CHECK(p, "malloc");
    site_alloc(&s_realloc_zero, n);
    void *q = realloc(p, 0);
    if (q) { /* an allocator that returns a minimum-size block instead */
        site_free(&s_realloc_zero, n);
        site_alloc(&s_realloc_zero, 0);
        free(q);
        site_free(&s_realloc_zero, 0);
    } else {
        site_free(&s_realloc_zero, n);
    }
}

/* A failed realloc leaves the old block allocated, still charged here. */
NOINLINE static void ex_realloc_fail(int round)
{
    size_t n = 100 + (size_t)round;
    char *p = malloc(n);
    CHECK(p, "malloc");
    memset(p, 'q', n);
    site_alloc(&s_realloc_fail, n);
    errno = 0;
    char *q = realloc(p, SIZE_MAX / 2);
    CHECK(!q && (errno == ENOMEM || lax_errno), "realloc(huge) = %p errno %d", (void *)q, errno);
    CHECK(p[0] == 'q' && p[n - 1] == 'q', "the old block was damaged");
    hold(p, &s_realloc_fail, n);
}

/* Calls that fail count nothing: this site must not appear at all. */

NOINLINE static void ex_failures(void)
{
    errno = 0;
    CHECK(!malloc(SIZE_MAX / 2) && (errno == ENOMEM || lax_errno), "malloc(huge)");
    errno = 0;
    CHECK(!calloc(half_max, 4) && (errno == ENOMEM || lax_errno), "calloc overflow");
    errno = 0;
    CHECK(!calloc(1, SIZE_MAX / 2) && (errno == ENOMEM || lax_errno), "calloc(huge)");
    void *p = NULL;
    CHECK(posix_memalign(&p, 64, SIZE_MAX / 2) == ENOMEM, "posix_memalign(huge)");
    errno = 0;
    CHECK(!memalign(64, SIZE_MAX / 2) && (errno == ENOMEM || lax_errno), "memalign(huge)");
    errno = 0;
    CHECK(!aligned_alloc(64, SIZE_MAX / 2 & ~(size_t)63), "aligned_alloc(huge)");
    errno = 0;
    CHECK(!valloc(SIZE_MAX / 2), "valloc(huge)");
    /* Rounded up to a page, SIZE_MAX - 10 wraps to 0. */
    errno = 0;
    if (!pvalloc_wraps)
        CHECK(!pvalloc(SIZE_MAX - 10) && (errno == ENOMEM || lax_errno), "pvalloc(SIZE_MAX - 10)");
    errno = 0;
    CHECK(!realloc(NULL, SIZE_MAX / 2) && (errno == ENOMEM || lax_errno), "realloc(NULL, huge)");
    free(NULL);
}

/* Sizes of 2^63 and more, which no allocator grants: each failure is
 * followed by a malloc(0) that must still be recorded.  The countdown once
 * took such a size as a negative number: malloc(SIZE_MAX) added a byte to
 * the thread's budget, so the next malloc(0) went unrecorded, and 3 << 62
 * added 2^62, so nothing on the thread was recorded again. */
NOINLINE static void ex_after_huge(void)
{
    static const size_t huge[] = {SIZE_MAX, (size_t)3 << 62, (size_t)1 << 63};
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        size_t n = huge[i];
        void *p = NULL;
        char *keep = malloc(10);
        CHECK(keep, "malloc");
        site_alloc(&s_after_huge, 10);
        void *r[] = {malloc(n), calloc(1, n), realloc(NULL, n), realloc(keep, n), memalign(64, n),
                     posix_memalign(&p, 64, n) ? NULL : p};
        for (size_t k = 0; k < sizeof r / sizeof r[0]; k++) {
            CHECK(!r[k], "allocation %zu of %zu bytes succeeded", k, n);
            void *z = malloc(0);
            CHECK(z, "malloc(0)");
            site_alloc(&s_after_huge, 0);
            hold(z, &s_after_huge, 0);
        }
        free(keep);
        site_free(&s_after_huge, 10);
    }
}

NOINLINE static void *ex_alloc_for_later(size_t n)
{
    void *p = malloc(n);
    CHECK(p, "malloc");
    site_alloc(&s_alloc_for_later, n);
    return p;
}

/* Frees what another function allocated: the in-use bytes leave the site
 * that allocated them; this site's own blocks come from realloc. */
NOINLINE static void ex_free_later(void **v, size_t *sizes, int n)
{
    for (int i = 0; i < n; i++) {
        if (i % 4 == 0) {
            /* realloc here: the old block leaves ex_alloc_for_later, the new
             * one is charged to ex_free_later. */
            void *q = realloc(v[i], sizes[i] + 1000);
            CHECK(q, "realloc");
            site_free(&s_alloc_for_later, sizes[i]);
            site_alloc(&s_free_later, sizes[i] + 1000);
            hold(q, &s_free_later, sizes[i] + 1000);
        } else if (i % 4 != 3) {
            free(v[i]);
            site_free(&s_alloc_for_later, sizes[i]);
        } else {
            hold(v[i], &s_alloc_for_later, sizes[i]);
        }
    }
}

/* Large blocks: served by mmap in glibc. */
NOINLINE static void ex_big(int round)
{
    size_t sizes[] = {200 * 1024, 1024 * 1024 + 17, 4 * 1024 * 1024};
    for (int i = 0; i < 3; i++) {
        size_t n = sizes[i] + (size_t)round;
        char *p = malloc(n);
        CHECK(p, "malloc(%zu)", n);
        p[0] = p[n - 1] = 1;
        site_alloc(&s_big, n);
        if (i == 0) {
            hold(p, &s_big, n);
        } else {
            free(p);
            site_free(&s_big, n);
        }
    }
}

/* Deeper than HEAPPROF_DEPTH's default (64): the stack is truncated at the
 * root end, and the leaf is still this function. */
NOINLINE static void ex_deep_leaf(void)
{
    void *p = malloc(333);
    CHECK(p, "malloc");
    site_alloc(&s_deep_leaf, 333);
    hold(p, &s_deep_leaf, 333);
}

NOINLINE static int ex_recurse(int depth)
{
    if (depth == 0) {
        ex_deep_leaf();
        return 0;
    }
    return ex_recurse(depth - 1) + 1;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 3;
    lax_errno = getenv("EXACT_LAX_ERRNO") != NULL;
    pvalloc_wraps = getenv("EXACT_PVALLOC_WRAPS") != NULL;
    for (int r = 0; r < rounds; r++) {
        ex_malloc(r);
        ex_calloc(r);
        ex_realloc_grow(r);
        ex_realloc_shrink(r);
        ex_reallocarray(r);
        ex_posix_memalign(r);
        ex_aligned_alloc(r);
        ex_memalign(r);
        ex_valloc(r);
        ex_pvalloc(r);
        ex_malloc0(r);
        use_strdup(r);
        ex_realloc_zero(r);
        ex_realloc_fail(r);
        ex_failures();
        ex_after_huge();
        ex_big(r);
        ex_recurse(100);

        void *v[16];
        size_t sizes[16];
        for (int i = 0; i < 16; i++) {
            sizes[i] = (size_t)(i * 11 + 1 + r);
            v[i] = ex_alloc_for_later(sizes[i]);
        }
        ex_free_later(v, sizes, 16);
    }

    /* Free about half of what was held, from main: the in-use totals drop
     * at the sites that allocated the blocks. */
    for (size_t i = 0; i < nlater; i += 2) {
        free(later[i].p);
        site_free(later[i].s, later[i].n);
    }

    const site *all[] = {&s_malloc, &s_calloc, &s_realloc_grow, &s_realloc_shrink,
                         &s_reallocarray, &s_posix_memalign, &s_aligned_alloc, &s_memalign,
                         &s_valloc, &s_pvalloc, &s_malloc0, &s_strdup, &s_realloc_zero,
                         &s_realloc_fail, &s_failures, &s_after_huge, &s_alloc_for_later,
                         &s_free_later, &s_big, &s_deep_leaf};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        site_print(all[i]);
    fflush(stdout);
    return 0;
}

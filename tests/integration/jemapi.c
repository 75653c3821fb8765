/*
 * jemapi.c - jemalloc's own API (mallocx, rallocx, xallocx, dallocx, sdallocx) and
 * C23's sized frees (free_sized, free_aligned_sized), called the way folly
 * calls them: through weak references, so the program runs wherever the
 * names resolve.  Each call site is its own function with its own ground
 * truth, as in exact.c; run with HEAPPROF_SAMPLE=1 the exit profile must
 * match the "expect" lines to the byte.  The rules are realloc's:
 *   - rallocx = free of the old block (charged where it was allocated) +
 *     allocation of the new size (charged to the caller of rallocx); a
 *     rallocx that fails leaves the block where it was;
 *   - so is xallocx, which keeps the address: when it answers at least the
 *     size asked for, the block counts as freed and allocated again with
 *     that size; when less, it is as it was;
 *   - mallocx counts the requested size, whatever its flags;
 *   - a block freed by dallocx, sdallocx, free_sized or free_aligned_sized
 *     leaves the in-use totals of the site that allocated it.
 * It also checks what the calls return: alignment, MALLOCX_ZERO's zeroes,
 * contents kept across rallocx, errno untouched by the frees.
 *
 * It prints "jemalloc_api mallctl=0|1 free_sized=0|1": whether mallctl
 * resolves, which is how folly and RocksDB decide that jemalloc is there
 * (heapprof defines the calls above but not mallctl, so that must not
 * change under it), and whether the sized frees do (not in jemalloc 5.3 nor
 * glibc 2.36; where they do not, it frees with free).
 *
 * Usage: jemapi [rounds]   (default 3); exits 2 if jemalloc's names do not
 * resolve.
 */
#define _GNU_SOURCE
#include <malloc.h>

#include "integ.h"

INTEG_EXTERN_C void *mallocx(size_t, int) __attribute__((weak));
INTEG_EXTERN_C void *rallocx(void *, size_t, int) __attribute__((weak));
INTEG_EXTERN_C size_t xallocx(void *, size_t, size_t, int) __attribute__((weak));
INTEG_EXTERN_C void dallocx(void *, int) __attribute__((weak));
INTEG_EXTERN_C void sdallocx(void *, size_t, int) __attribute__((weak));
INTEG_EXTERN_C void free_sized(void *, size_t) __attribute__((weak));
INTEG_EXTERN_C void free_aligned_sized(void *, size_t, size_t) __attribute__((weak));
INTEG_EXTERN_C int mallctl(const char *, void *, size_t *, void *, size_t) __attribute__((weak));

/* jemalloc's flag encoding (jemalloc/jemalloc.h). */
#define LG_ALIGN(la) ((int)(la))
#define ZERO 0x40
#define TCACHE_NONE (1 << 8)

static volatile size_t huge = SIZE_MAX / 4; /* opaque to the compiler */

static site s_mallocx = SITE(jx_mallocx);
static site s_mallocx_aligned = SITE(jx_mallocx_aligned);
static site s_malloc_for_sized = SITE(jx_malloc_for_sized);
static site s_malloc_for_rallocx = SITE(jx_malloc_for_rallocx);
static site s_rallocx = SITE(jx_rallocx);
static site s_aligned_for_free = SITE(jx_aligned_for_free);
static site s_malloc_for_xallocx = SITE(jx_malloc_for_xallocx);
static site s_xallocx = SITE(jx_xallocx);
static site s_balance = SITE(jx_balance);
static site s_zero_chain = SITE(jx_zero_chain);

static void check_zero(const unsigned char *p, size_t from, size_t to, const char *what)
{
    for (size_t i = from; i < to; i++)
        CHECK(p[i] == 0, "%s: byte %zu of %zu is %#x, not 0", what, i, to, p[i]);
}

/* Frees alternate between dallocx and sdallocx, with and without flags,
 * each checked to leave errno alone. */
static void jx_release(void *p, size_t n, int flags, int how)
{
    errno = 4321;
    if (how % 2)
        sdallocx(p, n, flags | (how % 4 == 1 ? TCACHE_NONE : 0));
    else
        dallocx(p, flags);
    CHECK(errno == 4321, "errno %d after %s", errno, how % 2 ? "sdallocx" : "dallocx");
}

NOINLINE static void jx_mallocx(int round, void **keep_out)
{
    for (int i = 0; i < 48; i++) {
        size_t n = (size_t)(i * 29 + round * 3 + 1);
        int flags = i % 3 == 0 ? ZERO : 0;
        unsigned char *p = mallocx(n, flags);
        CHECK(p, "mallocx(%zu, %#x)", n, flags);
        site_alloc(&s_mallocx, n);
        if (flags & ZERO)
            check_zero(p, 0, n, "mallocx(ZERO)");
        memset(p, 0x5a, n);
        if (i == 0) {
            *keep_out = p; /* one left alive to the end */
            continue;
        }
        jx_release(p, n, 0, i);
        site_free(&s_mallocx, n);
    }
}

/* All held at once, so that the allocator's slots differ; small sizes too,
 * whose size classes may be less aligned than asked (tcmalloc's 8 bytes). */
NOINLINE static void jx_mallocx_aligned(int round)
{
    static const int lg[] = {4, 6, 12, 13, 4, 5};
    void *v[24];
    for (int i = 0; i < 24; i++) {
        int la = lg[i % 6];
        size_t n = i % 3 ? (size_t)(i * 300 + round + 8) : (size_t)(8 + i % 2 * 16);
        size_t align = (size_t)1 << la;
        int flags = LG_ALIGN(la) | (i % 2 ? ZERO : 0);
        unsigned char *p = mallocx(n, flags);
        CHECK(p, "mallocx(%zu, align %zu)", n, align);
        CHECK(((uintptr_t)p & (align - 1)) == 0, "mallocx(%zu, align %zu) gave %p", n, align,
              (void *)p);
        site_alloc(&s_mallocx_aligned, n);
        if (flags & ZERO)
            check_zero(p, 0, n, "mallocx(align, ZERO)");
        memset(p, 0x33, n);
        v[i] = p;
    }
    for (int i = 0; i < 24; i++) {
        size_t n = i % 3 ? (size_t)(i * 300 + round + 8) : (size_t)(8 + i % 2 * 16);
        jx_release(v[i], n, LG_ALIGN(lg[i % 6]), i);
        site_free(&s_mallocx_aligned, n);
    }
}

/* Blocks from malloc given back with jemalloc's frees: under heapprof before
 * it saw these calls, every sampled one stayed in the in-use profile. */
NOINLINE static void jx_malloc_for_sized(int round)
{
    for (int i = 0; i < 40; i++) {
        size_t n = (size_t)(i * 41 + round + 1);
        void *p = malloc(n);
        CHECK(p, "malloc(%zu)", n);
        site_alloc(&s_malloc_for_sized, n);
        memset(p, 0x11, n);
        if (i % 4 == 3) {
            errno = 1234;
            if (free_sized)
                free_sized(p, n);
            else
                free(p); /* jemalloc alone (5.3) has no free_sized */
            CHECK(errno == 1234, "errno %d after free_sized", errno);
        } else {
            jx_release(p, n, 0, i);
        }
        site_free(&s_malloc_for_sized, n);
    }
}

NOINLINE static void *jx_malloc_for_rallocx(size_t n)
{
    unsigned char *p = malloc(n);
    CHECK(p, "malloc(%zu)", n);
    site_alloc(&s_malloc_for_rallocx, n);
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(i * 7);
    return p;
}

/* Over an allocator without malloc_usable_size (it answers 0) heapprof's
 * rallocx cannot tell which bytes MALLOCX_ZERO must zero, and fails. */
NOINLINE static void jx_rallocx(int round, void **keep_out)
{
    static const int flag[] = {ZERO, LG_ALIGN(12), 0, ZERO, LG_ALIGN(4), LG_ALIGN(6)};
    for (int i = 0; i < 24; i++) {
        size_t n = (size_t)(i * 23 + round + 16);
        size_t m = i % 2 ? n * 5 + 100 : n / 2 + 1; /* grow, shrink */
        int flags = flag[i % 6];
        size_t align = flags & 0x3f ? (size_t)1 << (flags & 0x3f) : 1;
        unsigned char *p = jx_malloc_for_rallocx(n);
        size_t usable = malloc_usable_size(p); /* MALLOCX_ZERO zeroes past it */
        unsigned char *q = rallocx(p, m, flags);
        if (!q && flags == ZERO && usable == 0) {
            CHECK(p[n - 1] == (unsigned char)((n - 1) * 7), "a failed rallocx changed the block");
            jx_release(p, n, 0, i);
            site_free(&s_malloc_for_rallocx, n);
            continue;
        }
        CHECK(q, "rallocx(%zu -> %zu, %#x)", n, m, flags);
        site_free(&s_malloc_for_rallocx, n);
        site_alloc(&s_rallocx, m);
        size_t kept = n < m ? n : m;
        for (size_t j = 0; j < kept; j++)
            CHECK(q[j] == (unsigned char)(j * 7), "rallocx lost byte %zu of %zu", j, kept);
        CHECK(((uintptr_t)q & (align - 1)) == 0, "rallocx(%zu, align %zu) gave %p", m, align,
              (void *)q);
        if (flags == ZERO && m > usable)
            check_zero(q, usable, m, "rallocx(ZERO)");
        if (i == 1) {
            *keep_out = q;
            continue;
        }
        /* Then one that cannot be done: NULL, and the block stays. */
        CHECK(rallocx(q, huge, 0) == NULL, "rallocx(%zu) succeeded", (size_t)huge);
        CHECK(q[kept - 1] == (unsigned char)((kept - 1) * 7), "a failed rallocx changed the block");
        jx_release(q, m, flags & 0x3f, i);
        site_free(&s_rallocx, m);
    }
}

NOINLINE static void *jx_malloc_for_xallocx(size_t n)
{
    unsigned char *p = malloc(n);
    CHECK(p, "malloc(%zu)", n);
    site_alloc(&s_malloc_for_xallocx, n);
    memset(p, 0x44, n);
    return p;
}

static uint64_t thread_bytes(const char *name)
{
    uint64_t v = 0;
    size_t len = sizeof v;
    CHECK(mallctl(name, &v, &len, NULL, 0) == 0, "mallctl(%s)", name);
    return v;
}

/* Under jemalloc (mallctl resolves), its per-thread byte counters show
 * that every block given back through these calls was freed, sampled or
 * not: an unsampled one straight to the allocator, one that shares a
 * sample's filter slot through heapprof's slow path. */
NOINLINE static void jx_balance(int round)
{
    enum { N = 512 };
    static void *v[N];
    static size_t sz[N];
    if (!mallctl)
        return;
    uint64_t seed = 0x9e3779b97f4a7c15ULL + (uint64_t)round;
    uint64_t a0 = thread_bytes("thread.allocated"), d0 = thread_bytes("thread.deallocated");
    for (int k = 0; k < 20; k++) {
        for (int i = 0; i < N; i++) {
            sz[i] = 16 + integ_rand(&seed) % 2000;
            v[i] = i % 2 ? mallocx(sz[i], 0) : malloc(sz[i]);
            CHECK(v[i], "allocation of %zu", sz[i]);
            site_alloc(&s_balance, sz[i]);
        }
        for (int i = 0; i < N; i++) {
            if (i % 5 == 4 && free_sized)
                free_sized(v[i], sz[i]);
            else
                jx_release(v[i], sz[i], 0, i);
            site_free(&s_balance, sz[i]);
        }
    }
    uint64_t a = thread_bytes("thread.allocated") - a0;
    uint64_t d = thread_bytes("thread.deallocated") - d0;
    CHECK(a == d, "jemalloc counted %llu bytes allocated and %llu freed",
          (unsigned long long)a, (unsigned long long)d);
}

/* A zeroed block grown with zeroing, twice: jemalloc zeroes a block up to
 * its usable size, and a grown one from the old usable size to the new, so
 * all that lies beyond what the program wrote reads 0. */
NOINLINE static void jx_zero_chain(int round)
{
    for (int i = 0; i < 60; i++) {
        size_t n = 1 + (size_t)(i * 37 + round) % 5000;
        int flags = LG_ALIGN(i % 13) | ZERO;
        unsigned char *p = mallocx(n, flags);
        CHECK(p, "mallocx(%zu, %#x)", n, flags);
        site_alloc(&s_zero_chain, n);
        memset(p, 0xab, n);
        unsigned char *q = rallocx(p, 2 * n, flags);
        if (!q && malloc_usable_size(p) == 0) { /* cannot tell the new bytes */
            jx_release(p, n, flags & 0x3f, i);
            site_free(&s_zero_chain, n);
            continue;
        }
        CHECK(q, "rallocx(%zu, %#x)", 2 * n, flags);
        site_free(&s_zero_chain, n);
        site_alloc(&s_zero_chain, 2 * n);
        check_zero(q, n, 2 * n, "mallocx(ZERO) then rallocx(ZERO)");
        /* Twice: what the first rallocx left past 2n must read 0 too. */
        memset(q, 0xcd, 2 * n);
        unsigned char *r = rallocx(q, 4 * n, flags);
        CHECK(r, "rallocx(%zu, %#x)", 4 * n, flags);
        site_free(&s_zero_chain, 2 * n);
        site_alloc(&s_zero_chain, 4 * n);
        check_zero(r, 2 * n, 4 * n, "a second rallocx(ZERO)");
        jx_release(r, 4 * n, flags & 0x3f, i);
        site_free(&s_zero_chain, 4 * n);
    }
}

static void *keep_xallocx[16];
static int nkeep_xallocx;

/* Small sizes only: whether jemalloc can resize a small block in place
 * depends on its size class alone, so the outcomes repeat. */
NOINLINE static void jx_xallocx(int round)
{
    for (int i = 0; i < 24; i++) {
        size_t n = (size_t)(i * 37 + round + 20);
        size_t m = i % 3 == 0 ? n + 1 : i % 3 == 1 ? n * 4 + 64 : n / 2 + 1;
        size_t extra = i % 4 == 3 ? 32 : 0;
        unsigned char *p = jx_malloc_for_xallocx(n);
        size_t r = xallocx(p, m, extra, 0);
        /* 0 when the allocator has no malloc_usable_size: it cannot say */
        CHECK(r >= (n < m ? n : m) || (r == 0 && malloc_usable_size(p) == 0),
              "xallocx(%zu -> %zu) answered %zu", n, m, r);
        for (size_t j = 0; j < (n < m ? n : m); j++)
            CHECK(p[j] == 0x44, "xallocx changed byte %zu", j);
        if (r >= m) {
            site_free(&s_malloc_for_xallocx, n);
            site_alloc(&s_xallocx, m);
            memset(p, 0x45, r); /* all of it is the program's now */
        }
        if (i < 2) {
            keep_xallocx[nkeep_xallocx++] = p; /* one of each alive to the end */
        } else if (r >= m) {
            jx_release(p, r, 0, 2 * i + 1); /* sdallocx with the size it has */
            site_free(&s_xallocx, m);
        } else {
            jx_release(p, n, 0, 2 * i);
            site_free(&s_malloc_for_xallocx, n);
        }
    }
}

NOINLINE static void jx_aligned_for_free(int round)
{
    for (int i = 0; i < 8; i++) {
        size_t align = (size_t)64 << (i % 4), n = align * (size_t)(i + 1 + round);
        void *p = aligned_alloc(align, n);
        CHECK(p, "aligned_alloc(%zu, %zu)", align, n);
        site_alloc(&s_aligned_for_free, n);
        errno = 77;
        if (free_aligned_sized)
            free_aligned_sized(p, align, n);
        else
            free(p);
        CHECK(errno == 77, "errno %d after free_aligned_sized", errno);
        site_free(&s_aligned_for_free, n);
    }
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 3;
    if (!mallocx || !rallocx || !xallocx || !dallocx || !sdallocx) {
        fprintf(stderr, "jemapi: mallocx, rallocx, xallocx, dallocx or sdallocx does not "
                        "resolve in this process\n");
        return 2;
    }
    printf("jemalloc_api mallctl=%d free_sized=%d\n", mallctl != NULL,
           free_sized && free_aligned_sized);
    void *kept[64];
    int nkept = 0;
    for (int r = 0; r < rounds && nkept + 2 <= 64 && nkeep_xallocx + 2 <= 16; r++) {
        jx_mallocx(r, &kept[nkept++]);
        jx_mallocx_aligned(r);
        jx_malloc_for_sized(r);
        jx_rallocx(r, &kept[nkept++]);
        jx_aligned_for_free(r);
        jx_xallocx(r);
        jx_balance(r);
        jx_zero_chain(r);
    }
    keep(kept[0]);
    const site *all[] = {&s_mallocx, &s_mallocx_aligned, &s_malloc_for_sized,
                         &s_malloc_for_rallocx, &s_rallocx, &s_aligned_for_free,
                         &s_malloc_for_xallocx, &s_xallocx, &s_balance, &s_zero_chain};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        site_print(all[i]);
    fflush(stdout);
    return 0;
}

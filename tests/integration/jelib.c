/*
 * jelib.c - a library linked to jemalloc that calls jemalloc's API for
 * blocks of its own (as BIND's libisc does), and asks jemalloc's sallocx
 * about them.  Two programs load it (integ_jemalloc_api):
 *   - jelinked needs it at start: jemalloc is loaded, but after libc, so
 *     the process's malloc is glibc's and jemalloc serves only these calls;
 *   - jedlopen opens it with dlopen(RTLD_LOCAL) after start: jemalloc is
 *     not in the global search at all.
 * Either way every block must go back to the allocator it came from: a
 * block heapprof's mallocx gave over glibc must never reach jemalloc's
 * sallocx or sdallocx, which crash on it.  jelib_run prints its ground
 * truth ("expect" lines, as exact.c does) and returns 0.
 */
#include "integ.h"

void *mallocx(size_t, int);
void *rallocx(void *, size_t, int);
size_t xallocx(void *, size_t, size_t, int);
size_t sallocx(const void *, int);
void dallocx(void *, int);
void sdallocx(void *, size_t, int);

static site s_jelib_mallocx = SITE(jelib_mallocx);
static site s_jelib_rallocx = SITE(jelib_rallocx);

NOINLINE static void *jelib_mallocx(size_t n, int flags)
{
    void *p = mallocx(n, flags);
    CHECK(p, "mallocx(%zu, %#x)", n, flags);
    CHECK(sallocx(p, flags) >= n, "sallocx %zu < %zu", sallocx(p, flags), n);
    site_alloc(&s_jelib_mallocx, n);
    return p;
}

NOINLINE static void *jelib_rallocx(void *p, size_t n, size_t m, int flags)
{
    void *q = rallocx(p, m, flags);
    CHECK(q, "rallocx(%zu)", m);
    CHECK(sallocx(q, flags) >= m, "sallocx %zu < %zu", sallocx(q, flags), m);
    site_free(&s_jelib_mallocx, n);
    site_alloc(&s_jelib_rallocx, m);
    return q;
}

int jelib_run(int rounds)
{
    uint64_t seed = 7;
    for (int r = 0; r < rounds && r < 64; r++) {
        for (int i = 0; i < 200; i++) {
            size_t n = 16 + integ_rand(&seed) % 3000;
            int flags = i % 4 == 1 ? 6 : 0; /* MALLOCX_LG_ALIGN(6) */
            unsigned char *p = jelib_mallocx(n, flags);
            memset(p, 0x21, n);
            if (i == 0) {
                keep(p); /* alive to the end */
                continue;
            }
            if (i % 3 == 0) {
                size_t m = n * 2 + 8;
                p = jelib_rallocx(p, n, m, flags);
                CHECK(p[n - 1] == 0x21, "rallocx lost the block's bytes");
                CHECK(xallocx(p, m, 0, flags) >= m, "xallocx to its own size failed");
                sdallocx(p, m, flags);
                site_free(&s_jelib_rallocx, m);
            } else if (i % 2) {
                sdallocx(p, n, flags);
                site_free(&s_jelib_mallocx, n);
            } else {
                dallocx(p, flags);
                site_free(&s_jelib_mallocx, n);
            }
        }
    }
    site_print(&s_jelib_mallocx);
    site_print(&s_jelib_rallocx);
    fflush(stdout);
    return 0;
}

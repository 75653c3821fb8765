/*
 * shim.c - the C allocator entry points heapprof exports.
 *
 * Each one forwards to the next allocator (real.h) and, only when its
 * inline test says so, tells the profiler (profiler.h).  No logic lives
 * here: the unsampled path of every function is the inline test plus a call
 * (a tail call where the signature allows it) through `real`.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>

#include "shim.h"

/* calloc's and reallocarray's byte count; an overflowing product is left to
 * the real function to reject, and counts as nothing. */
static inline size_t product(size_t a, size_t b)
{
    size_t t;
    return __builtin_mul_overflow(a, b, &t) ? 0 : t;
}

EXPORT void *malloc(size_t n) { return shim_malloc(n); }

EXPORT void free(void *p) { shim_free(p); }

EXPORT void *calloc(size_t a, size_t b)
{
    if (profiler_tick_alloc(product(a, b)))
        return profiler_alloc_slow(real.calloc(a, b), product(a, b));
    return real.calloc(a, b);
}

EXPORT void *realloc(void *p, size_t n) { return shim_realloc(p, n); }

EXPORT void *reallocarray(void *p, size_t a, size_t b)
{
    size_t n;
    if (__builtin_mul_overflow(a, b, &n))
        return real.reallocarray(p, a, b); /* fails with ENOMEM, p untouched */
    /* Otherwise reallocarray is realloc. */
    return shim_realloc(p, n);
}

EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
    int err = real.posix_memalign(out, align, n);
    if (profiler_tick_alloc(n))
        profiler_alloc_slow(err ? NULL : *out, n);
    return err;
}

EXPORT void *aligned_alloc(size_t align, size_t n)
{
    if (profiler_tick_alloc(n))
        return profiler_alloc_slow(real.aligned_alloc(align, n), n);
    return real.aligned_alloc(align, n);
}

EXPORT void *memalign(size_t align, size_t n) { return shim_memalign(align, n); }

EXPORT void *valloc(size_t n)
{
    if (profiler_tick_alloc(n))
        return profiler_alloc_slow(real.valloc(n), n);
    return real.valloc(n);
}

EXPORT void *pvalloc(size_t n)
{
    if (profiler_tick_alloc(n))
        return profiler_alloc_slow(real.pvalloc(n), n);
    return real.pvalloc(n);
}

EXPORT size_t malloc_usable_size(void *p)
{
    if (live_maybe(p))
        return profiler_usable_size_slow(p);
    return real.malloc_usable_size(p);
}

/* C23's sized frees (glibc 2.43 has them): free with what the program knows
 * of the block, which the allocator may use (real.h). */
EXPORT void free_sized(void *p, size_t n)
{
    if (!live_maybe(p) || profiler_release_slow(p))
        real.free_sized(p, n);
}

EXPORT void free_aligned_sized(void *p, size_t align, size_t n)
{
    if (!live_maybe(p) || profiler_release_slow(p))
        real.free_aligned_sized(p, align, n);
}

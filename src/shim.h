/*
 * shim.h - the bodies shared by the C entry points (shim.c) and C++'s
 * operator new/delete (shim_cxx.c), inline so each exported function is
 * one straight line of code.
 */
#ifndef HEAPPROF_SHIM_H
#define HEAPPROF_SHIM_H

#include "common.h"
#include "live.h"
#include "profiler.h"
#include "real.h"

static inline void *shim_malloc(size_t n)
{
    if (profiler_tick_alloc(n))
        return profiler_alloc_slow(real.malloc(n), n);
    return real.malloc(n);
}

static inline void shim_free(void *p)
{
    if (live_maybe(p))
        profiler_free_slow(p, real.free);
    else
        real.free(p);
}

/* C++ operator new and new[], plain and nothrow, and delete and delete[],
 * plain and sized: as malloc and free, forwarded to the allocator's own
 * operators when it has them (real.h).  One function each rather than one
 * taking the field: GCC then loads the pointer in the jump itself, after
 * the test. */
static inline void *shim_new(size_t n)
{
    if (profiler_tick_alloc(n))
        return profiler_alloc_slow(real.cxx_new(n), n);
    return real.cxx_new(n);
}

static inline void *shim_new_array(size_t n)
{
    if (profiler_tick_alloc(n))
        return profiler_alloc_slow(real.cxx_new_array(n), n);
    return real.cxx_new_array(n);
}

static inline void *shim_new_nothrow(size_t n, const void *tag)
{
    if (profiler_tick_alloc(n))
        return profiler_alloc_slow(real.cxx_new_nothrow(n, tag), n);
    return real.cxx_new_nothrow(n, tag);
}

static inline void *shim_new_array_nothrow(size_t n, const void *tag)
{
    if (profiler_tick_alloc(n))
        return profiler_alloc_slow(real.cxx_new_array_nothrow(n, tag), n);
    return real.cxx_new_array_nothrow(n, tag);
}

static inline void shim_delete(void *p)
{
    if (live_maybe(p))
        profiler_free_slow(p, real.cxx_delete);
    else
        real.cxx_delete(p);
}

static inline void shim_delete_array(void *p)
{
    if (live_maybe(p))
        profiler_free_slow(p, real.cxx_delete_array);
    else
        real.cxx_delete_array(p);
}

static inline void shim_delete_sized(void *p, size_t n)
{
    if (live_maybe(p))
        profiler_delete_sized_slow(p, n, real.cxx_delete_sized);
    else
        real.cxx_delete_sized(p, n);
}

static inline void shim_delete_array_sized(void *p, size_t n)
{
    if (live_maybe(p))
        profiler_delete_sized_slow(p, n, real.cxx_delete_array_sized);
    else
        real.cxx_delete_array_sized(p, n);
}

static inline void *shim_realloc(void *p, size_t n)
{
    /* Both tests always run: the countdown must see every byte. */
    if (profiler_tick(n) | live_maybe(p))
        return profiler_realloc_slow(p, n);
    return real.realloc(p, n);
}

static inline void *shim_memalign(size_t align, size_t n)
{
    if (profiler_tick_alloc(n))
        return profiler_alloc_slow(real.memalign(align, n), n);
    return real.memalign(align, n);
}

#endif

/*
 * shim_jemalloc.c - jemalloc's own allocation API: mallocx, rallocx,
 * xallocx, sallocx, dallocx, sdallocx.
 *
 * Programs call these when they find jemalloc (folly frees its strings and
 * vectors with sdallocx, resizes them with rallocx and xallocx, and
 * allocates from arenas of its own with mallocx).  Without them here, those
 * calls went straight to jemalloc: a sampled object they freed stayed in
 * the in-use profile, a false leak, and one grown in place kept its old
 * size.  Like the C entry points (shim.c), each is the inline test plus a
 * call through `real`: jemalloc's own functions wherever jemalloc is
 * loaded, or, where it is not, equivalents over the allocator the
 * program's own calls reach (real.c).
 *
 * Exporting them makes the names resolve in every process heapprof is in,
 * jemalloc or not.  The programs that look for jemalloc test mallctl (folly,
 * RocksDB: all of these names and mallctl must be there), which heapprof
 * does not define, so they still see the allocator they have.  sallocx is
 * here because it takes a block: where heapprof's mallocx gave a block
 * over another allocator, jemalloc's sallocx must not be handed it.  Not
 * here: nallocx and mallctl, which take none.
 */
#include <stddef.h>

#include "shim.h"

EXPORT void *mallocx(size_t n, int flags)
{
    if (profiler_tick_alloc(n))
        return profiler_alloc_slow(real.mallocx(n, flags), n);
    return real.mallocx(n, flags);
}

EXPORT void *rallocx(void *p, size_t n, int flags)
{
    /* Both tests always run, as in realloc. */
    if (profiler_tick(n) | live_maybe(p))
        return profiler_rallocx_slow(p, n, flags);
    return real.rallocx(p, n, flags);
}

EXPORT size_t xallocx(void *p, size_t n, size_t extra, int flags)
{
    if (profiler_tick(n) | live_maybe(p))
        return profiler_xallocx_slow(p, n, extra, flags);
    return real.xallocx(p, n, extra, flags);
}

/* No profiler part: here so that it answers for the same allocator as the
 * calls above (real.c). */
EXPORT size_t sallocx(const void *p, int flags) { return real.sallocx(p, flags); }

EXPORT void dallocx(void *p, int flags)
{
    if (!live_maybe(p) || profiler_release_slow(p))
        real.dallocx(p, flags);
}

EXPORT void sdallocx(void *p, size_t n, int flags)
{
    if (!live_maybe(p) || profiler_release_slow(p))
        real.sdallocx(p, n, flags);
}

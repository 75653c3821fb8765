/*
 * api.c - the public functions of include/heapprof.h, each a thin wrapper
 * over the profiler and the writer.
 */
#define HEAPPROF_STRONG
#include "heapprof.h"

#include <errno.h>

#include "common.h"
#include "labels.h"
#include "lifecycle.h"
#include "live.h"
#include "log.h"
#include "profiler.h"
#include "writer.h"

EXPORT const char *heapprof_version(void) { return "0.1.0"; }

EXPORT int heapprof_dump(const char *path)
{
    /* A thread inside the profiler (another library's fork handler, a
     * signal handler) may hold the tables' locks the dump takes; an
     * orphaned child may hold a copy of the dump lock that no thread of
     * its will release (lifecycle.h). */
    if (hp_tls.guard)
        return EDEADLK;
    int saved = errno;
    int err = !profiler_init()       ? EAGAIN
              : lifecycle_orphaned() || lifecycle_sandboxed() ? ENOTSUP
                                     : writer_dump_now(path, WHY_API);
    errno = saved;
    return err;
}

/* The free filter's granule was fixed at start for the interval then
 * (live.h); about granule / R of all frees now go the slow way, and at
 * such intervals slots hold several samples, whose frees probe the live
 * table (a slot of one rules most of them out by its tag).  Past
 * one in eight, say so once, with the setting that avoids it. */
static void warn_granule(size_t bytes)
{
    static int warned;
    uint64_t g = (uint64_t)1 << live_shift_now();
    if (bytes <= 1 || bytes >= 8 * g || __atomic_exchange_n(&warned, 1, __ATOMIC_RELAXED))
        return;
    uint64_t pct = 100 * g / bytes, want = (uint64_t)1 << live_granule_shift(bytes, 0);
    log_line("sample interval %zu is below 8x the free filter's granule (%llu bytes, set at start): "
             "about %llu%% of frees will probe the live table; set HEAPPROF_FILTER_GRANULE=%llu "
             "at start to avoid it",
             bytes, (unsigned long long)g, (unsigned long long)(pct > 100 ? 100 : pct),
             (unsigned long long)want);
}

EXPORT int heapprof_set_sample(size_t bytes)
{
    if (bytes > PROFILER_MAX_MEAN)
        return ERANGE; /* the bound HEAPPROF_SAMPLE has too */
    profiler_init();
    if (lifecycle_sandboxed())
        return ENOTSUP; /* paused for good: a sample's unwinding may call fstat */
    profiler_set_mean(bytes);
    warn_granule(bytes);
    return 0;
}

EXPORT size_t heapprof_get_sample(void)
{
    profiler_init();
    return profiler_mean();
}

EXPORT int heapprof_label_push(const char *key, const char *value)
{
    int saved = errno;
    int err = labels_push(key, value);
    errno = saved;
    return err;
}

EXPORT void heapprof_label_pop(void) { labels_pop(); }

EXPORT int heapprof_label_adopt(void *ptr) { return profiler_adopt(ptr); }

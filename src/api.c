/*
 * api.c - the public functions of include/heapprof.h, each a thin wrapper
 * over the profiler and the writer.
 */
#define HEAPPROF_STRONG
#include "heapprof.h"

#include <errno.h>

#include "common.h"
#include "labels.h"
#include "profiler.h"
#include "writer.h"

EXPORT const char *heapprof_version(void) { return "0.1.0"; }

EXPORT int heapprof_dump(const char *path)
{
    int saved = errno;
    int err = profiler_init() ? writer_dump_now(path, WHY_API) : EAGAIN;
    errno = saved;
    return err;
}

EXPORT int heapprof_set_sample(size_t bytes)
{
    if (bytes > PROFILER_MAX_MEAN)
        return ERANGE; /* the bound HEAPPROF_SAMPLE has too */
    profiler_init();
    profiler_set_mean(bytes);
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

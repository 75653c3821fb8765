/*
 * heapprof.h - the public API of libheapprof.so.
 *
 * The profiler needs no code in the program: LD_PRELOAD=libheapprof.so is
 * enough.  These functions let a program that knows about it ask for a
 * profile at a moment of its choosing and change the sampling rate while it
 * runs.  All of them are safe to call from any thread (not from a signal
 * handler) and never change errno.
 *
 * Programs that are sometimes run without the preload
 * ---------------------------------------------------
 * The declarations below are weak by default, so a program that includes
 * this header links without libheapprof and runs with or without it.  When
 * the library is not loaded, the functions' addresses are NULL:
 *
 *     #include <heapprof.h>
 *     if (heapprof_loaded())            // inline: checks the weak symbol
 *         heapprof_dump(NULL);
 *
 * This works for position-independent executables (the default on Debian
 * and most distributions) and shared libraries.  For a non-PIE executable,
 * or to avoid any link-time dependency on this header, look the functions
 * up at run time instead:
 *
 *     #include <dlfcn.h>
 *     int (*dump)(const char *) = (int (*)(const char *))dlsym(RTLD_DEFAULT, "heapprof_dump");
 *     if (dump)
 *         dump("/tmp/now.pb.gz");
 *
 * Define HEAPPROF_STRONG before including this header to get ordinary
 * (strong) declarations, for a program linked against libheapprof.so.
 */
#ifndef HEAPPROF_H
#define HEAPPROF_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifdef HEAPPROF_STRONG
#define HEAPPROF_DECL
#else
#define HEAPPROF_DECL __attribute__((weak))
#endif

/* The library's version string, e.g. "0.1.0". */
HEAPPROF_DECL const char *heapprof_version(void);

/* Write a profile now, on the calling thread, and return when it is in
 * place.  path NULL: the next file of the process's sequence
 * (HEAPPROF_OUT.<pid>.<seq>.pb.gz).  Returns 0, or an errno value (for
 * example ENOENT or ENOSPC) when the file could not be written, or
 * ECANCELED once the process is exiting (the exit profile is the last),
 * ENOTSUP in a child created without fork handlers (_Fork, clone), which
 * writes no profiles, or EDEADLK from inside the profiler's own work (a
 * fork handler of another library, a signal handler that interrupted it);
 * the program's errno is left alone either way. */
HEAPPROF_DECL int heapprof_dump(const char *path);

/* Change the mean sampling interval, in bytes, for the rest of the run:
 * 1 records every allocation, 0 pauses sampling (objects already sampled
 * are still followed to their free).  Each thread switches at its next
 * sample point, so the change takes effect within about one old interval
 * of allocation per thread (64 MiB after a pause); the sample at that point
 * counts at the old interval, which picked it, so estimates stay unbiased
 * across a switch between two intervals.  A pause records nothing from the
 * call on, and a resumed thread nothing until its pause countdown ends.
 * Returns 0, or ERANGE above 1 TiB (2^40, the bound of HEAPPROF_SAMPLE). */
HEAPPROF_DECL int heapprof_set_sample(size_t bytes);

/* The mean sampling interval in force (0 while paused). */
HEAPPROF_DECL size_t heapprof_get_sample(void);

/* Component labels.  Push key=value on the calling thread's label stack;
 * allocations sampled until the matching pop carry it into the profile as
 * a pprof sample label (`go tool pprof -tagfocus component=parser`, -tags).
 * The innermost value of a key wins.  Cheap enough to call per request:
 * a hash lookup, no lock, no allocation.  Keys and values are copied, at
 * most 63 bytes each.  Returns 0, EINVAL (empty or too long), ENOSPC (the
 * process-wide table of 4096 distinct pairs or 65536 distinct label sets is
 * full; labels stay as they were) or E2BIG (nested over 16 deep).  Call the
 * matching heapprof_label_pop() whatever push returned.  Allocations made
 * with no label belong to the component "root". */
HEAPPROF_DECL int heapprof_label_push(const char *key, const char *value);
HEAPPROF_DECL void heapprof_label_pop(void);

/* Re-attribute the live object at ptr to the calling thread's current
 * labels: ownership moves with the data (a sink adopting what a source
 * allocated).  Its live bytes move; what was allocated stays counted where
 * it was allocated.  Objects the sampler did not pick are not tracked, so
 * for them this does nothing; either way it returns 0 (or ENOSPC when the
 * stack table could get no memory or no id for it; a full table moves the
 * bytes under "[other stacks]" and returns 0). */
HEAPPROF_DECL int heapprof_label_adopt(void *ptr);

/* Nonzero when libheapprof.so is loaded in this process. */
static inline int heapprof_loaded(void)
{
#ifdef HEAPPROF_STRONG
    return 1;
#else
    return heapprof_version != NULL;
#endif
}

#ifdef __cplusplus
}
#endif

#endif

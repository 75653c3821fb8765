/*
 * finilib.c - a library linked by the program (not preloaded) whose
 * destructor runs after the profiler's: constructors of the program's
 * libraries run before a preloaded library's, and destructors in the
 * reverse order.  So this one runs once the exit profile is written, as
 * the process ends, and it takes its time there (a library flushing logs
 * or joining its threads): it grows the heap past the high-water step,
 * sleeps FINI_SLEEP_MS, and prints the CPU time the whole process used
 * meanwhile ("fini_cpu_ms=N"), which the profiler's threads, with nothing
 * left to write, should not use.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { FINI_SLEEP_MS = 1000 };

static double cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

void *finilib_kept; /* not static: the allocation must stay */

int finilib_linked(void) { return 1; } /* the program calls it, so it is linked */

__attribute__((destructor)) static void slow_end(void)
{
    finilib_kept = malloc(4 << 20); /* past HEAPPROF_HIGHWATER: a crossing after the exit profile */
    if (finilib_kept)
        memset(finilib_kept, 1, 4 << 20);
    double c0 = cpu_s();
    struct timespec ts = {FINI_SLEEP_MS / 1000, (FINI_SLEEP_MS % 1000) * 1000000L};
    while (nanosleep(&ts, &ts))
        ;
    char line[64];
    int n = snprintf(line, sizeof line, "fini_cpu_ms=%.0f\n", (cpu_s() - c0) * 1e3);
    if (write(1, line, (size_t)n) != n) /* stdio may be gone this late */
        _exit(3);
}

/*
 * bigtls - a program with a large static TLS block: BIGTLS_KB KiB of
 * __thread data of its own (lifecycle_host_bigtls).  glibc carves every
 * thread's static TLS out of the stack size asked for: heapprof's threads,
 * with a stack sized for the profiler's own needs alone, overflowed (230
 * KiB: SIGSEGV) or could not start (300 KiB: EINVAL).
 *
 *   lc_bigtls_KB SECONDS
 *
 * Touches its TLS, then allocates and frees through bt_alloc (a deep chain
 * of frames, so that the writer symbolizes long stacks) for SECONDS, and
 * prints "tls_kb=N" and "done=1".
 */
#include "lc.h"

#include <time.h>

#ifndef BIGTLS_KB
#define BIGTLS_KB 240
#endif

static __thread char big[BIGTLS_KB << 10];

static void *bt_alloc(int depth, size_t n)
{
    if (depth > 0)
        return bt_alloc(depth - 1, n);
    return malloc(n);
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 1.0;
    memset(big, 1, sizeof big);
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    static void *keep[512];
    do {
        for (int i = 0; i < 512; i++)
            keep[i] = bt_alloc(i % 200, 64 + (size_t)i);
        for (int i = 0; i < 512; i++)
            free(keep[i]);
        clock_gettime(CLOCK_MONOTONIC, &t);
    } while ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 < seconds);
    printf("tls_kb=%d\ndone=%d\n", BIGTLS_KB, big[7]);
    return 0;
}

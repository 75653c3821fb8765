/*
 * lc.h - helpers shared by the lifecycle test programs (tests/lifecycle).
 *
 * What they share with the integration programs (NOINLINE, the clock,
 * sleeping, profile paths, waiting for a file) is in ../lib/testlib.h.
 * Nothing here allocates, except where it says so.
 */
#ifndef LC_H
#define LC_H

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

/* Generous: only ever reached when something is broken. */
#define LC_WAIT_S 30.0

/* Wait for this process's profile number seq; exits with status 90 and a
 * message on timeout (the profiler never wrote it). */
static inline void lc_wait_seq(unsigned seq)
{
    char path[4096];
    testlib_profile_path(path, sizeof path, getpid(), seq);
    if (!testlib_wait_file(path, LC_WAIT_S)) {
        fprintf(stderr, "lc: timed out after %.0f s waiting for %s\n", LC_WAIT_S, path);
        exit(90);
    }
}

/* The highest <seq> among PREFIX.<pid>.<seq>.pb.gz now on disk, 0 if none.
 * opendir allocates: call it only where that does not matter. */
static inline unsigned lc_max_seq(pid_t pid)
{
    char dir[4096], base[4096], want[4200];
    const char *pre = testlib_prefix(), *slash = strrchr(pre, '/');
    if (slash) {
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - pre), pre);
        if (!*dir)
            strcpy(dir, "/");
        snprintf(base, sizeof base, "%s", slash + 1);
    } else {
        strcpy(dir, ".");
        snprintf(base, sizeof base, "%s", pre);
    }
    snprintf(want, sizeof want, "%s.%d.", base, (int)pid);
    size_t wl = strlen(want);
    unsigned best = 0;
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        unsigned n;
        char tail[16];
        if (strncmp(e->d_name, want, wl))
            continue;
        if (sscanf(e->d_name + wl, "%u.pb.g%15s", &n, tail) == 2 && !strcmp(tail, "z") && n > best)
            best = n;
    }
    closedir(d);
    return best;
}

/* Create path (empty): "I am ready" for the driving script. */
static inline void lc_touch(const char *path)
{
    FILE *f = fopen(path, "w");
    if (f)
        fclose(f);
}

/* ---- many distinct stacks ------------------------------------------------
 * ms_go(k, d) reaches ms_leaf through d frames, each ms_a or ms_b by one bit
 * of k: 2^d distinct call stacks, all with the leaf ms_leaf. */
NOINLINE void *ms_leaf(size_t n);
NOINLINE void *ms_a(unsigned k, int d, size_t n);
NOINLINE void *ms_b(unsigned k, int d, size_t n);
NOINLINE void *ms_go(unsigned k, int d, size_t n);

#define LC_MANY_STACKS_IMPL                                                             \
    NOINLINE void *ms_leaf(size_t n) { return malloc(n); }                              \
    NOINLINE void *ms_a(unsigned k, int d, size_t n) { return ms_go(k, d, n); }         \
    NOINLINE void *ms_b(unsigned k, int d, size_t n) { return ms_go(k, d, n); }         \
    NOINLINE void *ms_go(unsigned k, int d, size_t n)                                   \
    {                                                                                   \
        if (d == 0)                                                                     \
            return ms_leaf(n);                                                          \
        return (k & 1) ? ms_a(k >> 1, d - 1, n) : ms_b(k >> 1, d - 1, n);               \
    }

#endif

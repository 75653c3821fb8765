/*
 * slowrename.c - a preload listed before libheapprof.so: every rename(2)
 * is done, then takes SLOWRENAME_MS milliseconds more before it returns.
 *
 * A profile is under its final name from the rename on; what the writer
 * does after it (re-arming the high-water trigger) then runs that much
 * later, so a program that waits for the profile and then allocates does so
 * in between, every time rather than once in a while (lifecycle_highwater,
 * stage C).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>

typedef int (*rename_fn)(const char *, const char *);

int rename(const char *from, const char *to)
{
    rename_fn next = (rename_fn)dlsym(RTLD_NEXT, "rename");
    int r = next ? next(from, to) : -1;
    const char *ms = getenv("SLOWRENAME_MS");
    long v = ms ? atol(ms) : 0;
    if (v > 0) {
        struct timespec ts = {v / 1000, (v % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    return r;
}

/*
 * slowrename.c - a preload listed before libheapprof.so: every call that
 * puts a file under its final name (rename(2), renameat2(2), linkat(2)) is
 * done, then takes SLOWRENAME_MS milliseconds more before it returns.
 *
 * A profile is under its final name from that call on; what the writer
 * does after it (re-arming the high-water trigger) then runs that much
 * later, so a program that waits for the profile and then allocates does so
 * in between, every time rather than once in a while (lifecycle_highwater,
 * stage C).  A profile of the sequence is named by linkat (an unnamed file,
 * outfile.c) or renameat2 (RENAME_NOREPLACE), not rename: with rename alone
 * slowed, that window was not made at all.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void slow(void)
{
    int saved = errno;
    const char *ms = getenv("SLOWRENAME_MS");
    long v = ms ? atol(ms) : 0;
    if (v > 0) {
        struct timespec ts = {v / 1000, (v % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    errno = saved;
}

typedef int (*rename_fn)(const char *, const char *);
typedef int (*renameat2_fn)(int, const char *, int, const char *, unsigned);
typedef int (*linkat_fn)(int, const char *, int, const char *, int);

int rename(const char *from, const char *to)
{
    rename_fn next = (rename_fn)dlsym(RTLD_NEXT, "rename");
    int r = next ? next(from, to) : -1;
    slow();
    return r;
}

int renameat2(int olddirfd, const char *from, int newdirfd, const char *to, unsigned flags)
{
    renameat2_fn next = (renameat2_fn)dlsym(RTLD_NEXT, "renameat2");
    int r = next ? next(olddirfd, from, newdirfd, to, flags) : -1;
    if (!r)
        slow();
    return r;
}

int linkat(int olddirfd, const char *from, int newdirfd, const char *to, int flags)
{
    linkat_fn next = (linkat_fn)dlsym(RTLD_NEXT, "linkat");
    int r = next ? next(olddirfd, from, newdirfd, to, flags) : -1;
    if (!r)
        slow();
    return r;
}

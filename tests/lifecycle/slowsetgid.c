/*
 * slowsetgid.c - a preload listed after libheapprof.so: setgid(2) takes
 * SLOWSETGID_MS milliseconds before it is done.
 *
 * heapprof's setgid stops the profiler's threads, holding its quiesce lock,
 * and then calls the next setgid: this one.  The lock is then held for that
 * long, every time, so a program can _Fork while another of its threads
 * holds it (lifecycle_fork_orphan).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

typedef int (*setgid_fn)(gid_t);

int setgid(gid_t g)
{
    const char *ms = getenv("SLOWSETGID_MS");
    long v = ms ? atol(ms) : 0;
    if (v > 0) {
        struct timespec ts = {v / 1000, (v % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    setgid_fn next = (setgid_fn)dlsym(RTLD_NEXT, "setgid");
    return next ? next(g) : -1;
}

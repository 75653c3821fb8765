/*
 * holdsync.c - a preload listed before libheapprof.so: the first
 * fdatasync(2) of the process, which is the writer's on the profile it is
 * writing (under its dump lock), first creates HOLDSYNC_FILE.held, then
 * waits (60 s at most) until HOLDSYNC_FILE exists.  So a test knows the
 * writer holds its lock, for as long as it likes (lifecycle_host_rt_dump).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

typedef int (*sync_fn)(int);

int fdatasync(int fd)
{
    static int done;
    const char *go = getenv("HOLDSYNC_FILE");
    if (go && !__atomic_exchange_n(&done, 1, __ATOMIC_ACQ_REL)) {
        char held[4096];
        snprintf(held, sizeof held, "%s.held", go);
        int m = open(held, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (m >= 0)
            close(m);
        struct timespec ms = {0, 1000000};
        for (int i = 0; i < 60000 && access(go, F_OK) != 0; i++)
            nanosleep(&ms, NULL);
    }
    sync_fn next = (sync_fn)dlsym(RTLD_NEXT, "fdatasync");
    return next ? next(fd) : 0;
}

/*
 * threadcalls.c - a preload listed before libheapprof.so that watches how
 * the process starts its threads (integ_startup): how many
 * pthread_create() calls asked for explicit scheduling, and how many
 * pthread_setname_np() calls named a thread other than the caller.  glibc
 * makes a thread started with explicit scheduling wait until its starter
 * has set its policy, and naming another thread opens, writes and closes
 * its /proc comm file: both cost the starter.  And how many pidfd_open()
 * calls the main thread made (heapprof's probe of pidfd_getfd, threads.c,
 * belongs on its own thread).  Its destructor prints
 * "explicit_sched=N named_other=M pidfd_main=K" on stderr.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/types.h>
#include <unistd.h>

static int explicit_sched, named_other, pidfd_main;

typedef int (*create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
typedef int (*setname_fn)(pthread_t, const char *);

int pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
    int inherit;
    if (attr && pthread_attr_getinheritsched(attr, &inherit) == 0 &&
        inherit == PTHREAD_EXPLICIT_SCHED)
        __atomic_add_fetch(&explicit_sched, 1, __ATOMIC_RELAXED);
    create_fn next = (create_fn)dlsym(RTLD_NEXT, "pthread_create");
    return next ? next(t, attr, fn, arg) : -1;
}

int pthread_setname_np(pthread_t t, const char *name)
{
    if (!pthread_equal(t, pthread_self()))
        __atomic_add_fetch(&named_other, 1, __ATOMIC_RELAXED);
    setname_fn next = (setname_fn)dlsym(RTLD_NEXT, "pthread_setname_np");
    return next ? next(t, name) : -1;
}

typedef int (*pidfd_open_fn)(pid_t, unsigned);

int pidfd_open(pid_t pid, unsigned flags)
{
    if (gettid() == getpid())
        __atomic_add_fetch(&pidfd_main, 1, __ATOMIC_RELAXED);
    pidfd_open_fn next = (pidfd_open_fn)dlsym(RTLD_NEXT, "pidfd_open");
    return next ? next(pid, flags) : -1;
}

__attribute__((destructor)) static void report(void)
{
    char line[96];
    int n = snprintf(line, sizeof line, "explicit_sched=%d named_other=%d pidfd_main=%d\n",
                     __atomic_load_n(&explicit_sched, __ATOMIC_RELAXED),
                     __atomic_load_n(&named_other, __ATOMIC_RELAXED),
                     __atomic_load_n(&pidfd_main, __ATOMIC_RELAXED));
    if (write(2, line, (size_t)n) < 0)
        return;
}

/*
 * threads.h - starting the profiler's own threads (writer, HTTP server).
 *
 * Every such thread starts with all signals blocked (signals are for the
 * program's threads: the dump signal must reach one of those), with default
 * scheduling rather than that of the thread that happens to create it (a
 * SCHED_FIFO program thread calling setuid or fork must not turn a dump
 * into real-time work), with a stack of its own measured size rather than
 * RLIMIT_STACK's (threads.c), with a name that shows in `top -H`, and off
 * glibc's count of the process's threads, so that the program's last
 * thread still ends the process (threads.c).
 */
#ifndef HEAPPROF_THREADS_H
#define HEAPPROF_THREADS_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

/* A kind of thread: what it runs and the name it shows (at most 15
 * characters).  Static: the new thread reads it after threads_start has
 * returned. */
typedef struct threads_kind {
    void *(*fn)(void *);
    const char *name;
} threads_kind;

/* Start k->fn on a new joinable thread.  0 or an errno value. */
int threads_start(pthread_t *t, const threads_kind *k);

/* First thing on a thread of the profiler's that opens files while the
 * program runs (the writer, the HTTP server): the thread moves to a
 * descriptor table of its own, empty, so that no file of its takes a
 * number in the program's (threads.c); its lines still reach the
 * program's stderr (log.c).  Does nothing where that cannot be had (Linux
 * before 5.9, a seccomp profile that refuses pidfd_getfd): the thread then
 * shares the program's table.  Whether it moved. */
bool threads_private_fds(void);

/* Join t, whose kernel thread id its function stored in *tid first thing
 * (gettid()), and wait until that thread has left the process (at most
 * 100 ms).  pthread_join returns when the thread clears its id, a little
 * before the kernel takes it out of the thread group: an unshare(2) of
 * CLONE_THREAD or CLONE_NEWUSER made in between, which the threads were
 * stopped for (shim_process.c), failed with EINVAL now and then
 * (lifecycle_host_namespaces). */
void threads_join(pthread_t t, const pid_t *tid);

#endif

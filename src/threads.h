/*
 * threads.h - starting the profiler's own threads (writer, HTTP server).
 *
 * Every such thread starts with all signals blocked (signals are for the
 * program's threads: the dump signal must reach one of those), with default
 * scheduling rather than that of the thread that happens to create it (a
 * SCHED_FIFO program thread calling setuid or fork must not turn a dump
 * into real-time work), with a stack of its own measured size rather than
 * RLIMIT_STACK's (threads.c), and with a name that shows in `top -H`.
 */
#ifndef HEAPPROF_THREADS_H
#define HEAPPROF_THREADS_H

#include <pthread.h>

/* Start fn on a new joinable thread.  0 or an errno value. */
int threads_start(pthread_t *t, void *(*fn)(void *), const char *name);

#endif

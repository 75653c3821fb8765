/*
 * quietsig.h - the signals the profiler's own writes can raise, kept from
 * the program.
 *
 * Two of write(2)'s failures also raise a signal in the writing thread:
 * SIGPIPE on a pipe whose reader has gone (stderr, log.c) and SIGXFSZ on a
 * file past the process's RLIMIT_FSIZE (a profile, dump.c; stderr on a log
 * file).  Both kill by default, and a program that never writes such a
 * file itself would die of the profiler's write: its exit profile, a
 * heapprof_dump() on its thread, a line on stderr from inside its malloc.
 * With the signals blocked the write fails with EPIPE or EFBIG instead,
 * which the caller reports, and the signal stays pending on this thread;
 * quietsig_end takes it back before the mask is restored when a write of
 * ours failed so, unless one was pending already (that one is the
 * program's).  The kernel directs both at the writing thread (send_sig), so
 * taking one back takes the profiler's; without such a failure nothing is
 * taken, so a SIGPIPE that `kill` sends the process meanwhile stays the
 * program's.
 * Async-signal-safe; nothing allocates.
 */
#ifndef HEAPPROF_QUIETSIG_H
#define HEAPPROF_QUIETSIG_H

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <time.h>

typedef struct quietsig {
    sigset_t old;     /* the thread's mask before */
    bool pending[2];  /* SIGPIPE, SIGXFSZ already pending then */
} quietsig;

static const int quietsig_signals[2] = {SIGPIPE, SIGXFSZ};

static inline void quietsig_begin(quietsig *q)
{
    sigset_t both, pending;
    sigemptyset(&both);
    for (int i = 0; i < 2; i++)
        sigaddset(&both, quietsig_signals[i]);
    pthread_sigmask(SIG_BLOCK, &both, &q->old);
    bool read = sigpending(&pending) == 0;
    for (int i = 0; i < 2; i++)
        q->pending[i] = !read || sigismember(&pending, quietsig_signals[i]) == 1;
}

/* failed: the errno of a write of ours that failed (EPIPE, EFBIG), or 0.
 * errno is the caller's to keep: this may change it. */
static inline void quietsig_end(quietsig *q, int failed)
{
    static const int raised_by[2] = {EPIPE, EFBIG};
    sigset_t pending;
    if (sigpending(&pending) == 0)
        for (int i = 0; i < 2; i++) {
            if (failed != raised_by[i] || q->pending[i] ||
                sigismember(&pending, quietsig_signals[i]) != 1)
                continue;
            sigset_t one;
            sigemptyset(&one);
            sigaddset(&one, quietsig_signals[i]);
            static const struct timespec now = {0, 0};
            while (sigtimedwait(&one, NULL, &now) < 0 && errno == EINTR)
                ;
        }
    pthread_sigmask(SIG_SETMASK, &q->old, NULL);
}

#endif

/*
 * writer.h - when profiles are written, and by whom.
 *
 * A thread of the profiler's own (all signals blocked, the reentrancy guard
 * held for its whole life), started only when a trigger needs it (signal,
 * period, high-water, limit), sleeps on a semaphore.  Anything that
 * wants a profile sets its bit in `pending` and posts the semaphore;
 * both are async-signal-safe, so the dump signal's handler does exactly
 * that and nothing else.  The thread wakes, takes all pending bits at once
 * (requests that arrive during a dump coalesce into one next dump), checks
 * the time-based triggers, and writes at most one profile per wake.
 */
#ifndef HEAPPROF_WRITER_H
#define HEAPPROF_WRITER_H

/* Why a profile is written; one bit each. */
enum {
    WHY_SIGNAL = 1 << 0,
    WHY_PERIOD = 1 << 1,
    WHY_EXIT = 1 << 2,
    WHY_API = 1 << 3,
    WHY_HIGHWATER = 1 << 4,
    WHY_LIMIT = 1 << 5, /* HEAPPROF_LIMIT_DUMP: memory use crossed the limit threshold */
};

#include <stdbool.h>
#include <stdint.h>

#include "profiler.h"
#include "stacks.h"

/* Estimated live bytes above which a high-water profile is due; UINT64_MAX
 * when off or already requested.  Read on every sample, so one load. */
extern uint64_t writer_hw_threshold;

void writer_highwater_crossed(uint64_t inuse);

/* Called after a sample is recorded.  The live total is a sum over the
 * stack table's shards (stacks.h), added up only while a threshold is set. */
static inline void writer_check_highwater(void)
{
    uint64_t limit = __atomic_load_n(&writer_hw_threshold, __ATOMIC_RELAXED);
    if (hp_unlikely(limit != UINT64_MAX)) {
        uint64_t inuse = stacks_inuse_total();
        if (inuse > limit)
            writer_highwater_crossed(inuse);
    }
}

/* Ask the writer thread for a profile.  Async-signal-safe. */
void writer_request(unsigned why);

/* Start the thread if a trigger needs it, and install the signal handler
 * (from the constructor). */
void writer_start(void);

/* fork(2), in the child: start afresh (a new thread if a trigger needs
 * one, sequence from 0001). */
void writer_atfork_child(void);

/* Stop the writer thread and wait until it is gone (a dump in progress
 * finishes first), then start it again: around calls that glibc applies to
 * every thread (set*id), see shim_process.c.  Not thread-safe: the caller
 * serialises. */
void writer_pause(void);
void writer_resume(void);
/* Stop the writer thread for good, and wait for a profile being written
 * on any thread: the program installs a seccomp filter that may kill
 * (lifecycle.c). */
void writer_stand_down(void);

/* Around exec (lifecycle.c): no profile is being written, nor begins,
 * from writer_exec_hold() returning true to writer_exec_release() (the
 * exec failed); false after waiting EXEC_WAIT_S for one in vain, after a
 * line. */
bool writer_exec_hold(void);
void writer_exec_release(void);

/* Wait until the exit profile is written: at most start_s for its writing
 * to begin, at most `seconds` in all. */
void writer_wait_exit_profile(double start_s, double seconds);

/* exit: write the exit profile (if configured) and stop further dumps. */
void writer_at_exit(void);

#include "dump.h"

/* Write a profile (not part of the file sequence) to fd, serialised with
 * every other dump: for the HTTP endpoint.  0 or an errno. */
int writer_dump_to_fd(int fd, const char *reason, const dump_options *opt);

/* Profiles of the file sequence written so far (for /metrics). */
uint64_t writer_dumps_written(void);

/* Write a profile now on the calling thread: to path, or to the next file
 * of the sequence when path is NULL.  Returns 0 or an errno value. */
int writer_dump_now(const char *path, unsigned why);

#endif

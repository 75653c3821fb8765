/*
 * writer.h - when profiles are written, and by whom.
 *
 * A thread of the profiler's own (all signals blocked, the reentrancy guard
 * held for its whole life) sleeps in poll(2) on a pipe.  Anything that
 * wants a profile sets its bit in `pending` and writes a byte to the pipe;
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
};

/* Ask the writer thread for a profile.  Async-signal-safe. */
void writer_request(unsigned why);

/* Start the thread and install the signal handler (from the constructor). */
void writer_start(void);

/* Write a profile now on the calling thread: to path, or to the next file
 * of the sequence when path is NULL.  Returns 0 or an errno value. */
int writer_dump_now(const char *path, unsigned why);

#endif

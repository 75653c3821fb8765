/*
 * unwind_memo.h - where a thread's last walk looked its frames up, kept by
 * the caller (its own header so that profiler.h can hold one without the
 * shim's files seeing libunwind's header).
 *
 * Where the last walk of a thread looked its frames up in the walker's
 * rule cache, leaf first: the next walk starts loading those cache lines
 * all at once.  Each frame's lookup needs the frame before it, so the
 * walk's misses come one after another: perf put 43 % of unwind_fast's
 * time on that load, churn at 64 KiB (finding 15 in docs/benchmarks.md).
 * A thread's samples mostly share their innermost frames (the allocation
 * wrappers, the profiler's own), so most of those lines are the ones this
 * walk wants; a wrong one costs a useless fetch.  The caller keeps it where
 * its thread's hottest data is (profiler.h).  Zeroed: nothing to fetch.
 */
#ifndef HEAPPROF_UNWIND_MEMO_H
#define HEAPPROF_UNWIND_MEMO_H

#include <stdint.h>

enum { UNWIND_MEMO = 12 };
typedef struct unwind_memo {
    uint16_t n;
    uint16_t slot[UNWIND_MEMO];
} unwind_memo;

#endif

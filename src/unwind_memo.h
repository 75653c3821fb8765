/*
 * unwind_memo.h - where a thread's last walk looked its frames up, kept by
 * the caller (its own header so that profiler.h can hold one without the
 * shim's files seeing libunwind's header), and the proof that a walk would
 * repeat it (unwind_replay below).
 *
 * Where the last walk of a thread looked its frames up in the walker's
 * rule cache (the sets' indices, in `slot`), leaf first: the next walk starts loading those cache lines
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

/*
 * What a thread's last walk read from its stack, kept by the caller for
 * the next walk (unwind_fast).  The walk is a function of where it starts
 * (the stack pointer, and rbp too if a rule used it before a frame
 * restored it; the stack's top follows from the stack pointer on the
 * thread that owns the replay) and of the words it reads: each frame's rule
 * follows from its return address, and the next frame's position from the
 * rule and the words read.  So a walk that starts where the last one did,
 * and finds every word the last one read unchanged, would repeat it frame
 * for frame: checking that is a load and a compare per word, where walking
 * is a hash, a rule-cache lookup (often a miss by the next sample) and
 * half a dozen tests per frame.  A thread that keeps sampling the same
 * stack, as a loop that allocates does, then walks it once.  The words
 * are return addresses and the saved rbp values the walk used; their
 * addresses are kept as offsets from the starting stack pointer.
 *
 * n == 0: nothing to replay (no walk yet, a walk left to libunwind, one
 * that read more than UNWIND_REPLAY_MAX words, or a caller that did not
 * keep the last walk's result).  128 words: a walk to HEAPPROF_DEPTH's
 * default of 64 frames reads two a frame where frames keep rbp (frame
 * pointers), one where they do not.  About 1.6 KiB of each thread's TLS
 * (profiler.c), which glibc zeroes when it makes the thread; read and
 * written on samples only, and only as far as the walk's words go.
 */
enum { UNWIND_REPLAY_MAX = 128 };
typedef struct unwind_replay {
    uintptr_t sp, bp;     /* where the walk started */
    uint32_t gen;         /* the rule cache's generation (unwind_forget) */
    uint16_t n;           /* words read, in off[] and val[] */
    uint16_t max;         /* the walk's frame limit */
    uint8_t bp_used;      /* the starting rbp was used (bp must match) */
    int32_t off[UNWIND_REPLAY_MAX]; /* each word's address - sp */
    uint64_t val[UNWIND_REPLAY_MAX];
} unwind_replay;

#endif

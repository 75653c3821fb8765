/*
 * profiler.h - the narrow interface between the allocator shim and the
 * profiler: a per-thread byte countdown checked inline on every allocation,
 * and the slow functions it leads to.
 *
 * Fast path cost.  An unsampled allocation runs profiler_tick: one
 * thread-local load, a subtract, a store and a not-taken branch, then a
 * tail call to the real allocator.  An unsampled free runs live_maybe: a
 * load of the filter's granule shift, a shift, a one-byte load from a
 * read-mostly array and a not-taken branch, then the tail call.  No lock,
 * no atomic read-modify-write, no write to shared memory.
 *
 * The reentrancy guard is the same countdown: while the profiler works on a
 * thread (unwinding, interning, writing a profile) it parks that thread's
 * budget at GUARD_BUDGET, so the program's allocator is used directly and
 * nothing the profiler allocates is sampled, without a second check on the
 * fast path.
 */
#ifndef HEAPPROF_PROFILER_H
#define HEAPPROF_PROFILER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "config.h"
#include "unwind_memo.h"

/* One cache line, which every allocation's countdown keeps in the cache:
 * what a sample needs first from its thread is then there too. */
typedef struct hp_thread {
    int64_t budget;   /* bytes left before the next sample point */
    uint64_t rng;     /* sampler state, 0 until the thread's first slow path */
    uint32_t guard;   /* nesting depth of profiler work on this thread */
    unwind_memo walk; /* the last walk's rule-cache slots (unwind_memo.h) */
    struct stack_rec *last; /* the record of the last sample (stacks.h) */
} __attribute__((aligned(64))) hp_thread;
_Static_assert(sizeof(hp_thread) == 64, "hp_thread is one cache line");

extern __thread hp_thread hp_tls __attribute__((tls_model("initial-exec"), visibility("hidden")));

/* Count n bytes down; true when this allocation needs the slow path: when
 * n reaches what was left of the budget, as unsigned numbers.
 *
 * On x86_64 this is one subtract into thread-local memory whose flags
 * decide the branch: `sub %rdi,%fs:(%rax); jbe slow` after the one load of
 * the TLS offset.  GCC compiles the C version below as load, subtract,
 * store, compare: three more instructions on every allocation, measured
 * with callgrind.  "Below or equal" on the flags of budget - n is the
 * carry or zero flag: budget <= n, unsigned.
 *
 * Unsigned, because n is: a budget is at most 2^62 when the tick reads it
 * (GUARD_BUDGET, profiler.c), so every size of 2^63 and more goes to the
 * slow path.  As signed numbers such a size was negative: a failed
 * malloc(SIZE_MAX) added a byte to the budget, and one of 3 << 62 added
 * 2^62, after which the thread was never sampled again (integ_exact). */
static inline bool profiler_tick(size_t n)
{
#if defined(__x86_64__) && defined(__GNUC__) && !defined(HEAPPROF_PORTABLE_TICK)
    int64_t *off;
    bool be;
    __asm__("movq hp_tls@gottpoff(%%rip), %0" : "=r"(off));
    __asm__ volatile("subq %2, %%fs:(%1)" : "=@ccbe"(be) : "r"(off), "r"(n) : "memory");
    return hp_unlikely(be);
#else
    uint64_t b = (uint64_t)hp_tls.budget;
    hp_tls.budget = (int64_t)(b - n);
    return hp_unlikely(b <= n);
#endif
}

/* The tick, for a call that only allocates: on a crossing, the budget is
 * parked at 0 before the allocator runs, and stays there until the slow
 * path draws the next one.
 *
 * Why: the unsigned tick does not see a budget left past its end (budget
 * - n, wrapped) as crossed, where the signed one did.  Whatever keeps the
 * slow path from drawing would then leave the thread unsampled for good:
 * an operator new that throws std::bad_alloc (integ_cxx, hp_bad_alloc), a
 * signal handler that jumps out of the allocator (integ_sigwindow).  At 0,
 * the next allocation is the sample point, and a handler's allocations
 * there are sampled, as before.  The store is on the slow branch only. */
static inline bool profiler_tick_alloc(size_t n)
{
    if (hp_unlikely(profiler_tick(n))) {
        hp_tls.budget = 0;
        return true;
    }
    return false;
}

/* The tick's answer, read back after it from the budget it left, for slow
 * paths entered for another reason too (realloc's, for its old block),
 * and on a crossing the budget parked at 0, as profiler_tick_alloc does:
 * budget - n is at most 0 exactly when budget <= n for every n below 2^63,
 * and every n above was a crossing (profiler_tick). */
static inline bool profiler_ticked(size_t n)
{
    bool crossed = hp_tls.budget <= 0 || n > (size_t)INT64_MAX;
    if (crossed)
        hp_tls.budget = 0;
    return crossed;
}

/* Slow paths, each called by the shim after its fast test said "maybe".
 * They forward nothing except where named: */
void *profiler_alloc_slow(void *p, size_t n); /* p: what the allocator returned */
/* also frees p with fn(p): free, or C++'s delete (shim.h) */
void profiler_free_slow(void *p, void (*fn)(void *));
/* also deletes p with del(p, n): C++'s sized delete */
void profiler_delete_sized_slow(void *p, size_t n, void (*del)(void *, size_t));
void *profiler_realloc_slow(void *p, size_t n); /* also reallocates */
void *profiler_rallocx_slow(void *p, size_t n, int flags); /* jemalloc's rallocx */
size_t profiler_xallocx_slow(void *p, size_t n, size_t extra, int flags); /* and xallocx */
/* The profiler's part of a free whose function takes more than the pointer
 * (sdallocx, free_sized): true when the allocator is to free p now, false
 * when p is not its to free (NULL, a bootstrap arena block). */
bool profiler_release_slow(void *p);
size_t profiler_usable_size_slow(void *p);    /* also asks the allocator */

/* Park / restore the calling thread's budget around profiler work. */
int64_t profiler_guard_enter(void);
void profiler_guard_exit(int64_t saved);

/* Bring the profiler up (idempotent).  False while the calling thread is
 * still resolving the real allocator. */
bool profiler_init(void);

/* Configuration, read-only after init. */
const hp_config *profiler_config(void);

/* A complaint about a HEAPPROF_* value found wrong after config.c took it
 * (HEAPPROF_HTTP's address, http.c): one line, unless the parent process
 * said the settings' lines already (a process tree says them once). */
void profiler_warn_setting(const char *line);

/* A line the settings led to in this process, which its parent may not
 * have met (a cgroup of its own, the HTTP server's address): said always,
 * and marked as profiler_warn_setting's lines are, for its children with
 * the same settings on the same stderr (the address they find in use is
 * this process's). */
void profiler_say_setting(const char *line);

/* The largest mean interval (1 TiB, as HEAPPROF_SAMPLE allows): the
 * sampler's arithmetic stays far from overflow below it. */
#define PROFILER_MAX_MEAN ((uint64_t)1 << 40)

/* Mean sampling interval now in force (bytes; 1 exact; 0 paused). */
uint64_t profiler_mean(void);
void profiler_set_mean(uint64_t bytes);
/* Every allocation recorded at its size, weight 1: the mean has been 1
 * since start (HEAPPROF_SAMPLE=1, never changed since). */
bool profiler_exact(void);

typedef struct profiler_stats {
    uint64_t samples;          /* samples taken */
    uint64_t merged_stacks;    /* counted under [other stacks]: stack table full */
    uint64_t dropped_stacks;   /* dropped: stack table out of memory or ids */
    uint64_t dropped_live;     /* not tracked as live: live table full */
    uint64_t unseen_frees;     /* live entries replaced: their free was not seen */
    uint64_t unwind_fallbacks; /* stacks heapprof's walker left to libunwind */
    bool fast_unwind;          /* heapprof's walker is on (unwind.h) */
} profiler_stats;

void profiler_get_stats(profiler_stats *out);

/* Re-attribute the live object p, if it is sampled, to the calling
 * thread's current labels.  0, or ENOSPC when the stack table had no
 * record for it (out of memory or ids; a full one merges, stacks.h). */
int profiler_adopt(void *p);

/* Monotonic nanoseconds when the profiler started. */
int64_t profiler_start_ns(void);

#endif

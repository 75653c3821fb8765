/*
 * unwind.h - the call stack of a sampled allocation.
 *
 * heapprof's own frame walker (rules from .eh_frame, cached by return
 * address) with libunwind behind it for the stacks the walker does not
 * follow, and the profiler's own frames cut off the top, so the first
 * address is the program's call into malloc (or operator new).
 *
 * Deadlock rule: the walker takes no lock (_dl_find_object), but libunwind
 * takes the loader's lock (dl_iterate_phdr) to find unwind tables.  A
 * thread inside dlopen holds that lock and may call malloc, which may
 * sample and unwind.  So no profiler lock is ever held while unwinding: a
 * sampled thread unwinds first, then takes the (short, leaf) table locks,
 * and nothing under those locks waits for the loader.
 */
#ifndef HEAPPROF_UNWIND_H
#define HEAPPROF_UNWIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Local unwinding only: this must come before any other <libunwind.h>,
 * which is why files that unwind include this header first. */
#ifndef UNW_LOCAL_ONLY
#define UNW_LOCAL_ONLY
#endif
#include <libunwind.h>
#include <pthread.h>

#include "unwind_memo.h"
#include "unwind_pipe.h"

/* Learn the address range of libheapprof itself (call once, outside any
 * allocator lock). */
void unwind_init(void);

/* Frames above the program's that the unwinder sees first (libunwind's and
 * the profiler's own); callers' buffers have this much room beyond max. */
enum { UNWIND_SLACK = 32 };

/* pcs[0..n) as unw_backtrace left it: cut libunwind's and the profiler's
 * frames off the top and keep at most max of the rest at the front of
 * pcs; returns how many. */
size_t unwind_trim(uint64_t *pcs, int n, size_t max);

/* Return addresses of the stack of the caller of unwind_fast, leaf first,
 * at most max, into pcs, by heapprof's own walker: the .eh_frame rule of
 * each return address (cfi.h), cached process-wide.  The frames of
 * libheapprof at the top are left out, as unwind_trim does (none before
 * unwind_init has found the library's range).  Returns how many, or
 * UNWIND_FELL_BACK - k if the walk met a frame it does not follow (no CFI,
 * a DWARF expression, a signal frame, offsets its cache cannot hold, a
 * frame not above the last one on the same stack, a stack not a thread's
 * own) before the outermost frame, after storing k frames: then the stack
 * is libunwind's to walk, or where libunwind may not run (unwind_pipe.h),
 * those k frames are all there is. */
/* memo: the calling thread's (unwind_memo.h), never NULL; read for its
 * prefetches, then rewritten with this walk's slots.
 *
 * replay: the calling thread's (unwind_memo.h), never NULL.  If the walk
 * would repeat the one that last wrote it, unwind_fast returns
 * UNWIND_REPEAT and writes nothing: the stack is the one that walk
 * returned.  Otherwise it is rewritten with this walk (n = 0 if the walk
 * is libunwind's).  A caller that does not keep what a walk returned (a
 * stack it failed to record) must set replay->n = 0, or a repeat would
 * point it at a stack it does not have; so does one that wants a walk
 * whatever the last one was.  (Required rather than optional: a stand-in
 * for a missing one would cost every sample ~1.6 KiB of stack.) */
enum { UNWIND_REPEAT = -2, UNWIND_FELL_BACK = -3 };
int unwind_fast(void **pcs, int max, unwind_memo *memo, unwind_replay *replay);

/* Forget every cached rule: code was unmapped (dlclose), and another
 * object may be mapped at its addresses with other rules. */
void unwind_forget(void);

/* Whether libunwind has the room it needs below the caller's frame: false
 * only on a signal handler's alternate stack too small for it (8 KiB, the
 * classic SIGSTKSZ, of which the kernel's signal frame takes up to 3.5 KiB
 * with AVX-512), where its walk overflowed into what lies below. */
bool unwind_room_ok(void);

/* How many stacks unwind_fast left to libunwind (or cut short). */
uint64_t unwind_fallbacks(void);

/* Return addresses of the current stack, leaf first, profiler frames
 * removed, at most max, into pcs[0 .. max + UNWIND_SLACK).  Returns how
 * many were stored, or UNWIND_REPEAT (see unwind_fast).  fast: heapprof's
 * walker first (HEAPPROF_FAST_UNWIND).  libunwind only where its pipe is
 * still its own (unwind_pipe.h), where it has the room (unwind_room_ok),
 * and with cancellation off: its read() and
 * write() on that pipe are cancellation points, and a thread cancelled
 * there would leave the program's malloc half done.
 *
 * Inline, and so is record() (profiler.c), so that the profiler adds one
 * frame of its own, profiler_alloc_slow (two under realloc): each frame
 * walked is a cache lookup that is often a miss by the time the next
 * sample comes. */
static inline __attribute__((always_inline)) int unwind_capture(uint64_t *pcs, size_t max,
                                                                bool fast, unwind_memo *memo,
                                                                unwind_replay *replay)
{
    /* Unwound in place: void * and uint64_t have the same size here.  One
     * buffer rather than a second on this stack: this runs inside the
     * program's malloc, on its thread's stack, which may be a small one. */
    _Static_assert(sizeof(void *) == sizeof(uint64_t), "LP64");
    int partial = 0;
    if (fast) {
        int n = unwind_fast((void **)pcs, (int)max, memo, replay);
        if (n > UNWIND_FELL_BACK)
            return n;
        partial = UNWIND_FELL_BACK - n;
    }
    if (!unwind_pipe_ok())
        return partial;
    if (!unwind_room_ok()) {
        if (fast)
            return partial;
        /* HEAPPROF_FAST_UNWIND=0, where libunwind may not run: the walker
         * is all there is (as where its pipe is not usable, profiler.c).
         * No replay kept: this thread's other stacks are libunwind's. */
        int k = unwind_fast((void **)pcs, (int)max, memo, replay);
        replay->n = 0;
        return k > UNWIND_FELL_BACK ? k : UNWIND_FELL_BACK - k;
    }
    int cancel;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
    int n = unw_backtrace((void **)pcs, (int)(max + UNWIND_SLACK));
    pthread_setcancelstate(cancel, NULL);
    return (int)unwind_trim(pcs, n, max);
}

#endif

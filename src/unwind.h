/*
 * unwind.h - the call stack of a sampled allocation.
 *
 * Local unwinding with libunwind, per-thread caching (no global lock), and
 * the profiler's own frames cut off the top, so the first address is the
 * program's call into malloc (or operator new).
 *
 * Deadlock rule: the unwinder takes the loader's lock (dl_iterate_phdr) to
 * find unwind tables.  A thread inside dlopen holds that lock and may call
 * malloc, which may sample and unwind.  So no profiler lock is ever held
 * while unwinding: a sampled thread unwinds first, then takes the (short,
 * leaf) table locks, and nothing under those locks waits for the loader.
 */
#ifndef HEAPPROF_UNWIND_H
#define HEAPPROF_UNWIND_H

#include <stddef.h>
#include <stdint.h>

/* Learn the address range of libheapprof itself (call once, outside any
 * allocator lock). */
void unwind_init(void);

/* Frames above the program's that the unwinder sees first (libunwind's and
 * the profiler's own); callers' buffers have this much room beyond max. */
enum { UNWIND_SLACK = 32 };

/* Return addresses of the current stack, leaf first, profiler frames
 * removed, at most max, into pcs[0 .. max + UNWIND_SLACK).  Returns how
 * many were stored. */
size_t unwind_capture(uint64_t *pcs, size_t max);

#endif

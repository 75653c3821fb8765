/*
 * mem.h - the profiler's own memory: pages for its tables, and a heap for
 * everything else it allocates (below).
 *
 * Tables that are touched from inside malloc (live objects, stacks) never use
 * malloc themselves: they map pages directly, so they cannot recurse into the
 * allocator they watch, cannot deadlock on its locks, and never show up in a
 * profile.  Every byte mapped is counted so a profile can report what the
 * profiler costs.
 */
#ifndef HEAPPROF_MEM_H
#define HEAPPROF_MEM_H

#include <stddef.h>
#include <stdint.h>

/* Zeroed, page-aligned memory, or NULL.  errno is preserved either way. */
void *mem_map(size_t bytes);
void mem_unmap(void *p, size_t bytes);

/* Bytes currently mapped through mem_map. */
uint64_t mem_mapped_bytes(void);

/* Test seam: make the `n`th call from now fail, mem_map's or any of the
 * heap's allocations below (0: never). */
unsigned long mem_fail_after(unsigned long n); /* the countdown it replaces: 0, fired or off */

/*
 * The profiler's heap: every other block it allocates for itself (profile
 * builders, fold arrays, ELF tables, the gzip stage, HTTP buffers), with
 * malloc's contract: NULL and errno ENOMEM on failure, mem_free(NULL) a
 * no-op.  A block from these must go back through them, never free().
 *
 * None of it comes from the program's malloc: small blocks from runs of
 * pages of our own, one size class each, blocks over 64 KiB from pages of
 * their own (mem.c says why).  glibc's malloc gave each thread of ours an
 * arena, and its free() of a block it had served by mmap raised its
 * dynamic mmap threshold to that block's size (up to 32 MiB on 64-bit),
 * and the trim threshold to twice that: one profile freeing a large
 * temporary changed how the program's own later large blocks were served
 * and how much freed memory it kept (lifecycle_host_malloc_tuning).
 */
void *mem_alloc(size_t bytes);
void *mem_calloc(size_t n, size_t size);
void *mem_realloc(void *p, size_t bytes);
void mem_free(void *p);
char *mem_strdup(const char *s);

/* Blocks held now, the bytes asked for them, and the most bytes at once
 * since mem_heap_peak_reset(), which sets it to now. */
uint64_t mem_heap_blocks(void);
uint64_t mem_heap_bytes(void);
uint64_t mem_heap_peak(void);
void mem_heap_peak_reset(void);

/* Bytes of the pages the heap holds now (apart from mem_mapped_bytes()). */
uint64_t mem_heap_mapped_bytes(void);

/* fork(): the heap's lock, taken after every other lock of the profiler
 * (none is taken under it) and released in parent and child. */
void mem_lock_all(void);
void mem_unlock_all(void);

#endif

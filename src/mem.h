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

/* Test seam: make the next `n`th mapping fail, mem_map's or a large
 * mem_alloc's (0: never). */
void mem_fail_after(unsigned long n);

/*
 * The profiler's heap: every other block it allocates for itself (profile
 * builders, fold arrays, ELF tables, the gzip stage, HTTP buffers), with
 * malloc's contract: NULL and errno ENOMEM on failure, mem_free(NULL) a
 * no-op.  A block from these must go back through them, never free().
 *
 * Small blocks come from the program's malloc; blocks of MEM_BIG bytes or
 * more from pages of their own, mapped as mem_map's.  The split is for the program: glibc's free() of a
 * block that malloc served by mmap raises its dynamic mmap threshold to
 * that block's size (up to 32 MiB on 64-bit), and the trim threshold to
 * twice that.  One profile freeing a large temporary so changed how the
 * program's own later large blocks are served and how much freed memory it
 * keeps (lifecycle_host_malloc_tuning).  glibc's threshold starts at 128
 * KiB and only rises, unless the program fixes it, and then free() leaves
 * it alone; below MEM_BIG no block of ours can move it.
 */
enum { MEM_BIG = 64 << 10 };
void *mem_alloc(size_t bytes);
void *mem_calloc(size_t n, size_t size);
void *mem_realloc(void *p, size_t bytes);
void mem_free(void *p);
char *mem_strdup(const char *s);

/* Bytes the large blocks hold now (apart from mem_mapped_bytes()), and the
 * most at once since mem_heap_mapped_peak_reset(), which sets it to now. */
uint64_t mem_heap_mapped_bytes(void);
uint64_t mem_heap_mapped_peak(void);
void mem_heap_mapped_peak_reset(void);

#endif

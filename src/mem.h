/*
 * mem.h - the profiler's own memory for its tables.
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

/* Test seam: make the next `n`th mem_map call fail (0: never). */
void mem_fail_after(unsigned long n);

#endif

/*
 * sort.h - an in-place sort that never allocates, and a search of sorted
 * addresses.
 *
 * glibc's qsort (a merge sort up to 2.36, Debian 12's) mallocs a copy of
 * any array of 1 KiB or more and frees it on return.  From 128 KiB, glibc's
 * malloc serves that copy by mmap, and its free() raises the dynamic mmap
 * threshold to the copy's size: one sort of a large binary's symbols
 * changed how the program's own later large blocks are served (mem.h
 * says more; lifecycle_host_malloc_tuning).  The profiler sorts with this
 * heapsort instead: O(n log n) compares, no memory, not stable (every
 * caller's order is total, or ties need no order).
 */
#ifndef HEAPPROF_SORT_H
#define HEAPPROF_SORT_H

#include <stddef.h>
#include <stdint.h>

void sort_array(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));

/* The index of the first of a[0..n) (sorted ascending) at or above v; n
 * when there is none. */
size_t sort_lower_bound(const uint64_t *a, size_t n, uint64_t v);

#endif

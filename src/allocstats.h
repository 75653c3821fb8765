/*
 * allocstats.h - the statistics of the allocator that serves the program's
 * malloc, whichever it is: glibc's mallinfo2, jemalloc's mallctl "stats.*",
 * gperftools tcmalloc's numeric properties.  For /metrics (metrics.c).
 *
 * The allocator is the object that defines the malloc heapprof forwards to
 * (real.h); each one's function is looked up once at run time, and only
 * counts when that same object defines it: glibc's figures with jemalloc
 * preloaded would describe a heap nobody uses.  Reading them takes the
 * allocator's locks (mallinfo2 walks every arena's free lists), so they are
 * read at most once every ALLOCSTATS_EVERY_S, whatever the scrape rate.
 */
#ifndef HEAPPROF_ALLOCSTATS_H
#define HEAPPROF_ALLOCSTATS_H

#include <stddef.h>

enum { ALLOCSTATS_EVERY_S = 10, ALLOCSTATS_MAX = 8 };

typedef struct allocstat {
    const char *name, *help; /* a metric family: NAME_bytes, HELP ending "(exact)" */
    size_t value;
} allocstat;

/* The allocator's figures into out (at most ALLOCSTATS_MAX); how many.
 * 0 when the allocator is none of the three, or cannot say.  One caller at
 * a time (the HTTP thread). */
size_t allocstats_read(allocstat *out);

/* Find the allocator (dlsym) ahead of the first read, on a thread of the
 * program's: the HTTP thread must not call malloc (allocstats.c). */
void allocstats_find(void);

#endif

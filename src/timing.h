/*
 * timing.h - how long a sample and a sampled free take, in ticks of the
 * time-stamp counter, for libheapprof_timing.so.
 *
 * Why: at 64 KiB a sample comes every ~120 pairs of a malloc-bound loop, so
 * making one 10 % cheaper moves the program's time by about 1 %, less than
 * one run differs from the next on a shared machine (docs/benchmarks.md,
 * findings 17, 21 and 22).  Counted around the sample itself, the same
 * change reads as a few dozen ticks out of ~250, run after run.
 *
 * Two builds, as with fault.h.  libheapprof.so is compiled without
 * HEAPPROF_TIMING: timing_now() is the constant 0 and timing_add() nothing,
 * so the production library carries no hook (its code is the same with or
 * without these calls).  The twin libheapprof_timing.so (CMake option
 * HEAPPROF_TIMING_LIB, x86-64 only) defines it and links timing.c, which
 * keeps a histogram per kind and, when the library is unloaded (after the
 * exit profile), writes one line for both to stderr:
 *
 *   heapprof[4242]: timing: pid=4242 samples n=31848 median=238 p10=166 p90=322
 *     mean=294 trim99=251.3; sampled frees n=31847 median=186 ... (ticks,
 *     2.30 GHz)
 *
 * trim99 is the mean of the fastest 99 %: it leaves out the few samples
 * that map a table or meet a new stack (tens of thousands of ticks each,
 * the first of a run mostly), which move the plain mean with the run's
 * length, and it resolves a fraction of a tick where a counter advances in
 * steps: on an AMD EPYC virtual machine rdtsc moved by 21 at a time, so
 * medians and quantiles only ever read 63, 84, 105 ... (finding 23 in
 * docs/benchmarks.md).  scripts/bench_ab.py compares two builds' twins by
 * trim99 where the line has it, else by the medians.  The
 * ticks include the profiler's work on the thread from its slow path's
 * entry to its return (the sample's walk, tables and next draw; the free's
 * tables, not the allocator's free).  rdtsc does not wait for earlier
 * instructions, so a reading can start a few dozen cycles early; both
 * builds of a comparison read it the same way.  Counting costs three
 * locked adds on shared lines per event, outside the ticks but not outside
 * the program's time: the twin's CPU time is not the production library's.
 */
#ifndef HEAPPROF_TIMING_H
#define HEAPPROF_TIMING_H

#include <stdint.h>

enum { TIMING_SAMPLE, TIMING_FREE, TIMING_KINDS };

#if defined(HEAPPROF_TIMING) && defined(__x86_64__)
#include <x86intrin.h>
static inline uint64_t timing_now(void) { return __rdtsc(); }
void timing_add(unsigned kind, uint64_t ticks);
/* The line on stderr; from the library's unload, once the exit profile is
 * written (lifecycle.c), so that every sample that profile counts is in
 * it (and any taken later by other destructors). */
void timing_report(void);
#else
static inline uint64_t timing_now(void) { return 0; }
static inline void timing_add(unsigned kind, uint64_t ticks)
{
    (void)kind;
    (void)ticks;
}
static inline void timing_report(void) {}
#endif

/* A histogram of tick counts: TIMING_WIDTH ticks a bucket up to
 * TIMING_BUCKETS * TIMING_WIDTH, the rest in the last one.  Exact sums
 * beside it for the mean.  One tick a bucket: a change of a few per cent
 * to a ~250-tick sample is a few buckets (64 KiB a kind, in the twin's
 * .bss only). */
enum { TIMING_WIDTH = 1, TIMING_BUCKETS = 8192 };
typedef struct timing_hist {
    uint64_t n, sum;
    uint64_t bucket[TIMING_BUCKETS];
} timing_hist;

/* Safe from any thread at once (relaxed atomic adds). */
void timing_hist_add(timing_hist *h, uint64_t ticks);

/* The q-quantile (0 <= q <= 1) as its bucket's midpoint; 0 when empty.
 * A value in the last bucket reads as that bucket's lower edge or more. */
uint64_t timing_hist_quantile(const timing_hist *h, double q);

/* The mean of the smallest ceil(q * n) values (0 < q <= 1), each read as
 * its bucket's midpoint (the last bucket's as its lower edge); 0 when
 * empty. */
double timing_hist_trimmed_mean(const timing_hist *h, double q);

/* "n=.. median=.. p10=.. p90=.. mean=.. trim99=.." into buf (always
 * terminated; trim99 with one decimal). */
void timing_hist_format(const timing_hist *h, char *buf, unsigned size);

#endif

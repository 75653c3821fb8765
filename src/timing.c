/*
 * timing.c - see timing.h.  Linked into libheapprof_timing.so only, and
 * into its unit test; the histogram functions are pure.
 */
#include "timing.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#if defined(HEAPPROF_TIMING) && !defined(__x86_64__)
#error "the timing twin reads the x86-64 time-stamp counter (CMakeLists.txt builds it there only)"
#endif

void timing_hist_add(timing_hist *h, uint64_t ticks)
{
    uint64_t b = ticks / TIMING_WIDTH;
    if (b >= TIMING_BUCKETS)
        b = TIMING_BUCKETS - 1;
    __atomic_add_fetch(&h->bucket[b], 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&h->sum, ticks, __ATOMIC_RELAXED);
    __atomic_add_fetch(&h->n, 1, __ATOMIC_RELAXED);
}

/* A bucket's value: its midpoint, the last one's lower edge. */
static uint64_t bucket_value(unsigned b)
{
    return b == TIMING_BUCKETS - 1 ? (uint64_t)b * TIMING_WIDTH
                                   : (uint64_t)b * TIMING_WIDTH + TIMING_WIDTH / 2;
}

/* ceil(q * n) for the values in h, at least 1; 0 when h is empty. */
static uint64_t rank(const timing_hist *h, double q)
{
    uint64_t total = 0;
    for (unsigned b = 0; b < TIMING_BUCKETS; b++)
        total += __atomic_load_n(&h->bucket[b], __ATOMIC_RELAXED);
    if (!total)
        return 0;
    double want = q * (double)total;
    uint64_t r = want < 1 ? 1 : (uint64_t)want;
    return (double)r < want ? r + 1 : r;
}

uint64_t timing_hist_quantile(const timing_hist *h, double q)
{
    /* The smallest bucket with at least rank(q) values at or below it. */
    uint64_t need = rank(h, q);
    if (!need)
        return 0;
    uint64_t seen = 0;
    for (unsigned b = 0; b < TIMING_BUCKETS; b++) {
        seen += __atomic_load_n(&h->bucket[b], __ATOMIC_RELAXED);
        if (seen >= need)
            return bucket_value(b);
    }
    return (uint64_t)(TIMING_BUCKETS - 1) * TIMING_WIDTH;
}

double timing_hist_trimmed_mean(const timing_hist *h, double q)
{
    uint64_t keep = rank(h, q);
    if (!keep)
        return 0;
    uint64_t taken = 0;
    double sum = 0;
    for (unsigned b = 0; b < TIMING_BUCKETS && taken < keep; b++) {
        uint64_t c = __atomic_load_n(&h->bucket[b], __ATOMIC_RELAXED);
        if (c > keep - taken)
            c = keep - taken;
        sum += (double)c * (double)bucket_value(b);
        taken += c;
    }
    return sum / (double)taken;
}

void timing_hist_format(const timing_hist *h, char *buf, unsigned size)
{
    uint64_t n = __atomic_load_n(&h->n, __ATOMIC_RELAXED);
    uint64_t sum = __atomic_load_n(&h->sum, __ATOMIC_RELAXED);
    snprintf(buf, size, "n=%llu median=%llu p10=%llu p90=%llu mean=%llu trim99=%.1f",
             (unsigned long long)n, (unsigned long long)timing_hist_quantile(h, 0.5),
             (unsigned long long)timing_hist_quantile(h, 0.1),
             (unsigned long long)timing_hist_quantile(h, 0.9),
             (unsigned long long)(n ? sum / n : 0), timing_hist_trimmed_mean(h, 0.99));
}

#if defined(HEAPPROF_TIMING) && defined(__x86_64__)
static timing_hist hists[TIMING_KINDS];
static uint64_t tsc0;
static struct timespec ts0;

void timing_add(unsigned kind, uint64_t ticks)
{
    if (kind < TIMING_KINDS)
        timing_hist_add(&hists[kind], ticks);
}

static void timing_clock(void)
{
    clock_gettime(CLOCK_MONOTONIC, &ts0);
    tsc0 = __rdtsc();
}

/* A forked child counts its own samples from the fork on, not its
 * parent's as well (its line has its own pid). */
static void timing_child(void)
{
    memset(hists, 0, sizeof hists);
    timing_clock();
}

/* Only the clock: the histograms are zero from the start, and a sample may
 * come before this constructor runs (a sanitizer runtime allocates before
 * the program's constructors), which zeroing them here would lose. */
__attribute__((constructor)) static void timing_start(void)
{
    timing_clock();
    pthread_atfork(NULL, NULL, timing_child);
}

/* With the counter's rate over the run to turn ticks into time.  Called
 * by lifecycle.c's destructor after the exit profile, so that every sample
 * that profile counts is in the line: a destructor of its own here would
 * run before that one (reverse link order).  Written directly rather than
 * through log_line, whose rate limit could drop it after a burst of other
 * messages. */
void timing_report(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double ns = (double)(ts.tv_sec - ts0.tv_sec) * 1e9 + (double)(ts.tv_nsec - ts0.tv_nsec);
    double ghz = ns > 0 ? (double)(__rdtsc() - tsc0) / ns : 0;
    char s[160], f[160], line[400 + LOG_PREFIX_MAX];
    timing_hist_format(&hists[TIMING_SAMPLE], s, sizeof s);
    timing_hist_format(&hists[TIMING_FREE], f, sizeof f);
    /* pid= stays though the prefix now carries it: bench_ab.py reads it. */
    char prefix[LOG_PREFIX_MAX];
    log_prefix(prefix);
    int n = snprintf(line, sizeof line,
                     "%stiming: pid=%d samples %s; sampled frees %s (ticks, %.2f GHz)\n",
                     prefix, (int)getpid(), s, f, ghz);
    if (n > 0) {
        ssize_t w = write(STDERR_FILENO, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
        (void)w; /* nowhere to report a failed report */
    }
}
#endif

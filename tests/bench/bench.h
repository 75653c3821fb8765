/*
 * bench.h - shared helpers of the heapprof benchmark workloads
 * (the tests/bench workloads, built by scripts/bench.sh; churn.c is also
 * built by CMake for tests/perf, the instruction-count test).
 *
 * Every workload is deterministic (fixed seeds), prints one line
 *   checksum=<hex> ops=<n> live_peak_bytes=<n> ...
 * so its work cannot be optimised away and the driver can read its live
 * heap.  Arguments are KEY=VALUE words; see each workload's usage line.
 */
#ifndef HEAPPROF_BENCH_H
#define HEAPPROF_BENCH_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef __cplusplus
extern "C" {
#endif

/* splitmix64: seeds; xorshift64*: the stream. */
static inline uint64_t bench_mix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

static inline uint64_t bench_rand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* Uniform in [0, n) without a division (Lemire's multiply-shift). */
static inline uint64_t bench_below(uint64_t *s, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)bench_rand(s) * n) >> 64);
}

static inline int64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* "KEY=VALUE" lookup among argv; k/m/g suffixes (powers of 1000 for counts
 * would surprise: these are powers of 1024 only when the value ends in
 * "ki"/"mi"; plain k/m/g are 10^3/10^6/10^9). */
static inline uint64_t bench_arg(int argc, char **argv, const char *key, uint64_t def)
{
    size_t kl = strlen(key);
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], key, kl) || argv[i][kl] != '=')
            continue;
        char *end;
        const char *text = argv[i] + kl + 1;
        double v = strtod(text, &end);
        uint64_t mult = 1;
        if (*end == 'k' || *end == 'K')
            mult = end[1] == 'i' ? 1024 : 1000;
        else if (*end == 'm' || *end == 'M')
            mult = end[1] == 'i' ? 1024 * 1024 : 1000000;
        else if (*end == 'g' || *end == 'G')
            mult = end[1] == 'i' ? 1024 * 1024 * 1024 : 1000000000;
        const char *rest = end + (mult > 1) + (mult > 1 && end[1] == 'i');
        /* A negative or non-numeric value would convert to garbage (a run
         * of 2^64 pairs): refuse it. */
        if (end == text || *rest || !(v >= 0) || v * (double)mult >= 0x1p63) {
            fprintf(stderr, "%s: %s: not a non-negative number (e.g. 20m, 4Ki)\n", argv[0], argv[i]);
            exit(2);
        }
        return (uint64_t)(v * (double)mult);
    }
    return def;
}

/* idle=1: start a thread that only sleeps, before any work.  It makes
 * glibc's malloc leave its single-thread fast path (SINGLE_THREAD_P), as
 * heapprof's writer thread does, so that instruction counts of plain and
 * profiled runs compare like with like. */
static void *bench_idle_main(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

static inline void bench_maybe_idle_thread(int argc, char **argv)
{
    if (!bench_arg(argc, argv, "idle", 0))
        return;
    pthread_t t;
    if (pthread_create(&t, NULL, bench_idle_main, NULL) == 0)
        pthread_detach(t);
}

/* Run fn on each of n jobs, which lie side by side, size bytes each: on
 * this thread when n == 1 (a second thread would take glibc's malloc off
 * its single-thread path), else on a thread each.  n is at most 256. */
static inline void bench_run_jobs(void *(*fn)(void *), void *jobs, size_t size, uint64_t n)
{
    if (n == 1) {
        fn(jobs);
        return;
    }
    pthread_t tid[256];
    for (uint64_t t = 0; t < n && t < 256; t++)
        if (pthread_create(&tid[t], NULL, fn, (char *)jobs + t * size))
            abort();
    for (uint64_t t = 0; t < n && t < 256; t++)
        pthread_join(tid[t], NULL);
}

/* Peak of the bytes the program itself holds (requested sizes). */
typedef struct bench_live {
    int64_t now, peak;
} bench_live;

static inline void bench_live_add(bench_live *l, int64_t d)
{
    l->now += d;
    if (l->now > l->peak)
        l->peak = l->now;
}

/* A thread's table of objects for churn's pairs, as deep and sites make
 * them under their call stacks (churn's own loop is inline in churn.c,
 * which tests/perf counts instructions of). */
typedef struct bench_slots {
    unsigned char **slot;
    uint32_t *size;
    uint64_t slots, rng, sum, pairs;
    bench_live live;
} bench_slots;

static inline void bench_slots_init(bench_slots *s, uint64_t slots, uint64_t seed)
{
    memset(s, 0, sizeof *s);
    s->slots = slots ? slots : 1;
    s->slot = (unsigned char **)calloc(s->slots, sizeof *s->slot);
    s->size = (uint32_t *)calloc(s->slots, sizeof *s->size);
    if (!s->slot || !s->size)
        abort();
    s->rng = bench_mix(seed);
}

/* One pair: a random slot's object freed, a new one of 16-1040 bytes in
 * its place, its first and last byte touched. */
static inline void bench_pair(bench_slots *s)
{
    uint64_t r = bench_rand(&s->rng);
    size_t i = (size_t)(((unsigned __int128)r * s->slots) >> 64);
    uint32_t n = 16 + (uint32_t)((r & 0xffffffff) % 1025);
    unsigned char *p = s->slot[i];
    if (p) {
        s->sum += p[0] + p[s->size[i] - 1];
        free(p);
        bench_live_add(&s->live, -(int64_t)s->size[i]);
    }
    p = (unsigned char *)malloc(n);
    if (!p)
        abort();
    p[0] = (unsigned char)s->pairs;
    p[n - 1] = (unsigned char)(s->pairs >> 8);
    s->slot[i] = p;
    s->size[i] = n;
    s->pairs++;
    bench_live_add(&s->live, n);
}

/* Frees what is left; the sum reads each object once more. */
static inline void bench_slots_free(bench_slots *s)
{
    for (size_t i = 0; i < s->slots; i++)
        if (s->slot[i]) {
            s->sum += s->slot[i][0];
            free(s->slot[i]);
        }
    free(s->slot);
    free(s->size);
}

/* The workload's line from its threads' tables, the table at byte `at` of
 * each of n jobs of `size` bytes (after bench_slots_free). */
static inline void bench_slots_report(const char *name, const void *jobs, size_t size, size_t at,
                                      uint64_t n)
{
    uint64_t sum = 0, pairs = 0;
    int64_t peak = 0;
    for (uint64_t t = 0; t < n; t++) {
        const bench_slots *s = (const bench_slots *)((const char *)jobs + t * size + at);
        sum = sum * 31 + s->sum;
        pairs += s->pairs;
        peak += s->live.peak;
    }
    printf("%s checksum=%016llx ops=%llu live_peak_bytes=%lld\n", name, (unsigned long long)sum,
           (unsigned long long)pairs, (long long)peak);
}

#ifdef __cplusplus
}
#endif

#endif

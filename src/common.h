/*
 * common.h - the few helpers every part of the library shares: branch
 * hints, the export attribute, a spinlock, and clocks.
 *
 * The spinlock guards only short critical sections that never block or
 * allocate (table probes, record publication); a waiter yields rather than
 * burning its time slice, because on two cores the holder may be the
 * thread it would otherwise starve.  Plain ints, so fork handlers can
 * release a copy and a test can reset it.  The wait lives in spin.c, out of
 * line: it is also where a lock held by a thread that does not exist in
 * this process (a child made without fork handlers) is taken over.
 */
#ifndef HEAPPROF_COMMON_H
#define HEAPPROF_COMMON_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define hp_likely(x) __builtin_expect(!!(x), 1)
#define hp_unlikely(x) __builtin_expect(!!(x), 0)

/* Everything is hidden (-fvisibility=hidden) but what carries this. */
#define EXPORT __attribute__((visibility("default")))

/* The read-mostly globals a sample reads (the interval, the unwinder's
 * bounds, the tables' bases, the free filter's shift, which every free
 * reads too): the linker gathers them from their files into this one
 * section, one cache line (profiler.c aligns it; the perf_hot_line test
 * checks the size), where in .bss and .data each file's sat on lines of
 * its own.  The program evicts them between samples, so each line was a
 * miss per sample (six lines; cachegrind, the bench's samplecost).
 * Nothing written on the sample path goes here: a store would pull the
 * line away from every other core. */
#define HP_SAMPLE_DATA __attribute__((section("hp_sample_data")))

/* Wait (yielding) until *l looks free; true when the caller is to take it
 * over instead: its holder is not in this process (spin.c). */
bool spin_wait(int *l);
/* The process the profiler's threads belong to (lifecycle.c sets it). */
void spin_set_owner(pid_t pid);

static inline void spin_lock(int *l)
{
    while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
        if (spin_wait(l))
            return; /* taken over: held by us now */
}

static inline void spin_unlock(int *l) { __atomic_store_n(l, 0, __ATOMIC_RELEASE); }

static inline int64_t clock_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Monotonic seconds: for deadlines and durations. */
static inline double clock_mono_s(void) { return (double)clock_ns(CLOCK_MONOTONIC) * 1e-9; }

/* The murmur3 finalizer: addresses share their high bits and alignment,
 * so hash tables mix them fully before masking. */
static inline uint64_t hp_mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

/* A string's hash for the profiler's tables: FNV-1a, then mixed. */
static inline uint64_t hp_hash_str(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return hp_mix64(h);
}

#endif

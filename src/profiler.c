/*
 * profiler.c - start-up, and what happens when a sample is taken or a
 * sampled object is freed.
 *
 * State: the configuration (parsed once), the mean interval in force, and
 * counters.  The data lives in the tables: stacks.c (per-stack cumulative
 * totals) and live.c (sampled objects still alive, which are the in-use
 * totals).  A sample is recorded in this order: unwind (no lock held),
 * intern the stack (lock only if new), insert the object into the live
 * table, add the estimate to the stack.  A free removes the object first,
 * then gives the memory back, so an address the allocator hands out again
 * can never meet a stale entry; the stack is not touched.
 *
 * errno: every slow path saves and restores it around the profiler's own
 * work, so the program sees exactly what its allocator set.
 */
#define _GNU_SOURCE
#include "profiler.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "ages.h"
#include "cfi.h"
#include "labels.h"
#include "live.h"
#include "log.h"
#include "outname.h"
#include "parent.h"
#include "real.h"
#include "sampler.h"
#include "stacks.h"
#include "timing.h"
#include "unwind.h"
#include "writer.h"

/* A budget no program allocates through: 2^62 bytes, the most a budget
 * ever is (profiler_tick relies on it). */
#define GUARD_BUDGET ((int64_t)1 << 62)

/* While sampling is paused, threads still come back to the slow path every
 * so often (about this many bytes), so that they notice when it resumes. */
#define PAUSED_MEAN ((uint64_t)64 << 20)

__thread hp_thread hp_tls __attribute__((tls_model("initial-exec")));
/* The thread's last walk, for the next one to repeat (unwind_memo.h): apart
 * from hp_tls, whose one line every allocation keeps warm, as this is read
 * on samples only.  Its walk's stack is always hp_tls.last's (record). */
static __thread unwind_replay hp_replay __attribute__((tls_model("initial-exec")));
/* The mean the thread's budget was drawn at (0 while paused), read on its
 * slow path only, so apart from hp_tls too.  The allocation that ends a
 * budget was picked at that mean, whatever the mean is by then
 * (heapprof_set_sample): weighted at the new one, the first sample after a
 * switch from 4 MiB to 4 KiB stood for ~4 KiB of the ~4 MiB it ended, and
 * every thread's estimate lost an old interval (integ_switch). */
static __thread uint64_t hp_drawn_mean __attribute__((tls_model("initial-exec")));

static hp_config cfg;
/* What a sample reads here, one struct so that its layout is ours: it
 * comes first in the section (common.h) in link order, and its alignment
 * puts the section's 64 bytes on one line. */
static struct {
    int init_state;   /* 0 not started, 1 in progress, 2 ready */
    uint16_t depth;   /* cfg.depth, capped at 256 */
    bool fast_unwind; /* cfg.fast_unwind, if the walker can work here */
    uint64_t mean;  /* the interval in force (profiler_mean) */
} hot HP_SAMPLE_DATA __attribute__((aligned(64)));
static int64_t start_ns;
static profiler_stats stats;
/* Set once a mean other than 1 has been in force: from then on the tables
 * hold estimates, whatever the mean is now (profiler_exact). */
static bool estimated;

const hp_config *profiler_config(void) { return &cfg; }
uint64_t profiler_mean(void) { return __atomic_load_n(&hot.mean, __ATOMIC_RELAXED); }

void profiler_set_mean(uint64_t bytes)
{
    if (bytes != 1)
        __atomic_store_n(&estimated, true, __ATOMIC_RELAXED);
    __atomic_store_n(&hot.mean, bytes, __ATOMIC_RELAXED);
}

bool profiler_exact(void)
{
    /* A mean of 1 now is not enough: the samples taken at an earlier mean
     * are estimates, and each thread only switches to 1 at its next sample
     * point, after what is left of a budget drawn at the old mean
     * (heapprof.h), so allocations in between went unrecorded.  A profile
     * that said "exact" then read ± 0 in heapprof top on numbers that were
     * estimates. */
    return !__atomic_load_n(&estimated, __ATOMIC_RELAXED) && profiler_mean() == 1;
}
int64_t profiler_start_ns(void) { return start_ns; }

void profiler_get_stats(profiler_stats *out)
{
    out->samples = stacks_samples();
    out->merged_stacks = stacks_merged();
    out->dropped_stacks = __atomic_load_n(&stats.dropped_stacks, __ATOMIC_RELAXED);
    out->dropped_live = __atomic_load_n(&stats.dropped_live, __ATOMIC_RELAXED);
    out->unseen_frees = __atomic_load_n(&stats.unseen_frees, __ATOMIC_RELAXED);
    out->unwind_fallbacks = unwind_fallbacks();
    out->fast_unwind = hot.fast_unwind;
}

int64_t profiler_guard_enter(void)
{
    hp_thread *t = &hp_tls;
    int64_t saved = t->budget;
    t->guard++;
    t->budget = GUARD_BUDGET;
    return saved;
}

void profiler_guard_exit(int64_t saved)
{
    hp_thread *t = &hp_tls;
    t->budget = saved;
    t->guard--;
}

/* The settings' lines, said once per process tree.  A process that said
 * them, or was spared them by its parent, leaves the mark
 * "heapprof-settings" for the file it said them to (parent.h); a child
 * with the same HEAPPROF_* entries on that file says nothing of them: its
 * heapprof read the same settings and meets the same faults (every
 * compiler of a build run with a misspelled variable repeated its
 * parent's lines).  The mark is left only once the file was told: a
 * parent that moved its stderr (`exec 2>log`) told `log` nothing, and its
 * child says them there.  Lines of this process's own (a cgroup its
 * parent is not in, the address its HTTP server serves at) are said
 * whatever the parent said, and marked alike: its children share them.
 * Asked at the first line only, so a clean environment reads nothing from
 * /proc; start-up only (the constructor, http_start, cgroup_start), one
 * thread. */
static struct {
    int quiet;   /* -1: not asked yet */
    bool unsaid; /* a line did not reach the file (stderr moved, a full pipe) */
    void *mark;
} settings = {-1, false, NULL};

static void setting_line(const char *line, bool parents_too)
{
    static const char mark[] = "heapprof-settings";
    if (parents_too && settings.quiet < 0)
        settings.quiet = parent_has_mark(mark) && parent_env_same("HEAPPROF_", environ);
    if ((parents_too && settings.quiet) || log_line_always("%s", line)) {
        if (!settings.mark && !settings.unsaid)
            settings.mark = parent_leave_mark(mark);
        return;
    }
    settings.unsaid = true; /* this line did not reach the file: the children say it */
    parent_drop_mark(settings.mark);
    settings.mark = NULL;
}

static void warn_config(void *ctx, const char *line) { setting_line(line, true); }

void profiler_warn_setting(const char *line) { setting_line(line, true); }

void profiler_say_setting(const char *line) { setting_line(line, false); }

static const char *env(const char *name) { return getenv(name); }

/* The first drop (or merge) of each kind says so on stderr, once per
 * process.  Every profile's comments count them, but a user who never
 * reads them would not know that the profile undercounts (or shows
 * "[other stacks]") from then on.  One load a drop after the first
 * (log_line neither allocates nor touches errno). */
static int said_stacks_full, said_stacks_merged, said_live_full;

/* Say `line` (a format taking the bound, naming the key that counts such
 * samples in each profile's comments) unless *said.  Cold and out of
 * line: the sample's own code stays as short as it was. */
static __attribute__((noinline, cold)) void say_once(int *said, const char *line, uint64_t bound)
{
    /* Said already; the load spares a full table's every drop a write. */
    if (__atomic_load_n(said, __ATOMIC_RELAXED) || __atomic_exchange_n(said, 1, __ATOMIC_RELAXED))
        return;
    if (!log_line(line, (unsigned long long)bound))
        __atomic_store_n(said, 0, __ATOMIC_RELAXED); /* rate-limited: a later drop says it */
}

/* A dropped sample: counted in *count, and said the first time. */
static __attribute__((noinline, cold)) void count_drop(uint64_t *count, int *said,
                                                       const char *line, uint64_t bound)
{
    __atomic_add_fetch(count, 1, __ATOMIC_RELAXED);
    say_once(said, line, bound);
}

/* A relative HEAPPROF_OUT is relative to the directory the program started
 * in, fixed here once.  Resolved at each dump, it would follow the
 * program's chdir: profiles scattered over whatever directories it worked
 * in, and a scratch directory it then removes fails with ENOTEMPTY
 * (chdir_out in the tests).  The directory goes in with its %s doubled:
 * the prefix is still a pattern of outname.h's codes, expanded later. */
static void out_absolute(hp_config *c)
{
    if (c->out[0] == '/')
        return;
    /* The system call, not getcwd(3): where the kernel cannot answer (a
     * path longer than a page, a directory outside the process's root),
     * glibc falls back to walking ".." with opendir, which allocates, and
     * this may run inside the process's first malloc. */
    char cwd[CONFIG_PATH_MAX];
    long got = syscall(SYS_getcwd, cwd, sizeof cwd);
    if (got <= 0 || cwd[0] != '/') {
        log_line("cannot tell the current directory (%s): HEAPPROF_OUT=%s stays relative, to "
                 "whatever directory the program is in at each profile",
                 got < 0 ? strerror(errno) : "outside the process's root", c->out);
        return;
    }
    /* CONFIG_PATH_MAX - 64: the room config.c keeps for .<pid>.<seq>.pb.gz.tmp */
    if (outname_absolute(cwd, c->out, CONFIG_PATH_MAX - 64))
        log_line("HEAPPROF_OUT=%s in the current directory %s is too long a path: it stays "
                 "relative, to whatever directory the program is in at each profile",
                 c->out, cwd);
}

static void init_tables(void)
{
    unsigned shift = live_granule_shift(cfg.sample, cfg.filter_granule);
    if (stacks_init(cfg.max_stacks, cfg.stack_memory) || live_init(cfg.max_live, shift)) {
        log_line("cannot map its tables (%s); no samples will be recorded", strerror(ENOMEM));
        /* That line said it all: every sample will find a table "full". */
        said_stacks_full = said_stacks_merged = said_live_full = 1;
    }
}

bool profiler_init(void)
{
    if (hp_likely(__atomic_load_n(&hot.init_state, __ATOMIC_ACQUIRE) == 2))
        return true;
    int64_t g = profiler_guard_enter();
    int saved_errno = errno;
    log_start(); /* before any line, and before main can touch fd 2 */
    bool ok = real_resolve();
    if (ok) {
        int expect = 0;
        if (__atomic_compare_exchange_n(&hot.init_state, &expect, 1, false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE)) {
            start_ns = clock_ns(CLOCK_MONOTONIC);
            config_parse(&cfg, env, warn_config, NULL);
            config_check_names(environ, warn_config, NULL);
            out_absolute(&cfg);
            hot.mean = cfg.sample;
            estimated = cfg.sample != 1;
            hot.depth = (uint16_t)(cfg.depth < 256 ? cfg.depth : 256);
            /* The walker where it can work (x86-64, glibc 2.35+), else
             * libunwind alone. */
            hot.fast_unwind = cfg.fast_unwind && cfi_available();
            labels_thread_mode(cfg.thread_label);
            init_tables();
            unwind_init();
            /* HEAPPROF_FAST_UNWIND=0 asked for libunwind alone; where it
             * may not run (unwind_pipe.h), the walker is all there is. */
            if (!unwind_pipe_usable() && cfi_available())
                hot.fast_unwind = true;
            __atomic_store_n(&hot.init_state, 2, __ATOMIC_RELEASE);
        } else {
            /* Another thread is initialising; it needs nothing from us. */
            while (__atomic_load_n(&hot.init_state, __ATOMIC_ACQUIRE) != 2)
                sched_yield();
        }
    }
    errno = saved_errno;
    profiler_guard_exit(g);
    return ok;
}

/* The object stays allocated but can no longer be followed to its free
 * (the live table is full): its share leaves in-use without counting as a
 * free, and the drop is counted. */
static void unfollow(stack_rec *s, unsigned shard, const stack_sample *x)
{
    stacks_unfollow(s, shard, x);
    /* live_insert also fails when a shard cannot grow (its mapping failed). */
    count_drop(&stats.dropped_live, &said_live_full,
               "the live table is full (HEAPPROF_MAX_LIVE=%llu) or out of memory: new samples are "
               "counted as allocated but not followed to their frees, so in-use reads low from "
               "now on (dropped_samples live_table= in each profile's comments)",
               cfg.max_live);
}

/* A removed entry's object is gone (freed, or its free went unseen): its
 * stack's in-use needs nothing, as in-use is what the live table holds
 * (stacks.h); only the process's total, which the high-water trigger
 * reads, changes. */
static void gone(const live_entry *e)
{
    stacks_gone(stacks_shard(), stacks_weigh_bytes(e->size, e->weight));
}

/* A removed entry's object was freed, seen: gone, and its lifetime counted
 * on its stack (stacks_add_freed), from one coarse clock read (ages.h).
 * Sampled frees only; an unseen free (an entry replaced) has no lifetime. */
static void freed(const live_entry *e)
{
    stack_sample x = stacks_weigh(e->size, e->weight);
    stacks_gone(stacks_shard(), x.bytes);
    stacks_add_freed(e->stack, ages_of(live_born(e), ages_now()), &x);
}

/* Its entry was taken out to be put back, and there was no room left. */
static void unfollow_entry(const live_entry *e)
{
    stack_sample x = stacks_weigh(e->size, e->weight);
    unfollow(e->stack, stacks_shard(), &x);
}

/* Inlined into the slow path (alloc_slow_short, alloc_slow_long): no frame
 * of its own to unwind through (see unwind_capture).  pcs: room for max +
 * UNWIND_SLACK return addresses. */
static inline __attribute__((always_inline)) void record(void *p, size_t n, uint64_t interval,
                                                         uint64_t *pcs, unsigned max)
{
    /* A sample's misses are lines the program evicted since the last one,
     * and each step needs the one before: the walker's rule for a frame to
     * find the next frame, the stack's record to find its counters.  So
     * every line this thread's last sample used and this one probably
     * needs starts loading first, all at once (the walker's memo,
     * unwind_memo.h; the last record, stacks.h), and the live table's
     * shard and slot as soon as their address is known (finding 15 in
     * docs/benchmarks.md). */
    hp_thread *t = &hp_tls;
    live_prefetch_shard((uintptr_t)p);
    stacks_prefetch(t->last);
    /* What the sample weighs, before the walk: a division and a chain of
     * dependent multiplies (sampler_weight, stacks_weigh) that nothing of
     * the walk waits for, so the CPU runs it alongside the walk instead of
     * between the walk and the counters that need it (the shard lock's
     * exchange waits for their stores): profiler_alloc_slow 15-40 ticks
     * shorter of ~300, churn at 64 KiB (TSC, finding 18). */
    float weight = (float)sampler_weight(n, interval);
    /* Counted as the entry keeps it, so that its free takes off what this
     * added (live.h, LIVE_SIZE_MAX). */
    uint64_t kept = n < LIVE_SIZE_MAX ? n : LIVE_SIZE_MAX;
    stack_sample x = stacks_weigh(kept, weight);
    uint32_t born = ages_now(); /* a vDSO read, which the walk overlaps too */
    int n_pcs = unwind_capture(pcs, max, hot.fast_unwind, &t->walk, &hp_replay);
    unsigned shard = stacks_shard();
    stacks_prefetch_counts(t->last, shard);
    live_prefetch_slot((uintptr_t)p);
    uint32_t labels = labels_for_sample();
    stack_rec *s;
    if (n_pcs == UNWIND_REPEAT) {
        /* The stack of the last sample (hp_replay is kept only while
         * t->last holds its stack): no hashing, no comparing. */
        s = t->last;
        if (s->labels != labels)
            s = stacks_intern(s->pcs, s->depth, labels);
    } else {
        s = stacks_intern_like(t->last, pcs, (uint32_t)n_pcs, labels);
    }
    if (hp_unlikely(!s || s->merged)) {
        hp_replay.n = 0; /* t->last does not hold this walk's stack */
        if (!s) {
            /* No record: memory ran out, or every id is taken. */
            count_drop(&stats.dropped_stacks, &said_stacks_full,
                       "the stack table is out of memory or ids (HEAPPROF_MAX_STACKS=%llu): "
                       "samples of new stacks are dropped from now on (dropped_samples "
                       "stack_table= in each profile's comments)",
                       cfg.max_stacks);
            return;
        }
        /* Past the table's bounds (stacks.h, "Bounds").  Counted with the
         * sample, on its shard's line (stacks_merged): once the table is
         * full, many samples come here, and a shared counter would be one
         * line they all pull. */
        if (!__atomic_load_n(&said_stacks_merged, __ATOMIC_RELAXED))
            say_once(&said_stacks_merged,
                     "the stack table is full (HEAPPROF_STACK_MEMORY=%llu bytes, plus 1/16 of the "
                     "live heap, or 7/8 of HEAPPROF_MAX_STACKS) or out of memory: samples of "
                     "new stacks are counted under [other stacks] with their 4 innermost frames "
                     "from now on (merged_samples= in each profile's comments)",
                     cfg.stack_memory);
    }
    t->last = s;
    live_entry e = {
        .addr = (uintptr_t)p,
        .size = kept,
        .stack = s,
        .weight = weight,
        .stack_id = s->id,
    };
    live_set_born(&e, born);
    live_entry old;
    bool had_old;
    /* In the table before it is counted: a reader adds up the counts first
     * and folds the table after (metrics.c), so it may see a sample in use
     * and not yet allocated, never allocated, not in use and so freed. */
    int full = live_insert(&e, &old, &had_old);
    stacks_add_alloc(s, shard, &x);
    if (full) {
        /* Counted as allocated, but it cannot be followed to its free, so it
         * must not stay in use forever. */
        unfollow(s, shard, &x);
        return;
    }
    if (had_old) {
        gone(&old);
        __atomic_add_fetch(&stats.unseen_frees, 1, __ATOMIC_RELAXED);
    }
    writer_check_highwater();
}

/* The slow path, inlined into the two below, which differ only in the
 * room they give the walk (cap frames). */
static inline __attribute__((always_inline)) void *alloc_slow(void *p, size_t n, uint64_t *pcs,
                                                              unsigned cap)
{
    hp_thread *t = &hp_tls;
    /* The budget is 0 here, parked by the caller's tick (profiler.h), so
     * returning early draws none and the next allocation comes back: a
     * thread still resolving the allocator outside a slow path of its own
     * (a library constructor's free() before any malloc) was otherwise
     * never sampled again (lifecycle_ctor_free).  Under the guard,
     * profiler_guard_exit puts the budget back. */
    if (t->guard || !profiler_init())
        return p;
    uint64_t t0 = timing_now(); /* libheapprof_timing.so only (timing.h) */
    int saved_errno = errno;
    uint64_t interval = profiler_mean();
    if (hp_unlikely(!t->rng)) {
        /* First slow path of this thread: start its countdown now rather
         * than sampling its first allocation, which would bias towards
         * whatever threads allocate first. */
        t->rng = sampler_seed(cfg.seed);
        int64_t b = sampler_next_budget(&t->rng, interval ? interval : PAUSED_MEAN);
        hp_drawn_mean = interval;
        /* n may be any size_t: saturate rather than overflow. */
        if (__builtin_sub_overflow(b, (int64_t)(n > INT64_MAX ? INT64_MAX : n), &t->budget))
            t->budget = INT64_MIN;
        if (t->budget > 0)
            goto out;
    }
    /* Weighted at the mean its budget was drawn at.  None when that budget
     * was a pause's, nor once paused, so that what is allocated in a pause
     * stays out of the profile (exact mode records nothing after
     * heapprof_set_sample(0): lifecycle_api). */
    uint64_t drawn = hp_drawn_mean;
    bool sampled = p && drawn && interval;
    if (sampled) {
        int64_t g = profiler_guard_enter();
        /* hot.depth is 0 before profiler_init, which the caller's choice of
         * cap may have preceded: never more than the room there is. */
        record(p, n, drawn, pcs, hot.depth < cap ? hot.depth : cap);
        profiler_guard_exit(g);
    }
    /* The next countdown last: the draw is a chain of ~60 cycles of
     * dependent floating point (sampler.c) that only this store waits for,
     * so the program's own code after the return runs while it resolves.
     * Drawn first, it stalled the sample behind it: perf put 4 % of churn's
     * time at 4 KiB on its instructions (finding 14). */
    t->budget = sampler_next_budget(&t->rng, interval ? interval : PAUSED_MEAN);
    hp_drawn_mean = interval;
    if (sampled)
        timing_add(TIMING_SAMPLE, timing_now() - t0);
out:
    errno = saved_errno;
    return p;
}

/* The walk's buffer is on the stack of whichever thread allocated: a
 * fiber's of 16 KiB, or a signal handler's alternate one, among them.
 * Sized for HEAPPROF_DEPTH's bound of 256, it was 2.3 KiB of the 3.3 KiB
 * a sample took there beyond glibc's malloc; so the default depth of 64
 * gets a buffer of its own: 1.7 KiB (lifecycle_host_stack_use).  A
 * variable-length array instead would make GCC realign the frame through
 * a register (DRAP), whose CFI is an expression heapprof's walker leaves
 * to libunwind: every stack would have been libunwind's, at about 6 KiB.
 *
 * noipa: GCC would otherwise split the rarely taken part (record) off into
 * a function of its own, one more frame to unwind (see unwind_capture). */
#if defined(__GNUC__) && !defined(__clang__)
#define SLOW_PATH __attribute__((noipa))
#else
#define SLOW_PATH __attribute__((noinline))
#endif
enum { SHORT_WALK = 64, LONG_WALK = 256 }; /* 256: HEAPPROF_DEPTH's bound (config.c) */

static SLOW_PATH void *alloc_slow_short(void *p, size_t n)
{
    uint64_t pcs[SHORT_WALK + UNWIND_SLACK];
    return alloc_slow(p, n, pcs, SHORT_WALK);
}

static SLOW_PATH void *alloc_slow_long(void *p, size_t n)
{
    uint64_t pcs[LONG_WALK + UNWIND_SLACK];
    return alloc_slow(p, n, pcs, LONG_WALK);
}

/* A tail call either way: no frame of its own to walk. */
void *profiler_alloc_slow(void *p, size_t n)
{
    return hot.depth > SHORT_WALK ? alloc_slow_long(p, n) : alloc_slow_short(p, n);
}

/* Whether this thread may take the tables' locks now: the profiler is up
 * and not already at work on this thread.  The sampled free paths below
 * then hold the guard while they touch the live table (or, to drop an
 * entry, a stack's shard: stacks.c), so that a signal handler which frees
 * while this thread holds one of those locks leaves the object to the real
 * allocator (its entry is replaced later as an unseen free) rather than
 * wait for its own lock. */
static bool may_track(void)
{
    return !hp_tls.guard && __atomic_load_n(&hot.init_state, __ATOMIC_ACQUIRE) == 2;
}

/* The profiler's part of a free or delete the slot's tag did not rule out:
 * p's entry, if it has one, leaves the table.  False when p is not the
 * allocator's to free: NULL, or a block of the bootstrap arena (real.h). */
static inline __attribute__((always_inline)) bool release(void *p)
{
    if (!p || real_arena_owns(p))
        return false;
    if (may_track()) {
        uint64_t t0 = timing_now();
        int64_t g = profiler_guard_enter();
        live_entry e;
        bool tracked = live_remove((uintptr_t)p, &e);
        if (tracked) {
            /* The CPU may be asked for (stacks_shard): whatever that does
             * to errno, free() leaves it as it was. */
            int saved_errno = errno;
            freed(&e);
            errno = saved_errno;
        }
        profiler_guard_exit(g);
        if (tracked)
            timing_add(TIMING_FREE, timing_now() - t0);
    }
    return true;
}

static __attribute__((noinline)) void free_maybe_tracked(void *p, void (*fn)(void *))
{
    if (release(p))
        fn(p);
}

static __attribute__((noinline)) void delete_maybe_tracked(void *p, size_t n,
                                                           void (*del)(void *, size_t))
{
    if (release(p))
        del(p, n);
}

void profiler_free_slow(void *p, void (*fn)(void *))
{
    /* Most frees here are the filter's false positives, and most of those
     * are ruled out by the slot's tag without the table (live.h): two tail
     * calls, so that this test runs before free_maybe_tracked's prologue.
     * fn is the allocator's free, or its delete for what its new gave
     * (real.h). */
    if (live_surely_untracked(p))
        fn(p);
    else
        free_maybe_tracked(p, fn);
}

void profiler_delete_sized_slow(void *p, size_t n, void (*del)(void *, size_t))
{
    /* As profiler_free_slow, but the object goes back through the
     * allocator's own sized delete, with its size: jemalloc and tcmalloc
     * then skip the lookup that free makes, sampled object or not. */
    if (live_surely_untracked(p))
        del(p, n);
    else
        delete_maybe_tracked(p, n, del);
}

bool profiler_release_slow(void *p)
{
    return live_surely_untracked(p) || release(p);
}

/* A resize's part: p's entry, if it has one, leaves the table before the
 * allocator can hand its address to another thread (take), and after the
 * allocator's answer either goes back, the block being where and what it
 * was, or is gone (settle). */
static bool take(void *p, live_entry *e)
{
    bool tracked = false;
    if (p && live_maybe(p) && !live_surely_untracked(p) && may_track()) {
        int64_t g = profiler_guard_enter();
        tracked = live_remove((uintptr_t)p, e);
        profiler_guard_exit(g);
    }
    return tracked;
}

static void settle(live_entry *e, bool unchanged)
{
    int64_t g = profiler_guard_enter();
    int saved_errno = errno;
    live_entry old;
    bool had_old;
    if (!unchanged)
        freed(e);
    else if (live_insert(e, &old, &had_old))
        unfollow_entry(e); /* another thread took the room it left */
    errno = saved_errno;
    profiler_guard_exit(g);
}

/* realloc, and jemalloc's rallocx (x) with its flags. */
static inline __attribute__((always_inline)) void *resize(void *p, size_t n, int flags, bool x)
{
    bool sample = profiler_ticked(n);
    void *q;
    if (p && real_arena_owns(p)) {
        q = real_arena_move(p, n, x, flags);
    } else {
        live_entry e;
        bool tracked = take(p, &e);
        q = x ? real.rallocx(p, n, flags) : real.realloc(p, n);
        /* A failure leaves p alive; but realloc(p, 0) returning NULL freed
         * it (glibc).  rallocx never frees. */
        if (tracked)
            settle(&e, !q && (n != 0 || x));
    }
    return sample ? profiler_alloc_slow(q, n) : q;
}

void *profiler_realloc_slow(void *p, size_t n) { return resize(p, n, 0, false); }

void *profiler_rallocx_slow(void *p, size_t n, int flags) { return resize(p, n, flags, true); }

size_t profiler_xallocx_slow(void *p, size_t n, size_t extra, int flags)
{
    /* A resize that keeps the address: counted as realloc is (the old
     * block freed, one of n bytes allocated), when it reaches n bytes; a
     * failure (less than n: the block is as it was) counts nothing. */
    bool sample = profiler_ticked(n);
    if (p && real_arena_owns(p))
        return real_arena_size(p); /* a bootstrap block never grows */
    live_entry e;
    bool tracked = take(p, &e);
    size_t r = real.xallocx(p, n, extra, flags);
    if (tracked)
        settle(&e, r < n);
    if (sample)
        profiler_alloc_slow(r < n ? NULL : p, n);
    return r;
}

size_t profiler_usable_size_slow(void *p)
{
    if (p && real_arena_owns(p))
        return real_arena_size(p);
    return real.malloc_usable_size(p);
}

int profiler_adopt(void *p)
{
    if (!p || !live_maybe(p) || real_arena_owns(p) || !profiler_init() || !may_track())
        return 0; /* not sampled (or this thread may hold the table's locks: may_track) */
    int64_t g = profiler_guard_enter();
    int saved_errno = errno, err = 0;
    live_entry e, old;
    bool had_old;
    if (live_remove((uintptr_t)p, &e)) {
        stack_rec *from = e.stack, *to = from;
        uint32_t labels = labels_for_sample();
        if (from->labels != labels) {
            to = stacks_intern(from->pcs, from->depth, labels);
            if (to) {
                stack_sample x = stacks_weigh(e.size, e.weight);
                stacks_move_inuse(from, to, &x);
                e.stack = to;
                e.stack_id = to->id;
            } else {
                err = ENOSPC; /* stays with its old labels */
            }
        }
        if (live_insert(&e, &old, &had_old))
            unfollow_entry(&e); /* another thread took the room it left */
    }
    errno = saved_errno;
    profiler_guard_exit(g);
    return err;
}

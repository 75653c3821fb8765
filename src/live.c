/*
 * live.c - see live.h for the data model.
 *
 * Invariants, per shard, under its lock:
 *  - entries[0..cap) with addr == 0 meaning empty; count < cap * 3/4;
 *  - for every filter slot s whose region hashes to this shard, live_filter[s]
 *    is 0 without entries whose slot is s, the tag of the only one
 *    (live_tag) or 1 after a count of 2 went down, their number from 2 to
 *    LIVE_COUNT_MAX, or LIVE_PINNED once it saturated or was pinned (then
 *    it is never decremented again: a spurious "maybe" is only a probe, a
 *    missing one would leak an entry).  live_init also stores LIVE_PINNED,
 *    without the owners' locks, into the filter it maps, before that
 *    filter is in force.
 */
#include "live.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mem.h"
#include "stacks.h"

/* 64 shards.  16 keep their lines warmer in one core's cache, but two
 * threads that sample then meet on the same lines more often: perf put
 * more of churn's time in the table with 16 (finding 15 in
 * docs/benchmarks.md).  SHARD_MIN_CAP: the first table of every shard is a
 * slice of one static array (first_entries below), not a mapping of its
 * own. */
enum { SHARD_BITS = 6, NSHARDS = 1 << SHARD_BITS, SHARD_MIN_CAP = 16 };

/* The filter until live_init (shift LIVE_SHIFT_MAX: 64 KiB), in .bss: the
 * frees before the configuration is read, and the bootstrap arena's pins
 * (live_pin), need one.  It starts LIVE_SHIFT_MAX bytes into an array
 * aligned to 32, so that its pointer carries its shift (live.h).
 *
 * The filter in force after live_init is mapped for its granule.  It was
 * one array of .bss sized for the smallest granule (8 MiB), whose tail
 * beyond the granule in force was unmapped at start, as untouched .bss
 * still counts in VmSize (mlockall under RLIMIT_MEMLOCK,
 * lifecycle_host_mlockall).  That left a hole of 7 MiB inside
 * libheapprof.so's address range, where the kernel then placed the
 * libraries the program opened with dlopen; the unwinder finds a frame's
 * unwind information by the object whose range holds its address
 * (_dl_find_object, glibc 2.35), and so found libheapprof.so's for theirs:
 * every C++ exception they threw ended in std::terminate
 * (integ_dlopen_cxx). */
static uint8_t boot_filter[(1 << (32 - LIVE_SHIFT_MAX)) + LIVE_SHIFT_MAX]
    __attribute__((aligned(32)));
/* The boot filter's pinned slots lie in [boot_lo, boot_hi): copy_pins
 * reads that range only.  Reading all 65536 slots touched the 16 pages of
 * the array, each a page fault in every process (the array is .bss the
 * program never wrote), and ran 58 000 instructions, a ninth of what a
 * profiled /bin/true ran in all; the arena's pins are a slot or two.
 * Widened after the pin's store, so a copy that sees the range sees the
 * pin (pins before live_init come from real_resolve, on one thread). */
static uint32_t boot_lo = UINT32_MAX, boot_hi;
/* The mapping live_init made for the filter in force, if any. */
static void *filter_map;
static size_t filter_map_bytes;

/* One cache line each: the lock and what the probe needs first share it.
 * (A pad computed from the field sizes once made it 72 bytes, with the
 * padding before `entries` forgotten, so shards straddled lines.) */
typedef struct shard {
    int lock;
    uint32_t cap; /* power of two, or 0 before the first insert */
    uint32_t count;
    uint32_t quota; /* max_live <= 2^32 (config.c): 2^25 at most; below */
    live_entry *entries;
} __attribute__((aligned(64))) shard;
_Static_assert(sizeof(shard) == 64, "a shard is one cache line");

static shard shards[NSHARDS];

/* Every shard's first table, side by side in .bss (32 KiB, touched only
 * where entries land).  A program with few live samples (churn at 64 KiB
 * holds ~130) then spreads them over 512 lines and 8 pages; with 64-entry
 * tables mapped one by one they were spread over 2048 lines and 64 pages,
 * and a sample or its free could miss in the TLB as well as in the cache
 * (finding 15 in docs/benchmarks.md).  Grown tables are mapped. */
static live_entry first_entries[NSHARDS][SHARD_MIN_CAP] __attribute__((aligned(4096)));

static bool is_first(const shard *s, const live_entry *e) { return e == first_entries[s - shards]; }
static void unmap_entries(shard *s)
{
    if (s->entries && !is_first(s, s->entries))
        mem_unmap(s->entries, (size_t)s->cap * sizeof *s->entries);
}

static void shard_lock(shard *s) { spin_lock(&s->lock); }
static void shard_unlock(shard *s) { spin_unlock(&s->lock); }

/* The shard of an address: a hash of its 1 MiB region (of the low 4 GiB,
 * as the filter's slots).  A region holds whole granules at every shift,
 * so each filter byte has one owner.  Why regions rather than granules:
 * allocators give each thread (or CPU) its own runs of memory, so the
 * objects one thread samples fall in a few shards, and the shards' lines
 * and their tables' stay in that thread's core instead of moving between
 * cores on every other sample or free.  Hashed by granule, half of
 * churn's operations on the table found its line in the other core
 * (finding 15 in docs/benchmarks.md).  Contention stays low: a lock is
 * held for one probe, ~100 ns, per sample or sampled free, and for one copy
 * of the shard's table per pass of a profile or scrape (each_entry). */
enum { REGION_SHIFT = 20 };
_Static_assert((int)REGION_SHIFT >= (int)LIVE_SHIFT_MAX, "a granule lies within one region");
static shard *shard_of(uintptr_t addr)
{
    uint32_t region = (uint32_t)addr >> REGION_SHIFT;
    return &shards[(region * 0x9E3779B1u) >> (32 - SHARD_BITS)];
}

/* The bound on entries, kept exactly without a counter that every insert
 * writes: each shard may hold `quota` entries (a quarter of the bound
 * spread over the shards) on its own; entries beyond a shard's quota come
 * from a shared pool, the other three quarters.  pool_used is the sum over
 * shards of max(0, count - quota), changed under the shard's lock, so only
 * programs with a million live samples ever touch it.  The price: a
 * program whose samples all fall into one shard can fill its quota and
 * the pool, about 3/4 of the bound, and one whose samples fall into k
 * shards 3/4 + k/256 of it.  With shards by 1 MiB region that takes live
 * samples numbering in the millions on a heap of a few dozen MiB: every
 * object sampled (HEAPPROF_SAMPLE=1) and millions of tiny ones.  With half
 * the bound in the pool, as at first, such a heap of 32 MiB was refused
 * from 3/4 of the bound (the review of finding 15 in docs/benchmarks.md). */
static uint64_t pool_max, pool_used;
/* The filter in force (live.h), which every free reads.  The quota, which
 * sat on the read-mostly line beside it, is in each shard's own line
 * (shard.quota): the pointer took its room there (perf_hot_line). */
uint8_t *live_filter HP_SAMPLE_DATA = boot_filter + LIVE_SHIFT_MAX;

static bool pool_take(void)
{
    uint64_t u = __atomic_load_n(&pool_used, __ATOMIC_RELAXED);
    do
        if (u >= pool_max)
            return false;
    while (!__atomic_compare_exchange_n(&pool_used, &u, u + 1, true, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED));
    return true;
}

static void pool_give(void) { __atomic_sub_fetch(&pool_used, 1, __ATOMIC_RELAXED); }

static void set_count(shard *s, uint32_t n) { __atomic_store_n(&s->count, n, __ATOMIC_RELAXED); }

/* Fibonacci hashing; the low 4 bits of an address carry nothing. */
static uint32_t home(uintptr_t addr, uint32_t cap)
{
    return (uint32_t)(((uint64_t)(addr >> 4) * 0x9E3779B97F4A7C15ULL) >> 32) & (cap - 1);
}

unsigned live_granule_shift(uint64_t mean, uint64_t granule)
{
    uint64_t g = granule ? granule : mean >> 7;
    unsigned shift = g ? 63 - (unsigned)__builtin_clzll(g) : 0;
    return shift < LIVE_SHIFT_MIN ? LIVE_SHIFT_MIN : shift > LIVE_SHIFT_MAX ? LIVE_SHIFT_MAX : shift;
}

/* The pins of the boot filter, each a 64 KiB granule of address, in the
 * filter f of a smaller shift: every slot of f within that granule.  Only
 * pins are there before live_init (no sample is taken before), and only
 * in [boot_lo, boot_hi). */
static void copy_pins(uint8_t *f, unsigned shift)
{
    uint32_t per = (uint32_t)1 << (LIVE_SHIFT_MAX - shift);
    const uint8_t *boot = boot_filter + LIVE_SHIFT_MAX;
    uint32_t hi = __atomic_load_n(&boot_hi, __ATOMIC_ACQUIRE);
    for (uint32_t j = __atomic_load_n(&boot_lo, __ATOMIC_ACQUIRE); j < hi; j++)
        if (boot[j])
            memset(f + (size_t)j * per, LIVE_PINNED, per);
}

/* Widens [boot_lo, boot_hi) to hold slot. */
static void boot_pinned(uint32_t slot)
{
    uint32_t lo = __atomic_load_n(&boot_lo, __ATOMIC_RELAXED);
    while (slot < lo && !__atomic_compare_exchange_n(&boot_lo, &lo, slot, true, __ATOMIC_RELEASE,
                                                     __ATOMIC_RELAXED))
        ;
    uint32_t hi = __atomic_load_n(&boot_hi, __ATOMIC_RELAXED);
    while (slot + 1 > hi && !__atomic_compare_exchange_n(&boot_hi, &hi, slot + 1, true,
                                                         __ATOMIC_RELEASE, __ATOMIC_RELAXED))
        ;
}

int live_init(uint64_t max, unsigned shift)
{
    if (shift < LIVE_SHIFT_MIN || shift > LIVE_SHIFT_MAX)
        shift = LIVE_SHIFT_MIN;
    if (shift < LIVE_SHIFT_MAX && !filter_map) {
        /* One page more than its slots, for the shift's offset.  If the
         * mapping fails, the boot filter stays in force: more frees look
         * in the table, none wrongly. */
        size_t bytes = ((size_t)1 << (32 - shift)) + (size_t)sysconf(_SC_PAGESIZE);
        int saved = errno; /* this runs inside the program's first malloc */
        void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        errno = saved;
        if (m != MAP_FAILED) {
            uint8_t *f = (uint8_t *)m + shift;
            copy_pins(f, shift);
            filter_map = m;
            filter_map_bytes = bytes;
            /* Release: a free that loads the pointer sees the pins. */
            __atomic_store_n(&live_filter, f, __ATOMIC_RELEASE);
        }
    }
    uint32_t quota = (uint32_t)(max / 4 / NSHARDS);
    for (int i = 0; i < NSHARDS; i++)
        shards[i].quota = quota;
    pool_max = max - (uint64_t)quota * NSHARDS;
    pool_used = 0;
    return 0;
}

static int shard_grow(shard *s)
{
    uint32_t ncap = s->cap ? s->cap * 2 : SHARD_MIN_CAP;
    if (ncap == 0)
        return ENOMEM;
    live_entry *ne = s->cap ? mem_map((size_t)ncap * sizeof *ne) : first_entries[s - shards];
    if (!ne)
        return ENOMEM;
    for (uint32_t i = 0; i < s->cap; i++) {
        live_entry *e = &s->entries[i];
        if (!e->addr)
            continue;
        uint32_t j = home(e->addr, ncap);
        while (ne[j].addr)
            j = (j + 1) & (ncap - 1);
        ne[j] = *e;
    }
    unmap_entries(s);
    /* Atomic stores for live_prefetch_slot, which reads them without the lock. */
    __atomic_store_n(&s->entries, ne, __ATOMIC_RELAXED);
    __atomic_store_n(&s->cap, ncap, __ATOMIC_RELAXED);
    return 0;
}

/* A slot's byte (the invariants above) after one more entry: a tag
 * counts 1. */
static void filter_inc(uintptr_t addr)
{
    uint8_t *f = live_filter_now();
    f += live_slot_in(f, (void *)addr);
    uint8_t v = __atomic_load_n(f, __ATOMIC_RELAXED), n;
    if (v == LIVE_PINNED)
        return;
    n = v == 0 ? live_tag((void *)addr)
        : v & LIVE_TAGGED ? 2
        : v == LIVE_COUNT_MAX ? LIVE_PINNED
        : (uint8_t)(v + 1);
    __atomic_store_n(f, n, __ATOMIC_RELAXED);
}

static void filter_dec(uintptr_t addr)
{
    uint8_t *f = live_filter_now();
    f += live_slot_in(f, (void *)addr);
    uint8_t v = __atomic_load_n(f, __ATOMIC_RELAXED);
    if (v != LIVE_PINNED && v != 0)
        __atomic_store_n(f, v & LIVE_TAGGED ? 0 : (uint8_t)(v - 1), __ATOMIC_RELAXED);
}

void live_pin(const void *p)
{
    /* In the filter in force; live_init copies the boot filter's pins into
     * the one it maps.  The arena pins its blocks while the allocator is
     * resolved, which is done before live_init (profiler_init), and its
     * blocks may be freed at any time after (a block whose slot were not
     * pinned would reach the real free).  Under the shard's lock, so a
     * concurrent filter_inc cannot undo it: one shard owns p's slot, its
     * region's. */
    shard *s = shard_of((uintptr_t)p);
    shard_lock(s);
    uint8_t *f = live_filter_now();
    __atomic_store_n(&f[live_slot_in(f, p)], LIVE_PINNED, __ATOMIC_RELAXED);
    if (f == boot_filter + LIVE_SHIFT_MAX)
        boot_pinned(live_slot_in(f, p));
    shard_unlock(s);
}

/* Cache hints for an insert to come (live.h).  The shard's lock line and
 * the table slot are two lines the program has evicted between samples,
 * and live_insert would fetch them one after the other: the slot only once
 * the lock is held (perf, churn at 64 KiB: most of the time in live_insert
 * sat on these two loads).  The slot's address needs the shard's entries
 * and cap, read here without the lock, only to form the hint: a prefetch
 * never faults, so a torn read costs a useless fetch at worst. */
void live_prefetch_shard(uintptr_t addr) { __builtin_prefetch(shard_of(addr), 1); }

static inline void prefetch_slot(const shard *s, uintptr_t addr)
{
    live_entry *e = __atomic_load_n(&s->entries, __ATOMIC_RELAXED);
    uint32_t cap = __atomic_load_n(&s->cap, __ATOMIC_RELAXED);
    if (e && cap)
        __builtin_prefetch(&e[home(addr, cap)], 1);
}

void live_prefetch_slot(uintptr_t addr) { prefetch_slot(shard_of(addr), addr); }

/* Index of addr's entry in s, or of the empty slot where it would go. */
static uint32_t probe(const shard *s, uintptr_t addr)
{
    uint32_t i = home(addr, s->cap);
    while (s->entries[i].addr && s->entries[i].addr != addr)
        i = (i + 1) & (s->cap - 1);
    return i;
}

int live_insert(const live_entry *e, live_entry *old, bool *had_old)
{
    shard *s = shard_of(e->addr);
    int err = 0;
    *had_old = false;
    shard_lock(s);
    uint32_t i = s->cap ? probe(s, e->addr) : 0;
    if (s->cap && s->entries[i].addr) { /* its free went unseen: replace */
        *old = s->entries[i];
        *had_old = true;
        s->entries[i] = *e;
        goto out;
    }
    bool pooled = s->count >= s->quota;
    if (pooled && !pool_take()) {
        err = ENOSPC;
        goto out;
    }
    if ((uint64_t)(s->count + 1) * 4 > (uint64_t)s->cap * 3) {
        if ((err = shard_grow(s))) {
            if (pooled)
                pool_give();
            goto out;
        }
        i = probe(s, e->addr); /* the empty slot found above moved */
    }
    s->entries[i] = *e;
    set_count(s, s->count + 1);
    filter_inc(e->addr);
out:
    shard_unlock(s);
    return err;
}

bool live_remove(uintptr_t addr, live_entry *out)
{
    shard *s = shard_of(addr);
    bool found = false;
    /* The slot's line starts to load before the lock's exchange, which
     * waits for the program's pending stores to drain: perf put most of
     * live_remove's time on that exchange and on the slot's miss after it,
     * one after the other (churn at 64 KiB over jemalloc, finding 15). */
    prefetch_slot(s, addr);
    shard_lock(s);
    if (!s->cap)
        goto out;
    uint32_t i = probe(s, addr), mask = s->cap - 1;
    if (!s->entries[i].addr)
        goto out;
    *out = s->entries[i];
    found = true;
    /* Backward-shift deletion: pull later entries of the probe run into the
     * hole when their home position allows it, so no tombstones pile up. */
    for (uint32_t j = i;;) {
        j = (j + 1) & mask;
        if (!s->entries[j].addr)
            break;
        uint32_t h = home(s->entries[j].addr, s->cap);
        /* entries[j] may move to i iff i lies cyclically in [h, j). */
        if (((j - h) & mask) >= ((j - i) & mask)) {
            s->entries[i] = s->entries[j];
            i = j;
        }
    }
    s->entries[i].addr = 0;
    if (s->count > s->quota)
        pool_give();
    set_count(s, s->count - 1);
    filter_dec(addr);
out:
    shard_unlock(s);
    return found;
}

uint64_t live_count(void)
{
    uint64_t n = 0;
    for (int i = 0; i < NSHARDS; i++)
        n += __atomic_load_n(&shards[i].count, __ATOMIC_RELAXED);
    return n;
}

/* ---- passes over every entry (profiles, scrapes) --------------------------------
 * Each shard is copied under its lock with one memcpy into a scratch table
 * and read after the lock is released: a sample or free of that shard
 * waits for the copy, not for the pass.  Folding each entry into its
 * stack's totals under the lock held a shard 0.3 to 0.5 ms at 1M live
 * samples (15K entries a shard), about 2 ms at the default bound of 4M,
 * and a scrape made three such passes (the fold and ages.c's two); the
 * copy is a sequential 32 bytes an entry.  The scratch is as large as
 * the largest table, touched before any lock is taken (its page faults
 * would otherwise come under the lock), and kept for the next pass.  A table that grew past
 * it in the meantime, or no memory for it, and that shard's pass runs
 * under its lock as it did: a pass never fails. */

typedef struct scratch {
    live_entry *p;
    size_t cap;
} scratch;

/* The scratch of the last pass, kept for the next (NULL while a pass has
 * it): mapping, touching and unmapping it for each of a scrape's three
 * passes was most of their time in a test that scrapes 2000 times
 * (live_unit).  Its first entry holds its capacity in addr, so that taking
 * it and giving it back are one atomic exchange each, no lock a fork could
 * copy held.  It stays mapped: the largest shard's table, 1/64 of the
 * table's entries or so (1 MiB at 1M live samples). */
static live_entry *kept;

static void scratch_take(scratch *sc)
{
    uint32_t cap = 0;
    for (int i = 0; i < NSHARDS; i++) {
        uint32_t c = __atomic_load_n(&shards[i].cap, __ATOMIC_RELAXED);
        cap = c > cap ? c : cap;
    }
    *sc = (scratch){0};
    live_entry *k = __atomic_exchange_n(&kept, NULL, __ATOMIC_ACQUIRE);
    if (k && k[0].addr >= cap) {
        *sc = (scratch){k + 1, k[0].addr};
        return;
    }
    if (k)
        mem_unmap(k, (k[0].addr + 1) * sizeof *k);
    if (cap <= SHARD_MIN_CAP || !(k = mem_map(((size_t)cap + 1) * sizeof *k)))
        return; /* first tables only: 16 entries a shard, as quick without */
    memset(k, 0, ((size_t)cap + 1) * sizeof *k);
    k[0].addr = cap;
    *sc = (scratch){k + 1, cap};
}

static void scratch_give(scratch *sc)
{
    if (!sc->p)
        return;
    live_entry *old = __atomic_exchange_n(&kept, sc->p - 1, __ATOMIC_ACQ_REL);
    if (old) /* another pass's, given back first: the newest is kept */
        mem_unmap(old, (old[0].addr + 1) * sizeof *old);
}

/* Call fn on every entry of every shard (the copy's, or the table's). */
static void each_entry(void (*fn)(void *ctx, const live_entry *e), void *ctx)
{
    scratch sc;
    scratch_take(&sc);
    for (int i = 0; i < NSHARDS; i++) {
        shard *s = &shards[i];
        shard_lock(s);
        uint32_t cap = s->cap;
        const live_entry *from = s->entries;
        bool copied = cap && cap <= sc.cap;
        if (copied) {
            memcpy(sc.p, s->entries, (size_t)cap * sizeof *sc.p);
            shard_unlock(s);
            from = sc.p;
        }
        for (uint32_t j = 0; j < cap; j++)
            if (from[j].addr)
                fn(ctx, &from[j]);
        if (!copied)
            shard_unlock(s);
    }
    scratch_give(&sc);
}

typedef struct fold_ctx {
    stack_totals *by_id;
    size_t n;
} fold_ctx;

static void fold_one(void *ctx, const live_entry *e)
{
    const fold_ctx *f = ctx;
    uint32_t id = e->stack_id;
    if (id >= f->n)
        return;
    stack_sample x = stacks_weigh(e->size, e->weight);
    stack_totals *t = &f->by_id[id];
    t->objs += x.objs;
    t->bytes += x.bytes;
    t->samples++;
    t->var_objs += x.var_objs;
    t->var_bytes += x.var_bytes;
}

void live_fold(stack_totals *by_id, size_t n)
{
    fold_ctx f = {by_id, n};
    each_entry(fold_one, &f);
}

void live_visit(void (*fn)(void *ctx, const live_entry *e), void *ctx) { each_entry(fn, ctx); }

bool live_shard_locked(uintptr_t addr)
{
    return __atomic_load_n(&shard_of(addr)->lock, __ATOMIC_RELAXED) != 0;
}

void live_lock_all(void)
{
    for (int i = 0; i < NSHARDS; i++)
        shard_lock(&shards[i]);
}

void live_unlock_all(void)
{
    for (int i = NSHARDS - 1; i >= 0; i--)
        shard_unlock(&shards[i]);
}

void live_reset(void)
{
    live_entry *k = __atomic_exchange_n(&kept, NULL, __ATOMIC_ACQUIRE);
    if (k)
        mem_unmap(k, (k[0].addr + 1) * sizeof *k);
    for (int i = 0; i < NSHARDS; i++) {
        unmap_entries(&shards[i]);
        memset(&shards[i], 0, sizeof shards[i]);
    }
    memset(first_entries, 0, sizeof first_entries);
    live_filter = boot_filter + LIVE_SHIFT_MAX;
    memset(boot_filter, 0, sizeof boot_filter);
    boot_lo = UINT32_MAX;
    boot_hi = 0;
    if (filter_map)
        munmap(filter_map, filter_map_bytes);
    filter_map = NULL;
    pool_used = 0;
}

/*
 * live.h - the sampled objects that are still alive, keyed by address.
 *
 * Two structures:
 *
 *  - live_filter: one byte per granule of the low 4 GiB of the address
 *    (indexed by the low 32 bits of the address shifted right by the
 *    granule's shift, so heaps further apart wrap onto each other), counting
 *    the live sampled objects whose start address falls in that slot
 *    (for one object, its tag instead of the count: below).
 *    free() of an unsampled pointer reads one byte, sees 0 and goes
 *    straight to the real free: no lock, no hashing, no write to shared
 *    memory.  The array is written only when a sample is taken or freed,
 *    so its cache lines stay shared-clean in every core.  It is mapped
 *    zero-filled at start, 2^(32-shift) bytes for the granule in force
 *    (live_init; a small one in .bss serves until then): only the pages
 *    under the program's heap addresses are ever touched (H/granule bytes
 *    for a heap of H bytes).  A false positive (an unsampled
 *    pointer whose slot holds a sampled one) costs a tag compare, or a
 *    table probe when the slot holds more than one sample (below).  A
 *    sample marks its granule, so the objects that share it are false
 *    positives: with a mean interval R that is about granule / R of all
 *    frees, whatever the object sizes.  A heap larger than 4 GiB wraps,
 *    and then the rate is also (H / 4 GiB) * granule / R.
 *
 *    The granule follows the interval: R / 128, at least 512 bytes and
 *    at most 64 KiB (live_granule_shift), fixed when the profiler starts,
 *    so false positives stay near 0.8 % of frees (12 % at 4 KiB, where
 *    the floor holds; more if the program lowers the interval later).
 *    The trade is between those false positives and the filter's own cache
 *    footprint: a heap of H bytes touches H/granule bytes of filter at
 *    random, one line per free, and the program's data evicts them
 *    between frees.  Cachegrind, churn threads=1 (4 MiB live), added L1
 *    misses / added instructions per pair, by granule:
 *
 *                 512 B      1 KiB      2 KiB      4 KiB      8 KiB
 *      R=512K  0.64/11.6  0.39/11.7  0.21/12.1  0.13/12.1  0.14/13.1
 *      R=64K   0.99/22.9  0.74/23.4  0.60/25.0  0.57/27.4  0.65/32.5
 *
 *    R/128 is the best column of the first row and costs nothing in the
 *    second; a larger heap gains more (a 1 GiB heap touches 256 KiB of
 *    filter at the default interval instead of 2 MiB).  The variable
 *    shift costs a free nothing: it rides in the low bits of the filter's
 *    pointer (below), which shares the line of the other read-mostly
 *    globals (common.h).
 *    The first version had 16-byte slots in a 128 KiB array: 15 % false
 *    positives at 10 GiB; then a fixed 512-byte granule (findings 7 and 9
 *    in docs/benchmarks.md).
 *
 *    A slot that holds one sampled object holds its tag, 7 bits of a
 *    hash of its whole address with the top bit set (live_tag), where
 *    slots of two and more hold their count.  A free the byte sent the
 *    slow way then compares tags first (live_surely_untracked) and goes
 *    on to the real free without the table's lock, probe and misses when
 *    they differ: 127 in 128 of the false positives in a slot of one
 *    sample, which is nearly every slot, as live samples are sparse.
 *    Cachegrind put the false positives at ~40 % of the instructions a
 *    sample costs at the default interval (five a sample, ~900
 *    instructions, 4 KiB granules; finding 26 in docs/benchmarks.md).  A
 *    byte holds a tag only while its count is 1: from 0 it becomes the
 *    new object's tag, from 2 the count 1, as the tag of the one left is
 *    unknown.  So while p lives its slot never holds another object's
 *    tag, and a tracked free is never sent past the table.
 *
 *    The trade-off against the peers: jemalloc recognises sampled objects
 *    by giving them page alignment, which costs one test on free but wastes
 *    up to a page per sample and changes what the program gets back (its
 *    alignment, malloc_usable_size, calloc's zeroing of fresh pages).  A
 *    filter byte costs a few more instructions and changes nothing the
 *    program can observe, which is the rule this profiler puts first.
 *
 *  - the table: 64 shards of open-addressing hash tables (linear probing,
 *    backward-shift deletion, no tombstones), each behind a spinlock held
 *    only for the probe.  A shard holds the addresses of a hashed set of
 *    1 MiB regions, so the objects a thread samples from its allocator's
 *    own runs of memory meet in a few shards that stay in its core's cache
 *    (live.c).  A slot's filter byte belongs to exactly one shard (a
 *    region holds whole granules), so filter updates happen under that
 *    shard's lock; live_init's copy of the pins into the filter it maps
 *    is the exception, made before that filter is in force.  Shards
 *    start in one static array (16 entries each) and grow by doubling into
 *    freshly mapped memory; the total number of entries is bounded by
 *    live_init's max, beyond which inserts fail.  No counter is written
 *    by every insert: each shard holds up to 1/256 of the bound on its own
 *    and draws on a shared pool (the other three quarters) beyond that
 *    (live.c).
 */
#ifndef HEAPPROF_LIVE_H
#define HEAPPROF_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

enum {
    LIVE_SHIFT_MIN = 9,  /* 512-byte granules */
    LIVE_SHIFT_MAX = 16, /* 64 KiB */
    LIVE_FILTER_SLOTS = 1 << (32 - LIVE_SHIFT_MIN),
    LIVE_COUNT_MAX = 0x7f, /* counts of 2 and more; then pinned */
    LIVE_TAGGED = 0x80,    /* a slot of one object: LIVE_TAGGED | its tag */
    LIVE_PINNED = 255
};

/* The filter in force, with its granule's shift in the pointer's five low
 * bits: the filter starts that many bytes into a page (live.c).  One load
 * gives a free both, so it never pairs one filter with the other's shift
 * (live_init replaces the one that serves until the configuration is
 * read), and x86's `shr %cl` uses only those five bits of the count: an
 * unsampled free is six instructions (mov, mov, shr, cmpb, jne, jmp). */
extern uint8_t *live_filter __attribute__((visibility("hidden")));

/* The granule's shift: log2(granule) if granule is not 0, else log2 of the
 * mean interval / 128; clamped to [LIVE_SHIFT_MIN, LIVE_SHIFT_MAX]. */
unsigned live_granule_shift(uint64_t mean, uint64_t granule);

static inline uint32_t live_slot_at(const void *p, unsigned shift)
{
    /* Why 32 bits of address: the index is then the low half of the
     * pointer shifted, which needs no mask (GCC truncates with a 32-bit
     * move). */
    return (uint32_t)(uintptr_t)p >> shift;
}

/* The shift a filter pointer carries (above). */
static inline unsigned live_filter_shift(const uint8_t *f) { return (unsigned)((uintptr_t)f & 31); }

/* A relaxed atomic load, the same `mov` as a plain one: live_init stores
 * the pointer once, before the profiler is up, while other threads free. */
static inline uint8_t *live_filter_now(void)
{
    return __atomic_load_n(&live_filter, __ATOMIC_RELAXED);
}

/* log2 of the granule in force: LIVE_SHIFT_MAX before live_init. */
static inline unsigned live_shift_now(void) { return live_filter_shift(live_filter_now()); }

/* p's slot in the filter f. */
static inline uint32_t live_slot_in(const uint8_t *f, const void *p)
{
    return live_slot_at(p, live_filter_shift(f));
}

/* p's slot in the filter in force (once the profiler is up, as that filter
 * is then the last). */
static inline uint32_t live_slot(const void *p) { return live_slot_in(live_filter_now(), p); }

/* The free fast path: false means p is certainly not a sampled object (nor
 * one of the bootstrap arena's blocks, which are pinned). */
static inline bool live_maybe(const void *p)
{
    const uint8_t *f = live_filter_now();
#if defined(__SANITIZE_THREAD__)
    return hp_unlikely(__atomic_load_n(&f[live_slot_in(f, p)], __ATOMIC_RELAXED) != 0);
#else
    /* A plain byte load: GCC then tests the byte in memory with one cmpb,
     * where the relaxed atomic load costs a movzbl and a test (one more
     * instruction on every free, callgrind).  A byte load cannot tear.  A
     * sampled object's filter byte is set before malloc returns it, and the
     * program hands an object to another thread only through its own
     * synchronisation, which orders that store before the other thread's
     * free; any other stale value only sends a free the slow way.  TSan
     * builds keep the atomic so it can check the rest. */
    return hp_unlikely(f[live_slot_in(f, p)] != 0);
#endif
}

/* An object's filter tag: LIVE_TAGGED and 7 bits of a Fibonacci hash of
 * its address (all of it: slots 4 GiB apart alias), never LIVE_PINNED. */
static inline uint8_t live_tag(const void *p)
{
    uint8_t t = (uint8_t)(LIVE_TAGGED | (((uint64_t)(uintptr_t)p >> 4) * 0x9E3779B97F4A7C15ULL) >> 57);
    return (uint8_t)(t - (t == LIVE_PINNED));
}

/* For a free or realloc on a slow path: true when p is certainly not
 * tracked, because its slot holds one object and that object's tag is not
 * p's (this header's top).  A relaxed load: a free's byte was just read,
 * and a tracked p's insert happened before the program could free it. */
static inline bool live_surely_untracked(const void *p)
{
    const uint8_t *f = live_filter_now();
    uint8_t v = __atomic_load_n(&f[live_slot_in(f, p)], __ATOMIC_RELAXED);
    return (v & LIVE_TAGGED) && v != LIVE_PINNED && v != live_tag(p);
}

struct stack_rec;

/* 32 bytes, so that no entry straddles two cache lines (24 did, one in
 * three).  The record, for label adoption and a dropped entry's `adj`, and
 * its id beside it in what would be padding: live_fold then adds an entry
 * to its stack's totals without a miss on the record while it holds the
 * shard's lock.
 *
 * The second the object was allocated (ages.h) takes the bits the size
 * and the id do not need, rather than 8 more bytes that would make an
 * entry 64 (cache lines again).  Ids stay below 2^24
 * (HEAPPROF_MAX_STACKS).  The size has 44 bits, 16 TiB, and the second
 * 28, so that ages wrap after 8.5 years, not after the 194 days of 24
 * bits, which a server left running meets: its oldest objects, a slow
 * leak's first, would then read as new.  A larger object, which only
 * overcommitted address space can give, is stored and counted (profiler.c,
 * record) as LIVE_SIZE_MAX bytes.  live_born and live_set_born put the
 * 28-bit time together. */
typedef struct live_entry {
    uintptr_t addr;
    uint64_t size : 44;      /* bytes requested, at most LIVE_SIZE_MAX */
    uint64_t born_hi : 20;   /* ages_now() >> 8 */
    struct stack_rec *stack; /* see stacks.h */
    float weight;            /* allocations this sample stands for */
    uint32_t stack_id : 24;  /* stack->id */
    uint32_t born_lo : 8;    /* ages_now() & 0xff */
} __attribute__((aligned(32))) live_entry;

#define LIVE_SIZE_MAX ((1ULL << 44) - 1)

static inline uint32_t live_born(const live_entry *e)
{
    return (uint32_t)e->born_hi << 8 | e->born_lo;
}

static inline void live_set_born(live_entry *e, uint32_t t)
{
    e->born_hi = (t >> 8) & 0xfffff;
    e->born_lo = t & 0xff;
}

/* Map the filter; max bounds the entries; shift (live_granule_shift) sets
 * the filter's granule.  0 or ENOMEM.  Before any insert; once, or again
 * after live_reset. */
int live_init(uint64_t max, unsigned shift);

/* Insert e.  Returns 0, or ENOSPC when the bound is reached, or ENOMEM.  If
 * an entry with the same address was present (its free went unseen), it is
 * replaced and copied to *old, and *had_old set. */
int live_insert(const live_entry *e, live_entry *old, bool *had_old);

/* Hints that addr will be inserted soon: the sampled path starts loading
 * its shard before it unwinds the stack, and its table slot (whose address
 * is in the shard) before it interns the stack. */
void live_prefetch_shard(uintptr_t addr);
void live_prefetch_slot(uintptr_t addr);

/* Remove the entry for addr into *out; false if there is none. */
bool live_remove(uintptr_t addr, live_entry *out);

/* Make p's slot always answer "maybe", in the filter in force and in the
 * one live_init maps (the bootstrap arena uses this before the
 * configuration is read). */
void live_pin(const void *p);

uint64_t live_count(void);

struct stack_totals;

/* Add every live entry's estimate to by_id[its stack's id] (ids below n;
 * by_id zeroed by the caller): each stack's in-use totals, which nothing
 * else keeps (stacks.h).  Shard by shard, each from a copy of its table
 * taken under its lock (live.c): a sample or free of that shard waits for
 * one memcpy of the table, not for the fold. */
void live_fold(struct stack_totals *by_id, size_t n);

/* Call fn on every live entry, shard by shard, as live_fold does: from a
 * copy of each shard's table, with its lock not held (with no memory for
 * the copy, held; fn must not take a heapprof lock): ages.c's two passes,
 * dump.c's. */
void live_visit(void (*fn)(void *ctx, const live_entry *e), void *ctx);

/* Whether addr's shard is locked now (unit tests). */
bool live_shard_locked(uintptr_t addr);

/* Lock and unlock every shard (fork handlers). */
void live_lock_all(void);
void live_unlock_all(void);

/* Drop everything, unmap, clear the filter (unit tests). */
void live_reset(void);

#endif

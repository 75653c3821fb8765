/*
 * live.h - the sampled objects that are still alive, keyed by address.
 *
 * Two structures:
 *
 *  - live_filter: one byte per 512-byte granule of the low 4 GiB of the
 *    address (an 8 MiB array, indexed by bits 9-31 of the address, so
 *    heaps further apart wrap onto each other), counting the live sampled
 *    objects whose start address falls in that slot.  free() of an
 *    unsampled pointer reads one byte, sees 0 and goes straight to the
 *    real free: no lock, no hashing, no write to shared memory.  The array
 *    is written only when a sample is taken or freed, so its cache lines
 *    stay shared-clean in every core.  It is zero-filled .bss: only the
 *    pages under the program's heap addresses are ever touched (H/512
 *    bytes for a heap of H bytes, the whole 8 MiB from a 4 GiB heap on).
 *    A false positive (an unsampled pointer whose slot holds a sampled
 *    one) costs one table probe.  A sample marks its granule, so the
 *    objects that share it are false positives: with a mean interval R
 *    that is about granule / R of all frees (0.1 % at the default
 *    512 KiB, 0.8 % at 64 KiB, 12 % at 4 KiB), whatever the object sizes.
 *    A heap larger than 4 GiB wraps, and then the rate is also the K live
 *    samples over 2^23 slots (0.25 % for a 10 GiB heap at the default
 *    interval, K = 20k).
 *
 *    Why 32 bits of address: the index is then the low half of the
 *    pointer shifted, which needs no mask, so an unsampled free is six
 *    instructions (mov, lea, shr, cmpb, jne, jmp) where 2^20 slots took
 *    seven.
 *
 *    The granule is a trade between those probes and the filter's own
 *    cache footprint: a heap of H bytes touches H/granule bytes of filter
 *    at random, one line per free, and the program's data evicts them
 *    between frees.  Cachegrind, churn threads=1 (2 MiB live) at the
 *    default interval: 0.90 first-level misses per free at 64-byte
 *    granules (32 KiB of filter, the L1 size), 0.42 at 512 bytes (4 KiB);
 *    the extra probes cost ~25 instructions per sample
 *    (docs/benchmarks.md, finding 7).  The first version had 16-byte
 *    slots in a 128 KiB array: 15 % false positives at 10 GiB.
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
 *    only for the probe.  A slot's filter byte belongs to exactly one shard
 *    (shard = a hash of the slot), so filter updates happen under that
 *    shard's lock.  Shards grow by doubling into freshly mapped memory; the
 *    total number of entries is bounded by live_init's max, beyond which
 *    inserts fail.  No counter is written by every insert: each shard holds
 *    up to 1/128 of the bound on its own and draws on a shared pool (the
 *    other half) beyond that (live.c).
 */
#ifndef HEAPPROF_LIVE_H
#define HEAPPROF_LIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "common.h"

enum {
    LIVE_GRANULE_SHIFT = 9,
    LIVE_FILTER_BITS = 32 - LIVE_GRANULE_SHIFT,
    LIVE_FILTER_SLOTS = 1 << LIVE_FILTER_BITS,
    LIVE_PINNED = 255
};

extern uint8_t live_filter[LIVE_FILTER_SLOTS] __attribute__((visibility("hidden")));

static inline uint32_t live_slot(const void *p)
{
    /* The same as (p >> shift) & (slots - 1), but GCC then masks with a
     * 32-bit move instead of an `and`. */
    return (uint32_t)(uintptr_t)p >> LIVE_GRANULE_SHIFT;
}

/* The free fast path: false means p is certainly not a sampled object (nor
 * one of the bootstrap arena's blocks, which are pinned). */
static inline bool live_maybe(const void *p)
{
#if defined(__SANITIZE_THREAD__)
    return hp_unlikely(__atomic_load_n(&live_filter[live_slot(p)], __ATOMIC_RELAXED) != 0);
#else
    /* A plain byte load: GCC then tests the byte in memory with one cmpb,
     * where the relaxed atomic load costs a movzbl and a test (one more
     * instruction on every free, callgrind).  A byte load cannot tear.  A
     * sampled object's filter byte is set before malloc returns it, and the
     * program hands an object to another thread only through its own
     * synchronisation, which orders that store before the other thread's
     * free; any other stale value only sends a free the slow way.  TSan
     * builds keep the atomic so it can check the rest. */
    return hp_unlikely(live_filter[live_slot(p)] != 0);
#endif
}

struct stack_rec;

/* 32 bytes, so that no entry straddles two cache lines (24 did, one in
 * three), and the record itself rather than its id: a sampled free then
 * reaches its stack's counters without a lookup in the id index, one miss
 * fewer (cachegrind, the bench's samplecost). */
typedef struct live_entry {
    uintptr_t addr;
    uint64_t size;           /* bytes requested */
    struct stack_rec *stack; /* see stacks.h */
    float weight;            /* allocations this sample stands for */
} __attribute__((aligned(32))) live_entry;

/* Map the shards; max bounds the entries.  0 or ENOMEM. */
int live_init(uint64_t max);

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

/* Make p's slot always answer "maybe" (the bootstrap arena uses this). */
void live_pin(const void *p);

uint64_t live_count(void);

/* Lock and unlock every shard (fork handlers). */
void live_lock_all(void);
void live_unlock_all(void);

/* Drop everything, unmap, clear the filter (unit tests). */
void live_reset(void);

#endif

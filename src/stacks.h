/*
 * stacks.h - interned call stacks and what was allocated from each.
 *
 * A stack is the list of return addresses of a sampled allocation, leaf
 * (the program's caller of malloc) first.  Identical stacks share one
 * record, found through a fixed array of hash buckets; a record is never
 * freed or moved, so a pointer or id to it stays valid for the life of the
 * process and the writer can walk all records without stopping anyone.
 *
 * Each record carries the totals a profile needs: allocations and frees
 * (cumulative), each as estimated objects (fixed point, SAMPLER_OBJ_ONE per
 * object), estimated bytes, raw sample counts and variance estimates; in
 * use is allocations minus frees plus `adj`.
 *
 * Why the totals are split by CPU: when threads allocate from the same call
 * site (every worker of a pool does), one shared set of counters is one
 * cache line that each sample pulls from the other cores; perf put ~30 % of
 * a 2-thread churn's time at a 4 KiB interval in those read-modify-writes.
 * So a record has STACKS_SHARDS blocks of counters, each alone on its cache
 * lines, mapped when a thread first counts into it, and readers add the
 * blocks up.  A sample allocated on one CPU and freed on another leaves one
 * block with more frees than allocations; only the sum means anything.  A
 * shard has one writer at a time, which holds the shard's lock (stacks.c)
 * and adds without locked instructions; a writer that finds its CPU's
 * shard taken uses the next one.  Blocks are bounded (see stacks_init);
 * past the bound a writer counts into the next shard whose block the
 * record has, block 0 at worst, which every record has (and waits for its
 * lock if need be).  `adj` (live table full, label adoption; in block 0)
 * is rare, shared and added atomically.
 */
#ifndef HEAPPROF_STACKS_H
#define HEAPPROF_STACKS_H

#include <stddef.h>
#include <stdint.h>

#include "sampler.h"

typedef struct stack_totals {
    uint64_t objs;    /* estimated objects * SAMPLER_OBJ_ONE */
    uint64_t bytes;   /* estimated bytes */
    uint64_t samples; /* raw samples behind the estimate */
    double var_objs;  /* estimated variance of objs (in objects^2) */
    double var_bytes; /* estimated variance of bytes (in bytes^2) */
} stack_totals;

/* What one sample adds to (and its free takes from) a stack's totals. */
typedef struct stack_sample {
    uint64_t objs, bytes;
    double var_objs, var_bytes;
} stack_sample;

/* Eight, not one per CPU: a record carries a pointer per shard, and eight
 * already divide the contention of a many-core machine by eight. */
enum { STACKS_SHARDS = 8 };

/* One CPU's share of a stack's totals, on cache lines of its own (128
 * bytes: the 40 of `adj` fit in what alignment would pad anyway).  In this
 * order a sample touches one line of it and its free the other (bytes 0-39
 * and 80-119); rare `adj` straddles the two.  With `freed` second, every
 * sampled free touched both (cachegrind, the bench's samplecost). */
typedef struct stack_counts {
    stack_totals alloc; /* cumulative */
    stack_totals adj;   /* block 0 only: in-use changes that are neither */
    stack_totals freed; /* cumulative frees of objects attributed here */
} __attribute__((aligned(64))) stack_counts;
_Static_assert(sizeof(stack_totals) == 40 && sizeof(stack_counts) == 128,
               "alloc and freed each within one cache line");

typedef struct stack_rec {
    struct stack_rec *next_hash; /* bucket chain */
    struct stack_rec *next_all;  /* list of every record, newest first */
    uint64_t hash;
    uint32_t id;
    uint32_t depth;
    uint32_t labels;     /* label set (labels.h) the allocations carried */
    uint32_t pad;
    stack_counts *counts[STACKS_SHARDS]; /* [0] always there, others lazily */
    uint64_t pcs[];
} stack_rec;

/* A record's totals as one reader sees them (summed over the shards). */
typedef struct stack_view {
    stack_totals alloc, inuse, freed;
} stack_view;

/* Map the buckets and the id index; max bounds the number of stacks, and
 * max the number of extra counter blocks.  0 or ENOMEM. */
int stacks_init(uint64_t max);

/* The record for this stack and label set, created if new; NULL when the
 * table is full or out of memory.  Lock-free for stacks already seen. */
stack_rec *stacks_intern(const uint64_t *pcs, uint32_t depth, uint32_t labels);

/* A sampling thread's memo: the record its last sample went to.  Most
 * samples of a thread come from the stack its last one did, and the lines
 * that record spans are cold by then (the program has evicted them):
 * stacks_prefetch starts loading them while the stack is walked, and
 * stacks_intern_like takes `last` itself when the stack matches, without
 * the bucket's line.  `last` may be NULL.  Records are never freed, so an
 * old memo is always a valid pointer. */
void stacks_prefetch(const stack_rec *last);
/* The counter block `shard` of last, once its record has arrived. */
void stacks_prefetch_counts(const stack_rec *last, unsigned shard);
stack_rec *stacks_intern_like(stack_rec *last, const uint64_t *pcs, uint32_t depth,
                              uint32_t labels);

/* Record by id (ids are dense from 0), or NULL. */
stack_rec *stacks_get(uint32_t id);

/* The shard the calling thread counts into: its CPU (stacks_shard), which
 * costs a load from the rseq area glibc registers. */
unsigned stacks_shard(void);

/* Account one sample allocated; freed; or no longer followed (its live
 * share leaves without counting as a free: the live table was full).
 * `shard` is any number below STACKS_SHARDS; stacks_shard() is the one that
 * keeps the cache lines local. */
void stacks_add_alloc(stack_rec *s, unsigned shard, const stack_sample *x);
void stacks_free(stack_rec *s, unsigned shard, const stack_sample *x);
void stacks_sub_inuse(stack_rec *s, unsigned shard, const stack_sample *x);
/* Move a live sample's in-use share from one record to another (label
 * adoption); cumulative alloc_* totals stay where they were made. */
void stacks_move_inuse(stack_rec *from, stack_rec *to, const stack_sample *x);

/* Sum the shards of r.  Each field is read once, acquire: a sample being
 * counted concurrently may be seen in part, as with any live reading.  A
 * variance that rounding left below zero reads as 0. */
void stacks_read(const stack_rec *r, stack_view *v);

/* Newest record; follow next_all for the rest.  Records published before
 * the call are all reachable. */
stack_rec *stacks_first(void);

uint64_t stacks_count(void);
uint64_t stacks_inuse_total(void); /* estimated live bytes, all stacks */
uint64_t stacks_samples(void);     /* samples counted (stacks_add_alloc calls) */
uint64_t stacks_bytes(void); /* memory held by records and counters */

/* One sample of `size` bytes with weight w, computed the same way on
 * insert and on free so that in-use totals return exactly to zero.
 *
 * Variance: a sampled allocation counts w = 1/p for each allocation of its
 * kind, which was sampled with probability p.  The Horvitz-Thompson estimate
 * of the variance of such a sum is the sum over samples of (1-p)/p^2 per
 * object, i.e. (w^2 - w); for bytes, (w^2 - w) s^2.  Zero in exact mode. */
static inline stack_sample stacks_weigh(uint64_t size, double weight)
{
    double v = weight * weight - weight;
    stack_sample x = {(uint64_t)(weight * SAMPLER_OBJ_ONE + 0.5),
                      (uint64_t)(weight * (double)size + 0.5), v,
                      v * (double)size * (double)size};
    return x;
}

/* Estimated objects from a fixed-point sum (or a difference of two, which
 * may be negative), rounded to nearest. */
static inline int64_t stacks_objects(uint64_t fixed)
{
    int64_t f = (int64_t)fixed, one = (int64_t)SAMPLER_OBJ_ONE;
    return (f >= 0 ? f + one / 2 : f - one / 2) / one;
}

/* Forget everything (unit tests). */
void stacks_reset(void);

/* Make shard k look taken by a writer that was preempted, or free it again
 * (unit tests). */
void stacks_hold_shard(unsigned k, int hold);

/* Lock and unlock the insertion locks and the shard locks (fork handlers). */
void stacks_lock_all(void);
void stacks_unlock_all(void);

#endif

/*
 * stacks.h - interned call stacks and what was allocated from each.
 *
 * A stack is the list of return addresses of a sampled allocation, leaf
 * (the program's caller of malloc) first.  Identical stacks share one
 * record, found through a fixed array of hash buckets; a record is never
 * freed or moved, so a pointer or id to it stays valid for the life of the
 * process and the writer can walk all records without stopping anyone.
 *
 * Each record carries the cumulative allocations a profile needs, as
 * estimated objects (fixed point, SAMPLER_OBJ_ONE per object), estimated
 * bytes, raw sample counts and variance estimates, and `adj`: what came in
 * by label adoption less what left by it or unfollowed (the live table was
 * full).
 * What is in use is not counted here: it is the live table's entries,
 * folded per stack when a profile or /metrics is read (live_fold), and
 * frees follow from it, freed = alloc + adj - inuse (stacks_freed).  Why:
 * a sampled free then only removes its live entry.  Counting it here too
 * took the record's line, its counter block's and the shard lock's
 * exchange, ~40 % of a sampled free (finding 23 in docs/benchmarks.md).
 *
 * Lifetimes: a sampled free also adds its object to its record's freed
 * totals by lifetime band (ages.h), in a block of its own (stack_lifetimes,
 * 240 bytes) mapped at the record's first counted free, so that stacks
 * whose objects are never freed (or never seen freed) pay 8 bytes for the
 * pointer, not the block.  Shared by every CPU and added to atomically,
 * as `adj` is: a sampled free is one in thousands, and per-CPU blocks
 * would be eight times the memory.  Only frees counted here have a
 * lifetime; objects freed unseen (their entry replaced), unfollowed or
 * adopted away, and frees whose block could not be mapped, stay in the
 * stack's totals without one.
 *
 * Why the totals are split by CPU: when threads allocate from the same call
 * site (every worker of a pool does), one shared set of counters is one
 * cache line that each sample pulls from the other cores; perf put ~30 % of
 * a 2-thread churn's time at a 4 KiB interval in those read-modify-writes.
 * So a record has STACKS_SHARDS blocks of counters, each alone on its cache
 * lines, mapped when a thread first counts into it, and readers add the
 * blocks up; only the sum means anything.  A
 * shard has one writer at a time, which holds the shard's lock (stacks.c)
 * and adds without locked instructions; a writer that finds its CPU's
 * shard taken uses the next one.  Blocks are bounded (see stacks_init);
 * past the bound a writer counts into the next shard whose block the
 * record has, block 0 at worst, which every record has (and waits for its
 * lock if need be).  `adj` (live table full, label adoption; in block 0)
 * is rare, shared and added atomically.
 *
 * Bounds.  Records are never freed, so the table is bounded twice: by
 * count (HEAPPROF_MAX_STACKS, which sizes the id index and the buckets)
 * and by bytes (HEAPPROF_STACK_MEMORY, plus 1/16 of the estimated live
 * heap, so that a large heap keeps more stacks).  Past either bound a new
 * stack is not dropped but merged: its leaf STACKS_MERGED_KEEP frames (the
 * allocation site and its nearest callers, what a leak hunt needs first)
 * under one marker frame, STACKS_MERGED_PC, which profiles name
 * "[other stacks]".  Merged records get the last 1/8 of the ids and a
 * quarter more bytes; past those, a sample goes to the marker alone (one
 * record per label set, which the last 1/16 of the ids is kept for).  So a
 * full table keeps every sample's weight, its labels, and usually its
 * allocation site; only a table that cannot map memory, or has no id left
 * (more label sets than the last 1/16 holds), drops samples.  Merged
 * records' extra counter blocks and the marker's records are bounded by
 * the ids, not the bytes: they are few, and they are what must not fail.
 * Why merge rather than drop: a program with more stacks than the bound
 * (every request's stack new) would otherwise lose most of its samples,
 * and every total would read low (finding 24 in docs/benchmarks.md).
 */
#ifndef HEAPPROF_STACKS_H
#define HEAPPROF_STACKS_H

#include <stddef.h>
#include <stdint.h>

#include "ages.h"
#include "sampler.h"

typedef struct stack_totals {
    uint64_t objs;    /* estimated objects * SAMPLER_OBJ_ONE */
    uint64_t bytes;   /* estimated bytes */
    uint64_t samples; /* raw samples behind the estimate */
    double var_objs;  /* estimated variance of objs (in objects^2) */
    double var_bytes; /* estimated variance of bytes (in bytes^2) */
} stack_totals;

/* What one sample adds to a stack's totals (and its live entry, folded,
 * to its in-use totals). */
typedef struct stack_sample {
    uint64_t objs, bytes;
    double var_objs, var_bytes;
} stack_sample;

/* Eight, not one per CPU: a record carries a pointer per shard, and eight
 * already divide the contention of a many-core machine by eight. */
enum { STACKS_SHARDS = 8 };

/* One CPU's share of a stack's totals, on cache lines of its own: a
 * sample touches the first (bytes 0-39); rare `adj` straddles the two.
 * Only block 0 has `adj`: the others are mapped as the first line alone
 * (stacks.c, EXTRA_BLOCK). */
typedef struct stack_counts {
    stack_totals alloc; /* cumulative */
    stack_totals adj;   /* block 0 only: adopted in, less adopted out and unfollowed */
} __attribute__((aligned(64))) stack_counts;
_Static_assert(sizeof(stack_totals) == 40 && sizeof(stack_counts) == 128,
               "alloc within one cache line");

/* A record's freed totals by lifetime band ("Lifetimes" above). */
typedef struct stack_lifetimes {
    stack_totals band[AGES_LIFETIMES];
} stack_lifetimes;

typedef struct stack_rec {
    struct stack_rec *next_hash; /* bucket chain */
    struct stack_rec *next_all;  /* list of every record, newest first */
    uint64_t hash;
    uint32_t id;
    uint32_t depth;
    uint32_t labels;     /* label set (labels.h) the allocations carried */
    uint32_t merged;     /* 1: pcs ends with STACKS_MERGED_PC ("Bounds" above) */
    stack_counts *counts[STACKS_SHARDS]; /* [0] always there, others lazily */
    stack_lifetimes *lifetimes;          /* at the first counted free ("Lifetimes") */
    uint64_t pcs[];
} stack_rec;

/* A record's counts as one reader sees them: alloc summed over the shards,
 * and held = alloc + adj, what was allocated or adopted here and is either
 * still in use (the record's live entries, live_fold) or freed.  held is
 * kept modulo 2^64 and can read below zero (an adoption's subtraction seen
 * before its sample's count): show it only through stacks_freed. */
typedef struct stack_view {
    stack_totals alloc, held;
} stack_view;

/* The root frame of a merged stack: a non-canonical address, which no
 * return address can be (symbols_func_name names it). */
#define STACKS_MERGED_PC 0x8000000000000000ULL
#define STACKS_MERGED_NAME "[other stacks]"
/* Frames a merged stack keeps: under C++, operator new's caller is
 * usually the allocator's template code, and the program's own call site
 * three frames up. */
enum { STACKS_MERGED_KEEP = 4 };

/* Map the buckets and the id index; max bounds the number of stacks (and
 * of extra counter blocks), memory the bytes of whole stacks ("Bounds").
 * 0 or ENOMEM. */
int stacks_init(uint64_t max, uint64_t memory);

/* The record for this stack and label set, created if new; past the
 * table's bounds a merged one ("Bounds"), so check r->merged; NULL only
 * when no memory could be mapped or every id is taken.  Lock-free for stacks already seen. */
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

/* Record by id (ids are dense from 0), or NULL.  A walk of every record:
 * for tests. */
stack_rec *stacks_get(uint32_t id);

/* The shard the calling thread counts into: its CPU (stacks_shard), which
 * costs a load from the rseq area glibc registers. */
unsigned stacks_shard(void);

/* Account one sample allocated.  `shard` is any number below
 * STACKS_SHARDS; stacks_shard() is the one that keeps the cache lines
 * local. */
void stacks_add_alloc(stack_rec *s, unsigned shard, const stack_sample *x);
/* A sampled object's estimated bytes left the process's in-use total
 * (stacks_inuse_total): it was freed, its free went unseen, or it is no
 * longer followed.  One locked add on the shard's line; no record, no
 * lock.  The stack's own in-use needs nothing: its live entry is gone. */
void stacks_gone(unsigned shard, uint64_t bytes);
/* The object was counted as allocated but cannot be followed to its free
 * (the live table is full): it must not count as freed when it leaves
 * in-use, so adj takes it back; and it is gone (stacks_gone). */
void stacks_unfollow(stack_rec *s, unsigned shard, const stack_sample *x);
/* A sampled object of s was freed `lifetime` seconds after its allocation
 * (ages_of): x, as weighed at its sample, joins the freed totals of its
 * lifetime band ("Lifetimes" above).  Atomic adds, no lock; maps the
 * record's block at its first call, and when that fails (the byte budget,
 * out of memory) this object is left out of the bands. */
void stacks_add_freed(stack_rec *s, uint32_t lifetime, const stack_sample *x);
/* How many sampled frees stacks_add_freed left out of the bands. */
uint64_t stacks_lifetimes_lost(void);
/* A live sample moved from one record to another (label adoption): its
 * live entry now names `to`, so its in-use share went with it; adj takes it
 * out of `from` and into `to`, so that neither reads the move as a free:
 * `from` keeps its allocation, and `to` reads the object as freed when it
 * goes. */
void stacks_move_inuse(stack_rec *from, stack_rec *to, const stack_sample *x);

/* r's counts.  Each field is read once, acquire: a sample being counted
 * concurrently may be seen in part, as with any live reading. */
void stacks_read(const stack_rec *r, stack_view *v);

/* r's freed totals by lifetime band, each field read once, acquire, into
 * out[AGES_LIFETIMES]; returns the bands with any sample (bit b for band
 * b), 0 for a record with none.  Read before stacks_read, a band holds no
 * free whose allocation the alloc totals miss, except for adopted objects
 * (freed where their allocation was not counted): dump.c caps the bands
 * by the alloc totals. */
uint32_t stacks_read_lifetimes(const stack_rec *r, stack_totals *out);

/* What was freed: held (stacks_read) less inuse (the record's share of a
 * live_fold), field by field.  The one place freed is derived.  A fold and
 * a read are two moments, so a field can come out below zero (an entry
 * folded before its sample was counted, an adoption caught mid-way); it
 * then reads as 0, as does a variance that rounding left below zero.
 * Which moment comes first is the caller's choice: metrics.c says why it
 * reads first. */
stack_totals stacks_freed(const stack_totals *held, const stack_totals *inuse);

/* Newest record; follow next_all for the rest.  Records published before
 * the call are all reachable. */
stack_rec *stacks_first(void);

uint64_t stacks_count(void);
uint64_t stacks_inuse_total(void); /* estimated live bytes, all stacks */
uint64_t stacks_samples(void);     /* samples counted (stacks_add_alloc calls) */
uint64_t stacks_merged(void);      /* of those, counted into merged records */
uint64_t stacks_bytes(void); /* memory mapped for records and counters */

/* One sample of `size` bytes with weight w, computed the same way at the
 * sample, at its free (stacks_gone: its bytes alone) and when the live
 * table is folded, so that the totals return exactly to zero.
 *
 * Variance: a sampled allocation counts w = 1/p for each allocation of its
 * kind, which was sampled with probability p.  The Horvitz-Thompson estimate
 * of the variance of such a sum is the sum over samples of (1-p)/p^2 per
 * object, i.e. (w^2 - w); for bytes, (w^2 - w) s^2.  Zero in exact mode. */
static inline uint64_t stacks_weigh_bytes(uint64_t size, double weight)
{
    return (uint64_t)(weight * (double)size + 0.5);
}

static inline stack_sample stacks_weigh(uint64_t size, double weight)
{
    double v = weight * weight - weight;
    stack_sample x = {(uint64_t)(weight * SAMPLER_OBJ_ONE + 0.5), stacks_weigh_bytes(size, weight),
                      v, v * (double)size * (double)size};
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

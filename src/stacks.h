/*
 * stacks.h - interned call stacks and what was allocated from each.
 *
 * A stack is the list of return addresses of a sampled allocation, leaf
 * (the program's caller of malloc) first.  Identical stacks share one
 * record, found through a fixed array of hash buckets; a record is never
 * freed or moved, so a pointer or id to it stays valid for the life of the
 * process and the writer can walk all records without stopping anyone.
 *
 * Each record carries the totals a profile needs, as relaxed atomics
 * updated only on sampled events: allocations (cumulative) and in-use
 * (allocations minus frees), each as estimated objects (fixed point,
 * SAMPLER_OBJ_ONE per object), estimated bytes, and raw sample counts.
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

typedef struct stack_rec {
    struct stack_rec *next_hash; /* bucket chain */
    struct stack_rec *next_all;  /* list of every record, newest first */
    uint64_t hash;
    uint32_t id;
    uint32_t depth;
    uint32_t labels;     /* label set (labels.h) the allocations carried */
    uint32_t pad;
    stack_totals alloc;  /* cumulative */
    stack_totals inuse;  /* live */
    stack_totals freed;  /* cumulative frees of objects attributed here */
    uint64_t pcs[];
} stack_rec;

/* Map the buckets and the id index; max bounds the number of stacks.
 * 0 or ENOMEM. */
int stacks_init(uint64_t max);

/* The record for this stack and label set, created if new; NULL when the
 * table is full or out of memory.  Lock-free for stacks already seen. */
stack_rec *stacks_intern(const uint64_t *pcs, uint32_t depth, uint32_t labels);

/* Record by id (ids are dense from 0), or NULL. */
stack_rec *stacks_get(uint32_t id);

/* Account one sample allocated; freed; or no longer followed (its live
 * share leaves without counting as a free: the live table was full). */
void stacks_add_alloc(stack_rec *s, const stack_sample *x);
void stacks_free(stack_rec *s, const stack_sample *x);
void stacks_sub_inuse(stack_rec *s, const stack_sample *x);
/* Move a live sample's in-use share from one record to another (label
 * adoption); cumulative alloc_* totals stay where they were made. */
void stacks_move_inuse(stack_rec *from, stack_rec *to, const stack_sample *x);

/* Newest record; follow next_all for the rest.  Records published before
 * the call are all reachable. */
stack_rec *stacks_first(void);

uint64_t stacks_count(void);
uint64_t stacks_inuse_total(void); /* estimated live bytes, all stacks */
uint64_t stacks_bytes(void); /* memory held by records */

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

/* Lock and unlock the insertion locks (fork handlers). */
void stacks_lock_all(void);
void stacks_unlock_all(void);

#endif

/*
 * stacks.c - see stacks.h for the data model.
 *
 * Lookups walk a bucket chain with acquire loads and take no lock.  Inserts
 * take the bucket's stripe lock, look again, and publish the new record with
 * a release store of the bucket head, after the record is complete; the
 * all-records list and the id index are published the same way.  Records
 * come from chunks of mapped memory handed out by a bump pointer under its
 * own lock; nothing is ever freed, which is what makes lock-free readers
 * safe, and why the number of records is bounded.
 *
 * Nothing slow happens under a lock: the hash is computed before it is
 * taken, and the unwinding that produced the stack is long finished.
 */
#include "stacks.h"

#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <string.h>

#include "common.h"
#include "mem.h"

enum { NSTRIPES = 64, CHUNK_BYTES = 1 << 20, NBUCKETS_MAX = 1 << 20 };

static stack_rec **buckets;
static uint32_t nbuckets;
static stack_rec **by_id;
static uint64_t max_stacks;
static uint32_t next_id;
static stack_rec *all_head;
static int stripes[NSTRIPES];

static uint64_t inuse_total; /* sum of every record's inuse.bytes */
static int chunk_lock;
static char *chunk_cur, *chunk_end;
static uint64_t chunk_total;

int stacks_init(uint64_t max)
{
    uint32_t nb = 1024;
    while (nb < max && nb < NBUCKETS_MAX) /* load factor <= 1 up to 1M stacks */
        nb *= 2;
    buckets = mem_map((size_t)nb * sizeof *buckets);
    by_id = mem_map((size_t)max * sizeof *by_id);
    if (!buckets || !by_id) {
        mem_unmap(buckets, (size_t)nb * sizeof *buckets);
        mem_unmap(by_id, (size_t)max * sizeof *by_id);
        buckets = by_id = NULL;
        return ENOMEM;
    }
    nbuckets = nb;
    max_stacks = max;
    return 0;
}

static uint64_t hash_pcs(const uint64_t *pcs, uint32_t depth, uint32_t labels)
{
    uint64_t h = 0xcbf29ce484222325ULL ^ depth ^ ((uint64_t)labels << 32);
    for (uint32_t i = 0; i < depth; i++) {
        h ^= pcs[i];
        h *= 0x100000001b3ULL;
        h ^= h >> 29;
    }
    return h ? h : 1;
}

static stack_rec *find(stack_rec *r, uint64_t h, const uint64_t *pcs, uint32_t depth,
                       uint32_t labels)
{
    for (; r; r = __atomic_load_n(&r->next_hash, __ATOMIC_ACQUIRE))
        if (r->hash == h && r->depth == depth && r->labels == labels &&
            (depth == 0 || !memcmp(r->pcs, pcs, depth * sizeof *pcs)))
            return r;
    return NULL;
}

static stack_rec *chunk_alloc(size_t bytes)
{
    bytes = (bytes + 15) & ~(size_t)15;
    spin_lock(&chunk_lock);
    if ((size_t)(chunk_end - chunk_cur) < bytes) {
        /* The tail of the old chunk is abandoned: at most one record's worth
         * per megabyte. */
        char *c = mem_map(CHUNK_BYTES);
        if (!c) {
            spin_unlock(&chunk_lock);
            return NULL;
        }
        chunk_cur = c;
        chunk_end = c + CHUNK_BYTES;
        chunk_total += CHUNK_BYTES;
    }
    stack_rec *r = (stack_rec *)chunk_cur;
    chunk_cur += bytes;
    spin_unlock(&chunk_lock);
    return r;
}

stack_rec *stacks_intern(const uint64_t *pcs, uint32_t depth, uint32_t labels)
{
    if (!buckets)
        return NULL;
    uint64_t h = hash_pcs(pcs, depth, labels);
    stack_rec **b = &buckets[h & (nbuckets - 1)];
    stack_rec *r = find(__atomic_load_n(b, __ATOMIC_ACQUIRE), h, pcs, depth, labels);
    if (r)
        return r;
    int *stripe = &stripes[h % NSTRIPES];
    spin_lock(stripe);
    r = find(__atomic_load_n(b, __ATOMIC_ACQUIRE), h, pcs, depth, labels);
    if (r)
        goto out;
    uint32_t id = __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);
    if (id >= max_stacks) {
        __atomic_store_n(&next_id, (uint32_t)max_stacks, __ATOMIC_RELAXED);
        goto out;
    }
    r = chunk_alloc(sizeof *r + depth * sizeof *pcs);
    if (!r) {
        /* Give the id back only if nobody took a later one; otherwise the
         * hole in by_id is harmless (stacks_get returns NULL for it). */
        uint32_t expect = id + 1;
        __atomic_compare_exchange_n(&next_id, &expect, id, false, __ATOMIC_RELAXED,
                                    __ATOMIC_RELAXED);
        goto out;
    }
    memset(r, 0, sizeof *r);
    r->hash = h;
    r->id = id;
    r->depth = depth;
    r->labels = labels;
    if (depth) /* an empty stack may come with pcs == NULL: no memcpy then */
        memcpy(r->pcs, pcs, depth * sizeof *pcs);
    r->next_hash = *b;
    __atomic_store_n(&by_id[id], r, __ATOMIC_RELEASE);
    __atomic_store_n(b, r, __ATOMIC_RELEASE);
    /* Push on the all-records list; other stripes push concurrently. */
    stack_rec *head = __atomic_load_n(&all_head, __ATOMIC_RELAXED);
    do
        r->next_all = head;
    while (!__atomic_compare_exchange_n(&all_head, &head, r, true, __ATOMIC_RELEASE,
                                        __ATOMIC_RELAXED));
out:
    spin_unlock(stripe);
    return r;
}

stack_rec *stacks_get(uint32_t id)
{
    if (!by_id || id >= max_stacks)
        return NULL;
    return __atomic_load_n(&by_id[id], __ATOMIC_ACQUIRE);
}

/* Doubles have no atomic add; a compare-and-swap loop on the same memory.
 * Only sampled events come here, so contention is rare. */
static void add_double(double *d, double v)
{
    double old, sum;
    __atomic_load(d, &old, __ATOMIC_RELAXED);
    do
        sum = old + v;
    while (!__atomic_compare_exchange(d, &old, &sum, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
}

static void totals_add(stack_totals *t, const stack_sample *x, int sign)
{
    if (sign > 0) {
        __atomic_add_fetch(&t->objs, x->objs, __ATOMIC_RELAXED);
        __atomic_add_fetch(&t->bytes, x->bytes, __ATOMIC_RELAXED);
        __atomic_add_fetch(&t->samples, 1, __ATOMIC_RELAXED);
    } else {
        __atomic_sub_fetch(&t->objs, x->objs, __ATOMIC_RELAXED);
        __atomic_sub_fetch(&t->bytes, x->bytes, __ATOMIC_RELAXED);
        __atomic_sub_fetch(&t->samples, 1, __ATOMIC_RELAXED);
    }
    if (x->var_objs != 0) {
        add_double(&t->var_objs, sign * x->var_objs);
        add_double(&t->var_bytes, sign * x->var_bytes);
    }
}

void stacks_add_alloc(stack_rec *s, const stack_sample *x)
{
    totals_add(&s->alloc, x, 1);
    totals_add(&s->inuse, x, 1);
    __atomic_add_fetch(&inuse_total, x->bytes, __ATOMIC_RELAXED);
}

void stacks_free(stack_rec *s, const stack_sample *x)
{
    totals_add(&s->freed, x, 1);
    stacks_sub_inuse(s, x);
}

void stacks_sub_inuse(stack_rec *s, const stack_sample *x)
{
    totals_add(&s->inuse, x, -1);
    __atomic_sub_fetch(&inuse_total, x->bytes, __ATOMIC_RELAXED);
}

void stacks_move_inuse(stack_rec *from, stack_rec *to, const stack_sample *x)
{
    totals_add(&from->inuse, x, -1);
    totals_add(&to->inuse, x, 1);
}

uint64_t stacks_inuse_total(void) { return __atomic_load_n(&inuse_total, __ATOMIC_RELAXED); }

stack_rec *stacks_first(void) { return __atomic_load_n(&all_head, __ATOMIC_ACQUIRE); }

uint64_t stacks_count(void)
{
    uint32_t n = __atomic_load_n(&next_id, __ATOMIC_RELAXED);
    return n < max_stacks ? n : max_stacks;
}

uint64_t stacks_bytes(void) { return __atomic_load_n(&chunk_total, __ATOMIC_RELAXED); }

void stacks_lock_all(void)
{
    for (int i = 0; i < NSTRIPES; i++)
        spin_lock(&stripes[i]);
    spin_lock(&chunk_lock);
}

void stacks_unlock_all(void)
{
    spin_unlock(&chunk_lock);
    for (int i = NSTRIPES - 1; i >= 0; i--)
        spin_unlock(&stripes[i]);
}

void stacks_reset(void)
{
    /* Chunks are not tracked individually; tests are short-lived. */
    mem_unmap(buckets, (size_t)nbuckets * sizeof *buckets);
    mem_unmap(by_id, (size_t)max_stacks * sizeof *by_id);
    buckets = by_id = NULL;
    nbuckets = 0;
    next_id = 0;
    all_head = NULL;
    chunk_cur = chunk_end = NULL;
    chunk_total = 0;
    inuse_total = 0;
}

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
 *
 * Counter blocks (stack_counts) come from the same chunks, 64-byte aligned
 * so that no two share a cache line, and are published in the record with
 * a compare-and-swap; a block that loses the race (two threads on the same
 * CPU slot counting into a new stack at once) is abandoned, which is rare
 * and bounded by the block budget.
 */
#define _GNU_SOURCE
#include "stacks.h"

#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <string.h>
#include <sys/rseq.h>

#include "common.h"
#include "mem.h"

/* Chunks of records: the first CHUNK_MIN, then each as large as all before
 * it, up to CHUNK_BYTES.  A program that samples a few stacks then maps
 * 64 KiB, not 1 MiB: address space that counts against its RLIMIT_MEMLOCK
 * if it calls mlockall (docs/evidence.md).  A record is at most ~2 KiB
 * (256 frames), so a chunk holds dozens. */
enum { NSTRIPES = 64, CHUNK_MIN = 64 << 10, CHUNK_BYTES = 1 << 20, NBUCKETS_MAX = 1 << 20 };

static stack_rec **buckets HP_SAMPLE_DATA;
static uint32_t nbuckets HP_SAMPLE_DATA;
static uint64_t max_stacks;
static uint32_t next_id;
static stack_rec *all_head;
static int stripes[NSTRIPES];

/* One per shard: its writer lock, and the totals over every record, split
 * like the records' counters.  Bytes that went (freed or no longer
 * followed) are counted apart from bytes that came, each only growing, so
 * that a reader can take `gone` before `came` and never see more leave than
 * arrived (stacks_inuse_total).  `came` is added under the lock, `gone` by
 * any thread (stacks_gone).
 *
 * Why a lock rather than atomic adds: a sample added seven numbers (five to
 * its stack's block, two here) with seven locked read-modify-writes, and
 * its free (which then counted frees here) six more, each a full barrier
 * that waits for the store buffer to drain.  perf put 13 % of churn's time
 * at a 4 KiB interval in those adds.  Now a sample takes its shard with one
 * exchange and adds with plain loads and stores: the shard is its CPU's
 * (stacks_shard), so on a machine of up to 8 CPUs the lock's line stays in
 * that core's cache and is contended only when its holder was preempted
 * (beyond 8, CPUs that share a shard also meet there, as their atomic adds
 * met on its lines before).  A writer that finds the shard taken moves on
 * to the next one (only the sum over the shards means anything), so a
 * preempted holder stalls no one, except past the block budget, where a
 * record may have block 0 alone and its writers wait for shard 0 as they
 * would for one of the live table's locks.  churn, 4 KiB, side by
 * side: -14 % CPU time (finding 14 in docs/benchmarks.md). */
static struct {
    int lock;
    uint64_t came_bytes, gone_bytes, samples, merged;
} __attribute__((aligned(64))) sums[STACKS_SHARDS];

static uint64_t blocks_left; /* extra counter blocks that may still be mapped */
static uint64_t budget;      /* HEAPPROF_STACK_MEMORY (stacks_init) */
static int chunk_lock;
static char *chunk_cur, *chunk_end;
static uint64_t chunk_total; /* mapped */
static uint64_t chunk_used;  /* handed out */
/* Of which lifetime blocks (map_lifetimes), padding included: they have
 * an allowance of their own, so that records are admitted by what the
 * rest takes.  In the budget with the records, a block at each stack's
 * first sampled free (256 bytes with its padding, more than half a
 * record) left room for 8946 whole stacks of a program where 14052 had
 * fit before (32768 stacks, each freeing its sample; 14442 now). */
static uint64_t life_used;

int stacks_init(uint64_t max, uint64_t memory)
{
    /* A quarter as many buckets as stacks: the byte budget keeps most
     * programs far below the count bound (6 MiB is ~14 000 stacks, load
     * factor 0.21 at the default bound), and a lookup walks a chain only
     * for a stack its thread did not sample last.  Every bucket's page is
     * touched at random as stacks come: 2 MiB of RSS at one per stack for
     * the default bound, 512 KiB now. */
    uint32_t nb = 1024;
    while (nb < max / 4 && nb < NBUCKETS_MAX)
        nb *= 2;
    buckets = mem_map((size_t)nb * sizeof *buckets);
    if (!buckets)
        return ENOMEM;
    nbuckets = nb;
    max_stacks = max;
    blocks_left = max;
    budget = memory;
    return 0;
}

/* What a new record may take, by kind (stacks.h, "Bounds"): ids below
 * 7/8 of the bound and bytes within the budget for a whole stack; ids
 * below 15/16 and a quarter more bytes for a merged one; any id left for
 * "[other stacks]", whose records are one per label set. */
typedef enum { WHOLE, SITE, OTHER } rec_kind;

static uint64_t id_limit(rec_kind k)
{
    return k == WHOLE ? max_stacks - max_stacks / 8
         : k == SITE  ? max_stacks - max_stacks / 16
                      : max_stacks;
}

static uint64_t kind_bytes(rec_kind k, uint64_t b)
{
    return k == WHOLE ? b : k == SITE ? b + b / 4 : UINT64_MAX;
}

/* What the records and their counter blocks use: life_used first, whose
 * release add follows a block's chunk_used store, so that chunk_used reads
 * at least as new and the difference cannot wrap. */
static uint64_t records_used(void)
{
    uint64_t life = __atomic_load_n(&life_used, __ATOMIC_ACQUIRE);
    uint64_t all = __atomic_load_n(&chunk_used, __ATOMIC_ACQUIRE);
    return all > life ? all - life : 0;
}

/* The bytes records of kind k (and extra counter blocks of whole
 * records: SITE) may fill once `bytes` more are taken: the budget, grown
 * by 1/16 of the estimated live heap so that a program with a large heap
 * keeps more whole stacks.  0 when they do not fit.  The heap is summed
 * (16 loads of lines samples write) only when the budget alone is not
 * enough. */
static uint64_t fits(rec_kind k, size_t bytes)
{
    uint64_t want = records_used() + bytes;
    uint64_t lim = kind_bytes(k, budget);
    if (want > lim)
        lim = kind_bytes(k, budget + stacks_inuse_total() / 16);
    return want <= lim ? lim : 0;
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

/* bytes from the current chunk at a multiple of align (a power of two up
 * to 64, which chunks are mapped at); *took, when given, what that used
 * of the chunks, its padding included. */
static void *chunk_alloc(size_t bytes, size_t align, uint64_t *took)
{
    bytes = (bytes + 15) & ~(size_t)15;
    spin_lock(&chunk_lock);
    char *from = chunk_cur;
    chunk_cur = (char *)(((uintptr_t)chunk_cur + align - 1) & ~(uintptr_t)(align - 1));
    if (chunk_cur > chunk_end || (size_t)(chunk_end - chunk_cur) < bytes) {
        /* The tail of the old chunk is abandoned: at most one record's worth
         * per chunk. */
        size_t size = chunk_total >= CHUNK_BYTES ? CHUNK_BYTES
                      : chunk_total >= CHUNK_MIN ? (size_t)chunk_total
                                                 : CHUNK_MIN;
        char *c = mem_map(size);
        if (!c) {
            spin_unlock(&chunk_lock);
            return NULL;
        }
        from = chunk_cur = c;
        chunk_end = c + size;
        /* stacks_bytes reads it without the lock. */
        __atomic_store_n(&chunk_total, chunk_total + size, __ATOMIC_RELAXED);
    }
    void *r = chunk_cur;
    chunk_cur += bytes;
    /* Used: what this took, its alignment's padding included.  Release:
     * a thread that finds no room by this value must then see the stripe
     * lock its taker holds (intern_hashed). */
    __atomic_store_n(&chunk_used, chunk_used + (uint64_t)(chunk_cur - from), __ATOMIC_RELEASE);
    if (took)
        *took = (uint64_t)(chunk_cur - from);
    spin_unlock(&chunk_lock);
    return r;
}

/* The record of a stack of kind k, created if there is room for it. */
static stack_rec *intern_hashed(uint64_t h, const uint64_t *pcs, uint32_t depth, uint32_t labels,
                                rec_kind k)
{
    if (!buckets)
        return NULL;
    stack_rec **b = &buckets[h & (nbuckets - 1)];
    stack_rec *r = find(__atomic_load_n(b, __ATOMIC_ACQUIRE), h, pcs, depth, labels);
    if (r)
        return r;
    size_t bytes = sizeof(stack_counts) + sizeof *r + depth * sizeof *pcs;
    /* The byte limit, before the lock (the heap's share is 16 loads of
     * lines other CPUs write: nothing slow under it). */
    uint64_t lim = fits(k, bytes);
    int *stripe = &stripes[h % NSTRIPES];
    if (!lim || __atomic_load_n(&next_id, __ATOMIC_RELAXED) >= id_limit(k)) {
        /* No room.  But another thread may be inserting this very stack,
         * whole, with the table's last room since the lookup above, and
         * this sample must then go to that record, not be merged.  Such an
         * insert holds the stack's stripe lock while it takes the room
         * (next_id, chunk_used: release stores, which the fence pairs with),
         * so if the lock reads free here, an insert whose taking these
         * limits saw has released it and is visible to a second lookup, and
         * one that had not started could take no room these limits lacked
         * (unless its own limit had more of the heap's share: finding 25).
         * If it is held, wait for it.  So a full table costs a sample a
         * second lookup, not a lock (2.8 % of sites' CPU at 4 KiB).  The id
         * is read again after a miss: an insert that ran out of memory gives
         * its id back before it unlocks. */
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (!__atomic_load_n(stripe, __ATOMIC_ACQUIRE)) {
            r = find(__atomic_load_n(b, __ATOMIC_ACQUIRE), h, pcs, depth, labels);
            if (r || !lim || __atomic_load_n(&next_id, __ATOMIC_RELAXED) >= id_limit(k))
                return r;
        }
    }
    spin_lock(stripe);
    /* Looked up again even when there is no room: see above. */
    r = find(__atomic_load_n(b, __ATOMIC_ACQUIRE), h, pcs, depth, labels);
    if (r)
        goto out;
    /* Other stripes insert at the same time: the id is taken only while
     * the kind's limit allows it; the bytes, which several inserts at once
     * overshoot by a record each at most.  A limit read before the budget
     * was crossed (no heap share in it) may refuse a stack that budget +
     * heap/16 would take: only while the budget is being crossed. */
    if (!lim || records_used() + bytes > lim)
        goto out;
    uint32_t id = __atomic_load_n(&next_id, __ATOMIC_RELAXED);
    do
        if (id >= id_limit(k))
            goto out;
    while (!__atomic_compare_exchange_n(&next_id, &id, id + 1, true, __ATOMIC_RELEASE,
                                        __ATOMIC_RELAXED)); /* release: as chunk_used's */
    stack_counts *c0 = chunk_alloc(sizeof *c0, 64, NULL);
    r = c0 ? chunk_alloc(sizeof *r + depth * sizeof *pcs, 16, NULL) : NULL;
    if (!r) {
        /* Give the id back only if nobody took a later one; otherwise the
         * hole in the ids is harmless (stacks_get returns NULL for it). */
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
    r->merged = depth && pcs[depth - 1] == STACKS_MERGED_PC;
    memset(c0, 0, sizeof *c0);
    r->counts[0] = c0;
    if (depth) /* an empty stack may come with pcs == NULL: no memcpy then */
        memcpy(r->pcs, pcs, depth * sizeof *pcs);
    r->next_hash = *b;
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

/* No room for the whole stack: its leaf STACKS_MERGED_KEEP frames under
 * the marker frame, or failing that the marker alone (stacks.h, "Bounds").
 * A stack that is already merged (label adoption re-interns one) keeps its
 * frames.  Out of line: past the bound only. */
static __attribute__((noinline, cold)) stack_rec *intern_merged(const uint64_t *pcs,
                                                                 uint32_t depth, uint32_t labels)
{
    uint64_t site[STACKS_MERGED_KEEP + 1];
    if (depth && pcs[depth - 1] == STACKS_MERGED_PC)
        depth--;
    uint32_t n = depth < STACKS_MERGED_KEEP ? depth : STACKS_MERGED_KEEP;
    if (n)
        memcpy(site, pcs, n * sizeof *pcs);
    site[n++] = STACKS_MERGED_PC;
    stack_rec *r = intern_hashed(hash_pcs(site, n, labels), site, n, labels, SITE);
    if (!r)
        r = intern_hashed(hash_pcs(site + n - 1, 1, labels), site + n - 1, 1, labels, OTHER);
    return r;
}

static inline stack_rec *intern_whole(uint64_t h, const uint64_t *pcs, uint32_t depth,
                                      uint32_t labels)
{
    stack_rec *r = intern_hashed(h, pcs, depth, labels, WHOLE);
    return hp_likely(r != NULL) ? r : intern_merged(pcs, depth, labels);
}

void stacks_prefetch(const stack_rec *last)
{
    if (!last)
        return;
    /* The header, counts[] and lifetimes (the first 112 bytes), then the
     * first 10 pcs: three lines' worth from its start (chunks align a
     * record to 16 only, so the last of up to four lines it spans may be
     * left out). */
    const char *r = (const char *)last;
    __builtin_prefetch(r);
    __builtin_prefetch(r + 64);
    __builtin_prefetch(r + 128);
}

void stacks_prefetch_counts(const stack_rec *last, unsigned shard)
{
    if (!last)
        return;
    /* Unlocked: a counter block, once published, never moves. */
    const stack_counts *c = __atomic_load_n(&last->counts[shard % STACKS_SHARDS], __ATOMIC_RELAXED);
    if (c)
        __builtin_prefetch(&c->alloc, 1);
}

stack_rec *stacks_intern_like(stack_rec *last, const uint64_t *pcs, uint32_t depth, uint32_t labels)
{
    uint64_t h = hash_pcs(pcs, depth, labels);
    if (last && last->hash == h && last->depth == depth && last->labels == labels &&
        (depth == 0 || !memcmp(last->pcs, pcs, depth * sizeof *pcs)))
        return last;
    return intern_whole(h, pcs, depth, labels);
}

stack_rec *stacks_intern(const uint64_t *pcs, uint32_t depth, uint32_t labels)
{
    return intern_whole(hash_pcs(pcs, depth, labels), pcs, depth, labels);
}

stack_rec *stacks_get(uint32_t id)
{
    /* A walk of the records' list: only tests look records up by id.  An
     * array of max_stacks pointers did it in one load, but it was 2 MiB of
     * address space at the default bound, which counts against a program's
     * RLIMIT_MEMLOCK when it calls mlockall (docs/evidence.md), and read by
     * nothing else. */
    for (stack_rec *r = stacks_first(); r; r = r->next_all)
        if (r->id == id)
            return r;
    return NULL;
}

/* Doubles have no atomic add; a compare-and-swap loop on the same memory.
 * Only for `adj`, which is rare and which any shard may change. */
static void add_double(double *d, double v)
{
    double old, sum;
    __atomic_load(d, &old, __ATOMIC_RELAXED);
    do
        sum = old + v;
    while (!__atomic_compare_exchange(d, &old, &sum, true, __ATOMIC_RELEASE, __ATOMIC_RELAXED));
}

/* adj (and the lifetime bands, stacks_add_freed), shared by every shard:
 * atomic adds.  They are release operations and readers load adj (and
 * the bands) before `alloc` with acquire loads (stacks_read, dump.c's
 * split_lifetimes): a change that a reader sees then comes with the
 * allocation it undid (or freed). */
static void adj_add(stack_totals *t, const stack_sample *x, int sign)
{
    if (sign > 0) {
        __atomic_add_fetch(&t->objs, x->objs, __ATOMIC_RELEASE);
        __atomic_add_fetch(&t->bytes, x->bytes, __ATOMIC_RELEASE);
        __atomic_add_fetch(&t->samples, 1, __ATOMIC_RELEASE);
    } else {
        __atomic_sub_fetch(&t->objs, x->objs, __ATOMIC_RELEASE);
        __atomic_sub_fetch(&t->bytes, x->bytes, __ATOMIC_RELEASE);
        __atomic_sub_fetch(&t->samples, 1, __ATOMIC_RELEASE);
    }
    if (x->var_objs != 0) {
        add_double(&t->var_objs, sign * x->var_objs);
        add_double(&t->var_bytes, sign * x->var_bytes);
    }
}

/* Adds by the holder of the shard's lock, the only writer of its fields:
 * a load and a store, no locked instruction.  Atomic all the same, so that
 * readers, who take no lock, never see a torn value (and TSan agrees). */
static inline void owned_add(uint64_t *p, uint64_t v, int order)
{
    __atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) + v, order);
}

static inline void owned_add_double(double *p, double v, int order)
{
    double old;
    __atomic_load(p, &old, __ATOMIC_RELAXED);
    old += v;
    __atomic_store(p, &old, order);
}

static inline void owned_totals_add(stack_totals *t, const stack_sample *x, int order)
{
    owned_add(&t->objs, x->objs, order);
    owned_add(&t->bytes, x->bytes, order);
    owned_add(&t->samples, 1, order);
    if (x->var_objs != 0) {
        owned_add_double(&t->var_objs, x->var_objs, order);
        owned_add_double(&t->var_bytes, x->var_bytes, order);
    }
}

/* The CPU, read where sched_getcpu() reads it: glibc keeps each thread's
 * rseq area at __rseq_offset from the thread pointer (<sys/rseq.h>, 2.35
 * and later, as _dl_find_object in cfi.c needs anyway), and the kernel
 * keeps the thread's CPU in its cpu_id while the thread is registered;
 * negative otherwise (under valgrind, or with the glibc.pthread.rseq
 * tunable at 0), and then sched_getcpu() asks the kernel.  One load where
 * sched_getcpu() is a call through the PLT and some fifteen instructions
 * around the same load; twice a sample (the sample and its free). */
unsigned stacks_shard(void)
{
    int cpu = -1;
#if defined(__x86_64__)
    uintptr_t tp;
    __asm__("movq %%fs:0, %0" : "=r"(tp));
    const struct rseq *rs = (const struct rseq *)(tp + (uintptr_t)__rseq_offset);
    cpu = (int32_t)__atomic_load_n(&rs->cpu_id, __ATOMIC_RELAXED);
#endif
    if (cpu < 0)
        cpu = sched_getcpu();
    return cpu < 0 ? 0 : (unsigned)cpu % STACKS_SHARDS;
}

/* An extra block holds `alloc` alone, one line: `adj` is block 0's only,
 * and nothing reads or writes past `alloc` in the others, so they take
 * half of a stack_counts (64 of 128 bytes, of ~450 a record). */
enum { EXTRA_BLOCK = 64 };
_Static_assert(offsetof(stack_counts, adj) <= EXTRA_BLOCK, "alloc in an extra block");

/* Maps s's block for this shard: NULL past the budget or when memory runs
 * out (block 0 is always there). */
static __attribute__((noinline)) stack_counts *map_counts(stack_rec *s, unsigned shard)
{
    stack_counts **slot = &s->counts[shard];
    stack_counts *c = NULL;
    uint64_t left = __atomic_load_n(&blocks_left, __ATOMIC_RELAXED);
    /* Merged records are exempt from the byte bound: they are few (1/8 of
     * the ids at most) and each is the stack of many samples, on every
     * CPU, which without blocks of their own would all meet on shard 0. */
    if (!left || (!s->merged && !fits(SITE, EXTRA_BLOCK)))
        return NULL;
    do
        if (!left)
            return NULL;
    while (!__atomic_compare_exchange_n(&blocks_left, &left, left - 1, true, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED));
    stack_counts *fresh = chunk_alloc(EXTRA_BLOCK, 64, NULL);
    if (!fresh) {
        __atomic_add_fetch(&blocks_left, 1, __ATOMIC_RELAXED);
        return NULL;
    }
    memset(fresh, 0, EXTRA_BLOCK);
    if (__atomic_compare_exchange_n(slot, &c, fresh, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return fresh;
    return c; /* another thread published one first; ours is abandoned */
}

static inline stack_counts *counts(stack_rec *s, unsigned shard)
{
    stack_counts *c = __atomic_load_n(&s->counts[shard], __ATOMIC_ACQUIRE);
    return hp_likely(c != NULL) ? c : map_counts(s, shard);
}

static inline bool shard_try(unsigned k)
{
    return !__atomic_load_n(&sums[k].lock, __ATOMIC_RELAXED) &&
           !__atomic_exchange_n(&sums[k].lock, 1, __ATOMIC_ACQUIRE);
}

/* Take a shard, starting with `want`: the first one whose lock is free and
 * for which s has (or can map) a block; *c is that block.  Each try is a
 * load, then one exchange if the lock looked free.
 * The holder never waits for anything, so a writer goes round the whole
 * ring only when every shard it could use is held: by preempted holders,
 * by the fork handlers (stacks_lock_all), or, past the block budget, by
 * whoever holds shard 0.  It then yields and tries again.  A signal handler
 * never waits for its own thread: the paths that hold a shard run under
 * the thread's guard (profiler.c), which sends the handler's allocations
 * around the profiler. */
static __attribute__((noinline)) unsigned shard_enter_slow(stack_rec *s, unsigned want,
                                                           stack_counts **c)
{
    for (;;) {
        for (unsigned i = 0; i < STACKS_SHARDS; i++) {
            unsigned k = (want + i) % STACKS_SHARDS;
            if (__atomic_load_n(&sums[k].lock, __ATOMIC_RELAXED))
                continue;
            stack_counts *b = counts(s, k);
            if (!b)
                continue; /* no block for k: block 0 is always there */
            if (shard_try(k)) {
                *c = b;
                return k;
            }
        }
        sched_yield();
    }
}

/* The common case inline: want's block exists and its lock is free. */
static inline unsigned shard_enter(stack_rec *s, unsigned want, stack_counts **c)
{
    stack_counts *b = __atomic_load_n(&s->counts[want], __ATOMIC_ACQUIRE);
    if (hp_likely(b != NULL) && hp_likely(shard_try(want))) {
        *c = b;
        return want;
    }
    return shard_enter_slow(s, want, c);
}

static void shard_leave(unsigned k) { __atomic_store_n(&sums[k].lock, 0, __ATOMIC_RELEASE); }

void stacks_add_alloc(stack_rec *s, unsigned shard, const stack_sample *x)
{
    stack_counts *c;
    unsigned k = shard_enter(s, shard % STACKS_SHARDS, &c);
    owned_totals_add(&c->alloc, x, __ATOMIC_RELAXED);
    owned_add(&sums[k].came_bytes, x->bytes, __ATOMIC_RELAXED);
    owned_add(&sums[k].samples, 1, __ATOMIC_RELAXED);
    owned_add(&sums[k].merged, s->merged, __ATOMIC_RELAXED); /* no branch */
    shard_leave(k);
}

/* Without the shard's lock: `gone` is the one field a thread that does not
 * hold it adds to, so every add to it is a locked one (release, so that a
 * reader who sees it sees the `came` it follows, see stacks_inuse_total).
 * The line is the CPU's shard's, which its samples keep in this core. */
void stacks_gone(unsigned shard, uint64_t bytes)
{
    __atomic_add_fetch(&sums[shard % STACKS_SHARDS].gone_bytes, bytes, __ATOMIC_RELEASE);
}

void stacks_unfollow(stack_rec *s, unsigned shard, const stack_sample *x)
{
    adj_add(&s->counts[0]->adj, x, -1);
    stacks_gone(shard, x->bytes);
}

/* Mapped from the same chunks as extra counter blocks are (map_counts),
 * within an allowance of their own (life_used): a quarter of the byte
 * budget, room for 6144 blocks at the default HEAPPROF_STACK_MEMORY,
 * merged records included, so that it bounds them all (threads at the
 * bound may overshoot it by a block each).  Past it, a stack without its
 * block counts no lifetimes (stacks_lifetimes_lost).  A block that loses
 * the publishing race is abandoned. */
static __attribute__((noinline)) stack_lifetimes *map_lifetimes(stack_rec *s)
{
    stack_lifetimes *l = NULL;
    uint64_t took = 0;
    /* whole lines, so that the padding before the next record is not its */
    size_t bytes = (sizeof *l + 63) & ~(size_t)63;
    if (__atomic_load_n(&life_used, __ATOMIC_RELAXED) + bytes > budget / 4)
        return NULL;
    stack_lifetimes *fresh = chunk_alloc(bytes, 64, &took);
    if (!fresh)
        return NULL;
    __atomic_add_fetch(&life_used, took, __ATOMIC_RELEASE);
    memset(fresh, 0, sizeof *fresh);
    if (__atomic_compare_exchange_n(&s->lifetimes, &l, fresh, false, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE))
        return fresh;
    return l;
}

/* Sampled frees whose lifetime was not counted: no block for their stack. */
static uint64_t lifetimes_lost;

uint64_t stacks_lifetimes_lost(void) { return __atomic_load_n(&lifetimes_lost, __ATOMIC_RELAXED); }

void stacks_add_freed(stack_rec *s, uint32_t lifetime, const stack_sample *x)
{
    stack_lifetimes *l = __atomic_load_n(&s->lifetimes, __ATOMIC_ACQUIRE);
    if (hp_unlikely(!l) && !(l = map_lifetimes(s))) {
        __atomic_add_fetch(&lifetimes_lost, 1, __ATOMIC_RELAXED);
        return;
    }
    adj_add(&l->band[ages_lifetime_band(lifetime)], x, 1);
}

void stacks_move_inuse(stack_rec *from, stack_rec *to, const stack_sample *x)
{
    adj_add(&from->counts[0]->adj, x, -1);
    adj_add(&to->counts[0]->adj, x, 1);
}

static void load_totals(const stack_totals *t, stack_totals *v)
{
    v->objs = __atomic_load_n(&t->objs, __ATOMIC_ACQUIRE);
    v->bytes = __atomic_load_n(&t->bytes, __ATOMIC_ACQUIRE);
    v->samples = __atomic_load_n(&t->samples, __ATOMIC_ACQUIRE);
    __atomic_load(&t->var_objs, &v->var_objs, __ATOMIC_ACQUIRE);
    __atomic_load(&t->var_bytes, &v->var_bytes, __ATOMIC_ACQUIRE);
}

uint32_t stacks_read_lifetimes(const stack_rec *r, stack_totals *out)
{
    const stack_lifetimes *l = __atomic_load_n(&r->lifetimes, __ATOMIC_ACQUIRE);
    uint32_t mask = 0;
    for (unsigned b = 0; b < AGES_LIFETIMES; b++) {
        if (l)
            load_totals(&l->band[b], &out[b]);
        else
            out[b] = (stack_totals){0};
        mask |= (out[b].samples != 0) << b;
    }
    return mask;
}

/* *acc += sign * t (integers modulo 2^64, as they were counted). */
static void accumulate(stack_totals *acc, const stack_totals *t, int sign)
{
    acc->objs += sign > 0 ? t->objs : -t->objs;
    acc->bytes += sign > 0 ? t->bytes : -t->bytes;
    acc->samples += sign > 0 ? t->samples : -t->samples;
    acc->var_objs += sign * t->var_objs;
    acc->var_bytes += sign * t->var_bytes;
}

/* adj before alloc (see adj_add). */
void stacks_read(const stack_rec *r, stack_view *v)
{
    memset(v, 0, sizeof *v);
    stack_totals t, adj;
    load_totals(&r->counts[0]->adj, &adj);
    for (int i = 0; i < STACKS_SHARDS; i++) {
        const stack_counts *c = __atomic_load_n(&r->counts[i], __ATOMIC_ACQUIRE);
        if (!c)
            continue;
        load_totals(&c->alloc, &t);
        accumulate(&v->alloc, &t, 1);
    }
    v->held = v->alloc;
    accumulate(&v->held, &adj, 1);
}

/* a - b, or 0 below zero.  Signed: held itself reads below zero (modulo
 * 2^64) when an adoption's subtraction is seen before its sample's count. */
static uint64_t minus(uint64_t a, uint64_t b)
{
    int64_t d = (int64_t)(a - b);
    return d > 0 ? (uint64_t)d : 0;
}

static double minus_d(double a, double b) { return a > b ? a - b : 0; }

stack_totals stacks_freed(const stack_totals *held, const stack_totals *inuse)
{
    return (stack_totals){minus(held->objs, inuse->objs), minus(held->bytes, inuse->bytes),
                          minus(held->samples, inuse->samples),
                          minus_d(held->var_objs, inuse->var_objs),
                          minus_d(held->var_bytes, inuse->var_bytes)};
}

/* One of sums[]'s counters (the field at offset off), added over the
 * shards. */
#define SUMS_AT(field) offsetof(__typeof__(sums[0]), field)
static uint64_t sum_shards(size_t off)
{
    uint64_t t = 0;
    for (int i = 0; i < STACKS_SHARDS; i++)
        t += __atomic_load_n((const uint64_t *)((const char *)&sums[i] + off), __ATOMIC_ACQUIRE);
    return t;
}

uint64_t stacks_inuse_total(void)
{
    uint64_t gone = sum_shards(SUMS_AT(gone_bytes)); /* first: see sums */
    uint64_t came = sum_shards(SUMS_AT(came_bytes));
    return came > gone ? came - gone : 0;
}

uint64_t stacks_samples(void) { return sum_shards(SUMS_AT(samples)); }
uint64_t stacks_merged(void) { return sum_shards(SUMS_AT(merged)); }

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
    for (int i = 0; i < STACKS_SHARDS; i++)
        spin_lock(&sums[i].lock);
}

void stacks_unlock_all(void)
{
    for (int i = STACKS_SHARDS - 1; i >= 0; i--)
        spin_unlock(&sums[i].lock);
    spin_unlock(&chunk_lock);
    for (int i = NSTRIPES - 1; i >= 0; i--)
        spin_unlock(&stripes[i]);
}

void stacks_hold_shard(unsigned k, int hold)
{
    __atomic_store_n(&sums[k % STACKS_SHARDS].lock, hold != 0, __ATOMIC_RELEASE);
}

void stacks_reset(void)
{
    /* Chunks are not tracked individually; tests are short-lived. */
    mem_unmap(buckets, (size_t)nbuckets * sizeof *buckets);
    buckets = NULL;
    nbuckets = 0;
    next_id = 0;
    all_head = NULL;
    chunk_cur = chunk_end = NULL;
    chunk_total = chunk_used = life_used = 0;
    lifetimes_lost = 0;
    blocks_left = 0;
    budget = 0;
    memset(sums, 0, sizeof sums);
}

/* Unit tests: stack interning and per-stack totals (stacks.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <time.h>

#include "mem.h"
#include "stacks.h"

static int setup(void **state)
{
    stacks_reset();
    assert_int_equal(stacks_init(1000, 1ULL << 30), 0);
    return 0;
}

/* stacks_intern_like takes the thread's last record only for the very
 * same stack: same pcs, depth and labels; anything else is interned as
 * stacks_intern would, and a NULL memo is no memo. */
static void intern_like(void **state)
{
    uint64_t a[] = {0x401000, 0x402000, 0x403000}, b[] = {0x401000, 0x402000, 0x403004};
    stack_rec *ra = stacks_intern(a, 3, 0), *rb = stacks_intern(b, 3, 0);
    assert_ptr_equal(stacks_intern_like(ra, a, 3, 0), ra);
    assert_ptr_equal(stacks_intern_like(NULL, a, 3, 0), ra);
    assert_ptr_equal(stacks_intern_like(ra, b, 3, 0), rb);     /* other pcs */
    stack_rec *rp = stacks_intern_like(ra, a, 2, 0);           /* a prefix */
    assert_ptr_not_equal(rp, ra);
    assert_int_equal(rp->depth, 2);
    stack_rec *rl = stacks_intern_like(ra, a, 3, 5);           /* other labels */
    assert_ptr_not_equal(rl, ra);
    assert_int_equal(rl->labels, 5);
    stack_rec *r0 = stacks_intern_like(ra, NULL, 0, 0);        /* empty stack */
    assert_int_equal(r0->depth, 0);
    assert_ptr_equal(stacks_intern_like(r0, NULL, 0, 0), r0);
    assert_ptr_equal(stacks_intern(NULL, 0, 0), r0);
    assert_int_equal(stacks_count(), 5);
    /* The prefetches accept NULL and any shard number. */
    stacks_prefetch(NULL);
    stacks_prefetch_counts(NULL, 3);
    stacks_prefetch(ra);
    stacks_prefetch_counts(ra, 1234);
}

static void intern_dedup(void **state)
{
    uint64_t a[] = {0x401000, 0x402000, 0x403000}, b[] = {0x401000, 0x402000, 0x403004};
    stack_rec *ra = stacks_intern(a, 3, 0), *rb = stacks_intern(b, 3, 0);
    assert_non_null(ra);
    assert_non_null(rb);
    assert_ptr_not_equal(ra, rb);
    assert_ptr_equal(stacks_intern(a, 3, 0), ra);
    /* A prefix is a different stack. */
    stack_rec *rp = stacks_intern(a, 2, 0);
    assert_ptr_not_equal(rp, ra);
    assert_int_equal(rp->depth, 2);
    assert_memory_equal(ra->pcs, a, sizeof a);
    assert_int_equal(stacks_count(), 3);
    /* Ids are dense and map back. */
    assert_ptr_equal(stacks_get(ra->id), ra);
    assert_ptr_equal(stacks_get(rb->id), rb);
    assert_ptr_equal(stacks_get(rp->id), rp);
    assert_null(stacks_get(999));
    /* The empty stack is a stack too (an unwinder that found nothing). */
    assert_non_null(stacks_intern(NULL, 0, 0));
}

static void all_list(void **state)
{
    uint64_t pc[1];
    for (uint64_t i = 0; i < 500; i++) {
        pc[0] = 0x1000 + i;
        assert_non_null(stacks_intern(pc, 1, 0));
    }
    int n = 0;
    uint8_t seen[500] = {0};
    for (stack_rec *r = stacks_first(); r; r = r->next_all) {
        assert_true(r->pcs[0] >= 0x1000 && r->pcs[0] < 0x1000 + 500);
        assert_false(seen[r->pcs[0] - 0x1000]);
        seen[r->pcs[0] - 0x1000] = 1;
        n++;
    }
    assert_int_equal(n, 500);
}

/* What a reader derives for r: its counts (stacks_read), and freed given
 * an in-use share.  view and view_live keep the names they had when
 * stacks_read returned this itself. */
typedef struct seen {
    stack_totals alloc, freed;
} seen;

/* With the in-use share live_fold would find for r: k live samples like x. */
static seen view_live(const stack_rec *r, const stack_sample *x, int k)
{
    stack_totals in = {x->objs * k, x->bytes * k, (uint64_t)k, x->var_objs * k, x->var_bytes * k};
    stack_view v;
    stacks_read(r, &v);
    return (seen){v.alloc, stacks_freed(&v.held, &in)};
}

/* With nothing in use. */
static seen view(const stack_rec *r) { return view_live(r, &(stack_sample){0}, 0); }

/* The same stack under two label sets is two records.  An adopted sample's
 * live entry names the new record; adj moves it out of the old one and
 * into the new, so the move is a free in neither, and the old one keeps
 * the allocation.  The process's total does not move. */
static void labels_key(void **state)
{
    uint64_t pc[] = {0x500, 0x600};
    stack_rec *a = stacks_intern(pc, 2, 0), *b = stacks_intern(pc, 2, 7);
    assert_ptr_not_equal(a, b);
    assert_int_equal(b->labels, 7);
    assert_ptr_equal(stacks_intern(pc, 2, 7), b);
    stack_sample x = stacks_weigh(64, 1.0);
    stacks_add_alloc(a, 0, &x);
    assert_int_equal(view_live(a, &x, 1).freed.bytes, 0);
    stacks_move_inuse(a, b, &x);
    seen va = view(a), vb = view_live(b, &x, 1);
    assert_int_equal(va.alloc.bytes, 64);
    assert_int_equal(va.freed.bytes, 0);
    assert_int_equal(va.freed.samples, 0);
    assert_int_equal(vb.alloc.bytes, 0);
    assert_int_equal(vb.freed.bytes, 0);
    assert_int_equal(vb.freed.samples, 0);
    assert_int_equal(stacks_inuse_total(), 64);
    /* Freed from b: its entry is gone, and b reads it as freed. */
    stacks_gone(2, x.bytes);
    vb = view(b);
    assert_int_equal(vb.freed.bytes, 64);
    assert_int_equal(vb.freed.objs, 65536);
    assert_int_equal(view(a).freed.bytes, 0);
    assert_int_equal(stacks_inuse_total(), 0);
    /* An adoption seen before its sample's count: c's held reads below
     * zero (modulo 2^64), and nothing reads as freed. */
    stack_rec *c = stacks_intern(pc, 2, 9);
    stacks_move_inuse(c, b, &x);
    seen vc = view(c);
    assert_int_equal(vc.freed.bytes, 0);
    assert_int_equal(vc.freed.objs, 0);
    assert_int_equal(vc.freed.samples, 0);
    assert_true(vc.freed.var_bytes == 0 && vc.freed.var_objs == 0);
}

/* freed = held - in use, each field on its own: a reading caught between
 * a fold and a count may be below zero in one field and not in another,
 * and the one above zero is kept. */
static void freed_by_field(void **state)
{
    (void)state;
    stack_totals held = {100, 10, 3, 4.0, 1.0}, in = {40, 30, 1, 1.0, 2.0};
    stack_totals f = stacks_freed(&held, &in);
    assert_int_equal(f.objs, 60);
    assert_int_equal(f.bytes, 0);
    assert_int_equal(f.samples, 2);
    assert_true(f.var_objs == 3.0 && f.var_bytes == 0);
    /* A held total below zero modulo 2^64 frees nothing. */
    stack_totals wrapped = {(uint64_t)-3, (uint64_t)-30, (uint64_t)-1, -1.0, -2.0};
    f = stacks_freed(&wrapped, &in);
    assert_int_equal(f.objs, 0);
    assert_int_equal(f.bytes, 0);
    assert_int_equal(f.samples, 0);
}

/* The count bound (1000 here): 7/8 of the ids for whole stacks, then
 * each new stack merged to its leaf frames under the marker, until 15/16;
 * then the marker alone, one record per label set, until every id is
 * taken, and only then NULL.  Nothing that was merged is lost: each
 * merged stack is one record, found again. */
static void bound(void **state)
{
    uint64_t pc[6] = {1, 2, 3, 4, 5, 0};
    for (uint64_t i = 0; i < 1000 - 1000 / 8; i++) {
        pc[5] = i;
        stack_rec *r = stacks_intern(pc, 6, 0);
        assert_non_null(r);
        assert_int_equal(r->merged, 0);
        assert_int_equal(r->depth, 6);
    }
    /* Merged: the 4 innermost frames (so stacks that differ only further
     * out share one), under the marker. */
    pc[5] = 875;
    stack_rec *m = stacks_intern(pc, 6, 0), *again = stacks_intern((uint64_t[]){1, 2, 3, 4, 9}, 5, 0);
    assert_ptr_equal(m, again);
    assert_int_equal(m->merged, 1);
    assert_int_equal(m->depth, 5);
    assert_memory_equal(m->pcs, ((uint64_t[]){1, 2, 3, 4, STACKS_MERGED_PC}), 5 * sizeof(uint64_t));
    assert_int_equal(stacks_count(), 1000 - 1000 / 8 + 1);
    /* Known stacks are still found whole when full. */
    pc[5] = 17;
    assert_int_equal(stacks_intern(pc, 6, 0)->merged, 0);
    /* Shallow stacks keep what they have; ids run out at 15/16. */
    uint64_t two[2] = {7, 0};
    for (uint64_t i = 0; stacks_count() < 1000 - 1000 / 16; i++) {
        two[1] = i;
        stack_rec *r = stacks_intern(two, 2, 0);
        assert_int_equal(r->depth, 3);
        assert_int_equal(r->pcs[2], STACKS_MERGED_PC);
    }
    two[1] = 99999;
    stack_rec *other = stacks_intern(two, 2, 0);
    assert_int_equal(other->merged, 1);
    assert_int_equal(other->depth, 1);
    assert_int_equal(other->pcs[0], STACKS_MERGED_PC);
    assert_ptr_equal(stacks_intern(pc, 3, 0), other); /* any new stack */
    assert_int_equal(stacks_count(), 1000 - 1000 / 16 + 1);
    /* The marker alone, by label set, until no id is left. */
    for (uint32_t l = 1; stacks_count() < 1000; l++) {
        stack_rec *r = stacks_intern(two, 2, l);
        assert_int_equal(r->depth, 1);
        assert_int_equal(r->labels, l);
    }
    assert_null(stacks_intern(two, 2, 5000));
    assert_ptr_equal(stacks_intern(two, 2, 0), other);
    /* Label adoption re-interns a record's frames with other labels: a
     * merged one stays merged, with its frames (here, the marker's record
     * of that label set, which exists). */
    stack_rec *a = stacks_intern(m->pcs, m->depth, 1);
    assert_int_equal(a->merged, 1);
    assert_int_equal(a->labels, 1);
}

/* Threads interning new stacks across the bounds at once: every kind
 * keeps to its ids, none is lost or torn, no call fails while ids last. */
enum { AT_BOUND_THREADS = 4, AT_BOUND_STACKS = 2000 };

static void *at_bound_worker(void *arg)
{
    uint64_t t = (uintptr_t)arg;
    uint64_t pc[6] = {0x100 + t, 0x200, 0x300, 0x400, 0x500, 0};
    stack_sample x = stacks_weigh(8, 1.0);
    for (uint64_t i = 0; i < AT_BOUND_STACKS; i++) {
        pc[5] = i;
        pc[1] = 0x200 + i % 3; /* a few sites per thread when merged */
        stack_rec *r = stacks_intern(pc, 6, 0);
        if (!r)
            return (void *)1;
        stacks_add_alloc(r, (unsigned)t, &x);
    }
    return NULL;
}

static void concurrent_at_bound(void **state)
{
    pthread_t th[AT_BOUND_THREADS];
    for (uintptr_t i = 0; i < AT_BOUND_THREADS; i++)
        pthread_create(&th[i], NULL, at_bound_worker, (void *)i);
    for (int i = 0; i < AT_BOUND_THREADS; i++) {
        void *res;
        pthread_join(th[i], &res);
        assert_null(res);
    }
    uint64_t n = stacks_count(), whole = 0, merged = 0, samples = 0;
    assert_true(n <= 1000);
    for (uint32_t id = 0; id < n; id++) {
        stack_rec *r = stacks_get(id);
        assert_non_null(r); /* dense: no id given back out of order */
        assert_int_equal(r->id, id);
        uint64_t s = view(r).alloc.samples;
        samples += s;
        if (r->merged) {
            merged += s;
            assert_int_equal(r->pcs[r->depth - 1], STACKS_MERGED_PC);
            if (r->depth > 1)
                assert_true(id < 1000 - 1000 / 16);
        } else {
            whole++;
            assert_true(id < 1000 - 1000 / 8);
            assert_int_equal(r->depth, 6);
        }
    }
    assert_int_equal(whole, 1000 - 1000 / 8);
    assert_int_equal(samples, AT_BOUND_THREADS * AT_BOUND_STACKS);
    assert_int_equal(stacks_samples(), samples);
    assert_int_equal(stacks_merged(), merged);
    assert_int_equal(merged, samples - whole);
}

/* Two threads interning the same new stacks in step across the count
 * bound: the one that loses the race for the last whole id must find the
 * record the other just made, not merge a stack that is whole.  (Without
 * the second lookup, about 1 run in 100 merged it.)  Many short
 * runs, as the window is a few instructions wide. */
enum { SAME_RUNS = 1500, SAME_STACKS = 64 };
static stack_rec *same_got[2][SAME_STACKS];
static pthread_barrier_t same_go;

static void *same_worker(void *arg)
{
    uintptr_t t = (uintptr_t)arg;
    uint64_t pc[3] = {0x1000, 0x2000, 0};
    pthread_barrier_wait(&same_go);
    for (uint64_t i = 0; i < SAME_STACKS; i++) {
        pc[2] = i;
        same_got[t][i] = stacks_intern(pc, 3, 0);
    }
    return NULL;
}

static void concurrent_same_at_bound(void **state)
{
    unsigned both = 0;
    for (int run = 0; run < SAME_RUNS; run++) {
        stacks_reset();
        assert_int_equal(stacks_init(64, 1ULL << 30), 0); /* 56 whole ids */
        pthread_barrier_init(&same_go, NULL, 2);
        pthread_t th;
        pthread_create(&th, NULL, same_worker, (void *)1);
        same_worker((void *)0);
        pthread_join(th, NULL);
        pthread_barrier_destroy(&same_go);
        for (int i = 0; i < SAME_STACKS; i++) {
            stack_rec *a = same_got[0][i], *b = same_got[1][i];
            assert_non_null(a);
            assert_non_null(b);
            both += (!a->merged || !b->merged) && a != b; /* whole, and two records */
        }
    }
    assert_int_equal(both, 0);
}

/* The byte bound: whole stacks while the records fit in the budget plus
 * 1/16 of the live heap, merged ones in a quarter more, then the marker
 * alone.  The budget grows with the heap. */
static void byte_bound(void **state)
{
    stacks_reset();
    assert_int_equal(stacks_init(1000, 4096), 0);
    uint64_t pc[6] = {1, 2, 3, 4, 5, 0};
    stack_rec *r;
    uint64_t i = 0, whole = 0;
    for (; (r = stacks_intern(pc, 6, 0))->merged == 0; pc[5] = ++i)
        whole++;
    /* A whole record here: a 128-byte counter block at a multiple of 64
     * and a 152-byte header and frames (160 in the chunk), so 288 bytes
     * for the first and 320 for each next one (32 of padding): a record
     * is let in while what is used plus its own 280 bytes fit in 4096,
     * 288 + 12 x 320 + 280 = 4408 does not. */
    assert_int_equal(whole, 13);
    assert_int_equal(stacks_count(), whole + 1); /* and the merged one */
    stack_rec *w = stacks_get(0);
    assert_int_equal(w->merged, 0);
    /* Merged ones share a record here (same 4 innermost frames); other
     * sites fit in the quarter more (5120): 304 and 256 bytes... */
    uint64_t site[2] = {77, 1};
    assert_int_equal(stacks_intern(site, 2, 0)->depth, 3);
    site[1] = 2;
    assert_int_equal(stacks_intern(site, 2, 0)->depth, 3);
    /* ...and then the marker alone. */
    site[1] = 3;
    r = stacks_intern(site, 2, 0);
    assert_int_equal(r->depth, 1);
    assert_int_equal(r->merged, 1);
    assert_int_equal(stacks_count(), whole + 4);
    /* Past the bytes, a whole record gets no more counter blocks (its
     * samples go to one it has); a merged one does, as its samples come
     * from every CPU. */
    stack_sample one = stacks_weigh(1, 1.0);
    stacks_add_alloc(w, 5, &one);
    assert_null(w->counts[5]);
    stacks_add_alloc(r, 5, &one);
    assert_non_null(r->counts[5]);
    assert_int_equal(stacks_merged(), 1);
    /* 64 KiB in use make the budget 4 KiB more: whole stacks again. */
    stack_sample x = stacks_weigh(64 << 10, 1.0);
    stacks_add_alloc(r, 0, &x);
    pc[5] = ++i;
    assert_int_equal(stacks_intern(pc, 6, 0)->merged, 0);
    assert_int_equal(stacks_merged(), 2);
}

static void totals(void **state)
{
    uint64_t pc[] = {0xdead};
    stack_rec *r = stacks_intern(pc, 1, 0);
    stack_sample x = stacks_weigh(100, 1.0);
    assert_int_equal(x.objs, 65536);
    assert_int_equal(x.bytes, 100);
    assert_true(x.var_objs == 0 && x.var_bytes == 0); /* exact: no error */
    stacks_add_alloc(r, 0, &x);
    stacks_add_alloc(r, 0, &x);
    stacks_unfollow(r, 0, &x); /* the second: counted, never in the table */
    seen v = view_live(r, &x, 1);
    assert_int_equal(v.alloc.bytes, 200);
    assert_int_equal(v.alloc.samples, 2);
    /* Unfollowed is not freed. */
    assert_int_equal(v.freed.bytes, 0);
    assert_int_equal(v.freed.objs, 0);
    assert_int_equal(v.freed.samples, 0);
    assert_int_equal(stacks_inuse_total(), 100);
    /* The first freed: */
    stacks_gone(0, x.bytes);
    v = view(r);
    assert_int_equal(v.freed.bytes, 100);
    assert_int_equal(v.freed.samples, 1);
    assert_int_equal(stacks_inuse_total(), 0);
    /* Fractional weights round the same way both ways; the variance of a
     * weight-w sample is w^2 - w objects^2, (w^2 - w) s^2 bytes^2. */
    x = stacks_weigh(3, 1234.5);
    assert_int_equal(x.bytes, 3704);
    assert_int_equal(x.objs, (uint64_t)(1234.5 * 65536 + 0.5));
    assert_true(x.var_objs == 1234.5 * 1234.5 - 1234.5);
    assert_true(x.var_bytes == x.var_objs * 9);
    stack_rec *q = stacks_intern((uint64_t[]){0xf00d}, 1, 0);
    stacks_add_alloc(q, 0, &x);
    stacks_add_alloc(q, 0, &x);
    stacks_add_alloc(q, 0, &x);
    stacks_unfollow(q, 0, &x);
    v = view_live(q, &x, 1);
    assert_true(v.alloc.var_bytes == 3 * x.var_bytes);
    assert_true(v.freed.var_bytes == x.var_bytes);
}

/* Freed objects by lifetime band: each in the band of its lifetime, with
 * the weights of its sample; a record has no block until its first counted
 * free, and one block after. */
static void lifetimes(void **state)
{
    stack_rec *r = stacks_intern((uint64_t[]){0x1f0}, 1, 0);
    stack_totals t[AGES_LIFETIMES];
    assert_int_equal(stacks_read_lifetimes(r, t), 0);
    assert_null(r->lifetimes);
    for (unsigned b = 0; b < AGES_LIFETIMES; b++)
        assert_int_equal(t[b].samples, 0);
    stack_sample x = stacks_weigh(10, 3.0), y = stacks_weigh(100, 1.5);
    stacks_add_freed(r, 0, &x);
    stacks_add_freed(r, 0, &y);
    stacks_add_freed(r, 3, &x);   /* [1 s, 10 s) */
    stacks_add_freed(r, 599, &y); /* [1 min, 10 min) */
    stack_lifetimes *l = r->lifetimes;
    assert_non_null(l);
    assert_int_equal((uintptr_t)l % 64, 0);
    stacks_add_freed(r, 1u << 27, &x); /* years: the last band */
    assert_ptr_equal(r->lifetimes, l);
    assert_int_equal(stacks_read_lifetimes(r, t), 1u << 0 | 1u << 1 | 1u << 3 | 1u << 5);
    assert_int_equal(t[0].samples, 2);
    assert_int_equal(t[0].objs, x.objs + y.objs);
    assert_int_equal(t[0].bytes, 30 + 150);
    assert_true(t[0].var_objs == x.var_objs + y.var_objs);
    assert_true(t[0].var_bytes == x.var_bytes + y.var_bytes);
    assert_int_equal(t[1].bytes, 30);
    assert_int_equal(t[2].samples, 0);
    assert_int_equal(t[3].bytes, 150);
    assert_int_equal(t[5].samples, 1);
    /* The alloc totals and the process's in-use total are not its business. */
    assert_int_equal(view(r).alloc.samples, 0);
    assert_int_equal(stacks_inuse_total(), 0);
    /* Another record's block is its own. */
    stack_rec *q = stacks_intern((uint64_t[]){0x1f1}, 1, 0);
    assert_int_equal(stacks_read_lifetimes(q, t), 0);
    stacks_add_freed(q, 60, &x);
    assert_ptr_not_equal(q->lifetimes, l);
    assert_int_equal(stacks_read_lifetimes(q, t), 1u << 3);
}

/* A block that cannot be mapped loses that free's count, nothing else:
 * the next free maps it.  Past the byte budget a whole stack gets none; a
 * merged one still does (bounded by the ids, as its counter blocks). */
static void lifetimes_no_memory(void **state)
{
    stack_sample x = stacks_weigh(10, 1.0);
    stack_totals t[AGES_LIFETIMES];
    /* 256 records of depth 1 fill the first chunk (64 KiB) to the byte:
     * 128 bytes of counters, 128 of record each. */
    stack_rec *r = stacks_intern((uint64_t[]){0x2f1}, 1, 0);
    for (uint64_t i = 1; i < 256; i++)
        assert_int_equal(stacks_intern((uint64_t[]){0x3000 + i}, 1, 0)->merged, 0);
    assert_int_equal(stacks_bytes(), 64 << 10);
    mem_fail_after(1);
    stacks_add_freed(r, 0, &x); /* needs a new chunk, which cannot be mapped */
    assert_int_equal(mem_fail_after(0), 0);
    assert_null(r->lifetimes);
    assert_int_equal(stacks_read_lifetimes(r, t), 0);
    stacks_add_freed(r, 0, &x);
    assert_int_equal(stacks_read_lifetimes(r, t), 1);
    assert_int_equal(t[0].samples, 1);
    /* The byte budget: room for one whole record and nothing more. */
    stacks_reset();
    assert_int_equal(stacks_init(1000, 256), 0);
    r = stacks_intern((uint64_t[]){0x2f1}, 1, 0);
    assert_int_equal(r->merged, 0);
    stacks_add_freed(r, 0, &x);
    assert_null(r->lifetimes);
    assert_int_equal(stacks_read_lifetimes(r, t), 0);
    /* Merged records too: the allowance bounds every block. */
    stack_rec *m = stacks_intern((uint64_t[]){0x2f2, 0x2f3}, 2, 0);
    assert_int_equal(m->merged, 1);
    stacks_add_freed(m, 0, &x);
    assert_int_equal(stacks_read_lifetimes(m, t), 0);
    assert_int_equal(stacks_lifetimes_lost(), 2); /* counted since the reset */
    /* Blocks take none of the records' room: a budget of four whole
     * records (256 bytes each) keeps four with a block mapped, where the
     * block once left room for three. */
    stacks_reset();
    assert_int_equal(stacks_init(1000, 1024), 0);
    r = stacks_intern((uint64_t[]){0x2f1}, 1, 0);
    stacks_add_freed(r, 0, &x);
    assert_non_null(r->lifetimes);
    for (uint64_t i = 1; i < 4; i++)
        assert_int_equal(stacks_intern((uint64_t[]){0x3000 + i}, 1, 0)->merged, 0);
    assert_int_equal(stacks_intern((uint64_t[]){0x4000}, 1, 0)->merged, 1);
}

/* Counted on two shards, gone on others: only the sums mean anything, and
 * they are exact. */
static void shards(void **state)
{
    stack_rec *r = stacks_intern((uint64_t[]){0xabc}, 1, 0);
    stack_sample x = stacks_weigh(10, 3.0);
    stacks_add_alloc(r, 3, &x);
    stacks_add_alloc(r, STACKS_SHARDS + 5, &x); /* any number: taken modulo */
    stacks_gone(STACKS_SHARDS + 6, x.bytes);
    assert_non_null(r->counts[3]);
    assert_non_null(r->counts[5]);
    assert_null(r->counts[4]);
    assert_ptr_not_equal(r->counts[3], r->counts[5]);
    assert_int_equal((uintptr_t)r->counts[3] % 64, 0); /* a cache line of its own */
    seen v = view_live(r, &x, 1);
    assert_int_equal(v.alloc.bytes, 60);
    assert_int_equal(v.alloc.samples, 2);
    assert_int_equal(v.freed.bytes, 30);
    assert_int_equal(v.freed.objs, 3 * 65536);
    assert_int_equal(v.freed.samples, 1);
    assert_true(v.freed.var_objs == x.var_objs);
    assert_int_equal(stacks_inuse_total(), 30);
    assert_int_equal(stacks_samples(), 2);
    stacks_gone(7, x.bytes);
    assert_int_equal(view(r).freed.bytes, 60);
    assert_int_equal(view(r).freed.samples, 2);
    assert_int_equal(stacks_inuse_total(), 0);
    /* A reading that finds more in use than allocated (an allocation not
     * seen yet: a torn one) shows nothing freed, never a wrapped-around
     * 2^64 - n. */
    stack_rec *q = stacks_intern((uint64_t[]){0xabd}, 1, 0);
    v = view_live(q, &x, 1);
    assert_int_equal(v.freed.bytes, 0);
    assert_int_equal(v.freed.objs, 0);
    assert_int_equal(v.freed.samples, 0);
    assert_true(v.freed.var_bytes == 0);
    /* More gone than came reads as nothing in use. */
    stacks_gone(1, 1000);
    assert_int_equal(stacks_inuse_total(), 0);
}

/* Past the block budget (max extra blocks) a writer counts into the next
 * shard whose block the record has: block 0 here. */
static void block_budget(void **state)
{
    stacks_reset();
    assert_int_equal(stacks_init(64, 1ULL << 30), 0);
    stack_sample x = stacks_weigh(1, 1.0);
    uint64_t pc[2] = {9, 0};
    for (uint64_t i = 0; i < 56; i++) { /* the whole stacks of 64 */
        pc[1] = i;
        stack_rec *r = stacks_intern(pc, 2, 0);
        for (unsigned k = 1; k < STACKS_SHARDS; k++)
            stacks_add_alloc(r, k, &x);
        assert_int_equal(view(r).alloc.samples, STACKS_SHARDS - 1);
    }
    unsigned extra = 0;
    for (stack_rec *r = stacks_first(); r; r = r->next_all)
        for (unsigned k = 1; k < STACKS_SHARDS; k++)
            extra += r->counts[k] != NULL;
    assert_int_equal(extra, 64);
    assert_int_equal(stacks_samples(), 56 * (STACKS_SHARDS - 1));
}

/* A shard whose writer was preempted holding it: the next one takes the
 * sample, and the sums stay exact. */
static void busy_shard(void **state)
{
    stack_rec *r = stacks_intern((uint64_t[]){0xabe}, 1, 0);
    stack_sample x = stacks_weigh(10, 3.0);
    stacks_hold_shard(3, 1);
    stacks_add_alloc(r, 3, &x);
    stacks_gone(3, x.bytes); /* takes no lock */
    stacks_add_alloc(r, 3, &x);
    assert_null(r->counts[3]);
    assert_non_null(r->counts[4]);
    stacks_hold_shard(3, 0);
    stacks_gone(3, x.bytes);
    stacks_add_alloc(r, 3, &x);
    assert_non_null(r->counts[3]);
    seen v = view_live(r, &x, 1);
    assert_int_equal(v.alloc.samples, 3);
    assert_int_equal(v.freed.samples, 2);
    assert_int_equal(stacks_inuse_total(), 30);
    assert_int_equal(stacks_samples(), 3);
}

/* A writer that must wait: another thread takes shards (take), the writer
 * adds one sample of r on `want`, and the shards are given back 20 ms
 * later (give).  `released` is set just before they go, so a writer that
 * returns while it is still 0 did not wait. */
static int held, released;
static void (*take)(void), (*give)(void);

static void *holder(void *arg)
{
    take();
    __atomic_store_n(&held, 1, __ATOMIC_RELEASE);
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
    __atomic_store_n(&released, 1, __ATOMIC_RELEASE);
    give();
    return NULL;
}

static void add_while_held(stack_rec *r, unsigned want, const stack_sample *x)
{
    held = released = 0;
    pthread_t t;
    pthread_create(&t, NULL, holder, NULL);
    while (!__atomic_load_n(&held, __ATOMIC_ACQUIRE))
        sched_yield();
    stacks_add_alloc(r, want, x);
    assert_int_equal(__atomic_load_n(&released, __ATOMIC_ACQUIRE), 1);
    pthread_join(t, NULL);
}

/* Every shard taken (here by the fork handlers' lock-all): a writer waits,
 * yielding, until one is free, and loses nothing. */
static void all_shards_busy(void **state)
{
    stack_rec *r = stacks_intern((uint64_t[]){0xabf}, 1, 0);
    stack_sample x = stacks_weigh(10, 1.0);
    take = stacks_lock_all;
    give = stacks_unlock_all;
    add_while_held(r, 5, &x);
    assert_int_equal(view(r).alloc.samples, 1);
    assert_int_equal(stacks_inuse_total(), 10);
}

/* Past the block budget a record may have block 0 alone: with shard 0
 * held, its writer skips the other shards (no block to write) and waits for
 * shard 0 rather than write a block it does not hold. */
static void take_zero(void) { stacks_hold_shard(0, 1); }
static void give_zero(void) { stacks_hold_shard(0, 0); }

static void budget_spent_waits(void **state)
{
    stacks_reset();
    assert_int_equal(stacks_init(64, 1ULL << 30), 0);
    stack_sample x = stacks_weigh(4, 1.0);
    uint64_t pc[2] = {11, 0};
    for (uint64_t i = 0; i < 10; i++) { /* 70 blocks wanted: the budget of 64 spent */
        pc[1] = i;
        stack_rec *q = stacks_intern(pc, 2, 0);
        assert_non_null(q);
        for (unsigned k = 1; k < STACKS_SHARDS; k++)
            stacks_add_alloc(q, k, &x);
    }
    stack_rec *r = stacks_intern((uint64_t[]){12}, 1, 0);
    assert_non_null(r);
    take = take_zero;
    give = give_zero;
    add_while_held(r, 3, &x);
    for (unsigned k = 1; k < STACKS_SHARDS; k++)
        assert_null(r->counts[k]);
    assert_int_equal(view(r).alloc.samples, 1);
    assert_int_equal(stacks_samples(), 71);
}

/* Threads allocating and freeing from one stack on the same two shards as
 * fast as they can: the plain adds under the shard lock lose nothing. */
enum { HAMMER = 200000 };
static stack_rec *hammered;

static void *hammer(void *arg)
{
    stack_sample x = stacks_weigh(8, 2.0);
    for (int i = 0; i < HAMMER; i++) {
        stacks_add_alloc(hammered, (unsigned)(uintptr_t)arg, &x);
        stacks_gone((unsigned)(uintptr_t)arg + 1, x.bytes);
    }
    return NULL;
}

static void contended_exact(void **state)
{
    hammered = stacks_intern((uint64_t[]){0xac0}, 1, 0);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, hammer, (void *)(uintptr_t)(i % 2));
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    seen v = view(hammered);
    assert_int_equal(v.alloc.samples, 4 * HAMMER);
    assert_int_equal(v.freed.samples, 4 * HAMMER);
    assert_int_equal(v.alloc.bytes, 4 * HAMMER * 16);
    assert_true(v.alloc.var_objs == 4.0 * HAMMER * 2.0);
    assert_int_equal(stacks_inuse_total(), 0);
    assert_int_equal(stacks_samples(), 4 * HAMMER);
}

/* Threads freeing from one stack at once: no add lost. */
static stack_rec *freed_here;

static void *freer(void *arg)
{
    stack_sample x = stacks_weigh(16, 2.0);
    for (int i = 0; i < HAMMER; i++)
        stacks_add_freed(freed_here, (uint32_t)(uintptr_t)arg * 10, &x);
    return NULL;
}

static void lifetimes_concurrent(void **state)
{
    freed_here = stacks_intern((uint64_t[]){0x4f0}, 1, 0);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, freer, (void *)(uintptr_t)(i % 2));
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    stack_totals v[AGES_LIFETIMES];
    assert_int_equal(stacks_read_lifetimes(freed_here, v), 1u << 0 | 1u << 2);
    for (unsigned b = 0; b <= 2; b += 2) {
        assert_int_equal(v[b].samples, 2 * HAMMER);
        assert_int_equal(v[b].bytes, 2 * HAMMER * 32);
        assert_true(v[b].var_objs == 2.0 * HAMMER * 2.0);
    }
}

static void out_of_memory(void **state)
{
    uint64_t pc[] = {0xbeef};
    mem_fail_after(1);
    /* The whole stack's chunk could not be mapped: merged (the next map
     * works); then whole, once memory is back. */
    stack_rec *m = stacks_intern(pc, 1, 0);
    assert_non_null(m);
    assert_int_equal(m->merged, 1);
    assert_int_equal(m->pcs[0], 0xbeef);
    stack_rec *r = stacks_intern(pc, 1, 0);
    assert_non_null(r);
    assert_int_equal(r->merged, 0);
    assert_ptr_equal(stacks_get(r->id), r);
}

/* Threads interning an overlapping set of stacks: one record per stack. */
static void *worker(void *arg)
{
    uint64_t pc[4] = {0x10, 0x20, 0x30, 0};
    for (int round = 0; round < 50; round++)
        for (uint64_t i = 0; i < 200; i++) {
            pc[3] = i;
            stack_rec *r = stacks_intern(pc, 4, 0);
            if (!r || r->pcs[3] != i)
                return (void *)1;
            stack_sample x = stacks_weigh(1, 2.0);
            stacks_add_alloc(r, (unsigned)(uintptr_t)arg, &x);
        }
    return NULL;
}

static void concurrent(void **state)
{
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)(i % 2));
    for (int i = 0; i < 4; i++) {
        void *res;
        pthread_join(t[i], &res);
        assert_null(res);
    }
    assert_int_equal(stacks_count(), 200);
    for (stack_rec *r = stacks_first(); r; r = r->next_all) {
        assert_int_equal(view(r).alloc.samples, 4 * 50);
        assert_true(view(r).alloc.var_objs == 4 * 50 * 2.0); /* no double add lost */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(intern_dedup, setup), cmocka_unit_test_setup(intern_like, setup),
        cmocka_unit_test_setup(all_list, setup),
        cmocka_unit_test_setup(bound, setup), cmocka_unit_test_setup(byte_bound, setup),
        cmocka_unit_test_setup(concurrent_at_bound, setup),
        cmocka_unit_test_setup(concurrent_same_at_bound, setup),
        cmocka_unit_test_setup(labels_key, setup),
        cmocka_unit_test(freed_by_field),
        cmocka_unit_test_setup(totals, setup), cmocka_unit_test_setup(shards, setup),
        cmocka_unit_test_setup(block_budget, setup),  cmocka_unit_test_setup(busy_shard, setup),
        cmocka_unit_test_setup(all_shards_busy, setup), cmocka_unit_test_setup(contended_exact, setup),
        cmocka_unit_test_setup(budget_spent_waits, setup),
        cmocka_unit_test_setup(lifetimes, setup), cmocka_unit_test_setup(lifetimes_no_memory, setup),
        cmocka_unit_test_setup(lifetimes_concurrent, setup),
        cmocka_unit_test_setup(out_of_memory, setup), cmocka_unit_test_setup(concurrent, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests: the live-object table and its free filter (live.c). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "ages.h"
#include "common.h"
#include "live.h"
#include "mem.h"
#include "stacks.h"

static int setup(void **state)
{
    live_reset();
    live_init(1 << 20, LIVE_SHIFT_MIN);
    return 0;
}

static live_entry entry(uintptr_t addr, uint64_t size, uint32_t stack)
{
    /* Only the table's bookkeeping is tested: the stack is a tag. */
    live_entry e = {.addr = addr,
                    .size = size,
                    .stack = (struct stack_rec *)(uintptr_t)stack,
                    .weight = 1.0f,
                    .stack_id = stack};
    return e;
}

static void insert_remove(void **state)
{
    live_entry e = entry(0x1000, 48, 7), out, old;
    bool had;
    assert_false(live_maybe((void *)0x1000));
    assert_int_equal(live_insert(&e, &old, &had), 0);
    assert_false(had);
    assert_true(live_maybe((void *)0x1000));
    assert_int_equal(live_count(), 1);
    assert_false(live_remove(0x2000, &out));
    assert_true(live_remove(0x1000, &out));
    assert_int_equal(out.size, 48);
    assert_int_equal((uintptr_t)out.stack, 7);
    assert_false(live_maybe((void *)0x1000));
    assert_false(live_remove(0x1000, &out));
    assert_int_equal(live_count(), 0);
}

static void replace_same_address(void **state)
{
    live_entry a = entry(0x5550, 10, 1), b = entry(0x5550, 20, 2), old, out;
    bool had;
    assert_int_equal(live_insert(&a, &old, &had), 0);
    assert_int_equal(live_insert(&b, &old, &had), 0);
    assert_true(had);
    assert_int_equal(old.size, 10);
    assert_int_equal(live_count(), 1);
    assert_true(live_remove(0x5550, &out));
    assert_int_equal(out.size, 20);
    assert_false(live_maybe((void *)0x5550));
}

/* Addresses one filter span apart (4 GiB) share a filter slot and a
 * shard, and collide in the shard's table: removal of one must keep the
 * others reachable (backward-shift deletion) and the slot must stay "maybe"
 * until the last one goes. */
static void collisions(void **state)
{
    const uintptr_t base = 0x7f0000001230, stride = (uintptr_t)LIVE_FILTER_SLOTS << LIVE_SHIFT_MIN;
    live_entry out, old;
    bool had;
    for (uintptr_t i = 0; i < 100; i++) {
        live_entry e = entry(base + i * stride, i + 1, (uint32_t)i);
        assert_int_equal(live_insert(&e, &old, &had), 0);
    }
    assert_int_equal(live_filter[live_slot((void *)base)], 100);
    for (uintptr_t i = 0; i < 100; i += 2)
        assert_true(live_remove(base + i * stride, &out));
    for (uintptr_t i = 1; i < 100; i += 2) {
        assert_true(live_maybe((void *)(base + i * stride)));
        assert_true(live_remove(base + i * stride, &out));
        assert_int_equal(out.size, i + 1);
    }
    assert_false(live_maybe((void *)base));
    assert_int_equal(live_count(), 0);
}

/* Growth: many entries in every shard (200000 KiB span ~195 regions),
 * all findable afterwards, memory reported. */
static void growth(void **state)
{
    enum { M = 200000 };
    live_entry out, old;
    bool had;
    uint64_t before = mem_mapped_bytes();
    for (uintptr_t i = 0; i < M; i++) {
        live_entry e = entry(0x10000000 + (i << 10), i, (uint32_t)i);
        assert_int_equal(live_insert(&e, &old, &had), 0);
    }
    assert_int_equal(live_count(), M);
    assert_true(mem_mapped_bytes() > before + M * sizeof(live_entry));
    for (uintptr_t i = 0; i < M; i++) {
        assert_true(live_remove(0x10000000 + (i << 10), &out));
        assert_int_equal((uintptr_t)out.stack, (uint32_t)i);
    }
    assert_int_equal(live_count(), 0);
}

static void bound_reached(void **state)
{
    live_reset();
    live_init(1000, LIVE_SHIFT_MIN);
    live_entry old;
    bool had;
    /* One entry per 1 MiB region: the entries of one region all go to one
     * shard, and a crowded shard is refused before the bound. */
    for (uintptr_t i = 0; i < 1000; i++) {
        live_entry e = entry(0x4000 + (i << 20), 1, 0);
        assert_int_equal(live_insert(&e, &old, &had), 0);
    }
    live_entry e = entry(0x900000, 1, 0);
    assert_int_equal(live_insert(&e, &old, &had), ENOSPC);
    assert_false(live_maybe((void *)0x900000));
    /* Replacing an existing address is still allowed at the bound. */
    live_entry again = entry(0x4000, 2, 0);
    assert_int_equal(live_insert(&again, &old, &had), 0);
    assert_true(had);
}

/* Insert addresses base, base + step, ... until refused; returns how many. */
static uintptr_t fill(uintptr_t base, uintptr_t step, uintptr_t most)
{
    live_entry old;
    bool had;
    uintptr_t n = 0;
    for (; n < most; n++) {
        live_entry e = entry(base + n * step, 1, 0);
        if (live_insert(&e, &old, &had))
            break;
    }
    return n;
}

static void empty(uintptr_t base, uintptr_t step, uintptr_t n)
{
    live_entry out;
    for (uintptr_t i = 0; i < n; i++)
        assert_true(live_remove(base + i * step, &out));
    assert_int_equal(live_count(), 0);
}

/* A shard's first table is static; its first doubling (at 13 entries,
 * load 3/4 of 16) is the first mapping, and when that fails the insert
 * fails cleanly and a later one succeeds. */
static void out_of_memory(void **state)
{
    const uintptr_t b = 0x7f00000000c0, alias = (uintptr_t)LIVE_FILTER_SLOTS << LIVE_SHIFT_MIN;
    uint64_t before = mem_mapped_bytes();
    assert_int_equal(fill(b, alias, 12), 12);
    assert_int_equal(mem_mapped_bytes(), before);
    live_entry e = entry(b + 12 * alias, 1, 0), old;
    bool had;
    mem_fail_after(1);
    assert_int_equal(live_insert(&e, &old, &had), ENOMEM);
    assert_int_equal(live_filter[live_slot((void *)b)], 12);
    assert_int_equal(live_insert(&e, &old, &had), 0);
    assert_true(mem_mapped_bytes() > before);
    empty(b, alias, 13);
}

/* The bound's pool (live.c) must come back whole: fill to the bound, empty,
 * fill again, also after a shard's growth failed while it was drawing on
 * the pool; and one shard alone may use its quota plus the whole pool. */
static void pool_returns(void **state)
{
    live_reset();
    live_init(1024, LIVE_SHIFT_MIN); /* quota 4 per shard, pool 768 */
    /* A region apart (and 64 bytes): spread over every shard. */
    const uintptr_t a = 0x100000, step = (1 << 20) + 64;
    uintptr_t n1 = fill(a, step, 2000);
    /* Consecutive regions spread evenly, every shard passes its quota of 4
     * long before the pool runs out: all 1024 fit, as the bound says. */
    assert_int_equal(n1, 1024);
    assert_int_equal(live_count(), n1);
    empty(a, step, n1);
    assert_int_equal(fill(a, step, 2000), n1);
    empty(a, step, n1);

    /* One filter slot: every entry in one shard, on a fresh table (tables
     * never shrink).  It doubles at 13, 25, 49, 97, 193 entries (load
     * 3/4); make the last of these fail, past the quota. */
    live_reset();
    live_init(1024, LIVE_SHIFT_MIN);
    const uintptr_t b = 0x7f0000000040, alias = (uintptr_t)LIVE_FILTER_SLOTS << LIVE_SHIFT_MIN;
    assert_int_equal(fill(b, alias, 192), 192);
    mem_fail_after(1);
    live_entry e = entry(b + 192 * alias, 1, 0), old;
    bool had;
    assert_int_equal(live_insert(&e, &old, &had), ENOMEM);
    empty(b, alias, 192);
    /* ... and the pool is whole: one shard holds its quota and all of it. */
    assert_int_equal(fill(b, alias, 2000), 4 + 768);
    empty(b, alias, 4 + 768);
    assert_int_equal(fill(a, step, 2000), n1);
}


static void pinned_slot_sticks(void **state)
{
    live_pin((void *)0x7770);
    assert_true(live_maybe((void *)0x7770));
    live_entry e = entry(0x7770, 1, 0), out, old;
    bool had;
    assert_int_equal(live_insert(&e, &old, &had), 0);
    assert_true(live_remove(0x7770, &out));
    assert_true(live_maybe((void *)0x7770));
}

/* A slot of one sampled object holds its tag, which rules out the other
 * addresses of the slot without the table; a slot of two holds the count,
 * and keeps it (no tag) when one of them goes, until the slot is empty. */
static void tags_rule_out(void **state)
{
    const uintptr_t p = 0x7f0000001000, q = p + 48, r = p + 96;
    uint8_t *slot = &live_filter[live_slot((void *)p)];
    assert_int_equal(live_slot((void *)q), live_slot((void *)p));
    assert_int_not_equal(live_tag((void *)p), live_tag((void *)q));
    assert_int_not_equal(live_tag((void *)p), live_tag((void *)r));
    live_entry e = entry(p, 48, 1), out, old;
    bool had;
    assert_false(live_surely_untracked((void *)p)); /* an empty slot: live_maybe says no first */
    assert_int_equal(live_insert(&e, &old, &had), 0);
    assert_int_equal(*slot, live_tag((void *)p));
    assert_false(live_surely_untracked((void *)p));
    assert_true(live_surely_untracked((void *)q));
    assert_true(live_maybe((void *)q));
    e = entry(q, 48, 2);
    assert_int_equal(live_insert(&e, &old, &had), 0);
    assert_int_equal(*slot, 2);
    assert_false(live_surely_untracked((void *)r));
    assert_true(live_remove(p, &out));
    assert_int_equal(*slot, 1);
    assert_false(live_surely_untracked((void *)r)); /* q's tag is not known */
    assert_false(live_surely_untracked((void *)q));
    assert_true(live_remove(q, &out));
    assert_int_equal(*slot, 0);
    assert_false(live_maybe((void *)q));
    /* A tag is never the pinned value, and a pinned slot rules nothing out. */
    int tags = 0;
    for (uintptr_t a = 0x10; a < 0x10 + (16u << 12); a += 16) {
        uint8_t t = live_tag((void *)a);
        assert_true(t & LIVE_TAGGED);
        assert_int_not_equal(t, LIVE_PINNED);
        tags |= t == 0xfe;
    }
    assert_true(tags);
    e = entry(p, 48, 1);
    assert_int_equal(live_insert(&e, &old, &had), 0);
    assert_true(live_surely_untracked((void *)q));
    live_pin((void *)r);
    assert_int_equal(*slot, LIVE_PINNED);
    assert_false(live_surely_untracked((void *)q));
}

/* Counts saturate into the pinned value, which stays. */
static void count_saturates(void **state)
{
    const uintptr_t b = 0x7f0000000040, alias = (uintptr_t)LIVE_FILTER_SLOTS << LIVE_SHIFT_MIN;
    uint8_t *slot = &live_filter[live_slot((void *)b)];
    assert_int_equal(fill(b, alias, LIVE_COUNT_MAX), LIVE_COUNT_MAX);
    assert_int_equal(*slot, LIVE_COUNT_MAX);
    assert_int_equal(fill(b + LIVE_COUNT_MAX * alias, alias, 1), 1);
    assert_int_equal(*slot, LIVE_PINNED);
    empty(b, alias, LIVE_COUNT_MAX + 1);
    assert_int_equal(*slot, LIVE_PINNED);
    assert_true(live_maybe((void *)b));
}

/* The filter's granule is R / 128 within [512 B, 64 KiB]: a sample marks
 * its own granule and no other. */
static void granule_follows_interval(void **state)
{
    assert_int_equal(live_granule_shift(0, 0), LIVE_SHIFT_MIN);
    assert_int_equal(live_granule_shift(1, 0), LIVE_SHIFT_MIN);
    assert_int_equal(live_granule_shift(4096, 0), 9);
    assert_int_equal(live_granule_shift(65536, 0), 9);
    assert_int_equal(live_granule_shift(131071, 0), 9);
    assert_int_equal(live_granule_shift(131072, 0), 10);
    assert_int_equal(live_granule_shift(512 << 10, 0), 12);
    assert_int_equal(live_granule_shift(8 << 20, 0), 16);
    assert_int_equal(live_granule_shift((uint64_t)1 << 40, 0), LIVE_SHIFT_MAX);
    /* HEAPPROF_FILTER_GRANULE: rounded down to a power of two, clamped. */
    assert_int_equal(live_granule_shift((uint64_t)1 << 40, 512), 9);
    assert_int_equal(live_granule_shift(4096, 8191), 12);
    assert_int_equal(live_granule_shift(4096, 100), LIVE_SHIFT_MIN);
    assert_int_equal(live_granule_shift(4096, 65536), LIVE_SHIFT_MAX);
    static const struct {
        uint64_t mean;
        uintptr_t granule;
    } cases[] = {{64 << 10, 512}, {512 << 10, 4096}, {8 << 20, 65536}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        live_reset();
        live_init(1 << 20, live_granule_shift(cases[i].mean, 0));
        uintptr_t g = cases[i].granule, base = 0x40000000 + 5 * g;
        live_entry e = entry(base + g / 2, 8, 1), out, old;
        bool had;
        assert_int_equal(live_insert(&e, &old, &had), 0);
        assert_true(live_maybe((void *)base));
        assert_true(live_maybe((void *)(base + g - 16)));
        assert_false(live_maybe((void *)(base - 16)));
        assert_false(live_maybe((void *)(base + g)));
        assert_true(live_remove(base + g / 2, &out));
        assert_false(live_maybe((void *)base));
    }
}

/* The bootstrap arena pins its blocks before the configuration is read;
 * whatever granule live_init then picks, they still answer "maybe". */
static void pin_before_init(void **state)
{
    static const uint64_t means[] = {0, 64 << 10, 512 << 10, 1 << 20, (uint64_t)1 << 40};
    for (size_t i = 0; i < sizeof means / sizeof means[0]; i++) {
        live_reset();
        live_pin((void *)0x12345670);
        live_init(1 << 20, live_granule_shift(means[i], 0));
        assert_true(live_maybe((void *)0x12345670));
    }
}

/* Pins at both ends of the boot filter's slots (the lowest and the
 * highest 64 KiB granule of the low 4 GiB) are copied too, as is one
 * between them. */
static void pins_at_the_ends(void **state)
{
    static const uintptr_t at[] = {0x10, 0xfffffff0, 0x12345670};
    live_reset();
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++)
        live_pin((void *)at[i]);
    live_init(1 << 20, LIVE_SHIFT_MIN);
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++)
        assert_true(live_maybe((void *)at[i]));
    assert_false(live_maybe((void *)0x80000000));
}

/* live_init reads only the slots pinned, not the whole boot filter: its 16
 * pages, given back to the kernel here (all zero after live_reset), are
 * not faulted in again by the copy.  Reading every slot was 16 page faults
 * and 58 000 instructions in every profiled process's start. */
static void pin_copy_reads_little(void **state)
{
    live_reset();
    uint8_t *boot = live_filter_now(); /* the boot filter's slot 0 */
    assert_int_equal(live_filter_shift(boot), LIVE_SHIFT_MAX);
    long page = sysconf(_SC_PAGESIZE);
    uintptr_t lo = ((uintptr_t)boot + (uintptr_t)page - 1) & ~(uintptr_t)(page - 1);
    uintptr_t hi = ((uintptr_t)boot + ((size_t)1 << (32 - LIVE_SHIFT_MAX))) & ~(uintptr_t)(page - 1);
    assert_int_equal(madvise((void *)lo, hi - lo, MADV_DONTNEED), 0);
    live_pin((void *)0x12345670);
    struct rusage before, after;
    assert_int_equal(getrusage(RUSAGE_THREAD, &before), 0);
    live_init(1 << 20, LIVE_SHIFT_MIN);
    assert_int_equal(getrusage(RUSAGE_THREAD, &after), 0);
    long faults = after.ru_minflt - before.ru_minflt;
    print_message("live_init: %ld page faults\n", faults);
    assert_true(faults < 8); /* the pin's page of the new filter, and a few of chance */
    assert_true(live_maybe((void *)0x12345670));
}

/* Threads inserting and removing disjoint addresses concurrently: 4 KiB
 * apart over 20 regions, the same 20 (and so the same shards) in every
 * thread, since shards follow the low 32 bits of the address. */
/* The fold: every live entry, whichever shard and table (the first static
 * one or a grown mapping) holds it, adds its estimate to its stack's id;
 * removed entries add nothing, ids past n are left out. */
static void fold(void **state)
{
    enum { NSTACKS = 5, PER = 300 };
    static stack_rec recs[NSTACKS];
    stack_totals want[NSTACKS] = {{0}};
    for (uint32_t i = 0; i < NSTACKS; i++)
        recs[i].id = i;
    live_entry e, old;
    bool had;
    for (uint32_t i = 0; i < NSTACKS * PER; i++) {
        uint32_t id = i % NSTACKS;
        /* 1 MiB regions apart every 7: many shards, some grown past 16. */
        e = (live_entry){.addr = 0x40000000 + (uintptr_t)(i / 7) * (1 << 20) + (i % 7) * 64,
                         .size = 8 + i % 100,
                         .stack = &recs[id],
                         .weight = 1.0f + (float)(i % 13) * 1000.5f,
                         .stack_id = id};
        assert_int_equal(live_insert(&e, &old, &had), 0);
        if (i % 3 == 0) { /* freed again */
            assert_true(live_remove(e.addr, &old));
            continue;
        }
        stack_sample x = stacks_weigh(e.size, e.weight);
        want[id].objs += x.objs;
        want[id].bytes += x.bytes;
        want[id].samples++;
        want[id].var_objs += x.var_objs;
        want[id].var_bytes += x.var_bytes;
    }
    stack_totals got[NSTACKS] = {{0}};
    live_fold(got, NSTACKS - 1); /* the last stack's entries are past n */
    assert_int_equal(got[NSTACKS - 1].samples, 0); /* not written */
    for (int id = 0; id < NSTACKS - 1; id++) {
        assert_int_equal(got[id].samples, PER * 2 / 3);
        assert_int_equal(got[id].objs, want[id].objs);
        assert_int_equal(got[id].bytes, want[id].bytes);
        /* Summed in another order: equal but for rounding. */
        assert_true(fabs(got[id].var_bytes - want[id].var_bytes) <= 1e-9 * want[id].var_bytes);
        assert_true(fabs(got[id].var_objs - want[id].var_objs) <= 1e-9 * want[id].var_objs);
    }
    /* Adds to what the caller's array holds; an empty table adds nothing. */
    live_fold(got, NSTACKS - 1);
    assert_int_equal(got[2].bytes, 2 * want[2].bytes);
    live_reset();
    live_init(1 << 20, LIVE_SHIFT_MIN);
    stack_totals none = {0};
    live_fold(&none, 1);
    assert_int_equal(none.samples, 0);
}

/* A pass over the table (live_visit, and live_fold through the same walk)
 * reads each shard from a copy, its lock released: a scrape of a big
 * table held each shard for its whole fold, ms at 4M live samples, and
 * every sample or free of that shard waited.  With no memory for the copy
 * the pass still sees every entry, under the lock. */
typedef struct visit_seen {
    unsigned entries, locked;
    uint64_t addr_sum;
} visit_seen;

static void see(void *ctx, const live_entry *e)
{
    visit_seen *v = ctx;
    v->entries++;
    v->locked += live_shard_locked(e->addr);
    v->addr_sum += e->addr;
}

static void visit_unlocked(void **state)
{
    enum { N = 5000 };
    live_entry e, old;
    bool had;
    uint64_t sum = 0;
    for (uint32_t i = 0; i < N; i++) {
        /* 40 regions: a few shards, each grown well past its first 16. */
        e = entry(0x50000000 + (uintptr_t)(i % 40) * (1 << 20) + (i / 40) * 64, 32, i % 7);
        assert_int_equal(live_insert(&e, &old, &had), 0);
        sum += e.addr;
    }
    mem_fail_after(1); /* the copy's mapping (setup's live_reset dropped the kept one) */
    visit_seen v = {0};
    live_visit(see, &v);
    mem_fail_after(0);
    assert_int_equal(v.entries, N);
    assert_int_equal(v.addr_sum, sum);
    assert_int_equal(v.locked, N);
    for (int pass = 0; pass < 2; pass++) { /* a scratch mapped, then the one kept */
        v = (visit_seen){0};
        live_visit(see, &v);
        assert_int_equal(v.entries, N);
        assert_int_equal(v.addr_sum, sum);
        assert_int_equal(v.locked, 0);
    }
    /* A shard grown past the kept scratch: a larger one replaces it. */
    for (uint32_t i = 0; i < 4 * N; i++) {
        e = entry(0x58000000 + (uintptr_t)i * 64, 32, 1);
        assert_int_equal(live_insert(&e, &old, &had), 0);
    }
    v = (visit_seen){0};
    live_visit(see, &v);
    assert_int_equal(v.entries, 5 * N);
    v = (visit_seen){0};
    live_visit(see, &v);
    assert_int_equal(v.entries, 5 * N);
    assert_int_equal(v.locked, 0);
}

static void *worker(void *arg)
{
    uintptr_t base = (uintptr_t)arg;
    live_entry out, old;
    bool had;
    for (int round = 0; round < 20; round++) {
        for (uintptr_t i = 0; i < 5000; i++) {
            live_entry e = entry(base + i * 4096, i, 1);
            if (live_insert(&e, &old, &had) || had)
                return (void *)1;
        }
        /* The threads' addresses alias (4 GiB apart): their slots move
         * between a tag and a count while these are live, and must never
         * rule a live one out. */
        for (uintptr_t i = 0; i < 5000; i++) {
            uintptr_t a = base + i * 4096;
            if (!live_maybe((void *)a) || live_surely_untracked((void *)a) || !live_remove(a, &out) ||
                out.size != i)
                return (void *)1;
        }
    }
    return NULL;
}

static void concurrent(void **state)
{
    pthread_t t[4];
    for (uintptr_t i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, worker, (void *)(0x100000000 * (i + 1)));
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(t[i], &r);
        assert_null(r);
    }
    assert_int_equal(live_count(), 0);
    for (uintptr_t i = 0; i < 5000; i++)
        assert_int_equal(live_filter[live_slot((void *)(i * 4096))], 0);
}

/* A child made without fork handlers (_Fork) may inherit a shard's lock
 * held by a thread of its parent: a waiter that is not in the profiler's
 * process takes it over after its long wait (spin.c), where it would
 * otherwise wait forever (the alarm then fails the test). */
static void orphaned_lock_taken_over(void **state)
{
    live_entry e = entry(0x7000, 16, 3), old, out;
    bool had;
    spin_set_owner(getpid() == 1 ? 2 : 1); /* as if forked from that process */
    live_lock_all();                       /* as a thread of it left them */
    alarm(60);
    assert_int_equal(live_insert(&e, &old, &had), 0);
    assert_true(live_remove(0x7000, &out));
    alarm(0);
    spin_set_owner(0);
    live_unlock_all();
}

/* The 28-bit birth second survives the entry's packing, beside sizes up
 * to 2^44 - 1 and ids up to 2^24 - 1, and comes back out of the table. */
static void born_packed(void **state)
{
    assert_int_equal(LIVE_SIZE_MAX, (1ULL << 44) - 1);
    live_entry e = entry(0x9000, LIVE_SIZE_MAX, (1u << 24) - 1), out;
    live_set_born(&e, 0xfabcdef);
    assert_int_equal(live_born(&e), 0xfabcdef);
    assert_int_equal(e.size, LIVE_SIZE_MAX);
    assert_int_equal(e.stack_id, (1u << 24) - 1);
    live_set_born(&e, 0x000102);
    assert_int_equal(live_born(&e), 0x102);
    assert_int_equal(e.size, LIVE_SIZE_MAX);
    live_entry old;
    bool had;
    assert_int_equal(live_insert(&e, &old, &had), 0);
    assert_true(live_remove(0x9000, &out));
    assert_int_equal(live_born(&out), 0x102);
    assert_int_equal(out.size, LIVE_SIZE_MAX);
    assert_int_equal(out.stack_id, (1u << 24) - 1);
}

/* Ages wrap modulo 2^28 s (8.5 years); a birth just after `now` is age 0.
 * An object allocated 200 days ago reads 200 days, in the last band: with
 * the 24 bits entries used to keep, 6 days. */
static void ages_arithmetic(void **state)
{
    assert_int_equal(AGES_CLOCK_MASK, (1u << 28) - 1);
    assert_int_equal(ages_of(100, 100), 0);
    assert_int_equal(ages_of(100, 700), 600);
    assert_int_equal(ages_of(AGES_CLOCK_MASK - 9, 5), 15); /* across the wrap */
    assert_int_equal(ages_of(102, 100), 0);                 /* born during the dump */
    assert_int_equal(ages_of(100 + 3601, 100), (1u << 28) - 3601);
    uint32_t days200 = 200 * 86400, born = 0xfff0000; /* the clock wraps between */
    assert_int_equal(ages_of(born, (born + days200) & AGES_CLOCK_MASK), days200);
    assert_int_equal(ages_band(days200), AGES_BANDS - 1);
    live_entry e = entry(0x9000, 1, 1);
    live_set_born(&e, born);
    assert_int_equal(ages_of(live_born(&e), (born + days200) & AGES_CLOCK_MASK), days200);
    /* Bands: lower bounds ascending, each age in the last band not above it. */
    assert_int_equal(ages_band_lower[0], 0);
    for (unsigned b = 1; b < AGES_BANDS; b++)
        assert_true(ages_band_lower[b] > ages_band_lower[b - 1]);
    assert_int_equal(ages_band(0), 0);
    assert_int_equal(ages_band(1), 1);
    assert_int_equal(ages_band(4), 2); /* [2, 5) */
    assert_int_equal(ages_band(599), 9);
    assert_int_equal(ages_band(600), 10);
    assert_int_equal(ages_band(700), 10);
    assert_int_equal(ages_band_lower[ages_band(3600)], 3600);
    assert_int_equal(ages_band(AGES_CLOCK_MASK), AGES_BANDS - 1);
    for (uint32_t a = 0; a < 100000; a += 7)
        assert_true(ages_band_lower[ages_band(a)] <= a &&
                    (ages_band(a) == AGES_BANDS - 1 || a < ages_band_lower[ages_band(a) + 1]));
}

/* Lifetime bands: under 1 s, 1 s, 10 s, 1 min, 10 min, 1 h and more, each
 * a bound of the age bands too (so that the CLI's age arithmetic holds);
 * a lifetime falls in the last band not above it. */
static void lifetime_bands(void **state)
{
    static const uint32_t want[] = {0, 1, 10, 60, 600, 3600};
    assert_int_equal(AGES_LIFETIMES, sizeof want / sizeof want[0]);
    for (unsigned b = 0; b < AGES_LIFETIMES; b++) {
        assert_int_equal(ages_lifetime_lower[b], want[b]);
        assert_int_equal(ages_band_lower[ages_band(want[b])], want[b]);
        assert_int_equal(ages_lifetime_band(want[b]), b);
        if (b)
            assert_int_equal(ages_lifetime_band(want[b] - 1), b - 1);
    }
    assert_int_equal(ages_lifetime_band(9), 1);
    assert_int_equal(ages_lifetime_band(599), 3);
    assert_int_equal(ages_lifetime_band(86400), AGES_LIFETIMES - 1);
    assert_int_equal(ages_lifetime_band(AGES_CLOCK_MASK), AGES_LIFETIMES - 1);
    assert_int_equal(ages_lifetime_band(UINT32_MAX), AGES_LIFETIMES - 1);
}

/* ages_fold gives each stack its bands, youngest first, whose totals add
 * up to live_fold's. */
static void ages_fold_bands(void **state)
{
    enum { N = 5 };
    uint32_t now = ages_now();
    /* stack 1: ages 0 (x3) and 700 (x2); stack 3: 4000 s; stack 4: none. */
    static const struct {
        uint32_t stack, age;
        uint64_t size;
    } objs[] = {{1, 0, 10}, {1, 0, 20}, {1, 0, 30}, {1, 700, 1000}, {1, 700, 3000}, {3, 4000, 7}};
    for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++) {
        live_entry e = entry(0x50000 + i * 64, objs[i].size, objs[i].stack), old;
        live_set_born(&e, (now - objs[i].age) & AGES_CLOCK_MASK);
        bool had;
        assert_int_equal(live_insert(&e, &old, &had), 0);
    }
    ages_table *a = ages_fold(N);
    assert_non_null(a);
    assert_int_equal(ages_mask(a, 0), 0);
    assert_int_equal(ages_mask(a, 1), 1u << 0 | 1u << ages_band(700));
    assert_int_equal(ages_mask(a, 3), 1u << ages_band(4000));
    assert_int_equal(ages_mask(a, 4), 0);
    assert_int_equal(ages_mask(a, 99), 0); /* beyond the table */
    const stack_totals *t = ages_totals(a, 1, 0);
    assert_int_equal(t->samples, 3);
    assert_int_equal(t->bytes, 60);
    t = ages_totals(a, 1, ages_band(700));
    assert_int_equal(t->samples, 2);
    assert_int_equal(t->bytes, 4000);
    t = ages_totals(a, 3, ages_band(4000));
    assert_int_equal(t->samples, 1);
    assert_int_equal(t->bytes, 7);
    stack_totals whole[N] = {0};
    live_fold(whole, N);
    assert_int_equal(whole[1].bytes, 4060);
    assert_int_equal(whole[1].objs,
                     ages_totals(a, 1, 0)->objs + ages_totals(a, 1, ages_band(700))->objs);
    ages_free(a);
    /* Stacks at or beyond n are left out. */
    a = ages_fold(2);
    assert_non_null(a);
    assert_int_equal(ages_mask(a, 3), 0);
    ages_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(insert_remove, setup),
        cmocka_unit_test_setup(replace_same_address, setup),
        cmocka_unit_test_setup(collisions, setup),
        cmocka_unit_test_setup(growth, setup),
        cmocka_unit_test_setup(bound_reached, setup),
        cmocka_unit_test_setup(pool_returns, setup),
        cmocka_unit_test_setup(out_of_memory, setup),
        cmocka_unit_test_setup(pinned_slot_sticks, setup),
        cmocka_unit_test_setup(tags_rule_out, setup),
        cmocka_unit_test_setup(count_saturates, setup),
        cmocka_unit_test_setup(granule_follows_interval, setup),
        cmocka_unit_test_setup(pin_before_init, setup),
        cmocka_unit_test_setup(pins_at_the_ends, setup),
        cmocka_unit_test_setup(pin_copy_reads_little, setup),
        cmocka_unit_test_setup(concurrent, setup),
        cmocka_unit_test_setup(fold, setup),
        cmocka_unit_test_setup(visit_unlocked, setup),
        cmocka_unit_test_setup(orphaned_lock_taken_over, setup),
        cmocka_unit_test_setup(born_packed, setup),
        cmocka_unit_test_setup(ages_arithmetic, setup),
        cmocka_unit_test(lifetime_bands),
        cmocka_unit_test_setup(ages_fold_bands, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * ages.c - see ages.h.
 */
#include "ages.h"

#include <stdlib.h>

#include "mem.h"
#include "live.h"
#include "stacks.h"

const uint32_t ages_band_lower[AGES_BANDS] = AGES_BAND_LOWER;
const uint32_t ages_lifetime_lower[AGES_LIFETIMES] = AGES_LIFETIME_LOWER;

/* How far after `now` a birth may be and still be taken for "just now"
 * rather than for 8.5 years ago: longer than any profile takes to write. */
enum { AGES_AHEAD = 3600 };

uint32_t ages_of(uint32_t born, uint32_t now)
{
    if (((born - now) & AGES_CLOCK_MASK) <= AGES_AHEAD)
        return 0;
    return (now - born) & AGES_CLOCK_MASK;
}

/* A binary search: it runs for every live entry, twice a dump, under the
 * entry's shard lock, which a sampled free of that shard waits for. */
unsigned ages_band(uint32_t age)
{
    unsigned lo = 0, hi = AGES_BANDS; /* ages_band_lower[lo] <= age < [hi] */
    while (hi - lo > 1) {
        unsigned mid = (lo + hi) / 2;
        if (age >= ages_band_lower[mid])
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

unsigned ages_lifetime_band(uint32_t lifetime)
{
    unsigned b = AGES_LIFETIMES - 1;
    while (b && lifetime < ages_lifetime_lower[b])
        b--;
    return b;
}

struct ages_table {
    size_t n;
    uint32_t now;
    uint32_t *mask;  /* by id: the bands in use */
    uint32_t *first; /* by id: the index in t of its lowest band */
    stack_totals *t;
};

_Static_assert(AGES_BANDS <= 32, "a stack's bands are one 32-bit mask");

static unsigned band_of(const ages_table *a, const live_entry *e)
{
    return ages_band(ages_of(live_born(e), a->now));
}

static void mark(void *ctx, const live_entry *e)
{
    ages_table *a = ctx;
    if (e->stack_id < a->n)
        a->mask[e->stack_id] |= 1u << band_of(a, e);
}

/* Stack id's slot for band b (a bit of its mask): after those of its
 * lower bands. */
static stack_totals *slot(const ages_table *a, uint32_t id, unsigned b)
{
    uint32_t below = a->mask[id] & ((1u << b) - 1);
    return &a->t[a->first[id] + (uint32_t)__builtin_popcount(below)];
}

static void add(void *ctx, const live_entry *e)
{
    ages_table *a = ctx;
    if (e->stack_id >= a->n)
        return;
    unsigned b = band_of(a, e);
    if (!(a->mask[e->stack_id] >> b & 1))
        return; /* inserted since the first pass, in a band it had not */
    stack_sample x = stacks_weigh(e->size, e->weight);
    stack_totals *t = slot(a, e->stack_id, b);
    t->objs += x.objs;
    t->bytes += x.bytes;
    t->samples++;
    t->var_objs += x.var_objs;
    t->var_bytes += x.var_bytes;
}

ages_table *ages_fold(size_t n)
{
    ages_table *a = mem_calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->n = n;
    a->now = ages_now();
    a->mask = mem_calloc(n ? n : 1, sizeof *a->mask);
    a->first = mem_calloc(n ? n : 1, sizeof *a->first);
    if (!a->mask || !a->first)
        goto fail;
    live_visit(mark, a);
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        a->first[i] = (uint32_t)used;
        used += (size_t)__builtin_popcount(a->mask[i]);
    }
    a->t = mem_calloc(used ? used : 1, sizeof *a->t);
    if (!a->t)
        goto fail;
    live_visit(add, a);
    return a;
fail:
    ages_free(a);
    return NULL;
}

void ages_free(ages_table *a)
{
    if (!a)
        return;
    mem_free(a->mask);
    mem_free(a->first);
    mem_free(a->t);
    mem_free(a);
}

uint32_t ages_mask(const ages_table *a, uint32_t id) { return id < a->n ? a->mask[id] : 0; }

const stack_totals *ages_totals(const ages_table *a, uint32_t id, unsigned b)
{
    return slot(a, id, b);
}

typedef struct by_band {
    uint32_t now;
    uint64_t *bytes;
} by_band;

static void add_bytes(void *ctx, const live_entry *e)
{
    by_band *c = ctx;
    c->bytes[ages_band(ages_of(live_born(e), c->now))] += stacks_weigh_bytes(e->size, e->weight);
}

void ages_live_bytes(uint64_t bytes[AGES_BANDS])
{
    by_band c = {ages_now(), bytes};
    for (unsigned b = 0; b < AGES_BANDS; b++)
        bytes[b] = 0;
    live_visit(add_bytes, &c);
}

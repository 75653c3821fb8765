/*
 * birth_series.c - see birth_series.h.
 *
 * The stacks are the rows of one stackset of one column, nc + 3 types (as
 * birth_credit fills them), owning its keys: cleared before each profile,
 * so a row holds the current profile's credits.  st holds each row's
 * birth_bound_step state, BIRTH_BOUND_STATE(nc) doubles, in the rows'
 * order.  Each profile's bounded credits are added to `bounded`, its raw
 * ones to `raw`, row by row in the rows' order, which is the order
 * birth_credit over the whole series would have made them in (a stack
 * met later adds nothing to an earlier profile, bounded or not), so the
 * sums are the same to the bit.
 */
#include "birth_series.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stackset.h"

struct birth_series {
    size_t n, nc;
    size_t *end;
    birth_keep *keep;
    void *arg;
    stackset *s;
    double *st;       /* per row */
    size_t nst, stcap; /* rows with a state; room for */
    double *bounded, *raw; /* [k * n + i] */
    double split, unaged;
};

birth_series *birth_series_new(size_t n, const size_t *end, size_t nc, birth_keep *keep,
                               void *arg)
{
    birth_series *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->n = n;
    b->nc = nc;
    b->keep = keep;
    b->arg = arg;
    b->end = malloc(nc * sizeof *b->end);
    b->bounded = calloc(nc * n + 1, sizeof *b->bounded);
    b->raw = calloc(nc * n + 1, sizeof *b->raw);
    b->s = stackset_new(1, nc + 3);
    if (!b->end || !b->bounded || !b->raw || !b->s) {
        birth_series_free(b);
        return NULL;
    }
    memcpy(b->end, end, nc * sizeof *end);
    stackset_own_keys(b->s); /* the profiles are freed once added */
    return b;
}

void birth_series_free(birth_series *b)
{
    if (!b)
        return;
    stackset_free(b->s);
    free(b->end);
    free(b->st);
    free(b->bounded);
    free(b->raw);
    free(b);
}

/* States for the rows made by the last profile, i: each stepped over
 * profiles 0 to i - 1 with nothing in them (what birth_bound reads for a
 * stack absent from a profile: alloc 0, or NaN in a profile without
 * alloc_space). */
static int new_states(birth_series *b, size_t i, const bool *has_alloc)
{
    size_t w = BIRTH_BOUND_STATE(b->nc), nrows = stackset_count(b->s);
    if (nrows > b->stcap) {
        size_t cap = b->stcap ? b->stcap : 256;
        while (cap < nrows)
            cap *= 2;
        double *st = realloc(b->st, cap * w * sizeof *st);
        if (!st)
            return -1;
        b->st = st;
        b->stcap = cap;
    }
    double none[BIRTH_MAX_COHORTS];
    for (; b->nst < nrows; b->nst++) {
        double *st = b->st + b->nst * w;
        memset(st, 0, w * sizeof *st);
        for (size_t m = 0; m < i; m++) {
            memset(none, 0, sizeof none);
            birth_bound_step(st, m, b->end, b->nc, none, has_alloc[m] ? 0 : NAN, 0, 0);
        }
    }
    return 0;
}

int birth_series_add(birth_series *b, const profile *p, size_t i, const int64_t *t,
                     const bool *has_alloc)
{
    size_t n = b->n, nc = b->nc, w = BIRTH_BOUND_STATE(nc);
    for (size_t r = 0; r < stackset_count(b->s); r++)
        memset(stackset_cell_at(b->s, stackset_get(b->s, r), 0, 0), 0,
               (nc + 3) * sizeof(stackset_cell));
    long live = profile_read_type(p, "inuse_space"), alloc = profile_read_type(p, "alloc_space");
    double split, unaged, one[BIRTH_MAX_COHORTS];
    if (nc > BIRTH_MAX_COHORTS ||
        birth_credit_one(b->s, 0, p, i, t, live, alloc, b->end, nc, BIRTH_EVEN, b->keep, b->arg,
                         &split, &unaged) ||
        new_states(b, i, has_alloc))
        return -1;
    b->split += split;
    b->unaged += unaged;
    for (size_t r = 0; r < stackset_count(b->s); r++) {
        stackset_row *row = stackset_get(b->s, r);
        for (size_t k = 0; k < nc; k++) {
            one[k] = stackset_cell_at(b->s, row, 0, k)->val;
            b->raw[k * n + i] += one[k];
        }
        /* NaN: no allocation bound for the windows this profile ends or starts */
        double a = alloc >= 0 ? stackset_cell_at(b->s, row, 0, nc)->val : NAN;
        birth_bound_step(b->st + r * w, i, b->end, nc, one, a,
                         stackset_cell_at(b->s, row, 0, nc + 1)->val,
                         stackset_cell_at(b->s, row, 0, nc + 2)->val);
        for (size_t k = 0; k < nc; k++)
            b->bounded[k * n + i] += one[k];
    }
    return 0;
}

const double *birth_series_sums(const birth_series *b, bool bounded, double *split,
                                double *unaged)
{
    *split = b->split;
    *unaged = b->unaged;
    return bounded ? b->bounded : b->raw;
}

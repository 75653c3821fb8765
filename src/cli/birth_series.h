/*
 * birth_series.h - `heapprof timeline --by birth`'s figures for a series
 * read one profile at a time: each cohort's live bytes at each profile,
 * summed over the stacks, as birth_credit and birth_bound (birth.h) give
 * them over the whole series, without holding the series.
 *
 * What it holds: per stack met so far, one profile's credits and the
 * state birth_bound_step carries (about 0.7 KB for 10 cohorts); per
 * profile, each cohort's sum twice (bounded, and as credited, since
 * whether the bounds apply is known only once every profile is read).
 * Not the profiles, nor a stack's series.
 */
#ifndef HEAPPROF_CLI_BIRTH_SERIES_H
#define HEAPPROF_CLI_BIRTH_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "birth.h"
#include "profile_read.h"

typedef struct birth_series birth_series;

/* For a series of n profiles cut into the nc cohorts of end
 * (birth_cohorts); keep and arg as birth_credit's.  NULL when out of
 * memory. */
birth_series *birth_series_new(size_t n, const size_t *end, size_t nc, birth_keep *keep,
                               void *arg);
void birth_series_free(birth_series *b);

/* Credits p, the series' profile i (they come in order, from 0; sorted by
 * time), to the cohorts, per stack, and bounds each stack's credits at i
 * (every stack met so far; one met first here has its steps over the
 * profiles before taken with nothing in them, as birth_bound sees it).
 * t[0..i] are the time stamps of profiles 0 to i, has_alloc[0..i] whether
 * each has alloc_space.  0, or -1 when out of memory. */
int birth_series_add(birth_series *b, const profile *p, size_t i, const int64_t *t,
                     const bool *has_alloc);

/* cum[k * n + i]: cohort k's bytes at profile i, over every stack, bounded
 * by each stack's series (birth_bound) or as credited; the sums over the
 * profiles of birth_credit's split and unaged. */
const double *birth_series_sums(const birth_series *b, bool bounded, double *split,
                                double *unaged);

#endif

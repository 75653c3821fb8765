/*
 * age.h - the ages of live objects in heapprof profiles: the age bands the
 * library writes, choosing the samples of an age range, and ages written
 * the way people write them.
 *
 * heapprof writes one sample per age band of a stack's live objects, with
 * a numeric label "age" holding the band's lower bound in seconds, from
 * age_bounds (profile_read.h has how it is read).  A sample of age L holds
 * objects at least L and less than age_band_end(L) seconds old.  Ages from
 * other producers need not be bounds of this list; such an age counts as
 * the band of the bound at or below it.
 */
#ifndef HEAPPROF_CLI_AGE_H
#define HEAPPROF_CLI_AGE_H

#include <stdbool.h>
#include <stddef.h>

#include "profile_read.h"

enum { AGE_NBOUNDS = 26 };
extern const double age_bounds[AGE_NBOUNDS];

/* Over n ascending band bounds from 0 (this list, or lifetime.h's): the
 * first bound above a (INFINITY past the last), and the last bound at or
 * below a (0 below the first). */
double bounds_band_end(const double *bounds, size_t n, double a);
double bounds_band_start(const double *bounds, size_t n, double a);

/* The end of the band holding age a: the first bound above a (INFINITY past
 * the last). */
double age_band_end(double a);

/* The last bound at or below a (0 for a < 1). */
double age_band_start(double a);

/* The smallest bound >= s, or INFINITY. */
double age_bound_at_or_above(double s);

/* Samples whose objects all lie in [min, max) seconds of age: a sample of
 * age L is in when age_band_start(L) >= min and age_band_end(L) <= max
 * (max INFINITY: no upper limit).  A sample without an age is never in. */
typedef struct age_range {
    double min, max;
} age_range;

bool age_range_has(const age_range *r, double age);

/* The range r as whole bands allow it: [*lo, *hi), from the first bound at
 * or above r->min to the start of the band holding r->max (INFINITY for
 * none).  *lo is INFINITY past the last bound; *hi <= *lo leaves nothing. */
void age_range_edges(const age_range *r, double *lo, double *hi);

/* A view of p that holds only the samples in r: a copy of p's header whose
 * samples are the kept ones (the names and values stay p's, so p must
 * outlive it).  Of the samples left out, those without an age that have a
 * nonzero value of type t are counted in `unaged` (their values of t
 * summed in unaged_value): a producer that writes ages for some stacks
 * only.  0, or -1 when out of memory. */
typedef struct age_view {
    profile p;
    size_t unaged;
    double unaged_value;
} age_view;

int age_view_make(const profile *p, const age_range *r, size_t t, age_view *v);
void age_view_free(age_view *v);

/* s seconds as "90s", "10m", "2h", "1d", "1.5h": the largest of d, h, m,
 * s that gives a whole number, else seconds. */
void age_short(char *buf, size_t len, double s);

#endif

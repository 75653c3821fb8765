/*
 * lifetime.h - the lifetimes of freed objects in heapprof profiles: the
 * lifetime bands the library writes, and choosing the samples of the
 * objects freed within a duration (top and flame's --max-lifetime:
 * temporary allocations, which cost allocator time for nothing).
 *
 * heapprof splits each stack's alloc_* values by how long its freed
 * objects lived: one sample per lifetime band, with a numeric label
 * "lifetime" holding the band's lower bound in seconds, from
 * lifetime_bounds (src/ages.h; profile_read.h has how it is read).  A
 * sample of lifetime L holds objects freed at least L and less than
 * lifetime_band_end(L) seconds after their allocation, on a clock of whole
 * seconds (so the band under 1 s holds those freed within the second they
 * were allocated in).  The stack's other alloc_* values (objects still
 * live, or whose free went unseen) are on samples without the label.
 * Lifetimes from other producers need not be bounds of this list; such a
 * lifetime counts as the band of the bound at or below it.
 */
#ifndef HEAPPROF_CLI_LIFETIME_H
#define HEAPPROF_CLI_LIFETIME_H

#include "profile_read.h"

enum { LIFETIME_NBOUNDS = 6 };
extern const double lifetime_bounds[LIFETIME_NBOUNDS];

/* The end of the band holding lifetime l: the first bound above l
 * (INFINITY past the last). */
double lifetime_band_end(double l);

/* The last bound at or below l (0 for l < 1). */
double lifetime_band_start(double l);

/* A view of p that holds only the samples of objects all freed less than
 * `within` seconds after their allocation: those with a lifetime L whose
 * band ends at `within` or before (lifetime_band_end(L) <= within).  A copy
 * of p's header whose samples are the kept ones (the names and values
 * stay p's, so p must outlive it; free its samples with
 * lifetime_view_free).  0, or -1 when out of memory. */
int lifetime_view_make(const profile *p, double within, profile *v);
void lifetime_view_free(profile *v);

#endif

/*
 * birth.h - when the live objects of a profile were born: the birth
 * interval of an age band, the part of a band's value credited to a window
 * of birth times, and the windows ("cohorts") a series of profiles is cut
 * into.  Pure arithmetic; `heapprof timeline --by birth` and the born-in-
 * window columns of `heapprof leaks` are its users.
 *
 * A sample of age band [lo, hi) (age.h) in a profile taken at time T
 * (seconds: its time_nanos) holds objects born in (T - hi, T - lo].  When
 * within that interval is unknown, so a band's value is credited to a
 * window (a, b] in proportion to the overlap,
 *     share = |(T - hi, T - lo] ∩ (a, b]| / (hi - lo),
 * as if the band's objects were born evenly over its interval.  The error:
 * only a band whose interval straddles a window edge is split, and it is
 * exact when its births were in fact even; at worst (all of them on one
 * side) the whole of the part credited to the other side is wrong.  A
 * band ends at most 2.5 times its lower bound (age.c's list; the first,
 * [0, 1 s), aside), so of a profile's objects, only those between D / 2.5
 * and 2.5 D old can be misplaced by an edge D seconds before the profile,
 * and none when D is itself a bound (60 s, 10 min, ...).
 *
 * The last band has no end (hi = INFINITY).  Its interval is capped at the
 * process's start, T - dur, when the profile's duration dur (the time since
 * heapprof started) is longer than lo; otherwise it is taken as the one
 * instant T - lo, all of it credited to the window that holds it.
 *
 * Ages are whole seconds of the monotonic clock and T is the wall clock
 * when the profile was written, so every interval is good to about a
 * second.
 */
#ifndef HEAPPROF_CLI_BIRTH_H
#define HEAPPROF_CLI_BIRTH_H

#include <stddef.h>

/* Birth times (from, to], seconds on the profiles' clock; from == to: the
 * single instant `to`. */
typedef struct birth_span {
    double from, to;
} birth_span;

/* The births of a sample of age `age` (age.h: the band of the bound at or
 * below it) in a profile taken at T, with duration dur (0: unknown). */
birth_span birth_span_of(double T, double age, double dur);

/* The share of s credited to births in (a, b] (a may be -INFINITY, b
 * INFINITY), in [0, 1].  Shares of windows that tile the line sum to 1. */
double birth_share(birth_span s, double a, double b);

/* Cohorts of a series of n >= 1 profiles: cohort 0 is everything born up
 * to the first profile; the others are windows between profiles, at most
 * max - 1 of them (max >= 2), each a run of whole intervals between
 * consecutive profiles, as even in count as can be.  end[j] is the index
 * of the profile that closes cohort j (end[0] = 0, increasing, the last
 * n - 1), and cohort j > 0 is born in (t[end[j-1]], t[end[j]]].  Returns
 * the number of cohorts, at most min(n, max). */
size_t birth_cohorts(size_t n, size_t max, size_t *end);

#endif

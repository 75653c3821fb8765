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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile_read.h"
#include "stackset.h"

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

/* Credits the live values of p[0..n-1] (sorted by time, every one with a
 * time stamp; live[i], alloc[i]: p[i]'s indexes of inuse_space and
 * alloc_space, alloc -1 when absent) to the nc cohorts of end, per whole
 * stack: in the stackset s (n profiles, nc + 3 types), cell (i, k) of a
 * stack's row gets what profile i holds of cohort k, cell (i, nc) the
 * stack's allocated bytes (all of its samples, live or not), cell
 * (i, nc + 1) its live bytes (all of its samples, aged or not: what
 * birth_bound's survival bound reads), cell (i, nc + 2) the live bytes of
 * its samples whose birth interval reaches into the window of the cohort
 * open at i, the one that holds t_i (birth_bound's young).  A sample shared between cohorts
 * is credited by `rule`: BIRTH_EVEN in proportion to the overlap (the rule
 * above), BIRTH_OLDEST all of it to the oldest cohort it overlaps,
 * BIRTH_NEWEST to the newest.  Those two are the extremes: with two
 * cohorts, the truth for each lies between its credits by them.  Samples
 * for which keep (NULL: all) is false are left out.  split[i] sums the
 * values in profile i of samples shared between cohorts, unaged[i] those of
 * samples without an age (credited to none); nonpositive values count
 * nowhere.  0, or -1 when out of memory. */
enum birth_rule { BIRTH_EVEN, BIRTH_OLDEST, BIRTH_NEWEST };
typedef bool birth_keep(const profile_sample *s, void *arg);
int birth_credit(stackset *s, profile *const *p, size_t n, const long *live, const long *alloc,
                 const size_t *end, size_t nc, enum birth_rule rule, birth_keep *keep, void *arg,
                 double *split, double *unaged);

/* birth_credit's work on one profile, p, the series' profile i, into
 * column col of s: t[0..i] are the time stamps of the series' profiles up
 * to i (no later one is read: what p holds was born by its own time, so
 * the cohorts not begun at i get none of it, and the open one's window
 * reaches past it), live and alloc p's indexes of inuse_space and
 * alloc_space, *split and *unaged its split[i] and unaged[i].  For a
 * reader that reads a long series one profile at a time. */
int birth_credit_one(stackset *s, size_t col, const profile *p, size_t i, const int64_t *t,
                     long live, long alloc, const size_t *end, size_t nc, enum birth_rule rule,
                     birth_keep *keep, void *arg, double *split, double *unaged);

/* Tightens one stack's credits c[k * n + i] (cohort k at profile i) with
 * what the series knows, for profiles of one process (a sampled object
 * stays in every profile while it lives, with the same weight, so the
 * bounds hold for estimates too), profile by profile in order.  live[m] is
 * the stack's live bytes at profile m, all of them: those its credits
 * leave out, u_m (samples without an age, or a profile the caller did not
 * credit), are of unknown birth, and still bound what was live.  At
 * profile i, with L the sum of its credits, cohort k is
 *   not begun   (end[k-1] >= i): it holds nothing, as nothing live at i
 *               was born after t_i;
 *   open        (end[k-1] < i <= end[k]): its window holds t_i;
 *   closed      (end[k] < i), and then, by survival (objects born by its
 *               close and live at i were live at every profile between):
 *               it holds at most H_k = min over m in [end[k], i) of
 *               c_k(m) + u_m, its bytes since its window closed, as
 *               already bounded: it can only thin out; and with S_k the
 *               credits of cohorts 0..k, S_k <= U_k = min over m in
 *               [end[k], i] of live[m].
 * Those never give way.  These may (an alloc estimate's sampling noise):
 *   allocation  cohort j > 0 holds at most what the stack allocated in its
 *               window, up to i: A_j = alloc[min(end[j], i)] -
 *               alloc[end[j-1]] (cohort 0: no bound, as survival's, the
 *               live bytes at the first profile, is tighter);
 *   ages        the open cohort holds at most young[i], the bytes of the
 *               samples whose birth interval reaches into its window
 *               (birth_credit's cell nc + 2; young NULL: no such bound).
 * From the oldest cohort up, S_k becomes the running sum of the credits,
 * lowered to what cohort k can hold on top of S_{k-1} (the lesser of its
 * two caps), raised to what the newer cohorts cannot hold (L less the sum
 * of their caps), then limited by survival, which wins: bytes a cohort
 * cannot hold move to the next newer one that can, the open one last,
 * unless the newer ones' caps leave them older.  The open cohort's S is L:
 * the total is kept, and every cohort stays >= 0.  The direction is the
 * running sums': bytes pushed out of a closed window land in the next
 * newer one that has room, which their ages need not reach; the ages bound
 * only the open cohort (where they would land last), as the closed ones
 * are bounded by survival.  alloc NULL, a profile's alloc NaN (it has no
 * alloc_space), or a window in which alloc went down (a restart, a delta
 * profile): no allocation bound for the windows it ends or starts.  The
 * overlap rule overstates the older side when a band is much wider than the
 * windows (a series taken within a second is all in the band [0, 1 s));
 * these bounds put such bytes back where they can only have been born. */
enum { BIRTH_MAX_COHORTS = 32 }; /* birth_bound's limit (it leaves more alone) */

/* Whether p[0..n-1] can be profiles of one process, as birth_bound's rule
 * needs: every one has a time stamp and a duration (heapprof's: the time
 * since the profiler started), and the start times they give, time stamp
 * less duration, agree within 2 s or 1/1000 of the series' span, whichever
 * is more (the time stamp is the wall clock, the duration the monotonic
 * one, which NTP may slew apart by up to 500 ppm).  A restart inside the
 * series moves the start; so does a profile of another run.  Profiles that
 * name their process (heapprof's run id) must name the same one: replicas
 * started at once would pass the times' test.  False when it cannot tell
 * (no duration, as in Go's profiles). */
bool birth_one_process(profile *const *p, size_t n);
void birth_bound(double *c, size_t n, const size_t *end, size_t nc, const double *alloc,
                 const double *live, const double *young);

/* birth_bound one profile at a time, for a reader that does not hold a
 * stack's whole series: st (BIRTH_BOUND_STATE(nc) doubles, zeroed before
 * profile 0) carries what the bounds need from the profiles before i; c
 * holds the stack's nc credits at profile i, tightened in place; alloc
 * (NaN: none), live and young (INFINITY: none) are its alloc[i],
 * live[i] and young[i].  Called for i = 0, 1, ... n - 1 in turn, it
 * gives what birth_bound gives, to the bit (birth_bound is made of it). */
#define BIRTH_BOUND_STATE(nc) (4 * (nc) + 1)
void birth_bound_step(double *st, size_t i, const size_t *end, size_t nc, double *c,
                      double alloc, double live, double young);

#endif

/*
 * birth.c - see birth.h.  Stateless.
 */
#include "birth.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "age.h"

birth_span birth_span_of(double T, double age, double dur)
{
    double lo = age_band_start(age), hi = age_band_end(age);
    if (isinf(hi))
        hi = dur > lo ? dur : lo;
    return (birth_span){T - hi, T - lo};
}

double birth_share(birth_span s, double a, double b)
{
    if (s.to <= s.from) /* one instant */
        return a < s.to && s.to <= b ? 1 : 0;
    double from = fmax(s.from, a), to = fmin(s.to, b);
    return to > from ? (to - from) / (s.to - s.from) : 0;
}

size_t birth_cohorts(size_t n, size_t max, size_t *end)
{
    size_t gaps = n - 1, windows = gaps < max - 1 ? gaps : max - 1;
    end[0] = 0;
    /* Window j ends at the profile ceil(j * gaps / windows): strictly
     * increasing, since gaps >= windows, and the last is n - 1. */
    for (size_t j = 1; j <= windows; j++)
        end[j] = (j * gaps + windows - 1) / windows;
    return windows + 1;
}

int birth_credit_one(stackset *s, size_t col, const profile *p, size_t i, const int64_t *t,
                     long live, long alloc, const size_t *end, size_t nc, enum birth_rule rule,
                     birth_keep *keep, void *arg, double *split, double *unaged)
{
    /* Times relative to the first profile: absolute ones (1.7e9 s) would
     * leave a double about 1e-7 s of resolution, relative ones far more. */
    int64_t t0 = t[0];
    double T = (double)(p->time_nanos - t0) / 1e9, dur = (double)p->duration_nanos / 1e9;
    size_t open = 0; /* the cohort whose window holds T */
    while (open + 1 < nc && end[open] < i)
        open++;
    *split = *unaged = 0;
    for (size_t j = 0; j < p->nsamples; j++) {
        const profile_sample *smp = &p->samples[j];
        double v = (double)smp->values[live];
        if (keep && !keep(smp, arg))
            continue;
        stackset_row *r = stackset_row_hashed(s, smp->frames, smp->hashes, smp->nframes);
        if (!r)
            return -1;
        if (alloc >= 0)
            stackset_cell_add(stackset_cell_at(s, r, col, nc), (double)smp->values[alloc], 0,
                              PROFILE_SD_UNKNOWN);
        if (!(v > 0))
            continue;
        stackset_cell_add(stackset_cell_at(s, r, col, nc + 1), v, 0, PROFILE_SD_UNKNOWN);
        if (smp->age < 0) {
            *unaged += v;
            continue;
        }
        birth_span b = birth_span_of(T, smp->age, dur);
        size_t parts = 0, oldest = 0, newest = 0;
        /* Births are at T or before (b.to <= T): the cohorts after the open
         * one get none of them, and the open one's window ends at T as far
         * as they go, whenever the profile that closes it was taken. */
        for (size_t k = 0; k <= open; k++) {
            double from = k ? (double)(t[end[k - 1]] - t0) / 1e9 : -INFINITY;
            double to = k == open ? T : (double)(t[end[k]] - t0) / 1e9;
            double share = birth_share(b, from, to);
            if (rule == BIRTH_EVEN)
                stackset_cell_add(stackset_cell_at(s, r, col, k), v * share, 0,
                                  PROFILE_SD_UNKNOWN);
            if (share > 0 && !parts++)
                oldest = k;
            if (share > 0)
                newest = k;
            if (share > 0 && k == open)
                stackset_cell_add(stackset_cell_at(s, r, col, nc + 2), v, 0, PROFILE_SD_UNKNOWN);
        }
        if (rule != BIRTH_EVEN && parts)
            stackset_cell_add(stackset_cell_at(s, r, col, rule == BIRTH_OLDEST ? oldest : newest),
                              v, 0, PROFILE_SD_UNKNOWN);
        if (parts > 1)
            *split += v;
    }
    return 0;
}

int birth_credit(stackset *s, profile *const *p, size_t n, const long *live, const long *alloc,
                 const size_t *end, size_t nc, enum birth_rule rule, birth_keep *keep, void *arg,
                 double *split, double *unaged)
{
    int64_t *t = malloc(n * sizeof *t);
    int rc = t ? 0 : -1;
    for (size_t i = 0; !rc && i < n; i++)
        t[i] = p[i]->time_nanos;
    for (size_t i = 0; !rc && i < n; i++)
        rc = birth_credit_one(s, i, p[i], i, t, live[i], alloc[i], end, nc, rule, keep, arg,
                              &split[i], &unaged[i]);
    free(t);
    return rc;
}

/* The most cohort j can hold at profile i by the allocation bound: what
 * alloc_space grew by in its window, up to i (alloc, at i; ends[j], at the
 * profile that closed cohort j).  None for cohort 0: its survival bound,
 * the live bytes at the first profile, is tighter than alloc_space since
 * the start, which a delta profile does not even hold. */
static double alloc_cap(double alloc, const double *ends, const size_t *end, size_t j, size_t i)
{
    if (!j)
        return INFINITY;
    double a = (end[j] < i ? ends[j] : alloc) - ends[j - 1];
    return a >= 0 ? a : INFINITY; /* also NaN: a profile without alloc_space */
}

void birth_bound_step(double *st, size_t i, const size_t *end, size_t nc, double *c,
                      double alloc, double live, double young)
{
    if (nc > BIRTH_MAX_COHORTS)
        return;
    /* Per cohort, carried from profile to profile once its window has
     * closed: the survival bounds U_k and H_k over the profiles so far. */
    double *up = st, *held = st + nc, *ends = st + 2 * nc, *prev = st + 3 * nc;
    double *prev_live = st + 4 * nc;
    /* (zeroed for cppcheck, which does not see the loop below fill them) */
    double hard[BIRTH_MAX_COHORTS] = {0}, soft[BIRTH_MAX_COHORTS] = {0};
    double room[BIRTH_MAX_COHORTS + 1];
    double L = 0, unknown = 0;
    if (i) { /* bytes at profile i - 1 of unknown birth: live, less what is credited */
        double credited = 0;
        for (size_t k = 0; k < nc; k++)
            credited += prev[k];
        unknown = fmax(0, *prev_live - credited);
    }
    for (size_t k = 0; k < nc; k++) {
        L += c[k];
        bool begun = !k || end[k - 1] < i, closed = end[k] < i;
        if (closed) {
            bool first = end[k] == i - 1;
            double was = prev[k] + unknown;
            held[k] = first ? was : fmin(held[k], was);
            up[k] = fmin(first ? *prev_live : up[k], live);
        }
        hard[k] = !begun ? 0 : closed ? held[k] : INFINITY;
        soft[k] = begun ? alloc_cap(alloc, ends, end, k, i) : 0;
        if (begun && !closed)
            soft[k] = fmin(soft[k], young);
    }
    room[nc] = 0; /* room[k]: what cohorts k and after can hold */
    for (size_t k = nc; k-- > 0;)
        room[k] = room[k + 1] + fmin(hard[k], soft[k]);
    double below = 0, want = 0;
    for (size_t k = 0; k < nc; k++) {
        want += c[k];
        double hi = fmin(end[k] < i ? up[k] : INFINITY, below + hard[k]);
        double lo = fmax(below, L - room[k + 1]);
        double S = fmin(hi, fmax(lo, fmin(below + soft[k], want)));
        c[k] = S - below;
        below = S;
    }
    for (size_t k = 0; k < nc; k++) {
        if (end[k] == i)
            ends[k] = alloc;
        prev[k] = c[k];
    }
    *prev_live = live;
}

void birth_bound(double *c, size_t n, const size_t *end, size_t nc, const double *alloc,
                 const double *live, const double *young)
{
    double st[BIRTH_BOUND_STATE(BIRTH_MAX_COHORTS)] = {0}, one[BIRTH_MAX_COHORTS];
    for (size_t i = 0; i < n && nc <= BIRTH_MAX_COHORTS; i++) {
        for (size_t k = 0; k < nc; k++)
            one[k] = c[k * n + i];
        /* NaN: no allocation bound (alloc_cap); INFINITY: no age bound */
        birth_bound_step(st, i, end, nc, one, alloc ? alloc[i] : NAN, live[i],
                         young ? young[i] : INFINITY);
        for (size_t k = 0; k < nc; k++)
            c[k * n + i] = one[k];
    }
}

bool birth_one_process(profile *const *p, size_t n)
{
    double lo = INFINITY, hi = -INFINITY, t0 = INFINITY, t1 = -INFINITY;
    uint64_t run = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i]->time_nanos <= 0 || p[i]->duration_nanos <= 0)
            return false;
        if (p[i]->run && run && p[i]->run != run)
            return false; /* processes that started together still differ */
        run = p[i]->run ? p[i]->run : run;
        double t = (double)p[i]->time_nanos / 1e9;
        double start = t - (double)p[i]->duration_nanos / 1e9;
        lo = fmin(lo, start);
        hi = fmax(hi, start);
        t0 = fmin(t0, t);
        t1 = fmax(t1, t);
    }
    return hi - lo <= fmax(2.0, 1e-3 * (t1 - t0));
}

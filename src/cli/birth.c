/*
 * birth.c - see birth.h.  Stateless.
 */
#include "birth.h"

#include <math.h>
#include <stdint.h>

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

int birth_credit(stackset *s, profile *const *p, size_t n, const long *live, const long *alloc,
                 const size_t *end, size_t nc, enum birth_rule rule, birth_keep *keep, void *arg,
                 double *split, double *unaged)
{
    /* Times relative to the first profile: absolute ones (1.7e9 s) would
     * leave a double about 1e-7 s of resolution, relative ones far more. */
    int64_t t0 = p[0]->time_nanos;
    for (size_t i = 0; i < n; i++) {
        double T = (double)(p[i]->time_nanos - t0) / 1e9, dur = (double)p[i]->duration_nanos / 1e9;
        size_t open = 0; /* the cohort whose window holds T */
        while (open + 1 < nc && end[open] < i)
            open++;
        split[i] = unaged[i] = 0;
        for (size_t j = 0; j < p[i]->nsamples; j++) {
            const profile_sample *smp = &p[i]->samples[j];
            double v = (double)smp->values[live[i]];
            if (keep && !keep(smp, arg))
                continue;
            stackset_row *r = stackset_row_for(s, smp->frames, smp->nframes);
            if (!r)
                return -1;
            if (alloc[i] >= 0)
                stackset_cell_add(stackset_cell_at(s, r, i, nc), (double)smp->values[alloc[i]], 0,
                                  PROFILE_SD_UNKNOWN);
            if (!(v > 0))
                continue;
            stackset_cell_add(stackset_cell_at(s, r, i, nc + 1), v, 0, PROFILE_SD_UNKNOWN);
            if (smp->age < 0) {
                unaged[i] += v;
                continue;
            }
            birth_span b = birth_span_of(T, smp->age, dur);
            size_t parts = 0, oldest = 0, newest = 0;
            for (size_t k = 0; k < nc; k++) {
                double from = k ? (double)(p[end[k - 1]]->time_nanos - t0) / 1e9 : -INFINITY;
                double to = (double)(p[end[k]]->time_nanos - t0) / 1e9;
                double share = birth_share(b, from, to);
                if (rule == BIRTH_EVEN)
                    stackset_cell_add(stackset_cell_at(s, r, i, k), v * share, 0,
                                      PROFILE_SD_UNKNOWN);
                if (share > 0 && !parts++)
                    oldest = k;
                if (share > 0)
                    newest = k;
                if (share > 0 && k == open)
                    stackset_cell_add(stackset_cell_at(s, r, i, nc + 2), v, 0, PROFILE_SD_UNKNOWN);
            }
            if (rule != BIRTH_EVEN && parts)
                stackset_cell_add(stackset_cell_at(s, r, i, rule == BIRTH_OLDEST ? oldest : newest),
                                  v, 0, PROFILE_SD_UNKNOWN);
            if (parts > 1)
                split[i] += v;
        }
    }
    return 0;
}

/* The most cohort j can hold at profile i by the allocation bound: what
 * alloc_space grew by in its window, up to i.  None for cohort 0: its
 * survival bound, the live bytes at the first profile, is tighter than
 * alloc_space since the start, which a delta profile does not even hold. */
static double alloc_cap(const double *alloc, const size_t *end, size_t j, size_t i)
{
    if (!alloc || !j)
        return INFINITY;
    double a = alloc[end[j] < i ? end[j] : i] - alloc[end[j - 1]];
    return a >= 0 ? a : INFINITY; /* also NaN: a profile without alloc_space */
}

/* Bytes at profile m of unknown birth: live, less what is credited. */
static double unknown_at(const double *c, size_t n, size_t nc, const double *live, size_t m)
{
    double credited = 0;
    for (size_t k = 0; k < nc; k++)
        credited += c[k * n + m];
    return fmax(0, live[m] - credited);
}

void birth_bound(double *c, size_t n, const size_t *end, size_t nc, const double *alloc,
                 const double *live, const double *young)
{
    /* Per cohort, carried from profile to profile once its window has
     * closed: the survival bounds U_k and H_k over the profiles so far. */
    double up[BIRTH_MAX_COHORTS] = {0}, held[BIRTH_MAX_COHORTS] = {0};
    double hard[BIRTH_MAX_COHORTS], soft[BIRTH_MAX_COHORTS], room[BIRTH_MAX_COHORTS + 1];
    for (size_t i = 0; i < n && nc <= BIRTH_MAX_COHORTS; i++) {
        double L = 0, unknown = i ? unknown_at(c, n, nc, live, i - 1) : 0;
        for (size_t k = 0; k < nc; k++) {
            L += c[k * n + i];
            bool begun = !k || end[k - 1] < i, closed = end[k] < i;
            if (closed) {
                bool first = end[k] == i - 1;
                double was = c[k * n + i - 1] + unknown;
                held[k] = first ? was : fmin(held[k], was);
                up[k] = fmin(first ? live[i - 1] : up[k], live[i]);
            }
            hard[k] = !begun ? 0 : closed ? held[k] : INFINITY;
            soft[k] = begun ? alloc_cap(alloc, end, k, i) : 0;
            if (begun && !closed && young)
                soft[k] = fmin(soft[k], young[i]);
        }
        room[nc] = 0; /* room[k]: what cohorts k and after can hold */
        for (size_t k = nc; k-- > 0;)
            room[k] = room[k + 1] + fmin(hard[k], soft[k]);
        double below = 0, want = 0;
        for (size_t k = 0; k < nc; k++) {
            want += c[k * n + i];
            double hi = fmin(end[k] < i ? up[k] : INFINITY, below + hard[k]);
            double lo = fmax(below, L - room[k + 1]);
            double S = fmin(hi, fmax(lo, fmin(below + soft[k], want)));
            c[k * n + i] = S - below;
            below = S;
        }
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

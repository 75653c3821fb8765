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

/* The most cohort j can hold at profile i by the allocation bound. */
static double alloc_cap(const double *alloc, const size_t *end, size_t j, size_t i)
{
    if (!alloc)
        return INFINITY;
    if (!j)
        return alloc[0];
    if (end[j - 1] >= i)
        return 0; /* not begun */
    double a = alloc[end[j] < i ? end[j] : i] - alloc[end[j - 1]];
    return a >= 0 ? a : INFINITY; /* also NaN: a profile without alloc_space */
}

void birth_bound(double *c, size_t n, const size_t *end, size_t nc, const double *alloc,
                 const double *live)
{
    double S[BIRTH_MAX_COHORTS] = {0};
    for (size_t i = 0; i < n && nc <= BIRTH_MAX_COHORTS; i++) {
        double sum = 0;
        for (size_t k = 0; k < nc; k++)
            S[k] = sum += c[k * n + i];
        for (size_t k = 0; k < nc; k++) {
            double up = INFINITY, lo = sum;
            for (size_t m = end[k]; end[k] < i && m <= i; m++)
                up = fmin(up, live[m]);
            for (size_t j = k + 1; j < nc; j++)
                lo -= alloc_cap(alloc, end, j, i);
            S[k] = fmin(up, fmax(lo, S[k]));
        }
        double below = 0;
        for (size_t k = 0; k < nc; k++) {
            c[k * n + i] = S[k] - below;
            below = S[k];
        }
    }
}

bool birth_one_process(profile *const *p, size_t n)
{
    double lo = INFINITY, hi = -INFINITY, t0 = INFINITY, t1 = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (p[i]->time_nanos <= 0 || p[i]->duration_nanos <= 0)
            return false;
        double t = (double)p[i]->time_nanos / 1e9;
        double start = t - (double)p[i]->duration_nanos / 1e9;
        lo = fmin(lo, start);
        hi = fmax(hi, start);
        t0 = fmin(t0, t);
        t1 = fmax(t1, t);
    }
    return hi - lo <= fmax(2.0, 1e-3 * (t1 - t0));
}

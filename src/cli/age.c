/*
 * age.c - see age.h.  Stateless apart from the constant bound list, the
 * library's own (src/ages.h).
 */
#include "age.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "ages.h"

const double age_bounds[AGE_NBOUNDS] = AGES_BAND_LOWER;
_Static_assert((int)AGE_NBOUNDS == (int)AGES_BANDS, "the library's bands (ages.h)");

double bounds_band_end(const double *bounds, size_t n, double a)
{
    for (size_t i = 0; i < n; i++)
        if (bounds[i] > a)
            return bounds[i];
    return INFINITY;
}

double bounds_band_start(const double *bounds, size_t n, double a)
{
    double s = 0;
    for (size_t i = 0; i < n && bounds[i] <= a; i++)
        s = bounds[i];
    return s;
}

double age_band_end(double a) { return bounds_band_end(age_bounds, AGE_NBOUNDS, a); }

double age_band_start(double a) { return bounds_band_start(age_bounds, AGE_NBOUNDS, a); }

double age_bound_at_or_above(double s)
{
    for (size_t i = 0; i < AGE_NBOUNDS; i++)
        if (age_bounds[i] >= s)
            return age_bounds[i];
    return INFINITY;
}

bool age_range_has(const age_range *r, double age)
{
    /* The whole band: an age between bounds (another producer's, or one in
     * ms) stands for the band that holds it (age.h), whose younger objects
     * may lie below min.  It counted by the age itself, so --min-age 90s
     * kept a sample of age 90 (band 1m to 2m) while saying "at least 2m". */
    return age >= 0 && age_band_start(age) >= r->min && age_band_end(age) <= r->max;
}

void age_range_edges(const age_range *r, double *lo, double *hi)
{
    *lo = age_bound_at_or_above(r->min);
    *hi = isinf(r->max) ? INFINITY : age_band_start(r->max);
}

int age_view_make(const profile *p, const age_range *r, size_t t, age_view *v)
{
    profile_sample *kept = malloc((p->nsamples + 1) * sizeof *kept);
    if (!kept)
        return -1;
    v->p = *p;
    v->unaged = 0;
    v->unaged_value = 0;
    size_t n = 0;
    for (size_t i = 0; i < p->nsamples; i++) {
        const profile_sample *s = &p->samples[i];
        if (age_range_has(r, s->age))
            kept[n++] = *s;
        else if (s->age < 0 && s->values[t]) {
            v->unaged++;
            v->unaged_value += (double)s->values[t];
        }
    }
    v->p.samples = kept;
    v->p.nsamples = n;
    v->p.naged = n;
    return 0;
}

void age_view_free(age_view *v)
{
    free((void *)v->p.samples);
    v->p.samples = NULL;
}

void age_short(char *buf, size_t len, double s)
{
    static const struct {
        const char *unit;
        double s;
    } units[] = {{"d", 86400}, {"h", 3600}, {"m", 60}};
    if (isinf(s)) {
        snprintf(buf, len, "inf");
        return;
    }
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (s >= units[i].s && fmod(s, units[i].s) == 0) {
            snprintf(buf, len, "%.0f%s", s / units[i].s, units[i].unit);
            return;
        }
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (s >= units[i].s && fmod(s, units[i].s / 10) == 0) {
            snprintf(buf, len, "%.1f%s", s / units[i].s, units[i].unit);
            return;
        }
    snprintf(buf, len, "%gs", s);
}

/*
 * lifetime.c - see lifetime.h.  Stateless apart from the constant bound
 * list, the library's own (src/ages.h).
 */
#include "lifetime.h"

#include <math.h>
#include <stdlib.h>

#include "ages.h"

const double lifetime_bounds[LIFETIME_NBOUNDS] = AGES_LIFETIME_LOWER;
_Static_assert((int)LIFETIME_NBOUNDS == (int)AGES_LIFETIMES, "the library's bands (ages.h)");

double lifetime_band_end(double l)
{
    for (size_t i = 0; i < LIFETIME_NBOUNDS; i++)
        if (lifetime_bounds[i] > l)
            return lifetime_bounds[i];
    return INFINITY;
}

double lifetime_band_start(double l)
{
    double s = 0;
    for (size_t i = 0; i < LIFETIME_NBOUNDS && lifetime_bounds[i] <= l; i++)
        s = lifetime_bounds[i];
    return s;
}

int lifetime_view_make(const profile *p, double within, profile *v)
{
    profile_sample *kept = malloc((p->nsamples + 1) * sizeof *kept);
    if (!kept)
        return -1;
    *v = *p;
    size_t n = 0;
    for (size_t i = 0; i < p->nsamples; i++) {
        const profile_sample *s = &p->samples[i];
        if (s->lifetime >= 0 && lifetime_band_end(s->lifetime) <= within)
            kept[n++] = *s;
    }
    v->samples = kept;
    v->nsamples = n;
    v->naged = 0;
    v->nlifetimes = n;
    return 0;
}

void lifetime_view_free(profile *v)
{
    free((void *)v->samples);
    v->samples = NULL;
}

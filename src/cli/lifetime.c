/*
 * lifetime.c - see lifetime.h.  Stateless apart from the constant bound
 * list, the library's own (src/ages.h).
 */
#include "lifetime.h"

#include <stdlib.h>

#include "age.h"
#include "ages.h"

const double lifetime_bounds[LIFETIME_NBOUNDS] = AGES_LIFETIME_LOWER;
_Static_assert((int)LIFETIME_NBOUNDS == (int)AGES_LIFETIMES, "the library's bands (ages.h)");

double lifetime_band_end(double l)
{
    return bounds_band_end(lifetime_bounds, LIFETIME_NBOUNDS, l);
}

double lifetime_band_start(double l)
{
    return bounds_band_start(lifetime_bounds, LIFETIME_NBOUNDS, l);
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

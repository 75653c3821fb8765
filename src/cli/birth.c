/*
 * birth.c - see birth.h.  Stateless.
 */
#include "birth.h"

#include <math.h>

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

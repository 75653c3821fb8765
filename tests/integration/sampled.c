/*
 * sampled.c - a known volume allocated from three sites under Poisson
 * sampling, with the exact truth and the estimator's standard deviation
 * printed for each site, so the driver can check the profile's estimates
 * within 5 standard deviations.
 *
 * Usage: sampled R [megabytes] [seed]
 *   R: the mean sampling interval in bytes (must equal HEAPPROF_SAMPLE).
 *
 * Sites (interleaved at random, so they share one sampling process):
 *   sa_small   16 B .. 512 B, uniform
 *   sa_medium  1 KiB .. 64 KiB, log-uniform
 *   sa_large   128 KiB .. 1 MiB, uniform
 * each about a third of the volume; each allocation is kept live to the
 * end with probability 1/4, otherwise freed at once.
 *
 * The standard deviation.  Sampling points form a Poisson process of rate
 * 1/R over the allocated bytes: an allocation of s bytes is sampled with
 * probability p = 1 - exp(-s/R), independently of the others, and a sample
 * counts w = 1/p objects and w*s bytes.  Per allocation the estimate's
 * variance is (1-p)/p = 1/expm1(s/R) objects^2 and s^2/expm1(s/R) bytes^2;
 * a site's variance is the sum over its allocations (in-use: over the kept
 * ones).  For small objects this is about R*B for B bytes, i.e. a relative
 * standard error of sqrt(R/B), as the README's rule of thumb says.
 *
 * The bounds each check is held to.  A site's error is a sum of independent
 * terms, one per allocation: (1/p - 1) c if sampled, -c if not, where c is
 * 1 (objects) or s (bytes).  It is not Gaussian where few allocations decide
 * it: sa_large's in-use objects at 64 KiB are ~34 live objects each missed
 * with probability ~0.01, so their error is minus a Poisson count of mean
 * ~0.3, and 3 misses (-5.4 standard deviations) happen about once in 200
 * runs, which a 5-sigma bound failed in CI.  So each tail's bound is
 * Chernoff's, from the exact moment generating function of that sum:
 *     P(error >= t) <= exp(Lambda(x) - x t)  for every x > 0,
 *     Lambda(x) = sum over allocations of log(p e^(x (1/p-1) c) + (1-p) e^(-x c)),
 * so t = min over x of (Lambda(x) + L) / x has P(error >= t) <= e^-L; the
 * lower tail is the same for minus the error.  With e^-L = TAIL_P, where
 * many allocations decide a check the bound is about 5.4 standard
 * deviations (sqrt(2 L)); where few do it follows their real tail (for
 * sa_large's in-use objects at 64 KiB, about 6 objects missed).  With ~100
 * tails checked in one run of the test, a correct profiler fails one with
 * probability below 1e-4.
 */
#define _GNU_SOURCE
#include <math.h>

#include "integ.h"

typedef struct truth {
    site s;
    double var[4]; /* estimator variance of the four values */
    double bytes_target;
} truth;

static truth sites[3] = {
    {SITE(sa_small), {0}, 0},
    {SITE(sa_medium), {0}, 0},
    {SITE(sa_large), {0}, 0},
};

/* Each tail's chance of being passed by a correct profiler (above). */
#define TAIL_P 5e-7

/* How many allocations of each size, per site, all and kept: the terms of
 * the Chernoff bound (above).  Sizes are at most 1 MiB.  25 MiB of .bss, of
 * which only the pages of the sizes drawn are touched. */
enum { SIZE_MAX_DRAWN = 1 << 20 };
static uint32_t drawn[3][2][SIZE_MAX_DRAWN + 1];

static double R;
static uint64_t rng;

static void account(truth *t, size_t n, int kept)
{
    double v = 1.0 / expm1((double)n / R); /* (1-p)/p */
    t->var[0] += v;
    t->var[1] += (double)n * (double)n * v;
    CHECK(n <= SIZE_MAX_DRAWN, "a size beyond the histogram");
    drawn[t - sites][0][n]++;
    drawn[t - sites][1][n] += kept != 0;
    site_alloc(&t->s, n);
    if (kept) {
        t->var[2] += v;
        t->var[3] += (double)n * (double)n * v;
    } else {
        site_free(&t->s, n);
    }
}

static void **kept;
static size_t nkept, capkept;

static void keep_block(void *p)
{
    if (nkept == capkept) {
        capkept = capkept ? capkept * 2 : 4096;
        kept = realloc(kept, capkept * sizeof *kept); /* main's own, not a site */
        CHECK(kept, "realloc");
    }
    kept[nkept++] = p;
}

static double uniform(void) { return (double)(integ_rand(&rng) >> 11) * 0x1.0p-53; }

NOINLINE static void sa_small(void)
{
    size_t n = 16 + (size_t)(uniform() * 497);
    int k = (integ_rand(&rng) & 3) == 0;
    char *p = malloc(n);
    CHECK(p, "malloc");
    p[0] = 1;
    account(&sites[0], n, k);
    if (k)
        keep_block(p);
    else
        free(p);
}

NOINLINE static void sa_medium(void)
{
    size_t n = (size_t)exp(log(1024.0) + uniform() * (log(65536.0) - log(1024.0)));
    int k = (integ_rand(&rng) & 3) == 0;
    char *p = malloc(n);
    CHECK(p, "malloc");
    p[0] = 1;
    account(&sites[1], n, k);
    if (k)
        keep_block(p);
    else
        free(p);
}

NOINLINE static void sa_large(void)
{
    size_t n = 131072 + (size_t)(uniform() * (1048576 - 131072));
    int k = (integ_rand(&rng) & 3) == 0;
    char *p = malloc(n);
    CHECK(p, "malloc");
    p[0] = 1;
    account(&sites[2], n, k);
    if (k)
        keep_block(p);
    else
        free(p);
}

/* One term's log moment generating function at x: an allocation of s
 * bytes whose error is (1/p - 1) c when sampled, -c when not (the header),
 * as log(p e^(x (1/p-1) c) + (1-p) e^(-x c)) summed in the log domain, with
 * log(1-p) = -s/R exactly (p is 1 in doubles for s >> R). */
static double term_lmgf(double x, double s, double c)
{
    double a = log(-expm1(-s / R)) + x * c / expm1(s / R), b = -s / R - x * c;
    double hi = fmax(a, b), lo = fmin(a, b);
    return hi + log1p(exp(lo - hi));
}

typedef struct term {
    double size, count;
} term;

/* The Chernoff bound of one tail of one check: the distinct sizes t[0..n)
 * (ascending) of its allocations, bytes or objects, sign +1 (over) or -1
 * (under); sd its standard deviation.  (Lambda(x) + L) / x is unimodal in
 * x > 0 (its derivative's sign is that of x Lambda' - Lambda - L, which
 * grows with x), so a golden-section search over log x finds its minimum.
 * The search spans from well below the Gaussian optimum sqrt(2L)/sd and
 * 1/c, to where x c exceeds what any term's exponent needs (L plus the
 * largest s/R).  0 when no error is possible that way. */
static double tail_bound(const term *t, size_t n, int bytes, double sign, double sd)
{
    if (sd <= 0 || !n)
        return 0;
    double cmin = bytes ? t[0].size : 1, cmax = bytes ? t[n - 1].size : 1;
    double L = -log(TAIL_P), lo = log(1e-3 / (sd + cmax));
    double hi = log(1e3 * (L + t[n - 1].size / R) / cmin);
    double best = INFINITY;
    for (int it = 0; it < 100; it++) {
        double m[2] = {hi - (hi - lo) * 0.618033988749895, lo + (hi - lo) * 0.618033988749895};
        double v[2];
        for (int k = 0; k < 2; k++) {
            double x = exp(m[k]), lambda = 0;
            for (size_t j = 0; j < n; j++)
                lambda += t[j].count * term_lmgf(sign * x, t[j].size, bytes ? t[j].size : 1.0);
            v[k] = (lambda + L) / x;
            best = fmin(best, v[k]);
        }
        if (v[0] < v[1])
            hi = m[1];
        else
            lo = m[0];
    }
    return fmax(best, 0);
}

/* "bound SITE over under ..." for alloc_objects, alloc_space,
 * inuse_objects, inuse_space: how far above and below the truth a correct
 * profiler's estimate can be (the header). */
static void print_bounds(int i)
{
    static term t[SIZE_MAX_DRAWN];
    printf("bound %s", sites[i].s.name);
    for (int k = 0; k < 4; k++) {
        int kept = k >= 2;
        size_t n = 0;
        for (size_t s = 1; s <= SIZE_MAX_DRAWN; s++)
            if (drawn[i][kept][s])
                t[n++] = (term){(double)s, drawn[i][kept][s]};
        for (int sign = 1; sign >= -1; sign -= 2)
            printf(" %.3f", tail_bound(t, n, k & 1, sign, sqrt(sites[i].var[k])));
    }
    printf("\n");
}

int main(int argc, char **argv)
{
    CHECK(argc >= 2, "usage: sampled R [megabytes] [seed]");
    R = atof(argv[1]);
    double mb = argc > 2 ? atof(argv[2]) : 200;
    rng = argc > 3 ? strtoull(argv[3], NULL, 0) : 0x9E3779B97F4A7C15ULL;
    CHECK(R >= 2 && mb > 0 && rng, "bad arguments");
    double target = mb * 1048576.0 / 3;
    for (;;) {
        int open[3], nopen = 0;
        for (int i = 0; i < 3; i++)
            if ((double)sites[i].s.as < target)
                open[nopen++] = i;
        if (!nopen)
            break;
        switch (open[integ_rand(&rng) % (uint64_t)nopen]) {
        case 0: sa_small(); break;
        case 1: sa_medium(); break;
        default: sa_large(); break;
        }
    }
    for (int i = 0; i < 3; i++) {
        site_print(&sites[i].s);
        printf("sd %s %.3f %.3f %.3f %.3f\n", sites[i].s.name, sqrt(sites[i].var[0]),
               sqrt(sites[i].var[1]), sqrt(sites[i].var[2]), sqrt(sites[i].var[3]));
        print_bounds(i);
    }
    fflush(stdout);
    keep(kept);
    return 0;
}

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

static double R;
static uint64_t rng;

static void account(truth *t, size_t n, int kept)
{
    double v = 1.0 / expm1((double)n / R); /* (1-p)/p */
    t->var[0] += v;
    t->var[1] += (double)n * (double)n * v;
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
    }
    fflush(stdout);
    keep(kept);
    return 0;
}

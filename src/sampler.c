/*
 * sampler.c - the exponential draw and the unbiasing weight.
 *
 * Why the weight is 1/(1-exp(-s/R)).  Sample points form a Poisson process
 * of rate 1/R over the bytes a thread allocates.  An allocation of s bytes
 * covers an interval of length s, so it contains at least one point with
 * probability p(s) = 1 - exp(-s/R), and by memorylessness this holds
 * independently for every allocation, whatever came before (a fresh draw
 * after each sample restarts the process, which by memorylessness changes
 * nothing).  Let each sampled allocation count w = 1/p(s).  For a site whose
 * allocations have sizes s_1..s_k, the estimate sum_i I_i * w_i has
 * expectation sum_i p(s_i) * (1/p(s_i)) = k objects, and weighting bytes by
 * w*s likewise gives sum_i s_i: both unbiased.  For s << R, w ~ R/s, so a
 * sample stands for about R bytes; for s >> R, w -> 1.
 *
 * The variance of one allocation's byte estimate is s^2 (1-p)/p, which the
 * CLI's error bars use.
 */
#include "sampler.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

uint64_t sampler_seed(uint64_t fixed)
{
    static uint64_t seeded; /* threads seeded so far */
    uint64_t x;
    if (fixed) {
        x = fixed + 0x9E3779B97F4A7C15ULL * __atomic_fetch_add(&seeded, 1, __ATOMIC_RELAXED);
    } else {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)pthread_self();
    }
    /* splitmix64 finaliser: spread the entropy over all bits, never 0. */
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    x ^= x >> 31;
    return x ? x : 1;
}

uint64_t sampler_rand(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* Every constant the two functions below read, packed on two cache lines.
 * Written as literals, GCC scatters them over the constant pool: eight
 * lines for a draw and a weight (objdump), each a first-level miss by the
 * time the next sample comes (cachegrind, the bench's samplecost).  They
 * are read through a pointer the compiler cannot see through (sampler_k),
 * so it loads them from here instead of copying them back into the pool. */
static const struct sampler_k {
    double one, ln2, p53, big;              /* 1, ln 2, 2^-53, 2^61 */
    double atanh[5];                        /* 1/3, 1/5, 1/7, 1/9, 1/11 */
    double series_max, half;                /* 1/8, 1/2 */
    double bern[3];                         /* 1/12, 1/720, 1/30240 */
} sampler_consts __attribute__((aligned(64))) = {
    1.0, M_LN2, 0x1.0p-53, 0x1p61,
    {1.0 / 3, 1.0 / 5, 1.0 / 7, 1.0 / 9, 1.0 / 11},
    0.125, 0.5,
    {1.0 / 12, 1.0 / 720, 1.0 / 30240},
};

static inline const struct sampler_k *sampler_k(void)
{
    const struct sampler_k *k = &sampler_consts;
    __asm__("" : "+r"(k));
    return k;
}

/* The mantissa bits of sqrt(2): m > sqrt(2) compared as integers. */
#define SQRT2_MANTISSA UINT64_C(0x6a09e667f3bcd)

double sampler_neg_log(double u)
{
    /* u = m 2^e with m in (sqrt(1/2), sqrt(2)]; then ln m = 2 atanh(z) with
     * z = (m-1)/(m+1), |z| < 0.172, and the odd series of atanh to z^11 is
     * within 2e-11 of it.  libm's log costs as many instructions but reads
     * its tables, a few cache misses per sample once the program has
     * evicted them; this reads one line.  u is a normal double here. */
    const struct sampler_k *k = sampler_k();
    uint64_t bits;
    memcpy(&bits, &u, sizeof bits);
    int e = (int)(bits >> 52) - 1023;
    uint64_t mant = bits & ((UINT64_C(1) << 52) - 1);
    /* m in [1, 2); above sqrt(2) it is halved (exponent 1022), e raised. */
    uint64_t half = mant > SQRT2_MANTISSA;
    e += (int)half;
    bits = mant | ((UINT64_C(1023) - half) << 52);
    double m;
    memcpy(&m, &bits, sizeof m);
    double z = (m - k->one) / (m + k->one), z2 = z * z;
    double s = k->atanh[3] + z2 * k->atanh[4];
    s = k->atanh[2] + z2 * s;
    s = k->atanh[1] + z2 * s;
    s = k->atanh[0] + z2 * s;
    /* -(e ln 2 + 2z(...)), written without a negation, which would load a
     * sign mask from the constant pool. */
    return (double)-e * k->ln2 - (z + z) * (k->one + z2 * s);
}

int64_t sampler_next_budget(uint64_t *state, uint64_t mean)
{
    if (mean <= 1)
        return 0;
    /* U uniform in (0, 1] from the top 53 bits; -log(U) ~ Exp(1), at most
     * about 36.7, so the budget stays far below INT64_MAX for any mean up to
     * the configured 2^40. */
    const struct sampler_k *k = sampler_k();
    double u = (double)(int64_t)((sampler_rand(state) >> 11) + 1) * k->p53;
    double x = sampler_neg_log(u) * (double)(int64_t)mean;
    return x < k->big ? (int64_t)x + 1 : (int64_t)1 << 61; /* no overflow for any mean */
}

/* exp(-x) for x >= 1/8, where the weight's series stops, within a few
 * units in the last place; 1 - exp(-x) is then at least 0.117, so the
 * subtraction loses at most three bits.  heapprof's own rather than libm's,
 * so that libheapprof.so needs no libm: loading libm into a program that
 * has none (most C programs, every process of a build) cost 20 000
 * instructions and 10 page faults at start, and its resolvers ran at every
 * start for the one function heapprof took from it.  x = k ln 2 - r with
 * |r| <= ln 2 / 2 (ln 2 in two parts, so that k ln2_hi is exact), then
 * exp(-r)'s Taylor series to r^13 (the next term is below 4e-18). */
static double exp_neg(double x)
{
    /* Past 40, exp(-x) < 2^-57: 1 - exp(-x) rounds to 1 whatever it is. */
    if (!(x <= 40.0))
        return 0.0;
    static const double ln2_hi = 0x1.62e42feep-1, ln2_lo = 0x1.a39ef35793c76p-33;
    static const double inv_ln2 = 0x1.71547652b82fep0;
    int k = (int)(x * inv_ln2 + 0.5);
    double r = ((double)k * ln2_hi - x) + (double)k * ln2_lo; /* -x + k ln 2 */
    double t = 1.0;
    for (int n = 13; n >= 2; n--) /* Horner: 1 + r(1 + r/2(1 + r/3(...))) */
        t = 1.0 + r * t / n;
    double e = 1.0 + r * t;
    /* times 2^-k, k in [0, 58]: a normal power of two */
    uint64_t bits = (uint64_t)(1023 - k) << 52;
    double scale;
    memcpy(&scale, &bits, sizeof scale);
    return e * scale;
}

double sampler_weight(uint64_t size, uint64_t mean)
{
    if (mean <= 1)
        return 1.0;
    if (size == 0) /* never sampled outside exact mode; keep the value finite */
        return (double)mean;
    const struct sampler_k *k = sampler_k();
    /* Sizes of 2^63 and more are converted through the unsigned path: only
     * reachable by a failed allocation of such a size. */
    double sz = size < INT64_MAX ? (double)(int64_t)size : (double)size, r = (double)(int64_t)mean;
    double x = sz / r;
    if (x < k->series_max) {
        /* Most samples are of objects far smaller than the interval.  There
         * the weight's own series (its coefficients are Bernoulli numbers)
         *     1/(1 - exp(-x)) = 1/x + 1/2 + x/12 - x^3/720 + x^5/30240 - ...
         * has a relative error below 5e-14 after these terms (the next is
         * x^7/1209600), far inside the float a live entry keeps.  1/x is a
         * division of its
         * own, R/s, which runs beside the one that makes x, so the chain a
         * sample waits for is one division and a short polynomial: the
         * series of 1 - exp(-x) and its inverse before it was a division,
         * twelve dependent multiplies and another division (finding 22 in
         * docs/benchmarks.md). */
        const double *b = k->bern, x2 = x * x;
        double tail = x * (b[0] - x2 * (b[1] - x2 * b[2]));
        return r / sz + (k->half + tail);
    }
    return 1.0 / (k->one - exp_neg(x));
}

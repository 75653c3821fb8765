/* Unit tests: the exponential draw and the unbiasing weight (sampler.c).
 * Every statistical check uses a fixed seed and a 5-sigma bound derived in
 * the test, so it is deterministic and can fail if the math is wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "sampler.h"

enum { N = 1000000 };

static void exact_mode(void **state)
{
    uint64_t rng = 42;
    for (int i = 0; i < 1000; i++)
        assert_int_equal(sampler_next_budget(&rng, 1), 0);
    assert_true(sampler_weight(1, 1) == 1.0);
    assert_true(sampler_weight(1 << 20, 1) == 1.0);
    assert_true(sampler_weight(0, 1) == 1.0);
}

/* Draws are floor(Exp(R)) + 1: mean R + 1/2 (to O(1/R)), variance R^2,
 * median floor(R ln 2) + 1.  Standard errors over N draws: mean R/sqrt(N);
 * variance sqrt(8) R^2/sqrt(N) (fourth central moment of Exp is 9 R^4);
 * a fraction p, sqrt(p(1-p)/N). */
static void budget_distribution(void **state)
{
    const double R = 524288;
    uint64_t rng = 0x1234567;
    double sum = 0, sum2 = 0;
    long below_median = 0, below_r = 0;
    for (int i = 0; i < N; i++) {
        double x = (double)sampler_next_budget(&rng, (uint64_t)R);
        assert_true(x >= 1);
        sum += x;
        sum2 += x * x;
        below_median += x <= R * M_LN2;
        below_r += x <= R;
    }
    double mean = sum / N, var = sum2 / N - mean * mean;
    assert_true(fabs(mean - (R + 0.5)) < 5 * R / sqrt(N));
    assert_true(fabs(var - R * R) < 5 * sqrt(8.0) * R * R / sqrt(N));
    assert_true(fabs((double)below_median / N - 0.5) < 5 * sqrt(0.25 / N));
    double p = 1 - exp(-1.0);
    assert_true(fabs((double)below_r / N - p) < 5 * sqrt(p * (1 - p) / N));
}

/* The table-free -ln(u) of the draw, against libm over every binade the
 * draw can produce (u >= 2^-53) and densely around the switch at sqrt(2). */
static void neg_log_accuracy(void **state)
{
    uint64_t rng = 7;
    for (int i = 0; i < 200000; i++) {
        double u = (double)((sampler_rand(&rng) >> 11) + 1) * 0x1.0p-53;
        if (i % 4 == 0)
            u = ldexp(u, -(i % 50)); /* small u: the tail of the draw */
        double want = -log(u), got = sampler_neg_log(u);
        assert_true(fabs(got - want) <= 1e-10 * fabs(want) + 1e-15);
    }
    for (int k = -1000; k <= 1000; k++) {
        double u = ldexp(M_SQRT2 + k * 1e-6, -3);
        assert_true(fabs(sampler_neg_log(u) + log(u)) <= 1e-10 * fabs(log(u)));
    }
    assert_true(sampler_neg_log(1.0) == 0.0);
}

/* The countdown as profiler.h runs it: an allocation of s bytes is sampled
 * with probability 1 - exp(-s/R), whatever the sizes before it. */
static double sampled_fraction(uint64_t size, uint64_t R, int n, uint64_t *rng)
{
    int64_t budget = sampler_next_budget(rng, R);
    int hits = 0;
    for (int i = 0; i < n; i++) {
        budget -= (int64_t)size;
        if (budget <= 0) {
            hits++;
            budget = sampler_next_budget(rng, R);
        }
    }
    return (double)hits / n;
}

static void sampling_probability(void **state)
{
    static const uint64_t sizes[] = {8, 1000, 65536, 524288, 4 << 20};
    const uint64_t R = 524288;
    uint64_t rng = 99;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        int n = sizes[i] < 1000 ? 20000000 : 400000;
        double p = -expm1(-(double)sizes[i] / (double)R);
        double f = sampled_fraction(sizes[i], R, n, &rng);
        assert_true(fabs(f - p) < 5 * sqrt(p * (1 - p) / n) + 1e-12);
    }
}

/* Unbiased: over a stream of mixed sizes, sum of weight*size over sampled
 * allocations estimates the true bytes, and sum of weights the count, within
 * 5 standard errors computed from the per-allocation variances
 * s^2 (1-p)/p and (1-p)/p. */
static void unbiased_estimates(void **state)
{
    const uint64_t R = 65536;
    uint64_t rng = 7, gen = 12345;
    int64_t budget = sampler_next_budget(&rng, R);
    double true_bytes = 0, true_objs = 0, est_bytes = 0, est_objs = 0, var_b = 0, var_o = 0;
    for (int i = 0; i < 2000000; i++) {
        /* log-uniform sizes, 8 B .. 8 MiB */
        uint64_t s = (uint64_t)exp(log(8.0) + (log(8.0 * 1048576) - log(8.0)) *
                                                  ((double)(sampler_rand(&gen) >> 11) * 0x1.0p-53));
        double p = -expm1(-(double)s / (double)R);
        true_bytes += (double)s;
        true_objs += 1;
        var_b += (double)s * (double)s * (1 - p) / p;
        var_o += (1 - p) / p;
        budget -= (int64_t)s;
        if (budget <= 0) {
            double w = sampler_weight(s, R);
            est_bytes += w * (double)s;
            est_objs += w;
            budget = sampler_next_budget(&rng, R);
        }
    }
    assert_true(fabs(est_bytes - true_bytes) < 5 * sqrt(var_b));
    assert_true(fabs(est_objs - true_objs) < 5 * sqrt(var_o));
}

static void weight_values(void **state)
{
    /* Large objects: weight -> 1; small: weight ~ R/s. */
    assert_true(fabs(sampler_weight(100 << 20, 524288) - 1.0) < 1e-12);
    assert_true(fabs(sampler_weight(1, 524288) - 524288.5) < 1e-3);
    assert_true(fabs(sampler_weight(524288, 524288) - 1.0 / (1.0 - exp(-1.0))) < 1e-12);
    assert_true(isfinite(sampler_weight(0, 524288)));
    /* The series used below s/R = 1/8 agrees with expm1 on both sides of
     * the switch, to far better than the float a live entry keeps.  1e-10:
     * one term fewer (no x^5/30240) would be off by up to 1.2e-10 near
     * the switch and fail. */
    for (uint64_t s = 1; s <= 200000; s = s * 5 / 4 + 1) {
        double exact = 1.0 / -expm1(-(double)s / 524288.0);
        assert_true(fabs(sampler_weight(s, 524288) / exact - 1.0) < 1e-10);
    }
    for (uint64_t s = 65536 - 64; s <= 65536 + 64; s++) {
        double exact = 1.0 / -expm1(-(double)s / 524288.0);
        assert_true(fabs(sampler_weight(s, 524288) / exact - 1.0) < 1e-10);
    }
}

static void rng_never_stuck(void **state)
{
    uint64_t s = sampler_seed(0);
    assert_true(s != 0);
    uint64_t a = sampler_rand(&s), b = sampler_rand(&s);
    assert_true(a != b && s != 0);
}

/* Objects of at least R/8, whose weight heapprof computes with its own
 * exp (sampler.c, so that it needs no libm): libm's expm1 agrees to a few
 * units in the last place from R/8 to where the weight is 1. */
static void weight_large_objects(void **state)
{
    (void)state;
    const uint64_t R = 524288;
    double worst = 0;
    for (uint64_t s = R / 8; s <= 64 * R; s = s + s / 997 + 1) {
        double exact = 1.0 / -expm1(-(double)s / (double)R);
        double err = fabs(sampler_weight(s, R) / exact - 1.0);
        worst = err > worst ? err : worst;
    }
    assert_true(worst < 4e-15);
    assert_true(sampler_weight(41 * R, R) == 1.0);
    assert_true(sampler_weight(UINT64_MAX, R) == 1.0);
    assert_true(sampler_weight(UINT64_MAX / 2, 2) == 1.0);
}

/* HEAPPROF_SEED: each thread seeded from it gets a stream of its own (the
 * same on every run is the integration test's part, integ_sampled). */
static void fixed_seed_streams(void **state)
{
    uint64_t s[4];
    for (int i = 0; i < 4; i++) {
        s[i] = sampler_seed(12345);
        assert_true(s[i] != 0);
        for (int j = 0; j < i; j++)
            assert_true(s[i] != s[j]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exact_mode),           cmocka_unit_test(budget_distribution),
        cmocka_unit_test(sampling_probability), cmocka_unit_test(unbiased_estimates),
        cmocka_unit_test(weight_values),        cmocka_unit_test(rng_never_stuck),
        cmocka_unit_test(neg_log_accuracy),     cmocka_unit_test(fixed_seed_streams),
        cmocka_unit_test(weight_large_objects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests: the tick histogram of the timing twin (src/timing.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <math.h>

#include "timing.h"

static timing_hist h;

static void empty_reads_zero(void **state)
{
    (void)state;
    memset(&h, 0, sizeof h);
    assert_int_equal(timing_hist_quantile(&h, 0.5), 0);
    char buf[128];
    timing_hist_format(&h, buf, sizeof buf);
    assert_string_equal(buf, "n=0 median=0 p10=0 p90=0 mean=0 trim99=0.0");
    assert_true(timing_hist_trimmed_mean(&h, 0.99) == 0);
}

static void quantiles_by_bucket(void **state)
{
    (void)state;
    memset(&h, 0, sizeof h);
    /* 100 values, one per bucket 10..109: the q-quantile is the value of
     * rank ceil(100 q), reported as its bucket's midpoint. */
    uint64_t sum = 0;
    for (uint64_t b = 10; b < 110; b++) {
        timing_hist_add(&h, b * TIMING_WIDTH + TIMING_WIDTH / 2);
        sum += b * TIMING_WIDTH + TIMING_WIDTH / 2;
    }
    assert_int_equal(h.n, 100);
    const uint64_t mid = TIMING_WIDTH / 2;
    assert_int_equal(timing_hist_quantile(&h, 0.5), 59 * TIMING_WIDTH + mid);
    assert_int_equal(timing_hist_quantile(&h, 0.1), 19 * TIMING_WIDTH + mid);
    assert_int_equal(timing_hist_quantile(&h, 0.9), 99 * TIMING_WIDTH + mid);
    assert_int_equal(timing_hist_quantile(&h, 0.0), 10 * TIMING_WIDTH + mid);
    assert_int_equal(timing_hist_quantile(&h, 1.0), 109 * TIMING_WIDTH + mid);
    /* The mean is exact. */
    char buf[128];
    timing_hist_format(&h, buf, sizeof buf);
    char want[128];
    /* trim99: the 99 smallest, buckets 10..108. */
    double trim = 0;
    for (uint64_t b = 10; b < 109; b++)
        trim += (double)(b * TIMING_WIDTH + mid);
    trim /= 99;
    snprintf(want, sizeof want, "n=100 median=%d p10=%d p90=%d mean=%d trim99=%.1f",
             (int)(59 * TIMING_WIDTH + mid), (int)(19 * TIMING_WIDTH + mid),
             (int)(99 * TIMING_WIDTH + mid), (int)(sum / 100), trim);
    assert_string_equal(buf, want);
}

static void overflow_in_last_bucket(void **state)
{
    (void)state;
    memset(&h, 0, sizeof h);
    timing_hist_add(&h, 3);
    timing_hist_add(&h, UINT64_C(1) << 40);
    timing_hist_add(&h, UINT64_C(1) << 40);
    /* Beyond the last bucket's edge a value reads as that edge. */
    assert_int_equal(timing_hist_quantile(&h, 0.9), (uint64_t)(TIMING_BUCKETS - 1) * TIMING_WIDTH);
    assert_int_equal(timing_hist_quantile(&h, 0.2), (3 / TIMING_WIDTH) * TIMING_WIDTH + TIMING_WIDTH / 2);
    assert_int_equal(h.bucket[TIMING_BUCKETS - 1], 2);
}

/* A rank that is not whole rounds up: of three values, the median is the
 * second (1.5 -> 2), the 10th percentile the first (0.3 -> 1). */
static void fractional_rank_rounds_up(void **state)
{
    (void)state;
    memset(&h, 0, sizeof h);
    for (uint64_t b = 0; b < 3; b++)
        timing_hist_add(&h, b * TIMING_WIDTH);
    assert_int_equal(timing_hist_quantile(&h, 0.5), TIMING_WIDTH + TIMING_WIDTH / 2);
    assert_int_equal(timing_hist_quantile(&h, 0.1), TIMING_WIDTH / 2);
    assert_int_equal(timing_hist_quantile(&h, 0.7), 2 * TIMING_WIDTH + TIMING_WIDTH / 2);
}

/* The trimmed mean leaves out the slowest values, takes a bucket in part
 * where the cut falls inside it, and resolves less than a bucket: values
 * that only ever read 63 or 84 (a counter moving in steps of 21) average
 * to what lies between. */
static void trimmed_mean(void **state)
{
    (void)state;
    memset(&h, 0, sizeof h);
    for (int i = 0; i < 70; i++)
        timing_hist_add(&h, 63 * TIMING_WIDTH);
    for (int i = 0; i < 29; i++)
        timing_hist_add(&h, 84 * TIMING_WIDTH);
    timing_hist_add(&h, 100000 * (uint64_t)TIMING_WIDTH); /* a table mapped: left out */
    const double mid = TIMING_WIDTH / 2;
    double want = (70 * (63 * TIMING_WIDTH + mid) + 29 * (84 * TIMING_WIDTH + mid)) / 99;
    assert_true(fabs(timing_hist_trimmed_mean(&h, 0.99) - want) < 1e-9);
    /* Of the 100, the fastest 50: all 63s. */
    assert_true(fabs(timing_hist_trimmed_mean(&h, 0.5) - (63 * TIMING_WIDTH + mid)) < 1e-9);
    /* The fastest 80 (a rank of 79.2 rounds up): 70 63s and 10 84s. */
    want = (70 * (63 * TIMING_WIDTH + mid) + 10 * (84 * TIMING_WIDTH + mid)) / 80;
    assert_true(fabs(timing_hist_trimmed_mean(&h, 0.792) - want) < 1e-9);
    /* All of them: the last bucket's value is its lower edge. */
    want = (70 * (63 * TIMING_WIDTH + mid) + 29 * (84 * TIMING_WIDTH + mid) +
            (double)(TIMING_BUCKETS - 1) * TIMING_WIDTH) / 100;
    assert_true(fabs(timing_hist_trimmed_mean(&h, 1.0) - want) < 1e-9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_reads_zero),
        cmocka_unit_test(quantiles_by_bucket),
        cmocka_unit_test(overflow_in_last_bucket),
        cmocka_unit_test(fractional_rank_rounds_up),
        cmocka_unit_test(trimmed_mean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

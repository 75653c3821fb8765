/* Unit tests: the tick histogram of the timing twin (src/timing.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "timing.h"

static timing_hist h;

static void empty_reads_zero(void **state)
{
    (void)state;
    memset(&h, 0, sizeof h);
    assert_int_equal(timing_hist_quantile(&h, 0.5), 0);
    char buf[128];
    timing_hist_format(&h, buf, sizeof buf);
    assert_string_equal(buf, "n=0 median=0 p10=0 p90=0 mean=0");
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
    snprintf(want, sizeof want, "n=100 median=%d p10=%d p90=%d mean=%d",
             (int)(59 * TIMING_WIDTH + mid), (int)(19 * TIMING_WIDTH + mid),
             (int)(99 * TIMING_WIDTH + mid), (int)(sum / 100));
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_reads_zero),
        cmocka_unit_test(quantiles_by_bucket),
        cmocka_unit_test(overflow_in_last_bucket),
        cmocka_unit_test(fractional_rank_rounds_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

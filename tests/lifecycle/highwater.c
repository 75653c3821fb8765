/*
 * highwater.c - grows its live heap in 3 MiB steps, for HEAPPROF_HIGHWATER.
 *
 *   highwater steps N R   N steps of one 3 MiB block (hw_step); after each,
 *                         wait for the next profile of the sequence (the
 *                         high-water profile that step must cause).  Then
 *                         free all but the first block and regrow R blocks
 *                         (hw_regrow), staying below the peak, 100 ms apart,
 *                         and wait 500 ms more before exiting: no profile may
 *                         be caused by that.
 *   highwater ramp N      N steps 100 ms apart without waiting, then wait
 *                         for the second profile of the sequence and exit.
 *                         Prints the run time from main to exit.
 *   highwater idle MS     one step, then MS milliseconds asleep; prints the
 *                         CPU time the whole process used meanwhile.
 *
 * One malloc per step, so the live total is always a whole number of steps
 * (plus the C library's few small buffers): what a profile shows does not
 * depend on when the writer thread looked.  Run in exact mode.
 */
#include "lc.h"

#include <sys/resource.h>

#define STEP ((size_t)3 << 20)

NOINLINE void *hw_step(void) { return malloc(STEP); }
NOINLINE void *hw_regrow(void) { return malloc(STEP); }

static int steps(int n, int r)
{
    void *blk[64];
    for (int k = 1; k <= n; k++) {
        blk[k - 1] = hw_step();
        if (!blk[k - 1])
            return 1;
        lc_wait_seq((unsigned)k); /* exits 90 with a message if it never comes */
        printf("step %d profile %d\n", k, k);
    }
    for (int k = 1; k < n; k++)
        free(blk[k]);
    for (int k = 0; k < r; k++) {
        blk[k + 1] = hw_regrow();
        testlib_sleep_ms(100);
    }
    testlib_sleep_ms(500);
    printf("regrew %d of %d steps\n", r + 1, n);
    fflush(stdout);
    return 0;
}

static int ramp(int n)
{
    double t0 = testlib_now();
    for (int k = 0; k < n; k++) {
        if (!hw_step())
            return 1;
        testlib_sleep_ms(100);
    }
    lc_wait_seq(2);
    testlib_sleep_ms(100);
    printf("ramp %d steps run_ms %.0f\n", n, (testlib_now() - t0) * 1e3);
    fflush(stdout);
    return 0;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

static int idle(long ms)
{
    if (!hw_step())
        return 1;
    double c0 = cpu_s();
    testlib_sleep_ms(ms);
    printf("idle %ld ms cpu_ms %.0f\n", ms, (cpu_s() - c0) * 1e3);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && !strcmp(argv[1], "steps"))
        return steps(atoi(argv[2]), atoi(argv[3]));
    if (argc >= 3 && !strcmp(argv[1], "ramp"))
        return ramp(atoi(argv[2]));
    if (argc >= 3 && !strcmp(argv[1], "idle"))
        return idle(atol(argv[2]));
    fprintf(stderr, "usage: highwater steps N R | ramp N | idle MS\n");
    return 2;
}

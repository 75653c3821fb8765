/*
 * trigger.c - a program for the periodic, retention and signal-storm
 * scenarios.
 *
 *   trigger period MS MINSEQ   allocate a little every 10 ms until at least
 *                              MS milliseconds have passed AND a profile
 *                              with sequence number >= MINSEQ is on disk
 *                              (polling; gives up after 60 s); prints its
 *                              run time.
 *   trigger storm N            a second thread sends the process N SIGUSR2
 *                              as fast as it can while the main thread is
 *                              blocked in read(2) on a pipe (SA_RESTART must
 *                              keep it there), then writes one byte; the main
 *                              thread waits for profile 0001 (when N > 0),
 *                              then does a fixed computation and
 *                              prints its result: the same output for any N
 *                              (N=0 is the reference, run without preload).
 *   trigger wait READY STOP [BITS]
 *                              hold 2^BITS distinct live stacks (so that a
 *                              profile takes a while to write), touch READY,
 *                              then allocate a little every millisecond until
 *                              STOP exists; prints "stopped".
 */
#include <pthread.h>
#include <signal.h>

#include "lc.h"

LC_MANY_STACKS_IMPL

NOINLINE void *trg_work(size_t n) { return malloc(n); }

/* A fixed amount of allocation work with a deterministic result. */
static unsigned long compute(void)
{
    unsigned long h = 1469598103934665603UL;
    void *keep[64] = {0};
    for (int i = 0; i < 200000; i++) {
        size_t n = 16 + (size_t)(h % 2000);
        unsigned char *p = trg_work(n);
        memset(p, (int)(i & 0xff), n);
        h = (h ^ p[n / 2] ^ n) * 1099511628211UL;
        free(keep[i & 63]);
        keep[i & 63] = p;
    }
    for (int i = 0; i < 64; i++)
        free(keep[i]);
    return h;
}

static int period(long ms, unsigned minseq)
{
    double t0 = testlib_now(), limit = t0 + 60;
    void *keep[32] = {0};
    int i = 0;
    while ((testlib_now() - t0) * 1e3 < ms || lc_max_seq(getpid()) < minseq) {
        if (testlib_now() > limit) {
            fprintf(stderr, "lc: no profile %u after 60 s (newest %u)\n", minseq, lc_max_seq(getpid()));
            return 90;
        }
        free(keep[i & 31]);
        keep[i & 31] = trg_work(100 + (size_t)(i % 7));
        i++;
        testlib_sleep_ms(10);
    }
    printf("period run_ms %.0f\n", (testlib_now() - t0) * 1e3);
    return 0;
}

static int fds[2];
static long nsig;

static void *sender(void *arg)
{
    /* Blocked here, so the process-directed signals go to the main thread,
     * which sits in read(2). */
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
    for (long i = 0; i < nsig; i++)
        kill(getpid(), SIGUSR2);
    (void)!write(fds[1], "x", 1);
    return NULL;
}

static int storm(long n)
{
    nsig = n;
    if (pipe(fds))
        return 3;
    pthread_t t;
    pthread_create(&t, NULL, sender, NULL);
    char c = 0;
    ssize_t r = read(fds[0], &c, 1); /* interrupted by the signals: SA_RESTART */
    int err = errno;
    pthread_join(t, NULL);
    if (n > 0)
        lc_wait_seq(1); /* at least one of them was answered */
    if (r != 1)
        printf("read returned %zd (%s)\n", r, strerror(err));
    else
        printf("read ok\n");
    printf("result %lx\n", compute());
    fprintf(stderr, "sent %ld signals\n", n);
    return 0;
}

static void *held[1 << 14];

static int wait_stop(const char *ready, const char *stop, int bits)
{
    for (unsigned k = 0; bits > 0 && bits <= 14 && k < (1u << bits); k++)
        held[k] = ms_go(k, bits, 24);
    lc_touch(ready);
    void *keep[32] = {0};
    for (int i = 0; !testlib_exists(stop); i++) {
        free(keep[i & 31]);
        keep[i & 31] = trg_work(100 + (size_t)(i % 7));
        testlib_sleep_ms(1);
    }
    printf("stopped\n");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && !strcmp(argv[1], "period"))
        return period(atol(argv[2]), (unsigned)atoi(argv[3]));
    if (argc >= 3 && !strcmp(argv[1], "storm"))
        return storm(atol(argv[2]));
    if (argc >= 4 && !strcmp(argv[1], "wait"))
        return wait_stop(argv[2], argv[3], argc > 4 ? atoi(argv[4]) : 0);
    fprintf(stderr, "usage: trigger period MS MINSEQ | storm N | wait READY STOP [BITS]\n");
    return 2;
}

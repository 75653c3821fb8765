/*
 * live_prog.c - the program the live-view tests run under the preload.
 *
 *   live_prog labels [weird]  component-labelled allocations (see below),
 *                             then wait
 *   live_prog churn           allocate and free 4 KiB blocks steadily
 *                             (a ring of 64 live), until told to stop
 *   live_prog grow MB MS      allocate and touch 1 MiB every MS ms up to
 *                             MB MiB, then wait
 *   live_prog fork            fork a child; both wait; prints "child PID"
 *   live_prog known           known allocations, some freed (below), then
 *                             wait
 *   live_prog forklabel       a thread makes the process's first label
 *                             push, whose table mapping slowmap.so (also
 *                             preloaded) holds; meanwhile the main thread
 *                             forks, and the child pushes a label of its
 *                             own (killed by SIGALRM after 10 s); exits 0
 *                             when the child did, else 1
 *   live_prog adopt           20 x 4096 from adopt_alloc under "sink",
 *                             2000 under "source"; prints "ready"; once
 *                             the file $LIVE_ADOPT exists, the sink adopts
 *                             the source's 2000 and it prints "adopted";
 *                             then waits
 *
 * Waiting ends when the file named by $LIVE_STOP exists, or after
 * $LIVE_WAIT seconds (default 0: no wait; at most 120), so the program
 * always ends by itself.  It prints "ready" (flushed) once its allocations
 * are in place.
 *
 * labels: in exact mode (HEAPPROF_SAMPLE=1) these are the live bytes per
 * component, which the tests compare with /metrics and the profile:
 *   parser  10 x 1000 from parse_alloc
 *   sink     5 x 2000 from sink_alloc, plus the 4 x 3000 that source_alloc
 *           allocated under "source" and the sink adopted (alloc stays with
 *           source: allocated_total{source}=12000, live{source}=0)
 *   even, odd  3 x 700 each from turn_alloc, one call site taking turns
 *           under the two: every sample's stack is the one before it (the
 *           walker's replay answers it) but its labels are not
 *   weird   (with "weird") 3 x 100 under a component name that needs
 *           escaping: quote, backslash, newline and an invalid UTF-8 byte
 *
 * known: 10 x 1000 from keep_alloc, kept; 8 x 500 from drop_alloc, 6 of
 * them freed; 1 x 100000 from big_alloc, kept.  In exact mode a stack's
 * in-use values are then 10: 10000, 2: 1000 and 1: 100000, its allocated
 * ones 10: 10000, 8: 4000 and 1: 100000 (live_debugtext).
 *
 * Built without optimisation and inlining so each allocating function is
 * its own frame.  Uses the weak declarations of <heapprof.h>.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <heapprof.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void *keep[64];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int should_stop(double end)
{
    const char *stop = getenv("LIVE_STOP");
    struct stat st;
    return now_s() >= end || (stop && stat(stop, &st) == 0);
}

static double wait_limit(void)
{
    const char *w = getenv("LIVE_WAIT");
    double s = w ? atof(w) : 0;
    return now_s() + (s < 0 ? 0 : s > 120 ? 120 : s);
}

static void wait_stop(void)
{
    double end = wait_limit();
    while (!should_stop(end))
        usleep(20000);
}

static void *parse_alloc(size_t n) { return memset(malloc(n), 'p', n); }
static void *sink_alloc(size_t n) { return memset(malloc(n), 's', n); }
static void *source_alloc(size_t n) { return memset(malloc(n), 'o', n); }
static void *weird_alloc(size_t n) { return memset(malloc(n), 'w', n); }
static void *churn_alloc(size_t n) { return memset(malloc(n), 'c', n); }
static void *grow_alloc(size_t n) { return memset(malloc(n), 'g', n); }
static void *turn_alloc(size_t n) { return memset(malloc(n), 't', n); }
static void *keep_alloc(size_t n) { return memset(malloc(n), 'k', n); }
static void *drop_alloc(size_t n) { return memset(malloc(n), 'd', n); }
static void *big_alloc(size_t n) { return memset(malloc(n), 'b', n); }

static void push(const char *v)
{
    if (heapprof_loaded() && heapprof_label_push("component", v))
        fprintf(stderr, "live_prog: heapprof_label_push(%s) failed\n", v);
}

static void pop(void)
{
    if (heapprof_loaded())
        heapprof_label_pop();
}

static int labels(int weird)
{
    int k = 0;
    push("parser");
    for (int i = 0; i < 10; i++)
        keep[k++] = parse_alloc(1000);
    pop();
    push("sink");
    for (int i = 0; i < 5; i++)
        keep[k++] = sink_alloc(2000);
    pop();
    void *moved[4];
    push("source");
    for (int i = 0; i < 4; i++)
        moved[i] = source_alloc(3000);
    pop();
    push("sink"); /* the sink takes ownership of what the source made */
    for (int i = 0; i < 4; i++) {
        if (heapprof_loaded())
            heapprof_label_adopt(moved[i]);
        keep[k++] = moved[i];
    }
    pop();
    for (int i = 0; i < 6; i++) {
        push(i % 2 ? "odd" : "even");
        keep[k++] = turn_alloc(700);
        pop();
    }
    if (weird) {
        push("q\"b\\s\nn\xff");
        for (int i = 0; i < 3; i++)
            keep[k++] = weird_alloc(100);
        pop();
    }
    printf("ready\n");
    fflush(stdout);
    wait_stop();
    for (int i = 0; i < k; i++)
        free(keep[i]);
    return 0;
}

static int churn(void)
{
    printf("ready\n");
    fflush(stdout);
    double end = wait_limit();
    for (unsigned i = 0; !should_stop(end); i++) {
        free(keep[i % 64]);
        keep[i % 64] = churn_alloc(4096);
        if (i % 8 == 0)
            usleep(1000);
    }
    for (int i = 0; i < 64; i++)
        free(keep[i]);
    return 0;
}

static int grow(long mb, long ms)
{
    for (long i = 0; i < mb; i++) {
        grow_alloc(1 << 20); /* kept: this is the growth being watched */
        usleep((useconds_t)ms * 1000);
    }
    printf("ready\n");
    fflush(stdout);
    wait_stop();
    return 0;
}

static int known(void)
{
    int k = 0;
    for (int i = 0; i < 10; i++)
        keep[k++] = keep_alloc(1000);
    void *d[8];
    for (int i = 0; i < 8; i++)
        d[i] = drop_alloc(500);
    for (int i = 0; i < 6; i++)
        free(d[i]);
    keep[k++] = d[6];
    keep[k++] = d[7];
    keep[k++] = big_alloc(100000);
    printf("ready\n");
    fflush(stdout);
    wait_stop();
    for (int i = 0; i < k; i++)
        free(keep[i]);
    return 0;
}

static void *adopt_alloc(size_t n) { return memset(malloc(n), 'a', n); }

static int adopt(void)
{
    enum { SINK = 20, SOURCE = 2000 };
    static void *src[SOURCE];
    static void *sink[SINK];
    push("sink");
    for (int i = 0; i < SINK; i++)
        sink[i] = adopt_alloc(4096);
    pop();
    push("source");
    for (int i = 0; i < SOURCE; i++)
        src[i] = adopt_alloc(4096);
    pop();
    printf("ready\n");
    fflush(stdout);
    const char *go = getenv("LIVE_ADOPT");
    struct stat st;
    double end = wait_limit();
    while (!should_stop(end) && !(go && stat(go, &st) == 0))
        usleep(20000);
    push("sink");
    for (int i = 0; i < SOURCE; i++)
        if (heapprof_loaded())
            heapprof_label_adopt(src[i]);
    pop();
    printf("adopted\n");
    fflush(stdout);
    wait_stop();
    for (int i = 0; i < SOURCE; i++)
        free(src[i]);
    for (int i = 0; i < SINK; i++)
        free(sink[i]);
    return 0;
}

static int forker(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        keep[0] = churn_alloc(100);
        wait_stop();
        _exit(0);
    }
    printf("child %d\nready\n", (int)pid);
    fflush(stdout);
    wait_stop();
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

static void *first_push(void *arg)
{
    push("first");
    pop();
    return NULL;
}

static int forklabel(void)
{
    int *armed = dlsym(RTLD_DEFAULT, "slowmap_armed");
    const int *busy = dlsym(RTLD_DEFAULT, "slowmap_busy");
    pthread_t t;
    if (!armed || !busy || !heapprof_loaded())
        return 2;
    __atomic_store_n(armed, 1, __ATOMIC_RELEASE);
    if (pthread_create(&t, NULL, first_push, NULL))
        return 2;
    for (int i = 0; i < 500 && !__atomic_load_n(busy, __ATOMIC_ACQUIRE); i++)
        usleep(10000);
    if (!__atomic_load_n(busy, __ATOMIC_ACQUIRE))
        return 2; /* the first push never reached the mapping */
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return 2;
    if (pid == 0) {
        alarm(10);
        int err = heapprof_label_push("component", "child");
        heapprof_label_pop();
        _exit(err ? 3 : 0);
    }
    int st;
    waitpid(pid, &st, 0);
    pthread_join(t, NULL);
    if (WIFSIGNALED(st))
        printf("child killed by signal %d\n", WTERMSIG(st));
    else
        printf("child exited %d\n", WEXITSTATUS(st));
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "labels"))
        return labels(argc > 2 && !strcmp(argv[2], "weird"));
    if (!strcmp(mode, "churn"))
        return churn();
    if (!strcmp(mode, "grow") && argc == 4)
        return grow(atol(argv[2]), atol(argv[3]));
    if (!strcmp(mode, "fork"))
        return forker();
    if (!strcmp(mode, "known"))
        return known();
    if (!strcmp(mode, "adopt"))
        return adopt();
    if (!strcmp(mode, "forklabel"))
        return forklabel();
    fprintf(stderr, "usage: live_prog labels [weird] | churn | grow MB MS | fork | known | adopt | "
                    "forklabel\n");
    return 2;
}

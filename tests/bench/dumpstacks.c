/*
 * dumpstacks - how long heapprof takes to write a profile of N distinct
 * stacks, and how long program threads are held up meanwhile.
 *
 *   HEAPPROF_SAMPLE=1 LD_PRELOAD=libheapprof.so \
 *     dumpstacks [stacks=100000] [dumps=3] [quiet_ms=300] [latency=1] [bands=0]
 *
 * latency=0 leaves the latency thread out (for profiling the dump alone).
 *
 * bands=1: three samples a stack instead of one.  The leaf keeps its block,
 * and 1.1 s later a second pass frees it (lifetime 1 s), mallocs and frees
 * one at once (lifetime 0) and keeps another (live, one age band): each
 * stack's profile has two lifetime samples and an age sample (src/dump.c),
 * and each record a lifetime block (src/stacks.h).
 *
 * Distinct stacks: four levels of 32 distinct noinline functions each
 * (step_L_k, 128 functions in all); stack number i walks the chain whose
 * function at level L is digit L of i in base 32, and the leaf mallocs and
 * frees one small block.  With HEAPPROF_SAMPLE=1 every allocation is
 * recorded, so after the loop the profiler holds at least `stacks`
 * distinct stacks (up to 32^4 = 1,048,576), each 4 + a few frames deep.
 *
 * Then sampling goes back to the default interval (heapprof_set_sample),
 * a latency thread starts a loop of malloc(64)+free timing every pair,
 * and the main thread
 *   1. computes (no allocation) for quiet_ms: the latency thread's worst
 *      pair in that window is the machine's own noise (scheduling with two
 *      busy threads), the baseline;
 *   2. calls heapprof_dump(NULL) `dumps` times, timing each call (wall
 *      clock, and the calling thread's CPU time, which another process
 *      holding the CPU does not inflate); the
 *      latency thread's worst pair during the dumps is what a program
 *      thread can be held up by a profile being written.
 * The first dump is cold (the symbolizer reads the ELF files); later ones
 * reuse its caches.  Each profile's comment last_dump_ms= also reports the
 * duration of the dump before it, which the driver reads back as a check.
 *
 * Each pair is timed by the wall clock and by the thread's CPU clock: a
 * pair that is slow in wall time but not in CPU time was off the CPU
 * (preempted by another process, or asleep on a lock); one slow in CPU time
 * did work or spun.
 *
 * Output, one line: key=value pairs (dump_ms_1.., lat_quiet_max_us,
 * lat_dump_max_us, lat_dump_max_cpu_us, lat_dump_over_1ms, pairs_dump...).
 */
#include <heapprof.h>

#include "bench.h"

#define NOCALL __attribute__((noinline, noipa))

typedef uint64_t (*step_fn)(uint64_t idx);

static step_fn level_tab[4][32];
static volatile uint64_t sink;

/* bands=1: each stack's kept block (NULL otherwise), and the pass (0, 1). */
static void **held;
static int pass;

NOCALL static uint64_t leaf(uint64_t idx)
{
    if (held && held[idx]) {
        free(held[idx]);
        held[idx] = NULL;
    }
    uint64_t r = 0;
    /* One malloc call site, so that every block is of the one stack. */
    for (int k = 0; k <= pass; k++) {
        unsigned char *p = malloc(24 + (idx & 7));
        if (!p)
            abort();
        p[0] = (unsigned char)idx;
        r += p[0];
        if (held && k == pass)
            held[idx] = p;
        else
            free(p);
    }
    return r;
}

/* step_L_K: level L (3 = outermost), function K.  The empty asm after the
 * call keeps it a real call (no tail call), so its return address is on
 * the stack; the constant makes every body different (no code folding). */
#define STEP(L, K)                                                                \
    NOCALL static uint64_t step_##L##_##K(uint64_t idx)                           \
    {                                                                             \
        uint64_t r = (L) ? level_tab[(L) ? (L) - 1 : 0][(idx >> (5 * (L) - 5)) & 31](idx) \
                         : leaf(idx);                                             \
        __asm__ volatile("" : "+r"(r));                                           \
        return r * 33 + (L) * 32 + (K);                                           \
    }
#define LEVEL(L)                                                                         \
    STEP(L, 0) STEP(L, 1) STEP(L, 2) STEP(L, 3) STEP(L, 4) STEP(L, 5) STEP(L, 6)        \
    STEP(L, 7) STEP(L, 8) STEP(L, 9) STEP(L, 10) STEP(L, 11) STEP(L, 12) STEP(L, 13)    \
    STEP(L, 14) STEP(L, 15) STEP(L, 16) STEP(L, 17) STEP(L, 18) STEP(L, 19) STEP(L, 20) \
    STEP(L, 21) STEP(L, 22) STEP(L, 23) STEP(L, 24) STEP(L, 25) STEP(L, 26) STEP(L, 27) \
    STEP(L, 28) STEP(L, 29) STEP(L, 30) STEP(L, 31)
LEVEL(0)
LEVEL(1)
LEVEL(2)
LEVEL(3)
#define ROW(L)                                                                          \
    {step_##L##_0, step_##L##_1, step_##L##_2, step_##L##_3, step_##L##_4,              \
     step_##L##_5, step_##L##_6, step_##L##_7, step_##L##_8, step_##L##_9,              \
     step_##L##_10, step_##L##_11, step_##L##_12, step_##L##_13, step_##L##_14,         \
     step_##L##_15, step_##L##_16, step_##L##_17, step_##L##_18, step_##L##_19,         \
     step_##L##_20, step_##L##_21, step_##L##_22, step_##L##_23, step_##L##_24,         \
     step_##L##_25, step_##L##_26, step_##L##_27, step_##L##_28, step_##L##_29,         \
     step_##L##_30, step_##L##_31}
static step_fn const rows[4][32] = {ROW(0), ROW(1), ROW(2), ROW(3)};

/* ---- the latency thread ------------------------------------------------- */

enum { PHASE_WARM, PHASE_QUIET, PHASE_DUMP, PHASE_STOP };

typedef struct window {
    int64_t max_ns;     /* slowest pair, wall clock */
    int64_t max_cpu_ns; /* most CPU time the thread spent in one pair */
    uint64_t pairs, over_1ms, over_100us, cpu_over_1ms;
} window;

static int phase;

static int64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
static window win[3];

static void *latency_main(void *arg)
{
    (void)arg;
    uint64_t k = 0;
    for (;;) {
        int ph = __atomic_load_n(&phase, __ATOMIC_ACQUIRE);
        if (ph == PHASE_STOP)
            break;
        int64_t c0 = thread_cpu_ns(), t0 = bench_now_ns();
        void *p = malloc(64);
        ((volatile unsigned char *)p)[0] = (unsigned char)k++;
        free(p);
        int64_t d = bench_now_ns() - t0, c = thread_cpu_ns() - c0;
        window *w = &win[ph];
        w->pairs++;
        if (d > w->max_ns)
            w->max_ns = d;
        if (c > w->max_cpu_ns)
            w->max_cpu_ns = c;
        w->cpu_over_1ms += c > 1000000;
        w->over_100us += d > 100000;
        w->over_1ms += d > 1000000;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    uint64_t n = bench_arg(argc, argv, "stacks", 100000);
    uint64_t dumps = bench_arg(argc, argv, "dumps", 3);
    uint64_t quiet_ms = bench_arg(argc, argv, "quiet_ms", 300);
    int latency = (int)bench_arg(argc, argv, "latency", 1);
    int bands = (int)bench_arg(argc, argv, "bands", 0);
    if (!heapprof_loaded()) {
        fprintf(stderr, "dumpstacks: run it with LD_PRELOAD=libheapprof.so HEAPPROF_SAMPLE=1\n");
        return 2;
    }
    if (n > 32 * 32 * 32 * 32) {
        fprintf(stderr, "dumpstacks: at most %d stacks\n", 32 * 32 * 32 * 32);
        return 2;
    }
    memcpy(level_tab, rows, sizeof rows);
    size_t exact_mean = heapprof_get_sample();

    if (bands && !(held = calloc(n ? n : 1, sizeof *held)))
        abort();
    int64_t t0 = bench_now_ns();
    uint64_t sum = 0;
    for (uint64_t i = 0; i < n; i++)
        sum += level_tab[3][(i >> 15) & 31](i);
    double build_ms = (double)(bench_now_ns() - t0) / 1e6;
    if (bands) {
        usleep(1100 * 1000); /* past the next second of the coarse clock (src/ages.h) */
        pass = 1;
        for (uint64_t i = 0; i < n; i++)
            sum += level_tab[3][(i >> 15) & 31](i);
    }
    sink = sum;

    heapprof_set_sample(512 * 1024);
    pthread_t lt;
    if (latency && pthread_create(&lt, NULL, latency_main, NULL))
        abort();
    usleep(50 * 1000); /* warm-up: thread start, first sample point */
    __atomic_store_n(&phase, PHASE_QUIET, __ATOMIC_RELEASE);
    /* The baseline window keeps this thread busy too (no allocation), so
     * both windows see the same competition for the CPUs. */
    int64_t until = bench_now_ns() + (int64_t)quiet_ms * 1000000;
    uint64_t spin = 0;
    while (bench_now_ns() < until)
        spin = spin * 6364136223846793005ULL + 1;
    sink = spin;
    __atomic_store_n(&phase, PHASE_DUMP, __ATOMIC_RELEASE);
    double ms[16] = {0}, cpu_ms[16] = {0};
    int err = 0;
    if (dumps > 16)
        dumps = 16;
    for (uint64_t d = 0; d < dumps; d++) {
        int64_t s = bench_now_ns(), c = thread_cpu_ns();
        err |= heapprof_dump(NULL);
        ms[d] = (double)(bench_now_ns() - s) / 1e6;
        cpu_ms[d] = (double)(thread_cpu_ns() - c) / 1e6;
    }
    __atomic_store_n(&phase, PHASE_STOP, __ATOMIC_RELEASE);
    if (latency)
        pthread_join(lt, NULL);

    printf("dumpstacks stacks=%llu bands=%d exact_mean=%zu build_ms=%.1f dump_err=%d",
           (unsigned long long)n, bands, exact_mean, build_ms, err);
    for (uint64_t d = 0; d < dumps; d++)
        printf(" dump_ms_%llu=%.2f dump_cpu_ms_%llu=%.2f", (unsigned long long)d + 1, ms[d],
               (unsigned long long)d + 1, cpu_ms[d]);
    static const char *names[3] = {"warm", "quiet", "dump"};
    for (int i = PHASE_QUIET; i <= PHASE_DUMP; i++)
        printf(" lat_%s_max_us=%.1f lat_%s_max_cpu_us=%.1f lat_%s_over_1ms=%llu"
               " lat_%s_cpu_over_1ms=%llu lat_%s_over_100us=%llu pairs_%s=%llu",
               names[i], win[i].max_ns / 1e3, names[i], win[i].max_cpu_ns / 1e3, names[i],
               (unsigned long long)win[i].over_1ms, names[i],
               (unsigned long long)win[i].cpu_over_1ms, names[i],
               (unsigned long long)win[i].over_100us, names[i], (unsigned long long)win[i].pairs);
    printf(" checksum=%016llx\n", (unsigned long long)sum);
    return err ? 1 : 0;
}

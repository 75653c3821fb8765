/*
 * churn - small-object malloc/free churn, the allocator fast path.
 *
 *   churn [threads=2] [pairs=20m] [slots=4096] [seed=1] [idle=0]
 *
 * Each of `threads` threads owns an array of `slots` pointers and does
 * pairs/threads iterations of: pick a random slot, free what it holds (if
 * anything), malloc a random size in [16, 1040] bytes into it, and touch
 * its first and last byte.  Frees therefore happen in random order, and
 * about `slots` objects per thread are alive at any time.  pairs=0 does no
 * work at all (the start-up baseline of the instruction count).
 */
#include "bench.h"

/* A cache line each: the threads' jobs sit side by side in main's array,
 * and `live` is written on every pair.  Unpadded, two threads on two cores
 * fought over the line (false sharing): identical runs took 0.45 s or
 * 0.8-1.0 s depending on how the threads overlapped. */
typedef struct job {
    uint64_t pairs, slots, seed;
    uint64_t sum;
    bench_live live;
} __attribute__((aligned(64))) job;

static void *run(void *arg)
{
    job *j = arg;
    unsigned char **slot = calloc(j->slots ? j->slots : 1, sizeof *slot);
    uint32_t *size = calloc(j->slots ? j->slots : 1, sizeof *size);
    uint64_t rng = bench_mix(j->seed), sum = 0;
    for (uint64_t k = 0; k < j->pairs; k++) {
        uint64_t r = bench_rand(&rng);
        size_t i = (size_t)(((unsigned __int128)r * j->slots) >> 64);
        uint32_t n = 16 + (uint32_t)((r & 0xffffffff) % 1025);
        unsigned char *p = slot[i];
        if (p) {
            sum += p[0] + p[size[i] - 1];
            free(p);
            bench_live_add(&j->live, -(int64_t)size[i]);
        }
        p = malloc(n);
        if (!p)
            abort();
        p[0] = (unsigned char)k;
        p[n - 1] = (unsigned char)(k >> 8);
        slot[i] = p;
        size[i] = n;
        bench_live_add(&j->live, n);
    }
    for (size_t i = 0; i < j->slots; i++)
        if (slot[i]) {
            sum += slot[i][0];
            free(slot[i]);
        }
    free(slot);
    free(size);
    j->sum = sum;
    return NULL;
}

int main(int argc, char **argv)
{
    uint64_t threads = bench_arg(argc, argv, "threads", 2);
    uint64_t pairs = bench_arg(argc, argv, "pairs", 20000000);
    uint64_t slots = bench_arg(argc, argv, "slots", 4096);
    uint64_t seed = bench_arg(argc, argv, "seed", 1);
    if (threads < 1 || threads > 256) {
        fprintf(stderr, "churn: threads must be 1..256\n");
        return 2;
    }
    bench_maybe_idle_thread(argc, argv);
    job jobs[256];
    for (uint64_t t = 0; t < threads; t++) {
        jobs[t] = (job){pairs / threads + (t < pairs % threads), slots, seed * 1000 + t, 0, {0, 0}};
    }
    bench_run_jobs(run, jobs, sizeof jobs[0], threads);
    uint64_t sum = 0;
    int64_t peak = 0;
    for (uint64_t t = 0; t < threads; t++) {
        sum = sum * 31 + jobs[t].sum;
        peak += jobs[t].live.peak;
    }
    printf("churn checksum=%016llx ops=%llu live_peak_bytes=%lld\n", (unsigned long long)sum,
           (unsigned long long)pairs, (long long)peak);
    return 0;
}

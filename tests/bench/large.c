/*
 * large - big blocks, 64 KiB to 16 MiB, with realloc growth.
 *
 *   large [ops=200k] [slots=32] [seed=3]
 *
 * `slots` buffers; each step picks one at random and either frees it (1 in
 * 4), grows it with realloc by 1.25x-2x (capped at 16 MiB), or, when
 * empty, mallocs a size drawn log-uniformly from [64 KiB, 16 MiB].  Every
 * new or grown block is touched once per 64 KiB (first byte of each such
 * stride) so the pages are really used, as a program would.
 */
#include <math.h>

#include "bench.h"

enum { MIN_SZ = 64 << 10, MAX_SZ = 16 << 20, STRIDE = 64 << 10 };

int main(int argc, char **argv)
{
    uint64_t ops = bench_arg(argc, argv, "ops", 200000);
    uint64_t nslots = bench_arg(argc, argv, "slots", 32);
    uint64_t rng = bench_mix(bench_arg(argc, argv, "seed", 3)), sum = 0;
    unsigned char **slot = calloc(nslots, sizeof *slot);
    size_t *size = calloc(nslots, sizeof *size);
    bench_live live = {0, 0};
    for (uint64_t k = 0; k < ops; k++) {
        uint64_t r = bench_rand(&rng);
        size_t i = (size_t)bench_below(&rng, nslots);
        unsigned char *p = slot[i];
        size_t old = size[i], n;
        if (p && (r & 3) == 0) {
            sum += p[0] + p[old - 1];
            free(p);
            slot[i] = NULL;
            size[i] = 0;
            bench_live_add(&live, -(int64_t)old);
            continue;
        }
        if (p) {
            double g = 1.25 + 0.75 * (double)(r >> 11) * 0x1.0p-53;
            n = (size_t)((double)old * g);
            if (n > MAX_SZ)
                n = MAX_SZ;
            if (n <= old) { /* at the cap: start again small */
                free(p);
                p = NULL;
                old = 0;
                bench_live_add(&live, -(int64_t)size[i]);
                size[i] = 0;
            }
        }
        if (!p) {
            double u = (double)(r >> 11) * 0x1.0p-53;
            n = (size_t)((double)MIN_SZ * exp(u * log((double)MAX_SZ / MIN_SZ)));
            p = malloc(n);
        } else {
            p = realloc(p, n);
        }
        if (!p)
            abort();
        for (size_t o = old; o < n; o += STRIDE)
            p[o] = (unsigned char)(k + o);
        p[n - 1] = (unsigned char)k;
        sum += p[0];
        bench_live_add(&live, (int64_t)n - (int64_t)old);
        slot[i] = p;
        size[i] = n;
    }
    for (size_t i = 0; i < nslots; i++)
        free(slot[i]);
    free(slot);
    free(size);
    printf("large checksum=%016llx ops=%llu live_peak_bytes=%lld\n", (unsigned long long)sum,
           (unsigned long long)ops, (long long)live.peak);
    return 0;
}

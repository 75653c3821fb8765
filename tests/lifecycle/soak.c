/*
 * soak.c - a leaking multi-threaded program for the long soak test.
 *
 *   soak SECONDS THREADS
 *
 * Each thread allocates and frees all the time through 64 distinct stacks
 * (ms_go, 6 levels), sizes 16..4111 bytes, keeping a ring of 2000 live
 * objects; one allocation in 20000 is leaked for good.  The program keeps
 * its own count of the bytes it has live (requested sizes), and once a
 * second prints
 *     t=<seconds> rss_kb=<VmRSS> live_bytes=<its own live bytes>
 * so that the script can follow RSS minus what the program itself holds.
 */
#include <pthread.h>

#include "lc.h"

LC_MANY_STACKS_IMPL

enum { RING = 2000, LEAK_EVERY = 20000 };

static volatile int stop;
static long long live_bytes;

static void *worker(void *arg)
{
    unsigned long x = 0x9e3779b97f4a7c15UL ^ (unsigned long)(long)arg;
    void **ring = calloc(RING, sizeof *ring);
    size_t *sizes = calloc(RING, sizeof *sizes);
    unsigned long n = 0;
    while (!stop) {
        for (int b = 0; b < 2000; b++, n++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            size_t sz = 16 + (size_t)(x % 4096);
            unsigned slot = (unsigned)((x >> 20) % RING);
            void *p = ms_go((unsigned)(x >> 40) & 63, 6, sz);
            if (!p)
                continue;
            __atomic_add_fetch(&live_bytes, (long long)sz, __ATOMIC_RELAXED);
            if (n % LEAK_EVERY == 0)
                continue; /* leaked: never freed */
            if (ring[slot]) {
                free(ring[slot]);
                __atomic_sub_fetch(&live_bytes, (long long)sizes[slot], __ATOMIC_RELAXED);
            }
            ring[slot] = p;
            sizes[slot] = sz;
        }
        testlib_sleep_ms(10);
    }
    return NULL;
}

static long rss_kb(void)
{
    char line[256];
    long v = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &v) == 1)
            break;
    fclose(f);
    return v;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: soak SECONDS THREADS\n");
        return 2;
    }
    long secs = atol(argv[1]);
    int nt = atoi(argv[2]);
    setvbuf(stdout, NULL, _IOLBF, 0);
    pthread_t t[64];
    for (int i = 0; i < nt && i < 64; i++)
        pthread_create(&t[i], NULL, worker, (void *)(long)i);
    double t0 = testlib_now();
    for (long s = 1; s <= secs; s++) {
        while (testlib_now() < t0 + (double)s)
            testlib_sleep_ms(20);
        printf("t=%ld rss_kb=%ld live_bytes=%lld\n", s, rss_kb(),
               __atomic_load_n(&live_bytes, __ATOMIC_RELAXED));
    }
    stop = 1;
    for (int i = 0; i < nt && i < 64; i++)
        pthread_join(t[i], NULL);
    printf("done\n");
    return 0;
}

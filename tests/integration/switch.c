/*
 * switch.c - heapprof_set_sample() in the middle of a run, for integ_switch.
 *
 * THREADS threads each start their countdown at the starting interval (one
 * allocation), then wait while the main thread switches to a much smaller
 * one, then allocate PER_THREAD bytes in SIZE-byte blocks, each freed at
 * once.  Every thread's first sample after the switch ends a countdown
 * drawn at the old interval, and stands for about that many bytes.
 * Prints "expect_alloc_space N", the bytes switch_alloc() allocated.
 * Usage: switch NEW_INTERVAL
 */
#include <heapprof.h>
#include <pthread.h>

#include "integ.h"

enum { THREADS = 64, PER_THREAD = 32 << 20, SIZE = 1024 };

static pthread_barrier_t started, switched;

NOINLINE static void *switch_alloc(size_t n) { return malloc(n); }

static void *worker(void *arg)
{
    (void)arg;
    free(switch_alloc(SIZE)); /* the countdown starts, at the old interval */
    pthread_barrier_wait(&started);
    pthread_barrier_wait(&switched);
    for (size_t i = 0; i < PER_THREAD / SIZE; i++)
        free(switch_alloc(SIZE));
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2 || !heapprof_loaded()) {
        fprintf(stderr, "usage: switch NEW_INTERVAL, with libheapprof.so preloaded\n");
        return 2;
    }
    size_t to = (size_t)strtoull(argv[1], NULL, 10);
    pthread_t t[THREADS];
    pthread_barrier_init(&started, NULL, THREADS + 1);
    pthread_barrier_init(&switched, NULL, THREADS + 1);
    for (int i = 0; i < THREADS; i++)
        if (pthread_create(&t[i], NULL, worker, NULL)) {
            fprintf(stderr, "switch: pthread_create failed\n");
            return 2;
        }
    pthread_barrier_wait(&started);
    if (heapprof_set_sample(to)) {
        fprintf(stderr, "switch: heapprof_set_sample(%zu) failed\n", to);
        return 2;
    }
    pthread_barrier_wait(&switched);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    printf("expect_alloc_space %lld\n", (long long)THREADS * (PER_THREAD + SIZE));
    return 0;
}

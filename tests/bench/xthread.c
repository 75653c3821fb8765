/*
 * xthread - objects allocated on one thread and freed on another.
 *
 *   xthread [objects=10m] [queue=1024] [lockstep=1] [seed=2]
 *
 * A producer thread mallocs `objects` objects of random size in [16, 1040]
 * bytes, writes a tag into each and passes it through a bounded queue of
 * `queue` slots to a consumer thread, which checks the tag and frees it.
 *
 * lockstep=1 (default): the queue is handed over whole.  The producer
 *   fills it, wakes the consumer and sleeps until the consumer has freed
 *   every object in it (mutex + condition variables, no spinning).  Each
 *   object is still allocated on one thread and freed on the other, but
 *   the two never run at once, so the run time does not depend on how the
 *   scheduler interleaves two threads contending for glibc's arena lock.
 * lockstep=0: a lock-free single-producer/single-consumer ring with both
 *   threads running concurrently (spin briefly, then yield).  Closer to a
 *   real pipeline, but under glibc its run time varies by 2-5x from run to
 *   run (arena-lock contention between the allocating and the freeing
 *   thread, worse on a loaded machine), too much to resolve a 5% overhead.
 *
 * queue=1024 (~0.5 MiB of objects per batch): with 4096, every drained
 * batch let glibc trim the top of its heap and grow it again for the next
 * (about 12 brk calls per batch), and the run was mostly page faults.
 */
#include <sched.h>

#include "bench.h"

typedef struct ring {
    _Alignas(64) uint64_t head; /* next slot the consumer reads */
    _Alignas(64) uint64_t tail; /* next slot the producer writes */
    _Alignas(64) uint64_t cap;
    unsigned char **slot;
} ring;

static ring q;
static uint64_t objects, seed;
static uint64_t consumer_sum;

/* lockstep hand-over */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t filled = PTHREAD_COND_INITIALIZER, drained = PTHREAD_COND_INITIALIZER;
static uint64_t batch_n;  /* objects in the batch handed over, 0 when drained */
static int batch_full;

static void backoff(unsigned *spins)
{
    if (++*spins < 64)
        __builtin_ia32_pause();
    else {
        sched_yield();
        *spins = 0;
    }
}

static void *consumer_ring(void *arg)
{
    (void)arg;
    uint64_t sum = 0;
    for (uint64_t k = 0; k < objects; k++) {
        unsigned spins = 0;
        while (__atomic_load_n(&q.tail, __ATOMIC_ACQUIRE) <= k)
            backoff(&spins);
        unsigned char *p = q.slot[k & (q.cap - 1)];
        __atomic_store_n(&q.head, k + 1, __ATOMIC_RELEASE);
        sum += p[0] ^ p[1];
        free(p);
    }
    consumer_sum = sum;
    return NULL;
}

static void *consumer_lockstep(void *arg)
{
    (void)arg;
    uint64_t sum = 0, done = 0;
    while (done < objects) {
        pthread_mutex_lock(&mu);
        while (!batch_full)
            pthread_cond_wait(&filled, &mu);
        uint64_t n = batch_n;
        pthread_mutex_unlock(&mu);
        for (uint64_t i = 0; i < n; i++) {
            unsigned char *p = q.slot[i];
            sum += p[0] ^ p[1];
            free(p);
        }
        done += n;
        pthread_mutex_lock(&mu);
        batch_full = 0;
        pthread_cond_signal(&drained);
        pthread_mutex_unlock(&mu);
    }
    consumer_sum = sum;
    return NULL;
}

static unsigned char *make(uint64_t k, uint64_t *rng, uint64_t *psum)
{
    uint32_t n = 16 + (uint32_t)(bench_rand(rng) % 1025);
    unsigned char *p = malloc(n);
    if (!p)
        abort();
    p[0] = (unsigned char)k;
    p[1] = (unsigned char)n;
    *psum += n;
    return p;
}

int main(int argc, char **argv)
{
    objects = bench_arg(argc, argv, "objects", 10000000);
    uint64_t qn = bench_arg(argc, argv, "queue", 1024);
    int lockstep = (int)bench_arg(argc, argv, "lockstep", 1);
    seed = bench_arg(argc, argv, "seed", 2);
    q.cap = 1;
    while (q.cap < qn)
        q.cap *= 2;
    q.slot = calloc(q.cap, sizeof *q.slot);
    pthread_t t;
    if (pthread_create(&t, NULL, lockstep ? consumer_lockstep : consumer_ring, NULL))
        abort();
    uint64_t rng = bench_mix(seed), psum = 0;
    if (lockstep) {
        for (uint64_t k = 0; k < objects;) {
            uint64_t n = objects - k < q.cap ? objects - k : q.cap;
            for (uint64_t i = 0; i < n; i++)
                q.slot[i] = make(k + i, &rng, &psum);
            k += n;
            pthread_mutex_lock(&mu);
            batch_n = n;
            batch_full = 1;
            pthread_cond_signal(&filled);
            while (batch_full)
                pthread_cond_wait(&drained, &mu);
            pthread_mutex_unlock(&mu);
        }
    } else {
        for (uint64_t k = 0; k < objects; k++) {
            unsigned char *p = make(k, &rng, &psum);
            unsigned spins = 0;
            while (k - __atomic_load_n(&q.head, __ATOMIC_ACQUIRE) >= q.cap)
                backoff(&spins);
            q.slot[k & (q.cap - 1)] = p;
            __atomic_store_n(&q.tail, k + 1, __ATOMIC_RELEASE);
        }
    }
    pthread_join(t, NULL);
    free(q.slot);
    /* At most cap objects in flight, of at most 1040 bytes. */
    printf("xthread checksum=%016llx ops=%llu live_peak_bytes=%llu\n",
           (unsigned long long)(psum * 31 + consumer_sum), (unsigned long long)objects,
           (unsigned long long)(q.cap * 1040));
    return 0;
}

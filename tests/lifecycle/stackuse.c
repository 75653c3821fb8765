/*
 * stackuse.c - how deep into its thread's stack a malloc/free loop reaches
 * (host_stack_use.sh): run once bare and once under heapprof, the
 * difference is what the profiler's sampled path adds to the stack of
 * whichever thread allocates.
 *
 * The thread runs on a stack of ours, painted with one byte value.  The
 * loop runs twice from two different functions: the first warms the
 * allocator (its arena, its cache) and the profiler (its first slow path
 * on the thread); the paint is renewed below the thread's frame, and the
 * second, from call sites the walker has not seen (so its rule lookups run
 * again), is measured: the lowest byte no longer painted.
 *
 * Prints: used=BYTES (below work()'s frame).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

enum { STACK = 1 << 20, PAINT = 0xA5, LOOPS = 20000 };
static unsigned char *stk;
static size_t used;

/* Sizes glibc's tcache serves: its own stack use stays small, and the
 * profiler's shows. */
static void loop(void)
{
    void *keep[4] = {0};
    for (int i = 0; i < LOOPS; i++) {
        int k = i & 3;
        free(keep[k]);
        keep[k] = malloc(16 + (size_t)k * 16);
    }
    for (int k = 0; k < 4; k++)
        free(keep[k]);
}

static __attribute__((noinline)) void warm(void) { loop(); }
static __attribute__((noinline)) void measured(void) { loop(); }

static void *work(void *arg)
{
    (void)arg;
    warm();
    unsigned char *sp = __builtin_frame_address(0);
    /* Below this frame, less the few calls in between. */
    memset(stk, PAINT, (size_t)(sp - 512 - stk));
    measured();
    size_t u = 0;
    while (stk[u] == PAINT)
        u++;
    used = (size_t)(sp - (stk + u));
    return NULL;
}

int main(void)
{
    stk = mmap(NULL, STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (stk == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    pthread_attr_t at;
    pthread_t t;
    if (pthread_attr_init(&at) || pthread_attr_setstack(&at, stk, STACK) ||
        pthread_create(&t, &at, work, NULL) || pthread_join(t, NULL)) {
        fprintf(stderr, "cannot run the thread\n");
        return 1;
    }
    printf("used=%zu\n", used);
    return 0;
}

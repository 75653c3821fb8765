/*
 * bareshim.c - the floor of any LD_PRELOAD heap profiler, for the benchmark
 * suite: malloc counts a thread-local byte budget down (what a sampler must
 * do at least) and forwards; free, calloc and realloc only forward.  Nothing
 * is ever sampled.  The side-by-side section runs it against the plain
 * allocator, so the cost of interposition itself is measured in the same
 * run as heapprof's.
 *
 * The next allocator is found with dlsym(RTLD_NEXT) in the constructor;
 * anything allocated before that (dlsym itself may allocate) comes from a
 * static buffer and is never given back.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>

static void *boot_malloc(size_t n);
/* Starts at boot_malloc, so that malloc itself has no test for "resolved". */
static void *(*next_malloc)(size_t) = boot_malloc;
static void boot_free(void *p) { (void)p; } /* boot blocks are never given back */
static void (*next_free)(void *) = boot_free;
static void *(*next_calloc)(size_t, size_t);
static void *(*next_realloc)(void *, size_t);

static __thread __attribute__((tls_model("initial-exec"))) int64_t budget = INT64_MAX;

static _Alignas(16) char boot[1 << 16];
static size_t boot_used;
static int resolving; /* before main: one thread */

static void *boot_alloc(size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n > sizeof boot - boot_used)
        return NULL;
    void *p = boot + boot_used;
    boot_used += n;
    return p; /* static storage: already zero, as calloc needs */
}

static int in_boot(const void *p) { return (const char *)p >= boot && (const char *)p < boot + sizeof boot; }

static void resolve(void)
{
    if (resolving)
        return;
    resolving = 1;
    void *(*m)(size_t) = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
    void (*f)(void *) = (void (*)(void *))dlsym(RTLD_NEXT, "free");
    next_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
    next_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
    /* free, then malloc, last: until then what dlsym allocates comes from
     * boot, and frees of it are dropped. */
    if (m && f && next_calloc && next_realloc) {
        next_free = f;
        next_malloc = m;
    }
    resolving = 0;
}

__attribute__((constructor)) static void init(void) { resolve(); }

static void *boot_malloc(size_t n)
{
    resolve();
    return next_malloc != boot_malloc ? next_malloc(n) : boot_alloc(n);
}

void *malloc(size_t n)
{
    budget -= (int64_t)n;
    if (__builtin_expect(budget <= 0, 0))
        budget = INT64_MAX; /* where a profiler would take a sample */
    return next_malloc(n);
}

void free(void *p)
{
    if (__builtin_expect(in_boot(p), 0))
        return;
    next_free(p);
}

void *calloc(size_t a, size_t b)
{
    if (__builtin_expect(!next_calloc, 0)) {
        resolve();
        if (!next_calloc) {
            size_t n;
            return __builtin_mul_overflow(a, b, &n) ? NULL : boot_alloc(n);
        }
    }
    return next_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
    if (__builtin_expect(!next_realloc, 0))
        resolve();
    if (__builtin_expect(in_boot(p) || !next_realloc, 0)) {
        /* Rare (allocated before the constructor): copy out of the buffer. */
        void *q = malloc(n);
        if (q && p) {
            size_t room = (size_t)(boot + sizeof boot - (char *)p);
            __builtin_memcpy(q, p, n < room ? n : room);
        }
        return q;
    }
    return next_realloc(p, n);
}

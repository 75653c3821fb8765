/*
 * errnocheck.c - errno and results of the allocator functions, to be
 * compared with and without the preload: the output (and exit status) must
 * be identical.  Successful calls must leave errno alone (glibc does);
 * failing ones must fail as glibc's do, with the same errno.
 *
 * Every check prints one line; a failed check prints FAIL and counts into
 * the exit status.  Sizes vary so that a sampling profiler takes both its
 * fast and its slow paths.
 */
#define _GNU_SOURCE
#include <malloc.h>

#include "integ.h"

static int failures;

#define EXPECT(name, cond)                                                    \
    do {                                                                      \
        if (!(cond)) {                                                        \
            if (failures++ < 20)                                              \
                printf("FAIL %s: %s (errno %d)\n", name, #cond, errno);      \
        }                                                                     \
    } while (0)

enum { MAGIC = 12345 };

static const char *errname(int e)
{
    switch (e) {
    case 0: return "0";
    case ENOMEM: return "ENOMEM";
    case EINVAL: return "EINVAL";
    case MAGIC: return "unchanged";
    default: return "other";
    }
}

NOINLINE static void successes(int iterations)
{
    uint64_t rng = 42;
    long ok = 0;
    for (int i = 0; i < iterations; i++) {
        size_t n = 1 + (size_t)(integ_rand(&rng) % (i % 10 == 0 ? 300000 : 2000));

        errno = MAGIC;
        char *p = malloc(n);
        EXPECT("malloc", p && errno == MAGIC);
        EXPECT("malloc_usable_size", p && malloc_usable_size(p) >= n && errno == MAGIC);
        memset(p, 1, n);

        errno = MAGIC;
        char *q = realloc(p, n * 2);
        EXPECT("realloc grow", q && errno == MAGIC && q[n - 1] == 1);
        errno = MAGIC;
        p = realloc(q, n / 2 + 1);
        EXPECT("realloc shrink", p && errno == MAGIC && p[n / 2] == 1);
        errno = MAGIC;
        free(p);
        EXPECT("free", errno == MAGIC);

        errno = MAGIC;
        char *c = calloc(n, 3);
        EXPECT("calloc", c && errno == MAGIC && c[n * 3 - 1] == 0);
        errno = MAGIC;
        c = reallocarray(c, n, 4);
        EXPECT("reallocarray", c && errno == MAGIC);
        free(c);

        void *a = NULL;
        errno = MAGIC;
        int r = posix_memalign(&a, 64, n);
        EXPECT("posix_memalign", r == 0 && a && errno == MAGIC);
        free(a);
        errno = MAGIC;
        a = aligned_alloc(128, (n + 127) & ~(size_t)127);
        EXPECT("aligned_alloc", a && errno == MAGIC);
        free(a);
        errno = MAGIC;
        a = memalign(32, n);
        EXPECT("memalign", a && errno == MAGIC);
        free(a);
        if (i % 50 == 0) {
            errno = MAGIC;
            a = valloc(n);
            EXPECT("valloc", a && errno == MAGIC);
            free(a);
        }
        errno = MAGIC;
        char *s = strdup("errno must survive this");
        EXPECT("strdup", s && errno == MAGIC);
        free(s);
        errno = MAGIC;
        free(NULL);
        EXPECT("free(NULL)", errno == MAGIC);
        ok++;
    }
    printf("successes: %ld iterations\n", ok);
}

NOINLINE static void failures_report(void)
{
    volatile size_t huge = SIZE_MAX / 2;
    errno = MAGIC;
    void *p = malloc(huge);
    printf("malloc(huge): %s errno=%s\n", p ? "non-NULL" : "NULL", errname(errno));
    errno = MAGIC;
    p = calloc(huge, 4);
    printf("calloc(overflow): %s errno=%s\n", p ? "non-NULL" : "NULL", errname(errno));
    errno = MAGIC;
    p = calloc(1, huge);
    printf("calloc(huge): %s errno=%s\n", p ? "non-NULL" : "NULL", errname(errno));

    /* volatile: the compiler must not assume the failed calls freed it. */
    char *volatile old = malloc(100);
    memset(old, 'z', 100);
    errno = MAGIC;
    p = realloc(old, huge);
    printf("realloc(p, huge): %s errno=%s old intact=%s\n", p ? "non-NULL" : "NULL", errname(errno),
           old[0] == 'z' && old[99] == 'z' ? "yes" : "no");
    errno = MAGIC;
    p = reallocarray(old, huge, 4);
    printf("reallocarray(overflow): %s errno=%s old intact=%s\n", p ? "non-NULL" : "NULL",
           errname(errno), old[0] == 'z' && old[99] == 'z' ? "yes" : "no");
    free(old);

    void *q = NULL;
    errno = MAGIC;
    int r = posix_memalign(&q, 64, huge);
    printf("posix_memalign(huge): ret=%s errno=%s\n", errname(r), errname(errno));
    errno = MAGIC;
    r = posix_memalign(&q, 3, 10);
    printf("posix_memalign(align 3): ret=%s errno=%s\n", errname(r), errname(errno));
    errno = MAGIC;
    p = aligned_alloc(64, huge & ~(size_t)63);
    printf("aligned_alloc(huge): %s errno=%s\n", p ? "non-NULL" : "NULL", errname(errno));
    errno = MAGIC;
    p = memalign(64, huge);
    printf("memalign(huge): %s errno=%s\n", p ? "non-NULL" : "NULL", errname(errno));
    errno = MAGIC;
    p = valloc(huge);
    printf("valloc(huge): %s errno=%s\n", p ? "non-NULL" : "NULL", errname(errno));
    errno = MAGIC;
    p = pvalloc(huge);
    printf("pvalloc(huge): %s errno=%s\n", p ? "non-NULL" : "NULL", errname(errno));
    errno = MAGIC;
    p = realloc(NULL, huge);
    printf("realloc(NULL, huge): %s errno=%s\n", p ? "non-NULL" : "NULL", errname(errno));
    /* realloc(p, 0) frees p; errno as glibc leaves it. */
    p = malloc(10);
    errno = MAGIC;
    p = realloc(p, 0);
    printf("realloc(p, 0): %s errno=%s\n", p ? "non-NULL" : "NULL", errname(errno));
    free(p);
    /* And the allocator still works after all that. */
    errno = MAGIC;
    p = malloc(1000);
    printf("malloc after failures: %s errno=%s\n", p ? "non-NULL" : "NULL", errname(errno));
    free(p);
}

int main(int argc, char **argv)
{
    int iterations = argc > 1 ? atoi(argv[1]) : 3000;
    successes(iterations);
    failures_report();
    printf("failures: %d\n", failures);
    fflush(stdout);
    return failures ? 1 : 0;
}

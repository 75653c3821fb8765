/*
 * integ.h - shared bits of the integration test programs.
 *
 * These programs are run with libheapprof.so preloaded and print their own
 * ground truth ("expect <site> <alloc_objects> <alloc_space> <inuse_objects>
 * <inuse_space>") so the driver scripts can compare it with the profile.
 *
 * They are compiled at -O0 with -fno-builtin and every allocating function
 * is noinline: the compiler must neither remove a malloc/free pair nor fold
 * an allocating function into its caller (the profile's leaf is the function
 * that called malloc).  What the lifecycle programs share with these is in
 * ../lib/testlib.h.
 */
#ifndef INTEG_H
#define INTEG_H

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#ifdef __cplusplus
#define INTEG_EXTERN_C extern "C"
#else
#define INTEG_EXTERN_C
#endif

/* Ground truth of one allocation site, updated with atomics so that threads
 * may share a site. */
typedef struct site {
    const char *name;
    long long ao, as, io, is;
} site;

#define SITE(n) {#n, 0, 0, 0, 0}

static inline void site_alloc(site *s, size_t n)
{
    __atomic_add_fetch(&s->ao, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&s->as, (long long)n, __ATOMIC_RELAXED);
    __atomic_add_fetch(&s->io, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&s->is, (long long)n, __ATOMIC_RELAXED);
}

static inline void site_free(site *s, size_t n)
{
    __atomic_sub_fetch(&s->io, 1, __ATOMIC_RELAXED);
    __atomic_sub_fetch(&s->is, (long long)n, __ATOMIC_RELAXED);
}

static inline void site_print(const site *s)
{
    printf("expect %s %lld %lld %lld %lld\n", s->name, s->ao, s->as, s->io, s->is);
}

/* Stores a pointer where the compiler cannot prove it dead. */
static void *volatile integ_sink;
static inline void keep(void *p) { integ_sink = p; }

/* Report a broken assumption of the test program itself and exit 99: the
 * driver scripts treat that as "the program misbehaved under the preload". */
#define CHECK(cond, ...)                                                        \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                       \
            fputc('\n', stderr);                                                \
            exit(99);                                                           \
        }                                                                       \
    } while (0)

/* xorshift64*: the programs' own fixed-seed randomness. */
static inline uint64_t integ_rand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

#endif

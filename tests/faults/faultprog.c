/*
 * faultprog.c - the program the fault-injection tests run, plain and under
 * libheapprof_fault.so.  Its stdout must be identical either way, whatever
 * fails inside the profiler.
 *
 * It allocates from three sites of its own (fp_small, fp_big, fp_thread,
 * the last on a second thread), frees part of it, and asks for a profile at
 * two points through the public API (when the library is loaded).  For each
 * of the three profile points (two API dumps and the exit profile) it
 * prints what an exact-mode profile must show per site:
 *
 *   expect <point> <site> <alloc_objects> <alloc_space> <inuse_objects> <inuse_space>
 *
 * Around every allocator call and every dump it sets errno to a marker and
 * checks it afterwards: a successful call must leave errno alone whatever
 * the profiler did (or failed to do) inside it.  The count of changed
 * values is printed; anything but 0 differs from the plain run.
 *
 * Usage: faultprog [EXIT_STATUS]   (default 0; the status must survive too)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapprof.h"

#define NOINLINE __attribute__((noinline, noclone))

enum { NSITES = 3, NOBJ = 1500, MARK = 4242 };
static const char *const site_names[NSITES] = {"fp_small", "fp_big", "fp_thread"};

typedef struct tally {
    uint64_t ao, as, io, is;
} tally;

static tally t[NSITES];
static int errno_changed;
static uint64_t checksum;

static void expect_errno(void)
{
    if (errno != MARK)
        errno_changed++;
    errno = MARK;
}

static void count_alloc(int site, size_t n)
{
    t[site].ao++;
    t[site].as += n;
    t[site].io++;
    t[site].is += n;
}

static void count_free(int site, size_t n)
{
    t[site].io--;
    t[site].is -= n;
}

static void touch(unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i += 64)
        p[i] = (unsigned char)(i * 7 + n);
    checksum = checksum * 31 + p[0] + n;
}

NOINLINE static void *fp_small(size_t n)
{
    errno = MARK;
    void *p = malloc(n);
    expect_errno();
    return p;
}

NOINLINE static void *fp_big(size_t n)
{
    errno = MARK;
    void *p = calloc(1, n);
    expect_errno();
    return p;
}

NOINLINE static void *fp_thread(size_t n)
{
    errno = MARK;
    void *p = malloc(n);
    expect_errno();
    return p;
}

static void release(int site, void *p, size_t n)
{
    errno = MARK;
    free(p);
    expect_errno();
    count_free(site, n);
}

static void *small_objs[NOBJ], *big_objs[NOBJ / 10], *thread_objs[NOBJ];

static void *thread_main(void *arg)
{
    for (int i = 0; i < NOBJ; i++) {
        size_t n = 24 + (size_t)(i % 13) * 8;
        thread_objs[i] = fp_thread(n);
        if (!thread_objs[i])
            abort();
        touch(thread_objs[i], n);
        count_alloc(2, n);
    }
    for (int i = 0; i < NOBJ; i += 3)
        release(2, thread_objs[i], 24 + (size_t)(i % 13) * 8), thread_objs[i] = NULL;
    return NULL;
}

static void dump_point(int point)
{
    for (int s = 0; s < NSITES; s++)
        printf("expect %d %s %llu %llu %llu %llu\n", point, site_names[s],
               (unsigned long long)t[s].ao, (unsigned long long)t[s].as,
               (unsigned long long)t[s].io, (unsigned long long)t[s].is);
    if (point < 3 && heapprof_loaded()) {
        errno = MARK;
        (void)heapprof_dump(NULL); /* failures are the profiler's to report */
        expect_errno();
    }
}

int main(int argc, char **argv)
{
    int status = argc > 1 ? atoi(argv[1]) : 0;
    errno = MARK;
    for (int i = 0; i < NOBJ; i++) {
        size_t n = 8 + (size_t)(i % 61) * 16;
        small_objs[i] = fp_small(n);
        if (!small_objs[i])
            abort();
        touch(small_objs[i], n);
        count_alloc(0, n);
    }
    for (int i = 0; i < NOBJ / 10; i++) {
        size_t n = 4096 + (size_t)i * 4096;
        big_objs[i] = fp_big(n);
        if (!big_objs[i])
            abort();
        touch(big_objs[i], n);
        count_alloc(1, n);
    }
    dump_point(1);

    pthread_t th;
    if (pthread_create(&th, NULL, thread_main, NULL) || pthread_join(th, NULL))
        abort();
    for (int i = 0; i < NOBJ; i += 2)
        release(0, small_objs[i], 8 + (size_t)(i % 61) * 16), small_objs[i] = NULL;
    dump_point(2);

    for (int i = 0; i < NOBJ / 10; i += 2)
        release(1, big_objs[i], 4096 + (size_t)i * 4096), big_objs[i] = NULL;
    /* A realloc chain: grows in place or moves, errno untouched either way
     * (not counted per site: its leaf is this function). */
    void *r = NULL;
    for (size_t n = 16; n < 70000; n *= 3) {
        errno = MARK;
        void *q = realloc(r, n);
        expect_errno();
        if (!q)
            abort();
        r = q;
    }
    errno = MARK;
    free(r);
    expect_errno();
    dump_point(3); /* the exit profile */

    printf("checksum %llu errno_changed %d\n", (unsigned long long)checksum, errno_changed);
    fflush(stdout);
    return status;
}

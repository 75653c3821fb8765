/* Unit tests: the profiler's heap (src/mem.h): small blocks from runs of
 * its own pages, large ones from pages of their own, blocks that move
 * between the two when they grow or shrink, several threads at once; and the in-place sort (src/sort.h) that the profiler uses
 * instead of glibc's qsort, which allocates. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "mem.h"
#include "sort.h"

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(i * 31 + seed);
}

static int filled(const unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(i * 31 + seed))
            return 0;
    return 1;
}

enum { SMALL_MAX = 64 << 10, HEAD = 16 };

/* Every size: aligned as malloc's, calloc's zeroed even where a block was
 * used before, and what the heap holds back where it was after the frees. */
static void test_small_and_large(void **state)
{
    (void)state;
    uint64_t blocks = mem_heap_blocks(), bytes = mem_heap_bytes();
    size_t sizes[] = { 0, 1, 15, 16, 17, 100, 112, 113, 4000, SMALL_MAX - HEAD,
                       SMALL_MAX - HEAD + 1, SMALL_MAX, 1 << 20 };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i];
        unsigned char *p = mem_alloc(n);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 16, 0);
        fill(p, n, 7);
        assert_int_equal(mem_heap_blocks(), blocks + 1);
        assert_int_equal(mem_heap_bytes(), bytes + n);
        mem_free(p); /* its block is the next one of its class handed out */
        unsigned char *z = mem_calloc(n ? n : 1, 1);
        assert_non_null(z);
        assert_int_equal((uintptr_t)z % 16, 0);
        for (size_t k = 0; k < n; k++)
            assert_int_equal(z[k], 0);
        mem_free(z);
        assert_int_equal(mem_heap_blocks(), blocks);
        assert_int_equal(mem_heap_bytes(), bytes);
    }
    mem_free(NULL);
}

/* Blocks of one size fill runs, never overlap, and the runs go back to the
 * system once empty, all but one kept for the next block of that size. */
static void test_runs(void **state)
{
    (void)state;
#if HEAPPROF_MEM_MALLOC
    skip(); /* small blocks come from malloc in this build */
#endif
    enum { N = 20000, SIZE = 100 };
    static unsigned char *b[N];
    uint64_t base = mem_heap_mapped_bytes();
    for (size_t i = 0; i < N; i++) {
        b[i] = mem_alloc(SIZE);
        assert_non_null(b[i]);
        fill(b[i], SIZE, (unsigned)i);
    }
    /* 2 MB asked for: the runs hold it with less than a third more. */
    uint64_t mapped = mem_heap_mapped_bytes() - base;
    assert_true(mapped >= (uint64_t)N * (SIZE + HEAD));
    assert_true(mapped <= (uint64_t)N * (SIZE + HEAD) * 4 / 3 + (64 << 10));
    for (size_t i = 0; i < N; i++)
        assert_true(filled(b[i], SIZE, (unsigned)i));
    /* Every other block first: no run empties; then the rest. */
    for (size_t i = 0; i < N; i += 2)
        mem_free(b[i]);
    assert_int_equal(mem_heap_mapped_bytes() - base, mapped);
    for (size_t i = 1; i < N; i += 2) {
        assert_true(filled(b[i], SIZE, (unsigned)i));
        mem_free(b[i]);
    }
    assert_true(mem_heap_mapped_bytes() <= base + (64 << 10));
    /* The kept run serves again without a mapping. */
    uint64_t kept = mem_heap_mapped_bytes();
    void *again = mem_alloc(SIZE);
    assert_non_null(again);
    assert_true(mem_heap_mapped_bytes() <= base + (64 << 10));
    assert_true(mem_heap_mapped_bytes() >= kept);
    mem_free(again);
}

/* A block keeps its bytes across every move: within its class, small to
 * small, small to large, large to large, large back to small. */
static void test_realloc_moves(void **state)
{
    (void)state;
    uint64_t blocks = mem_heap_blocks(), bytes = mem_heap_bytes();
    size_t steps[] = { 10, 12, 5000, SMALL_MAX - HEAD, SMALL_MAX + 5, 300000, 1 << 20, 70000, 200, 3 };
    unsigned char *p = mem_realloc(NULL, 1);
    assert_non_null(p);
    size_t have = 1;
    fill(p, have, 3);
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        size_t n = steps[i];
        unsigned char *q = mem_realloc(p, n);
        assert_non_null(q);
#if !HEAPPROF_MEM_MALLOC
        if (n == 12)
            assert_ptr_equal(q, p); /* 26 to 28 bytes with the header: one class */
#endif
        p = q;
        size_t kept = have < n ? have : n;
        assert_true(filled(p, kept, 3));
        fill(p, n, 3);
        have = n;
        assert_int_equal(mem_heap_blocks(), blocks + 1);
        assert_int_equal(mem_heap_bytes(), bytes + n); /* in place or moved, n bytes held */
    }
    mem_free(p);
    assert_int_equal(mem_heap_blocks(), blocks);
}

/* Threads allocating and freeing at once (the writer, the HTTP server, a
 * program thread's dump): no block handed out twice, none torn. */
typedef struct churn_arg {
    unsigned seed;
    int ok;
} churn_arg;

static void *churn(void *v)
{
    churn_arg *a = v;
    enum { SLOTS = 256 };
    unsigned char *slot[SLOTS] = {0};
    size_t len[SLOTS] = {0};
    uint32_t x = a->seed * 2654435761u + 1;
    a->ok = 1;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        unsigned k = x % SLOTS;
        if (slot[k]) {
            if (!filled(slot[k], len[k], a->seed + k))
                a->ok = 0;
            mem_free(slot[k]);
            slot[k] = NULL;
        } else {
            len[k] = (x >> 8) % 7 == 0 ? (x >> 12) % 70000 : (x >> 12) % 600;
            slot[k] = mem_alloc(len[k]);
            if (!slot[k]) {
                a->ok = 0;
                break;
            }
            fill(slot[k], len[k], a->seed + k);
        }
    }
    for (unsigned k = 0; k < SLOTS; k++)
        mem_free(slot[k]);
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    uint64_t blocks = mem_heap_blocks();
    pthread_t t[3];
    churn_arg a[3];
    for (unsigned i = 0; i < 3; i++) {
        a[i].seed = i + 1;
        assert_int_equal(pthread_create(&t[i], NULL, churn, &a[i]), 0);
    }
    for (unsigned i = 0; i < 3; i++) {
        pthread_join(t[i], NULL);
        assert_true(a[i].ok);
    }
    assert_int_equal(mem_heap_blocks(), blocks);
}

/* A child made without fork handlers (_Fork) while a thread of the parent
 * held the heap's lock: the child takes the lock over after its long wait
 * (spin.c) and leaves the runs alone from then on, since the holder may
 * have been halfway through a list update: its small blocks come from
 * pages of their own, and a block of a run freed there stays put. */
static void test_lock_taken_over(void **state)
{
    (void)state;
#if HEAPPROF_MEM_MALLOC
    skip(); /* small blocks come from malloc in this build */
#endif
    unsigned char *before = mem_alloc(100);
    assert_non_null(before);
    fill(before, 100, 5);
    spin_set_owner(getpid());
    mem_lock_all(); /* as a thread of ours inside the heap */
    pid_t pid = _Fork();
    if (pid == 0) {
        uint64_t mapped = mem_heap_mapped_bytes();
        unsigned char *p = mem_alloc(100);
        int ok = p && (uintptr_t)p % 16 == 0 && mem_heap_mapped_bytes() >= mapped + 4096;
        if (p)
            fill(p, 100, 6);
        mem_free(before); /* a run's block: left where it is */
        unsigned char *q = mem_calloc(100, 1);
        ok = ok && q && q[0] == 0 && q[99] == 0 && filled(p, 100, 6);
        mem_free(p);
        mem_free(q);
        _exit(ok ? 0 : 1);
    }
    mem_unlock_all();
    spin_set_owner(0);
    assert_true(pid > 0);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    /* The parent's runs are as they were. */
    assert_true(filled(before, 100, 5));
    mem_free(before);
}

static void test_failures(void **state)
{
    (void)state;
    errno = 0;
    assert_null(mem_calloc(SIZE_MAX / 2, 4));
    assert_int_equal(errno, ENOMEM);
    errno = 0;
    assert_null(mem_alloc(SIZE_MAX - 8));
    assert_int_equal(errno, ENOMEM);
    /* A failed allocation: NULL and ENOMEM, the old block intact; the
     * countdown says it fired. */
    unsigned char *p = mem_alloc(100);
    assert_non_null(p);
    fill(p, 100, 9);
    for (size_t n = 1000; n <= (size_t)SMALL_MAX * 2; n *= 64) {
        mem_fail_after(1);
        errno = 0;
        assert_null(mem_realloc(p, n));
        assert_int_equal(errno, ENOMEM);
        assert_int_equal(mem_fail_after(0), 0);
        assert_true(filled(p, 100, 9));
    }
    mem_fail_after(2);
    void *first = mem_alloc(10);
    assert_non_null(first);
    assert_null(mem_alloc(10));
    mem_free(first);
    mem_fail_after(5);
    assert_int_equal(mem_fail_after(0), 5); /* not fired */
    mem_free(p);
    char *s = mem_strdup("heapprof");
    assert_string_equal(s, "heapprof");
    mem_free(s);
}

/* ---- sort_array ----------------------------------------------------------- */

typedef struct rec {
    uint32_t key;
    uint32_t tag;  /* the original position, to see that nothing is lost */
    char pad[13];  /* an odd size: swaps take the byte loop too */
} rec;

static int by_key(const void *a, const void *b)
{
    const rec *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->tag > y->tag) - (x->tag < y->tag);
}

static int by_byte(const void *a, const void *b)
{
    return *(const unsigned char *)a - *(const unsigned char *)b;
}

static void test_sort_matches_qsort(void **state)
{
    (void)state;
    size_t counts[] = { 0, 1, 2, 3, 7, 64, 1000, 100000 };
    uint64_t x = 88172645463325252ULL;
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        size_t n = counts[c];
        for (int shape = 0; shape < 4; shape++) {
            rec *a = calloc(n ? n : 1, sizeof *a), *b = calloc(n ? n : 1, sizeof *b);
            assert_non_null(a);
            assert_non_null(b);
            for (size_t i = 0; i < n; i++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                /* random, few distinct keys, ascending, descending */
                uint32_t k = shape == 0 ? (uint32_t)x : shape == 1 ? (uint32_t)(x % 5)
                           : shape == 2 ? (uint32_t)i : (uint32_t)(n - i);
                a[i] = (rec){ .key = k, .tag = (uint32_t)i };
                memset(a[i].pad, (int)(i & 0xff), sizeof a[i].pad);
            }
            memcpy(b, a, n * sizeof *a);
            sort_array(a, n, sizeof *a, by_key);
            qsort(b, n, sizeof *b, by_key);
            assert_memory_equal(a, b, n * sizeof *a);
            free(a);
            free(b);
        }
    }
    unsigned char bytes[] = "the profiler sorts in place";
    size_t nb = sizeof bytes - 1;
    unsigned char want[sizeof bytes];
    memcpy(want, bytes, sizeof bytes);
    qsort(want, nb, 1, by_byte);
    sort_array(bytes, nb, 1, by_byte);
    assert_memory_equal(bytes, want, nb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_and_large),
        cmocka_unit_test(test_runs),
        cmocka_unit_test(test_realloc_moves),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_lock_taken_over),
        cmocka_unit_test(test_failures),
        cmocka_unit_test(test_sort_matches_qsort),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests: the profiler's heap (src/mem.h): small blocks from malloc,
 * large ones from mem_map, and blocks that move between the two when they
 * grow or shrink; and the in-place sort (src/sort.h) that the profiler uses
 * instead of glibc's qsort, which allocates. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

/* Large blocks are mapped and counted, small ones are not; both are
 * aligned as malloc's, and calloc's are zeroed. */
static void test_small_and_large(void **state)
{
    (void)state;
    uint64_t base = mem_heap_mapped_bytes();
    size_t sizes[] = { 0, 1, 100, MEM_BIG - 1, MEM_BIG, MEM_BIG + 1, 1 << 20 };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i];
        unsigned char *p = mem_alloc(n), *z = mem_calloc(n ? n : 1, 1);
        assert_non_null(p);
        assert_non_null(z);
        assert_int_equal((uintptr_t)p % 16, 0);
        assert_int_equal((uintptr_t)z % 16, 0);
        for (size_t k = 0; k < n; k++)
            assert_int_equal(z[k], 0);
        fill(p, n, 7);
        uint64_t mapped = mem_heap_mapped_bytes() - base;
        if (n >= MEM_BIG)
            assert_true(mapped >= 2 * (n + 16));
        else
            assert_int_equal(mapped, 0);
        mem_free(p);
        mem_free(z);
        assert_int_equal(mem_heap_mapped_bytes(), base);
    }
    mem_free(NULL);
}

/* A block keeps its bytes across every move: small to small, small to
 * large, large to large, large back to small. */
static void test_realloc_moves(void **state)
{
    (void)state;
    uint64_t base = mem_heap_mapped_bytes();
    size_t steps[] = { 10, 5000, MEM_BIG - 16, MEM_BIG + 5, 300000, 1 << 20, 70000, 200, 3 };
    unsigned char *p = mem_realloc(NULL, 1);
    assert_non_null(p);
    size_t have = 1;
    fill(p, have, 3);
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        size_t n = steps[i];
        p = mem_realloc(p, n);
        assert_non_null(p);
        size_t kept = have < n ? have : n;
        assert_true(filled(p, kept, 3));
        fill(p, n, 3);
        have = n;
        if (n >= MEM_BIG)
            assert_true(mem_heap_mapped_bytes() - base >= n);
        else
            assert_int_equal(mem_heap_mapped_bytes(), base);
    }
    mem_free(p);
    assert_int_equal(mem_heap_mapped_bytes(), base);
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
    /* A failed mapping: NULL and ENOMEM, the old block intact. */
    unsigned char *p = mem_alloc(100);
    assert_non_null(p);
    fill(p, 100, 9);
    mem_fail_after(1);
    errno = 0;
    assert_null(mem_realloc(p, MEM_BIG * 2));
    assert_int_equal(errno, ENOMEM);
    mem_fail_after(0);
    assert_true(filled(p, 100, 9));
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
        cmocka_unit_test(test_realloc_moves),
        cmocka_unit_test(test_failures),
        cmocka_unit_test(test_sort_matches_qsort),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

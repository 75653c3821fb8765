/*
 * test_namehash.c - frame names hashed once per distinct name
 * (src/cli/namehash.c, ptrmap.c) and the tables keyed by those hashes
 * (stackset.c): the pointer map through its growth, namehash_fill giving
 * each name namehash_of whether its pointer repeats or not, namehash_intern
 * making equal texts one pointer (and texts of one hash two) and giving
 * each its namehash_of as it goes, a row found
 * the same by its names alone and by a profile's hashes, and a set that
 * owns its keys matching the stacks of two profiles whose names are other
 * copies of the same strings (as leaks reads a series: the first profile
 * freed before the next is read); a cell's integer sum kept exactly past
 * 2^53, where its double rounds, and given up when it cannot be kept.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "namehash.h"
#include "ptrmap.h"
#include "stackset.h"

static void pointer_map(void **state)
{
    (void)state;
    enum { N = 5000 }; /* past the first size (1024 slots, 512 keys) a few times */
    static char keys[N];
    ptrmap m = PTRMAP_INIT;
    uint64_t v;
    assert_false(ptrmap_get(&m, &keys[0], &v));
    for (size_t i = 0; i < N; i++)
        assert_int_equal(ptrmap_put(&m, &keys[i], i * 3), 0);
    for (size_t i = 0; i < N; i++) {
        assert_true(ptrmap_get(&m, &keys[i], &v));
        assert_int_equal(v, i * 3);
    }
    assert_false(ptrmap_get(&m, &keys[N - 1] + 1, &v));
    assert_int_equal(m.used, N);
    assert_true(m.cap >= 2 * N);
    ptrmap_free(&m);
    assert_null(m.slot);
}

static void fill(void **state)
{
    (void)state;
    char a1[] = "leak /src/leak.c:25", a2[] = "leak /src/leak.c:25", b[] = "main";
    const char *names[] = {a1, b, a1, a2, b, ""};
    namehash h[6];
    assert_int_equal(namehash_fill(names, 6, h), 0);
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(h[i], namehash_of(names[i]));
    assert_int_equal(h[0], h[3]); /* by the bytes, not the pointer */
    assert_int_not_equal(h[0], h[1]);
    assert_int_equal(namehash_fill(names, 0, h), 0);
}

/* Equal texts become the first pointer of their text, over calls on one
 * set; texts of one hash (f89621 and f92011: dcd18b8d) stay apart. */
static void intern(void **state)
{
    (void)state;
    char a1[] = "leak /src/leak.c:25", a2[] = "leak /src/leak.c:25", a3[] = "leak /src/leak.c:25";
    char c1[] = "f89621", c2[] = "f92011", c3[] = "f92011";
    assert_int_equal(namehash_of(c1), namehash_of(c2));
    const char *names[] = {a1, c1, a2, c2, a1, c3};
    namehash_set set = NAMEHASH_SET_INIT;
    assert_int_equal(namehash_intern(&set, names, 6, NULL), 0);
    assert_ptr_equal(names[0], a1);
    assert_ptr_equal(names[2], a1);
    assert_ptr_equal(names[4], a1);
    assert_ptr_equal(names[1], c1);
    assert_ptr_equal(names[3], c2);
    assert_ptr_equal(names[5], c2);
    const char *more[] = {a3, c3};
    assert_int_equal(namehash_intern(&set, more, 2, NULL), 0);
    assert_ptr_equal(more[0], a1);
    assert_ptr_equal(more[1], c2);
    namehash_set_free(&set);
    assert_null(set.seen);
}

/* namehash_intern's hashes are namehash_of's, for a pointer met first,
 * met again, or of a text met first through another pointer, over calls
 * on one set and as its table grows (past 64 slots several times). */
static void intern_hashes(void **state)
{
    (void)state;
    enum { N = 300 };
    static char text[N][16], copy[N][16];
    const char *names[2 * N + 2];
    namehash h[2 * N + 2];
    for (size_t i = 0; i < N; i++) {
        snprintf(text[i], sizeof text[i], "f%zu", i);
        memcpy(copy[i], text[i], sizeof copy[i]);
        names[2 * i] = text[i];
        names[2 * i + 1] = i % 2 ? text[i / 2] : copy[i / 2]; /* met again, or a copy */
    }
    names[2 * N] = "";
    names[2 * N + 1] = text[0];
    namehash_set set = NAMEHASH_SET_INIT;
    assert_int_equal(namehash_intern(&set, names, 2 * N + 2, h), 0);
    for (size_t i = 0; i < 2 * N + 2; i++)
        assert_int_equal(h[i], namehash_of(names[i]));
    for (size_t i = 0; i < N; i++) {
        assert_ptr_equal(names[2 * i], text[i]);
        assert_ptr_equal(names[2 * i + 1], text[i / 2]);
    }
    assert_ptr_equal(names[2 * N + 1], text[0]);
    const char *more[] = {copy[N - 1], text[7]};
    namehash mh[2];
    assert_int_equal(namehash_intern(&set, more, 2, mh), 0);
    assert_ptr_equal(more[0], text[N - 1]);
    assert_int_equal(mh[0], namehash_of(text[N - 1]));
    assert_int_equal(mh[1], namehash_of(text[7]));
    namehash_set_free(&set);
}

/* A profile of one type whose samples are the given stacks (frames leaf
 * first, hashed as profile_read hashes them), each holding 1. */
typedef struct hand {
    profile p;
    profile_sample smp[2];
    namehash hashes[2][3];
    int64_t one;
    double var;
    unsigned char sd;
} hand;

static void hand_make(hand *h, const char *const *a, const char *const *b, size_t n)
{
    memset(h, 0, sizeof *h);
    h->one = 1;
    const char *const *st[2] = {a, b};
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(namehash_fill(st[i], n, h->hashes[i]), 0);
        h->smp[i] = (profile_sample){st[i], n, &h->one, &h->var, &h->sd, -1, -1, h->hashes[i]};
    }
    h->p.ntypes = 1;
    h->p.samples = h->smp;
    h->p.nsamples = 2;
}

static void rows_by_hash(void **state)
{
    (void)state;
    const char *s1[] = {"leak /src/leak.c:25", "main /src/main.c:6", "_start"};
    const char *s2[] = {"leak /src/leak.c:26", "main /src/main.c:6", "_start"};
    hand h;
    hand_make(&h, s1, s2, 3);
    stackset *s = stackset_new(1, 1);
    assert_non_null(s);
    long types[] = {0};
    assert_int_equal(stackset_add_profile(s, 0, &h.p, types, STACKSET_STACK), 0);
    assert_int_equal(stackset_count(s), 2);
    /* The names alone, in other strings, find the rows the hashes made. */
    char c0[] = "leak /src/leak.c:25", c1[] = "main /src/main.c:6", c2[] = "_start";
    const char *copy[] = {c0, c1, c2};
    assert_ptr_equal(stackset_row_for(s, copy, 3), stackset_get(s, 0));
    assert_ptr_equal(stackset_row_hashed(s, s2, h.hashes[1], 3), stackset_get(s, 1));
    stackset_row *r = stackset_row_hashed(s, &s2[1], &h.hashes[1][1], 1);
    assert_ptr_equal(r, stackset_get(s, 2)); /* a new key: a new row */
    assert_int_equal(stackset_count(s), 3);
    stackset_free(s);
}

static void owned_keys(void **state)
{
    (void)state;
    /* Two profiles of the same stacks, their names at other addresses;
     * the first one's strings are gone when the second is added. */
    char *first[3], *second[3];
    static const char *const text[] = {"leak /src/leak.c:25", "main /src/main.c:6", "_start"};
    for (size_t i = 0; i < 3; i++) {
        first[i] = strdup(text[i]);
        second[i] = strdup(text[i]);
        assert_non_null(first[i]);
        assert_non_null(second[i]);
    }
    const char *a1[] = {first[0], first[1], first[2]}, *b1[] = {first[1], first[2], first[1]};
    const char *a2[] = {second[0], second[1], second[2]}, *b2[] = {second[1], second[2], second[1]};
    stackset *s = stackset_new(2, 1);
    assert_non_null(s);
    stackset_own_keys(s);
    long types[] = {0};
    hand h;
    hand_make(&h, a1, b1, 3);
    assert_int_equal(stackset_add_profile(s, 0, &h.p, types, STACKSET_STACK), 0);
    for (size_t i = 0; i < 3; i++)
        free(first[i]);
    hand_make(&h, a2, b2, 3);
    assert_int_equal(stackset_add_profile(s, 1, &h.p, types, STACKSET_STACK), 0);
    assert_int_equal(stackset_count(s), 2);
    for (size_t r = 0; r < 2; r++) {
        stackset_row *row = stackset_get(s, r);
        assert_true(stackset_cell_at(s, row, 0, 0)->val == 1);
        assert_true(stackset_cell_at(s, row, 1, 0)->val == 1);
        for (size_t k = 0; k < 3; k++)
            assert_ptr_not_equal(row->frames[k], second[k]); /* the set's copies */
    }
    stackset_row *b = stackset_get(s, 1);
    assert_string_equal(b->frames[0], "main /src/main.c:6");
    assert_ptr_equal(b->frames[0], b->frames[2]); /* one copy of a name */
    for (size_t i = 0; i < 3; i++)
        free(second[i]);
    stackset_free(s);
}

/* A cell's integer sum (stackset_cell_add_int), against the double alone. */
static void exact_sums(void **state)
{
    (void)state;
    stackset_cell c = {0};
    int64_t v = 7;
    assert_true(stackset_cell_exact(&c, &v) && v == 0); /* nothing added: 0, exactly */
    stackset_cell dbl = {0}; /* a double added, even one summing to 0, is not exact */
    stackset_cell_add(&dbl, 0.5, 0, PROFILE_SD_EXACT);
    stackset_cell_add(&dbl, -0.5, 0, PROFILE_SD_EXACT);
    assert_false(stackset_cell_exact(&dbl, &v));
    stackset_cell_add_int(&c, (INT64_C(1) << 53) + 1, 4, PROFILE_SD_LABEL);
    assert_true(stackset_cell_exact(&c, &v));
    assert_true(v == (INT64_C(1) << 53) + 1);
    assert_true(c.val == 0x1p53 && c.var == 4 && c.sd == PROFILE_SD_LABEL);
    stackset_cell_add_int(&c, (INT64_C(1) << 62) + 3, 0, PROFILE_SD_EXACT);
    assert_true(stackset_cell_exact(&c, &v));
    assert_true(v == (INT64_C(1) << 62) + (INT64_C(1) << 53) + 4);
    stackset_cell_add_int(&c, -(INT64_C(1) << 62) - 3, 0, PROFILE_SD_EXACT);
    assert_true(stackset_cell_exact(&c, &v) && v == (INT64_C(1) << 53) + 1);
    /* A negative sum past -2^53 (a difference's). */
    stackset_cell n = {0};
    stackset_cell_add_int(&n, INT64_MIN + 1, 0, PROFILE_SD_EXACT);
    stackset_cell_add_int(&n, -1, 0, PROFILE_SD_EXACT);
    assert_true(stackset_cell_exact(&n, &v) && v == INT64_MIN);
    /* Past int64_t's range (or at 2^63, which a double rounds INT64_MAX
     * to): the double goes on alone. */
    stackset_cell o = {0};
    stackset_cell_add_int(&o, INT64_MAX, 0, PROFILE_SD_EXACT);
    assert_false(stackset_cell_exact(&o, &v));
    assert_true(o.val == 0x1p63);
    stackset_cell_add_int(&o, -1, 0, PROFILE_SD_EXACT);
    assert_false(stackset_cell_exact(&o, &v)); /* lost for good */
    /* A share of a value (a double) ends it too. */
    stackset_cell d = {0};
    stackset_cell_add_int(&d, 7, 0, PROFILE_SD_EXACT);
    stackset_cell_add(&d, 0, 0, PROFILE_SD_EXACT); /* 0 changes nothing */
    assert_true(stackset_cell_exact(&d, &v) && v == 7);
    stackset_cell_add(&d, 0.5, 0, PROFILE_SD_EXACT);
    stackset_cell_add_int(&d, 1, 0, PROFILE_SD_EXACT);
    assert_false(stackset_cell_exact(&d, &v));
    assert_true(d.val == 8.5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pointer_map),
        cmocka_unit_test(fill),
        cmocka_unit_test(intern),
        cmocka_unit_test(intern_hashes),
        cmocka_unit_test(rows_by_hash),
        cmocka_unit_test(owned_keys),
        cmocka_unit_test(exact_sums),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

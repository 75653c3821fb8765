/*
 * test_stackset.c - allocation sites' keys and names (src/cli/stackset.c):
 * a recursive site, or one inlined into a copy of itself, named by the
 * first caller that is not the site again ("A ← B", not "A ← A"), alone
 * when no frame is another ("A"), with the wrapper it allocates through
 * (next to it, but past Rust's core::); the two depths of one recursion
 * one row, whose key outlives the caller's room for it; every two stacks
 * of a small alphabet, Rust's frames among its names, keyed alike exactly
 * when they are named alike, and a key named as its stack is; and under
 * --lines, the site's function at another line a repeat too
 * (profile_sample.funcs), in a stack's row name as in a key, keys and
 * names that agree over an alphabet of lines, Rust's among them, and a
 * text of two functions read by each stack's own list of its functions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "namehash.h"
#include "ptrmap.h"
#include "stackset.h"

#define ARROW " \xe2\x86\x90 "

static void assert_name(const char *want, const char *const *frames, size_t n)
{
    char got[256];
    stackset_site_name(got, sizeof got, frames, n);
    assert_string_equal(got, want);
}

static void recursion_names(void **state)
{
    (void)state;
    const char *aaab[] = {"A", "A", "A", "B", "main"};
    assert_name("A" ARROW "B", aaab, 5);
    assert_name("A" ARROW "B", aaab, 4);
    const char *aaa[] = {"A", "A", "A"};
    assert_name("A", aaa, 3);
    assert_name("A", aaa, 1);
    const char *wrapped[] = {"malloc", "A", "A", "B"};
    assert_name("A" ARROW "B (via malloc)", wrapped, 4);
    assert_name("A (via malloc)", wrapped, 3);
    const char *ab[] = {"A", "B", "B", "A"}; /* the caller's repeats stay */
    assert_name("A" ARROW "B", ab, 4);
    assert_name("(no stack)", NULL, 0);
    /* The wrapper named is one whatever came before it: Rust's core::
     * is one only above Rust's allocator frames, so a key that kept it
     * next to the site would read it as the site. */
    const char *rust[] = {"alloc::raw_vec::grow", "core::ptr::write", "app::f", "app::g"};
    assert_name("app::f" ARROW "app::g (via alloc::raw_vec::grow)", rust, 4);
    const char *cxx[] = {"operator new", "std::vector::_M_realloc_insert",
                         "std::vector::push_back", "app::f", "app::g"};
    assert_name("app::f" ARROW "app::g (via std::vector::push_back)", cxx, 5);
    /* Only the site's own name repeats it: a name it begins is another. */
    const char *prefix[] = {"copy_command", "copy_commands", "main"};
    assert_name("copy_command" ARROW "copy_commands", prefix, 3);
}

static void recursion_keys(void **state)
{
    (void)state;
    /* Depths 1 and 2: keyed by the next frame, they differ. */
    const char *two[] = {"A", "B", "main"}, *three[] = {"A", "A", "B", "main"};
    namehash h2[3], h3[4];
    assert_int_equal(namehash_fill(two, 3, h2), 0);
    assert_int_equal(namehash_fill(three, 4, h3), 0);
    stackset_site k2, k3;
    stackset_site_key(&k2, two, h2, NULL, NULL, 3);
    stackset_site_key(&k3, three, h3, NULL, NULL, 4);
    assert_int_equal(k2.n, 2);
    assert_int_equal(k3.n, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_string_equal(k2.frames[i], k3.frames[i]);
        assert_int_equal(k2.hashes[i], namehash_of(k2.frames[i]));
        assert_int_equal(k3.hashes[i], k2.hashes[i]);
    }
    assert_string_equal(k2.frames[1], "B");
    const char *wrapped[] = {"malloc", "A", "A", "B"};
    stackset_site kw;
    stackset_site_key(&kw, wrapped, NULL, NULL, NULL, 4);
    assert_int_equal(kw.n, 3);
    assert_string_equal(kw.frames[0], "malloc");
    assert_string_equal(kw.frames[1], "A");
    assert_string_equal(kw.frames[2], "B");
    stackset_site_key(&kw, three, NULL, NULL, NULL, 2); /* no other frame: the site alone */
    assert_int_equal(kw.n, 1);
    stackset_site_key(&kw, NULL, NULL, NULL, NULL, 0);
    assert_int_equal(kw.n, 0);

    /* A profile's two depths of one recursion: one row, "A ← B".  A set
     * that does not own its keys keeps a copy of the key's array, not the
     * sample's room for it. */
    int64_t v2[] = {1, 100}, v3[] = {2, 200};
    double var[2] = {0};
    unsigned char sd[2] = {PROFILE_SD_EXACT, PROFILE_SD_EXACT};
    profile_sample smp[] = {
        {.frames = two, .nframes = 3, .values = v2, .var = var, .sd = sd, .hashes = h2},
        {.frames = three, .nframes = 4, .values = v3, .var = var, .sd = sd},
    };
    profile p = {.ntypes = 2, .samples = smp, .nsamples = 2};
    long types[] = {1};
    stackset *s = stackset_new(1, 1);
    assert_non_null(s);
    assert_int_equal(stackset_add_profile(s, 0, &p, types, STACKSET_SITE), 0);
    assert_int_equal(stackset_count(s), 1);
    stackset_row *r = stackset_get(s, 0);
    assert_int_equal(stackset_cell_at(s, r, 0, 0)->val, 300);
    assert_name("A" ARROW "B", r->frames, r->nframes);
    stackset_site k;
    stackset_site_key(&k, wrapped, NULL, NULL, NULL, 4);
    stackset_row *rw = stackset_row_for(s, k.frames, k.n);
    assert_non_null(rw);
    memset(&k, 0, sizeof k); /* the caller's room, gone */
    assert_int_equal(rw->nframes, 3);
    assert_name("A" ARROW "B (via malloc)", rw->frames, rw->nframes);
    stackset_free(s);
}

/* *m: each of frames[0..n) -> its function funcs[i], as a profile read
 * with lines maps them (profile_sample.funcs; a frame that is its own
 * function is not in it). */
static void funcs_map(ptrmap *m, const char *const *frames, const char *const *funcs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t v;
        if (funcs[i] != frames[i] && !ptrmap_get(m, frames[i], &v))
            assert_int_equal(ptrmap_put(m, frames[i], (uint64_t)(uintptr_t)funcs[i]), 0);
    }
}

/* Every stack of up to 4 frames over names (funcs: each name's function,
 * as profile_sample.funcs maps them, or NULL): keyed alike exactly when
 * named alike, and a key named as its stack is. */
static void keys_agree_with_names(const char *const *names, const char *const *funcs,
                                  size_t nnames)
{
    enum { DEPTH = 4, MAXN = 2900 };
    static const char *stacks[MAXN][DEPTH];
    static size_t len[MAXN];
    size_t m = 0;
    for (size_t d = 1; d <= DEPTH; d++) {
        size_t count = 1;
        for (size_t i = 0; i < d; i++)
            count *= nnames;
        for (size_t c = 0; c < count; c++, m++) {
            assert_true(m < MAXN);
            size_t x = c;
            for (size_t i = 0; i < d; i++, x /= nnames) {
                stacks[m][i] = names[x % nnames];
            }
            len[m] = d;
        }
    }
    static stackset_site key[MAXN];
    static char name[MAXN][256];
    ptrmap fm = PTRMAP_INIT;
    if (funcs)
        funcs_map(&fm, names, funcs, nnames);
    for (size_t i = 0; i < m; i++) {
        stackset_site_key(&key[i], stacks[i], NULL, funcs ? &fm : NULL, NULL, len[i]);
        stackset_site_name(name[i], sizeof name[i], key[i].frames, key[i].n);
        if (!funcs) { /* a stack whose frames are their functions: named directly too */
            char direct[256];
            stackset_site_name(direct, sizeof direct, stacks[i], len[i]);
            assert_string_equal(direct, name[i]);
        }
    }
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < m; j++) {
            bool same = key[i].n == key[j].n;
            for (size_t f = 0; same && f < key[i].n; f++)
                same = !strcmp(key[i].frames[f], key[j].frames[f]);
            if (same != !strcmp(name[i], name[j]))
                fail_msg("stacks %zu and %zu: keys %s, names '%s' and '%s'", i, j,
                         same ? "equal" : "differ", name[i], name[j]);
        }
    ptrmap_free(&fm);
}

static void agreement(void **state)
{
    (void)state;
    /* Rust's frames too: core:: is a wrapper only above Rust's allocator
     * frames, so a key of a site past one must still read as its stack
     * does ("core::ptr::write <- A" in top, "A <- B (via
     * core::ptr::write)" in leaks, when the key kept the core:: frame). */
    const char *names[] = {"malloc",          "xstrdup",     "A", "B", "alloc::raw_vec::grow",
                           "core::ptr::write", "__rust_alloc"};
    keys_agree_with_names(names, NULL, sizeof names / sizeof names[0]);
}

/* A stack's site key under --lines: its frames, and their functions. */
static void assert_lines(const char *want, const char *const *frames, const char *const *funcs,
                         size_t n)
{
    stackset_site k;
    ptrmap fm = PTRMAP_INIT;
    funcs_map(&fm, frames, funcs, n);
    stackset_site_key(&k, frames, NULL, &fm, NULL, n);
    ptrmap_free(&fm);
    assert_name(want, k.frames, k.n);
}

static void lines(void **state)
{
    (void)state;
    /* One pointer per text, as a profile has them. */
    const char *A = "A", *B = "B", *M = "main", *MA = "malloc";
    const char *a10 = "A a.c:10", *a12 = "A a.c:12", *b5 = "B b.c:5";
    const char *rec[] = {a10, a12, a12, b5, "main m.c:3"};
    const char *recf[] = {A, A, A, B, M};
    assert_name("A a.c:10" ARROW "A a.c:12", rec, 5); /* their own functions: names differ */
    assert_lines("A a.c:10" ARROW "B b.c:5", rec, recf, 5);
    const char *wrapped[] = {"malloc", "A /my dir/a.c:10", "A /my dir/a.c", "A /my dir/a.c:-1",
                             b5}; /* a file with a space, line 0, a negative line */
    const char *wrappedf[] = {MA, A, A, A, B};
    assert_lines("A /my dir/a.c:10" ARROW "B b.c:5 (via malloc)", wrapped, wrappedf, 5);
    /* Another file of one name is the function without --lines: a repeat. */
    const char *files[] = {a10, "A b.c:10", b5}, *filesf[] = {A, A, B};
    assert_lines("A a.c:10" ARROW "B b.c:5", files, filesf, 3);
    /* A frame of a function without a name is its own: never the site
     * again, a path with a space or not. */
    const char *n7 = "/my dir/a.c:7", *n9 = "/my dir/a.c:9";
    const char *nameless[] = {n7, n9, b5}, *namelessf[] = {n7, n9, B};
    assert_lines("/my dir/a.c:7" ARROW "/my dir/a.c:9", nameless, namelessf, 3);

    /* A whole stack's row (leaks) is named by the functions its samples
     * had, in a set that copies its keys as in one that does not. */
    ptrmap recm = PTRMAP_INIT;
    funcs_map(&recm, rec, recf, 5);
    for (int own = 0; own < 2; own++) {
        int64_t v[] = {1};
        double var[1] = {0};
        unsigned char sd[1] = {PROFILE_SD_EXACT};
        profile_sample smp = {.frames = rec, .nframes = 5, .values = v, .var = var, .sd = sd,
                              .funcs = &recm};
        profile p = {.ntypes = 1, .samples = &smp, .nsamples = 1};
        long types[] = {0};
        stackset *s = stackset_new(1, 1);
        assert_non_null(s);
        if (own)
            stackset_own_keys(s);
        stackset_name_rows(s);
        assert_int_equal(stackset_add_profile(s, 0, &p, types, STACKSET_STACK), 0);
        char got[256];
        stackset_row_site_name(got, sizeof got, s, stackset_get(s, 0));
        assert_string_equal(got, "A a.c:10" ARROW "B b.c:5");
        stackset_free(s);
    }
    ptrmap_free(&recm);

    /* Rust's frames too: core:: at two lines of one function, a wrapper
     * only past alloc::'s, and a site's repeat otherwise. */
    const char *G = "alloc::raw_vec::grow", *W = "core::ptr::write";
    const char *names[] = {"malloc", a10, a12, "B b.c:3", "alloc::raw_vec::grow r.rs:1",
                           "core::ptr::write r.rs:5", "core::ptr::write r.rs:9"};
    const char *funcs[] = {MA, A, A, B, G, W, W};
    keys_agree_with_names(names, funcs, sizeof names / sizeof names[0]);
}

/* Under --lines, a text that frames of two functions read alike ("A b
 * c.c:10": function A of file "b c.c", and function "A b" of file c.c):
 * a profile lists the functions of a stack holding one under the stack
 * (profile_sample.funcs), and a frame's function is the stack's, not the
 * first one the text was met with.  Through A b's recursion the caller is
 * main; from A's line 10 called by A b, it is A b. */
static void mixed_texts(void **state)
{
    (void)state;
    const char *A = "A", *AB = "A b", *M = "main";
    const char *t = "A b c.c:10", *ab20 = "A b c.c:20", *m3 = "main m.c:3", *m4 = "main m.c:4";
    const char *s1[] = {t, ab20, m3}, *f1[] = {AB, AB, M};
    const char *s2[] = {t, ab20, m4}, *f2[] = {A, AB, M};
    ptrmap fm = PTRMAP_INIT; /* the text's first function (A b's), and the
                                exceptions of the stack that reads it otherwise */
    funcs_map(&fm, s1, f1, 3);
    funcs_map(&fm, s2, f2, 3);
    const profile_func_at x2[] = {{1, NULL}, {0, A}};
    assert_int_equal(ptrmap_put(&fm, s2, (uint64_t)(uintptr_t)x2), 0);
    stackset_site k;
    stackset_site_key(&k, s1, NULL, &fm, NULL, 3);
    assert_name("A b c.c:10" ARROW "main m.c:3", k.frames, k.n);
    stackset_site_key(&k, s2, NULL, &fm, NULL, 3);
    assert_name("A b c.c:10" ARROW "A b c.c:20", k.frames, k.n);

    /* The rows of whole stacks (leaks) too, the set noting the text with
     * the first row's function: the second row lists its own.  The text
     * map of a later profile may have either function first. */
    for (int own = 0; own < 2; own++) {
        int64_t v[] = {1};
        double var[1] = {0};
        unsigned char sd[1] = {PROFILE_SD_EXACT};
        profile_sample smp[] = {
            {.frames = s1, .nframes = 3, .values = v, .var = var, .sd = sd, .funcs = &fm},
            {.frames = s2, .nframes = 3, .values = v, .var = var, .sd = sd, .funcs = &fm},
        };
        profile p = {.ntypes = 1, .samples = smp, .nsamples = 2};
        long types[] = {0};
        stackset *s = stackset_new(1, 1);
        assert_non_null(s);
        if (own)
            stackset_own_keys(s);
        stackset_name_rows(s);
        assert_int_equal(stackset_add_profile(s, 0, &p, types, STACKSET_STACK), 0);
        assert_int_equal(stackset_count(s), 2);
        char got[256];
        stackset_row_site_name(got, sizeof got, s, stackset_get(s, 0));
        assert_string_equal(got, "A b c.c:10" ARROW "main m.c:3");
        stackset_row_site_name(got, sizeof got, s, stackset_get(s, 1));
        assert_string_equal(got, "A b c.c:10" ARROW "A b c.c:20");
        stackset_free(s);
    }
    ptrmap_free(&fm);
}

/* stackset_add_sites (leaks --by site): two stacks of one site, "f <- g
 * (via malloc)" reached from x and from y, become one row whose every
 * cell, the fixed one too, sums theirs (exactly: integer sums); another
 * site's stack stays a row of its own; sets of another shape, or one
 * that would own its keys, are refused. */
static void add_sites(void **state)
{
    (void)state;
    static const char *const fx[] = {"malloc", "f", "g", "x"};
    static const char *const fy[] = {"malloc", "f", "g", "y"}, *const h[] = {"malloc", "h", "g"};
    const char *const *frames[3] = {fx, fy, h};
    const size_t nframes[3] = {4, 4, 3};
    stackset *st = stackset_new_fixed(2, 2, 1), *si = stackset_new_fixed(2, 2, 1);
    assert_non_null(st);
    assert_non_null(si);
    for (size_t j = 0; j < 3; j++) {
        stackset_row *r = stackset_row_for(st, frames[j], nframes[j]);
        assert_non_null(r);
        for (size_t i = 0; i < 2; i++)
            for (size_t t = 0; t < 2; t++)
                stackset_cell_add_int(stackset_cell_at(st, r, i, t),
                                      (int64_t)(100 * j + 10 * i + t + 1), (double)(j + 1), 0);
        stackset_fixed_at(st, r, 0)->val = (double)(1000 * (j + 1));
    }
    assert_int_equal(stackset_add_sites(si, st), 0);
    assert_int_equal(stackset_count(si), 2);
    stackset_site key;
    stackset_site_key(&key, fx, NULL, NULL, NULL, 4);
    stackset_row *site = stackset_row_for(si, key.frames, key.n);
    stackset_site_key(&key, h, NULL, NULL, NULL, 3);
    stackset_row *other = stackset_row_for(si, key.frames, key.n);
    assert_int_equal(stackset_count(si), 2); /* both were there */
    for (size_t i = 0; i < 2; i++)
        for (size_t t = 0; t < 2; t++) {
            int64_t v;
            assert_true(stackset_cell_exact(stackset_cell_at(si, site, i, t), &v));
            assert_int_equal(v, (int64_t)(0 + 100 + 2 * (10 * i + t + 1)));
            assert_true(stackset_cell_at(si, site, i, t)->var == 3.0);
            assert_true(stackset_cell_exact(stackset_cell_at(si, other, i, t), &v));
            assert_int_equal(v, (int64_t)(200 + 10 * i + t + 1));
        }
    assert_true(stackset_fixed_at(si, site, 0)->val == 3000.0);
    assert_true(stackset_fixed_at(si, other, 0)->val == 3000.0);
    stackset *wrong = stackset_new_fixed(2, 2, 0), *owning = stackset_new_fixed(2, 2, 1);
    assert_non_null(wrong);
    assert_non_null(owning);
    stackset_own_keys(owning);
    assert_int_equal(stackset_add_sites(wrong, st), -1);
    assert_int_equal(stackset_add_sites(owning, st), -1);
    assert_int_equal(stackset_count(wrong) + stackset_count(owning), 0);
    stackset_free(wrong);
    stackset_free(owning);
    stackset_free(si); /* before st: its keys are st's names */
    stackset_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(recursion_names),
        cmocka_unit_test(recursion_keys),
        cmocka_unit_test(agreement),
        cmocka_unit_test(lines),
        cmocka_unit_test(mixed_texts),
        cmocka_unit_test(add_sites),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_stackset.c - allocation sites' keys and names (src/cli/stackset.c):
 * a recursive site, or one inlined into a copy of itself, named by the
 * first caller that is not the site again ("A ← B", not "A ← A"), alone
 * when no frame is another ("A"), with the wrapper next to it; the two
 * depths of one recursion one row, whose key outlives the caller's room
 * for it; every two stacks of a small alphabet keyed alike exactly when
 * they are named alike; and under --lines, the site's function at
 * another line a repeat too.  The --lines case runs last: wrappers_lines
 * cannot be undone.
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
#include "stackset.h"
#include "wrappers.h"

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
    /* Only the site's own name repeats it: a name it begins is another. */
    const char *prefix[] = {"copy_command", "copy_commands", "main"};
    assert_name("copy_command" ARROW "copy_commands", prefix, 3);
}

static void recursion_keys(void **state)
{
    (void)state;
    const char *two[] = {"A", "A", "B", "main"}, *three[] = {"A", "A", "A", "B", "main"};
    namehash h2[4], h3[5];
    assert_int_equal(namehash_fill(two, 4, h2), 0);
    assert_int_equal(namehash_fill(three, 5, h3), 0);
    stackset_site k2, k3;
    stackset_site_key(&k2, two, h2, 4);
    stackset_site_key(&k3, three, h3, 5);
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
    stackset_site_key(&kw, wrapped, NULL, 4);
    assert_int_equal(kw.n, 3);
    assert_string_equal(kw.frames[0], "malloc");
    assert_string_equal(kw.frames[1], "A");
    assert_string_equal(kw.frames[2], "B");
    stackset_site_key(&kw, three, NULL, 3); /* no other frame: the site alone */
    assert_int_equal(kw.n, 1);
    stackset_site_key(&kw, NULL, NULL, 0);
    assert_int_equal(kw.n, 0);

    /* A profile's two depths of one recursion: one row, "A ← B".  A set
     * that does not own its keys keeps a copy of the key's array, not the
     * sample's room for it. */
    int64_t v2[] = {1, 100}, v3[] = {2, 200};
    double var[2] = {0};
    unsigned char sd[2] = {PROFILE_SD_EXACT, PROFILE_SD_EXACT};
    profile_sample smp[] = {
        {.frames = two, .nframes = 4, .values = v2, .var = var, .sd = sd, .hashes = h2},
        {.frames = three, .nframes = 5, .values = v3, .var = var, .sd = sd},
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
    stackset_site_key(&k, wrapped, NULL, 4);
    stackset_row *rw = stackset_row_for(s, k.frames, k.n);
    assert_non_null(rw);
    memset(&k, 0, sizeof k); /* the caller's room, gone */
    assert_int_equal(rw->nframes, 3);
    assert_name("A" ARROW "B (via malloc)", rw->frames, rw->nframes);
    stackset_free(s);
}

/* Every stack of up to 4 frames over names: keyed alike exactly when
 * named alike, and a key named as its stack is. */
static void keys_agree_with_names(const char *const *names, size_t nnames)
{
    enum { DEPTH = 4, MAXN = 400 };
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
            for (size_t i = 0; i < d; i++, x /= nnames)
                stacks[m][i] = names[x % nnames];
            len[m] = d;
        }
    }
    static stackset_site key[MAXN];
    static char name[MAXN][256];
    for (size_t i = 0; i < m; i++) {
        stackset_site_key(&key[i], stacks[i], NULL, len[i]);
        stackset_site_name(name[i], sizeof name[i], stacks[i], len[i]);
        char again[256];
        stackset_site_name(again, sizeof again, key[i].frames, key[i].n);
        assert_string_equal(again, name[i]);
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
}

static void agreement(void **state)
{
    (void)state;
    const char *names[] = {"malloc", "xstrdup", "A", "B"};
    keys_agree_with_names(names, 4);
}

/* Last: wrappers_lines stays on. */
static void lines(void **state)
{
    (void)state;
    const char *rec[] = {"A a.c:10", "A a.c:12", "A a.c:12", "B b.c:5", "main m.c:3"};
    assert_name("A a.c:10" ARROW "A a.c:12", rec, 5); /* without --lines, names differ */
    wrappers_lines();
    assert_name("A a.c:10" ARROW "B b.c:5", rec, 5);
    const char *other[] = {"A a.c:10", "A a.c:14", "B b.c:5"}; /* recursed from another line */
    assert_name("A a.c:10" ARROW "B b.c:5", other, 3);
    const char *wrapped[] = {"malloc", "A /my dir/a.c:10", "A /my dir/a.c", "A /my dir/a.c:-1",
                             "B b.c:5"}; /* a file with a space, line 0, a negative line */
    assert_name("A /my dir/a.c:10" ARROW "B b.c:5 (via malloc)", wrapped, 5);
    const char *nofile[] = {"F :7", "F :9", "F", "G :1"};
    assert_name("F :7" ARROW "G :1", nofile, 4);
    /* Another file is another function; a frame without a function's name
     * ("file:line") is never the site again. */
    const char *files[] = {"A a.c:10", "A b.c:10", "B b.c:5"};
    assert_name("A a.c:10" ARROW "A b.c:10", files, 3);
    const char *nameless[] = {"a.c:7", "a.c:9", "B b.c:5"};
    assert_name("a.c:7" ARROW "a.c:9", nameless, 3);
    const char *names[] = {"malloc", "A a.c:1", "A a.c:2", "B b.c:3"};
    keys_agree_with_names(names, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(recursion_names),
        cmocka_unit_test(recursion_keys),
        cmocka_unit_test(agreement),
        cmocka_unit_test(lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

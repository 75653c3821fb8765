/*
 * test_flame.c - the flame graph's call tree and layout (src/cli/flame.c):
 * stacks merged from the root by name, values through every node, the
 * order children are drawn in, where each lands, what a narrow frame
 * takes with it, and a stack deeper than any recursion could walk.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flame.h"
#include "profile_read.h"

/* What the layout called back with, by name path ("main/x/a"). */
typedef struct seen {
    char path[64][256];
    double x[64], w[64];
    uint32_t depth[64];
    size_t n;
    const flame *g;
} seen;

static void path_of(const flame *g, const flame_node *n, char *buf, size_t len)
{
    /* Rebuilt from the names of the nodes above: the layout visits a
     * parent before its children, so a stack of the last name per depth
     * would do; searching keeps the test independent of that. */
    const char *names[64];
    size_t k = 0;
    const flame_node *cur = n;
    while (cur->name && k < 64) {
        names[k++] = cur->name;
        const flame_node *up = NULL;
        for (size_t i = 0; i < flame_count(g) && !up; i++) {
            const flame_node *p = flame_node_at(g, i);
            for (uint32_t c = p->child; c; c = flame_node_at(g, c)->next)
                if (flame_node_at(g, c) == cur)
                    up = p;
        }
        cur = up;
    }
    buf[0] = 0;
    while (k--) {
        strncat(buf, names[k], len - strlen(buf) - 1);
        if (k)
            strncat(buf, "/", len - strlen(buf) - 1);
    }
}

static void record(void *ctx, const flame_node *n, double x, double w)
{
    seen *s = ctx;
    assert_true(s->n < 64);
    path_of(s->g, n, s->path[s->n], sizeof s->path[0]);
    s->x[s->n] = x;
    s->w[s->n] = w;
    s->depth[s->n] = n->depth;
    s->n++;
}

static size_t find(const seen *s, const char *path)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->path[i], path))
            return i;
    fail_msg("%s not drawn", path);
    return 0;
}

#define ADD(g, val, ...)                                                                  \
    do {                                                                                  \
        const char *fr[] = {__VA_ARGS__};                                                 \
        assert_int_equal(flame_add(g, fr, sizeof fr / sizeof fr[0], val, (val) / 10.0, \
                                   PROFILE_SD_LABEL, 0),                                  \
                         0);                                                              \
    } while (0)

/* Leaf first, as profiles give stacks: main -> b (30), main -> a (10),
 * main -> x -> a (5), and c (1) on its own. */
static flame *sample_tree(void)
{
    flame *g = flame_new();
    assert_non_null(g);
    ADD(g, 10, "a", "main");
    ADD(g, 30, "b", "main");
    ADD(g, 5, "a", "x", "main");
    ADD(g, 1, "c");
    assert_int_equal(flame_sort(g), 0);
    return g;
}

static void tree_values(void **state)
{
    (void)state;
    flame *g = sample_tree();
    /* root, main, a, b, x, x/a, c */
    assert_int_equal(flame_count(g), 7);
    const flame_node *root = flame_node_at(g, 0);
    assert_null(root->name);
    assert_true(root->val == 46);
    assert_true(fabs(root->var - 4.6) < 1e-9); /* variances add */
    assert_int_equal(root->sd, PROFILE_SD_LABEL);
    seen s = {.g = g};
    assert_int_equal(flame_layout(g, 0, record, &s), 3);
    assert_int_equal(s.n, 7);
    /* The root first, each node before its children, heaviest first. */
    assert_string_equal(s.path[0], "");
    assert_string_equal(s.path[1], "main");
    assert_string_equal(s.path[2], "main/b");
    assert_string_equal(s.path[3], "main/a");
    assert_string_equal(s.path[4], "main/x");
    assert_string_equal(s.path[5], "main/x/a");
    assert_string_equal(s.path[6], "c");
    /* Where each lands: a child starts where its parent does, a sibling
     * where the one before it ends; widths are shares of the root. */
    const struct {
        const char *path;
        double x, w;
        uint32_t depth;
    } want[] = {
        {"", 0, 1, 0},          {"main", 0, 45, 1},       {"main/b", 0, 30, 2},
        {"main/a", 30, 10, 2},  {"main/x", 40, 5, 2},     {"main/x/a", 40, 5, 3},
        {"c", 45, 1, 1},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        size_t k = find(&s, want[i].path);
        double w = i ? want[i].w / 46 : 1;
        assert_true(fabs(s.x[k] - want[i].x / 46) < 1e-12);
        assert_true(fabs(s.w[k] - w) < 1e-12);
        assert_int_equal(s.depth[k], want[i].depth);
    }
    flame_free(g);
}

/* A frame narrower than the minimum is left out with everything it calls;
 * its siblings to the right, narrower still, too. */
static void narrow_frames(void **state)
{
    (void)state;
    flame *g = sample_tree();
    seen s = {.g = g};
    assert_int_equal(flame_layout(g, 6.0 / 46, record, &s), 2);
    assert_int_equal(s.n, 4); /* root, main, main/b, main/a */
    find(&s, "main/a");
    s.n = 0;
    assert_int_equal(flame_layout(g, 1.01, record, &s), 0); /* the root alone */
    assert_int_equal(s.n, 1);
    flame_free(g);
}

/* Names meet by content, not by pointer (two profiles' strings); each
 * level of a recursion is a node of its own; base values go through the
 * same nodes, and a stack only the base has is never drawn. */
static void names_recursion_base(void **state)
{
    (void)state;
    flame *g = flame_new();
    char f1[] = "f", f2[] = "f", m1[] = "main", m2[] = "main";
    const char *a[] = {f1, f1, f1, m1};
    const char *b[] = {f2, m2};
    const char *gone[] = {"g", "main"};
    assert_int_equal(flame_add(g, a, 4, 8, 0, PROFILE_SD_EXACT, 0), 0);
    assert_int_equal(flame_add(g, b, 2, 0, 0, PROFILE_SD_EXACT, 3), 0);
    assert_int_equal(flame_add(g, gone, 2, 0, 0, PROFILE_SD_EXACT, 5), 0);
    assert_int_equal(flame_sort(g), 0);
    /* root, main, main/f, main/f/f, main/f/f/f, main/g */
    assert_int_equal(flame_count(g), 6);
    seen s = {.g = g};
    assert_int_equal(flame_layout(g, 0, record, &s), 4);
    assert_int_equal(s.n, 5); /* not main/g: nothing of the profile is there */
    size_t k = find(&s, "main/f/f/f");
    assert_true(s.w[k] == 1);
    const flame_node *root = flame_node_at(g, 0);
    assert_true(root->val == 8 && root->base == 8);
    for (size_t i = 0; i < flame_count(g); i++) {
        const flame_node *n = flame_node_at(g, i);
        if (n->name && !strcmp(n->name, "f") && n->depth == 2)
            assert_true(n->val == 8 && n->base == 3);
        if (n->name && !strcmp(n->name, "g"))
            assert_true(n->val == 0 && n->base == 5);
    }
    flame_free(g);
}

/* Equal values are drawn in name order: the same graph from any order of
 * samples. */
static void ties_by_name(void **state)
{
    (void)state;
    flame *g = flame_new();
    ADD(g, 4, "zeta");
    ADD(g, 4, "alpha");
    ADD(g, 4, "mid");
    assert_int_equal(flame_sort(g), 0);
    seen s = {.g = g};
    flame_layout(g, 0, record, &s);
    assert_string_equal(s.path[1], "alpha");
    assert_string_equal(s.path[2], "mid");
    assert_string_equal(s.path[3], "zeta");
    flame_free(g);
}

static void count_visit(void *ctx, const flame_node *n, double x, double w)
{
    (void)n;
    (void)x;
    (void)w;
    ++*(size_t *)ctx;
}

/* A tree of nothing draws nothing, not even the root; a stack 200 000
 * frames deep is laid out without recursion. */
static void empty_and_deep(void **state)
{
    (void)state;
    flame *g = flame_new();
    assert_int_equal(flame_sort(g), 0);
    seen s = {.g = g};
    assert_int_equal(flame_layout(g, 0, record, &s), 0);
    assert_int_equal(s.n, 0);
    flame_free(g);

    enum { DEEP = 200000 };
    const char **fr = malloc(DEEP * sizeof *fr);
    static char names[DEEP][8];
    for (size_t i = 0; i < DEEP; i++) {
        snprintf(names[i], sizeof names[i], "f%zu", i % 1000);
        fr[i] = names[i];
    }
    g = flame_new();
    assert_int_equal(flame_add(g, fr, DEEP, 1, 0, PROFILE_SD_EXACT, 0), 0);
    assert_int_equal(flame_add(g, fr + 1, DEEP - 1, 1, 0, PROFILE_SD_EXACT, 0), 0);
    assert_int_equal(flame_sort(g), 0);
    assert_int_equal(flame_count(g), DEEP + 1);
    size_t visits = 0;
    assert_int_equal(flame_layout(g, 0, count_visit, &visits), DEEP);
    assert_int_equal(visits, DEEP + 1);
    free(fr);
    flame_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tree_values),     cmocka_unit_test(narrow_frames),
        cmocka_unit_test(names_recursion_base), cmocka_unit_test(ties_by_name),
        cmocka_unit_test(empty_and_deep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

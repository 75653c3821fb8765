/* Unit tests: component label interning and per-thread stacks (labels.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "labels.h"

static int setup(void **state)
{
    labels_reset();
    return 0;
}

static void push_pop(void **state)
{
    assert_int_equal(labels_current(), 0);
    assert_int_equal(labels_push("component", "http"), 0);
    uint32_t http = labels_current();
    assert_true(http != 0);
    assert_string_equal(labels_value(http, "component"), "http");
    assert_int_equal(labels_push("component", "parser"), 0);
    uint32_t parser = labels_current();
    assert_true(parser != http);
    /* Inner value wins, one pair per key. */
    label_pair ps[4];
    assert_int_equal(labels_expand(parser, ps, 4), 1);
    assert_string_equal(ps[0].value, "parser");
    labels_pop();
    assert_int_equal(labels_current(), http);
    /* The same chain interns to the same set. */
    assert_int_equal(labels_push("component", "parser"), 0);
    assert_int_equal(labels_current(), parser);
    labels_pop();
    labels_pop();
    assert_int_equal(labels_current(), 0);
    labels_pop(); /* extra pop at depth 0 is harmless */
    assert_int_equal(labels_current(), 0);
}

static void several_keys(void **state)
{
    labels_push("tenant", "acme");
    labels_push("component", "db");
    uint32_t s = labels_current();
    assert_string_equal(labels_value(s, "tenant"), "acme");
    assert_string_equal(labels_value(s, "component"), "db");
    assert_null(labels_value(s, "nope"));
    label_pair ps[4];
    assert_int_equal(labels_expand(s, ps, 4), 2);
    assert_string_equal(ps[0].key, "component"); /* innermost first */
    labels_pop();
    labels_pop();
}

static void bad_input_stays_balanced(void **state)
{
    char big[100];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    labels_push("component", "outer");
    uint32_t outer = labels_current();
    assert_int_equal(labels_push("", "v"), EINVAL);
    assert_int_equal(labels_push(NULL, "v"), EINVAL);
    assert_int_equal(labels_push("k", NULL), EINVAL);
    /* An empty value as heapprof.h says: in /metrics, component="" would
     * read as no label at all, which is "root". */
    assert_int_equal(labels_push("k", ""), EINVAL);
    assert_int_equal(labels_push(big, "v"), EINVAL);
    assert_int_equal(labels_push("k", big), EINVAL);
    assert_int_equal(labels_current(), outer);
    for (int i = 0; i < 6; i++)
        labels_pop();
    assert_int_equal(labels_current(), outer);
    /* Too deep: refused, but pops still match pushes. */
    int refused = 0;
    for (int i = 0; i < LABELS_MAX_DEPTH + 5; i++)
        refused += labels_push("d", "x") == E2BIG;
    assert_int_equal(refused, 6); /* outer took one level */
    for (int i = 0; i < LABELS_MAX_DEPTH + 5; i++)
        labels_pop();
    assert_int_equal(labels_current(), outer);
    labels_pop();
    assert_int_equal(labels_current(), 0);
}

static void table_full(void **state)
{
    char v[32];
    int err = 0, i;
    for (i = 0; i < 10000 && !err; i++) {
        snprintf(v, sizeof v, "v%d", i);
        err = labels_push("k", v);
        labels_pop();
    }
    assert_int_equal(err, ENOSPC);
    assert_true(i > 4000);
    assert_int_equal(labels_current(), 0);
}

static void *worker(void *arg)
{
    uintptr_t id = (uintptr_t)arg;
    char v[16];
    for (int round = 0; round < 2000; round++) {
        snprintf(v, sizeof v, "c%d", round % 50);
        if (labels_push("component", v))
            return (void *)1;
        uint32_t s = labels_current();
        const char *got = labels_value(s, "component");
        if (!got || strcmp(got, v))
            return (void *)2;
        labels_pop();
    }
    return (void *)(id * 0);
}

/* Threads interning the same pairs concurrently agree on every value. */
static void concurrent(void **state)
{
    pthread_t t[4];
    for (uintptr_t i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, worker, (void *)i);
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(t[i], &r);
        assert_null(r);
    }
    /* 50 sets; each lost publication race wastes one id, at most 3 per set */
    assert_true(labels_set_count() >= 1 + 50 && labels_set_count() <= 1 + 50 * 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(push_pop, setup),
        cmocka_unit_test_setup(several_keys, setup),
        cmocka_unit_test_setup(bad_input_stays_balanced, setup),
        cmocka_unit_test_setup(table_full, setup),
        cmocka_unit_test_setup(concurrent, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

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

#include <sys/prctl.h>

#include "config.h"
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

/* Pool names: each run of digits is one '*'. */
static void pool_names(void **state)
{
    static const char *const cases[][2] = {
        { "worker-17", "worker-*" }, { "worker-3", "worker-*" }, { "db", "db" },
        { "p1-t22x3", "p*-t*x*" },   { "123", "*" },             { "", "" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[32];
        labels_pool_name(cases[i][0], out);
        assert_string_equal(out, cases[i][1]);
    }
}

/* Thread labels: a sample's set holds thread=<name> under the pushes made
 * before and after the name is read, and a rename moves the whole chain
 * (the pushes' pairs kept, in order) onto the new name at the next sample
 * after labels_thread_renamed(); pops then come back down the new chain. */
static void thread_chain(void **state)
{
    char old[17] = "";
    assert_int_equal(prctl(PR_GET_NAME, old, 0, 0, 0), 0);
    assert_int_equal(prctl(PR_SET_NAME, "first", 0, 0, 0), 0);
    /* Off: nothing read, the root stays the root. */
    assert_int_equal(labels_for_sample(), 0);
    labels_thread_mode(CONFIG_THREAD_NAME);
    assert_int_equal(labels_push("component", "http"), 0); /* before the first sample */
    uint32_t s = labels_for_sample();
    assert_string_equal(labels_value(s, "thread"), "first");
    assert_string_equal(labels_value(s, "component"), "http");
    assert_int_equal(labels_push("tenant", "acme"), 0);
    assert_int_equal(labels_for_sample(), labels_current());
    /* Renamed: unseen until told (the name is read once per generation). */
    assert_int_equal(prctl(PR_SET_NAME, "second", 0, 0, 0), 0);
    assert_string_equal(labels_value(labels_for_sample(), "thread"), "first");
    labels_thread_renamed();
    s = labels_for_sample();
    assert_string_equal(labels_value(s, "thread"), "second");
    assert_string_equal(labels_value(s, "component"), "http");
    assert_string_equal(labels_value(s, "tenant"), "acme");
    label_pair ps[LABELS_MAX_PAIRS];
    assert_int_equal(labels_expand(s, ps, LABELS_MAX_PAIRS), 3);
    assert_string_equal(ps[0].key, "tenant"); /* innermost first, the thread last */
    assert_string_equal(ps[2].key, "thread");
    labels_pop();
    s = labels_current();
    assert_string_equal(labels_value(s, "thread"), "second");
    assert_null(labels_value(s, "tenant"));
    labels_pop();
    s = labels_current();
    assert_int_equal(labels_expand(s, ps, LABELS_MAX_PAIRS), 1);
    assert_string_equal(labels_value(s, "thread"), "second");
    /* The same chain on the same name interns to the same sets. */
    assert_int_equal(labels_push("component", "http"), 0);
    uint32_t again = labels_current();
    labels_pop();
    labels_thread_renamed();
    assert_int_equal(labels_for_sample(), s);
    assert_int_equal(labels_push("component", "http"), 0);
    assert_int_equal(labels_current(), again);
    labels_pop();
    /* A pool: digits fold. */
    labels_reset();
    labels_thread_mode(CONFIG_THREAD_POOL);
    assert_int_equal(prctl(PR_SET_NAME, "worker-17", 0, 0, 0), 0);
    assert_string_equal(labels_value(labels_for_sample(), "thread"), "worker-*");
    /* Full depth: 16 pushes and the thread's pair all kept. */
    char v[LABELS_MAX_DEPTH][8];
    for (int i = 0; i < LABELS_MAX_DEPTH; i++) {
        snprintf(v[i], sizeof v[i], "k%d", i);
        assert_int_equal(labels_push(v[i], "x"), 0);
    }
    labels_thread_renamed();
    assert_int_equal(labels_expand(labels_for_sample(), ps, LABELS_MAX_PAIRS), LABELS_MAX_PAIRS);
    for (int i = 0; i < LABELS_MAX_DEPTH; i++)
        labels_pop();
    assert_int_equal(prctl(PR_SET_NAME, old, 0, 0, 0), 0);
}

static const char *thread_now(const char *name)
{
    assert_int_equal(prctl(PR_SET_NAME, name, 0, 0, 0), 0);
    labels_thread_renamed();
    const char *v = labels_value(labels_for_sample(), "thread");
    assert_non_null(v);
    return v;
}

/* A thread per connection, each named anew: names take a quarter of the
 * pair table at most; past it a new name is its pool's when that is known,
 * else [other], names already seen keep theirs, and pushes still work. */
static void thread_names_bounded(void **state)
{
    char old[17] = "";
    assert_int_equal(prctl(PR_GET_NAME, old, 0, 0, 0), 0);
    labels_thread_mode(CONFIG_THREAD_NAME);
    assert_string_equal(thread_now("q-*"), "q-*");
    char name[16];
    for (int i = 0; i < 1023; i++) {
        snprintf(name, sizeof name, "conn%d", i);
        assert_string_equal(thread_now(name), name);
    }
    assert_string_equal(thread_now("conn7"), "conn7");
    assert_string_equal(thread_now("conn5000"), "[other]");
    assert_string_equal(thread_now("q-12"), "q-*");
    assert_string_equal(thread_now("fresh"), "[other]");
    assert_int_equal(labels_push("component", "after"), 0);
    assert_string_equal(labels_value(labels_current(), "component"), "after");
    labels_pop();
    assert_int_equal(prctl(PR_SET_NAME, old, 0, 0, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(push_pop, setup),
        cmocka_unit_test_setup(several_keys, setup),
        cmocka_unit_test_setup(bad_input_stays_balanced, setup),
        cmocka_unit_test_setup(table_full, setup),
        cmocka_unit_test_setup(concurrent, setup),
        cmocka_unit_test_setup(pool_names, setup),
        cmocka_unit_test_setup(thread_chain, setup),
        cmocka_unit_test_setup(thread_names_bounded, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

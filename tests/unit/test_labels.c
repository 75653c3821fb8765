/* Unit tests: component label interning and per-thread stacks (labels.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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

/* key's value in set is want (a missing one fails, rather than crash). */
static void assert_label(uint32_t set, const char *key, const char *want)
{
    const char *v = labels_value(set, key);
    assert_non_null(v);
    assert_string_equal(v, want);
}

/* The calling thread's set after it renamed itself to name. */
static uint32_t thread_label_after_rename(const char *name)
{
    assert_int_equal(prctl(PR_SET_NAME, name, 0, 0, 0), 0);
    labels_thread_renamed();
    return labels_for_sample();
}

static const char *thread_now(const char *name)
{
    const char *v = labels_value(thread_label_after_rename(name), "thread");
    assert_non_null(v);
    return v;
}

/* A thread per connection, each named anew: names take a quarter of the
 * pair table at most; past it a new name is its pool's (conn5000 is
 * conn*: it was [other], the pool of a name being interned only where a
 * thread had been named so), pools taking 256 more at most, then
 * [other]; names already seen keep theirs, and pushes still work. */
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
    assert_string_equal(thread_now("conn5000"), "conn*");
    assert_string_equal(thread_now("conn5001"), "conn*");
    assert_string_equal(thread_now("q-12"), "q-*");
    assert_string_equal(thread_now("fresh"), "[other]");
    for (int i = 1; i < 256; i++) {
        char pool[16];
        snprintf(name, sizeof name, "p%c%c%d", 'a' + i / 26, 'a' + i % 26, i);
        snprintf(pool, sizeof pool, "p%c%c*", 'a' + i / 26, 'a' + i % 26);
        assert_string_equal(thread_now(name), pool);
    }
    assert_string_equal(thread_now("pzz1"), "[other]");
    assert_string_equal(thread_now("conn5002"), "conn*");
    assert_int_equal(labels_push("component", "after"), 0);
    assert_string_equal(labels_value(labels_current(), "component"), "after");
    labels_pop();
    assert_int_equal(prctl(PR_SET_NAME, old, 0, 0, 0), 0);
}

/* A rename that the set table cannot follow (every set taken, as a
 * thread per connection times the program's chains can take them): the
 * thread keeps its chain as it was, the old name with its components, as
 * a push that finds the tables full keeps the thread's labels; it used to
 * lose every component (and its thread label) instead. */
static void rename_table_full(void **state)
{
    char old[17] = "";
    assert_int_equal(prctl(PR_GET_NAME, old, 0, 0, 0), 0);
    labels_thread_mode(CONFIG_THREAD_NAME);
    assert_string_equal(thread_now("alpha"), "alpha");
    assert_int_equal(labels_push("component", "kept"), 0);
    assert_int_equal(labels_push("tenant", "acme"), 0);
    char a[16], b[16];
    int err = 0;
    for (int i = 0; i < 300 && !err; i++) {
        snprintf(a, sizeof a, "a%d", i);
        err = labels_push("a", a);
        for (int j = 0; j < 300 && !err; j++) {
            snprintf(b, sizeof b, "b%d", j);
            err = labels_push("b", b);
            labels_pop();
        }
        labels_pop();
    }
    assert_int_equal(err, ENOSPC);
    uint32_t s = thread_label_after_rename("beta");
    assert_label(s, "component", "kept");
    assert_label(s, "tenant", "acme");
    assert_label(s, "thread", "alpha");
    labels_pop();
    labels_pop();
    assert_int_equal(prctl(PR_SET_NAME, old, 0, 0, 0), 0);
}

/* A sample taken by a signal handler (an allocation there) that lands in
 * the middle of a push, a pop or a rebase: the interrupted call must not
 * leave the thread's chain on its old name once it finishes.  A timer
 * fires every few microseconds while the thread renames itself and pushes
 * and pops; every sample outside the handler must carry the name it has.
 * Before the fix, a push interrupted after it had read its parent set
 * installed a set on the old name that outlived the rename (hundreds of
 * wrong samples in a run). */
static volatile sig_atomic_t in_handler_samples;

static void sample_in_handler(int sig)
{
    (void)sig;
    (void)labels_for_sample();
    in_handler_samples++;
}

static void signal_during_push(void **state)
{
    char old[17] = "";
    assert_int_equal(prctl(PR_GET_NAME, old, 0, 0, 0), 0);
    labels_thread_mode(CONFIG_THREAD_NAME);
    struct sigaction sa = {.sa_handler = sample_in_handler, .sa_flags = SA_RESTART}, was;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGUSR2, &sa, &was), 0);
    struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR2};
    timer_t timer;
    assert_int_equal(timer_create(CLOCK_MONOTONIC, &ev, &timer), 0);
    struct itimerspec every = {{0, 20000}, {0, 20000}}, stop = {{0, 0}, {0, 0}};
    assert_int_equal(timer_settime(timer, 0, &every, NULL), 0);
    static const char *const names[] = {"sig-a", "sig-b", "sig-c"};
    int wrong = 0;
    for (int i = 0; i < 50000 && wrong == 0; i++) {
        const char *n1 = names[i % 3], *n2 = names[(i + 1) % 3];
        assert_int_equal(labels_push("outer", "o"), 0);
        assert_int_equal(prctl(PR_SET_NAME, n1, 0, 0, 0), 0);
        labels_thread_renamed();
        int err = labels_push("component", "c");
        uint32_t s = labels_for_sample();
        const char *t = labels_value(s, "thread");
        wrong += err || !t || strcmp(t, n1) || !labels_value(s, "outer") ||
                 !labels_value(s, "component");
        assert_int_equal(prctl(PR_SET_NAME, n2, 0, 0, 0), 0);
        labels_thread_renamed();
        labels_pop();
        s = labels_for_sample();
        t = labels_value(s, "thread");
        wrong += !t || strcmp(t, n2) || !labels_value(s, "outer") || labels_value(s, "component");
        labels_pop();
    }
    assert_int_equal(timer_settime(timer, 0, &stop, NULL), 0);
    assert_int_equal(timer_delete(timer), 0);
    assert_int_equal(sigaction(SIGUSR2, &was, NULL), 0);
    print_message("%d samples in the handler\n", (int)in_handler_samples);
    assert_true(in_handler_samples > 0);
    assert_int_equal(wrong, 0);
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
        cmocka_unit_test_setup(rename_table_full, setup),
        cmocka_unit_test_setup(signal_during_push, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

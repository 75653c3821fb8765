/* Unit tests: birth intervals of age bands, their shares of birth windows,
 * and the cohorts of a series (src/cli/birth.h); a series' sums read one
 * profile at a time (src/cli/birth_series.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "birth.h"
#include "birth_series.h"

/* profile_read.c's, which the test does not link (it needs protobuf-c). */
long profile_read_type(const profile *p, const char *name)
{
    for (size_t t = 0; t < p->ntypes; t++)
        if (!strcmp(p->type_name[t], name))
            return (long)t;
    return -1;
}

#define NEAR(a, b) assert_true(fabs((a) - (b)) < 1e-12)

static void spans_of_bands(void **state)
{
    (void)state;
    /* Band [60, 120) at T = 1000: born in (880, 940]. */
    birth_span s = birth_span_of(1000, 60, 0);
    NEAR(s.from, 880);
    NEAR(s.to, 940);
    /* An age that is not a bound counts as the band below it: 700 -> [600, 1200). */
    s = birth_span_of(5000, 700, 0);
    NEAR(s.from, 3800);
    NEAR(s.to, 4400);
    /* [0, 1). */
    s = birth_span_of(10, 0, 0);
    NEAR(s.from, 9);
    NEAR(s.to, 10);
    /* The last band, 16 weeks: capped at the process's start, or one instant. */
    s = birth_span_of(2e7, 9676800, 1e7);
    NEAR(s.from, 1e7);
    NEAR(s.to, 2e7 - 9676800);
    s = birth_span_of(2e7, 9676800, 0);
    NEAR(s.from, s.to);
    NEAR(s.to, 2e7 - 9676800);
}

static void shares_by_overlap(void **state)
{
    (void)state;
    birth_span s = {880, 940};
    NEAR(birth_share(s, -INFINITY, 900), 20.0 / 60);
    NEAR(birth_share(s, 900, INFINITY), 40.0 / 60);
    NEAR(birth_share(s, 900, 910), 10.0 / 60);
    NEAR(birth_share(s, -INFINITY, 880), 0);   /* (880 is not in (880, 940]) */
    NEAR(birth_share(s, 940, INFINITY), 0);
    NEAR(birth_share(s, 0, 2000), 1);
    NEAR(birth_share(s, 100, 200), 0);
    /* Windows that tile the line: shares sum to 1. */
    double edges[] = {-INFINITY, 870, 885, 900, 939, 950, INFINITY}, sum = 0;
    for (size_t i = 0; i + 1 < sizeof edges / sizeof edges[0]; i++)
        sum += birth_share(s, edges[i], edges[i + 1]);
    NEAR(sum, 1);
    /* One instant: all or nothing, on (a, b]. */
    birth_span p = {50, 50};
    NEAR(birth_share(p, 40, 50), 1);
    NEAR(birth_share(p, 50, 60), 0);
    NEAR(birth_share(p, -INFINITY, INFINITY), 1);
}

/* A leak's objects born at 990 s, cut at a first profile taken at 1000 s,
 * as later profiles see them: at 1000 (age 10: band [10, 20), births
 * (980, 990]) and at 1300 (age 310: [300, 600), births (700, 1000]) all
 * "before"; at 1100 (age 110: [60, 120), births (980, 1040]) only 1/3, as
 * the band straddles the cut: the error of the even-births assumption. */
static void leak_seen_later(void **state)
{
    (void)state;
    NEAR(birth_share(birth_span_of(1000, 10, 0), -INFINITY, 1000), 1);
    NEAR(birth_share(birth_span_of(1100, 110, 0), -INFINITY, 1000), 20.0 / 60);
    NEAR(birth_share(birth_span_of(1300, 310, 0), -INFINITY, 1000), 1);
}

static void cohorts(void **state)
{
    (void)state;
    size_t end[16];
    assert_int_equal(birth_cohorts(1, 8, end), 1);
    assert_int_equal(end[0], 0);
    assert_int_equal(birth_cohorts(5, 8, end), 5);
    for (size_t j = 0; j < 5; j++)
        assert_int_equal(end[j], j);
    /* 11 profiles, 10 gaps, at most 4 windows: 3, 5, 8, 10. */
    assert_int_equal(birth_cohorts(11, 5, end), 5);
    size_t want[] = {0, 3, 5, 8, 10};
    for (size_t j = 0; j < 5; j++)
        assert_int_equal(end[j], want[j]);
    /* max 2: everything born up to the first profile, and after it. */
    assert_int_equal(birth_cohorts(7, 2, end), 2);
    assert_int_equal(end[1], 6);
}

/* Every profile's live bytes are the sum of its credits (all aged). */
static void check_bound(double *c, const double *want, size_t n, size_t nc, const double *alloc)
{
    size_t end[8];
    double live[8] = {0};
    for (size_t k = 0; k < nc; k++)
        for (size_t i = 0; i < n; i++)
            live[i] += c[k * n + i];
    birth_cohorts(n, nc, end);
    birth_bound(c, n, end, nc, alloc, live, NULL);
    for (size_t k = 0; k < nc * n; k++)
        NEAR(c[k], want[k]);
}

/* Rows are cohorts (oldest first), columns profiles. */
static void bounds_from_the_series(void **state)
{
    (void)state;
    /* cli_births' crafted leak: 10 KiB born at -50, 50 and 150 s, profiles
     * at 0, 100, 200; at 200 the band [120, 300) holding the first two
     * (births (-100, 80]) gives cohort 0 100/180 of 20 KiB.  Bounded by
     * the first profile's 10 KiB: the truth. */
    double a[] = {10240, 10240, 20480 * 100.0 / 180,
                  0, 10240, 20480 * 80.0 / 180,
                  0, 0, 10240};
    const double wa[] = {10240, 10240, 10240, 0, 10240, 10240, 0, 0, 10240};
    check_bound(a, wa, 3, 3, NULL);
    /* A series taken within a second: every age is in [0, 1), which
     * straddles the first profile's time, so the overlap gives cohort 0
     * nearly everything.  A leak of 2 per profile comes out exact. */
    double b[] = {2, 4, 6, 0, 0, 0, 0, 0, 0};
    const double wb[] = {2, 2, 2, 0, 2, 2, 0, 0, 2};
    check_bound(b, wb, 3, 3, NULL);
    /* Consistent credits are left alone: a working set born in cohort 1
     * and freed, start-up state in cohort 0. */
    double c[] = {5, 5, 5, 0, 8, 1, 0, 0, 3};
    const double wc[] = {5, 5, 5, 0, 8, 1, 0, 0, 3};
    check_bound(c, wc, 3, 3, NULL);
    /* Freed to 1 at profile 1, then 9 credited to cohort 0 at profile 2:
     * at most 1 of it can be that old; the rest moves to cohort 1. */
    double d[] = {4, 1, 9, 0, 0, 0};
    const double wd[] = {4, 1, 1, 0, 0, 8};
    check_bound(d, wd, 3, 2, NULL);
    /* The allocation bound.  Profile 2 taken 10 ms after profile 1: the
     * band [0, 1) of a site that allocated 15 before profile 1 (and 5
     * before the first) gives the last window a share it cannot have, as
     * the site allocated nothing since profile 1. */
    double e[] = {5, 5, 5, 0, 15, 14.85, 0, 0, 0.15};
    const double we[] = {5, 5, 5, 0, 15, 15, 0, 0, 0};
    const double ae[] = {5, 20, 20};
    check_bound(e, we, 3, 3, ae);
    /* Without alloc values the share stays. */
    double f[] = {5, 5, 5, 0, 15, 14.85, 0, 0, 0.15};
    const double wf[] = {5, 5, 5, 0, 15, 14.85, 0, 0, 0.15};
    check_bound(f, wf, 3, 3, NULL);
    /* Allocation pushes older (cohort 1 allocated 2, was credited 6), and
     * survival, which wins, caps the old side: cohort 0 held 3 at the
     * first profile, so at most 3 of it survives. */
    double h[] = {3, 0, 0, 6};
    const double wh[] = {3, 3, 0, 3};
    const double ah[] = {10, 12};
    check_bound(h, wh, 2, 2, ah);
}

/* Bytes the credits leave out (samples without an age, a profile the
 * caller did not credit) still bound what was live: cli_births' mix, 10
 * KiB born before the first profile, unaged at profile 1; at profile 2 its
 * band straddles the first profile's time and it allocated nothing since.
 * Bounded by the credits alone, profile 1 would hold nothing, and all of it
 * would have to be born after profile 1. */
static void unknown_birth_bounds(void **state)
{
    (void)state;
    size_t end[2];
    double c[] = {10240, 0, 10240 * 100.0 / 180, 0, 0, 10240 * 80.0 / 180};
    const double want[] = {10240, 0, 10240, 0, 0, 0};
    const double live[] = {10240, 10240, 10240}, alloc[] = {30720, 30720, 30720};
    birth_cohorts(3, 2, end);
    birth_bound(c, 3, end, 2, alloc, live, NULL);
    for (size_t k = 0; k < 6; k++)
        NEAR(c[k], want[k]);
    /* leaks' use: only the first and the last profile credited. */
    double d[] = {4, 0, 0, 0, 0, 6};
    const double wd[] = {4, 0, 3, 0, 0, 3}, ld[] = {4, 3, 6}, ad[] = {10, NAN, 13};
    birth_bound(d, 3, end, 2, ad, ld, NULL);
    for (size_t k = 0; k < 6; k++)
        NEAR(d[k], wd[k]);
}

/* Each band on its own (cli_births' burst): 10 KiB born before the first
 * profile, 2 KiB in the window (0, 100], 10 KiB in (100, 200], none freed.
 * At 200 s the band [120 s, 300 s), births (-100, 80], holds the first two
 * and gives the window (0, 100] 80/180 of them: 5461, where it closed with
 * 2048.  Bounding the running sums only, it kept that; a band alone holds
 * at most what it held since its window closed, and the rest moves newer,
 * unless the ages of the open band (10240 reach past 100 s) push it older. */
static void bands_on_their_own(void **state)
{
    (void)state;
    size_t end[3];
    const double live[] = {10240, 12288, 22528}, alloc[] = {30720, 36864, 67584};
    const double young[] = {10240, 2048, 10240};
    double c[] = {10240, 10240, 12288 * 100.0 / 180, 0, 2048, 12288 * 80.0 / 180, 0, 0, 10240};
    double d[9];
    for (size_t k = 0; k < 9; k++)
        d[k] = c[k];
    birth_cohorts(3, 3, end);
    birth_bound(c, 3, end, 3, alloc, live, NULL);
    /* cohort 0 keeps the overlap's 6827; the 3413 cohort 1 cannot hold go
     * to the open cohort, whose 30 KiB of allocation allow them */
    const double want[] = {10240, 10240, 12288 * 100.0 / 180, 0,    2048,
                           2048,  0,     0,     22528 - 12288 * 100.0 / 180 - 2048};
    for (size_t k = 0; k < 9; k++)
        NEAR(c[k], want[k]);
    birth_bound(d, 3, end, 3, alloc, live, young);
    const double truth[] = {10240, 10240, 10240, 0, 2048, 2048, 0, 0, 10240};
    for (size_t k = 0; k < 9; k++)
        NEAR(d[k], truth[k]);
}

/* The rule's invariants on arbitrary credits: each profile's total kept,
 * no cohort below 0, and a closed cohort never above what it held at any
 * profile since its window closed (all bytes aged: nothing of unknown
 * birth), whatever the allocation bound says. */
static void band_invariants(void **state)
{
    (void)state;
    uint64_t x = 88172645463325252ull; /* xorshift64 */
    for (int round = 0; round < 2000; round++) {
        enum { N = 7, NC = 4 };
        size_t end[NC];
        double c[NC * N], live[N] = {0}, alloc[N], young[N];
        size_t nc = birth_cohorts(N, NC, end);
        double a = 0;
        for (size_t i = 0; i < N; i++) {
            for (size_t k = 0; k < nc; k++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                /* nothing credited to a cohort that has not begun */
                c[k * N + i] = k && end[k - 1] >= i ? 0 : (double)(x % 1000);
                live[i] += c[k * N + i];
            }
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            alloc[i] = a += (double)(x % 3000);
            young[i] = (double)(x % 2000);
        }
        birth_bound(c, N, end, nc, round % 2 ? alloc : NULL, live, round % 3 ? young : NULL);
        for (size_t i = 0; i < N; i++) {
            double sum = 0;
            for (size_t k = 0; k < nc; k++) {
                sum += c[k * N + i];
                assert_true(c[k * N + i] > -1e-9);
                for (size_t m = end[k]; m < i; m++)
                    assert_true(c[k * N + i] <= c[k * N + m] + 1e-9);
            }
            assert_true(fabs(sum - live[i]) < 1e-6);
        }
    }
}

/* birth_one_process: start times (stamp less duration) within 2 s, or
 * 1/1000 of the span, and one run id; a restart, another run or a missing
 * duration is not one process. */
static void one_process(void **state)
{
    (void)state;
    const int64_t s = 1000000000; /* ns */
    profile a = {0}, b = {0}, c = {0};
    a.time_nanos = 1000 * s, a.duration_nanos = 100 * s;    /* started at 900 s */
    b.time_nanos = 2000 * s, b.duration_nanos = 1101 * s;   /* 899: within 2 s */
    c.time_nanos = 2000 * s, c.duration_nanos = 50 * s;     /* 1950: a restart */
    profile *ab[] = {&a, &b}, *ac[] = {&a, &c}, *abc[] = {&a, &b, &c};
    assert_true(birth_one_process(ab, 2));
    assert_false(birth_one_process(ac, 2));
    assert_false(birth_one_process(abc, 3));
    b.duration_nanos = 1104 * s; /* 896: 4 s apart over a span of 1000 s */
    assert_false(birth_one_process(ab, 2));
    b.time_nanos = 10000 * s, b.duration_nanos = 9108 * s; /* 892 over 9000 s: 8 < 9 */
    assert_true(birth_one_process(ab, 2));
    b.duration_nanos = 0; /* unknown (a Go profile) */
    assert_false(birth_one_process(ab, 2));
    /* Run ids (heapprof's "process run="): two replicas started together
     * pass the times' test, not this one; a profile without one is judged
     * by its times alone. */
    b.time_nanos = 2000 * s, b.duration_nanos = 1101 * s;
    a.run = 0x1111, b.run = 0x2222;
    assert_false(birth_one_process(ab, 2));
    b.run = 0x1111;
    assert_true(birth_one_process(ab, 2));
    b.run = 0;
    assert_true(birth_one_process(ab, 2));
    profile d = b;
    d.run = 0x3333;
    profile *abd[] = {&b, &a, &d}; /* the first has none: a and d still differ */
    assert_false(birth_one_process(abd, 3));
}

/* A series of 9 profiles of one process, 4 cohorts: stacks that are
 * always there, met late (at 4, at 7), gone after 2, in several age bands,
 * one profile without alloc_space.  birth_series, fed one profile at a
 * time, gives the sums that birth_credit over the whole series, then
 * birth_bound on each stack's series, give: to the bit, bounded and raw
 * (timeline --by birth read the series whole; it reads it this way). */
#define NP 9
#define NS 6
static void series_one_at_a_time(void **state)
{
    (void)state;
    static const char *const names[] = {"a", "b", "c", "d", "e", "main"};
    static const char *const full[] = {"alloc_space", "inuse_space"}, *const bare[] = {"inuse_space"};
    static const double ages[] = {0, 5, 60, 300, 120, 30};
    const int64_t sec = 1000000000;
    profile p[NP];
    profile *pp[NP];
    profile_sample smp[NP][NS];
    const char *frames[NS][2];
    int64_t values[NP][NS][2];
    double var[2] = {0, 0};
    unsigned char sd[2] = {0, 0};
    int64_t t[NP];
    bool has_alloc[NP];
    long live[NP], alloc[NP];
    for (size_t j = 0; j < NS; j++)
        frames[j][0] = names[j % 5], frames[j][1] = names[5];
    for (size_t i = 0; i < NP; i++) {
        bool bare_i = i == 3; /* it closes cohort 1: its NaN counts */
        memset(&p[i], 0, sizeof p[i]);
        p[i].time_nanos = (1700000000 + 7 * (int64_t)i * i) * sec + (int64_t)i * 123457;
        p[i].duration_nanos = p[i].time_nanos - 1699990000 * sec;
        p[i].ntypes = bare_i ? 1 : 2;
        p[i].type_name = bare_i ? bare : full;
        size_t m = 0;
        for (size_t j = 0; j < NS; j++) {
            bool here = j < 3 || (j == 3 && i >= 4) || (j == 4 && i == 7) || (j == 5 && i <= 2);
            if (!here)
                continue;
            int64_t live_v = 1000 * (int64_t)(j + 1) + 337 * (int64_t)(i * j % 5);
            /* d, met late, allocated less than it holds (a delta's
             * alloc_space): its allocation bound binds, where a window
             * that a profile without alloc_space closed has none */
            values[i][m][0] = bare_i ? live_v : j == 3 ? live_v / 4 : 3 * live_v + 100 * (int64_t)i;
            values[i][m][1] = live_v;
            smp[i][m] = (profile_sample){frames[j], 2 - (j == 5), values[i][m], var, sd,
                                         j == 2 && i % 3 == 1 ? -1 : ages[(i + j) % 6], -1};
            m++;
        }
        p[i].samples = smp[i];
        p[i].nsamples = m;
        p[i].naged = m;
        pp[i] = &p[i];
        live[i] = bare_i ? 0 : 1;
        alloc[i] = bare_i ? -1 : 0;
    }
    size_t end[4];
    size_t nc = birth_cohorts(NP, 4, end);
    assert_int_equal(nc, 4);
    assert_true(birth_one_process(pp, NP));

    /* The whole series at once, as timeline did. */
    stackset *s = stackset_new(NP, nc + 3);
    double split[NP], unaged[NP], bounded[4 * NP] = {0}, raw[4 * NP] = {0}, one[4 * NP];
    double al[NP], lv[NP], young[NP], want_split = 0, want_unaged = 0;
    assert_int_equal(birth_credit(s, pp, NP, live, alloc, end, nc, BIRTH_EVEN, NULL, NULL, split,
                                  unaged), 0);
    for (size_t i = 0; i < NP; i++)
        want_split += split[i], want_unaged += unaged[i];
    assert_true(want_split > 0 && want_unaged > 0);
    for (size_t r = 0; r < stackset_count(s); r++) {
        stackset_row *row = stackset_get(s, r);
        for (size_t i = 0; i < NP; i++) {
            for (size_t k = 0; k < nc; k++)
                one[k * NP + i] = stackset_cell_at(s, row, i, k)->val;
            al[i] = alloc[i] >= 0 ? stackset_cell_at(s, row, i, nc)->val : NAN;
            lv[i] = stackset_cell_at(s, row, i, nc + 1)->val;
            young[i] = stackset_cell_at(s, row, i, nc + 2)->val;
        }
        for (size_t k = 0; k < nc * NP; k++)
            raw[k] += one[k];
        birth_bound(one, NP, end, nc, al, lv, young);
        for (size_t k = 0; k < nc * NP; k++)
            bounded[k] += one[k];
    }
    stackset_free(s);
    assert_memory_not_equal(bounded, raw, sizeof raw); /* the bounds did something */

    /* One profile at a time. */
    birth_series *b = birth_series_new(NP, end, nc, NULL, NULL);
    assert_non_null(b);
    for (size_t i = 0; i < NP; i++) {
        t[i] = p[i].time_nanos;
        has_alloc[i] = alloc[i] >= 0;
        assert_int_equal(birth_series_add(b, &p[i], i, t, has_alloc), 0);
    }
    double got_split, got_unaged;
    assert_memory_equal(birth_series_sums(b, true, &got_split, &got_unaged), bounded, sizeof bounded);
    assert_memory_equal(birth_series_sums(b, false, &got_split, &got_unaged), raw, sizeof raw);
    assert_memory_equal(&got_split, &want_split, sizeof got_split);
    assert_memory_equal(&got_unaged, &want_unaged, sizeof got_unaged);
    birth_series_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(spans_of_bands),
        cmocka_unit_test(shares_by_overlap),
        cmocka_unit_test(leak_seen_later),
        cmocka_unit_test(cohorts),
        cmocka_unit_test(bounds_from_the_series),
        cmocka_unit_test(unknown_birth_bounds),
        cmocka_unit_test(bands_on_their_own),
        cmocka_unit_test(band_invariants),
        cmocka_unit_test(one_process),
        cmocka_unit_test(series_one_at_a_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

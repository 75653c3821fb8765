/* Unit tests: HEAPPROF_OUT's codes (src/outname.h): each code's value, a
 * literal %, an unknown or trailing code, host names made safe for a file
 * name, the longest expansion bounding every real one, a buffer too small,
 * the escape that keeps a directory's % literal, and a prefix that names
 * a directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>

#include "outname.h"

static const outname_vals V = {4242, "web-7f9c", 4026532217ULL, "python3.11"};

static void expect(const char *pattern, const outname_vals *v, const char *want)
{
    char buf[512];
    assert_int_equal(outname_expand(pattern, v, buf, sizeof buf), 0);
    assert_string_equal(buf, want);
    assert_true(strlen(buf) <= (size_t)outname_max_len(pattern, NULL));
}

static void codes(void **state)
{
    (void)state;
    expect("/out/app", &V, "/out/app");
    expect("/out/app.%p", &V, "/out/app.4242");
    expect("/out/app.%h", &V, "/out/app.web-7f9c");
    expect("/out/app.%n", &V, "/out/app.4026532217");
    expect("%h/%n/%p", &V, "web-7f9c/4026532217/4242");
    expect("100%%", &V, "100%");
    expect("%%h%%%%", &V, "%h%%"); /* a literal % then h is no code */
    expect("", &V, "");
    expect("prof/%e.%p", &V, "prof/python3.11.4242");
    outname_vals zero = {0, NULL, 0, ""};
    expect("a.%n.%p.%e", &zero, "a.0.0._"); /* /proc could not say */
    outname_vals unknown = V;
    unknown.exe = NULL; /* messages of `heapprof run`: a program that has ended */
    expect("a.%e", &unknown, "a.*");
}

static void uses(void **state)
{
    (void)state;
    assert_true(outname_uses("a.%h", "hn"));
    assert_true(outname_uses("a.%n", "hn"));
    assert_false(outname_uses("a.%p", "hn"));
    assert_true(outname_uses("a.%p", "p"));
    assert_false(outname_uses("a.%%h", "h"));
    assert_false(outname_uses("a.%%%%n", "n"));
    assert_true(outname_uses("a.%%%n", "n"));
    assert_false(outname_uses("a%", "hnp")); /* a trailing %: no code (and invalid) */
    assert_false(outname_uses("plain", "hnp"));
}

static void unknown(void **state)
{
    (void)state;
    const char *bad = NULL, *p = "/out/a%%b.%q.%h";
    assert_int_equal(outname_max_len(p, &bad), -1);
    assert_ptr_equal(bad, p + 10);
    char buf[64] = "x";
    assert_int_equal(outname_expand(p, &V, buf, sizeof buf), EINVAL);
    assert_string_equal(buf, "");
    const char *trailing = "/out/a%";
    bad = NULL;
    assert_int_equal(outname_max_len(trailing, &bad), -1);
    assert_ptr_equal(bad, trailing + 6);
    assert_int_equal(outname_expand(trailing, &V, buf, sizeof buf), EINVAL);
    assert_int_equal(outname_max_len("%P", NULL), -1); /* codes are lower case */
}

static void host_names(void **state)
{
    (void)state;
    outname_vals v = V;
    v.host = "a/b c\t..\xc3\xa9";
    expect("%h", &v, "a_b_c_..__");
    v.host = "";
    expect("x.%h", &v, "x._");
    v.host = ".."; /* no climbing out of the directory */
    expect("/p/%h/x", &v, "/p/_/x");
    v.host = ".";
    expect("/p/%h/x", &v, "/p/_/x");
    v.host = "...";
    expect("/p/%h/x", &v, "/p/_/x");
    v.host = "a..";
    expect("/p/%h/x", &v, "/p/a../x");
    v.host = NULL;
    expect("x.%h", &v, "x._");
    char long_host[100];
    memset(long_host, 'h', sizeof long_host - 1);
    long_host[sizeof long_host - 1] = '\0';
    v.host = long_host; /* longer than any nodename: cut at 64 */
    char buf[256];
    assert_int_equal(outname_expand("%h", &v, buf, sizeof buf), 0);
    assert_int_equal(strlen(buf), 64);
    assert_int_equal(outname_max_len("%h", NULL), 64);
}

static void lengths(void **state)
{
    (void)state;
    outname_vals widest = {-9223372036854775807L - 1, NULL, 18446744073709551615ULL, NULL};
    char host[65], exe[300];
    memset(host, 'x', 64);
    host[64] = '\0';
    widest.host = host;
    memset(exe, 'e', 299); /* cut at NAME_MAX */
    exe[299] = '\0';
    widest.exe = exe;
    const char *p = "/d/%p.%n.%h.%e.%%";
    char buf[512];
    assert_int_equal(outname_expand(p, &widest, buf, sizeof buf), 0);
    assert_int_equal((long)strlen(buf), outname_max_len(p, NULL));
    assert_int_equal(outname_max_len("abc", NULL), 3);
    assert_int_equal(outname_max_len("%%%%", NULL), 2);
}

static void too_small(void **state)
{
    (void)state;
    char buf[8] = "zzzzzzz";
    assert_int_equal(outname_expand("app.%p", &V, buf, 8), ERANGE); /* needs 9 with the NUL */
    assert_string_equal(buf, "");
    assert_int_equal(outname_expand("%h", &V, buf, 5), ERANGE); /* a host name is never cut */
    char fits[9];
    assert_int_equal(outname_expand("app.%p", &V, fits, sizeof fits), 0);
    assert_string_equal(fits, "app.4242");
    assert_int_equal(outname_expand("a", &V, buf, 0), ERANGE);
}

/* outname_match: the expansion, where an unknown executable is any name a
 * name keeps; every other code as its value. */
static void match(void **state)
{
    (void)state;
    outname_vals v = V;
#define M(p, s) outname_match(p, &v, s, strlen(s))
    assert_true(M("/o/app.%h.%p", "/o/app.web-7f9c.4242"));
    assert_false(M("/o/app.%h.%p", "/o/app.web-7f9c.4243"));
    assert_false(M("/o/app.%h.%p", "/o/app.web-7f9c.42420"));
    assert_true(M("/o/%e", "/o/python3.11"));
    assert_false(M("/o/%e", "/o/python3"));
    v.exe = NULL;
    assert_true(M("/o/%e", "/o/python3"));
    assert_true(M("/o/%e.x.%p", "/o/a.b.x.x.4242")); /* the name "a.b.x" */
    assert_false(M("/o/%e", "/o/")); /* never empty */
    assert_false(M("/o/%e", "/o/a/b")); /* one component */
    assert_false(M("/o/%e.%p", "/o/a.4243"));
    assert_true(M("100%%.%e", "100%.sh"));
    assert_false(M("a.%q", "a.q"));
    assert_true(M("", ""));
    /* Eleven unknown names before a mismatch: without a bound on the work,
     * every split of 200 characters among them would be tried. */
    char name[256];
    memset(name, 'a', 200);
    strcpy(name + 200, ".x");
    assert_false(M("%e%e%e%e%e%e%e%e%e%e%e.y", name));
    assert_true(M("%e%e.x", name));
#undef M
}

static void exe_names(void **state)
{
    (void)state;
    char buf[256];
    outname_exe("/usr/bin/python3.11", buf, sizeof buf);
    assert_string_equal(buf, "python3.11");
    outname_exe("/srv/app (deleted)", buf, sizeof buf); /* replaced on disk since */
    assert_string_equal(buf, "app");
    outname_exe("plain", buf, sizeof buf);
    assert_string_equal(buf, "plain");
    outname_exe("/x/ (deleted)", buf, sizeof buf);
    assert_string_equal(buf, " (deleted)"); /* a name of only the suffix is a name */
}

static void escape(void **state)
{
    (void)state;
    char buf[64], back[64];
    assert_int_equal(outname_escape("/home/u/100%/x%%y", buf, sizeof buf), 20);
    assert_string_equal(buf, "/home/u/100%%/x%%%%y");
    /* escaped, it expands to itself whatever the values */
    assert_int_equal(outname_expand(buf, &V, back, sizeof back), 0);
    assert_string_equal(back, "/home/u/100%/x%%y");
    assert_int_equal(outname_escape("plain", buf, sizeof buf), 5);
    assert_string_equal(buf, "plain");
    assert_int_equal(outname_escape("ab%", buf, 4), (size_t)-1); /* "ab%%" needs 5 */
    assert_string_equal(buf, "");
    assert_int_equal(outname_escape("ab%", buf, 5), 4);
}

/* outname_dir: a directory's name gains /heapprof (in place of a last
 * "."), anything else is left as it is, and a name that would not fit is
 * left whole. */
static void dirs(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t len; /* the buffer's */
        int ret;
        const char *out;
    } cases[] = {
        {"/tmp", 64, 1, "/tmp/heapprof"},
        {".", 64, 1, "heapprof"},
        {"/tmp/.", 64, 1, "/tmp/heapprof"},
        {"/tmp/..", 64, 1, "/tmp/../heapprof"},
        {"/tmp/", 64, 0, "/tmp/"}, /* config.c made it /tmp/heapprof */
        {"/no/such/dir/app", 64, 0, "/no/such/dir/app"},
        {"/dev/null", 64, 0, "/dev/null"},
        {"/tmp", 14, 1, "/tmp/heapprof"}, /* and its NUL: just fits */
        {"/tmp", 13, -1, "/tmp"},
        {".", 8, -1, "."},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[64];
        strcpy(buf, cases[i].in);
        assert_int_equal(outname_dir(buf, cases[i].len), cases[i].ret);
        assert_string_equal(buf, cases[i].out);
    }
}

/* outname_absolute: a relative prefix goes under the directory, its %
 * doubled; an absolute one, a bad code or one that would not fit (its
 * codes at their longest) is left as it was. */
static void absolute(void **state)
{
    (void)state;
    static const struct {
        const char *cwd, *in;
        size_t len; /* the room the result may take, its NUL included */
        int ret;
        const char *out;
    } cases[] = {
        {"/home/u", "prof/%e", 300, 0, "/home/u/prof/%e"},
        {"/home/100%", "x", 64, 0, "/home/100%%/x"},
        {"/", "x", 64, 0, "/x"},
        {"/home/u", "/abs/x", 64, 0, "/abs/x"},
        {"/home/u", "./x", 64, 0, "/home/u/./x"},
        {"/home/u", "x.%q", 64, EINVAL, "x.%q"},
        {"/home/u", "x", 10, 0, "/home/u/x"}, /* and its NUL: just fits */
        {"/home/u", "x", 9, ERANGE, "x"},
        {"/d", "%e", 64, ERANGE, "%e"}, /* an executable's name may take 255 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[300];
        strcpy(buf, cases[i].in);
        assert_int_equal(outname_absolute(cases[i].cwd, buf, cases[i].len), cases[i].ret);
        assert_string_equal(buf, cases[i].out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(codes),      cmocka_unit_test(uses),    cmocka_unit_test(unknown),
        cmocka_unit_test(host_names), cmocka_unit_test(lengths), cmocka_unit_test(too_small),
        cmocka_unit_test(escape),     cmocka_unit_test(match),   cmocka_unit_test(exe_names),
        cmocka_unit_test(dirs),       cmocka_unit_test(absolute),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

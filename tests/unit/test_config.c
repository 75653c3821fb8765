/* Unit tests: the HEAPPROF_* configuration table (config.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "config.h"

/* A fake environment: NULL-terminated name/value pairs. */
static const char *const *fake_env;
static const char *lookup(const char *name)
{
    for (const char *const *e = fake_env; e && e[0]; e += 2)
        if (!strcmp(e[0], name))
            return e[1];
    return NULL;
}

static char warnings[16][256];
static int nwarnings;
static void warn(void *ctx, const char *line)
{
    if (nwarnings < 16)
        snprintf(warnings[nwarnings], sizeof warnings[0], "%s", line);
    nwarnings++;
}

static int parse(const char *const *env, hp_config *cfg)
{
    fake_env = env;
    nwarnings = 0;
    return config_parse(cfg, lookup, warn, NULL);
}

static void defaults(void **state)
{
    hp_config c;
    assert_int_equal(parse(NULL, &c), 0);
    assert_int_equal(c.sample, 524288);
    assert_int_equal(c.depth, 64);
    assert_string_equal(c.out, "heapprof");
    assert_int_equal(c.signal, SIGUSR2);
    assert_true(c.period == 0.0);
    assert_true(c.on_exit);
    assert_int_equal(nwarnings, 0);
}

static void good_values(void **state)
{
    const char *env[] = {"HEAPPROF_SAMPLE", "64k", "HEAPPROF_DEPTH", "12", "HEAPPROF_OUT",
                         "/tmp/a b", "HEAPPROF_SIGNAL", "SIGUSR1", "HEAPPROF_PERIOD", "0.25",
                         "HEAPPROF_ON_EXIT", "off", "HEAPPROF_FILTER_GRANULE", "8k", NULL};
    hp_config c;
    assert_int_equal(parse(env, &c), 0);
    assert_int_equal(c.sample, 65536);
    assert_int_equal(c.depth, 12);
    assert_string_equal(c.out, "/tmp/a b");
    assert_int_equal(c.signal, SIGUSR1);
    assert_true(c.period == 0.25);
    assert_false(c.on_exit);
    assert_int_equal(c.filter_granule, 8192);
}

/* A choice among words, any case; anything else is one line naming them,
 * and the default stays. */
static void choices(void **state)
{
    hp_config c;
    assert_int_equal(parse(NULL, &c), 0);
    assert_int_equal(c.thread_label, CONFIG_THREAD_OFF);
    static const struct {
        const char *v;
        int want;
    } good[] = {{"off", CONFIG_THREAD_OFF}, {"name", CONFIG_THREAD_NAME}, {"pool", CONFIG_THREAD_POOL},
                {"POOL", CONFIG_THREAD_POOL}, {"Name", CONFIG_THREAD_NAME}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        const char *env[] = {"HEAPPROF_THREAD_LABEL", good[i].v, NULL};
        assert_int_equal(parse(env, &c), 0);
        assert_int_equal(c.thread_label, good[i].want);
    }
    static const char *const bad[] = {"", "names", "nam", "off|name", "1", "pool ", "|"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *env[] = {"HEAPPROF_THREAD_LABEL", bad[i], NULL};
        assert_int_equal(parse(env, &c), 1);
        assert_int_equal(c.thread_label, CONFIG_THREAD_OFF);
        assert_int_equal(nwarnings, 1);
        assert_non_null(strstr(warnings[0], "is not one of off|name|pool; using the default off"));
    }
}

static void sizes(void **state)
{
    uint64_t v;
    assert_int_equal(config_parse_size("1", &v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(config_parse_size("512K", &v), 0);
    assert_int_equal(v, 524288);
    assert_int_equal(config_parse_size("4m", &v), 0);
    assert_int_equal(v, 4 << 20);
    assert_int_equal(config_parse_size("1g", &v), 0);
    assert_int_equal(v, 1 << 30);
    assert_int_equal(config_parse_size("2KiB", &v), 0);
    assert_int_equal(v, 2048);
    /* Every spelling of a unit documented (README, heapprof.1), and
     * nothing else: "64ki" was taken and "64B" refused. */
    static const struct {
        const char *s;
        uint64_t v;
    } good[] = {{"64k", 65536}, {"64K", 65536}, {"64kb", 65536}, {"64kB", 65536},
                {"64KB", 65536}, {"64KiB", 65536}, {"64kib", 65536}, {"3MiB", 3 << 20},
                {"2gb", 2ULL << 30}, {"64B", 64}, {"64b", 64}, {"0", 0}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        v = 1;
        assert_int_equal(config_parse_size(good[i].s, &v), 0);
        assert_int_equal(v, good[i].v);
    }
    static const char *bad[] = {"64ki", "64Ki", "64iB", "64kbb", "64kBi", "64Bk", "64 K",
                                "64 k", "0x10000", "1e5", "6.5k", "+64", "-1", "64k ", "k",
                                "B", "1t", "1TiB"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(config_parse_size(bad[i], &v), EINVAL);
    assert_int_equal(config_parse_size("", &v), EINVAL);
    assert_int_equal(config_parse_size("-5", &v), EINVAL);
    assert_int_equal(config_parse_size(" 5", &v), EINVAL);
    assert_int_equal(config_parse_size("5x", &v), EINVAL);
    assert_int_equal(config_parse_size("5kk", &v), EINVAL);
    assert_int_equal(config_parse_size("99999999999999999999", &v), ERANGE);
    assert_int_equal(config_parse_size("17179869184g", &v), ERANGE);
}

static void signals(void **state)
{
    int64_t s;
    assert_int_equal(config_parse_signal("USR2", &s), 0);
    assert_int_equal(s, SIGUSR2);
    assert_int_equal(config_parse_signal("sigusr1", &s), 0);
    assert_int_equal(s, SIGUSR1);
    assert_int_equal(config_parse_signal("10", &s), 0);
    assert_int_equal(s, 10);
    assert_int_equal(config_parse_signal("off", &s), 0);
    assert_int_equal(s, 0);
    assert_int_equal(config_parse_signal("0", &s), 0);
    assert_int_equal(s, 0);
    assert_int_equal(config_parse_signal("RTMIN+2", &s), 0);
    assert_int_equal(s, SIGRTMIN + 2);
    assert_int_equal(config_parse_signal("KILL", &s), EINVAL);
    assert_int_equal(config_parse_signal("9", &s), ERANGE);
    assert_int_equal(config_parse_signal("SEGV", &s), EINVAL);
    assert_int_equal(config_parse_signal("65", &s), ERANGE);
    assert_int_equal(config_parse_signal("FOO", &s), EINVAL);
    /* The real-time signals glibc keeps for itself (thread cancellation,
     * set*id across threads): sigaction refuses them, and the program was
     * left with no dump signal at all rather than the default. */
    for (int sig = 32; sig < SIGRTMIN; sig++) {
        char n[8];
        snprintf(n, sizeof n, "%d", sig);
        assert_int_equal(config_parse_signal(n, &s), ERANGE);
    }
    /* Offsets past SIGRTMAX, including ones whose sum would wrap negative
     * (found by fuzz_config). */
    s = -1;
    assert_int_equal(config_parse_signal("RTMIN+0999099999940999999990", &s), EINVAL);
    assert_int_equal(config_parse_signal("RTMIN+9223372036854775809", &s), EINVAL);
    assert_int_equal(config_parse_signal("RTMIN+18446744073709551615", &s), EINVAL);
    assert_int_equal(config_parse_signal("RTMIN+1000", &s), EINVAL);
    assert_int_equal(s, -1);
    char max[32];
    snprintf(max, sizeof max, "RTMIN+%d", SIGRTMAX - SIGRTMIN);
    assert_int_equal(config_parse_signal(max, &s), 0);
    assert_int_equal(s, SIGRTMAX);
}

/* Each bad value: one line naming the variable, the value and the default;
 * the default is what is used. */
static void bad_values(void **state)
{
    static const char *cases[][3] = {
        {"HEAPPROF_SAMPLE", "abc", "524288"}, {"HEAPPROF_SAMPLE", "0", "524288"},
        {"HEAPPROF_SAMPLE", "-5", "524288"},  {"HEAPPROF_DEPTH", "0", "64"},
        {"HEAPPROF_DEPTH", "9999", "64"},     {"HEAPPROF_SIGNAL", "FOO", "USR2"},
        {"HEAPPROF_PERIOD", "-1", "0"},       {"HEAPPROF_PERIOD", "nan", "0"},
        {"HEAPPROF_ON_EXIT", "maybe", "1"},   {"HEAPPROF_OUT", "", "heapprof"},
        /* HEAPPROF_OUT's codes are %h %n %p %e %% (outname.h) */
        {"HEAPPROF_OUT", "/t/a.%q", "heapprof"}, {"HEAPPROF_OUT", "/t/a%", "heapprof"},
        {"HEAPPROF_OUT", "/t/%H", "heapprof"},
        {"HEAPPROF_MAX_LIVE", "5", "4194304"},
        /* Periods below 0.001 s: 1e-300 spun the writer thread forever. */
        {"HEAPPROF_PERIOD", "1e-300", "0"},   {"HEAPPROF_PERIOD", "0.000000000001", "0"},
        {"HEAPPROF_PERIOD", "0.0009", "0"},
        /* Decimal only: strtod read "0x10" as 16 s. */
        {"HEAPPROF_PERIOD", "0x10", "0"},     {"HEAPPROF_PERIOD", "0X1p4", "0"},
        /* Signals whose default action programs rely on, by name and
         * number. */
        {"HEAPPROF_SIGNAL", "PIPE", "USR2"},  {"HEAPPROF_SIGNAL", "SIGPIPE", "USR2"},
        {"HEAPPROF_SIGNAL", "13", "USR2"},    {"HEAPPROF_SIGNAL", "CHLD", "USR2"},
        {"HEAPPROF_SIGNAL", "TSTP", "USR2"},  {"HEAPPROF_SIGNAL", "XFSZ", "USR2"},
        {"HEAPPROF_SIGNAL", "WINCH", "USR2"}, {"HEAPPROF_SIGNAL", "CONT", "USR2"},
    };
    hp_config def;
    parse(NULL, &def);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *env[] = {cases[i][0], cases[i][1], NULL};
        hp_config c;
        assert_int_equal(parse(env, &c), 1);
        assert_int_equal(nwarnings, 1);
        assert_non_null(strstr(warnings[0], cases[i][0]));
        char quoted[64];
        snprintf(quoted, sizeof quoted, "\"%s\"", cases[i][1]);
        assert_non_null(strstr(warnings[0], quoted));
        assert_non_null(strstr(warnings[0], cases[i][2]));
        assert_memory_equal(&c, &def, sizeof c);
    }
}

/* A size that is not one says what a size is, not only its range: "64 K"
 * was "not understood (allowed 1 to 1099511627776)". */
static void size_refusal_reason(void **state)
{
    static const char *values[] = {"64 K", "0x10000", "1e5", "-1", "", "64ki"};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        const char *env[] = {"HEAPPROF_SAMPLE", values[i], NULL};
        hp_config c;
        assert_int_equal(parse(env, &c), 1);
        assert_int_equal(nwarnings, 1);
        assert_non_null(strstr(warnings[0], "is not a size (a whole number of bytes, with an "
                                            "optional k, m or g suffix: 64k, 64KiB); using the "
                                            "default 524288"));
        assert_int_equal(c.sample, 524288);
    }
    const char *env[] = {"HEAPPROF_SAMPLE", "0", NULL};
    hp_config c;
    assert_int_equal(parse(env, &c), 1);
    assert_non_null(strstr(warnings[0], "is out of range (allowed 1 to 1099511627776)"));
}

/* A refused signal's line says why: a number past the last signal is no
 * signal at all, not one heapprof may not take (SIGRTMAX is 64). */
static void signal_refusal_reason(void **state)
{
    static const struct {
        const char *value, *says, *not_says;
    } cases[] = {
        {"65", "out of range (signals are 1 to 64", "may not take"},
        {"1000", "out of range (signals are 1 to 64", "may not take"},
        {"PIPE", "may not take", "out of range"},
        {"9", "may not take", "out of range"},
        {"33", "may not take", "out of range"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *env[] = {"HEAPPROF_SIGNAL", cases[i].value, NULL};
        hp_config c;
        assert_int_equal(parse(env, &c), 1);
        assert_int_equal(nwarnings, 1);
        assert_non_null(strstr(warnings[0], "using the default USR2"));
        assert_non_null(strstr(warnings[0], cases[i].says));
        assert_null(strstr(warnings[0], cases[i].not_says));
        assert_int_equal(c.signal, SIGUSR2);
    }
}

/* The smallest period allowed, and 0 (off), parse; so do the signals
 * left free. */
static void period_and_signal_bounds(void **state)
{
    const char *env[] = {"HEAPPROF_PERIOD", "0.001", "HEAPPROF_SIGNAL", "ALRM", NULL};
    hp_config c;
    assert_int_equal(parse(env, &c), 0);
    assert_true(c.period == 0.001);
    assert_int_equal(c.signal, SIGALRM);
    const char *off[] = {"HEAPPROF_PERIOD", "0", "HEAPPROF_SIGNAL", "HUP", NULL};
    assert_int_equal(parse(off, &c), 0);
    assert_true(c.period == 0);
    assert_int_equal(c.signal, SIGHUP);
}

static void every_default_parses(void **state)
{
    assert_true(config_count() >= 8);
    for (size_t i = 0; i < config_count(); i++) {
        const char *env[] = {config_name(i), config_default(i), NULL};
        hp_config c;
        assert_int_equal(parse(env, &c), 0);
        assert_non_null(config_help(i));
    }
    assert_null(config_name(config_count()));
}

/* A refused value's line says what would be taken: "HEAPPROF_SYNC="2" is
 * not understood" and "HEAPPROF_SIGNAL="FOO" is not understood" left the
 * reader to guess, an empty path was "not understood" and a long one "out
 * of range". */
static void refusal_says_what_is_allowed(void **state)
{
    static char longpath[CONFIG_PATH_MAX + 10];
    memset(longpath, 'a', sizeof longpath - 1);
    static const struct {
        const char *name, *value, *says;
    } cases[] = {
        {"HEAPPROF_SYNC", "2", "HEAPPROF_SYNC=\"2\" is not understood (1 or 0; also true, yes, on, "
                               "false, no, off); using the default 1"},
        {"HEAPPROF_ON_EXIT", "", "HEAPPROF_ON_EXIT=\"\" is not understood (1 or 0;"},
        {"HEAPPROF_SIGNAL", "FOO", "HEAPPROF_SIGNAL=\"FOO\" is not a signal (a name such as USR1, "
                                   "SIGUSR1 or RTMIN+2, a number, or 0 or off for none); using "
                                   "the default USR2"},
        {"HEAPPROF_OUT", "", "HEAPPROF_OUT=\"\" is empty; using the default heapprof"},
        {"HEAPPROF_CGROUP", "", "HEAPPROF_CGROUP=\"\" is empty; using the default auto"},
        {"HEAPPROF_OUT", longpath, "...\" is too long (at most about 3008 bytes, its % codes at "
                                   "their longest); using the default heapprof"},
        {"HEAPPROF_CGROUP", longpath, "...\" is too long (at most about 3008 bytes); using the "
                                      "default auto"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *env[] = {cases[i].name, cases[i].value, NULL};
        hp_config c;
        assert_int_equal(parse(env, &c), 1);
        assert_int_equal(nwarnings, 1);
        if (!strstr(warnings[0], cases[i].says))
            fail_msg("%s=%.20s: \"%s\" lacks \"%s\"", cases[i].name, cases[i].value, warnings[0],
                     cases[i].says);
    }
}

static void long_path_rejected(void **state)
{
    static char path[CONFIG_PATH_MAX + 10];
    memset(path, 'a', sizeof path - 1);
    const char *env[] = {"HEAPPROF_OUT", path, NULL};
    hp_config c;
    assert_int_equal(parse(env, &c), 1);
    assert_string_equal(c.out, "heapprof");
    /* The quoted value in the message is truncated, not overflowing. */
    assert_true(strlen(warnings[0]) < 256);
}

/* A prefix whose codes could expand past the room for a path is refused
 * when parsed, as no process could then be sure its names fit: 2900 bytes
 * fit, and so do they with one %p, but not with three %h (64 bytes each). */
static void prefix_codes(void **state)
{
    static char path[2901];
    memset(path, 'a', sizeof path - 1);
    const char *env[] = {"HEAPPROF_OUT", path, NULL};
    hp_config c;
    assert_int_equal(parse(env, &c), 0);
    memcpy(path + 2890, "%p", 2);
    assert_int_equal(parse(env, &c), 0);
    assert_string_equal(c.out, path);
    memcpy(path + 2880, "%h%h%h", 6);
    assert_int_equal(parse(env, &c), 1);
    assert_string_equal(c.out, "heapprof");
    assert_non_null(strstr(warnings[0], "is too long (at most about 3008 bytes, its % codes at "
                                        "their longest)"));
    const char *codes[] = {"HEAPPROF_OUT", "/t/%h.%n.%p.100%%", NULL};
    assert_int_equal(parse(codes, &c), 0);
    assert_string_equal(c.out, "/t/%h.%n.%p.100%%"); /* expanded later, by each process */
    const char *bad[] = {"HEAPPROF_OUT", "/t/x%y", NULL};
    assert_int_equal(parse(bad, &c), 1);
    assert_non_null(strstr(warnings[0], "% code heapprof does not know (%h host name"));
}

/* config_check_names: every HEAPPROF_* name that is no row gets one line,
 * with the nearest row when it is near; rows, other variables and the
 * other tools' names pass in silence. */
static void unknown_names(void **state)
{
    char *env[] = {"PATH=/bin", "HEAPPROF_SAMPLE=64k", "HEAPPROF_SAMPEL=1", "heapprof_depth=3",
                   "HEAPPROF_HIGHWATER_MINS=2", "HEAPPROF_X=1", "HEAPPROF_MAX_INPUT=1m",
                   "HEAPPROF_LOCAL_LINES=off", "HEAPPROF_FAULT=malloc:3", "HEAPPROF_NOEQUALS", "HEAPPROFX=1",
                   "HEAPPROF_SAMPLE_SAMPLE_SAMPLE_SAMPLE_SAMPLE_SAMPLE_SAMPLE_SAMPLE_SAMPLE=1", NULL};
    nwarnings = 0;
    assert_int_equal(config_check_names(env, warn, NULL), 6);
    assert_int_equal(nwarnings, 5); /* four, then the last two on one line */
    assert_string_equal(warnings[0],
                        "HEAPPROF_SAMPEL is not a heapprof setting and is ignored; did you mean HEAPPROF_SAMPLE?");
    assert_string_equal(warnings[1],
                        "heapprof_depth is not a heapprof setting and is ignored; did you mean HEAPPROF_DEPTH?");
    assert_string_equal(warnings[2], "HEAPPROF_HIGHWATER_MINS is not a heapprof setting and is ignored; "
                                     "did you mean HEAPPROF_HIGHWATER_MIN_S?");
    assert_string_equal(warnings[3], "HEAPPROF_X is not a heapprof setting and is ignored "
                                     "('heapprof run --help' lists them)");
    /* The fifth on: one line (the last, too long to be near anything, cut
     * at 64 bytes). */
    assert_string_equal(warnings[4], "2 more HEAPPROF_* names are not heapprof settings and are "
                                     "ignored: HEAPPROF_NOEQUALS, "
                                     "HEAPPROF_SAMPLE_SAMPLE_SAMPLE_SAMPLE_SAMPLE_SAMPLE_SAMPLE_SAMPLE");
    /* Many: still one line, cut. */
    char *many[80];
    char names[79][32];
    for (int i = 0; i < 79; i++) {
        snprintf(names[i], sizeof names[i], "HEAPPROF_ZZZ%02d=1", i);
        many[i] = names[i];
    }
    many[79] = NULL;
    nwarnings = 0;
    assert_int_equal(config_check_names(many, warn, NULL), 79);
    assert_int_equal(nwarnings, 5);
    assert_non_null(strstr(warnings[4], "75 more HEAPPROF_* names are not heapprof settings"));
    assert_non_null(strstr(warnings[4], ": HEAPPROF_ZZZ04, HEAPPROF_ZZZ05, "));
    assert_non_null(strstr(warnings[4], " ..."));
    /* Every row's own name, in the table's case, is silent. */
    char *rows_env[64];
    char buf[64][80];
    size_t n = config_count();
    assert_true(n < 64);
    for (size_t i = 0; i < n; i++) {
        snprintf(buf[i], sizeof buf[i], "%s=", config_name(i));
        rows_env[i] = buf[i];
    }
    rows_env[n] = NULL;
    nwarnings = 0;
    assert_int_equal(config_check_names(rows_env, warn, NULL), 0);
    assert_int_equal(nwarnings, 0);
    assert_int_equal(config_check_names(NULL, warn, NULL), 0);
}

/* HEAPPROF_DEBUG_DIRS: absolute directories, ':' between, or off (""). */
static void debug_dirs(void **state)
{
    hp_config c;
    assert_int_equal(parse(NULL, &c), 0);
    assert_string_equal(c.debug_dirs, "/usr/lib/debug");
    static const char *good[][2] = {
        {"off", ""}, {"OFF", ""}, {"/d", "/d"}, {"/a/b:/c/", "/a/b:/c/"},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        const char *env[] = {"HEAPPROF_DEBUG_DIRS", good[i][0], NULL};
        assert_int_equal(parse(env, &c), 0);
        assert_string_equal(c.debug_dirs, good[i][1]);
    }
    /* Relative, empty, or an empty member: each one line, the default. */
    static const char *bad[] = {"", "usr/lib/debug", "/a::/b", "/a:", ":/a", "/a:b", "0"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *env[] = {"HEAPPROF_DEBUG_DIRS", bad[i], NULL};
        assert_int_equal(parse(env, &c), 1);
        assert_int_equal(nwarnings, 1);
        assert_non_null(strstr(warnings[0], "HEAPPROF_DEBUG_DIRS"));
        assert_non_null(strstr(warnings[0], "absolute directories"));
        assert_non_null(strstr(warnings[0], "default /usr/lib/debug"));
        assert_string_equal(c.debug_dirs, "/usr/lib/debug");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),   cmocka_unit_test(good_values),
        cmocka_unit_test(sizes),      cmocka_unit_test(signals),
        cmocka_unit_test(bad_values), cmocka_unit_test(size_refusal_reason),
        cmocka_unit_test(signal_refusal_reason),
        cmocka_unit_test(every_default_parses),
        cmocka_unit_test(long_path_rejected), cmocka_unit_test(period_and_signal_bounds),
        cmocka_unit_test(refusal_says_what_is_allowed),
        cmocka_unit_test(unknown_names), cmocka_unit_test(prefix_codes), cmocka_unit_test(choices),
        cmocka_unit_test(debug_dirs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * args.c - see args.h.  Stateless.
 */
#include "args.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "diag.h"

int args_size(const char *flag, const char *value, uint64_t *out)
{
    int err = config_parse_size(value, out);
    if (err == ERANGE)
        return diag_usage("%s '%s': too large", flag, value);
    if (err)
        return diag_usage("%s '%s': not a size (a whole number of bytes, with an optional k, m "
                          "or g suffix: 64k, 64KiB)", flag, value);
    return 0;
}

int args_count(const char *flag, const char *value, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(value, &end, 10);
    if (!(*value >= '0' && *value <= '9') || *end)
        return diag_usage("%s '%s': not a whole number", flag, value);
    /* Digits past ULLONG_MAX are a whole number too: out of range, as a
     * smaller one past max is (they said "not a whole number"). */
    if (errno || v < min || v > max)
        return diag_usage("%s '%s': out of range (allowed %" PRIu64 " to %" PRIu64 ")", flag,
                          value, min, max);
    *out = v;
    return 0;
}

int args_seconds(const char *flag, const char *value, double min, double max, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(value, &end);
    /* Decimal, as the library's HEAPPROF_PERIOD: not strtod's hex. */
    if (!((*value >= '0' && *value <= '9') || *value == '.') || *end || errno || !isfinite(v) ||
        strpbrk(value, "xX"))
        return diag_usage("%s '%s': not a number of seconds (e.g. 5 or 0.5)", flag, value);
    if (v < min || v > max)
        return diag_usage("%s '%s': out of range (allowed %g to %g seconds)", flag, value, min,
                          max);
    *out = v;
    return 0;
}

int args_duration(const char *flag, const char *value, double *out)
{
    static const struct {
        char unit;
        double s;
    } units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
    char *end;
    errno = 0;
    double v = strtod(value, &end);
    double mult = 0;
    if (end[0] == '\0')
        mult = 1;
    else if (end[1] == '\0')
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
            if (*end == units[i].unit)
                mult = units[i].s;
    /* Only digits and a point before the unit: none of strtod's other forms
     * (a sign, leading blanks, hex, exponents, "inf"). */
    size_t digits = strspn(value, "0123456789.");
    if (end == value || value + digits != end || !mult || errno || !isfinite(v))
        return diag_usage("%s '%s': not a duration (a number and a unit: s, m, h or d, e.g. "
                          "90s, 10m, 2h, 1d)", flag, value);
    if (v * mult > 1e9)
        return diag_usage("%s '%s': too long (at most about 30 years)", flag, value);
    *out = v * mult;
    return 0;
}

/* go tool pprof's flags that the commands take under other names, for
 * the reader who types pprof's (one dash, a long name).  A row with a
 * command is that command's own hint, before the row for every other. */
static const struct {
    const char *pprof, *cmd, *here;
} pprof_flags[] = {
    {"sample_index", NULL, "--type TYPE"},
    {"tagfocus", NULL, "--tag KEY=PAT, a shell pattern"},
    {"base", NULL, "heapprof leaks EARLY LATE, or flame --base EARLY"},
    {"focus", NULL, "--focus TEXT in heapprof flame"},
    {"nodecount", NULL, "-n N"},
    {"lines", NULL, "--lines"},
    {"cum", NULL, "--cum"},
    {"tags", NULL, "--by tag:KEY"},
    {"tagroot", NULL, "--by tag:KEY in heapprof flame"},
    {"output", "flame", "-o FILE"},
    {"output", "timeline", "-o FILE"},
    {"output", "run", "-o PREFIX for the profiles' names, PREFIX.<pid>.<seq>.pb.gz"},
    {"output", NULL, "-o FILE in heapprof flame and timeline"},
};

/* The long option of longs, or the pprof flag (as an index of
 * pprof_flags), that the word of one dash names: -type, -sample_index=...
 * Returns false when it names neither. */
static bool one_dash_names(const char *word, const struct option *longs,
                           const struct option **lo, size_t *pp)
{
    size_t len = strcspn(word + 1, "=");
    *lo = NULL;
    for (const struct option *o = longs; o && o->name; o++)
        if (strlen(o->name) == len && !strncmp(word + 1, o->name, len)) {
            *lo = o;
            return true;
        }
    const char *cmd = diag_command();
    for (size_t i = 0; i < sizeof pprof_flags / sizeof pprof_flags[0]; i++)
        if (strlen(pprof_flags[i].pprof) == len && !strncmp(word + 1, pprof_flags[i].pprof, len) &&
            (!pprof_flags[i].cmd || (cmd && !strcmp(cmd, pprof_flags[i].cmd)))) {
            *pp = i;
            return true;
        }
    return false;
}

/* A word of one dash and more letters, refused: a long option given one
 * dash (-type), or one of pprof's (-sample_index=...).  letter: the option
 * getopt would have given the rest of the word as its value, for the hint
 * (-ofoo=x.svg: -o foo=x.svg), or 0. */
static int one_dash(const char *word, const struct option *longs, int letter)
{
    const struct option *lo;
    size_t pp = 0;
    if (one_dash_names(word, longs, &lo, &pp)) {
        if (lo)
            return diag_usage("unknown option '%s' (an option longer than one letter takes two "
                              "dashes: --%s)", word, lo->name);
        return diag_usage("unknown option '%s' (pprof's -%s; use %s)", word,
                          pprof_flags[pp].pprof, pprof_flags[pp].here);
    }
    if (letter)
        return diag_usage("unknown option '%s' (a value of -%c goes after a space: -%c %s)", word,
                          letter, letter, word + 2);
    return diag_usage("unknown option '%s'", word);
}

/* Whether a word of one dash that getopt would read as the letter c (its
 * first) reads as a long name instead: letters, digits, '_' or '-', more
 * than one, followed by '=' (-nodecount=5), or all of it a long option of
 * the command or a pprof flag (-nodecount, -output, -help). */
static bool long_looking(const char *word, const struct option *longs)
{
    static const char name_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                     "0123456789_-";
    size_t len = strcspn(word + 1, "=");
    const struct option *lo;
    size_t pp;
    if (len < 2 || strspn(word + 1, name_chars) < len)
        return false;
    return word[1 + len] == '=' || one_dash_names(word, longs, &lo, &pp);
}

/* A letter's value attached with '=' (-n=5), refused: getopt reads the
 * value "=5", which hardly anyone means.  The hint names the value after a
 * space, and the long option of the letter when there is one
 * (--out=x.svg). */
static int attached_eq(const char *word, int letter, const char *value,
                       const struct option *longs)
{
    for (const struct option *o = longs; o && o->name; o++)
        if (!o->flag && o->val == letter && o->has_arg == required_argument)
            return diag_usage("option '%s' (a value of -%c goes after a space, without '=': "
                              "-%c %s, or --%s=%s)", word, letter, letter, value, o->name, value);
    return diag_usage("option '%s' (a value of -%c goes after a space, without '=': -%c %s)", word,
                      letter, letter, value);
}

int args_getopt(int argc, char *const argv[], const char *shorts, const struct option *longs)
{
    int c = getopt_long(argc, argv, shorts, longs, NULL);
    if (c == -1 || c == '?' || c == ':')
        return c;
    const char *spec = strchr(shorts, c);
    bool takes = spec && spec[1] == ':';
    /* The word the letter came from: with its value attached, getopt has
     * moved past it (-nodecount=5: -n, value "odecount=5"); a letter
     * without a value that more letters follow leaves optind on its word
     * (-help: -h, then -e ...). */
    const char *word = NULL;
    if (takes && optarg && optind > 1 && optarg == argv[optind - 1] + 2)
        word = argv[optind - 1];
    else if (!takes && optind < argc)
        word = argv[optind];
    if (word && word[0] == '-' && word[1] == c && long_looking(word, longs)) {
        (void)one_dash(word, longs, takes ? c : 0);
        return ARGS_SAID;
    }
    /* Attached to its letter, in its word (-n=5, or -rn=5 after a letter
     * without a value); a value of its own word (-n =5) is as typed. */
    if (takes && optarg && optarg[0] == '=' && optind > 1 && optarg > argv[optind - 1] &&
        optarg[-1] == c) {
        (void)attached_eq(argv[optind - 1], c, optarg + 1, longs);
        return ARGS_SAID;
    }
    return c;
}

int args_getopt_error(int c, char *const argv[], int next, int opt, const struct option *longs)
{
    const char *word = next > 0 ? argv[next - 1] : "?";
    /* getopt stays on a cluster of letters until its last one: an error
     * before that leaves next at the word itself. */
    const char *here = next > 0 ? argv[next] : NULL;
    if (c == '?' && opt && here && here[0] == '-' && here[1] != '-' && strchr(here + 1, opt))
        word = here;
    if (c == ARGS_SAID)
        return DIAG_USAGE;
    if (c == '?' && opt && word[0] == '-' && word[1] && word[1] != '-' && word[2])
        return one_dash(word, longs, 0);
    if (c == ':')
        return diag_usage("option '%s' needs a value", word);
    /* getopt_long names the option in optopt when it was known but given a
     * value it does not take (--raw=1); an unknown one leaves it 0. */
    const char *eq = strchr(word, '=');
    if (opt && !strncmp(word, "--", 2) && eq)
        return diag_usage("option '%.*s' takes no value", (int)(eq - word), word);
    if (opt && strncmp(word, "--", 2))
        return diag_usage("unknown option '-%c'", opt);
    return diag_usage("unknown option '%s'", word);
}

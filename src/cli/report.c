/*
 * report.c - see report.h.  The only state is the readers' limits, read from
 * the environment at the first load (a bad value is reported once), and
 * whether standard input has been read.
 */
#include "report.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "age.h"
#include "args.h"
#include "config.h"
#include "lifetime.h"
#include "locallines.h"
#include "diag.h"
#include "units.h"

static void warn_line(const char *line) { diag_error("%s", line); }

static void warn_config(void *ctx, const char *line)
{
    (void)ctx;
    diag_error("%s", line);
}

/* Only the variable the readers share with the library. */
static const char *debug_dirs_only(const char *name)
{
    return strcmp(name, "HEAPPROF_DEBUG_DIRS") ? NULL : getenv(name);
}

/* Whether --lines reads the lines a profile left to pprof from the
 * binaries here (locallines.h): unless HEAPPROF_LOCAL_LINES is off (or 0),
 * and then where separate debug files are looked for, HEAPPROF_DEBUG_DIRS
 * parsed as the library parses it (config.c), so that a command finds the
 * debug file the profiled program's library would. */
static bool local_lines(profile_limits *lim)
{
    static hp_config cfg;
    const char *v = getenv("HEAPPROF_LOCAL_LINES");
    bool on = !v || !*v || !(!strcasecmp(v, "off") || !strcmp(v, "0"));
    if (v && *v && on && strcasecmp(v, "on") && strcmp(v, "1"))
        diag_error("HEAPPROF_LOCAL_LINES=\"%.64s\" is not on, off, 1 or 0; using the default, "
                   "on", v);
    config_parse(&cfg, debug_dirs_only, warn_config, NULL);
    lim->debug_dirs = cfg.debug_dirs;
    return on;
}

/* --tag: the labels' keys and patterns (pointing into argv). */
static char tag_keys[REPORT_TAGS_MAX][128];
static const char *tag_keyp[REPORT_TAGS_MAX], *tag_globs[REPORT_TAGS_MAX];
static size_t ntags;

int report_tag_opt(const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (eq && eq != arg && (size_t)(eq - arg) >= sizeof tag_keys[0])
        return diag_usage("--tag: a label key is at most %zu bytes, not %zu ('%.40s...')",
                          sizeof tag_keys[0] - 1, (size_t)(eq - arg), arg);
    if (!eq || eq == arg || !eq[1])
        return diag_usage("--tag wants KEY=PATTERN, a sample label and a shell pattern of its "
                          "value (thread=io-*, component=parser), not '%s'", arg);
    if (ntags == REPORT_TAGS_MAX)
        return diag_usage("at most %d --tag options", REPORT_TAGS_MAX);
    memcpy(tag_keys[ntags], arg, (size_t)(eq - arg));
    tag_keys[ntags][eq - arg] = '\0';
    tag_keyp[ntags] = tag_keys[ntags];
    tag_globs[ntags++] = eq + 1;
    return DIAG_OK;
}

/* --by tag:KEY: the key (pointing into argv), or NULL; whether its
 * frame goes below each stack (flame) rather than replacing it. */
static const char *by_tag;
static bool by_tag_root;

int report_by_tag_opt(const char *arg)
{
    if (strncmp(arg, "tag:", 4)) {
        by_tag = NULL; /* the last --by counts */
        return 1;
    }
    if (!arg[4])
        return diag_usage("--by tag:KEY wants a label key (--by tag:thread, --by tag:component)");
    by_tag = arg + 4;
    return 0;
}

const char *report_by_tag(void) { return by_tag; }

void report_by_tag_root(void) { by_tag_root = true; }

/* Where the labels of a key that no sample of a profile has come from,
 * for the two that heapprof itself writes; have lists the keys the
 * samples do have ("thread, component", or "none"). */
static const char *label_source(const char *key, const char *have)
{
    size_t n = strlen(key);
    for (const char *h = have; (h = strstr(h, key)); h += n)
        if ((h == have || h[-1] == ' ') && (h[n] == ',' || h[n] == '\0'))
            return ""; /* some sample has it: the values did not match */
    if (!strcmp(key, "thread"))
        return "; heapprof writes thread labels when the program runs with "
               "HEAPPROF_THREAD_LABEL=name or pool";
    if (!strcmp(key, "component"))
        return "; component labels come from the program's heapprof_label_push()";
    return "";
}

profile *report_load(const char *path, bool lines)
{
    /* Read once, so a bad value is reported once however many files. */
    static profile_limits lim;
    static bool have_lim, local;
    if (!have_lim) {
        profile_read_limits(&lim, warn_line);
        local = lines && local_lines(&lim);
        have_lim = true;
    }
    /* Standard input holds one profile: a second "-" (leaks - -, flame
     * --base - -) would read it at its end and call it an empty file. */
    static bool stdin_read;
    if (!strcmp(path, "-") && stdin_read) {
        diag_error("-: standard input was read already; give - for one profile only");
        return NULL;
    }
    stdin_read = stdin_read || !strcmp(path, "-");
    char err[512];
    unsigned flags = lines ? PROFILE_READ_LINES | (local ? PROFILE_READ_LOCAL : 0) : 0;
    profile *p = profile_read(path, &lim, flags, err, sizeof err);
    /* Once: a series (leaks, timeline) would repeat it for every file. */
    static bool noted;
    size_t labelled = 0;
    char have[256] = "";
    if (p && by_tag && profile_read_by_tag(p, by_tag, by_tag_root, &labelled)) {
        profile_read_free(p);
        diag_error("%s: out of memory", path);
        return NULL;
    }
    static bool tag_noted; /* once: a series would say it for every file */
    if (p && by_tag && !labelled && p->nsamples && !tag_noted) {
        tag_noted = true;
        profile_read_label_keys(p, have, sizeof have);
        diag_error("note: no sample of %s has a label %s, so every one is \"(no %s "
                   "label)\" (the labels of its samples: %s)%s", path, by_tag, by_tag, have,
                   label_source(by_tag, have));
        have[0] = '\0';
    }
    if (p && ntags && !profile_read_keep_tagged(p, ntags, tag_keyp, tag_globs, have, sizeof have) &&
        have[0]) {
        char want[256] = "";
        const char *source = "";
        for (size_t i = 0; i < ntags && !*source; i++)
            source = label_source(tag_keyp[i], have);
        for (size_t i = 0, used = 0; i < ntags && used < sizeof want; i++) {
            size_t same = 0; /* an earlier --tag of this key: an alternative */
            while (same < i && strcmp(tag_keyp[same], tag_keyp[i]))
                same++;
            int w = snprintf(want + used, sizeof want - used, "%s%s=%s",
                             !i ? "" : same < i ? " or " : " and ", tag_keyp[i], tag_globs[i]);
            used += w > 0 ? (size_t)w : 0;
        }
        diag_error("note: no sample of %s has %s (the labels of its samples: %s)%s", path, want,
                   have, source);
    }
    /* Once, as the note below: a series (leaks, timeline) would repeat it. */
    static bool missing_noted;
    if (p && p->local_missing && !missing_noted) {
        missing_noted = true;
        diag_error("note: %zu mapping%s of %s got no file:line from %s binar%s: not on this "
                   "machine, or another build (another GNU build-id)", p->local_missing,
                   p->local_missing == 1 ? "" : "s", path,
                   p->local_missing == 1 ? "its" : "their", p->local_missing == 1 ? "y" : "ies");
    }
    static bool past_noted;
    if (p && p->local_past_cap && !past_noted) {
        past_noted = true;
        diag_error("note: %zu mapping%s of %s past the first %d %s not read for file:line",
                   p->local_past_cap, p->local_past_cap == 1 ? "" : "s", path,
                   LOCALLINES_MAPS_MAX, p->local_past_cap == 1 ? "was" : "were");
    }
    static bool left_noted;
    if (p && p->local_left && !left_noted) {
        left_noted = true;
        diag_error("note: %zu mapping%s of %s got no file:line for some frames: another "
                   "mapping of the same addresses (another file or build) was read there, or "
                   "the frames lie outside %s range", p->local_left,
                   p->local_left == 1 ? "" : "s", path, p->local_left == 1 ? "its" : "their");
    }
    static bool lost_noted;
    if (p && p->local_lost && !lost_noted) {
        lost_noted = true;
        diag_error("note: some frames of %s got no file:line from their binaries: out of memory "
                   "reading them", path);
    }
    if (!p) {
        diag_error("%s", err);
    } else if (lines && !p->lines && p->nsamples && !noted) {
        noted = true;
        diag_error("note: %s has no file:line for any frame (its producer wrote none%s): its "
                   "rows are by function, as without --lines%s", path,
                   local ? ", and its binaries here gave none" : "",
                   p->run ? "; heapprof writes them where go tool pprof would lose its names, "
                            "and reads the others from the binaries on this machine, built -g "
                            "(HEAPPROF_LOCAL_LINES)"
                          : "");
    }
    return p;
}

long report_type(const profile *p, const char *name)
{
    if (!name)
        return (long)p->default_type;
    long t = profile_read_type(p, name);
    if (t < 0) {
        char list[1024];
        profile_read_type_list(p, list, sizeof list);
        diag_error("%s: no sample type '%s' in this profile (it has: %s)", p->path, name, list);
    }
    return t;
}

bool report_whole(const profile *p, size_t t, const char *cmd)
{
    for (size_t i = 0; i < p->nsamples; i++)
        if (p->samples[i].values[t] < 0) {
            diag_error("%s: a difference of two profiles (negative %s values, as go tool pprof "
                       "-proto -base writes): %s reads live heaps; give it the profiles that "
                       "were compared",
                       p->path, p->type_name[t], cmd);
            return false;
        }
    return true;
}

void report_cell_value(char *buf, size_t len, const stackset_cell *c, const char *unit, bool raw)
{
    int64_t e;
    units_value_exact(buf, len, c->val, stackset_cell_exact(c, &e) ? &e : NULL, unit, raw);
}

void report_cell_diff(char *buf, size_t len, const stackset_cell *a, const stackset_cell *b,
                      const char *unit, bool raw)
{
    int64_t e;
    units_value_exact(buf, len, a->val - b->val, stackset_cell_exact_diff(a, b, &e) ? &e : NULL,
                      unit, raw);
}

void report_time(char *buf, size_t len, long long time_nanos)
{
    time_t s = (time_t)(time_nanos / 1000000000);
    struct tm tm;
    if (time_nanos <= 0 || !localtime_r(&s, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm))
        snprintf(buf, len, "unknown");
}

unsigned report_sd_worst(const profile *p, size_t t)
{
    unsigned w = PROFILE_SD_EXACT;
    for (size_t i = 0; !p->exact && i < p->nsamples; i++)
        if (p->samples[i].sd[t] > w)
            w = p->samples[i].sd[t];
    return w;
}

bool report_any_live(const profile *p, size_t t)
{
    for (size_t i = 0; i < p->nsamples; i++)
        if (p->samples[i].values[t] > 0)
            return true;
    return false;
}

bool report_note_none_live(const profile *p, size_t t)
{
    const char *name = p->type_name[t];
    if (strncmp(name, "inuse_", 6) || report_any_live(p, t))
        return false;
    /* "inuse_space" and "alloc_space": the same suffix after 6 bytes. */
    char twin[128];
    snprintf(twin, sizeof twin, "alloc_%s", name + 6);
    long a = profile_read_type(p, twin);
    if (a < 0 || !report_any_live(p, (size_t)a))
        return false;
    diag_error("note: nothing is live in %s (%s is 0): the program had freed all it allocated "
               "(one that frees its data on its way out leaves such an exit profile); --type %s "
               "shows what it allocated", p->path, name, twin);
    return true;
}

void report_no_ages(const profile *p)
{
    diag_error("%s: this profile does not record object ages (no sample has an \"age\" label); "
               "heapprof's own profiles do, except delta profiles (?seconds=), while older "
               "heapprof versions, Go heap profiles and other producers' do not", p->path);
}

void report_sampling(FILE *f, const profile *p, unsigned sd)
{
    char per[64];
    units_value(per, sizeof per, (double)p->period, p->period_unit, false);
    if (p->exact)
        (void)fputs("Sampling: none, every allocation was recorded (exact), so ± is 0\n", f);
    else if (p->period > 0 && *p->period_type)
        (void)fprintf(f, "Sampling: one sample per %s of %s on average\n", per, p->period_type);
    switch (sd) {
    case PROFILE_SD_EXACT:
        if (!p->exact)
            (void)fputs("Errors: ± is 0 (none of the values shown has a sampling error)\n", f);
        break;
    case PROFILE_SD_LABEL:
        (void)fputs(
            "Errors: ± is the standard error of each estimate (from the profile's\n"
            "        per-sample *_sd labels; a row's variance is the sum of its samples')\n", f);
        break;
    case PROFILE_SD_APPROX:
        (void)fputs("Errors: ± is the standard error of each estimate; ~ marks approximations\n"
                    "        derived from the sampling period or raw sample counts, as the\n"
                    "        profile does not record its errors (see heapprof(1))\n", f);
        break;
    default:
        (void)fputs("Errors: ? = unknown: the profile records no error information and no\n"
                    "        sampling period to derive it from\n", f);
    }
}

bool report_processes(profile *const *p, size_t n, const char *what)
{
    const profile *first = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!p[i]->run)
            continue;
        if (!first) {
            first = p[i];
        } else if (p[i]->run != first->run) {
            diag_error("note: %s and %s were written by different processes (their run ids "
                       "differ: two runs, processes of other pid namespaces with the same pid and "
                       "prefix, a fork child, or an exec); %s", first->path, p[i]->path, what);
            return true;
        }
    }
    return false;
}

bool report_at_exit(const profile *p)
{
    /* "heapprof 0.1.0 pid=N reason=exit seq=N" (src/dump.c) */
    return p->ncomments && !strncmp(p->comments[0], "heapprof ", 9) &&
           strstr(p->comments[0], " reason=exit ");
}

void report_time_order(profile *const *p, size_t n, size_t *order)
{
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    /* Insertion sort: stable, and linear on files given in time order, as
     * a glob of a series' names gives them. */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && p[order[j - 1]]->time_nanos > p[order[j]]->time_nanos; j--) {
            size_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
}

void report_quote(char *buf, size_t len, const char *s)
{
    size_t at = 0;
    int plain = *s != '\0';
    for (const char *c = s; *c; c++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+=:,@",
                    *c))
            plain = 0;
    if (plain) {
        snprintf(buf, len, "%s", s);
        return;
    }
    if (len < 3) {
        if (len)
            buf[0] = '\0';
        return;
    }
    buf[at++] = '\'';
    for (const char *c = s; *c && at + 6 < len; c++) {
        if (*c == '\'') {
            memcpy(buf + at, "'\\''", 4);
            at += 4;
        } else {
            buf[at++] = *c;
        }
    }
    buf[at++] = '\'';
    buf[at] = '\0';
}

int report_age_opt(report_ages *a, int c, const char *arg)
{
    bool min = c == 'a';
    const char *flag = min ? "--min-age" : "--max-age";
    if (args_duration(flag, arg, min ? &a->range.min : &a->range.max))
        return DIAG_USAGE;
    *(min ? &a->min_arg : &a->max_arg) = arg;
    a->on = true;
    return DIAG_OK;
}

int report_age_args(const report_ages *a)
{
    double lo, hi;
    age_range_edges(&a->range, &lo, &hi);
    char last[32];
    age_short(last, sizeof last, age_bounds[AGE_NBOUNDS - 1]);
    if (isinf(lo))
        return diag_usage("--min-age %s: past the start of the oldest age band (%s); "
                          "older ages are not told apart", a->min_arg, last);
    if (hi <= lo && a->min_arg)
        return diag_usage("--min-age %s --max-age %s: no whole age band lies between them",
                          a->min_arg, a->max_arg);
    if (hi <= lo)
        return diag_usage("--max-age %s: no whole age band is younger (the youngest holds "
                          "objects 0 to 1s old)", a->max_arg);
    return DIAG_OK;
}

int report_age_view(const profile *p, size_t t, const report_ages *a, age_view *v)
{
    const char *flag = a->min_arg ? "--min-age" : "--max-age";
    if (!strncmp(p->type_name[t], "alloc_", 6))
        return diag_usage("%s counts live objects by age; %s counts everything allocated since "
                          "the start, freed or not, which has no age: use --type inuse_space or "
                          "inuse_objects", flag, p->type_name[t]);
    /* Nothing live has no ages, and needs none: an empty view, an empty
     * answer, as top's "Total: 0" is.  A value below 0 (a delta profile's)
     * is something that would have had one. */
    bool any = false;
    for (size_t i = 0; i < p->nsamples && !any; i++)
        any = p->samples[i].values[t] != 0;
    if (!p->naged && any) {
        report_no_ages(p);
        return DIAG_FAIL;
    }
    if (!p->naged)
        report_note_none_live(p, t);
    if (age_view_make(p, &a->range, t, v)) {
        diag_error("out of memory");
        return DIAG_FAIL;
    }
    return DIAG_OK;
}

int report_lifetime_opt(report_lifetimes *l, const char *arg)
{
    if (args_duration("--max-lifetime", arg, &l->within))
        return DIAG_USAGE;
    l->arg = arg;
    l->edge = lifetime_band_start(l->within);
    if (l->edge <= 0)
        return diag_usage("--max-lifetime %s: no whole lifetime band is shorter (the shortest "
                          "holds objects freed within 1s of their allocation)", arg);
    return DIAG_OK;
}

int report_lifetime_args(const report_lifetimes *l, const report_ages *a, const char **type)
{
    if (!l->arg)
        return DIAG_OK;
    if (a->on)
        return diag_usage("--max-lifetime reads freed objects (alloc_* values), --min-age and "
                          "--max-age live ones (inuse_*): one or the other");
    if (!*type)
        *type = "alloc_space";
    return DIAG_OK;
}

int report_lifetime_view(const profile *p, size_t t, const report_lifetimes *l, profile *v)
{
    if (strncmp(p->type_name[t], "alloc_", 6))
        return diag_usage("--max-lifetime counts allocations by how long their objects lived "
                          "before they were freed; %s counts objects still live, which have "
                          "no lifetime: use --type alloc_space or alloc_objects",
                          p->type_name[t]);
    if (!p->nlifetimes && ntags && !p->nsamples) {
        /* report_load said which --tag matched nothing */
        diag_error("%s: the --tag filter left no sample, so none to read by lifetime", p->path);
        return DIAG_FAIL;
    }
    if (!p->nlifetimes && ntags) {
        diag_error("%s: none of the %zu samples the --tag filter kept has a \"lifetime\" label "
                   "(none of their objects was seen freed, or the profile records no lifetimes)",
                   p->path, p->nsamples);
        return DIAG_FAIL;
    }
    if (!p->nlifetimes) {
        diag_error("%s: no sample has a \"lifetime\" label: nothing in it was seen freed, or "
                   "its producer does not record how long freed objects lived (heapprof's "
                   "delta profiles (?seconds=), older heapprof versions, Go heap profiles and "
                   "other producers' do not)", p->path);
        return DIAG_FAIL;
    }
    if (lifetime_view_make(p, l->edge, v)) {
        diag_error("out of memory");
        return DIAG_FAIL;
    }
    return DIAG_OK;
}

/* Appends to b[*at] (truncated at len), as snprintf formats it. */
static void append(char *b, size_t len, size_t *at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void append(char *b, size_t len, size_t *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b + *at, *at < len ? len - *at : 0, fmt, ap);
    va_end(ap);
    *at += n > 0 ? (size_t)n : 0;
}

/* One character of a glob, literal, as RE2 reads it (in a class, or out
 * of one).  pprof cuts a -tagfocus at its first '=' (a key before it) and
 * its regexps at commas before it compiles them, so those two are hex. */
static void append_literal(char *b, size_t len, size_t *at, char c, bool in_class)
{
    if (c == ',' || c == '=')
        append(b, len, at, "\\x%02x", c);
    else if (strchr(in_class ? "\\[]^-" : "\\.+*?()|[]{}^$", c))
        append(b, len, at, "\\%c", c);
    else
        append(b, len, at, "%c", c);
}

/* The length of the UTF-8 character at s, 0 when it is not one RE2 takes
 * (a stray byte, an overlong form, a surrogate, past U+10FFFF) or is
 * U+FFFD, which RE2 also matches for each invalid byte of a value. */
static size_t utf8_char(const unsigned char *s)
{
    size_t n = s[0] >= 0xf8 ? 0 : s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
    unsigned cp = s[0] & (0x7f >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    bool shortest = n == 2 || (n == 3 && cp >= 0x800) || (n == 4 && cp >= 0x10000);
    return n && shortest && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff) && cp != 0xfffd ? n
                                                                                            : 0;
}

/* One member of a bracket expression at *c (a character, \-escaped or
 * not), into *m, *c moved past it; false for what is not one (a [: [. or
 * [= form, a byte past ASCII, a \ ending the glob). */
static bool bracket_char(const char **c, char *m)
{
    const char *s = *c;
    if (*s == '\\')
        s++;
    if (!*s || (unsigned char)*s >= 0x80 || (s == *c && *s == '[' && strchr(":.=", s[1])))
        return false;
    *m = *s;
    *c = s + 1;
    return true;
}

/* Glob g, as heapprof's fnmatch(g, value, 0) reads it in the C locale
 * (glibc: * ? [...] [!...] [^...] [:class:] and \ escapes, in a bracket
 * too), as an RE2 regexp that matches the same values, appended to
 * b[*at]; *dot when it has a '.' (written with (?s), so that it matches
 * any character, as fnmatch's * and ? do), *one_byte when it has a ? or
 * [!...] (one byte to fnmatch, one UTF-8 character to RE2).  NULL, or why it cannot be written: what
 * RE2 has no equivalent of, what fnmatch reads in ways this does not
 * follow (an unclosed '['), and a '\' ending g (which fnmatch matches
 * with nothing). */
static const char *glob_regexp(char *b, size_t len, size_t *at, const char *g, bool *dot,
                               bool *one_byte)
{
    static const char *const classes[] = {"alnum", "alpha", "blank", "cntrl", "digit", "graph",
                                          "lower", "print", "punct", "space", "upper", "xdigit"};
    for (const char *c = g; *c; c++) {
        size_t n;
        if (*c == '*' || *c == '?') {
            append(b, len, at, "%s", *c == '*' ? ".*" : ".");
            *dot = true;
            *one_byte = *one_byte || *c == '?';
            continue;
        }
        bool escaped = *c == '\\';
        if (escaped && !c[1])
            return "it ends in a lone '\\', which matches nothing";
        c += escaped;
        if ((unsigned char)*c >= 0x80 && (n = utf8_char((const unsigned char *)c))) {
            append(b, len, at, "%.*s", (int)n, c);
            c += n - 1;
            continue;
        }
        if ((unsigned char)*c >= 0x80)
            return "it is not UTF-8, which pprof's regexps want";
        if (*c != '[' || escaped) {
            append_literal(b, len, at, *c, false);
            continue;
        }
        /* A bracket: its first member may be ']'; '!' (or '^', unless
         * POSIXLY_CORRECT is set) negates it; a '-' between two members
         * is a range, first or last a member. */
        bool negated = c[1] == '!' || (c[1] == '^' && !getenv("POSIXLY_CORRECT"));
        const char *m = c + 1 + negated;
        append(b, len, at, "[%s", negated ? "^" : "");
        *one_byte = *one_byte || negated;
        do {
            char lo, hi;
            const char *end;
            if (!*m)
                return "it has a '[' with no ']' to close it";
            if (m[0] == '[' && m[1] == ':') {
                size_t i = 0, k = strspn(m + 2, "abcdefghijklmnopqrstuvwxyz");
                while (i < sizeof classes / sizeof classes[0] &&
                       (strlen(classes[i]) != k || strncmp(classes[i], m + 2, k)))
                    i++;
                if (i == sizeof classes / sizeof classes[0] || strncmp(m + 2 + k, ":]", 2))
                    return "a [:class:] in it is not one both fnmatch and pprof know";
                if (m[k + 4] == '-' && m[k + 5] != ']')
                    return "a [:class:] in it starts a range";
                append(b, len, at, "[:%s:]", classes[i]);
                m += k + 4;
                continue;
            }
            if (!bracket_char(&m, &lo))
                return *m == '[' ? "pprof's regexps have no [. or [= in a bracket"
                       : *m == '\\' && !m[1] ? "it ends in a lone '\\', which matches nothing"
                                            : "a bracket in it holds a byte past ASCII";
            append_literal(b, len, at, lo, true);
            if (*m != '-' || m[1] == ']')
                continue;
            end = m + 1;
            if (!bracket_char(&end, &hi) || hi < lo)
                return "a range in a bracket in it is not one pprof's regexps take";
            append(b, len, at, "-");
            append_literal(b, len, at, hi, true);
            m = end;
        } while (*m != ']');
        append(b, len, at, "]");
        c = m;
    }
    return NULL;
}

/* The --tag filter as one pprof -tagfocus value, in b: KEY=^(RE|RE)$ for
 * one key (its globs are alternatives); for several, pprof's form
 * without a key, ^KEY:(RE|RE)$,... of which every one must match a
 * label's "KEY:value".  (?s) before a regexp with a '.'.  0 without --tag,
 * 1 when written, -1 when it does not fit in len, -2 when pprof would not
 * keep the samples --tag keeps (*why says why, of the --tag *which, or of
 * them all when *which is ntags). */
static int tag_focus(char *b, size_t len, const profile *p, const char **why, size_t *which)
{
    size_t at = 0;
    bool one_key = true, key_colon, value_wide, control;
    b[0] = '\0';
    *which = ntags;
    profile_read_label_bytes(p, &key_colon, &value_wide, &control);
    if (control) {
        /* --tag matched the '?' profile_read shows for it */
        *why = "a label of the profile holds a control character, which --tag reads as '?' "
               "and pprof as itself";
        return -2;
    }
    for (size_t i = 0; i < ntags; i++)
        one_key = one_key && !strcmp(tag_keyp[i], tag_keyp[0]);
    if (!one_key && key_colon) {
        *why = "a label key of the profile holds a ':', which makes pprof's \"KEY:value\" "
               "ambiguous";
        return -2;
    }
    for (size_t i = 0; i < ntags; i++) {
        size_t first = 0, rat = 0; /* the first --tag of a key writes all of its globs */
        char re[2048];
        bool dot = false, one_byte = false;
        while (strcmp(tag_keyp[first], tag_keyp[i]))
            first++;
        if (first < i)
            continue;
        if (!one_key) { /* the key, in a regexp: UTF-8 (else RE2 reads U+FFFD) */
            append(re, sizeof re, &rat, "^");
            for (const char *c = tag_keyp[i]; *c; c++) {
                size_t n = (unsigned char)*c < 0x80 ? 1 : utf8_char((const unsigned char *)c);
                if (!n) {
                    *which = i;
                    *why = "its key is not UTF-8, which pprof's regexps want";
                    return -2;
                }
                if (n > 1)
                    append(re, sizeof re, &rat, "%.*s", (int)n, c);
                else
                    append_literal(re, sizeof re, &rat, *c, false);
                c += n - 1;
            }
            append(re, sizeof re, &rat, ":");
        }
        append(re, sizeof re, &rat, "%s(", one_key ? "^" : "");
        for (size_t j = i; j < ntags; j++)
            if (!strcmp(tag_keyp[j], tag_keyp[i])) {
                append(re, sizeof re, &rat, "%s", j > i ? "|" : "");
                *which = j;
                if ((*why = glob_regexp(re, sizeof re, &rat, tag_globs[j], &dot, &one_byte)))
                    return -2;
            }
        append(re, sizeof re, &rat, ")$");
        if (one_byte && value_wide) {
            *which = ntags;
            *why = "a label value holds bytes past ASCII: a ? or [!...] matches one byte of "
                   "it, where pprof's regexps match one UTF-8 character";
            return -2;
        }
        if (rat >= sizeof re)
            return -1;
        if (one_key)
            append(b, len, &at, "%s=", tag_keyp[i]);
        append(b, len, &at, "%s%s%s", i ? "," : "", dot ? "(?s)" : "", re);
    }
    return !ntags ? 0 : at < len ? 1 : -1;
}

/* The profile's count of sampled frees left out of the lifetime bands
 * (src/dump.c: "lifetimes_lost=N" on its dropped_samples comment). */
static unsigned long long lifetimes_lost(const profile *p)
{
    for (size_t i = 0; i < p->ncomments; i++) {
        const char *c = strstr(p->comments[i], " lifetimes_lost=");
        if (!strncmp(p->comments[i], "dropped_samples ", 16) && c)
            return strtoull(c + 16, NULL, 10);
    }
    return 0;
}

void report_lifetime_lines(FILE *f, const profile *p, size_t t, const report_lifetimes *l,
                           bool lines)
{
    char e[32], b[32], q[4200], tags[2048], tq[4 * sizeof tags + 3];
    age_short(e, sizeof e, l->edge);
    (void)fprintf(f, "Lifetimes: allocations whose objects were freed less than %s after they were\n"
                     "      made (temporary allocations; objects still live are left out): the\n"
                     "      lifetime band%s", e, l->edge > lifetime_bounds[1] ? "s" : "");
    for (size_t i = 0; i < LIFETIME_NBOUNDS && lifetime_bounds[i] < l->edge; i++) {
        char from[32], to[32];
        age_short(from, sizeof from, lifetime_bounds[i]);
        age_short(to, sizeof to, lifetime_band_end(lifetime_bounds[i]));
        if (i == 0)
            (void)fprintf(f, " under %s", to);
        else
            (void)fprintf(f, ", %s to %s", from, to);
    }
    (void)fputs("\n", f);
    /* The last band has no end: a DUR past its start leaves it out too. */
    age_short(b, sizeof b, lifetime_band_end(l->within));
    if (l->edge != l->within && isinf(lifetime_band_end(l->within)))
        (void)fprintf(f, "      (--max-lifetime %s falls inside the last lifetime band, %s or more, "
                         "which has no\n      end and is left out: only whole bands count)\n",
                      l->arg, e);
    else if (l->edge != l->within)
        (void)fprintf(f, "      (--max-lifetime %s falls inside the lifetime band %s to %s, which "
                         "is left out:\n      only whole bands count)\n", l->arg, e, b);
    unsigned long long lost = lifetimes_lost(p);
    if (lost)
        (void)fprintf(f, "      (%llu sampled free%s left out of the bands: the profiler had no "
                         "room to count %s)\n", lost, lost == 1 ? " is" : "s are",
                      lost == 1 ? "its lifetime" : "their lifetimes");
    /* pprof's tag ranges are inclusive and compare the label, a band's
     * start: the last band in range starts at the bound below the edge.
     * It takes one -tagfocus, so --tag is a first pprof run's. */
    report_quote(q, sizeof q, p->path);
    const char *why = NULL;
    size_t which;
    int tagged = tag_focus(tags, sizeof tags, p, &why, &which);
    if (tagged == -1) {
        (void)fputs("      (the --tag patterns are too long to show as a pprof -tagfocus)\n", f);
        return;
    }
    if (tagged < 0 && which < ntags) {
        /* A -tagfocus that keeps other samples is worse than none. */
        /* its KEY=PATTERN argument: the pattern follows the '=' in it */
        report_quote(tq, sizeof tq, tag_globs[which] - strlen(tag_keyp[which]) - 1);
        (void)fprintf(f, "      (--tag %s cannot be shown as a pprof -tagfocus: %s)\n", tq, why);
        return;
    }
    if (tagged < 0) {
        (void)fprintf(f, "      (the --tag patterns cannot be shown as a pprof -tagfocus: %s)\n",
                      why);
        return;
    }
    if (tagged) {
        report_quote(tq, sizeof tq, tags);
        (void)fprintf(f, "      the same in pprof: go tool pprof -proto -tagfocus %s %s >tagged.pb.gz\n"
                         "                         then ", tq, q);
        snprintf(q, sizeof q, "tagged.pb.gz");
    } else {
        (void)fputs("      the same in pprof: ", f);
    }
    (void)fprintf(f, "go tool pprof -sample_index=%s -tagfocus lifetime=:%.0fs%s %s\n",
                  p->type_name[t], lifetime_band_start(l->edge - 0.5), lines ? " -lines" : "", q);
}

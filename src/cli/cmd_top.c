/*
 * cmd_top.c - `heapprof top FILE`: the heaviest functions (flat and
 * cumulative, like `pprof -top`) or whole stacks of one profile, each with
 * the standard error of its estimate.
 *
 * Data: a stackset of one profile.  By function, rows are keyed by a single
 * frame name (a function's, or with --lines a source line's: profile_read.h)
 * with two cells: flat (samples whose leaf it is) and cum
 * (samples it appears in anywhere, counted once per sample however often it
 * recurses: a row's stamp is the last sample index + 1 that counted).  By
 * stack, rows are keyed by the whole stack with one cell.  A cell's
 * variance is the sum of its samples' variances (their estimates are
 * independent), so the row's ± is its square root.
 *
 * Differences: a profile that `go tool pprof -proto -base` wrote holds the
 * base's samples negated, so values may be negative and the net total near
 * 0.  As pprof -top does, rows are ranked by magnitude and shares are of
 * the sum of the samples' absolute values (with no negative value, that is
 * the total); a share keeps its row's sign.
 */
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "age.h"
#include "args.h"
#include "commands.h"
#include "diag.h"
#include "report.h"
#include "stackset.h"
#include "units.h"
#include "wrappers.h"

typedef struct top_opts {
    const char *type;
    uint64_t n;
    bool by_stack, raw, cum;
    bool by_site;         /* --by site: rows are allocation sites (wrappers.h), as in ages */
    bool lines;           /* --lines: frames are source lines, "func file:line" */
    report_ages ages;     /* --min-age, --max-age */
    report_lifetimes lifetimes; /* --max-lifetime */
} top_opts;

/* Sorting needs to know which cell to compare. */
static const stackset *sort_set;
static size_t sort_cell;
static long sort_other; /* tie-breaking cell, -1: none */

void cmd_top_usage(FILE *f)
{
    (void)fputs(
        "Usage: heapprof top FILE [--type TYPE] [-n N] [--by function|stack|site|tag:KEY]\n"
        "                         [--cum] [--raw] [--lines] [--tag KEY=PAT] [--min-age DUR]\n"
        "                         [--max-age DUR] [--max-lifetime DUR] [--wrapper GLOB]\n"
        "\n"
        "Show the heaviest functions of a profile (gzipped or plain pprof, written by\n"
        "heapprof or any other producer, e.g. a Go heap profile).\n"
        "\n"
        "Options:\n"
        "  --type TYPE   the sample type: inuse_space (heapprof's default), inuse_objects,\n"
        "                alloc_space, alloc_objects, or any type the profile has\n"
        "                (default: the profile's default type)\n"
        "  -n N          show the N heaviest rows (default 20; 0 = all)\n"
        "  --by function rows are functions: flat = allocated by the function itself\n"
        "                (it is the stack's leaf), cum = by it and what it calls\n"
        "                (default)\n"
        "  --by stack    rows are whole call stacks, leaf first (\"a ← b\": a called by b)\n"
        "  --by site     rows are allocation sites: the leaf function past allocator\n"
        "                wrappers (malloc, operator new, std::, Rust's alloc::,\n"
        "                CPython's PyObject_Malloc, ...), its caller, and the wrapper it\n"
        "                called, \"site ← caller (via wrapper)\"; --wrapper GLOB adds a\n"
        "                program's own allocators (repeatable)\n"
        "  --by tag:KEY  rows are the values of the sample label KEY (--by tag:thread,\n"
        "                --by tag:component): what each thread pool or component holds;\n"
        "                \"(no KEY label)\" for samples without one\n"
        "  --cum         sort functions by cum instead of flat\n"
        "  --raw         plain numbers (bytes, counts) without unit scaling, exact\n"
        "  --lines       rows are source lines, \"func file:line\" (as go tool pprof\n"
        "                -top -lines): a function that allocates at two lines is two\n"
        "                rows; with --by stack, each frame is a line.  The file is the\n"
        "                path the profile holds, cleaned as pprof cleans it; a frame\n"
        "                with neither file nor line keeps its function's name\n"
        "                (the lines the profile left to pprof are read from the\n"
        "                binaries on this machine of its build-ids, as pprof reads\n"
        "                them; HEAPPROF_LOCAL_LINES=off reads none)\n"
        "  --tag KEY=PAT only samples whose label KEY matches the shell pattern PAT\n"
        "                (--tag thread=io-*, --tag component=parser; each KEY must\n"
        "                match one of its PATs), against the whole value with * ?\n"
        "                [...], where go tool pprof -tagfocus takes a regexp\n"
        "  --min-age DUR only live objects at least DUR old (heapprof profiles record\n"
        "                each stack's live objects by age band); DUR is a number and\n"
        "                a unit s, m, h or d: 90s, 10m, 2h, 1d\n"
        "  --max-age DUR only live objects younger than DUR\n"
        "  --max-lifetime DUR\n"
        "                temporary allocations: only objects freed less than DUR after\n"
        "                their allocation (heapprof profiles record each stack's freed\n"
        "                objects by lifetime band); the type is then alloc_space unless\n"
        "                --type alloc_objects is given\n"
        "  -h, --help    this help\n"
        "\n"
        "Ages: heapprof writes a stack's live objects as one sample per age band, from\n"
        "0, 1, 2, 5, 10, 20, 30 s, 1, 2, 5, 10, 20, 30 min, 1, 2, 3, 6, 12 h, 1, 2, 4,\n"
        "7, 14, 28, 56, 112 days old (label age, the band's start in seconds).  A DUR\n"
        "inside a band is rounded to its edges, so that only objects in range count:\n"
        "--min-age 90s counts from 2m (as go tool pprof -tagfocus age=90s: does), and a\n"
        "line says so.  Ages are of live objects: with --type alloc_space or\n"
        "alloc_objects (everything allocated, freed or not) they are refused.  See also\n"
        "heapprof ages.\n"
        "\n", f);
    (void)fputs(
        "Lifetimes: heapprof writes the allocations of a stack whose objects were freed\n"
        "as one sample per lifetime band: freed under 1 s, 1 s to 10 s, 10 s to 1 min,\n"
        "1 to 10 min, 10 min to 1 h, 1 h or more after their allocation (label lifetime,\n"
        "the band's start in seconds; seconds of a coarse clock, so \"under 1 s\" is\n"
        "freed within the same second).  --max-lifetime 1s shows the allocations freed\n"
        "under 1 s, 10s those under 10 s; a DUR inside a band counts up to its start.\n"
        "\n"
        "Columns: value, ±, its share of the total, the running sum of shares.  A\n"
        "difference (go tool pprof -proto -base writes one) holds negative values: its\n"
        "rows are ranked by magnitude and their shares are of the sum of the absolute\n"
        "values, as in pprof.  ± is the standard error of the estimate: heapprof\n"
        "samples allocations, and each sample of its profiles carries the error of its\n"
        "values (labels *_sd); a row adds the variances of its samples.  Exact\n"
        "profiles (HEAPPROF_SAMPLE=1) show 0.\n"
        "For profiles without error labels (Go's, other producers') ± is derived and\n"
        "marked ~: from a raw sample count label (value / sqrt(count)) or, for heap\n"
        "profiles with a sampling period P, from Poisson sampling (an object of average\n"
        "size a is sampled with probability 1 - exp(-a/P)); \"?\" when neither exists.\n", f);
}

/* Larger magnitude first (see the top), then the positive of two equal. */
static int cmp_values(double x, double y)
{
    if (fabs(x) != fabs(y))
        return fabs(x) > fabs(y) ? -1 : 1;
    return x > y ? -1 : x < y;
}

static int cmp_rows(const void *a, const void *b)
{
    stackset_row *x = *(stackset_row *const *)a, *y = *(stackset_row *const *)b;
    int c = cmp_values(stackset_cell_at(sort_set, x, 0, sort_cell)->val,
                       stackset_cell_at(sort_set, y, 0, sort_cell)->val);
    if (c)
        return c;
    if (sort_other >= 0 &&
        (c = cmp_values(stackset_cell_at(sort_set, x, 0, (size_t)sort_other)->val,
                        stackset_cell_at(sort_set, y, 0, (size_t)sort_other)->val)))
        return c;
    for (size_t i = 0; i < x->nframes && i < y->nframes; i++)
        if ((c = strcmp(x->frames[i], y->frames[i])))
            return c;
    return x->nframes < y->nframes ? -1 : x->nframes > y->nframes;
}

static stackset_row **sorted(const stackset *s, size_t cell, long other)
{
    size_t n = stackset_count(s);
    stackset_row **v = malloc((n + 1) * sizeof *v);
    if (!v)
        return NULL;
    for (size_t i = 0; i < n; i++)
        v[i] = stackset_get(s, i);
    sort_set = s;
    sort_cell = cell;
    sort_other = other;
    qsort(v, n, sizeof *v, cmp_rows);
    return v;
}

/* Moves the rows that hold something of the type (a value, or a variance:
 * a difference's stack may net to 0 with an error) to the front of rows[n],
 * in their order, and returns how many there are.  The others are left
 * out, as pprof -top leaves out nodes of 0: an inuse type's stacks that
 * allocated and freed everything would otherwise fill the list with rows
 * of 0 (a program that frees all at exit: every row), and "Showing N of M"
 * would count them where the Total line does not. */
static size_t keep_nonzero(const stackset *s, stackset_row **rows, size_t n, size_t ncells)
{
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        bool any = false;
        for (size_t k = 0; k < ncells && !any; k++) {
            const stackset_cell *c = stackset_cell_at(s, rows[i], 0, k);
            any = c->val != 0 || c->var != 0;
        }
        if (any)
            rows[kept++] = rows[i];
    }
    return kept;
}

static const char *const no_stack[] = {"(no stack)"};

/* Function rows: cell 0 flat, cell 1 cum. */
static int aggregate_functions(stackset *s, const profile *p, size_t t)
{
    for (size_t i = 0; i < p->nsamples; i++) {
        const profile_sample *smp = &p->samples[i];
        const char *const *f = smp->nframes ? smp->frames : no_stack;
        const namehash *h = smp->nframes ? smp->hashes : NULL; /* NULL: hashed by the set */
        size_t n = smp->nframes ? smp->nframes : 1;
        int64_t v = smp->values[t];
        double var = smp->var[t];
        stackset_row *r = stackset_row_hashed(s, f, h, 1);
        if (!r)
            return -1;
        stackset_cell_add_int(stackset_cell_at(s, r, 0, 0), v, var, smp->sd[t]);
        for (size_t k = 0; k < n; k++) {
            if (!(r = stackset_row_hashed(s, &f[k], h ? &h[k] : NULL, 1)))
                return -1;
            if (r->stamp == i + 1)
                continue; /* recursion: once per sample */
            r->stamp = i + 1;
            stackset_cell_add_int(stackset_cell_at(s, r, 0, 1), v, var, smp->sd[t]);
        }
    }
    return 0;
}

/* A --by stack row's frames, leaf first, joined by arrows ("(no stack)"
 * when it has none), and a newline. */
static void print_stack(const stackset_row *r)
{
    if (!r->nframes)
        (void)fputs("(no stack)", stdout);
    for (size_t k = 0; k < r->nframes; k++)
        printf("%s%s", k ? " \xe2\x86\x90 " : "", r->frames[k]);
    putchar('\n');
}

/* A band that the given DUR falls inside, [a, b), left out. */
static void print_cut(const char *flag, const char *arg, double a, double b)
{
    char x[32], y[32];
    age_short(x, sizeof x, a);
    age_short(y, sizeof y, b);
    printf("      (%s %s falls inside the age band %s to %s, which is left out:\n"
           "      only whole bands count)\n", flag, arg, x, y);
}

/* The age range in force, and the same selection in pprof. */
static void print_ages(const profile *p, size_t t, const top_opts *o)
{
    double lo, hi;
    age_range_edges(&o->ages.range, &lo, &hi);
    char a[32], b[32], q[4200];
    age_short(a, sizeof a, lo);
    age_short(b, sizeof b, hi);
    if (isinf(hi) && lo == 0)
        printf("Ages: live objects of any age (the samples with an age)\n");
    else if (isinf(hi))
        printf("Ages: live objects at least %s old\n", a);
    else if (lo > 0)
        printf("Ages: live objects at least %s and less than %s old\n", a, b);
    else
        printf("Ages: live objects less than %s old\n", b);
    const report_ages *g = &o->ages;
    if (g->min_arg && lo != g->range.min)
        print_cut("--min-age", g->min_arg, age_band_start(g->range.min), lo);
    if (g->max_arg && hi != g->range.max)
        print_cut("--max-age", g->max_arg, hi, age_band_end(g->range.max));
    /* pprof's tag ranges are inclusive and compare the label, a band's
     * start: the last band in range starts at the bound below hi. */
    char from[32] = "", to[32] = "";
    if (lo > 0 || isinf(hi))
        snprintf(from, sizeof from, "%.0fs", lo);
    if (!isinf(hi))
        snprintf(to, sizeof to, "%.0fs", age_band_start(hi - 0.5));
    report_quote(q, sizeof q, p->path);
    printf("      the same in pprof: go tool pprof -sample_index=%s -tagfocus age=%s:%s%s %s\n",
           p->type_name[t], from, to, o->lines ? " -lines" : "", q);
}

/* How many distinct whole stacks hold a value of type t: the count the
 * "Total" line gives.  Not the profile's samples: heapprof writes one sample
 * per age band of a stack's live objects, so a stack may be several samples
 * (and a delta profile's stack may be a sample of 0).  by_stack: the set
 * show() built already, keyed by whole stacks with type t in cell 0; NULL
 * builds one.  -1 when out of memory. */
static long stacks_with_value(stackset *by_stack, const profile *p, size_t t)
{
    stackset *s = by_stack ? by_stack : stackset_new(1, 1);
    long types[1] = {(long)t};
    if (!s || (!by_stack && stackset_add_profile(s, 0, p, types, STACKSET_STACK))) {
        if (s != by_stack)
            stackset_free(s);
        return -1;
    }
    long n = 0;
    for (size_t i = 0; i < stackset_count(s); i++) {
        const stackset_cell *c = stackset_cell_at(s, stackset_get(s, i), 0, 0);
        n += c->val != 0 || c->var != 0;
    }
    if (s != by_stack)
        stackset_free(s);
    return n;
}

static int show(const profile *p, size_t t, const top_opts *o)
{
    const char *unit = p->type_unit[t];
    bool one_cell = o->by_stack || o->by_site; /* a value per row, no flat and cum */
    size_t ncells = one_cell ? 1 : 2;
    stackset *s = stackset_new(1, ncells);
    long types[1] = {(long)t};
    int err = !s;
    if (!err)
        err = one_cell ? stackset_add_profile(s, 0, p, types,
                                              o->by_site ? STACKSET_SITE : STACKSET_STACK)
                       : aggregate_functions(s, p, t);
    size_t key = o->cum && !one_cell ? 1 : 0;
    stackset_row **rows = err ? NULL : sorted(s, key, one_cell ? -1 : (long)(1 - key));
    if (!rows) {
        stackset_free(s);
        diag_error("out of memory");
        return DIAG_FAIL;
    }
    double total = 0, total_var = 0, whole = 0; /* whole: what shares are of (see the top) */
    int64_t exact = 0; /* total, for --raw past 2^53 (stackset.h) */
    bool negative = false, inexact = false;
    for (size_t i = 0; i < p->nsamples; i++) {
        double v = (double)p->samples[i].values[t];
        inexact = inexact || __builtin_add_overflow(exact, p->samples[i].values[t], &exact);
        total += v;
        whole += fabs(v);
        negative = negative || v < 0;
        total_var += p->samples[i].var[t];
    }
    /* Under --by tag each "stack" is one label value: no count of stacks. */
    const char *tag = report_by_tag();
    long nstacks = tag ? 0 : stacks_with_value(o->by_stack ? s : NULL, p, t);
    if (nstacks < 0) {
        free(rows);
        stackset_free(s);
        diag_error("out of memory");
        return DIAG_FAIL;
    }
    unsigned worst = report_sd_worst(p, t);
    size_t n = keep_nonzero(s, rows, stackset_count(s), ncells);
    size_t shown = o->n && o->n < n ? (size_t)o->n : n;
    char a[64], b[64], c[64], when[64];
    units_value_exact(a, sizeof a, total, inexact ? NULL : &exact, unit, o->raw);
    units_sd(b, sizeof b, total_var, worst, unit, o->raw);
    report_time(when, sizeof when, (long long)p->time_nanos);
    printf("File: %s\nType: %s (%s)\nTime: %s\n", p->path, p->type_name[t], *unit ? unit : "-",
           when);
    if (o->ages.on)
        print_ages(p, t, o);
    if (o->lifetimes.arg)
        report_lifetime_lines(stdout, p, t, &o->lifetimes, o->lines);
    report_sampling(stdout, p, worst);
    if (tag)
        printf("Total: %s ± %s\n", a, b);
    else
        printf("Total: %s ± %s in %ld stack%s\n", a, b, nstacks, nstacks == 1 ? "" : "s");
    if (negative) {
        units_value(a, sizeof a, whole, unit, o->raw);
        printf("Shares: of %s, the sum of the absolute values (as in pprof): negative values\n"
               "        make this profile a difference (go tool pprof -proto -base writes one)\n",
               a);
    }
    if (tag) {
        printf("Showing %zu of %zu values of label %s\n\n", shown, n, tag);
        printf("%10s %10s %6s %6s  %s\n", "value", "±", "%", "sum%", "label");
    } else if (o->by_site) {
        printf("Showing %zu of %zu sites\n\n", shown, n);
        printf("%10s %10s %6s %6s  %s\n", "value", "±", "%", "sum%", "allocation site (← caller)");
    } else if (o->by_stack) {
        printf("Showing %zu of %zu stacks\n\n", shown, n);
        printf("%10s %10s %6s %6s  %s\n", "value", "±", "%", "sum%", "stack (leaf first)");
    } else {
        printf("Showing %zu of %zu %s\n\n", shown, n, p->lines ? "source lines" : "functions");
        printf("%10s %10s %6s %6s %10s %10s %6s  %s\n", "flat", "±", "flat%", "sum%", "cum", "±",
               "cum%", p->lines ? "function file:line" : "function");
    }
    double sum = 0;
    for (size_t i = 0; i < shown; i++) {
        stackset_row *r = rows[i];
        stackset_cell *f = stackset_cell_at(s, r, 0, 0);
        char pc[16], sp[16];
        sum += f->val;
        report_cell_value(a, sizeof a, f, unit, o->raw);
        units_sd(b, sizeof b, f->var, f->sd, unit, o->raw);
        units_percent(pc, sizeof pc, f->val, whole);
        units_percent(sp, sizeof sp, sum, whole);
        printf("%10s %9s %6s %6s ", a, b, pc, sp);
        if (o->by_site) {
            char site[1024];
            stackset_site_name(site, sizeof site, r->frames, r->nframes);
            printf(" %s\n", site);
            continue;
        }
        if (o->by_stack) {
            putchar(' ');
            print_stack(r);
            continue;
        }
        stackset_cell *cu = stackset_cell_at(s, r, 0, 1);
        report_cell_value(a, sizeof a, cu, unit, o->raw);
        units_sd(b, sizeof b, cu->var, cu->sd, unit, o->raw);
        units_percent(c, sizeof c, cu->val, whole);
        printf("%10s %9s %6s  %s\n", a, b, c, r->frames[0]);
    }
    free(rows);
    stackset_free(s);
    return DIAG_OK; /* main checks that stdout was written */
}

/* show() over the samples of the age range, after checking that it means
 * something for this profile and type. */
static int show_aged(const profile *p, size_t t, const top_opts *o)
{
    age_view v;
    int r = report_age_view(p, t, &o->ages, &v);
    if (r != DIAG_OK)
        return r;
    r = show(&v.p, t, o);
    if (r == DIAG_OK && v.unaged) {
        char a[64];
        units_value(a, sizeof a, v.unaged_value, p->type_unit[t], o->raw);
        printf("\nNot counted: %s in %zu sample%s without an age label.\n", a, v.unaged,
               v.unaged == 1 ? "" : "s");
    }
    age_view_free(&v);
    return r;
}

/* show() over the allocations of objects freed within --max-lifetime. */
static int show_temporary(const profile *p, size_t t, const top_opts *o)
{
    profile v;
    int r = report_lifetime_view(p, t, &o->lifetimes, &v);
    if (r != DIAG_OK)
        return r;
    r = show(&v, t, o);
    lifetime_view_free(&v);
    return r;
}

int cmd_top_main(int argc, char **argv)
{
    static const struct option longs[] = {
        {"type", required_argument, NULL, 't'}, {"by", required_argument, NULL, 'b'},
        {"raw", no_argument, NULL, 'r'},        {"cum", no_argument, NULL, 'c'},
        {"min-age", required_argument, NULL, 'a'}, {"max-age", required_argument, NULL, 'A'},
        {"max-lifetime", required_argument, NULL, 'L'},
        {"tag", required_argument, NULL, 'g'},
        {"lines", no_argument, NULL, 'l'},      {"help", no_argument, NULL, 'h'},
        {"wrapper", required_argument, NULL, 'w'},
        {NULL, 0, NULL, 0},
    };
    top_opts o = {.n = 20, .ages = REPORT_AGES_NONE, .lifetimes = REPORT_LIFETIMES_NONE};
    int c;
    opterr = 0;
    optind = 1;
    while ((c = args_getopt(argc, argv, ":n:h", longs)) != -1) {
        switch (c) {
        case 't':
            o.type = optarg;
            break;
        case 'n':
            if (args_count("-n", optarg, 0, SIZE_MAX, &o.n))
                return DIAG_USAGE;
            break;
        case 'b': {
            int r = report_by_tag_opt(optarg);
            if (r == DIAG_USAGE)
                return r;
            if (r && strcmp(optarg, "function") && strcmp(optarg, "stack") &&
                strcmp(optarg, "site"))
                return diag_usage("--by '%s': use 'function', 'stack', 'site' or 'tag:KEY'",
                                  optarg);
            o.by_stack = !r || !strcmp(optarg, "stack");
            o.by_site = r && !strcmp(optarg, "site");
            break;
        }
        case 'r':
            o.raw = true;
            break;
        case 'c':
            o.cum = true;
            break;
        case 'g':
            if (report_tag_opt(optarg))
                return DIAG_USAGE;
            break;
        case 'l':
            o.lines = true;
            wrappers_lines();
            break;
        case 'w':
            if (wrappers_opt(optarg))
                return DIAG_USAGE;
            break;
        case 'a':
        case 'A':
            if (report_age_opt(&o.ages, c, optarg))
                return DIAG_USAGE;
            break;
        case 'L':
            if (report_lifetime_opt(&o.lifetimes, optarg))
                return DIAG_USAGE;
            break;
        case 'h':
            cmd_top_usage(stdout);
            return DIAG_OK;
        default:
            return args_getopt_error(c, argv, optind, optopt, longs);
        }
    }
    if (optind >= argc)
        return diag_usage("which profile? (heapprof top FILE)");
    if (argc - optind > 1)
        return diag_usage("one profile at a time (got '%s' and '%s'; to compare two, use "
                          "heapprof leaks)", argv[optind], argv[optind + 1]);
    if (o.ages.on && report_age_args(&o.ages) != DIAG_OK)
        return DIAG_USAGE;
    if (report_lifetime_args(&o.lifetimes, &o.ages, &o.type) != DIAG_OK)
        return DIAG_USAGE;
    profile *p = report_load(argv[optind], o.lines);
    if (!p)
        return DIAG_FAIL;
    long t = report_type(p, o.type);
    if (t >= 0 && !o.ages.on && !o.lifetimes.arg) /* their views say so in their own words */
        report_note_none_live(p, (size_t)t);
    int r = t < 0                ? DIAG_FAIL
          : o.ages.on          ? show_aged(p, (size_t)t, &o)
          : o.lifetimes.arg    ? show_temporary(p, (size_t)t, &o)
                               : show(p, (size_t)t, &o);
    profile_read_free(p);
    return r;
}

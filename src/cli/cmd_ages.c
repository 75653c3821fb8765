/*
 * cmd_ages.c - `heapprof ages FILE`: per allocation site, how old its live
 * bytes are, and a one-word reading of what that age mix suggests, leak
 * suspects first.
 *
 * Data: a stackset of one profile, keyed by allocation site (default),
 * allocating function or whole stack, with cells Z_YOUNG, Z_MID, Z_OLD (the
 * inuse_space of the row's samples in each age zone), C_LIVE (all of its
 * inuse_space, with samples that have no age) and C_OBJECTS.
 *
 * Zones are relative to the process's age T (the profile's duration: the
 * library's time since it started; at least the oldest age in the
 * profile).  They are made of whole age bands (age.h), so their edges are
 * band edges:
 *   young   younger than Y, the last edge at or below T/4: objects of the
 *           last quarter of the run or less;
 *   old     at least O old, the first edge at or above T/2, or the last
 *           edge at or below T when no edge lies between T/2 and T:
 *           objects of the first half of the run or less (the bands grow
 *           by at most 2.5 times, so at most its first 60%);
 *   middle  between them.
 * A site that has allocated at a steady rate since the start and freed
 * none has its live bytes spread evenly over [0, T]: Y/T, (O-Y)/T and
 * (T-O)/T of them in the three zones.
 *
 * Readings, from the zones' shares y, m, o of a row's live bytes (with
 * ages) and those steady shares ye, me, oe; the first that applies:
 *   few      the row's live bytes have a relative standard error above
 *            1/4 (fewer than about 16 samples): too few to say;
 *   startup  o >= 90%: allocated early and kept (start-up state);
 *   young    y >= 90%: a working set of short-lived objects;
 *   steady   every zone holds at least a third of its steady share: kept
 *            from every part of the run, what a leak looks like;
 *   stopped  y < ye/3: kept from earlier, hardly anything recent: grew,
 *            then stopped (a filled cache, a leak that ended);
 *   recent   o < oe/3: nothing much from the start: began later (a leak
 *            that started, or objects living a good part of the run);
 *   mixed    the rest (old and young, little between: start-up state
 *            plus a working set).
 * One profile cannot tell a leak from a long-lived working set: `heapprof
 * leaks` over a series can.  A reading named like a column ("young") means
 * that column holds most of the row; "stopped" was called "old", and a row
 * read so could show 0% in the old column.  Rows are ranked by reading, in
 * the order of the enum below (leak-like first), then by live bytes; "few"
 * after "-", whose rows, in a process too young for readings, are the ones
 * known well enough (a 64 KiB row of ± 45 KiB stood above one of 1.23 MiB).
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

enum { Z_YOUNG, Z_MID, Z_OLD, C_LIVE, C_OBJECTS, NCELLS };

enum reading {
    R_STEADY, R_RECENT, R_STOPPED, R_MIXED, R_STARTUP, R_YOUNG, R_NONE, R_FEW, R_NOAGE, NREADINGS
};

static const char *const reading_name[NREADINGS] = {
    "steady", "recent", "stopped", "mixed", "startup", "young", "-", "few", "no-age"};
static const char *const reading_help[NREADINGS] = {
    "live bytes from every part of the run, as a leak at a steady rate leaves them",
    "little from the first part of the run: began later (a leak that started, or\n"
    "         objects that live a good part of the run)",
    "hardly anything recent: kept from earlier, then stopped (a filled cache, a\n"
    "         leak that ended)",
    "old and young, little between (start-up state plus a working set)",
    "allocated in the first part of the run and kept: start-up state",
    "only recent objects: a working set",
    "the process is too young for readings",
    "too few samples to tell (± above a quarter of the live bytes)",
    "its samples have no age label",
};

/* Below these, a row or a process is not read. */
#define MIN_REL_SD 0.25
#define MIN_PROCESS_S 20.0
#define MOST_SHARE 0.9

enum ages_by { BY_SITE, BY_FUNCTION, BY_STACK };

typedef struct ages_opts {
    uint64_t n;
    enum ages_by by;
    bool raw;
    bool lines; /* --lines: frames are source lines, "func file:line" */
} ages_opts;

/* The zones of one profile: edges and steady shares (see the top). */
typedef struct zones {
    double T, Y, O;
    double expect[3];
    bool from_duration; /* T is the profile's duration (else the oldest age) */
} zones;

typedef struct aged_row {
    stackset_row *row;
    enum reading r;
    double live;
} aged_row;

void cmd_ages_usage(FILE *f)
{
    (void)fputs("Usage: heapprof ages FILE [-n N] [--by site|function|stack|tag:KEY] [--raw]\n"
          "                          [--lines] [--tag KEY=PAT]\n"
          "\n"
          "For each allocation site of a heapprof profile, how old its live bytes\n"
          "(inuse_space) are, and what that suggests, leak suspects first.  heapprof\n"
          "records each stack's live objects by age band (label age); Go heap profiles,\n"
          "delta profiles (?seconds=) and older heapprof versions do not.\n"
          "\n"
          "Columns, relative to the process's age T (the profile's duration, the time\n"
          "since heapprof started), made of whole age bands:\n"
          "  young   younger than the last band edge at or below T/4\n"
          "  old     at least the first band edge at or past T/2 old (the last edge\n"
          "          below T if none): the first half of the run or less\n"
          "  middle  between them\n"
          "each as a share of the row's live bytes.  A site that has allocated at a\n"
          "steady rate since the start and kept everything has its bytes spread evenly\n"
          "over the run's length; the header shows the shares that gives each column.\n"
          "\n"
          "Readings (the first that applies):\n"
          "  few      too few samples: ± above a quarter of the live bytes\n"
          "  startup  at least 90% old: start-up state\n"
          "  young    at least 90% young: a working set\n"
          "  steady   every column at least a third of its steady share: kept from\n"
          "           every part of the run, what a leak looks like\n"
          "  stopped  young below a third of its steady share: kept from earlier, then\n"
          "           stopped (a filled cache, a leak that ended)\n"
          "  recent   old below a third of its steady share: began later\n"
          "  mixed    the rest: old and young with little between\n"
          "  -        the process ran less than 20 s: no readings\n"
          "Rows are ranked steady, recent, stopped, mixed, startup, young, -, few, then by\n"
          "live bytes.  One profile cannot tell a leak from objects that live long: confirm\n"
          "with heapprof leaks over a series of profiles.  heapprof top --min-age DUR\n"
          "shows the live bytes of a given age and older.\n"
          "\n"
          "Options:\n"
          "  -n N          show the first N rows (default 20; 0 = all)\n"
          "  --by site     rows are allocation sites: the leaf function past allocator\n"
          "                wrappers (malloc, operator new, ...), its caller, and the\n"
          "                wrapper it called, as \"(via strdup)\" (default)\n"
          "  --by function rows are the allocating functions alone\n"
          "  --by stack    rows are whole call stacks, leaf first\n"
          "  --by tag:KEY  rows are the values of the sample label KEY (--by tag:thread,\n"
          "                --by tag:component)\n"
          "  --raw         plain numbers (bytes) without unit scaling\n"
          "  --lines       frames are source lines, \"func file:line\" (as go tool pprof\n"
          "                -lines): a function that allocates at two lines is two sites;\n"
          "                a frame with neither file nor line keeps its function's name\n"
          "                (the lines the profile left to pprof are read from the\n"
          "                binaries on this machine of its build-ids, as pprof reads\n"
          "                them; HEAPPROF_LOCAL_LINES=off reads none)\n"
          "  --tag KEY=PAT only samples whose label KEY matches the shell pattern PAT\n"
          "                (--tag thread=io-*; each KEY must match one of its PATs)\n"
          "  --wrapper GLOB functions matching the shell pattern GLOB allocate for their\n"
          "                caller too (a program's own allocators: arena_alloc, 'pool_*';\n"
          "                repeatable), as malloc, operator new, std::, Rust's alloc::,\n"
          "                CPython's PyObject_Malloc ... do: the site is past them\n"
          "  -h, --help    this help\n", f);
}

static void zones_for(const profile *p, size_t space, zones *z)
{
    double oldest = 0;
    for (size_t i = 0; i < p->nsamples; i++)
        if (p->samples[i].age >= 0 && p->samples[i].values[space])
            oldest = fmax(oldest, p->samples[i].age);
    double dur = (double)p->duration_nanos / 1e9;
    z->from_duration = dur >= oldest && dur > 0;
    z->T = z->from_duration ? dur : oldest;
    z->Y = age_band_start(z->T / 4);
    z->O = age_bound_at_or_above(z->T / 2);
    if (z->O > z->T)
        z->O = age_band_start(z->T);
    double T = z->T > 0 ? z->T : 1;
    z->expect[Z_YOUNG] = z->Y / T;
    z->expect[Z_MID] = (z->O - z->Y) / T;
    z->expect[Z_OLD] = (T - z->O) / T;
}

static int zone_of(const zones *z, double age)
{
    if (age_band_end(age) <= z->Y)
        return Z_YOUNG;
    return age >= z->O ? Z_OLD : Z_MID;
}

/* A sample's row key into *f, *n, *h (its frames' hashes, or NULL);
 * site: room for a site's key, which is no run of the stack. */
static void row_key(const profile_sample *s, const ages_opts *o, stackset_site *site,
                    const char *const **f, const namehash **h, size_t *n)
{
    *f = s->frames;
    *h = s->hashes;
    *n = s->nframes;
    if (o->by == BY_STACK)
        return;
    if (o->by == BY_SITE) {
        stackset_site_key(site, *f, *h, s->funcs, s->kinds, *n); /* as timeline and top name and key sites */
        *f = site->frames;
        *h = *h ? site->hashes : NULL;
        *n = site->n;
        return;
    }
    size_t skip = wrappers_skip(*f, *n, s->kinds);
    *f += skip;
    *h = *h ? *h + skip : NULL;
    *n = *n - skip > 1 ? 1 : *n - skip;
}

static int aggregate(stackset *s, const profile *p, long space, long objects, const zones *z,
                     const ages_opts *o)
{
    for (size_t i = 0; i < p->nsamples; i++) {
        const profile_sample *smp = &p->samples[i];
        int64_t v = smp->values[space];
        if (v == 0)
            continue;
        stackset_site site;
        const char *const *f;
        const namehash *h;
        size_t n;
        row_key(smp, o, &site, &f, &h, &n);
        stackset_row *r = stackset_row_hashed(s, f, h, n);
        if (!r)
            return -1;
        stackset_cell_add_int(stackset_cell_at(s, r, 0, C_LIVE), v, smp->var[space],
                              smp->sd[space]);
        if (objects >= 0)
            stackset_cell_add_int(stackset_cell_at(s, r, 0, C_OBJECTS), smp->values[objects],
                                  smp->var[objects], smp->sd[objects]);
        if (smp->age >= 0)
            stackset_cell_add_int(stackset_cell_at(s, r, 0, (size_t)zone_of(z, smp->age)), v,
                                  smp->var[space], smp->sd[space]);
    }
    return 0;
}

/* The reading of one row (see the top). */
static enum reading read_row(const stackset *s, stackset_row *r, const zones *z)
{
    stackset_cell *live = stackset_cell_at(s, r, 0, C_LIVE);
    double share[3], aged = 0;
    for (int k = 0; k < 3; k++)
        aged += stackset_cell_at(s, r, 0, (size_t)k)->val;
    if (!(aged > 0))
        return R_NOAGE;
    if (live->sd != PROFILE_SD_EXACT && live->sd != PROFILE_SD_UNKNOWN &&
        sqrt(live->var) > MIN_REL_SD * live->val)
        return R_FEW;
    if (z->T < MIN_PROCESS_S)
        return R_NONE;
    for (int k = 0; k < 3; k++)
        share[k] = stackset_cell_at(s, r, 0, (size_t)k)->val / aged;
    if (share[Z_OLD] >= MOST_SHARE)
        return R_STARTUP;
    if (share[Z_YOUNG] >= MOST_SHARE)
        return R_YOUNG;
    bool low[3];
    for (int k = 0; k < 3; k++)
        low[k] = share[k] < z->expect[k] / 3;
    if (!low[Z_YOUNG] && !low[Z_MID] && !low[Z_OLD])
        return R_STEADY;
    if (low[Z_YOUNG])
        return R_STOPPED;
    if (low[Z_OLD])
        return R_RECENT;
    return R_MIXED;
}

static int cmp_aged(const void *a, const void *b)
{
    const aged_row *x = a, *y = b;
    if (x->r != y->r)
        return x->r < y->r ? -1 : 1;
    if (x->live != y->live)
        return x->live > y->live ? -1 : 1;
    for (size_t i = 0; i < x->row->nframes && i < y->row->nframes; i++) {
        int c = strcmp(x->row->frames[i], y->row->frames[i]);
        if (c)
            return c;
    }
    return x->row->nframes < y->row->nframes ? -1 : x->row->nframes > y->row->nframes;
}

static void print_key(const stackset_row *r, const ages_opts *o)
{
    if (o->by != BY_STACK) {
        char site[1024];
        stackset_site_name(site, sizeof site, r->frames, r->nframes);
        printf("%s\n", site);
        return;
    }
    if (!r->nframes)
        (void)fputs("(no stack)", stdout);
    for (size_t k = 0; k < r->nframes; k++)
        printf("%s%s", k ? " \xe2\x86\x90 " : "", r->frames[k]);
    putchar('\n');
}

static void header(const profile *p, size_t space, const zones *z, const stackset *s,
                   const ages_opts *o)
{
    char a[64], b[64], c[64], when[64];
    report_time(when, sizeof when, (long long)p->time_nanos);
    printf("File: %s\nTime: %s\n", p->path, when);
    if (z->from_duration) {
        units_seconds(a, sizeof a, z->T);
        printf("Process age: %s (the profile's duration)\n", a);
    } else {
        age_short(a, sizeof a, z->T);
        printf("Process age: unknown (the profile has %s); taken as %s,\n"
               "             the start of the oldest age band with live objects\n",
               p->duration_nanos > 0 ? "a duration shorter than its oldest objects"
                                     : "no duration",
               a);
    }
    unsigned worst = report_sd_worst(p, space);
    report_sampling(stdout, p, worst);
    stackset_cell live = {0}, old = {0}, aged = {0}; /* their integer sums (--raw) */
    for (size_t i = 0; i < stackset_count(s); i++) {
        stackset_row *r = stackset_get(s, i);
        stackset_cell_add_cell(&live, stackset_cell_at(s, r, 0, C_LIVE));
        stackset_cell_add_cell(&old, stackset_cell_at(s, r, 0, Z_OLD));
        for (int k = 0; k < 3; k++)
            stackset_cell_add_cell(&aged, stackset_cell_at(s, r, 0, (size_t)k));
    }
    char y[32], m[32];
    age_short(y, sizeof y, z->Y);
    age_short(m, sizeof m, z->O);
    report_cell_value(a, sizeof a, &live, "bytes", o->raw);
    units_sd(b, sizeof b, live.var, worst, "bytes", o->raw);
    report_cell_value(c, sizeof c, &old, "bytes", o->raw);
    printf("Live: %s ± %s, of which %s at least %s old\n", a, b, c, m);
    if (stackset_cell_cmp(&live, &aged) > 0) {
        report_cell_diff(a, sizeof a, &live, &aged, "bytes", o->raw);
        printf("      (%s of it in samples without an age label: in no column)\n", a);
    }
    /* A process younger than 4 s has no band edge at or below T/4, and one
     * under 1 s none below T/2 either: those zones are empty, and "young
     * < 0s" would read as a bound. */
    char yz[48] = "young none", mz[80] = "middle none";
    if (z->Y > 0)
        snprintf(yz, sizeof yz, "young < %s", y);
    if (z->O > z->Y)
        snprintf(mz, sizeof mz, "middle %s to %s", y, m);
    printf("Columns: %s, %s, old >= %s; a steady rate since the\n"
           "start would put %.0f%%, %.0f%% and %.0f%% of a site's live bytes in them\n",
           yz, mz, m, 100 * z->expect[Z_YOUNG], 100 * z->expect[Z_MID], 100 * z->expect[Z_OLD]);
}

static void table(const stackset *s, aged_row *v, size_t m, const ages_opts *o)
{
    static const char *const what[] = {"sites", "functions", "stacks"};
    size_t shown = o->n && o->n < m ? (size_t)o->n : m;
    const char *tag = report_by_tag();
    if (tag)
        printf("Showing %zu of %zu values of label %s with live bytes\n\n", shown, m, tag);
    else
        printf("Showing %zu of %zu %s with live bytes\n\n", shown, m, what[o->by]);
    if (!shown) /* nothing live: no table */
        return;
    printf("%4s %-8s %10s %10s %6s %6s %6s  %s\n", "rank", "reading", "live", "±", "young",
           "middle", "old",
           tag ? "label" : o->by == BY_STACK ? "stack (leaf first)" : "allocation site (← caller)");
    bool seen[NREADINGS] = {false};
    for (size_t i = 0; i < shown; i++) {
        stackset_row *r = v[i].row;
        stackset_cell *live = stackset_cell_at(s, r, 0, C_LIVE);
        char a[64], b[64], pct[3][16];
        double aged = 0;
        for (int k = 0; k < 3; k++)
            aged += stackset_cell_at(s, r, 0, (size_t)k)->val;
        for (int k = 0; k < 3; k++) {
            double part = stackset_cell_at(s, r, 0, (size_t)k)->val;
            if (aged > 0)
                snprintf(pct[k], sizeof pct[k], "%.0f%%", 100 * part / aged);
            else
                snprintf(pct[k], sizeof pct[k], "-");
        }
        report_cell_value(a, sizeof a, live, "bytes", o->raw);
        units_sd(b, sizeof b, live->var, live->sd, "bytes", o->raw);
        printf("%4zu %-8s %10s %9s %6s %6s %6s  ", i + 1, reading_name[v[i].r], a, b, pct[0],
               pct[1], pct[2]);
        print_key(r, o);
        seen[v[i].r] = true;
    }
    printf("\n");
    for (int k = 0; k < NREADINGS; k++)
        if (seen[k])
            printf("%-8s %s\n", reading_name[k], reading_help[k]);
}

static int run(const profile *p, const ages_opts *o)
{
    long space = report_type(p, "inuse_space");
    if (space < 0 || !report_whole(p, (size_t)space, "heapprof ages"))
        return DIAG_FAIL;
    /* Nothing live is an empty table, an answer as top's "Total: 0" is;
     * live bytes without ages cannot be read. */
    bool any = report_any_live(p, (size_t)space);
    if (!p->naged && any) {
        report_no_ages(p);
        return DIAG_FAIL;
    }
    if (!any)
        report_note_none_live(p, (size_t)space);
    zones z;
    zones_for(p, (size_t)space, &z);
    stackset *s = stackset_new(1, NCELLS);
    aged_row *v = NULL;
    int err = !s || aggregate(s, p, space, profile_read_type(p, "inuse_objects"), &z, o);
    size_t n = err ? 0 : stackset_count(s), m = 0;
    if (!err && !(v = malloc((n + 1) * sizeof *v)))
        err = 1;
    if (err) {
        free(v);
        stackset_free(s);
        diag_error("out of memory");
        return DIAG_FAIL;
    }
    for (size_t i = 0; i < n; i++) {
        stackset_row *r = stackset_get(s, i);
        double live = stackset_cell_at(s, r, 0, C_LIVE)->val;
        if (live > 0)
            v[m++] = (aged_row){r, read_row(s, r, &z), live};
    }
    qsort(v, m, sizeof *v, cmp_aged);
    header(p, (size_t)space, &z, s, o);
    if (z.T < MIN_PROCESS_S && m)
        printf("The process ran less than %.0f s: too young for readings.\n", MIN_PROCESS_S);
    table(s, v, m, o);
    free(v);
    stackset_free(s);
    return DIAG_OK; /* main checks that stdout was written */
}

int cmd_ages_main(int argc, char **argv)
{
    static const struct option longs[] = {
        {"by", required_argument, NULL, 'b'},
        {"raw", no_argument, NULL, 'r'},
        {"tag", required_argument, NULL, 'g'},
        {"lines", no_argument, NULL, 'l'},
        {"wrapper", required_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    ages_opts o = {20, BY_SITE, false, false};
    int c, rt;
    opterr = 0;
    optind = 1;
    while ((c = args_getopt(argc, argv, ":n:h", longs)) != -1) {
        switch (c) {
        case 'n':
            if (args_count("-n", optarg, 0, SIZE_MAX, &o.n))
                return DIAG_USAGE;
            break;
        case 'b':
            /* Called for every --by, so that the last one counts. */
            if ((rt = report_by_tag_opt(optarg)) == DIAG_USAGE)
                return rt;
            if (!strcmp(optarg, "site"))
                o.by = BY_SITE;
            else if (!strcmp(optarg, "function"))
                o.by = BY_FUNCTION;
            else if (!strcmp(optarg, "stack") || rt == 0) /* tag: one frame, its value */
                o.by = BY_STACK;
            else
                return diag_usage("--by '%s': use 'site', 'function', 'stack' or 'tag:KEY'",
                                  optarg);
            break;
        case 'r':
            o.raw = true;
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
        case 'h':
            cmd_ages_usage(stdout);
            return DIAG_OK;
        default:
            return args_getopt_error(c, argv, optind, optopt, longs);
        }
    }
    if (optind >= argc)
        return diag_usage("which profile? (heapprof ages FILE)");
    if (argc - optind > 1)
        return diag_usage("one profile at a time (got '%s' and '%s')", argv[optind],
                          argv[optind + 1]);
    profile *p = report_load(argv[optind], o.lines);
    if (!p)
        return DIAG_FAIL;
    int r = run(p, &o);
    profile_read_free(p);
    return r;
}

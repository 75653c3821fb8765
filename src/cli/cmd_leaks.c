/*
 * cmd_leaks.c - `heapprof leaks EARLY LATE` and `heapprof leaks F1 F2 F3...`:
 * which allocation stacks (or sites: --by site) hold more live memory later
 * than earlier.
 *
 * Data: the profiles are read one at a time into one stackset (rows keyed
 * by the whole stack's function names, so profiles of different processes
 * line up; the set owns its keys, and each profile's samples are freed
 * once added, but the first's and the last's: load_all).  With --by site
 * a row is an allocation site, keyed and named as top --by site, ages and
 * timeline key and name theirs (stackset_site_key): once the stacks are
 * read and born_split has split and bounded each stack's last bytes, each
 * stack row is added to its site's row (stackset_add_sites), cell by cell,
 * so that the growth, its error, the rate and a series' class are read
 * from the site's summed series by the same arithmetic (a site whose
 * stacks are a working set and a leak is whatever their sum is), and its
 * new and old are its stacks' sums.  Those are not bounded on the sum:
 * birth_bound's bounds hold object by object, so stack by stack, and a
 * site's sum can be tightest where none of its stacks is (a stack with
 * nothing early and one that shrank leave the sum's early bytes above
 * what either can keep): bounded on the sum, a site's old was looser,
 * and the header's totals changed with the rows' key.  So --by site
 * holds the stack rows too (the memory of --by stack, and the site rows
 * besides).  --stacks is refused there: a site row is many stacks, and
 * the frames it would list, its key (wrapper, site, caller), are none of
 * them.  Its cells are what the report reads, no
 * more: per profile, inuse_space (C_SPACE, required), alloc_space
 * (C_ALLOC, for born_split's bounds), and for two profiles only, whose
 * rows show them, inuse_objects (C_OBJECTS, optional: "?" in a profile
 * without it, not 0 objects); per row, the split of the
 * last profile's bytes (R_NEW and the others below).  So a series of 500
 * profiles of 10k stacks holds 240 MB of cells (it held 840 MB with all
 * seven per profile).  A row's series is v_i +- sigma_i, i
 * the profile's position (the given order for two files; for a series,
 * sorted by time stamp when every profile has one).
 *
 * Significance: a change from v_i to v_j is significant when
 *   |v_j - v_i| > 2 * sqrt(sigma_i^2 + sigma_j^2)
 * (about 95% confidence; every nonzero change when the variances are 0:
 * exact mode, or unknown).
 *
 * Series classes (n >= 3, baseline v_0, last v_L, peak v_P the highest
 * value (first of equals), low point v_B the lowest (last of equals), mid
 * v_M the profile between B and L nearest in time to the middle of their
 * span (the first of two as near; by position, M = B + floor((L-B)/2) for
 * evenly spaced profiles, without time stamps, or where that one has the
 * time of B or L)), tried in this order:
 *   working set v_P significantly above v_0, and v_L significantly below v_P:
 *               went up, and had come back down at the end.  A dip before
 *               the rise does not count: what rose to its peak at the end
 *               is growing, not a working set (10, 8, 30, 50 is a leak).
 *   leak        v_L significantly above v_0 (so, not a working set, within
 *               error of its peak), and v_L still significantly above v_M:
 *               it kept growing in the second half of its growth from the
 *               low point (B = 0 unless it dipped first).
 *   plateau     as a leak, but no significant growth from v_M to v_L, AND
 *               its rate (per second, from M to L) significantly below the
 *               first half's (from B to M): filled once, then held (a
 *               cache, a table).  Without that last test a slow or noisy
 *               leak, whose second-half growth is merely not yet
 *               significant, would be called a plateau; it stays a leak.
 *               By time, not by position: the series HEAPPROF_KEEP leaves
 *               (the first profile, then the newest N, close together)
 *               put the middle profile near the end, and a steady leak,
 *               which grew as much per second there as before, read as
 *               having slowed down: most of its growth fell in the long
 *               "first half".
 *   shrank      some v_j significantly below an earlier value, and v_P not
 *               significantly above v_0 (fell without rising first)
 *   stable      none of the above (not listed)
 *
 * Born since the first profile or before it: when the last profile
 * records object ages (a heapprof profile) and both it and the first have
 * time stamps, the last later, each row's live bytes in the last profile
 * are split into R_NEW, allocated after the first profile was taken, and
 * R_OLD, allocated before it and still live (the row's fixed cells;
 * samples without an age go into neither).  A leak's growth is new bytes
 * that stay; old bytes that stay are start-up or long-lived state.  An
 * age band that straddles the first profile's time is split in proportion
 * to the overlap of its birth interval (birth.h: exact when the edge, D
 * seconds before the last profile, is a band bound; else only objects
 * between D/2.5 and 2.5 D old can be misplaced); the header says how many
 * bytes that split.  Then the split is bounded by what the series knows
 * (birth_bound's rule, for profiles of one process): old objects live at
 * the last profile were live in every profile, new ones were allocated
 * between the first and the last (alloc_space grew by at least that).
 * That undoes what the even-births assumption gets wrong when a band is
 * much wider than the series (all of a series taken within a second sits
 * in the band [0, 1 s)).
 *
 * How sure the split is: sampling, and the straddling bands.  Each row
 * shows its standard error in the last profile (C_SPACE's variance, as the
 * growth column reads it): new and old are parts of that estimate, and
 * heapprof's estimate of a set of objects sums one independent term per
 * object, so a part's variance is at most the whole's.  Then R_OLD_MIN and
 * R_OLD_MAX, old as it would be were every straddling band wholly newer
 * than the first profile, or wholly older (birth_credit's BIRTH_NEWEST and
 * BIRTH_OLDEST), bounded like the estimate: with two cohorts the bound is a
 * clamp of old, which keeps order, so the truth, which obeys it, lies
 * between them.  The columns go after the numbers, before the site, which
 * stays last as it holds spaces; without ages the output is as before.
 */
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "birth.h"
#include "commands.h"
#include "diag.h"
#include "report.h"
#include "stackset.h"
#include "units.h"
#include "wrappers.h"

/* Cells per profile (C_OBJECTS for two profiles only: see the top), and
 * the fixed cells of a row. */
enum { C_SPACE, C_ALLOC, C_OBJECTS, NCELLS };
enum { R_NEW, R_OLD, R_OLD_MIN, R_OLD_MAX, NFIXED };

enum klass { K_LEAK, K_PLATEAU, K_WORKING, K_SHRANK, K_STABLE, NCLASSES };

static const char *const class_name[NCLASSES] = {"leak", "plateau", "working set", "shrank",
                                                 "stable"};
static const char *const class_help[NCLASSES] = {
    "grew: ended at its highest, still growing in the second half",
    "grew, then held: ended at its highest, but stopped growing in the second half",
    "went up, then came back down by the end",
    "fell below the baseline without rising first",
    "no significant change",
};

typedef struct leaks_opts {
    uint64_t n;
    bool raw, stacks;
    bool by_site; /* --by site: rows are allocation sites (see the top) */
    bool lines; /* --lines: stacks of source lines, "func file:line" */
    bool born;  /* the new/old columns (set by run: see the top) */
} leaks_opts;

/* The split of the last profile's live bytes (see the top). */
typedef struct born_totals {
    double fresh, old, split;
    double old_min, old_max; /* old, every straddling band all newer, all older */
    double var;              /* of the last profile's live bytes, and its provenance */
    unsigned sd;
    bool bounded; /* by the series: its profiles are of one process (birth.h) */
} born_totals;

typedef struct ranked {
    stackset_row *row;
    double key;
    enum klass k;
} ranked;

void cmd_leaks_usage(FILE *f)
{
    (void)fputs("Usage: heapprof leaks EARLY LATE [-n N] [--stacks] [--raw] [--lines]\n"
                "       heapprof leaks F1 F2 F3 ... [-n N] [--stacks] [--raw] [--lines]\n"
                "       (and --tag KEY=PAT, --by stack|site|tag:KEY, --wrapper GLOB)\n"
                "\n"
                "Two profiles: the call stacks whose live bytes (inuse_space) grew from EARLY\n"
                "to LATE, largest growth first, with the growth's standard error (±, the root\n"
                "of the sum of both estimates' variances), the growth per second (from the\n"
                "profiles' time stamps), live objects before and after (? for a profile\n"
                "without inuse_objects), and the allocation site: the leaf function past\n"
                "allocator wrappers (malloc, operator new, strdup, std::... functions, ...)\n"
                "and its caller, \"site ← caller\".  Stacks are matched by their function\n"
                "names, so the profiles may come from different runs.\n"
                "\n"
                "A single difference cannot tell a leak from a working set that happened to be\n"
                "high when LATE was taken.  Given three or more profiles (sorted by time stamp;\n"
                "the earliest is the baseline), each stack is classified.  A change between two\n"
                "profiles is significant when it exceeds twice its standard error\n"
                "(2 sqrt(sd1^2 + sd2^2); any change at all when the errors are 0 (exact\n"
                "profiles) or unknown (\"?\")):\n"
                "  working set  rose significantly above the baseline, and the last profile is\n"
                "               significantly below that peak (a dip before the rise does not\n"
                "               make one)\n"
                "  leak         last significantly above the baseline, not a working set, and\n"
                "               still significantly growing in the second half of its growth\n"
                "               (from the profile nearest in time to the middle between its\n"
                "               lowest point and the last)\n"
                "  plateau      as a leak, but no significant growth in the second half, and\n"
                "               significantly slower growth (per second) there than in the\n"
                "               first half\n"
                "  shrank       fell significantly, never rising significantly first\n"
                "Stable stacks are not listed.  A program that frees its data on the way out\n"
                "(perl, python, C++ destructors) shows its leaks as working sets in its exit\n"
                "profile (a note says so): leave that one out of the series.\n"
                "\n"
                "When the last profile records object ages (heapprof's do: label age) and\n"
                "both it and the first have time stamps, each row also splits its live bytes\n"
                "in the last profile into new (allocated after the first profile was taken)\n"
                "and old (allocated before it and still live).  A leak's growth is new bytes\n"
                "that stay live.  An age band of the last profile that straddles the first\n"
                "one's time is split in proportion to the overlap (as if its objects were\n"
                "born evenly over it); the header says how many bytes that was.  For\n"
                "profiles of one process the split is then bounded by the series; profiles\n"
                "whose start times (time stamp less duration) differ are not, and the header\n"
                "says so.  Two more columns say how sure the split is: ± is the row's standard\n"
                "error in the last profile (new and old are parts of it), and old range the\n"
                "least and the most old can be: every straddling age band all newer than the\n"
                "first profile, or all older, bounded the same way (lo..hi, one number when\n"
                "the bounds place every byte); new is the rest of the row's aged bytes.\n"
                "\n",
                f);
    (void)fputs("Options:\n"
                "  -n N        rows shown (per class for a series; default 10; 0 = all)\n"
                "  --stacks    also print each row's whole stack, leaf first (rows of\n"
                "              stacks only: not with --by site)\n"
                "  --raw       plain numbers (bytes, counts) without unit scaling; the columns\n"
                "              are as shown, new, old, ± and old range (when there) last\n"
                "              before the site; a rate under 100 bytes per second has three\n"
                "              significant digits (0.356/s)\n"
                "  --lines     stacks of source lines: frames are \"func file:line\" (as\n"
                "              go tool pprof -lines), so a function that allocates at two\n"
                "              lines is two sites; stacks then match across profiles only\n"
                "              where the lines do (the same build).  A frame with neither\n"
                "              file nor line keeps its function's name\n"
                "              (the lines the profile left to pprof are read from the\n"
                "              binaries on this machine of its build-ids, as pprof reads\n"
                "              them; HEAPPROF_LOCAL_LINES=off reads none)\n",
                f);
    (void)fputs("  --tag KEY=PAT only samples whose label KEY matches the shell pattern\n"
                "              PAT (thread=io-*; each KEY must match one of its PATs)\n"
                "  --by site   rows are allocation sites, not stacks: each site's stacks\n"
                "              (reached through other callers further down, or another\n"
                "              wrapper frame) summed in each profile, then ranked and\n"
                "              classified by the sum, one row per \"site ← caller (via\n"
                "              wrapper)\", as in top --by site, ages and timeline; not\n"
                "              with --stacks (a row is many stacks: leave --by site out\n"
                "              to list them)\n"
                "  --by stack  rows are whole stacks (the default), so one site reached\n"
                "              through two stacks is two rows of one name\n"
                "  --by tag:KEY rows are the values of the sample label KEY, not stacks\n"
                "              (--by tag:thread, --by tag:component): which thread pool\n"
                "              or component grew (of several --by, the last counts)\n"
                "  --wrapper GLOB functions matching the shell pattern GLOB allocate for\n"
                "              their caller too (a program's own allocators: arena_alloc,\n"
                "              'pool_*'; repeatable), as malloc, operator new, std::, Rust's\n"
                "              alloc::, CPython's PyObject_Malloc ... do: the site is past them\n"
                "  -h, --help  this help\n"
                "\n"
                "It ends with the equivalent `go tool pprof -top -base EARLY LATE` command.\n", f);
}

static double sig2(const stackset *s, stackset_row *r, size_t i, size_t j)
{
    double v = stackset_cell_at(s, r, i, C_SPACE)->var + stackset_cell_at(s, r, j, C_SPACE)->var;
    return 2 * sqrt(v);
}

static double val(const stackset *s, stackset_row *r, size_t i, size_t c)
{
    return stackset_cell_at(s, r, i, c)->val;
}

static double fixed(const stackset *s, stackset_row *r, size_t k)
{
    return stackset_fixed_at(s, r, k)->val;
}

/* Is the change from profile i to j significantly upward? */
static bool up(const stackset *s, stackset_row *r, size_t i, size_t j)
{
    double d = val(s, r, j, C_SPACE) - val(s, r, i, C_SPACE);
    return d > 0 && d > sig2(s, r, i, j);
}

/* Profile i's place in time: seconds since the first profile when every
 * one has a time stamp (load_all sorted them so), else its position. */
typedef struct {
    profile **p;
    bool timed;
} timeline;

static double at(const timeline *tl, size_t i)
{
    return tl->timed ? (double)(tl->p[i]->time_nanos - tl->p[0]->time_nanos) / 1e9 : (double)i;
}

/* The profile between low and last (exclusive, when there is one) nearest
 * in time to the middle of their span, the first of two as near. */
static size_t middle(const timeline *tl, size_t low, size_t last)
{
    if (last - low < 2)
        return low;
    double half = (at(tl, low) + at(tl, last)) / 2;
    size_t mid = low + 1;
    for (size_t j = low + 2; j < last; j++)
        if (fabs(at(tl, j) - half) < fabs(at(tl, mid) - half))
            mid = j;
    return mid;
}

static enum klass classify(const stackset *s, stackset_row *r, size_t n, const timeline *tl)
{
    size_t last = n - 1, peak = 0, low = 0;
    bool drop = false;
    for (size_t j = 1; j < n; j++) {
        if (up(s, r, j, peak)) /* the peak so far is significantly above v_j */
            drop = true;
        if (val(s, r, j, C_SPACE) > val(s, r, peak, C_SPACE))
            peak = j;
        if (val(s, r, j, C_SPACE) <= val(s, r, low, C_SPACE))
            low = j;
    }
    bool rose = up(s, r, 0, peak);
    if (rose && up(s, r, last, peak))
        return K_WORKING;
    if (up(s, r, 0, last)) {
        size_t mid = middle(tl, low, last);
        /* A middle at the time of an end (a profile given twice) leaves a
         * half of no time, whose rate cannot be compared: by position, as
         * without time stamps (every such plateau read as a leak). */
        const timeline pos = {tl->p, false};
        if (at(tl, mid) == at(tl, low) || at(tl, mid) == at(tl, last)) {
            tl = &pos;
            mid = middle(tl, low, last);
        }
        if (up(s, r, mid, last))
            return K_LEAK;
        double d1 = at(tl, mid) - at(tl, low), d2 = at(tl, last) - at(tl, mid);
        if (!(d1 > 0 && d2 > 0))
            return K_LEAK;
        /* (v_M - v_B)/d1 - (v_L - v_M)/d2: variance
         * var_M (1/d1 + 1/d2)^2 + var_B/d1^2 + var_L/d2^2 */
        double vb = val(s, r, low, C_SPACE), vm = val(s, r, mid, C_SPACE),
               vl = val(s, r, last, C_SPACE);
        double w = 1 / d1 + 1 / d2;
        double var = w * w * stackset_cell_at(s, r, mid, C_SPACE)->var +
                     stackset_cell_at(s, r, low, C_SPACE)->var / (d1 * d1) +
                     stackset_cell_at(s, r, last, C_SPACE)->var / (d2 * d2);
        double slowdown = (vm - vb) / d1 - (vl - vm) / d2;
        return slowdown > 0 && slowdown > 2 * sqrt(var) ? K_PLATEAU : K_LEAK;
    }
    return drop && !rose ? K_SHRANK : K_STABLE;
}

/* By class, then key, largest first; equal keys (exact profiles: two
 * stacks that grew by the same bytes) by their frames, leaf first, as top
 * and ages order theirs: not left to qsort, which need not be stable, nor
 * to the order the stacks were met in. */
static int cmp_ranked(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->k != y->k)
        return x->k < y->k ? -1 : 1;
    if (x->key != y->key)
        return x->key > y->key ? -1 : 1;
    const stackset_row *r = x->row, *q = y->row;
    for (size_t i = 0; i < r->nframes && i < q->nframes; i++) {
        int c = strcmp(r->frames[i], q->frames[i]);
        if (c)
            return c;
    }
    return r->nframes < q->nframes ? -1 : r->nframes > q->nframes;
}

static void fmt(char *buf, size_t len, double v, bool raw)
{
    units_value(buf, len, v, "bytes", raw);
}

/* fmt of a cell's sum, or of a's less b's (b not NULL), from the integer
 * sums while the cells keep them: --raw bytes past 2^53 to the last digit,
 * as top prints them. */
static void fmt_cells(char *buf, size_t len, const stackset_cell *a, const stackset_cell *b,
                      bool raw, bool sign)
{
    static const stackset_cell zero;
    char t[48];
    if (b)
        report_cell_diff(t, sizeof t, a, b, "bytes", raw);
    else
        report_cell_value(t, sizeof t, a, "bytes", raw);
    snprintf(buf, len, "%s%s", sign && stackset_cell_cmp(a, b ? b : &zero) > 0 ? "+" : "", t);
}

/* lo..hi, or one number when both print the same. */
static void range(char *buf, size_t len, double lo, double hi, bool raw)
{
    char a[48], b[48];
    fmt(a, sizeof a, lo, raw);
    fmt(b, sizeof b, hi, raw);
    if (strcmp(a, b))
        snprintf(buf, len, "%s..%s", a, b);
    else
        snprintf(buf, len, "%s", a);
}

/* Growth per second.  Under 100 B/s, three significant digits: whole bytes
 * would give a slow leak no rate at all (30 KiB a day is 0.356 B/s, which
 * printed as 0 B/s), in --raw too. */
static void rate(char *buf, size_t len, double growth, double dt, bool raw)
{
    if (!(dt > 0)) {
        snprintf(buf, len, "-");
        return;
    }
    char t[48];
    double r = growth / dt, a = fabs(r);
    if (a > 0 && a < 99.95) {
        int dec = a >= 9.995 ? 1 : a >= 0.9995 ? 2 : 2 - (int)floor(log10(a * 1.0005));
        snprintf(t, sizeof t, raw ? "%.*f" : "%.*f B", dec < 9 ? dec : 9, r);
    } else {
        units_value(t, sizeof t, r, "bytes", raw);
    }
    snprintf(buf, len, "%s/s", t);
}

/* A row's name: a stack's site, or a site key's (--by site), which names
 * itself as top --by site names its rows. */
static void print_site(const stackset *s, stackset_row *r, const leaks_opts *o)
{
    char site[1024];
    if (o->by_site)
        stackset_site_name(site, sizeof site, r->frames, r->nframes);
    else
        stackset_row_site_name(site, sizeof site, s, r);
    printf("%s\n", site);
    if (!o->stacks)
        return;
    for (size_t k = 0; k < r->nframes; k++)
        printf("%12s%s\n", "", r->frames[k]);
}

static double span_s(profile **p, size_t a, size_t b)
{
    if (p[a]->time_nanos <= 0 || p[b]->time_nanos <= 0)
        return NAN;
    return (double)(p[b]->time_nanos - p[a]->time_nanos) / 1e9;
}

static void header(profile **p, size_t n, const stackset *s, size_t nrows, const leaks_opts *o,
                   const born_totals *bt)
{
    char w[64], a[64], b[64], d[64], sd[64], r[112], span[64];
    stackset_cell t0 = {0}, t1 = {0};
    for (size_t i = 0; i < nrows; i++) {
        stackset_row *row = stackset_get(s, i);
        stackset_cell_add_cell(&t0, stackset_cell_at(s, row, 0, C_SPACE));
        stackset_cell_add_cell(&t1, stackset_cell_at(s, row, n - 1, C_SPACE));
    }
    double var = t0.var + t1.var;
    unsigned worst = t0.sd > t1.sd ? t0.sd : t1.sd;
    double dt = span_s(p, 0, n - 1);
    units_seconds(span, sizeof span, dt);
    for (size_t i = 0; i < n; i++) {
        report_time(w, sizeof w, (long long)p[i]->time_nanos);
        printf("%-9s %s (%s)\n", i == 0 ? (n == 2 ? "early:" : "baseline:") :
                                 i == n - 1 ? (n == 2 ? "late:" : "last:") : "",
               p[i]->path, w);
    }
    if (dt == dt)
        printf("Span: %s\n", span);
    /* One profile's sampling is described: the last sampled one.  The last
     * profile's own line, when it alone is exact ("so ± is 0"), would
     * contradict the ± of every row, which the sampled profiles' errors
     * make (leaks SAMPLED EXACT, as across two runs). */
    size_t desc = n - 1, nexact = 0;
    for (size_t i = 0; i < n; i++)
        nexact += p[i]->exact;
    for (size_t i = n; nexact < n && i-- > 0;)
        if (!p[i]->exact) {
            desc = i;
            break;
        }
    report_sampling(stdout, p[desc], worst);
    if (nexact && nexact < n)
        printf("Exact:  %zu of the %zu profiles recorded every allocation (their ± is 0)\n", nexact,
               n);
    fmt_cells(a, sizeof a, &t0, NULL, o->raw, false);
    fmt_cells(b, sizeof b, &t1, NULL, o->raw, false);
    fmt_cells(d, sizeof d, &t1, &t0, o->raw, true);
    units_sd(sd, sizeof sd, var, worst, "bytes", o->raw);
    rate(r, sizeof r, t1.val - t0.val, dt, o->raw);
    printf("Live heap: %s \xe2\x86\x92 %s (%s ± %s, %s)\n", a, b, d, sd, r);
    if (o->born) {
        fmt(a, sizeof a, bt->fresh, o->raw);
        fmt(b, sizeof b, bt->old, o->raw);
        fmt(d, sizeof d, bt->split, o->raw);
        units_sd(sd, sizeof sd, bt->var, bt->sd, "bytes", o->raw);
        range(r, sizeof r, bt->old_min, bt->old_max, o->raw);
        const char *first = n == 2 ? "early" : "first";
        printf("By age: %s of it allocated since the %s profile, %s before it (± %s)\n", a, first,
               b, sd);
        if (bt->split > 0)
            printf("        (%s of it in age bands that straddle the %s profile's time: split "
                   "by overlap%s; before it: %s)\n", d, first,
                   bt->bounded ? ", then bounded by the series" : "", r);
        if (!bt->bounded)
            printf("        (the profiles are not all of one process: their start times differ, "
                   "or are unknown; new and old are not bounded by the series)\n");
    }
    putchar('\n');
}

/* The new, old, ± and old range columns of a row, when shown: the last
 * numbers before the site. */
static void born_cols(char *buf, size_t len, const stackset *s, stackset_row *r, size_t last,
                      const leaks_opts *o)
{
    char a[48], b[48], e[48], g[112];
    if (!o->born) {
        buf[0] = '\0';
        return;
    }
    const stackset_cell *late = stackset_cell_at(s, r, last, C_SPACE);
    fmt(a, sizeof a, fixed(s, r, R_NEW), o->raw);
    fmt(b, sizeof b, fixed(s, r, R_OLD), o->raw);
    /* A part's error: heapprof's estimate of a set of objects sums independent
     * terms, one per object, so a part's variance is at most the whole's. */
    units_sd(e, sizeof e, late->var, late->sd, "bytes", o->raw);
    range(g, sizeof g, fixed(s, r, R_OLD_MIN), fixed(s, r, R_OLD_MAX), o->raw);
    snprintf(buf, len, " %10s %10s %9s %18s", a, b, e, g);
}

/* Their heading ("±" is one column in two bytes). */
static const char *born_head(const leaks_opts *o)
{
    return o->born ? "        new        old         ±          old range" : "";
}

static void born_legend(size_t n, const leaks_opts *o)
{
    if (!o->born)
        return;
    const char *late = n == 2 ? "late" : "last", *first = n == 2 ? "early" : "first";
    printf("\nnew, old: of its %s live bytes, allocated after, before the %s profile; a leak's "
           "growth is new bytes that stay\n"
           "±: their sampling error, the standard error of its %s live bytes, which they split "
           "(a part's is at most the whole's)\n"
           "old range: the least and the most old can be, every age band that straddles the %s "
           "profile's time all newer or all older, bounded as old is; new is the rest\n",
           late, first, late, first);
}

static void row_numbers(const stackset *s, stackset_row *r, size_t i, size_t j, double dt,
                        const leaks_opts *o, char g[64], char e[64], char rt[64])
{
    stackset_cell *ci = stackset_cell_at(s, r, i, C_SPACE), *cj = stackset_cell_at(s, r, j, C_SPACE);
    fmt_cells(g, 64, cj, ci, o->raw, true);
    units_sd(e, 64, ci->var + cj->var, ci->sd > cj->sd ? ci->sd : cj->sd, "bytes", o->raw);
    rate(rt, 64, cj->val - ci->val, dt, o->raw);
}

/* A row's live objects in profile i, or "?" when that profile does not
 * count them (it has no inuse_objects: its cell stays 0). */
static void objects(char *buf, size_t len, profile **p, const stackset *s, stackset_row *r,
                    size_t i)
{
    if (profile_read_type(p[i], "inuse_objects") < 0)
        snprintf(buf, len, "?");
    else
        report_cell_value(buf, len, stackset_cell_at(s, r, i, C_OBJECTS), "count", false);
}

static void diff(profile **p, const stackset *s, ranked *v, size_t nrows, const leaks_opts *o)
{
    size_t m = 0;
    for (size_t i = 0; i < nrows; i++) {
        stackset_row *r = stackset_get(s, i);
        double g = val(s, r, 1, C_SPACE) - val(s, r, 0, C_SPACE);
        if (g > 0)
            v[m++] = (ranked){r, g, K_LEAK};
    }
    qsort(v, m, sizeof *v, cmp_ranked);
    size_t shown = o->n && o->n < m ? (size_t)o->n : m;
    double dt = span_s(p, 0, 1);
    const char *tag = report_by_tag();
    if (tag)
        printf("%zu value%s of label %s hold%s more live bytes in the late profile%s", m,
               m == 1 ? "" : "s", tag, m == 1 ? "s" : "", m ? "" : ".\n");
    else
        printf("%zu %s%s hold%s more live bytes in the late profile%s", m,
               o->by_site ? "site" : "stack", m == 1 ? "" : "s", m == 1 ? "s" : "",
               m ? "" : ".\n");
    if (!m)
        return;
    printf("; %s %zu:\n\n", shown == m ? "all" : "the largest", shown);
    printf("%4s %11s %10s %12s %8s %8s%s  %s\n", "rank", "growth", "±", "per second", "objects",
           "", born_head(o), tag ? "label" : "allocation site (← caller)");
    printf("%4s %11s %9s %12s %8s %8s\n", "", "", "", "", "before", "after");
    for (size_t i = 0; i < shown; i++) {
        char g[64], e[64], rt[64], bc[320], before[32], after[32];
        row_numbers(s, v[i].row, 0, 1, dt, o, g, e, rt);
        born_cols(bc, sizeof bc, s, v[i].row, 1, o);
        objects(before, sizeof before, p, s, v[i].row, 0);
        objects(after, sizeof after, p, s, v[i].row, 1);
        printf("%4zu %11s %9s %12s %8s %8s%s  ", i + 1, g, e, rt, before, after, bc);
        print_site(s, v[i].row, o);
    }
    born_legend(2, o);
}

static void series(profile **p, size_t n, const stackset *s, ranked *v, size_t nrows,
                   const leaks_opts *o)
{
    size_t count[NCLASSES] = {0}, m = 0;
    timeline tl = {p, true};
    for (size_t i = 0; i < n; i++)
        tl.timed = tl.timed && p[i]->time_nanos > 0;
    for (size_t i = 0; i < nrows; i++) {
        stackset_row *r = stackset_get(s, i);
        enum klass k = classify(s, r, n, &tl);
        count[k]++;
        if (k == K_STABLE)
            continue;
        double peak = 0;
        for (size_t j = 0; j < n; j++)
            peak = fmax(peak, val(s, r, j, C_SPACE) - val(s, r, 0, C_SPACE));
        double key = k == K_WORKING ? peak : k == K_SHRANK ? -(val(s, r, n - 1, C_SPACE) - val(s, r, 0, C_SPACE))
                                                           : val(s, r, n - 1, C_SPACE) - val(s, r, 0, C_SPACE);
        v[m++] = (ranked){r, key, k};
    }
    qsort(v, m, sizeof *v, cmp_ranked);
    double dt = span_s(p, 0, n - 1);
    const char *tag = report_by_tag();
    printf("%zu profiles; %s%s by class: %zu leak, %zu plateau, %zu working set, %zu shrank, "
           "%zu stable (not shown)\n\n", n,
           tag ? "values of label " : o->by_site ? "sites" : "stacks", tag ? tag : "", count[K_LEAK],
           count[K_PLATEAU], count[K_WORKING], count[K_SHRANK], count[K_STABLE]);
    printf("%-11s %11s %10s %12s %10s %10s %10s%s  %s\n", "class", "growth", "±", "per second",
           "first", "peak", "last", born_head(o), tag ? "label" : "allocation site (← caller)");
    size_t in_class = 0;
    for (size_t i = 0; i < m; i++) {
        if (i == 0 || v[i].k != v[i - 1].k) {
            printf("%s# %s: %s\n", i ? "\n" : "", class_name[v[i].k], class_help[v[i].k]);
            in_class = 0;
        }
        if (o->n && ++in_class > o->n)
            continue;
        stackset_row *r = v[i].row;
        char g[64], e[64], rt[64], a[64], b[64], c[64], bc[320];
        static const stackset_cell none; /* the peak is 0 at least */
        const stackset_cell *peak = &none;
        for (size_t j = 0; j < n; j++)
            if (stackset_cell_cmp(stackset_cell_at(s, r, j, C_SPACE), peak) > 0)
                peak = stackset_cell_at(s, r, j, C_SPACE);
        row_numbers(s, r, 0, n - 1, dt, o, g, e, rt);
        fmt_cells(a, sizeof a, stackset_cell_at(s, r, 0, C_SPACE), NULL, o->raw, false);
        fmt_cells(b, sizeof b, peak, NULL, o->raw, false);
        fmt_cells(c, sizeof c, stackset_cell_at(s, r, n - 1, C_SPACE), NULL, o->raw, false);
        born_cols(bc, sizeof bc, s, r, n - 1, o);
        printf("%-11s %11s %9s %12s %10s %10s %10s%s  ", class_name[v[i].k], g, e, rt, a, b, c,
               bc);
        print_site(s, r, o);
    }
    if (!m)
        printf("(no %s changed significantly)\n",
               tag ? "label value" : o->by_site ? "site" : "stack");
    else
        born_legend(n, o);
}

/* The rules born_split credits by, and the cell of the last profile each
 * one's bounded old bytes go to: the estimate, and its extremes. */
static const enum birth_rule born_rule[3] = {BIRTH_EVEN, BIRTH_NEWEST, BIRTH_OLDEST};
static const size_t born_cell[3] = {R_OLD, R_OLD_MIN, R_OLD_MAX};

/* The new and old cells of each row in the last profile (see the top):
 * birth_credit's cohorts born up to the first profile and since, of the
 * first and the last profile only (the rows show no other; the profiles
 * between need no time stamp), then birth_bound over the whole series.
 * The profiles left uncredited still count there by their live bytes,
 * which bound what can be old (birth.h).  Credited by each rule: the
 * estimate, and the least and the most old bytes can be.  Per stack, as
 * the bounds hold (see the top). */
static int born_split(stackset *s, profile **p, size_t n, born_totals *bt)
{
    profile *pair[2] = {p[0], p[n - 1]};
    long live[2], alloc[2];
    size_t pend[2], end[2];
    double split[2], unaged[2];
    for (size_t k = 0; k < 2; k++) {
        live[k] = profile_read_type(pair[k], "inuse_space");
        alloc[k] = profile_read_type(pair[k], "alloc_space");
    }
    birth_cohorts(2, 2, pend);
    birth_cohorts(n, 2, end); /* {0, n - 1} */
    stackset *b[3] = {NULL, NULL, NULL};
    double *c = calloc(5 * n, sizeof *c), *lv = c ? c + 2 * n : NULL, *al = c ? c + 3 * n : NULL;
    double *young = c ? c + 4 * n : NULL;
    bool *allocated = calloc(n, sizeof *allocated);
    int rc = !c || !allocated ? -1 : 0;
    for (size_t j = 0; j < 3; j++) {
        b[j] = rc ? NULL : stackset_new(2, 2 + 3);
        rc = !b[j] ? -1 : birth_credit(b[j], pair, 2, live, alloc, pend, 2, born_rule[j], NULL,
                                       NULL, split, unaged);
    }
    for (size_t m = 0; !rc && m < n; m++)
        allocated[m] = profile_read_type(p[m], "alloc_space") >= 0;
    bt->split = rc ? 0 : split[1];
    for (size_t i = 0; !rc && i < stackset_count(b[0]); i++) {
        /* Looked up by b[0]'s hash of the stack: its names, however
         * long, are not hashed again in each set. */
        stackset_row *rb = stackset_get(b[0], i), *r = stackset_row_like(s, b[0], i);
        for (size_t m = 0; r && m < n; m++) {
            lv[m] = val(s, r, m, C_SPACE);
            /* NaN: no allocation bound for the windows this profile ends or starts */
            al[m] = allocated[m] ? val(s, r, m, C_ALLOC) : NAN;
        }
        for (size_t j = 0; r && j < 3; j++) {
            stackset_row *rj = j ? stackset_row_like(b[j], b[0], i) : rb;
            if (!rj) {
                r = NULL;
                break;
            }
            for (size_t m = 0; m < 2 * n; m++)
                c[m] = 0;
            for (size_t k = 0; k < 2; k++) {
                c[k * n] = stackset_cell_at(b[j], rj, 0, k)->val;
                c[k * n + n - 1] = stackset_cell_at(b[j], rj, 1, k)->val;
            }
            /* The ages of the profiles between are unknown: no bound. */
            for (size_t m = 0; m < n; m++)
                young[m] = INFINITY;
            young[0] = stackset_cell_at(b[j], rj, 0, 2 + 2)->val;
            young[n - 1] = stackset_cell_at(b[j], rj, 1, 2 + 2)->val;
            if (bt->bounded) /* the bounds' premise (birth.h) */
                birth_bound(c, n, end, 2, al, lv, young);
            stackset_fixed_at(s, r, born_cell[j])->val = c[n - 1];
            if (born_rule[j] == BIRTH_EVEN)
                stackset_fixed_at(s, r, R_NEW)->val = c[2 * n - 1];
        }
        if (!r) {
            rc = -1;
            break;
        }
        const stackset_cell *late = stackset_cell_at(s, r, n - 1, C_SPACE);
        bt->fresh += fixed(s, r, R_NEW);
        bt->old += fixed(s, r, R_OLD);
        bt->old_min += fixed(s, r, R_OLD_MIN);
        bt->old_max += fixed(s, r, R_OLD_MAX);
        bt->var += late->var;
        bt->sd = late->sd > bt->sd ? late->sd : bt->sd;
    }
    free(allocated);
    free(c);
    for (size_t j = 0; j < 3; j++)
        stackset_free(b[j]);
    return rc;
}

/* Profile i, read and added to s as profile i (see load_all), by stack
 * (--by site too: see the top). */
static int load_one(stackset *s, profile **p, char **files, size_t i, const leaks_opts *o)
{
    long t;
    if (!(p[i] = report_load(files[i], o->lines)) || (t = report_type(p[i], "inuse_space")) < 0 ||
        !report_whole(p[i], (size_t)t, "heapprof leaks"))
        return DIAG_FAIL;
    long types[NCELLS] = {t, profile_read_type(p[i], "alloc_space"),
                          profile_read_type(p[i], "inuse_objects")};
    if (stackset_add_profile(s, i, p[i], types, STACKSET_STACK)) {
        diag_error("out of memory");
        return DIAG_FAIL;
    }
    return DIAG_OK;
}

/* Reads the profiles into s one at a time, in the order given, and sheds
 * each one's samples (profile_read_shed) once it is added, unless it may
 * be the first or the last of the series, whose samples born_split reads:
 * the first and the last given, and the earliest and the latest time
 * stamp so far (as report_time_order, stable, will place them).  A long
 * series then holds the stackset's cells and at most four profiles, not
 * every profile's decoded samples (3.6 MB each for 10k stacks 10 deep,
 * two thirds of what leaks held).  Then sorts the profiles by time stamp
 * (a series of three or more, every one stamped), the set's columns with
 * them. */
static int load_all(stackset *s, profile **p, char **files, size_t n, const leaks_opts *o)
{
    size_t early = 0, late = 0;
    for (size_t i = 0; i < n; i++) {
        if (load_one(s, p, files, i, o))
            return DIAG_FAIL;
        size_t was[3] = {early, late, i ? i - 1 : 0};
        if (p[i]->time_nanos < p[early]->time_nanos)
            early = i;
        if (p[i]->time_nanos >= p[late]->time_nanos)
            late = i;
        for (size_t k = 0; k < 3; k++) {
            size_t j = was[k];
            if (j && j != early && j != late && j != i && p[j]->nsamples &&
                profile_read_shed(p[j])) {
                diag_error("out of memory");
                return DIAG_FAIL;
            }
        }
    }
    bool timed = true;
    for (size_t i = 0; i < n; i++)
        timed = timed && p[i]->time_nanos > 0;
    if (n <= 2 || !timed)
        return DIAG_OK;
    size_t *order = malloc(n * sizeof *order);
    profile **q = malloc(n * sizeof *q);
    if (!order || !q) {
        free(order);
        free(q);
        diag_error("out of memory");
        return DIAG_FAIL;
    }
    report_time_order(p, n, order);
    int rc = stackset_permute(s, order) ? DIAG_FAIL : DIAG_OK;
    if (rc)
        diag_error("out of memory");
    for (size_t i = 0; !rc && i < n; i++)
        q[i] = p[order[i]];
    if (!rc)
        memcpy(p, q, n * sizeof *p);
    free(order);
    free(q);
    return rc;
}

/* A note when the last profile was written at exit with less than half
 * the live bytes of an earlier one: a program that frees its data on the
 * way out (perl's and python's teardown, C++ destructors) showed its leak
 * as a working set that came back down, and every leak of a run of
 * perl over a series ending at its exit profile read so. */
static void note_exit(profile **p, size_t n, const stackset *s)
{
    if (!report_at_exit(p[n - 1]))
        return;
    size_t peak = 0;
    double top = 0, last = 0;
    for (size_t i = 0; i < n; i++) {
        double t = 0;
        for (size_t k = 0; k < stackset_count(s); k++)
            t += stackset_cell_at(s, stackset_get(s, k), i, C_SPACE)->val;
        if (i + 1 < n && t > top) {
            top = t;
            peak = i;
        } else if (i + 1 == n) {
            last = t;
        }
    }
    if (last < top / 2)
        diag_error("note: %s was written at exit, with less than half the live bytes of %s: "
                   "what the program freed on its way out (an interpreter's teardown, C++ "
                   "destructors) reads as shrinking there; leave it out to see what grew while "
                   "the program ran", p[n - 1]->path, p[peak]->path);
}

static int run(char **files, size_t n, const leaks_opts *o)
{
    profile **p = calloc(n, sizeof *p);
    stackset *s = stackset_new_fixed(n, n == 2 ? NCELLS : C_OBJECTS, NFIXED);
    int rc = !p || !s ? DIAG_FAIL : DIAG_OK;
    if (rc)
        diag_error("out of memory");
    else {
        stackset_own_keys(s);  /* the profiles' samples are freed as they are added */
        stackset_name_rows(s); /* print_site names its rows, by their functions */
    }
    if (!rc)
        rc = load_all(s, p, files, n, o);
    born_totals bt = {0, 0, 0, 0, 0, 0, PROFILE_SD_EXACT, false};
    leaks_opts ob = *o;
    ob.born = !rc && p[n - 1]->naged && p[0]->time_nanos > 0 &&
              p[n - 1]->time_nanos > p[0]->time_nanos;
    bt.bounded = ob.born && birth_one_process(p, n);
    if (ob.born && born_split(s, p, n, &bt)) {
        diag_error("out of memory");
        rc = DIAG_FAIL;
    }
    o = &ob;
    /* The rows shown: the stacks, or their sites (see the top). */
    stackset *sites = !rc && o->by_site ? stackset_new_fixed(n, n == 2 ? NCELLS : C_OBJECTS,
                                                             NFIXED) : NULL;
    if (!rc && o->by_site && (!sites || stackset_add_sites(sites, s))) {
        diag_error("out of memory");
        rc = DIAG_FAIL;
    }
    const stackset *rows = sites ? sites : s;
    ranked *v = rc ? NULL : malloc((stackset_count(rows) + 1) * sizeof *v);
    if (!rc && !v) {
        diag_error("out of memory");
        rc = DIAG_FAIL;
    }
    if (!rc) {
        if (n == 2 && p[0]->time_nanos > p[1]->time_nanos && p[1]->time_nanos > 0)
            diag_error("note: %s was taken after %s; growth is from the first to the second "
                       "given", p[0]->path, p[1]->path);
        report_processes(p, n, "the growth shown is the difference of two heaps, not one heap's "
                               "growth");
        note_exit(p, n, rows);
        header(p, n, rows, stackset_count(rows), o, &bt);
        if (n == 2)
            diff(p, rows, v, stackset_count(rows), o);
        else
            series(p, n, rows, v, stackset_count(rows), o);
        char qa[4200], qb[4200];
        report_quote(qa, sizeof qa, p[0]->path);
        report_quote(qb, sizeof qb, p[n - 1]->path);
        /* Of the whole heap, not of a row: under --by site too, where pprof
         * has no rows of sites, its difference is the same. */
        if (report_by_tag())
            printf("\nThe same difference in pprof: go tool pprof -tags -sample_index=inuse_space "
                   "-base %s %s\n", qa, qb);
        else
            printf("\nThe same difference in pprof: go tool pprof -top%s -base %s %s\n",
                   o->lines ? " -lines" : "", qa, qb);
    }
    free(v);
    stackset_free(sites); /* its keys are s's names */
    stackset_free(s);
    for (size_t i = 0; p && i < n; i++)
        profile_read_free(p[i]);
    free(p);
    return rc;
}

int cmd_leaks_main(int argc, char **argv)
{
    static const struct option longs[] = {
        {"stacks", no_argument, NULL, 's'}, {"raw", no_argument, NULL, 'r'},
        {"tag", required_argument, NULL, 'g'}, {"by", required_argument, NULL, 'b'},
        {"lines", no_argument, NULL, 'l'},  {"help", no_argument, NULL, 'h'},
        {"wrapper", required_argument, NULL, 'w'}, {NULL, 0, NULL, 0},
    };
    leaks_opts o = {10, false, false, false, false, false};
    int c;
    opterr = 0;
    optind = 1;
    while ((c = args_getopt(argc, argv, ":n:h", longs)) != -1) {
        switch (c) {
        case 'n':
            if (args_count("-n", optarg, 0, SIZE_MAX, &o.n))
                return DIAG_USAGE;
            break;
        case 's':
            o.stacks = true;
            break;
        case 'r':
            o.raw = true;
            break;
        case 'g':
            if (report_tag_opt(optarg))
                return DIAG_USAGE;
            break;
        case 'b': {
            /* Called for every --by, so that the last one counts, as in
             * top, ages and timeline. */
            int r = report_by_tag_opt(optarg);
            if (r == 1 && strcmp(optarg, "stack") && strcmp(optarg, "site"))
                return diag_usage("--by '%s': use 'stack', 'site' or 'tag:KEY'", optarg);
            if (r == DIAG_USAGE)
                return r;
            o.by_site = r == 1 && !strcmp(optarg, "site");
            break;
        }
        case 'l':
            o.lines = true;
            wrappers_lines();
            break;
        case 'w':
            if (wrappers_opt(optarg))
                return DIAG_USAGE;
            break;
        case 'h':
            cmd_leaks_usage(stdout);
            return DIAG_OK;
        default:
            return args_getopt_error(c, argv, optind, optopt, longs);
        }
    }
    if (o.by_site && o.stacks)
        return diag_usage("--stacks lists each row's one stack, and a --by site row sums all "
                          "of its site's stacks: leave out --by site to list them");
    if (argc - optind < 2)
        return diag_usage("needs at least two profiles (heapprof leaks EARLY LATE)");
    return run(&argv[optind], (size_t)(argc - optind), &o);
}

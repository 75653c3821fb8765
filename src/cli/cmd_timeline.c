/*
 * cmd_timeline.c - `heapprof timeline FILES... -o timeline.svg`: a stacked
 * area chart of the live heap over time, one band per allocation site.
 *
 * Data: the profiles (sorted by time stamp when all have one; otherwise in
 * the given order, one x step each) go into a stackset keyed by allocation
 * site (leaf past allocator wrappers, and its caller), one cell per profile:
 * inuse_space.  They are read one at a time, and each one's samples are
 * freed once added (the set owns its keys; load_all), so a long series
 * costs its sites' cells and its profiles' headers.  The `top` sites with the highest peak become bands, from
 * the bottom up in that order; everything else is summed into "other", the
 * top band.  cum[k][i] is the height of band k's upper edge at profile i
 * (bands stacked, so cum is non-decreasing in k); negative values, which
 * only a diff profile could hold, count as 0.
 *
 * --by birth stacks the same heap by when it was allocated instead: band k
 * is cohort k of birth.h (everything born up to the first profile, then
 * windows of whole intervals between profiles, at most --cohorts in all),
 * oldest at the bottom, each profile's age bands credited to cohorts in
 * proportion to the overlap of their birth intervals (birth.h has the
 * rule and its error; the subtitle says how much of the heap was split).
 * A cohort's layer can only thin out after its window closes (birth_bound
 * holds each band to that, on its own): one that keeps its thickness was
 * never freed.  It needs time stamps and ages.  It too reads one profile
 * at a time: birth_series keeps each stack's bounds' state and the sums,
 * not its series; profiles given out of time order are read again, in
 * order (birth_reread), as a profile's credits need its place in it.
 * --site keeps the samples (birth) or sites whose "site <- caller" name
 * contains a string.
 *
 * Output is one self-contained SVG file: no scripts, no external fonts or
 * styles; every piece of text from a profile goes through svg_text.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "args.h"
#include "birth.h"
#include "birth_series.h"
#include "commands.h"
#include "diag.h"
#include "report.h"
#include "stackset.h"
#include "outfile.h"
#include "svg.h"
#include "units.h"
#include "wrappers.h"

enum { TOP_DEFAULT = 8, TOP_MAX = 40, NAME_MAX_CHARS = 110 };
enum { COHORTS_DEFAULT = 10, COHORTS_MAX = 20 }; /* at most the palette */

/* Layout, in SVG user units. */
enum { W = 1000, X0 = 90, X1 = W - 30, Y0 = 80, PH = 380, Y1 = Y0 + PH, LEGEND_ROW = 20 };

static const char *const palette[] = {
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
    "#ff9da7", "#9c755f", "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b",
    "#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#aec7e8", "#ffbb78",
};
#define OTHER_COLOR "#c7c7c7"

typedef struct band {
    stackset_row *row; /* NULL: "other", or a cohort */
    double peak, last;
    double closed;     /* a cohort's bytes when its window closed */
    const char *color;
    char name[1024];
} band;

enum timeline_by { BY_SITE, BY_BIRTH };

typedef struct timeline_opts {
    const char *out;
    size_t top, cohorts;
    bool top_set, cohorts_set;
    enum timeline_by by;
    const char *site; /* NULL: every site */
    bool lines;       /* --lines: sites of source lines, "func file:line" */
} timeline_opts;

typedef struct chart {
    profile **p;
    size_t n;        /* profiles */
    double *x;       /* per profile: seconds since the first, or its index */
    bool timed;
    band *bands;
    size_t nbands;   /* including "other" when there is one */
    double *cum;     /* [k * n + i] */
    double ymax, xmax; /* axis ends (ymax: a tick at or above the peak) */
    double peak;       /* highest total */
    const timeline_opts *o;
    double split, unaged, total; /* --by birth: bytes summed over all profiles */
    bool one_process;            /* --by birth: the bounds apply (birth_one_process) */
    /* --by birth, while reading: the cohorts (birth_cohorts), the sums, the
     * time stamps and alloc_space's presence as read, and whether the
     * profiles came sorted by time, so that each was added as read. */
    size_t *end, nc;
    birth_series *bs;
    int64_t *t;
    bool *has_alloc;
    bool added;
} chart;

void cmd_timeline_usage(FILE *f)
{
    (void)fprintf(f,
                  "Usage: heapprof timeline FILES... [-o OUT.svg] [--top N] [--site TEXT] [--lines]\n"
                  "       heapprof timeline FILES... --by birth [--cohorts N] [--site TEXT] [--lines]\n"
                  "                                 [-o OUT.svg] (and --tag KEY=PAT, --by tag:KEY)\n"
                  "\n"
                  "Draw the live heap (inuse_space) over time as a stacked area chart, one band\n"
                  "per allocation site (the leaf function past allocator wrappers, and its\n"
                  "caller: \"site \xe2\x86\x90 caller\"), so that a growing site stands out.  The N sites\n"
                  "with the highest peak get their own band, from the bottom up; the rest are\n"
                  "summed as \"other\".  x is each profile's time stamp in seconds after the\n"
                  "first (profiles are sorted by it; without time stamps, the given order).\n"
                  "The result is one self-contained SVG file for any web browser.\n"
                  "\n"
                  "--by birth stacks the same heap by when it was allocated: the bottom band is\n"
                  "what was born before the first profile, then one band per window between\n"
                  "profiles (at most N windows in all, of whole intervals).  A band can only\n"
                  "thin out once its window has passed: one that keeps its thickness to the end\n"
                  "was never freed (a leak, or state kept for good), while a working set's\n"
                  "bands fade.  It reads the object ages heapprof's profiles record (label\n"
                  "age: one sample per age band) and needs every profile's time stamp.  An age\n"
                  "band of a profile taken at T holds objects born between T minus its end and\n"
                  "T minus its start; where that interval straddles the edge between two\n"
                  "windows, its bytes are split in proportion to the overlap (as if born\n"
                  "evenly), so only objects between D/2.5 and 2.5 D old, for an edge D before\n"
                  "the profile, can land in the wrong band.  The subtitle says how much of the\n"
                  "heap was split; each band's tooltip lists its bytes at every profile.\n"
                  "\n"
                  "Options:\n"
                  "  -o, --out FILE  where to write the SVG (default timeline.svg; - for standard\n"
        "                  output), whole or not at all: a failed write keeps the old one\n"
                  "  --top N         sites with their own band (default %d, at most %d)\n"
                  "  --by site       one band per allocation site (default)\n"
                  "  --by birth      one band per window of allocation times\n"
                  "  --by tag:KEY    one band per value of the sample label KEY\n"
                  "                  (--by tag:thread, --by tag:component)\n"
                  "  --cohorts N     --by birth: bands, the one before the first profile\n"
                  "                  included (default %d, 2 to %d)\n"
                  "  --site TEXT     only allocation sites whose name (\"site \xe2\x86\x90 caller\")\n"
                  "                  contains TEXT (with --lines, their file:line too)\n"
                  "  --lines         sites of source lines, \"func file:line\" (as go tool pprof\n"
                  "                  -lines): a function that allocates at two lines is two\n"
                  "                  sites; a frame with neither file nor line keeps its\n"
                  "                  function's name\n"
                  "                  (the lines the profile left to pprof are read from the\n"
                  "                  binaries on this machine of its build-ids, as pprof reads\n"
                  "                  them; HEAPPROF_LOCAL_LINES=off reads none)\n"
                  "  --tag KEY=PAT   only samples whose label KEY matches the shell pattern\n"
                  "                  PAT, in every profile (--tag thread=io-*; each KEY\n"
                  "                  must match one of its PATs)\n"
                  "  --wrapper GLOB  functions matching the shell pattern GLOB allocate for\n"
                  "                  their caller too (a program's own allocators:\n"
                  "                  arena_alloc, 'pool_*'; repeatable), as malloc, operator\n"
                  "                  new, std::, Rust's alloc::, CPython's PyObject_Malloc ...\n"
                  "                  do: the site is past them\n"
                  "  -h, --help      this help\n"
                  "\n"
                  "Example: heapprof timeline heapprof.myprog.1234.*.pb.gz -o growth.svg\n"
                  "         heapprof timeline heapprof.myprog.1234.*.pb.gz --by birth -o births.svg\n",
                  TOP_DEFAULT, TOP_MAX, COHORTS_DEFAULT, COHORTS_MAX);
}

static double X(const chart *c, double x) { return X0 + (X1 - X0) * (c->xmax > 0 ? x / c->xmax : 0); }

static double Y(const chart *c, double y) { return Y1 - PH * (c->ymax > 0 ? y / c->ymax : 0); }

static int cmp_band(const void *a, const void *b)
{
    const band *x = a, *y = b;
    if (x->peak != y->peak)
        return x->peak > y->peak ? -1 : 1;
    if (x->last != y->last)
        return x->last > y->last ? -1 : 1;
    int c = strcmp(x->name, y->name);
    if (c || !x->row || !y->row)
        return c;
    /* Names cut at their buffer's end, or holding the arrow, can match:
     * then the keys, not the order the sites were met in (which the order
     * the files are given in sets, as load_all adds them). */
    for (size_t i = 0; i < x->row->nframes && i < y->row->nframes; i++)
        if ((c = strcmp(x->row->frames[i], y->row->frames[i])))
            return c;
    return x->row->nframes < y->row->nframes ? -1 : x->row->nframes > y->row->nframes;
}

/* Bands and their stacked edges. */
static int build(chart *c, const stackset *s, size_t top)
{
    size_t nrows = stackset_count(s), n = c->n;
    band *all = calloc(nrows + 1, sizeof *all);
    if (!all)
        return -1;
    for (size_t r = 0; r < nrows; r++) {
        all[r].row = stackset_get(s, r);
        for (size_t i = 0; i < n; i++) {
            double v = fmax(0, stackset_cell_at(s, all[r].row, i, 0)->val);
            all[r].peak = fmax(all[r].peak, v);
        }
        all[r].last = fmax(0, stackset_cell_at(s, all[r].row, n - 1, 0)->val);
        stackset_site_name(all[r].name, sizeof all[r].name, all[r].row->frames,
                           all[r].row->nframes);
        if (c->o->site && !strstr(all[r].name, c->o->site))
            all[r].peak = -1; /* sorted last and dropped with the never-live */
    }
    qsort(all, nrows, sizeof *all, cmp_band);
    while (nrows && all[nrows - 1].peak <= 0)
        nrows--; /* never live (allocated and freed, or a diff's negatives): no band */
    size_t own = nrows < top ? nrows : top;
    c->nbands = own + (nrows > own);
    c->bands = all;
    c->cum = calloc(c->nbands * n + 1, sizeof *c->cum);
    if (!c->cum)
        return -1;
    if (nrows > own) { /* "other" takes the slot after the own bands */
        band other = {NULL, 0, 0, 0, OTHER_COLOR, "other"};
        for (size_t i = 0; i < n; i++) {
            double v = 0;
            for (size_t r = own; r < nrows; r++)
                v += fmax(0, stackset_cell_at(s, all[r].row, i, 0)->val);
            other.peak = fmax(other.peak, v);
            other.last = v;
            c->cum[own * n + i] = v;
        }
        all[own] = other;
    }
    for (size_t k = 0; k < c->nbands; k++) {
        if (all[k].row)
            all[k].color = palette[k % (sizeof palette / sizeof palette[0])];
        for (size_t i = 0; i < n; i++) {
            double v = all[k].row ? fmax(0, stackset_cell_at(s, all[k].row, i, 0)->val)
                                  : c->cum[k * n + i];
            c->cum[k * n + i] = v + (k ? c->cum[(k - 1) * n + i] : 0);
        }
    }
    return 0;
}

/* birth_keep for --site: does the sample's site name hold the text? */
static bool site_has(const profile_sample *s, void *text)
{
    char name[1024];
    stackset_site k;
    stackset_site_key(&k, s->frames, NULL, s->funcs, s->kinds, s->nframes);
    stackset_site_name(name, sizeof name, k.frames, k.n);
    return strstr(name, text) != NULL;
}

/* Seconds after the first profile, as the x axis has them: "2.5 s", "400 s". */
static void seconds(char *buf, size_t len, double s)
{
    snprintf(buf, len, s < 100 ? "%.3g s" : "%.0f s", s);
}

/* --by birth: one band per cohort, oldest at the bottom (see the top),
 * from the series' sums (bs: every profile added, in order). */
static int build_birth(chart *c, const birth_series *bs, const size_t *end, size_t nc)
{
    size_t n = c->n;
    c->bands = calloc(c->o->cohorts + 1, sizeof *c->bands);
    c->cum = calloc(c->o->cohorts * n + 1, sizeof *c->cum);
    if (!c->bands || !c->cum)
        return -1;
    c->one_process = birth_one_process(c->p, n);
    /* Each stack's credits, bounded by its own series (the bounds'
     * premise, birth.h), then summed. */
    const double *sum = birth_series_sums(bs, c->one_process, &c->split, &c->unaged);
    memcpy(c->cum, sum, nc * n * sizeof *sum);
    for (size_t k = 0; k < nc; k++) {
        band *b = &c->bands[k];
        b->color = palette[k % (sizeof palette / sizeof palette[0])];
        b->closed = c->cum[k * n + end[k]];
        b->last = c->cum[k * n + n - 1];
        for (size_t i = 0; i < n; i++) {
            b->peak = fmax(b->peak, c->cum[k * n + i]);
            c->total += c->cum[k * n + i];
        }
        char from[32], to[32];
        seconds(from, sizeof from, k ? c->x[end[k - 1]] : 0);
        seconds(to, sizeof to, c->x[end[k]]);
        if (k)
            snprintf(b->name, sizeof b->name, "born %s to %s", from, to);
        else
            snprintf(b->name, sizeof b->name, "born before the first profile");
        for (size_t i = 0; k && i < n; i++)
            c->cum[k * n + i] += c->cum[(k - 1) * n + i];
    }
    c->nbands = nc;
    return 0;
}

/* The y axis: it ends at the first tick at or above the highest total. */
static void y_axis(chart *c)
{
    size_t n = c->n;
    c->ymax = 0;
    for (size_t i = 0; c->nbands && i < n; i++)
        c->ymax = fmax(c->ymax, c->cum[(c->nbands - 1) * n + i]);
    c->peak = c->ymax;
    double div, step;
    svg_byte_unit(c->ymax > 0 ? c->ymax : 1, &div);
    step = svg_step((c->ymax > 0 ? c->ymax : 1) / div, 6) * div;
    c->ymax = ceil((c->ymax > 0 ? c->ymax : 1) / step) * step;
}

static void axes(FILE *f, const chart *c)
{
    double div, ymax = c->peak > 0 ? c->peak : 1;
    const char *unit = svg_byte_unit(ymax, &div);
    double step = svg_step(ymax / div, 6) * div;
    for (int t = 0; t * step <= c->ymax * 1.0001; t++) {
        double y = t * step;
        (void)fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e6e6e6\"/>\n",
                      X0, Y(c, y), X1, Y(c, y));
        (void)fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" font-size=\"12\">"
                         "%g %s</text>\n", X0 - 8, Y(c, y) + 4, y / div, unit);
    }
    if (c->timed) {
        double xs = svg_step(c->xmax > 0 ? c->xmax : 1, 8);
        for (int t = 0; t * xs <= c->xmax * 1.0001; t++) {
            double x = t * xs;
            (void)fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
                             "stroke=\"#333\"/>\n", X(c, x), Y1, X(c, x), Y1 + 5);
            (void)fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" "
                             "font-size=\"12\">%g s</text>\n", X(c, x), Y1 + 19, x);
        }
    } else {
        size_t every = c->n > 20 ? (c->n + 19) / 20 : 1;
        for (size_t i = 0; i < c->n; i += every)
            (void)fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" "
                             "font-size=\"12\">%zu</text>\n", X(c, c->x[i]), Y1 + 19, i + 1);
    }
    (void)fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n",
                  X0, Y1, X1, Y1);
    (void)fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n",
                  X0, Y0, X0, Y1);
    (void)fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"13\">%s</text>\n",
                  (X0 + X1) / 2, Y1 + 40,
                  c->timed ? "time since the first profile (seconds)"
                           : "profile number (in the order given: no distinct time stamps)");
    (void)fprintf(f, "<text x=\"18\" y=\"%d\" text-anchor=\"middle\" font-size=\"13\" "
                     "transform=\"rotate(-90 18 %d)\">live heap (inuse_space, %s)</text>\n",
                  (Y0 + Y1) / 2, (Y0 + Y1) / 2, unit);
}

static void bands(FILE *f, const chart *c)
{
    size_t n = c->n;
    for (size_t k = 0; k < c->nbands; k++) {
        const band *b = &c->bands[k];
        (void)fprintf(f, "<path fill=\"%s\" fill-opacity=\"0.9\" stroke=\"#ffffff\" "
                         "stroke-width=\"0.6\" d=\"", b->color);
        /* one profile: a band across the whole width */
        for (size_t i = 0; i < n; i++) {
            (void)fprintf(f, "%s%.1f,%.1f ", i ? "L" : "M", n > 1 ? X(c, c->x[i]) : X0,
                          Y(c, c->cum[k * n + i]));
            if (n == 1)
                (void)fprintf(f, "L%d,%.1f ", X1, Y(c, c->cum[k * n + i]));
        }
        for (size_t i = n; i-- > 0;) {
            double lo = k ? c->cum[(k - 1) * n + i] : 0;
            if (n == 1)
                (void)fprintf(f, "L%d,%.1f ", X1, Y(c, lo));
            (void)fprintf(f, "L%.1f,%.1f ", n > 1 ? X(c, c->x[i]) : X0, Y(c, lo));
        }
        (void)fputs("Z\"><title>", f);
        svg_text(f, b->name, 400);
        if (c->o->by == BY_BIRTH) { /* what the band holds, to the byte */
            (void)fputs("; live bytes at each profile:", f);
            for (size_t i = 0; i < n; i++)
                (void)fprintf(f, " %.0f", c->cum[k * n + i] - (k ? c->cum[(k - 1) * n + i] : 0));
        }
        (void)fputs("</title></path>\n", f);
    }
    for (size_t i = 0; c->nbands && i < n; i++)
        (void)fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"#333\"/>\n",
                      n > 1 ? X(c, c->x[i]) : (X0 + X1) / 2.0,
                      Y(c, c->cum[(c->nbands - 1) * n + i]));
}

static void legend(FILE *f, const chart *c, int y)
{
    if (c->o->by == BY_BIRTH)
        (void)fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"13\" font-weight=\"bold\">"
                         "Allocated (seconds after the first profile), newest first; live bytes "
                         "when the window closed and at the last profile</text>\n", X0, y);
    else
        (void)fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"13\" font-weight=\"bold\">"
                         "Allocation sites (site \xe2\x86\x90 caller), top band first; peak and "
                         "last live bytes</text>\n", X0, y);
    for (size_t j = 0; j < c->nbands; j++) {
        size_t k = c->nbands - 1 - j; /* same order as the bands, top first */
        const band *b = &c->bands[k];
        int ry = y + 10 + (int)j * LEGEND_ROW;
        char pk[64], ls[64], pct[32];
        units_value(pk, sizeof pk, c->o->by == BY_BIRTH ? b->closed : b->peak, "bytes", false);
        units_value(ls, sizeof ls, b->last, "bytes", false);
        (void)fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"14\" fill=\"%s\"/>\n",
                      X0, ry, b->color);
        (void)fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"12\">", X0 + 22, ry + 11);
        svg_text(f, b->name, NAME_MAX_CHARS);
        if (c->o->by == BY_BIRTH) {
            units_percent(pct, sizeof pct, b->last, b->closed);
            (void)fprintf(f, "  <tspan fill=\"#555\">closed with %s, last %s (%s of it)</tspan>"
                             "</text>\n", pk, ls, pct);
        } else
            (void)fprintf(f, "  <tspan fill=\"#555\">peak %s, last %s</tspan></text>\n", pk, ls);
    }
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s && s[1] ? s + 1 : path;
}

/* How much of the birth chart is an estimate (birth.h). */
static void birth_note(FILE *f, const chart *c)
{
    char pct[32], left[32];
    units_percent(pct, sizeof pct, c->split, c->total);
    (void)fprintf(f, "<text x=\"%d\" y=\"68\" font-size=\"11\" fill=\"#444\">"
                     "Age bands straddling a window edge (%s of the bytes shown) are split by "
                     "overlap%s", X0, pct,
                  c->one_process ? ", then bounded by each stack's bytes in the profiles between"
                                 : ", not bounded: the profiles are not all of one process");
    if (c->unaged > 0) {
        units_percent(left, sizeof left, c->unaged, c->total + c->unaged);
        (void)fprintf(f, "; %s without an age left out", left);
    }
    (void)fputs("</text>\n", f);
}

static int write_svg(const chart *c, const char *out)
{
    outfile of;
    if (outfile_open(&of, out))
        return DIAG_FAIL;
    FILE *f = of.f;
    int height = Y1 + 80 + (int)(c->nbands + 1) * LEGEND_ROW;
    char when[64], span[64], peak[64];
    report_time(when, sizeof when, (long long)c->p[0]->time_nanos);
    units_seconds(span, sizeof span, c->xmax);
    units_value(peak, sizeof peak, c->peak, "bytes", false);
    (void)fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                     "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                     "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n"
                     "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n",
                  W, height, W, height);
    (void)fprintf(f, "<text x=\"%d\" y=\"30\" font-size=\"20\" font-weight=\"bold\">"
                     "Live heap over time, by %s%s</text>\n", X0,
                  c->o->by == BY_BIRTH ? "when it was allocated"
                  : report_by_tag()    ? "label "
                                       : "allocation site",
                  c->o->by == BY_SITE && report_by_tag() ? report_by_tag() : "");
    (void)fprintf(f, "<text x=\"%d\" y=\"52\" font-size=\"12\" fill=\"#444\">%zu profile%s",
                  X0, c->n, c->n == 1 ? "" : "s");
    if (c->timed && c->n > 1)
        (void)fprintf(f, " from %s over %s", when, span);
    else if (c->p[0]->time_nanos > 0)
        (void)fprintf(f, " at %s", when);
    (void)fprintf(f, "; peak %s; first: ", peak);
    svg_text(f, base_name(c->p[0]->path), 50);
    if (c->n > 1) {
        (void)fputs(", last: ", f);
        svg_text(f, base_name(c->p[c->n - 1]->path), 50);
    }
    if (c->o->site) {
        (void)fputs("; sites whose name contains \"", f);
        svg_text(f, c->o->site, 50);
        (void)fputs("\"", f);
    }
    (void)fputs("</text>\n", f);
    if (c->o->by == BY_BIRTH)
        birth_note(f, c);
    axes(f, c);
    bands(f, c);
    legend(f, c, Y1 + 70);
    (void)fputs("</svg>\n", f);
    bool to_stdout = outfile_is_stdout(&of);
    if (outfile_close(&of))
        return DIAG_FAIL;
    if (!to_stdout)
        printf("%s\n", out);
    return DIAG_OK;
}

/* --by birth needs time stamps, distinct ones, and ages in every profile
 * that has live bytes (the profiles are sorted; live[i]: profile i had). */
static int birth_inputs_ok(const chart *c, const bool *live)
{
    for (size_t i = 0; i < c->n; i++) {
        const profile *p = c->p[i];
        if (p->time_nanos <= 0) {
            diag_error("%s: no time stamp (time_nanos); --by birth places allocations in "
                       "time by the profiles' stamps", p->path);
            return DIAG_FAIL;
        }
        if (i && p->time_nanos == c->p[i - 1]->time_nanos) {
            diag_error("%s and %s have the same time stamp; --by birth needs profiles taken at "
                       "different times", c->p[i - 1]->path, p->path);
            return DIAG_FAIL;
        }
        if (live[i] && !p->naged) {
            report_no_ages(p);
            return DIAG_FAIL;
        }
    }
    return DIAG_OK;
}

/* Does any sample of p have a site name holding the text? */
static bool site_seen(const profile *p, const char *text)
{
    for (size_t j = 0; j < p->nsamples; j++)
        if (site_has(&p->samples[j], (void *)text))
            return true;
    return false;
}

/* Whether path can be read again: a regular file, not standard input, a
 * pipe or a process substitution's /dev/fd/N. */
static bool rereadable(const char *path)
{
    struct stat st;
    return strcmp(path, "-") && !stat(path, &st) && S_ISREG(st.st_mode);
}

/* --by birth: adds p, the series' profile i, to c->bs (c->t and
 * c->has_alloc filled up to i).  0, or -1 when out of memory. */
static int birth_add(chart *c, const profile *p, size_t i)
{
    c->t[i] = p->time_nanos;
    c->has_alloc[i] = profile_read_type(p, "alloc_space") >= 0;
    return birth_series_add(c->bs, p, i, c->t, c->has_alloc);
}

/* Reads the profiles one at a time, in the order given, each into c->p[i]
 * (live[i]: whether it holds live bytes; *seen: whether a site name holds
 * --site's text), and sheds its samples once used (profile_read_shed): a
 * long series holds the sites' cells (--by site) or the stacks' birth
 * sums (--by birth) and the profiles' headers, not every profile's
 * decoded samples (3.9 MB each for 10k stacks).  --by site adds each to s,
 * as profile i; --by birth adds each to c->bs while they come in time
 * order (a series' names, globbed, give it), and keeps whole a profile
 * that cannot be read again (rereadable), for birth_reread.  Then, when every profile has a time stamp,
 * sorts the profiles by it, and the set's columns and live with them. */
static int load_all(chart *c, stackset *s, char **files, bool *live, bool *seen)
{
    size_t n = c->n;
    long t;
    c->added = c->o->by == BY_BIRTH;
    for (size_t i = 0; i < n; i++) {
        profile *p = c->p[i] = report_load(files[i], c->o->lines);
        if (!p || (t = report_type(p, "inuse_space")) < 0 ||
            !report_whole(p, (size_t)t, "heapprof timeline"))
            return DIAG_FAIL;
        live[i] = report_any_live(p, (size_t)t);
        *seen = *seen || (c->o->site && site_seen(p, c->o->site));
        c->added = c->added && p->time_nanos > 0 && (!i || p->time_nanos >= c->t[i - 1]);
        if ((c->o->by == BY_SITE && stackset_add_profile(s, i, p, &t, STACKSET_SITE)) ||
            (c->added && birth_add(c, p, i)) ||
            ((c->o->by == BY_SITE || rereadable(p->path)) && profile_read_shed(p))) {
            diag_error("out of memory");
            return DIAG_FAIL;
        }
    }
    c->timed = true;
    for (size_t i = 0; i < n; i++)
        c->timed = c->timed && c->p[i]->time_nanos > 0;
    if (!c->timed)
        return DIAG_OK;
    size_t *order = malloc(n * sizeof *order);
    profile **q = malloc(n * sizeof *q);
    bool *l = malloc(n * sizeof *l);
    int rc = order && q && l ? DIAG_OK : DIAG_FAIL;
    if (!rc) {
        report_time_order(c->p, n, order);
        rc = stackset_permute(s, order) ? DIAG_FAIL : DIAG_OK;
    }
    if (rc)
        diag_error("out of memory");
    for (size_t i = 0; !rc && i < n; i++) {
        q[i] = c->p[order[i]];
        l[i] = live[order[i]];
    }
    if (!rc) {
        memcpy(c->p, q, n * sizeof *q);
        memcpy(live, l, n * sizeof *l);
    }
    free(order);
    free(q);
    free(l);
    return rc;
}

/* --by birth, for profiles not given in time order: adds them to a new
 * c->bs in that order, each read again (but those load_all kept whole).  A file that is no longer the profile it was (its time stamp or
 * its inuse_space differ) is an error, as a chart of two different
 * series would be wrong. */
static int birth_reread(chart *c)
{
    birth_series_free(c->bs);
    c->bs = birth_series_new(c->n, c->end, c->nc, c->o->site ? site_has : NULL,
                             (void *)c->o->site);
    if (!c->bs) {
        diag_error("out of memory");
        return DIAG_FAIL;
    }
    for (size_t i = 0; i < c->n; i++) {
        profile *was = c->p[i], *p = rereadable(was->path) ? report_load(was->path, c->o->lines) : was;
        if (!p)
            return DIAG_FAIL;
        long t = profile_read_type(p, "inuse_space");
        int rc = DIAG_OK;
        if (t < 0 || p->time_nanos != was->time_nanos ||
            !report_whole(p, (size_t)t, "heapprof timeline")) {
            diag_error("%s: changed while heapprof timeline read it; run it again", p->path);
            rc = DIAG_FAIL;
        } else if (birth_add(c, p, i)) {
            diag_error("out of memory");
            rc = DIAG_FAIL;
        }
        if (p != was)
            profile_read_free(p);
        if (rc)
            return rc;
    }
    return DIAG_OK;
}

static int run(char **files, size_t n, const timeline_opts *o)
{
    chart c;
    memset(&c, 0, sizeof c);
    c.n = n;
    c.o = o;
    c.p = calloc(n, sizeof *c.p);
    c.x = calloc(n, sizeof *c.x);
    bool *live = calloc(n, sizeof *live), seen = false;
    stackset *s = stackset_new(n, 1);
    int rc = DIAG_OK;
    if (c.p && c.x && live && s && o->by == BY_BIRTH) {
        c.end = malloc(n * sizeof *c.end);
        c.t = malloc(n * sizeof *c.t);
        c.has_alloc = malloc(n * sizeof *c.has_alloc);
        c.nc = c.end ? birth_cohorts(n, o->cohorts, c.end) : 0;
        c.bs = c.end ? birth_series_new(n, c.end, c.nc, o->site ? site_has : NULL,
                                        (void *)o->site)
                     : NULL;
    }
    if (!c.p || !c.x || !live || !s || (o->by == BY_BIRTH && (!c.t || !c.has_alloc || !c.bs))) {
        diag_error("out of memory");
        rc = DIAG_FAIL;
    } else {
        stackset_own_keys(s); /* the profiles' samples are freed as they are added */
    }
    if (!rc)
        rc = load_all(&c, s, files, live, &seen);
    if (!rc)
        report_processes(c.p, n, "the timeline joins their heaps as if they were one");
    if (!rc && o->by == BY_BIRTH)
        rc = birth_inputs_ok(&c, live);
    if (!rc && o->site && !seen) {
        diag_error("--site '%s': no allocation site's name (\"site \xe2\x86\x90 caller\") "
                   "contains it", o->site);
        rc = DIAG_FAIL;
    }
    if (!rc && c.timed && c.p[n - 1]->time_nanos == c.p[0]->time_nanos && n > 1)
        c.timed = false; /* all taken at once: no time axis to draw */
    for (size_t i = 0; !rc && i < n; i++)
        c.x[i] = c.timed ? (double)(c.p[i]->time_nanos - c.p[0]->time_nanos) / 1e9 : (double)i;
    c.xmax = !rc && n ? c.x[n - 1] : 0; /* c.x is NULL when out of memory */
    if (!rc && o->by == BY_BIRTH && !c.added)
        rc = birth_reread(&c);
    if (!rc && (o->by == BY_BIRTH ? build_birth(&c, c.bs, c.end, c.nc) : build(&c, s, o->top))) {
        diag_error("out of memory");
        rc = DIAG_FAIL;
    }
    if (!rc) {
        y_axis(&c);
        rc = write_svg(&c, o->out);
    }
    free(c.bands);
    free(c.cum);
    free(c.x);
    free(live);
    free(c.end);
    free(c.t);
    free(c.has_alloc);
    birth_series_free(c.bs);
    stackset_free(s);
    for (size_t i = 0; c.p && i < n; i++)
        profile_read_free(c.p[i]);
    free(c.p);
    return rc;
}

int cmd_timeline_main(int argc, char **argv)
{
    static const struct option longs[] = {
        {"out", required_argument, NULL, 'o'},
        {"top", required_argument, NULL, 't'},
        {"by", required_argument, NULL, 'b'},
        {"cohorts", required_argument, NULL, 'c'},
        {"site", required_argument, NULL, 's'},
        {"tag", required_argument, NULL, 'g'},
        {"lines", no_argument, NULL, 'l'},
        {"wrapper", required_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    timeline_opts o = {"timeline.svg", TOP_DEFAULT, COHORTS_DEFAULT, false, false, BY_SITE, NULL,
                       false};
    uint64_t v;
    int c, rt;
    opterr = 0;
    optind = 1;
    while ((c = args_getopt(argc, argv, ":o:h", longs)) != -1) {
        switch (c) {
        case 'o':
            if (!*optarg)
                return diag_usage("-o: the file name is empty");
            o.out = optarg;
            break;
        case 't':
            if (args_count("--top", optarg, 1, TOP_MAX, &v))
                return DIAG_USAGE;
            o.top = (size_t)v;
            o.top_set = true;
            break;
        case 'c':
            if (args_count("--cohorts", optarg, 2, COHORTS_MAX, &v))
                return DIAG_USAGE;
            o.cohorts = (size_t)v;
            o.cohorts_set = true;
            break;
        case 'b':
            /* Called for every --by, so that the last one counts. */
            if ((rt = report_by_tag_opt(optarg)) == DIAG_USAGE)
                return rt;
            if (!strcmp(optarg, "site") || rt == 0) /* tag: one frame, its value */
                o.by = BY_SITE;
            else if (!strcmp(optarg, "birth"))
                o.by = BY_BIRTH;
            else
                return diag_usage("--by '%s': use 'site', 'birth' or 'tag:KEY'", optarg);
            break;
        case 's':
            if (!*optarg)
                return diag_usage("--site: the text is empty");
            o.site = optarg;
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
            cmd_timeline_usage(stdout);
            return DIAG_OK;
        default:
            return args_getopt_error(c, argv, optind, optopt, longs);
        }
    }
    if (o.by == BY_BIRTH && o.top_set)
        return diag_usage("--top picks sites for --by site; --by birth has one band per window "
                          "of allocation times (--cohorts N), and --site TEXT picks sites");
    if (o.by == BY_SITE && o.cohorts_set)
        return diag_usage("--cohorts is for --by birth");
    if (optind >= argc)
        return diag_usage("which profiles? (heapprof timeline FILES... -o OUT.svg)");
    return run(&argv[optind], (size_t)(argc - optind), &o);
}

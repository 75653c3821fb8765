/*
 * cmd_timeline.c - `heapprof timeline FILES... -o timeline.svg`: a stacked
 * area chart of the live heap over time, one band per allocation site.
 *
 * Data: the profiles (sorted by time stamp when all have one; otherwise in
 * the given order, one x step each) go into a stackset keyed by allocation
 * site (leaf past allocator wrappers, and its caller), one cell per profile:
 * inuse_space.  The `top` sites with the highest peak become bands, from
 * the bottom up in that order; everything else is summed into "other", the
 * top band.  cum[k][i] is the height of band k's upper edge at profile i
 * (bands stacked, so cum is non-decreasing in k); negative values, which
 * only a diff profile could hold, count as 0.
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

#include "args.h"
#include "commands.h"
#include "diag.h"
#include "report.h"
#include "stackset.h"
#include "svg.h"
#include "units.h"

enum { TOP_DEFAULT = 8, TOP_MAX = 40, NAME_MAX_CHARS = 110 };

/* Layout, in SVG user units. */
enum { W = 1000, X0 = 90, X1 = W - 30, Y0 = 80, PH = 380, Y1 = Y0 + PH, LEGEND_ROW = 20 };

static const char *const palette[] = {
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
    "#ff9da7", "#9c755f", "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b",
    "#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#aec7e8", "#ffbb78",
};
#define OTHER_COLOR "#c7c7c7"

typedef struct band {
    stackset_row *row; /* NULL: "other" */
    double peak, last;
    char name[1024];
} band;

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
} chart;

void cmd_timeline_usage(FILE *f)
{
    (void)fprintf(f,
                  "Usage: heapprof timeline FILES... [-o OUT.svg] [--top N]\n"
                  "\n"
                  "Draw the live heap (inuse_space) over time as a stacked area chart, one band\n"
                  "per allocation site (the leaf function past allocator wrappers, and its\n"
                  "caller: \"site ← caller\"), so that a growing site stands out.  The N sites\n"
                  "with the highest peak get their own band, from the bottom up; the rest are\n"
                  "summed as \"other\".  x is each profile's time stamp in seconds after the\n"
                  "first (profiles are sorted by it; without time stamps, the given order).\n"
                  "The result is one self-contained SVG file for any web browser.\n"
                  "\n"
                  "Options:\n"
                  "  -o, --out FILE  where to write the SVG (default timeline.svg)\n"
                  "  --top N         sites with their own band (default %d, at most %d)\n"
                  "  -h, --help      this help\n"
                  "\n"
                  "Example: heapprof timeline heapprof.myprog.1234.*.pb.gz -o growth.svg\n",
                  TOP_DEFAULT, TOP_MAX);
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
    return strcmp(x->name, y->name);
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
        band other = {NULL, 0, 0, "other"};
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
    for (size_t k = 0; k < c->nbands; k++)
        for (size_t i = 0; i < n; i++) {
            double v = all[k].row ? fmax(0, stackset_cell_at(s, all[k].row, i, 0)->val)
                                  : c->cum[k * n + i];
            c->cum[k * n + i] = v + (k ? c->cum[(k - 1) * n + i] : 0);
        }
    c->ymax = 0;
    for (size_t i = 0; c->nbands && i < n; i++)
        c->ymax = fmax(c->ymax, c->cum[(c->nbands - 1) * n + i]);
    c->peak = c->ymax;
    /* The axis ends at the first tick at or above the peak. */
    double div, step;
    svg_byte_unit(c->ymax > 0 ? c->ymax : 1, &div);
    step = svg_step((c->ymax > 0 ? c->ymax : 1) / div, 6) * div;
    c->ymax = ceil((c->ymax > 0 ? c->ymax : 1) / step) * step;
    return 0;
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
        const char *color = b->row ? palette[k % (sizeof palette / sizeof palette[0])] : OTHER_COLOR;
        (void)fprintf(f, "<path fill=\"%s\" fill-opacity=\"0.9\" stroke=\"#ffffff\" "
                         "stroke-width=\"0.6\" d=\"", color);
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
        (void)fputs("</title></path>\n", f);
    }
    for (size_t i = 0; c->nbands && i < n; i++)
        (void)fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"#333\"/>\n",
                      n > 1 ? X(c, c->x[i]) : (X0 + X1) / 2.0,
                      Y(c, c->cum[(c->nbands - 1) * n + i]));
}

static void legend(FILE *f, const chart *c, int y)
{
    (void)fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"13\" font-weight=\"bold\">"
                     "Allocation sites (site \xe2\x86\x90 caller), top band first; peak and last "
                     "live bytes</text>\n", X0, y);
    for (size_t j = 0; j < c->nbands; j++) {
        size_t k = c->nbands - 1 - j; /* same order as the bands, top first */
        const band *b = &c->bands[k];
        int ry = y + 10 + (int)j * LEGEND_ROW;
        char pk[64], ls[64];
        units_value(pk, sizeof pk, b->peak, "bytes", false);
        units_value(ls, sizeof ls, b->last, "bytes", false);
        (void)fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"14\" fill=\"%s\"/>\n",
                      X0, ry,
                      b->row ? palette[k % (sizeof palette / sizeof palette[0])] : OTHER_COLOR);
        (void)fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"12\">", X0 + 22, ry + 11);
        svg_text(f, b->name, NAME_MAX_CHARS);
        (void)fprintf(f, "  <tspan fill=\"#555\">peak %s, last %s</tspan></text>\n", pk, ls);
    }
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s && s[1] ? s + 1 : path;
}

static int write_svg(const chart *c, const char *out)
{
    FILE *f = fopen(out, "w");
    if (!f) {
        diag_error("cannot write %s: %s", out, strerror(errno));
        return DIAG_FAIL;
    }
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
                     "Live heap over time, by allocation site</text>\n", X0);
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
    (void)fputs("</text>\n", f);
    axes(f, c);
    bands(f, c);
    legend(f, c, Y1 + 70);
    (void)fputs("</svg>\n", f);
    int bad = ferror(f);
    if (fclose(f) || bad) {
        diag_error("cannot write %s: %s", out, strerror(errno));
        return DIAG_FAIL;
    }
    printf("%s\n", out);
    return DIAG_OK;
}

static int run(char **files, size_t n, const char *out, size_t top)
{
    chart c;
    memset(&c, 0, sizeof c);
    c.n = n;
    c.p = calloc(n, sizeof *c.p);
    c.x = calloc(n, sizeof *c.x);
    stackset *s = stackset_new(n, 1);
    int rc = DIAG_OK;
    if (!c.p || !c.x || !s) {
        diag_error("out of memory");
        rc = DIAG_FAIL;
    }
    for (size_t i = 0; !rc && i < n; i++)
        if (!(c.p[i] = report_load(files[i])) || report_type(c.p[i], "inuse_space") < 0)
            rc = DIAG_FAIL;
    c.timed = !rc;
    for (size_t i = 0; !rc && i < n; i++)
        c.timed = c.timed && c.p[i]->time_nanos > 0;
    if (c.timed)
        report_sort_by_time(c.p, n);
    if (c.timed && c.p[n - 1]->time_nanos == c.p[0]->time_nanos && n > 1)
        c.timed = false; /* all taken at once: no time axis to draw */
    for (size_t i = 0; !rc && i < n; i++) {
        c.x[i] = c.timed ? (double)(c.p[i]->time_nanos - c.p[0]->time_nanos) / 1e9 : (double)i;
        long type = profile_read_type(c.p[i], "inuse_space");
        if (stackset_add_profile(s, i, c.p[i], &type, STACKSET_SITE)) {
            diag_error("out of memory");
            rc = DIAG_FAIL;
        }
    }
    c.xmax = !rc && n ? c.x[n - 1] : 0; /* c.x is NULL when out of memory */
    if (!rc && build(&c, s, top)) {
        diag_error("out of memory");
        rc = DIAG_FAIL;
    }
    if (!rc)
        rc = write_svg(&c, out);
    free(c.bands);
    free(c.cum);
    free(c.x);
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
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = "timeline.svg";
    uint64_t top = TOP_DEFAULT;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:h", longs, NULL)) != -1) {
        switch (c) {
        case 'o':
            if (!*optarg)
                return diag_usage("-o: the file name is empty");
            out = optarg;
            break;
        case 't':
            if (args_count("--top", optarg, 1, TOP_MAX, &top))
                return DIAG_USAGE;
            break;
        case 'h':
            cmd_timeline_usage(stdout);
            return DIAG_OK;
        default:
            return args_getopt_error(c, argv, optind, optopt);
        }
    }
    if (optind >= argc)
        return diag_usage("which profiles? (heapprof timeline FILES... -o OUT.svg)");
    return run(&argv[optind], (size_t)(argc - optind), out, (size_t)top);
}

/*
 * cmd_flame.c - `heapprof flame FILE -o flame.svg`: a flame graph of one
 * profile, without Go or a browser's pprof; with --base EARLY, the same
 * graph coloured by what changed since EARLY, for leak hunting.
 *
 * Data: every sample's stack goes into the call tree of flame.h, root
 * first, with its value of the chosen type (and, with --base, the base's
 * samples with theirs).  A sample with a value below 0 (a delta profile's)
 * cannot be drawn as a width and is left out, and the subtitle says how
 * much was.  Each frame is as wide as the value through it; a frame
 * narrower than MIN_PX, and what it calls, is not drawn, nor is a frame
 * deeper than DEPTH_MAX: every level of a stack is a row FRAME_H tall, so a
 * profile of a few KiB that repeats two locations 2^25 times in one stack
 * (what the reader allows: FRAMES_MAX) drew 33 million rows, a 6 GB SVG
 * that took four minutes to write and that no browser opens.  heapprof
 * keeps at most 256 frames a stack (HEAPPROF_DEPTH).
 *
 * Colours: by name in a warm palette (grey for a frame that has no name,
 * only an address); with --base, red for a frame whose value grew since
 * the base and blue for one that shrank, the deeper the more it changed
 * against the largest change in the graph.  Every frame's tooltip (an SVG
 * <title>) has its name, value, share, standard error and, with --base,
 * its change.
 *
 * --lines: frames are source lines, "func file:line" (profile_read.h), so
 * a function is a frame per line it is at.  Paths are long and boxes
 * narrow: a box reads "func base:line" (the file's last component:
 * profile_read_short) and its tooltip the whole name; the colour is the
 * box's text's, so a function's lines in one file are told apart.
 *
 * Output is one self-contained SVG file, as the timeline's: no scripts, no
 * external fonts or styles; every piece of text from a profile goes
 * through svg_text.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "age.h"
#include "args.h"
#include "commands.h"
#include "diag.h"
#include "flame.h"
#include "outfile.h"
#include "report.h"
#include "svg.h"
#include "units.h"

/* Layout, in SVG user units: frames FRAME_H tall under a TOP_H header. */
enum { WIDTH_DEFAULT = 1200, WIDTH_MIN = 400, WIDTH_MAX = 20000 };
enum { PAD = 10, TOP_H = 70, FRAME_H = 17, BOTTOM_H = 16, FONT = 11 };
#define MIN_PX 0.5
enum { DEPTH_MAX = 2048 }; /* levels drawn above the root (see the top) */
#define CHAR_PX 6.6 /* the width of a character of FONT-sized sans-serif, roughly */

typedef struct flame_opts {
    const char *out, *type, *base;
    uint64_t width;
    report_ages ages;  /* --min-age, --max-age */
    report_lifetimes lifetimes; /* --max-lifetime */
    const char *focus; /* --focus: stacks through a function whose name holds it */
    bool lines;        /* --lines: frames are source lines */
    bool folded;       /* --folded: folded stacks, not an SVG */
} flame_opts;

void cmd_flame_usage(FILE *f)
{
    (void)fputs(
        "Usage: heapprof flame FILE [-o OUT.svg] [--type TYPE] [--base EARLY] [--width PX]\n"
        "                           [--min-age DUR] [--max-age DUR] [--focus TEXT] [--lines]\n"
        "                           [--max-lifetime DUR] [--tag KEY=PAT] [--by tag:KEY]\n"
        "                           [--folded]\n"
        "\n"
        "Draw a flame graph of a profile (gzipped or plain pprof, written by heapprof or\n"
        "any other producer) as one self-contained SVG file: no Go, no browser server.\n"
        "The bottom bar is the whole profile; above each frame are the functions it\n"
        "called, each as wide as the memory allocated through it.  Hover over a frame\n"
        "for its name, value, share and standard error.\n"
        "\n"
        "Options:\n"
        "  -o, --out FILE  where to write the SVG (default flame.svg; - for standard\n"
        "                  output), whole or not at all: a failed write keeps the old one\n"
        "  --type TYPE     the sample type: inuse_space (heapprof's default),\n"
        "                  inuse_objects, alloc_space, alloc_objects, or any type the\n"
        "                  profile has (default: the profile's default type)\n"
        "  --base EARLY    a differential graph: widths from FILE, colours from the change\n"
        "                  since the profile EARLY (red: grew, blue: shrank, the deeper the\n"
        "                  more); the tooltips give each frame's change.  With an early and a\n"
        "                  late profile of a leaking process, the leak is the red tower.\n"
        "  --width PX      the graph's width (default 1200, 400 to 20000)\n"
        "  --min-age DUR   only live objects at least DUR old (90s, 10m, 2h, 1d; whole\n"
        "                  age bands, as heapprof top --min-age): from one profile, the\n"
        "                  memory a leak has been keeping; with --base, in both profiles\n"
        "  --max-age DUR   only live objects younger than DUR\n"
        "  --max-lifetime DUR\n"
        "                  temporary allocations: only objects freed less than DUR after\n"
        "                  their allocation (whole lifetime bands, as heapprof top\n"
        "                  --max-lifetime); the type is then alloc_space unless --type\n"
        "                  alloc_objects is given\n"
        "  --focus TEXT    only the stacks through a function whose name contains TEXT\n"
        "                  (whole stacks: what called it too), as pprof's -focus; with\n"
        "                  --lines, through a frame whose \"func file:line\" contains it\n"
        "                  (--focus util.c:42, --focus src/net/)\n"
        "  --lines         frames are source lines, \"func file:line\" (as go tool pprof\n"
        "                  -lines): a function that allocates at two lines is two frames.\n"
        "                  A box shows the file's last component, its tooltip the whole\n"
        "                  path; a frame with neither file nor line keeps its function's\n"
        "                  name\n"
        "                  (the lines the profile left to pprof are read from the\n"
        "                  binaries on this machine of its build-ids, as pprof reads\n"
        "                  them; HEAPPROF_LOCAL_LINES=off reads none)\n"
        "  --tag KEY=PAT   only samples whose label KEY matches the shell pattern PAT\n"
        "                  (--tag thread=io-*, --tag component=parser; each KEY\n"
        "                  must match one of its PATs), of both profiles with --base\n"
        "  --by tag:KEY    one tower per value of the sample label KEY, above the\n"
        "                  bottom bar (--by tag:thread: each thread pool's stacks), as\n"
        "                  go tool pprof -tagroot\n"
        "  --folded        folded stacks instead of an SVG, one line per stack:\n"
        "                  \"root;...;leaf BYTES\" (with --base, \"root;...;leaf BASE\n"
        "                  BYTES\"), for flamegraph.pl, difffolded.pl, speedscope or\n"
        "                  inferno; to standard output unless -o is given\n"
        "  -h, --help      this help\n"
        "\n"
        "Frames narrower than half a pixel, and what they call, are not drawn, nor\n"
        "frames more than 2048 calls deep (the SVG says how deep the deepest is).\n"
        "\n"
        "Example: heapprof flame heapprof.myprog.1234.0002.pb.gz -o heap.svg\n"
        "         heapprof flame --base heapprof.myprog.1234.0001.pb.gz \\\n"
        "             heapprof.myprog.1234.0009.pb.gz -o growth.svg\n", f);
}

static const char *const no_stack[] = {"(no stack)"};

/* Text made with a profile's strings (a type's name, a unit inside a
 * value), escaped as svg_text escapes names: a producer may put anything
 * there. */
__attribute__((format(printf, 2, 3))) static void put(FILE *f, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    svg_text(f, buf, sizeof buf);
}

/* Whether a frame of s is a function whose name contains text. */
static bool through(const profile_sample *s, const char *text)
{
    for (size_t k = 0; k < s->nframes; k++)
        if (strstr(s->frames[k], text))
            return true;
    return false;
}

/* Adds p's samples of type t to the tree (those through --focus's text
 * only): as the profile's values, or as the base's.  *left_out counts what
 * a negative value kept out (its sum in *left_val).  A stack deeper than
 * depth_max (DEPTH_MAX for the SVG) goes in without its frames past that
 * depth, which no row shows: the tree stays as small as the graph
 * (*deepest: the deepest stack cut).  Folded stacks have no such bound: a
 * cut one would credit its bytes to the frame at the cut.  0, or -1 when
 * out of memory. */
static int add_profile(flame *g, const profile *p, size_t t, bool base, const char *focus,
                       size_t depth_max, size_t *left_out, stackset_cell *left_val,
                       size_t *deepest)
{
    for (size_t i = 0; i < p->nsamples; i++) {
        const profile_sample *s = &p->samples[i];
        if (focus && !through(s, focus))
            continue;
        int64_t v = s->values[t];
        if (v < 0) {
            ++*left_out;
            stackset_cell_add_int(left_val, v, 0, PROFILE_SD_EXACT);
            continue;
        }
        if (v == 0 && s->var[t] == 0)
            continue;
        const char *const *fr = s->nframes ? s->frames : no_stack;
        const namehash *h = s->nframes ? s->hashes : NULL; /* NULL: hashed by the graph */
        size_t n = s->nframes ? s->nframes : 1;
        if (n > depth_max) { /* leaf first: the root's depth_max frames are the last */
            *deepest = n > *deepest ? n : *deepest;
            fr += n - depth_max;
            h = h ? h + (n - depth_max) : NULL;
            n = depth_max;
        }
        int r = base ? flame_add_hashed(g, fr, h, n, 0, 0, PROFILE_SD_EXACT, v)
                     : flame_add_hashed(g, fr, h, n, v, s->var[t], s->sd[t], 0);
        if (r)
            return -1;
    }
    return 0;
}

typedef struct draw {
    FILE *f;
    const profile *p, *base; /* base: NULL without --base */
    size_t t;
    bool diff;
    double width;     /* of the graph, in user units */
    double height;    /* of the image */
    double max_delta; /* the largest |val - base| of a drawn frame */
    bool exact;       /* flame_exact: values print from the nodes' ival, ibase */
} draw;

/* v, a node's val or base, in the type's unit: from e, its integer sum,
 * while the tree keeps them (a count past 2^53 to the last digit). */
static void value_of(char *buf, size_t len, const draw *d, double v, int64_t e)
{
    units_value_exact(buf, len, v, d->exact ? &e : NULL, d->p->type_unit[d->t], false);
}

/* A node's |val - base| likewise (in bytes too: past 2^53 the doubles'
 * difference can be 0 where the sums differ). */
static void change_of(char *buf, size_t len, const draw *d, const flame_node *n)
{
    int64_t e = 0;
    bool ok = d->exact && !__builtin_sub_overflow(n->ival, n->ibase, &e) && e != INT64_MIN;
    e = e < 0 ? -e : e;
    units_value_exact(buf, len, ok ? (double)e : fabs(n->val - n->base), ok ? &e : NULL,
                      d->p->type_unit[d->t], false);
}

/* A frame's text in a box: with --lines, "func base:line" (see the top),
 * from whichever profile the name came from. */
static const char *box_text(const draw *d, const char *name)
{
    const char *s = profile_read_short(d->p, name);
    return s == name && d->base ? profile_read_short(d->base, name) : s;
}

/* Whether a node grew (1), shrank (-1) or held (0) since the base: from
 * the integers while they are exact, as the change is said (change_of);
 * past 2^53 the doubles can tie, or order the other way, two sums that
 * differ (a base of 2^53 + 1 and 2^53 read "+1"). */
static int change_sign(const draw *d, const flame_node *n)
{
    if (d->exact)
        return n->ival < n->ibase ? -1 : n->ival > n->ibase;
    return n->val < n->base ? -1 : n->val > n->base;
}

static void color(const draw *d, const flame_node *n, char *buf, size_t len)
{
    if (!n->name) {
        snprintf(buf, len, "rgb(200,200,200)");
    } else if (d->diff) {
        double delta = n->val - n->base;
        double s = d->max_delta > 0 ? fabs(delta) / d->max_delta : 0;
        int c = (int)lround(235 - 200 * s); /* 235: unchanged, 35: the largest change */
        if (change_sign(d, n) > 0)
            snprintf(buf, len, "rgb(255,%d,%d)", c, c);
        else if (change_sign(d, n) < 0)
            snprintf(buf, len, "rgb(%d,%d,255)", c, c);
        else
            snprintf(buf, len, "rgb(235,235,235)");
    } else if (!strncmp(n->name, "0x", 2)) {
        snprintf(buf, len, "rgb(190,190,190)"); /* an address: no name to read */
    } else {
        /* A warm palette, the same colour for a name wherever it is. */
        uint32_t h = (uint32_t)flame_name_hash(box_text(d, n->name));
        snprintf(buf, len, "rgb(%u,%u,%u)", 205 + (h & 0x3f) % 51, (h >> 8) % 231,
                 (h >> 16) % 56);
    }
}

static void find_max_delta(void *ctx, const flame_node *n, double x, double w)
{
    (void)x;
    (void)w;
    draw *d = ctx;
    double delta = fabs(n->val - n->base);
    if (n->name && delta > d->max_delta)
        d->max_delta = delta;
}

static void frame(void *ctx, const flame_node *n, double x, double w)
{
    draw *d = ctx;
    FILE *f = d->f;
    const char *unit = d->p->type_unit[d->t];
    double px = PAD + x * d->width, pw = w * d->width;
    double py = d->height - BOTTOM_H - (double)(n->depth + 1) * FRAME_H;
    char val[64], sd[64], share[16], fill[32];
    value_of(val, sizeof val, d, n->val, n->ival);
    units_sd(sd, sizeof sd, n->var, n->sd, unit, false);
    units_percent(share, sizeof share, w, 1);
    color(d, n, fill, sizeof fill);
    (void)fputs("<g><title>", f);
    if (n->name)
        svg_text(f, n->name, 2000);
    else
        (void)fputs("all", f);
    (void)fputc('\n', f); /* svg_text would make it a '?' */
    put(f, "%s \xc2\xb1 %s (%s)", val, sd, share);
    if (d->diff) {
        char b[64], ch[64];
        value_of(b, sizeof b, d, n->base, n->ibase);
        change_of(ch, sizeof ch, d, n);
        (void)fputc('\n', f);
        put(f, "%s%s since the base (%s there)", change_sign(d, n) >= 0 ? "+" : "-", ch, b);
    }
    (void)fprintf(f, "</title><rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%d\" "
                     "fill=\"%s\" rx=\"2\"/>",
                  px, py, pw, FRAME_H - 1, fill);
    size_t chars = pw > 8 ? (size_t)((pw - 6) / CHAR_PX) : 0;
    if (chars >= 3) {
        (void)fprintf(f, "<text x=\"%.2f\" y=\"%.1f\">", px + 3, py + FRAME_H - 5);
        if (n->name)
            svg_text(f, box_text(d, n->name), chars - 1);
        else
            put(f, "all (%s)", val);
        (void)fputs("</text>", f);
    }
    (void)fputs("</g>\n", f);
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* "live objects at least 2m old" and the like, for the subtitle. */
static void age_phrase(char *buf, size_t len, const flame_opts *o)
{
    double lo, hi;
    age_range_edges(&o->ages.range, &lo, &hi);
    char a[32], b[32];
    age_short(a, sizeof a, lo);
    age_short(b, sizeof b, hi);
    if (isinf(hi))
        snprintf(buf, len, "live objects at least %s old", a);
    else if (lo > 0)
        snprintf(buf, len, "live objects at least %s and less than %s old", a, b);
    else
        snprintf(buf, len, "live objects less than %s old", b);
}

/* Closes the graph's file (or folded stacks') and names it on stdout,
 * unless it is stdout. */
static int close_out(outfile *out, const flame_opts *o)
{
    bool to_stdout = outfile_is_stdout(out);
    if (outfile_close(out))
        return DIAG_FAIL;
    if (!to_stdout)
        printf("%s\n", o->out);
    return DIAG_OK;
}

/* nothing: why the graph is empty (said where its bars would be), or NULL. */
static int write_svg(const flame *g, const profile *p, const profile *base, size_t t,
                     const flame_opts *o, size_t left_out, const stackset_cell *left_val,
                     size_t unaged, size_t deepest, const char *nothing)
{
    draw d = {.p = p, .base = base, .t = t, .diff = base != NULL, .width = (double)o->width,
              .exact = flame_exact(g)};
    double min_w = MIN_PX / d.width;
    /* A first pass for the depth drawn (the image's height) and the largest
     * change (the colour scale). */
    uint32_t depth = flame_layout(g, min_w, find_max_delta, &d);
    int w = (int)o->width + 2 * PAD;
    d.height = TOP_H + (double)(depth + 1) * FRAME_H + BOTTOM_H;
    outfile out;
    if (outfile_open(&out, o->out))
        return DIAG_FAIL;
    FILE *f = out.f;
    d.f = f;
    const char *unit = p->type_unit[t];
    const flame_node *root = flame_node_at(g, 0);
    char total[64], sd[64], when[64];
    value_of(total, sizeof total, &d, root->val, root->ival);
    units_sd(sd, sizeof sd, root->var, root->sd, unit, false);
    report_time(when, sizeof when, (long long)p->time_nanos);
    (void)fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                     "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%.0f\" "
                     "viewBox=\"0 0 %d %.0f\" font-family=\"sans-serif\" font-size=\"%d\">\n"
                     "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n",
                  w, d.height, w, d.height, FONT);
    (void)fprintf(f, "<text x=\"%d\" y=\"26\" font-size=\"18\" font-weight=\"bold\">", PAD);
    put(f, "%s, %s", base ? "What changed" : "Flame graph", p->type_name[t]);
    (void)fputs("</text>\n", f);
    (void)fprintf(f, "<text x=\"%d\" y=\"46\" font-size=\"12\" fill=\"#444\">", PAD);
    svg_text(f, base_name(p->path), 80);
    put(f, " at %s: %s \xc2\xb1 %s", when, total, sd);
    if (base) {
        char b[64], ch[64];
        value_of(b, sizeof b, &d, root->base, root->ibase);
        change_of(ch, sizeof ch, &d, root);
        (void)fputs("; base ", f);
        svg_text(f, base_name(base->path), 80);
        put(f, ": %s, so %s%s (red: grew, blue: shrank)", b,
            change_sign(&d, root) >= 0 ? "+" : "-", ch);
    }
    if (o->ages.on) {
        char ages[128];
        age_phrase(ages, sizeof ages, o);
        (void)fprintf(f, "; %s", ages);
    }
    if (o->lifetimes.arg) {
        char e[32];
        age_short(e, sizeof e, o->lifetimes.edge);
        (void)fprintf(f, "; objects freed less than %s after their allocation", e);
    }
    if (o->focus) {
        (void)fprintf(f, "; stacks through a %s contains \"",
                      o->lines ? "frame whose function file:line" : "function whose name");
        svg_text(f, o->focus, 80);
        (void)fputs("\"", f);
    }
    (void)fputs("</text>\n", f);
    /* How to read the bars, none on an empty graph; what was left out is
     * said on either (it may be why the graph is empty). */
    if (!nothing || unaged || deepest || left_out) {
        (void)fprintf(f, "<text x=\"%d\" y=\"62\" font-size=\"11\" fill=\"#666\">%s", PAD,
                      nothing ? "" : "The bottom bar is everything; above each frame, what it "
                                     "called. Hover for values.");
        if (unaged)
            (void)fprintf(f, " Left out: %zu sample%s without an age.", unaged,
                          unaged == 1 ? "" : "s");
        if (deepest)
            (void)fprintf(f, " Left out: the frames more than %d calls deep (the deepest stack "
                          "has %zu).", DEPTH_MAX, deepest);
        if (left_out) {
            char lv[64];
            report_cell_value(lv, sizeof lv, left_val, unit, false);
            put(f, " Left out: %zu sample%s of negative value (%s).", left_out,
                left_out == 1 ? "" : "s", lv);
        }
        (void)fputs("</text>\n", f);
    }
    if (nothing) {
        (void)fprintf(f, "<text x=\"%d\" y=\"%.0f\" font-size=\"12\">Nothing to draw: ", PAD,
                      d.height - BOTTOM_H - 5);
        svg_text(f, nothing, 400);
        (void)fputs(".</text>\n", f);
    }
    flame_layout(g, min_w, frame, &d);
    (void)fputs("</svg>\n", f);
    return close_out(&out, o);
}

/* --folded: one line per stack, "root;...;leaf VALUE" (with --base,
 * "root;...;leaf BASE VALUE"), as FlameGraph's stackcollapse scripts write
 * and flamegraph.pl, difffolded.pl, speedscope and inferno read
 * (flamegraph.pl takes the line's last blank and digits for the count, and
 * splits the rest at ';').  Values are the integer sums of the samples
 * (rounded only past int64_t's range, flame_exact); a stack whose values
 * are both 0 is left out. */
typedef struct folded {
    FILE *f;
    bool diff;
} folded;

/* A name as one field of a line: ';' separates frames, so it becomes ':'
 * (a newline cannot end the line early: the reader made every control
 * character a '?'). */
static void folded_name(FILE *f, const char *s, bool last)
{
    /* flamegraph.pl, inferno and speedscope take "STACK N1 N2" for a
     * differential line: a leaf ending in a blank and a number ("thread=pool
     * 2" of a stackless sample) would be read as one, its number as the
     * count before.  That blank becomes '_'. */
    const char *blank = NULL;
    if (last) {
        size_t e = strlen(s), d = e;
        while (d > 0 && (isdigit((unsigned char)s[d - 1]) || s[d - 1] == '.'))
            d--;
        if (d < e && d > 0 && isdigit((unsigned char)s[d]) && isspace((unsigned char)s[d - 1]))
            blank = s + d - 1;
    }
    for (; *s; s++)
        (void)putc(*s == ';' ? ':' : s == blank ? '_' : *s, f);
}

static void folded_line(void *ctx, const char *const *path, size_t n, double val, double base,
                        const int64_t *exact)
{
    const folded *d = ctx;
    /* The integer sums, exact past 2^53 where a double rounds; past
     * int64_t's range, the double's digits (llround's are undefined there),
     * and a rounding's leftover below 0 is 0: no sample is below 0 here,
     * and readers take a count of digits. */
    char v[32], b[32];
    units_value_exact(v, sizeof v, fmax(val, 0), exact ? &exact[0] : NULL, "", true);
    units_value_exact(b, sizeof b, fmax(base, 0), exact ? &exact[1] : NULL, "", true);
    if (!strcmp(v, "0") && (!d->diff || !strcmp(b, "0")))
        return;
    for (size_t k = 0; k < n; k++) {
        if (k)
            (void)putc(';', d->f);
        folded_name(d->f, path[k], !d->diff && k + 1 == n);
    }
    if (d->diff)
        (void)fprintf(d->f, " %s %s\n", b, v);
    else
        (void)fprintf(d->f, " %s\n", v);
}

static int write_folded(const flame *g, bool diff, const flame_opts *o, size_t left_out,
                        size_t unaged)
{
    /* What the SVG's subtitle would say is left out goes to stderr. */
    if (unaged)
        diag_error("note: left out %zu sample%s without an age", unaged, unaged == 1 ? "" : "s");
    if (left_out)
        diag_error("note: left out %zu sample%s of negative value", left_out,
                   left_out == 1 ? "" : "s");
    outfile out;
    if (outfile_open(&out, o->out))
        return DIAG_FAIL;
    folded d = {out.f, diff};
    if (flame_self(g, folded_line, &d)) {
        diag_error("out of memory");
        (void)outfile_close(&out);
        return DIAG_FAIL;
    }
    return close_out(&out, o);
}

/* The profile to draw: p itself, or its samples of the age range, or of
 * the objects freed within --max-lifetime (in v->p too, with no unaged:
 * age_view_free frees either). */
static int view_of(const profile *p, size_t t, const flame_opts *o, age_view *v,
                   const profile **use)
{
    *use = p;
    if (!o->ages.on && !o->lifetimes.arg)
        return DIAG_OK;
    int r = o->ages.on ? report_age_view(p, t, &o->ages, v)
                       : report_lifetime_view(p, t, &o->lifetimes, &v->p);
    if (r != DIAG_OK)
        return r;
    *use = &v->p;
    return DIAG_OK;
}

static int run(const char *path, const flame_opts *o)
{
    profile *p = report_load(path, o->lines), *b = NULL;
    age_view pv = {0}, bv = {0};
    const profile *pu = NULL, *bu = NULL;
    flame *g = NULL;
    int r = DIAG_FAIL;
    if (!p)
        goto out;
    long t = report_type(p, o->type), bt = -1;
    if (t < 0)
        goto out;
    if (o->base) {
        if (!(b = report_load(o->base, o->lines)))
            goto out;
        if ((bt = profile_read_type(b, p->type_name[t])) < 0) {
            diag_error("%s has no sample type '%s', which %s is drawn by", o->base,
                       p->type_name[t], path);
            goto out;
        }
    }
    if ((r = view_of(p, (size_t)t, o, &pv, &pu)) != DIAG_OK ||
        (b && (r = view_of(b, (size_t)bt, o, &bv, &bu)) != DIAG_OK))
        goto out;
    r = DIAG_FAIL;
    size_t left_out = 0, deepest = 0, depth_max = o->folded ? SIZE_MAX : DEPTH_MAX;
    stackset_cell left_val = {0};
    if (!(g = flame_new()) ||
        add_profile(g, pu, (size_t)t, false, o->focus, depth_max, &left_out, &left_val,
                    &deepest) ||
        (b && add_profile(g, bu, (size_t)bt, true, o->focus, depth_max, &left_out, &left_val,
                          &deepest)) ||
        flame_sort(g)) {
        diag_error("out of memory");
        goto out;
    }
    /* An empty graph is an answer, as top's "Total: 0" is (exit status 0):
     * a filter that leaves nothing, a profile with nothing live.  The SVG
     * says so where its bars would be, the folded output has no lines. */
    char nothing[1024] = "";
    if (!(flame_node_at(g, 0)->val > 0)) {
        snprintf(nothing, sizeof nothing, "no sample%s%s has %s above 0%s",
                 !o->focus ? ""
                 : o->lines ? " through a frame whose function file:line contains "
                            : " through a function whose name contains ",
                 o->focus ? o->focus : "", p->type_name[t],
                 o->ages.on        ? " in that age range"
                 : o->lifetimes.arg ? " among the objects freed within that lifetime"
                                    : "");
        diag_error("note: %s: nothing to draw: %s; the %s is empty", path, nothing,
                   o->folded ? "output" : "graph");
        if (!o->focus && !o->ages.on && !o->lifetimes.arg && !b)
            report_note_none_live(p, (size_t)t);
    }
    r = o->folded ? write_folded(g, b != NULL, o, left_out, pv.unaged + bv.unaged)
                  : write_svg(g, p, b, (size_t)t, o, left_out, &left_val, pv.unaged + bv.unaged,
                              deepest, *nothing ? nothing : NULL);
out:
    flame_free(g);
    if (pu == &pv.p)
        age_view_free(&pv);
    if (bu == &bv.p)
        age_view_free(&bv);
    profile_read_free(b);
    profile_read_free(p);
    return r;
}

int cmd_flame_main(int argc, char **argv)
{
    static const struct option longs[] = {
        {"out", required_argument, NULL, 'o'},   {"type", required_argument, NULL, 't'},
        {"base", required_argument, NULL, 'b'},  {"width", required_argument, NULL, 'w'},
        {"min-age", required_argument, NULL, 'a'}, {"max-age", required_argument, NULL, 'A'},
        {"max-lifetime", required_argument, NULL, 'L'},
        {"focus", required_argument, NULL, 'f'}, {"tag", required_argument, NULL, 'g'},
        {"lines", no_argument, NULL, 'l'},       {"by", required_argument, NULL, 'y'},
        {"folded", no_argument, NULL, 'F'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    flame_opts o = {NULL,  NULL, NULL, WIDTH_DEFAULT, REPORT_AGES_NONE, REPORT_LIFETIMES_NONE,
                    NULL, false, false};
    int c;
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
            o.type = optarg;
            break;
        case 'b':
            if (!*optarg)
                return diag_usage("--base: the file name is empty");
            o.base = optarg;
            break;
        case 'w':
            if (args_count("--width", optarg, WIDTH_MIN, WIDTH_MAX, &o.width))
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
        case 'f':
            if (!*optarg)
                return diag_usage("--focus: the text is empty");
            o.focus = optarg;
            break;
        case 'g':
            if (report_tag_opt(optarg))
                return DIAG_USAGE;
            break;
        case 'y': {
            int r = report_by_tag_opt(optarg);
            if (r == 1)
                return diag_usage("--by '%s': use 'tag:KEY'", optarg);
            if (r)
                return r;
            report_by_tag_root();
            break;
        }
        case 'l':
            o.lines = true;
            break;
        case 'F':
            o.folded = true;
            break;
        case 'h':
            cmd_flame_usage(stdout);
            return DIAG_OK;
        default:
            return args_getopt_error(c, argv, optind, optopt, longs);
        }
    }
    if (optind >= argc)
        return diag_usage("which profile? (heapprof flame FILE -o OUT.svg)");
    if (argc - optind > 1)
        return diag_usage("one profile at a time (got '%s' and '%s'; to draw what changed "
                          "between two, use --base EARLY LATE)", argv[optind], argv[optind + 1]);
    if (o.ages.on && report_age_args(&o.ages) != DIAG_OK)
        return DIAG_USAGE;
    if (report_lifetime_args(&o.lifetimes, &o.ages, &o.type) != DIAG_OK)
        return DIAG_USAGE;
    if (!o.out)
        o.out = o.folded ? "-" : "flame.svg";
    return run(argv[optind], &o);
}

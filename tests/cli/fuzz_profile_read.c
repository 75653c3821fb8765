/*
 * fuzz_profile_read.c - libFuzzer target for the heapprof command's profile
 * reader (src/cli/profile_read.c): any bytes, gzipped or not, must give
 * either a valid model or an error message, never a crash, a leak or an
 * out-of-bounds access.  A model that is returned is walked completely
 * (every frame name, value and variance), so that an index the checks let
 * through would be caught by AddressSanitizer here.
 *
 * The model then goes through what every command does with it: stacks and
 * allocation sites are aggregated (stackset.c), named, and written as SVG
 * text (svg.c, to /dev/null); the samples' ages (label "age") are checked
 * and selected by age range as top --min-age/--max-age does (age.c), and
 * credited to birth windows and bounded as leaks and timeline --by birth
 * do (birth.c); last, its samples are shed, as leaks does, and what is
 * kept is read.
 *
 * Each input is read twice: as it is, then by source line
 * (PROFILE_READ_LINES, the commands' --lines), which must give the same
 * samples and frames, each named as before or "name file:line" (also
 * "name :line" and "name file", as pprof names them), and a short form
 * that starts with the name too; or refuse the input only for the size
 * of those names.  Every frame's hash is its name's (namehash.h).  Both models go through the walk above.
 *
 * Read a third time with PROFILE_READ_LOCAL too, every mapping's file this
 * executable (LOCALLINES_FUZZ_PATH, set by its build): the selection of
 * mappings and the Lines made from the DWARF of a real binary, at any
 * address; that model is walked.
 *
 * Mutated gzip data rarely survives its checksum, so an input starting
 * with 'Z' is gzipped here (the rest of it) before it is read: the
 * decompressed bytes then reach the decoder as freely as plain ones.
 *
 * The decompression bound is lowered to 8 MiB so that gzip bombs among the
 * inputs are refused quickly instead of exhausting the fuzzer's memory.
 *
 * Build: cmake -DCMAKE_C_COMPILER=clang -DHEAPPROF_FUZZ=ON ...
 * Run:   fuzz_profile_read -max_total_time=60 tests/cli/corpus
 */
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "age.h"
#include "birth.h"
#include "flame.h"
#include "lifetime.h"
#include "profile_read.h"
#include "stackset.h"
#include "svg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct flame_check {
    const flame *g;
    size_t drawn;
} flame_check;

/* Each node drawn lies within [0, 1] and is no wider than the whole. */
static void check_frame(void *ctx, const flame_node *n, double x, double w)
{
    flame_check *c = ctx;
    c->drawn++;
    if (!(x >= 0 && w > 0 && x + w <= 1 + 1e-9) || !(n->val > 0))
        __builtin_trap();
    if (n->val > flame_node_at(c->g, 0)->val * (1 + 1e-9))
        __builtin_trap();
}

/* The gzip form of d, malloc'd, or NULL. */
static uint8_t *gzip(const uint8_t *d, size_t n, size_t *out)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    size_t cap = deflateBound(&zs, (uLong)n) + 32;
    uint8_t *buf = malloc(cap);
    zs.next_in = (Bytef *)d;
    zs.avail_in = (uInt)n;
    zs.next_out = buf;
    zs.avail_out = (uInt)cap;
    if (!buf || deflate(&zs, Z_FINISH) != Z_STREAM_END) {
        free(buf);
        buf = NULL;
    }
    *out = cap - zs.avail_out;
    deflateEnd(&zs);
    return buf;
}

/* leaks --by site's rows (stackset_add_sites): set's stack rows added to
 * their sites', no more rows than stacks, and every cell's total over the
 * rows what it was over the stacks (set: 2 profiles, ntypes types). */
static void check_sites(const stackset *set, size_t ntypes)
{
    stackset *sites = stackset_new(2, ntypes);
    if (sites && !stackset_add_sites(sites, set)) {
        if (stackset_count(sites) > stackset_count(set) ||
            (stackset_count(set) && !stackset_count(sites)))
            __builtin_trap();
        for (size_t i = 0; i < 2; i++)
            for (size_t k = 0; k < ntypes; k++) {
                double a = 0, b = 0;
                for (size_t r = 0; r < stackset_count(set); r++)
                    a += stackset_cell_at(set, stackset_get(set, r), i, k)->val;
                for (size_t r = 0; r < stackset_count(sites); r++)
                    b += stackset_cell_at(sites, stackset_get(sites, r), i, k)->val;
                if (fabs(a - b) > 1e-6 * fmax(1, fabs(a)))
                    __builtin_trap();
            }
    }
    stackset_free(sites);
}

/* What `heapprof leaks` and `timeline --by birth` do with ages (birth.c):
 * the profile taken twice, 10 s apart, its live bytes credited to the
 * cohorts born before the first and between the two, by each rule, then
 * bounded by the series.  Every credit must be a number; bounded, none is
 * negative and a profile's credits still sum to what was credited. */
static void check_births(const profile *p)
{
    profile a = *p, b = *p; /* shallow: only the time stamps differ */
    a.time_nanos = 1700000000LL * 1000000000LL;
    b.time_nanos = a.time_nanos + 10LL * 1000000000LL;
    profile *const pair[2] = {&a, &b};
    long live = profile_read_type(p, "inuse_space"), alloc = profile_read_type(p, "alloc_space");
    if (live < 0)
        live = (long)p->default_type;
    long lv[2] = {live, live}, al[2] = {alloc, alloc};
    size_t end[2];
    size_t nc = birth_cohorts(2, 2, end);
    for (int rule = BIRTH_EVEN; rule <= BIRTH_NEWEST; rule++) {
        stackset *set = stackset_new(2, nc + 3);
        double split[2], unaged[2];
        if (!set || birth_credit(set, pair, 2, lv, al, end, nc, (enum birth_rule)rule, NULL, NULL,
                                 split, unaged)) {
            stackset_free(set);
            continue;
        }
        for (size_t r = 0; r < stackset_count(set); r++) {
            stackset_row *row = stackset_get(set, r);
            double c[2 * 2], alv[2], livev[2], young[2], sum[2] = {0, 0};
            for (size_t i = 0; i < 2; i++) {
                for (size_t k = 0; k < nc; k++) {
                    c[k * 2 + i] = stackset_cell_at(set, row, i, k)->val;
                    if (!isfinite(c[k * 2 + i]) || c[k * 2 + i] < 0)
                        __builtin_trap();
                    sum[i] += c[k * 2 + i];
                }
                alv[i] = alloc >= 0 ? stackset_cell_at(set, row, i, nc)->val : NAN;
                livev[i] = stackset_cell_at(set, row, i, nc + 1)->val;
                young[i] = stackset_cell_at(set, row, i, nc + 2)->val;
            }
            birth_bound(c, 2, end, nc, alv, livev, young);
            for (size_t i = 0; i < 2; i++) {
                double got = 0;
                for (size_t k = 0; k < nc; k++) {
                    if (!isfinite(c[k * 2 + i]) || c[k * 2 + i] < 0)
                        __builtin_trap();
                    got += c[k * 2 + i];
                }
                if (fabs(got - sum[i]) > 1e-6 * fmax(1, fabs(sum[i])))
                    __builtin_trap();
            }
        }
        check_sites(set, nc + 3);
        stackset_free(set);
    }
}

/* Whether ln is name, or name followed by " FILE:LINE" (LINE digits, a
 * sign perhaps; FILE empty perhaps) or by " FILE" (line 0), as pprof
 * names a line (linenames.h); a function without a name, named by its
 * location ("[FILE]", "<unknown>"), is "FILE:LINE" alone. */
static bool named_from(const char *ln, const char *name)
{
    size_t n = strlen(name), l = strlen(ln);
    if ((name[0] == '[' || !strcmp(name, "<unknown>")) && strcmp(ln, name))
        return l > 0;
    if (strncmp(ln, name, n) || (ln[n] != '\0' && ln[n] != ' '))
        return false;
    return ln[n] == '\0' || l > n + 1; /* " FILE:LINE", " :LINE" or " FILE": not empty */
}

/* The model read by source line (lp) against the one read as it is. */
static void check_lines(const profile *p, const profile *lp)
{
    if (lp->nsamples != p->nsamples)
        __builtin_trap();
    bool any = false;
    for (size_t i = 0; i < p->nsamples; i++) {
        const profile_sample *s = &p->samples[i], *ls = &lp->samples[i];
        if (ls->nframes != s->nframes)
            __builtin_trap();
        for (size_t k = 0; k < s->nframes; k++) {
            const char *f = ls->frames[k], *sh = profile_read_short(lp, f);
            if (!named_from(f, s->frames[k]) || !named_from(sh, s->frames[k]) ||
                strlen(sh) > strlen(f))
                __builtin_trap();
            any = any || strcmp(f, s->frames[k]);
        }
    }
    if (any && !lp->lines)
        __builtin_trap(); /* lines: some location's line is named, used or not */
}

/* Everything a command does with a model (see the top); p is shed. */
static void walk(profile *p)
{
    volatile size_t sink = 0;
    for (size_t t = 0; t < p->ntypes; t++)
        sink += strlen(p->type_name[t]) + strlen(p->type_unit[t]);
    for (size_t i = 0; i < p->ncomments; i++)
        sink += strlen(p->comments[i]);
    if (p->default_type >= p->ntypes)
        __builtin_trap();
    for (size_t i = 0; i < p->nsamples; i++) {
        const profile_sample *s = &p->samples[i];
        for (size_t k = 0; k < s->nframes; k++)
            sink += strlen(s->frames[k]);
        for (size_t t = 0; t < p->ntypes; t++) {
            if (s->sd[t] > PROFILE_SD_UNKNOWN || !(s->var[t] >= 0))
                __builtin_trap();
            sink += (size_t)s->values[t];
        }
    }
    size_t naged = 0;
    for (size_t i = 0; i < p->nsamples; i++) {
        double a = p->samples[i].age;
        if (!(a == -1 || (a >= 0 && isfinite(a))))
            __builtin_trap(); /* -1 or a finite age in seconds */
        naged += a >= 0;
        if (a >= 0 && !(age_band_end(a) > a && age_band_start(a) <= a))
            __builtin_trap();
    }
    if (naged != p->naged)
        __builtin_trap();
    static const age_range ranges[] = {{0, INFINITY}, {600, INFINITY}, {0, 60}, {90, 7200}};
    for (size_t k = 0; k < sizeof ranges / sizeof ranges[0]; k++) {
        age_view v;
        if (age_view_make(p, &ranges[k], p->default_type, &v))
            continue;
        for (size_t i = 0; i < v.p.nsamples; i++)
            if (!age_range_has(&ranges[k], v.p.samples[i].age))
                __builtin_trap();
        if (v.p.nsamples + v.unaged > p->nsamples)
            __builtin_trap();
        age_view_free(&v);
    }
    /* Lifetimes (lifetime.h): read as ages are, and a view keeps only
     * samples whose band ends within its bound. */
    size_t nlife = 0;
    for (size_t i = 0; i < p->nsamples; i++) {
        double l = p->samples[i].lifetime;
        if (!(l == -1 || (l >= 0 && isfinite(l))))
            __builtin_trap();
        nlife += l >= 0;
    }
    if (nlife != p->nlifetimes)
        __builtin_trap();
    static const double within[] = {1, 10, 3600, INFINITY};
    for (size_t k = 0; k < sizeof within / sizeof within[0]; k++) {
        profile v;
        if (lifetime_view_make(p, within[k], &v))
            continue;
        for (size_t i = 0; i < v.nsamples; i++)
            if (!(v.samples[i].lifetime >= 0 && lifetime_band_end(v.samples[i].lifetime) <= within[k]))
                __builtin_trap();
        if (v.nsamples > p->nsamples)
            __builtin_trap();
        lifetime_view_free(&v);
    }
    long types[2] = {(long)p->default_type, p->ntypes > 1 ? 0 : -1};
    for (int key = STACKSET_STACK; key <= STACKSET_SITE; key++) {
        stackset *set = stackset_new(1, 2);
        if (set && key == STACKSET_SITE)
            stackset_own_keys(set); /* as leaks keeps its keys */
        if (set && stackset_add_profile(set, 0, p, types, (enum stackset_key)key) == 0) {
            static FILE *devnull;
            if (!devnull && !(devnull = fopen("/dev/null", "w")))
                __builtin_trap();
            char name[256];
            for (size_t i = 0; i < stackset_count(set); i++) {
                stackset_row *r = stackset_get(set, i);
                stackset_site_name(name, sizeof name, r->frames, r->nframes);
                sink += strlen(name);
                svg_text(devnull, name, 40);
                for (size_t k = 0; k < r->nframes; k++)
                    svg_text(devnull, r->frames[k], 1000);
            }
        }
        stackset_free(set);
    }
    /* The flame graph's tree (flame.c) of the default type, with the
     * first type as the base: every node drawn must lie within its parent
     * and the whole, and the tree must hold every frame. */
    flame *g = flame_new();
    size_t t = p->default_type, frames = 0;
    int bad = !g;
    for (size_t i = 0; i < p->nsamples && !bad; i++) {
        const profile_sample *s = &p->samples[i];
        int64_t v = s->values[t];
        frames += s->nframes;
        /* Each frame's hash, made once per name (namehash.h), is its name's. */
        for (size_t k = 0; k < s->nframes; k++)
            if (s->hashes[k] != namehash_of(s->frames[k]))
                __builtin_trap();
        bad = flame_add_hashed(g, s->frames, s->hashes, s->nframes, v > 0 ? v : 0, s->var[t],
                               s->sd[t], s->values[0]);
    }
    if (!bad && !flame_sort(g)) {
        if (flame_count(g) > frames + 1)
            __builtin_trap();
        flame_check fc = {g, 0};
        flame_layout(g, 0.001, check_frame, &fc);
        if (flame_node_at(g, 0)->val > 0 && !fc.drawn)
            __builtin_trap(); /* the root at least */
    }
    flame_free(g);
    check_births(p);
    /* What leaks keeps of a profile it has added: the header, whole. */
    if (profile_read_shed(p) == 0) {
        if (p->nsamples || p->samples)
            __builtin_trap();
        for (size_t k = 0; k < p->ntypes; k++)
            sink += strlen(p->type_name[k]) + strlen(p->type_unit[k]);
        for (size_t i = 0; i < p->ncomments; i++)
            sink += strlen(p->comments[i]);
        sink += strlen(p->period_type) + strlen(p->period_unit) + strlen(p->path);
    }
    (void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    uint8_t *z = NULL;
    if (size && data[0] == 'Z') {
        if (!(z = gzip(data + 1, size - 1, &size)))
            return 0;
        data = z;
    }
    static const profile_limits lim = {8u << 20, 0, NULL}; /* decoding: at most 256 MiB */
    profile *p = profile_read_mem(data, size, "fuzz", &lim, 0, err, sizeof err);
    if (!p) {
        free(z);
        if (!err[0] || !memchr(err, '\0', sizeof err))
            __builtin_trap(); /* a refusal always says why */
        return 0;
    }
    /* With the lines of the binaries here (PROFILE_READ_LOCAL; every
     * mapping's file is this executable, LOCALLINES_FUZZ_PATH): inlined
     * frames add frames, so only walked; refused only for the size of
     * names or memory. */
    profile *llp = profile_read_mem(data, size, "fuzz", &lim,
                                    PROFILE_READ_LINES | PROFILE_READ_LOCAL, err, sizeof err);
    if (!llp && !strstr(err, "file:line names would take more than") &&
        !strstr(err, "out of memory") && !strstr(err, "decod"))
        __builtin_trap();
    profile *lp = profile_read_mem(data, size, "fuzz", &lim, PROFILE_READ_LINES, err, sizeof err);
    free(z);
    if (!lp && !strstr(err, "file:line names would take more than"))
        __builtin_trap(); /* what read without lines reads with them, but for their size */
    if (lp)
        check_lines(p, lp);
    walk(p);
    profile_read_free(p);
    if (llp)
        walk(llp);
    profile_read_free(llp);
    /* --by tag:thread (flame's, as the root, for odd sizes), then --tag
     * thread=*: a last frame per sample, named, and only the samples that
     * have the label left (a string one: --tag does not match a numeric
     * label, which --by tag names by its value). */
    size_t labelled = 0;
    if (lp && profile_read_by_tag(lp, "thread", size & 1, &labelled)) {
        profile_read_free(lp); /* out of memory: fit only to be freed */
        lp = NULL;
    }
    if (lp) {
        size_t unlabelled = 0, n = lp->nsamples;
        for (size_t i = 0; i < n; i++) {
            const profile_sample *smp = &lp->samples[i];
            if ((!(size & 1) && smp->nframes != 1) || !smp->nframes ||
                !smp->frames[smp->nframes - 1])
                __builtin_trap();
            unlabelled += strncmp(smp->frames[smp->nframes - 1], "thread=", 7) != 0;
        }
        static const char *const key[] = {"thread"}, *const glob[] = {"*"};
        if (labelled != n - unlabelled ||
            profile_read_keep_tagged(lp, 1, key, glob, NULL, 0) > labelled)
            __builtin_trap();
    }
    if (lp)
        walk(lp);
    profile_read_free(lp);
    return 0;
}

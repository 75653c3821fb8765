/*
 * dump.c - see dump.h.
 *
 * Values: fixed-point sums of the per-sample weights (sampler.c):
 * objects = objs / SAMPLER_OBJ_ONE rounded, bytes as stored.  alloc_* are
 * the stack records' own sums; inuse_* the live table's entries, folded
 * per stack first (live_fold, stacks.h says why).  The records are then
 * read one by one as the encoder asks for them, so a profile is a view over
 * the time it takes to write, not an atomic one: a sample taken meanwhile
 * may show in alloc_* but not in inuse_*, or in one stack and not in
 * another.
 *
 * Ages: a profile that is not a delta splits each stack's in-use values by
 * the age of its live objects (ages.h), one sample per band in use, each
 * with a numeric label `age` (seconds, the band's lower bound), youngest
 * first.  The first carries the stack's alloc_* values and the later ones
 * zero, so every total is as before.  Every sample carries all the count
 * and error labels (zero where its values are), so that a reader adding
 * up a stack's samples adds up their variances.  A delta has no ages: what
 * was in use at its base cannot be told apart by band.
 *
 * Lifetimes: such a profile also splits each stack's alloc_* values by
 * how long its freed objects lived (ages.h, stacks.h): first one sample
 * per lifetime band with a numeric label `lifetime` (seconds, the band's
 * lower bound) and the alloc_* values of the objects freed at that
 * lifetime, nothing in use; then the age bands as above, the first
 * carrying what is left of alloc_* (objects still live, or freed unseen).
 * Every total is as before: the bands are capped by the totals
 * (split_lifetimes), and objects rounded cumulatively over all the
 * stack's samples (take_objs).  A delta has no lifetimes either: its
 * alloc_* count what was allocated since its base, while the frees since
 * include objects allocated before it, so one would not split the other.
 *
 * Memory: the fold's 40 bytes per stack (4 MB for 100k stacks; a delta
 * 16 more, for the variance of the objects its base held), or with
 * ages 8 bytes per stack and 40 per stack and band in use, for the length
 * of the dump (lifetimes are read from each record as it is written).  Records go to the encoder one at a time
 * (stack_walk), so the rest of a dump's own memory grows with the distinct
 * locations and names, not with the stacks; what it allocates is malloc'd,
 * kept out of the profile by the guard, and a failure fails this dump
 * only.
 */
#define _GNU_SOURCE
#include "dump.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "ages.h"
#include "common.h"
#include "fdid.h"
#include "heaptext.h"
#include "lifecycle.h"
#include "labels.h"
#include "live.h"
#include "log.h"
#include "mem.h"
#include "outfile.h"
#include "pprof.h"
#include "profiler.h"
#include "quietsig.h"
#include "retired.h"
#include "sampler.h"
#include "stacks.h"
#include "symbols.h"

static symbolizer *sym; /* kept across dumps: per-file symbol caches */

/* This process image's identity in every profile ("process run=..."): the
 * CLI tells one process's series from profiles of several that share a
 * prefix and a pid (pid namespaces, an exec in place) by it.  Drawn at the
 * first profile, under the dump's lock; a fork child draws its own, an
 * exec'd image starts from 0 again. */
static uint64_t run_id;

void dump_atfork_child(void)
{
    sym = NULL;
    run_id = 0;
}

static uint64_t draw_run_id(void)
{
    uint64_t v = 0;
    if (getrandom(&v, sizeof v, GRND_NONBLOCK) != (ssize_t)sizeof v) {
        struct timespec a, b;
        clock_gettime(CLOCK_REALTIME, &a);
        clock_gettime(CLOCK_MONOTONIC, &b);
        v = (uint64_t)a.tv_sec * 1000000000u + (uint64_t)a.tv_nsec;
        v ^= ((uint64_t)b.tv_nsec << 20) ^ ((uint64_t)getpid() << 40);
        v += 0x9e3779b97f4a7c15u; /* splitmix64's finaliser: all bits from all */
        v = (v ^ (v >> 30)) * 0xbf58476d1ce4e5b9u;
        v = (v ^ (v >> 27)) * 0x94d049bb133111ebu;
        v ^= v >> 31;
    }
    return v ? v : 1;
}

/* A stack's six numbers, as read once.  Fixed-point objects are turned into
 * counts last, so that a delta of two snapshots rounds once. */
typedef struct stack_values {
    uint64_t objs[2], bytes[2], samples[2];
    double var_objs[2], var_bytes[2]; /* [0] alloc, [1] inuse */
} stack_values;

struct dump_snapshot {
    size_t n;
    int64_t taken_ns;   /* CLOCK_MONOTONIC: where a delta's duration starts */
    uint32_t taken_sec; /* ages_now(): which live objects it may hold (kept) */
    stack_values v[];   /* by stack id */
};

static void put_totals(const stack_totals *t, stack_values *v, int k)
{
    v->objs[k] = t->objs;
    v->bytes[k] = t->bytes;
    v->samples[k] = t->samples;
    v->var_objs[k] = t->var_objs;
    v->var_bytes[k] = t->var_bytes;
}

/* In-use totals by stack id, for the n first ids: the live table folded,
 * before any record's counts are read (stacks_read), so that a sample
 * taken in between shows as allocated, not in use.  One caught half way
 * can still show in use before its allocation: profiler.c counts a sample
 * after inserting it. */
static stack_totals *fold_inuse(size_t n)
{
    stack_totals *t = mem_calloc(n ? n : 1, sizeof *t);
    if (t)
        live_fold(t, n);
    return t;
}

static void read_values(const stack_rec *r, const stack_totals *inuse, size_t n,
                        stack_values *v)
{
    static const stack_totals none;
    stack_view t;
    stacks_read(r, &t);
    put_totals(&t.alloc, v, 0);
    put_totals(r->id < n ? &inuse[r->id] : &none, v, 1);
}

dump_snapshot *dump_snapshot_take(void)
{
    size_t n = (size_t)stacks_count() + 16;
    dump_snapshot *s = mem_calloc(1, sizeof *s + n * sizeof s->v[0]);
    /* The second before the fold: an object born while it runs may be
     * missing from it, and must not pass for kept (fold_kept) however long
     * the fold takes. */
    uint32_t taken_sec = ages_now();
    stack_totals *inuse = s ? fold_inuse(n) : NULL;
    if (!inuse) {
        mem_free(s);
        return NULL;
    }
    s->n = n;
    s->taken_ns = clock_ns(CLOCK_MONOTONIC);
    s->taken_sec = taken_sec;
    for (stack_rec *r = stacks_first(); r; r = r->next_all)
        if (r->id < n)
            read_values(r, inuse, n, &s->v[r->id]);
    mem_free(inuse);
    return s;
}

void dump_snapshot_free(dump_snapshot *s) { mem_free(s); }

/* The in-use variance, by stack, of the live objects a delta's base
 * already held: those still live now that were born at least 2 s before
 * the snapshot.  Objects born within the 2 s before it count as new, so a
 * sample straddling a second's tick at the snapshot cannot be taken for
 * one it held; one it did hold then counts twice below, which only widens
 * the error. */
typedef struct kept_var {
    double objs, bytes;
} kept_var;

typedef struct kept_fold {
    kept_var *by_id;
    size_t n;
    uint32_t taken_sec;
} kept_fold;

static void add_kept(void *ctx, const live_entry *e)
{
    kept_fold *k = ctx;
    uint32_t id = e->stack_id;
    if (id >= k->n || ages_of(live_born(e), k->taken_sec) < 2)
        return;
    stack_sample x = stacks_weigh(e->size, e->weight);
    k->by_id[id].objs += x.var_objs;
    k->by_id[id].bytes += x.var_bytes;
}

static kept_var *fold_kept(const dump_snapshot *base, size_t n)
{
    kept_fold k = {mem_calloc(n ? n : 1, sizeof *k.by_id), n, base->taken_sec};
    if (k.by_id)
        live_visit(add_kept, &k);
    return k.by_id;
}

/* The in-use variance of a delta: now's plus the base's less twice that of
 * the objects both held, which is at most either.  The kept fold can
 * count an object the base did not hold on this stack: one adopted from
 * another stack since (heapprof_label_adopt keeps its birth), or one out
 * of the table during the first fold and back for the second (a realloc
 * in flight); bounded so, such an object can only widen the error. */
static double delta_var(double now, double base, double kept)
{
    double k = kept < base ? kept : base;
    return now + base - 2 * (k < now ? k : now);
}

/* v -= base, for a delta profile: what happened since the snapshot.  The
 * allocated totals only grow, so theirs is the variance of the samples
 * since.  In use, the objects live at both times cancel out of the
 * difference, and those that came or went since add theirs (delta_var; it
 * was now's less the base's, 0 for a stack whose heap shrank). */
static void subtract(stack_values *v, const stack_values *b, const kept_var *kept)
{
    for (int k = 0; k < 2; k++) {
        v->objs[k] -= b->objs[k];
        v->bytes[k] -= b->bytes[k];
        v->samples[k] -= b->samples[k];
    }
    v->var_objs[0] -= b->var_objs[0];
    v->var_bytes[0] -= b->var_bytes[0];
    v->var_objs[1] = delta_var(v->var_objs[1], b->var_objs[1], kept->objs);
    v->var_bytes[1] = delta_var(v->var_bytes[1], b->var_bytes[1], kept->bytes);
}

/* Per-sample labels: the stack's component labels (labels.h), then how far
 * to trust each estimate: the raw number of samples behind it, and its
 * standard error (square root of the variance estimate kept per stack, see
 * stacks.h).  pprof shows them with -tags; `heapprof top` turns them into
 * its ± column.  In exact mode the errors are zero and only the counts are
 * written.  Returns how many labels were stored. */
enum { NUM_LABELS = 6, NLABELS = LABELS_MAX_PAIRS + 1 + NUM_LABELS };

/* A sample's band, if any: an age band of its in-use values, or a lifetime
 * band of its alloc values (a sample has one or the other, never both). */
typedef struct band_label {
    const char *key; /* "age" or "lifetime"; NULL: no band */
    uint32_t lower;  /* seconds */
} band_label;

static const band_label NO_BAND = {NULL, 0};

static uint32_t label(pprof_label *l, uint32_t set, const stack_values *v, bool sampled,
                      band_label band)
{
    label_pair pairs[LABELS_MAX_PAIRS];
    size_t n = labels_expand(set, pairs, LABELS_MAX_PAIRS);
    for (size_t i = 0; i < n; i++)
        l[i] = (pprof_label){pairs[i].key, pairs[i].value, 0, NULL};
    if (band.key)
        l[n++] = (pprof_label){band.key, NULL, band.lower, "seconds"};
    l += n;
    l[0] = (pprof_label){"alloc_samples", NULL, (int64_t)v->samples[0], "count"};
    l[1] = (pprof_label){"inuse_samples", NULL, (int64_t)v->samples[1], "count"};
    if (!sampled)
        return (uint32_t)n + 2;
    static const char *keys[2][2] = {{"alloc_objects_sd", "alloc_space_sd"},
                                     {"inuse_objects_sd", "inuse_space_sd"}};
    for (int k = 0; k < 2; k++) {
        double vo = v->var_objs[k] > 0 ? v->var_objs[k] : 0;
        double vb = v->var_bytes[k] > 0 ? v->var_bytes[k] : 0;
        l[2 + 2 * k] = (pprof_label){keys[k][0], NULL, (int64_t)(sqrt(vo) + 0.5), "count"};
        l[3 + 2 * k] = (pprof_label){keys[k][1], NULL, (int64_t)(sqrt(vb) + 0.5), "bytes"};
    }
    return (uint32_t)n + NUM_LABELS;
}

/* The stacks to write, handed to the encoder one at a time (pprof_next_fn)
 * so that no per-stack array is built: the stacks that existed when the walk
 * began, with anything to show (relative to base when given).  Ones created
 * during the walk (the list is newest first) wait for the next profile.
 * With ages, the walk stays on a record until its lifetime bands, then its
 * age bands, are written. */
typedef struct stack_walk {
    const dump_snapshot *base;
    const stack_rec *r;        /* next record to look at */
    uint64_t limit;            /* stack ids below this existed at the start */
    const stack_totals *inuse; /* by id, below limit (fold_inuse), and */
    const kept_var *kept;      /* with base (fold_kept); or */
    const ages_table *ages;    /* by id and band, below limit (ages_fold) */
    bool sampled;
    const stack_rec *cur;        /* the record whose bands are being written */
    uint32_t lives;              /* its lifetime bands still to write */
    uint32_t bands;              /* its age bands still to write */
    bool rest_due;               /* its alloc values in no lifetime band, not yet written */
    stack_totals life[AGES_LIFETIMES]; /* its alloc values by lifetime band (split_lifetimes) */
    stack_totals rest;           /* and in none */
    uint64_t alloc_objs;         /* its allocated objects (fixed point) in the samples written */
    uint64_t band_objs;          /* its in-use objects (fixed point) in the bands written */
    stack_values v;              /* the values of the sample being written */
    pprof_label labels[NLABELS]; /* and its labels, reused */
} stack_walk;

/* s for record r from w->v, with alloc_objs allocated and inuse_objs
 * in-use objects; false if all its values are zero. */
static bool fill(stack_walk *w, const stack_rec *r, band_label band, int64_t alloc_objs,
                 int64_t inuse_objs, pprof_sample *s)
{
    const stack_values *v = &w->v;
    s->pcs = r->pcs;
    s->depth = r->depth;
    s->values[0] = alloc_objs;
    s->values[1] = (int64_t)v->bytes[0];
    s->values[2] = inuse_objs;
    s->values[3] = (int64_t)v->bytes[1];
    if (!(s->values[0] | s->values[1] | s->values[2] | s->values[3]))
        return false;
    s->nlabels = label(w->labels, r->labels, v, w->sampled, band);
    s->labels = w->labels;
    return true;
}

/* The objects of `add` more (fixed point) after *done of one stack's
 * samples, rounded cumulatively: what the samples so far round to less
 * what the ones before did, so that a stack's samples add up to its total
 * rounded once (live_debugtext checks them against the text
 * profile's).  Rounded one by one they did not: how a stack's objects
 * fall into bands depends on timing, and two runs with one HEAPPROF_SEED
 * showed 404 and 405 objects. */
static int64_t take_objs(uint64_t *done, uint64_t add)
{
    int64_t before = stacks_objects(*done);
    *done += add;
    return stacks_objects(*done) - before;
}

static uint64_t cap_u(uint64_t *left, uint64_t v)
{
    uint64_t c = v < *left ? v : *left;
    *left -= c;
    return c;
}

static double cap_d(double *left, double v)
{
    double c = v < *left ? v : *left;
    if (c < 0)
        c = 0;
    *left -= c;
    return c;
}

static void cap_totals(stack_totals *room, stack_totals *l)
{
    l->objs = cap_u(&room->objs, l->objs);
    l->bytes = cap_u(&room->bytes, l->bytes);
    l->samples = cap_u(&room->samples, l->samples);
    l->var_objs = cap_d(&room->var_objs, l->var_objs);
    l->var_bytes = cap_d(&room->var_bytes, l->var_bytes);
}

/* Split r's alloc totals: the freed ones of each lifetime band (read first,
 * stacks_read_lifetimes says why), then the rest.  The bands are capped,
 * field by field, by what was allocated here and is not in use now (its
 * age bands): an adopted object freed here (stacks_move_inuse) counts in
 * a band but not in this stack's allocations.  Capped by the allocations
 * alone, a label's 50 live objects read as 50 freed under a second when
 * 100 objects adopted by it were.  So the samples also add up to the
 * totals exactly, whatever was read. */
static void split_lifetimes(stack_walk *w, const stack_rec *r)
{
    w->lives = stacks_read_lifetimes(r, w->life);
    stack_view t;
    stacks_read(r, &t);
    stack_totals room = t.alloc, inuse;
    for (uint32_t m = ages_mask(w->ages, r->id); m; m &= m - 1) {
        inuse = *ages_totals(w->ages, r->id, (unsigned)__builtin_ctz(m));
        cap_totals(&room, &inuse);
    }
    stack_totals left = t.alloc;
    for (unsigned b = 0; b < AGES_LIFETIMES; b++) {
        stack_totals *l = &w->life[b];
        cap_totals(&room, l);
        cap_totals(&left, (stack_totals[]){*l});
    }
    w->rest = left;
    w->rest_due = true;
    w->alloc_objs = 0;
}

/* The next lifetime band of w->cur: the alloc values of its objects freed
 * at that age, nothing in use. */
static bool next_life(stack_walk *w, pprof_sample *s)
{
    static const stack_totals none;
    unsigned b = (unsigned)__builtin_ctz(w->lives);
    w->lives &= w->lives - 1;
    put_totals(&w->life[b], &w->v, 0);
    put_totals(&none, &w->v, 1);
    band_label l = {"lifetime", ages_lifetime_lower[b]};
    return fill(w, w->cur, l, take_objs(&w->alloc_objs, w->life[b].objs), 0, s);
}

/* The alloc values in no lifetime band, into w->v, once per stack: the
 * first sample after the lifetimes carries them, the later ones zero. */
static int64_t put_rest(stack_walk *w)
{
    static const stack_totals none;
    put_totals(w->rest_due ? &w->rest : &none, &w->v, 0);
    int64_t objs = take_objs(&w->alloc_objs, w->rest_due ? w->rest.objs : 0);
    w->rest_due = false;
    return objs;
}

/* The next age band of w->cur: its in-use values, with the rest of the
 * record's alloc_* values if it is the first (objects rounded as
 * take_objs says). */
static bool next_band(stack_walk *w, pprof_sample *s)
{
    unsigned b = (unsigned)__builtin_ctz(w->bands);
    w->bands &= w->bands - 1;
    put_totals(ages_totals(w->ages, w->cur->id, b), &w->v, 1);
    int64_t alloc_objs = put_rest(w);
    int64_t inuse_objs = take_objs(&w->band_objs, w->v.objs[1]);
    band_label l = {"age", ages_band_lower[b]};
    return fill(w, w->cur, l, alloc_objs, inuse_objs, s);
}

static int next_stack(void *ctx, pprof_sample *s)
{
    stack_walk *w = ctx;
    for (;;) {
        while (w->lives)
            if (next_life(w, s))
                return 1;
        while (w->bands)
            if (next_band(w, s))
                return 1;
        if (w->rest_due) {
            /* No age band: the rest alone, nothing in use. */
            w->v = (stack_values){0};
            int64_t objs = put_rest(w);
            if (fill(w, w->cur, NO_BAND, objs, 0, s))
                return 1;
        }
        const stack_rec *r = w->r;
        if (!r)
            return 0;
        w->r = r->next_all;
        if (r->id >= w->limit)
            continue;
        if (w->ages) {
            w->cur = r;
            split_lifetimes(w, r);
            w->bands = ages_mask(w->ages, r->id);
            w->band_objs = 0;
            continue;
        }
        read_values(r, w->inuse, w->limit, &w->v);
        if (w->base && r->id < w->base->n)
            subtract(&w->v, &w->base->v[r->id], &w->kept[r->id]);
        if (fill(w, r, NO_BAND, stacks_objects(w->v.objs[0]), stacks_objects(w->v.objs[1]), s))
            return 1;
    }
}

/* The text profile (heaptext.h): one record per stack with anything to
 * show, its in-use values those of its age bands added up, its objects
 * rounded once, as the binary profile's bands add up to (next_band), so
 * that pprof shows the same numbers for both.  Memory: the age fold's, 48
 * bytes per stack for the records, which heaptext sorts, and 24 per
 * distinct frame address no symbol names (heaptext.c, dwarf_lookup). */
static int write_text(int fd, const fdid *id, const stack_rec *head, uint64_t limit,
                      const char *const *cp, size_t nc)
{
    ages_table *ages = ages_fold(limit);
    heaptext_record *recs = ages ? mem_calloc(limit ? limit : 1, sizeof *recs) : NULL;
    if (!recs) {
        ages_free(ages);
        return ENOMEM;
    }
    size_t n = 0;
    for (const stack_rec *r = head; r; r = r->next_all) {
        if (r->id >= limit || n >= limit)
            continue;
        stack_view v;
        stacks_read(r, &v);
        heaptext_record *t = &recs[n];
        *t = (heaptext_record){r->pcs, r->depth, 0, 0, stacks_objects(v.alloc.objs),
                               (int64_t)v.alloc.bytes};
        uint64_t objs = 0;
        for (uint32_t bands = ages_mask(ages, r->id); bands; bands &= bands - 1) {
            const stack_totals *b = ages_totals(ages, r->id, (unsigned)__builtin_ctz(bands));
            objs += b->objs;
            t->inuse_bytes += (int64_t)b->bytes;
        }
        t->inuse_objs = stacks_objects(objs);
        if (t->inuse_objs | t->inuse_bytes | t->alloc_objs | t->alloc_bytes)
            n++;
    }
    ages_free(ages);
    heaptext_profile text = {
        .records = recs,
        .nrecords = n,
        .comments = cp,
        .ncomments = nc,
        .symbols = pprof_symbols_from(sym),
        .fd_id = id,
    };
    int err = heaptext_write(&text, fd);
    mem_free(recs);
    return err;
}

enum { NCOMMENTS = 7, NEXTRA = 6, COMMENT_MAX = 160 };

static dump_comment_fn comment_provider;

void dump_set_comment_provider(dump_comment_fn fn) { comment_provider = fn; }

static void describe(char c[NCOMMENTS][COMMENT_MAX], const dump_info *info)
{
    profiler_stats st;
    profiler_get_stats(&st);
    uint64_t mean = profiler_mean();
    snprintf(c[0], COMMENT_MAX, "heapprof 0.1.0 pid=%d reason=%s seq=%llu", (int)lifecycle_pid(),
             info->reason, (unsigned long long)info->seq);
    /* "(exact: every allocation)" is what the CLI reads as exact (its
     * profile_read.c): only when the mean has been 1 all along. */
    snprintf(c[1], COMMENT_MAX, "sample_interval_bytes=%llu%s", (unsigned long long)mean,
             profiler_exact() ? " (exact: every allocation)"
             : mean == 1      ? " (each allocation since each thread's switch to 1; earlier ones "
                                "sampled, or paused)"
             : mean == 0      ? " (paused)"
                              : "");
    snprintf(c[2], COMMENT_MAX,
             "samples=%llu live_sampled_objects=%llu stacks=%llu merged_samples=%llu unwinder=%s "
             "unwind_fallbacks=%llu",
             (unsigned long long)st.samples, (unsigned long long)live_count(),
             (unsigned long long)stacks_count(), (unsigned long long)st.merged_stacks,
             st.fast_unwind ? "heapprof" : "libunwind",
             (unsigned long long)st.unwind_fallbacks);
    snprintf(c[3], COMMENT_MAX,
             "dropped_samples stack_table=%llu live_table=%llu unseen_frees=%llu lifetimes_lost=%llu",
             (unsigned long long)st.dropped_stacks, (unsigned long long)st.dropped_live,
             (unsigned long long)st.unseen_frees, (unsigned long long)stacks_lifetimes_lost());
    snprintf(c[4], COMMENT_MAX,
             "profiler_table_bytes=%llu stack_bytes=%llu profiler_heap_bytes=%llu "
             "filter_granule_bytes=%u",
             (unsigned long long)mem_mapped_bytes(), (unsigned long long)stacks_bytes(),
             (unsigned long long)mem_heap_mapped_bytes(),
             1u << live_shift_now());
    snprintf(c[5], COMMENT_MAX, "dumps_written=%llu last_dump_ms=%.2f",
             (unsigned long long)info->written, info->last_ms);
    if (!run_id)
        run_id = draw_run_id();
    struct utsname u;
    snprintf(c[6], COMMENT_MAX, "process run=%016llx host=%.64s pidns=%llu",
             (unsigned long long)run_id, uname(&u) ? "" : u.nodename, dump_pid_ns());
}

/* The binary profile of the stacks before limit, from head. */
static int write_pprof(int fd, const fdid *id, const stack_rec *head, uint64_t limit,
                       const char **cp, size_t nc, const dump_options *opt)
{
    const dump_snapshot *base = opt ? opt->base : NULL;
    stack_totals *inuse = base ? fold_inuse(limit) : NULL;
    kept_var *kept = inuse ? fold_kept(base, limit) : NULL;
    ages_table *ages = base ? NULL : ages_fold(limit);
    if (!kept && !ages) {
        mem_free(inuse);
        return ENOMEM;
    }
    uint64_t mean = profiler_mean();
    stack_walk walk = {
        .base = base,
        .r = head,
        .limit = limit,
        .inuse = inuse,
        .kept = kept,
        .ages = ages,
        .sampled = !profiler_exact(),
    };
    pprof_profile prof = {
        .time_nanos = clock_ns(CLOCK_REALTIME),
        /* A delta covers the time since its snapshot, as Go's do
         * (net/http/pprof, serveDeltaProfile): the process's age made
         * `go tool pprof` show a 30 s allocs delta as hours of allocation. */
        .duration_nanos = clock_ns(CLOCK_MONOTONIC) - (base ? base->taken_ns : profiler_start_ns()),
        .period = (int64_t)(mean ? mean : profiler_config()->sample),
        .default_alloc = opt && opt->default_alloc,
        .next = next_stack,
        .next_ctx = &walk,
        .comments = cp,
        .ncomments = nc,
        .symbols = pprof_symbols_from(sym),
        .fd_id = id,
    };
    int err = pprof_write_gz(&prof, fd);
    mem_free(inuse);
    mem_free(kept);
    ages_free(ages);
    return err;
}

int dump_to_fd(int fd, const dump_info *info, const dump_options *opt)
{
    /* fd is the caller's now; a program that closes it and opens a file of
     * its own on its number meanwhile must not get the profile's bytes
     * (write_file). */
    fdid id;
    if (!fdid_take(fd, &id))
        return EBADF;
    if (!sym && !(sym = symbols_new()))
        return ENOMEM;
    symbols_set_debug_dirs(sym, profiler_config()->debug_dirs);
    /* The stacks to write are fixed first, before the maps are read: a
     * stack recorded later could come from a library loaded since, which
     * the symbolizer would not know.  The limit before the head, so that a
     * record published in between is skipped by its id. */
    uint64_t limit = stacks_count();
    const stack_rec *head = stacks_first();
    /* Libraries dlclose()d since their stacks were recorded: still named
     * (retired.h).  Unreadable maps: still a profile, with the names of
     * the code mapped at the last one that read them. */
    hp_mapping *retired;
    size_t nretired = retired_snapshot(&retired);
    uint64_t lost = symbols_lost(sym);
    int maps_err = symbols_refresh_retired(sym, "/proc/self/maps", retired, nretired);
    mem_free(retired);

    char lines[NCOMMENTS + NEXTRA][COMMENT_MAX];
    const char *cp[NCOMMENTS + NEXTRA];
    describe(lines, info);
    int nc = NCOMMENTS;
    if (comment_provider)
        nc += comment_provider(&lines[NCOMMENTS], NEXTRA);
    for (int i = 0; i < nc; i++)
        cp[i] = lines[i];
    int err = opt && opt->text ? write_text(fd, &id, head, limit, cp, (size_t)nc)
                               : write_pprof(fd, &id, head, limit, cp, (size_t)nc, opt);
    /* Said once the profile is out, so that one that fails for the same
     * memory is one line ("cannot write profile"), not two.  Maps that
     * cannot be read for another reason (no /proc in a chroot or a
     * sandbox) say that reason, not memory. */
    if (!err && maps_err && maps_err != ENOMEM)
        log_line("a profile was written without some names: cannot read /proc/self/maps: %s "
                 "(read again for the next)",
                 strerror(maps_err));
    else if (!err && (maps_err || symbols_lost(sym) != lost))
        log_line("a profile was written without some names: out of memory reading %s (read "
                 "again for the next)",
                 maps_err ? "the process's mappings" : "a file's symbols or build-id");
    return err;
}

/* The file is written for as long as a profile takes, by a thread of the
 * profiler's while the program's threads run on.  A daemon that closes
 * every descriptor from 3 up (closefrom) and opens a file of its own
 * meanwhile got that file on the profile's number: the rest of the profile
 * went into it, and the close closed it (host_closefrom).  So the
 * descriptor is moved high (outfile.c, fdid.h), and each write, the flush,
 * the naming and the close first check that it is still this file. */
static int write_file(const outfile *f, const dump_info *info)
{
    /* A profile past the process's RLIMIT_FSIZE fails with EFBIG rather
     * than kill the program with SIGXFSZ: the exit profile and
     * heapprof_dump() are written on the program's own thread, where
     * writer_dump_now holds the program's signals only until the profile
     * is done, and the one our write raised would then be delivered
     * (lifecycle_host_fsize). */
    quietsig q;
    quietsig_begin(&q);
    int err = dump_to_fd(f->fd, info, NULL);
    quietsig_end(&q, err);
    return err;
}

unsigned long long dump_pid_ns(void)
{
    struct stat st;
    return stat("/proc/self/ns/pid", &st) ? 0 : (unsigned long long)st.st_ino;
}

int dump_to_path(const char *path, const dump_info *info, bool keep_existing)
{
    outfile f;
    int err = outfile_open(&f, path);
    if (err)
        return err;
    if ((err = write_file(&f, info))) {
        outfile_discard(&f);
        return err;
    }
    return outfile_publish(&f, keep_existing);
}

/* Each name in the directory of a prefix, through fn(name, ctx); dir is
 * that directory's path ("." for a bare prefix).  The writer's thread runs
 * this while the program runs (a name taken, writer.c), and a program that
 * closes every descriptor from 3 up and opens its own (closefrom) could get
 * the directory's number: so the descriptor is moved high (fdid.h), checked
 * before each read and closed only while still ours, and the names are read
 * with getdents64 into the stack, where opendir would allocate.  0 or an
 * errno value. */
typedef void (*dir_fn)(const char *dir, const char *name, void *ctx);

void dump_prefix_dir(const char *prefix, char dir[CONFIG_PATH_MAX])
{
    const char *slash = strrchr(prefix, '/');
    if (slash)
        snprintf(dir, CONFIG_PATH_MAX, "%.*s", (int)(slash - prefix) + (slash == prefix), prefix);
    else
        strcpy(dir, ".");
}

static int each_name(const char *prefix, dir_fn fn, void *ctx)
{
    char dir[CONFIG_PATH_MAX];
    dump_prefix_dir(prefix, dir);
    fdid id;
    int fd = fdid_open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, &id);
    if (fd < 0)
        return errno;
    char buf[4096] __attribute__((aligned(8)));
    ssize_t n = 0;
    while (fdid_same(fd, &id) && (n = getdents64(fd, buf, sizeof buf)) > 0)
        for (ssize_t off = 0; off < n;) {
            const struct dirent64 *e = (const void *)(buf + off);
            fn(dir, e->d_name, ctx);
            off += e->d_reclen;
        }
    int err = n < 0 ? errno : 0;
    fdid_close(fd, &id);
    return err;
}

/* The base name of a prefix. */
static const char *prefix_base(const char *prefix)
{
    const char *slash = strrchr(prefix, '/');
    return slash ? slash + 1 : prefix;
}

typedef struct last_seq {
    const char *base;
    char head[32]; /* ".<pid>." */
    uint64_t last;
} last_seq;

static void note_seq(const char *dir, const char *n, void *ctx)
{
    (void)dir;
    last_seq *c = ctx;
    size_t blen = strlen(c->base), hlen = strlen(c->head);
    char *end;
    const char *digits = n + blen + hlen;
    /* digits only: strtoull would take "-1" (a wrapped sequence) or "+5" */
    if (strncmp(n, c->base, blen) || strncmp(n + blen, c->head, hlen) || *digits < '0' ||
        *digits > '9')
        return;
    unsigned long long v = strtoull(digits, &end, 10);
    if (!strcmp(end, ".pb.gz") && v > c->last)
        c->last = v;
}

uint64_t dump_last_seq(const char *prefix)
{
    last_seq c = {prefix_base(prefix), "", 0};
    snprintf(c.head, sizeof c.head, ".%d.", (int)getpid());
    each_name(prefix, note_seq, &c);
    return c.last;
}

typedef struct stale {
    const char *base;
    unsigned long long ns; /* our pid namespace */
} stale;

static void sweep_one(const char *dir, const char *n, void *ctx)
{
    const stale *c = ctx;
    size_t blen = strlen(c->base);
    const char *tail = strstr(n, ".pb.gz.");
    char *end;
    if (strncmp(n, c->base, blen) || n[blen] != '.' || !tail)
        return;
    long pid = strtol(tail + 7, &end, 10);
    if (end == tail + 7 || pid <= 0 || pid == (long)getpid())
        return;
    if (*end == '.' && end[1] >= '0' && end[1] <= '9') {
        unsigned long long ns = strtoull(end + 1, &end, 10);
        if (ns != c->ns)
            return;
    }
    if (strcmp(end, ".tmp"))
        return;
    char path[CONFIG_PATH_MAX + 256];
    if (kill((pid_t)pid, 0) && errno == ESRCH &&
        (size_t)snprintf(path, sizeof path, "%s/%s", dir, n) < sizeof path)
        unlink(path);
}

int dump_make_dirs(const char *prefix)
{
    char dir[CONFIG_PATH_MAX];
    const char *slash = strrchr(prefix, '/');
    if (!slash || slash == prefix || (size_t)(slash - prefix) >= sizeof dir)
        return 0;
    memcpy(dir, prefix, (size_t)(slash - prefix));
    dir[slash - prefix] = '\0';
    /* Each ancestor, then the directory itself; those there already say
     * EEXIST (or, above a directory we may not read, EACCES: the one
     * below is then tried all the same). */
    for (char *c = dir + 1;; c++) {
        if (*c != '/' && *c != '\0')
            continue;
        char was = *c;
        *c = '\0';
        int err = mkdir(dir, 0777) ? errno : 0;
        *c = was;
        if (!was)
            return err == EEXIST ? 0 : err;
    }
}

/* A temporary file is NAME.pb.gz.<pid>.<pid namespace>.tmp (without the
 * namespace where /proc could not say, and from heapprof before session
 * 28); one whose process is gone was left by a kill during a dump and
 * would otherwise stay forever, as no later process has that pid's names.
 * Only files under our prefix, and of our pid namespace: a pid means
 * nothing in another, where the process that writes the file may be
 * alive (containers sharing a directory). */
typedef struct start_scan {
    last_seq seq;
    stale stale;
    bool want_seq, want_sweep;
} start_scan;

static void start_one(const char *dir, const char *n, void *ctx)
{
    start_scan *c = ctx;
    if (c->want_seq)
        note_seq(dir, n, &c->seq);
    if (c->want_sweep)
        sweep_one(dir, n, &c->stale);
}

/* Every profiled process starts with this, and a build run as a whole
 * (`heapprof run -o prof/ -- make`) fills one directory with a profile
 * per process: each start read more names than the one before, twice
 * (20 000 names took 8 ms of CPU per start, finding 38).  So the
 * directory is read once at most, and only where it has to be:
 * - the sequence: a pid's sequence starts at 0001, which is never
 *   removed (HEAPPROF_KEEP keeps the first), so without that file there
 *   is nothing to continue after.  A name found taken later is handled
 *   where it is found (writer.c, name_taken);
 * - the sweep: at every start in a directory of up to SWEEP_BYTES
 *   (st_size: about 300 names on ext4, 800 on tmpfs), in a larger one at
 *   one start in size / SWEEP_BYTES + 1, picked by a hash of the pid, so a
 *   start reads about SWEEP_BYTES of names on average however full the
 *   directory, and a dead process's file still goes within a few dozen
 *   starts.  It was 256 KiB (5 000 names on ext4), and reading 4 000
 *   names took 0.7 ms at best here, several under load: more than the
 *   rest of heapprof's start, paid by every process of a build whose
 *   profiles had filled that much; 300 names take about 50 us. */
enum { SWEEP_BYTES = 16 << 10 };

static bool seq_started(const char *prefix)
{
    char path[CONFIG_PATH_MAX + 64];
    int n = snprintf(path, sizeof path, "%s.%d.0001.pb.gz", prefix, (int)getpid());
    if (n < 0 || (size_t)n >= sizeof path)
        return true; /* unknown: look */
    return faccessat(AT_FDCWD, path, F_OK, AT_EACCESS) == 0 || errno != ENOENT;
}

static bool sweep_due(const char *prefix)
{
    char dir[CONFIG_PATH_MAX];
    struct stat st;
    dump_prefix_dir(prefix, dir);
    if (stat(dir, &st) || st.st_size <= SWEEP_BYTES)
        return true;
    uint64_t k = (uint64_t)st.st_size / SWEEP_BYTES + 1;
    uint32_t h = (uint32_t)getpid() * 0x9E3779B1u; /* Fibonacci hashing: pids in steps */
    return ((uint64_t)h * k) >> 32 == 0;             /* 1 in k */
}

uint64_t dump_start_scan(const char *prefix, bool sweep)
{
    int saved = errno;
    start_scan c = {{prefix_base(prefix), "", 0}, {prefix_base(prefix), 0}, false, false};
    c.want_seq = seq_started(prefix);
    c.want_sweep = sweep && sweep_due(prefix);
    if (c.want_seq || c.want_sweep) {
        snprintf(c.seq.head, sizeof c.seq.head, ".%d.", (int)getpid());
        c.stale.ns = c.want_sweep ? dump_pid_ns() : 0;
        each_name(prefix, start_one, &c);
    }
    errno = saved;
    return c.seq.last;
}

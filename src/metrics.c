/*
 * metrics.c - see metrics.h.
 *
 * Data: one pass over every stack record sums its cumulative (alloc) and
 * live (inuse) totals into the process total and into the record's
 * component, the value of its "component" label ("root" when it has none).
 * Components are few (bounded by the label table), so they are gathered in
 * a small open-addressing table keyed by the value as a label shows it
 * (invalid UTF-8 as '?': values shown alike are one series), then sorted
 * by name so successive scrapes list them in the same order.  The same
 * pass adds up the records' lifetime blocks (the freed bytes by lifetime
 * band, stacks.h), overall only.
 *
 * Freed: the tables count no frees but the sampled ones by lifetime, which
 * leave out the unseen and the lost (stacks.h).  What a record allocated,
 * plus what adoption moved in and less what it moved out or what the live
 * table could not hold, is either still in use, which is the live table's
 * entries of that record, or freed.  So the records' counts are read first,
 * the live table is folded after, and freed is the difference.  In that
 * order a sample taken in between (profiler.c puts it in the table before
 * it counts it) can only make a reading too low, never count a live object
 * as freed; and the next reading is higher.  So that a counter never goes
 * down all the same (Prometheus reads a decrease as a restart), each
 * scrape shows the larger of its own reading and the last one shown
 * (show_monotonic): never more than what was freed by the time it reads.
 * An adoption caught half done can still read high once, by one object.
 *
 * Which figures are estimates: everything computed from the stack tables is
 * scaled up from samples (exact when HEAPPROF_SAMPLE=1); the allocator's
 * statistics, RSS, the cgroup's files and the profiler's own counters are
 * exact.  Each HELP line says which.
 */
#define _GNU_SOURCE
#include "common.h"
#include "metrics.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ages.h"
#include "allocstats.h"
#include "cgroup.h"
#include "fault.h"
#include "labels.h"
#include "live.h"
#include "mem.h"
#include "profiler.h"
#include "sampler.h"
#include "sort.h"
#include "stacks.h"
#include "writer.h"

#define EST " (estimated from samples; exact when HEAPPROF_SAMPLE=1)"

/* ---- the buffer ------------------------------------------------------------ */

static int reserve(metrics_buf *b, size_t more)
{
    if (b->err)
        return -1;
    if (b->len + more + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *p = mem_realloc(b->p, cap);
    if (!p) {
        b->err = ENOMEM;
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

void metrics_buf_add(metrics_buf *b, const char *s, size_t n)
{
    if (reserve(b, n))
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void metrics_buf_printf(metrics_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        metrics_buf_add(b, small, (size_t)n);
        return;
    }
    if (reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void metrics_buf_free(metrics_buf *b)
{
    mem_free(b->p);
    *b = (metrics_buf){0};
}

/* Length of the valid UTF-8 sequence at s, or 0 (overlong forms, surrogates
 * and code points above U+10FFFF are invalid, as in Prometheus's parser). */
static size_t utf8_len(const unsigned char *s)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (!n || c > 0xF4)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F) ||
        (c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] > 0x8F))
        return 0;
    return n;
}

/* The next unit of s as a label value shows it, before the format's
 * escapes: a valid UTF-8 sequence as it is, an invalid byte as '?'.  Its
 * bytes and their count; *s moves past it. */
static const char *shown_unit(const char **s, size_t *n)
{
    const unsigned char *u = (const unsigned char *)*s;
    size_t k = utf8_len(u);
    *s += k ? k : 1;
    *n = k ? k : 1;
    return k ? (const char *)u : "?";
}

/* strcmp of a and b as label values show them (shown_unit): names that
 * differ only in their invalid bytes ("\xff", "\xfe", "?") show alike.
 * UTF-8 sequences are prefix-free, so comparing unit by unit orders them
 * as their shown bytes. */
static int shown_cmp(const char *a, const char *b)
{
    while (*a && *b) {
        size_t na, nb;
        const char *ua = shown_unit(&a, &na), *ub = shown_unit(&b, &nb);
        int d = memcmp(ua, ub, na < nb ? na : nb);
        if (d || na != nb)
            return d ? d : na < nb ? -1 : 1;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

void metrics_escape_label(metrics_buf *b, const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    while (*u) {
        size_t n = utf8_len(u);
        if (*u == '\\')
            metrics_buf_add(b, "\\\\", 2);
        else if (*u == '"')
            metrics_buf_add(b, "\\\"", 2);
        else if (*u == '\n')
            metrics_buf_add(b, "\\n", 2);
        else if (n)
            metrics_buf_add(b, (const char *)u, n);
        else
            metrics_buf_add(b, "?", 1);
        u += n ? n : 1;
    }
}

/* ---- families ---------------------------------------------------------------- */

static void family(metrics_buf *b, const char *name, const char *type, const char *help)
{
    metrics_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void value(metrics_buf *b, const char *name, uint64_t v)
{
    metrics_buf_printf(b, "%s %llu\n", name, (unsigned long long)v);
}

static void labelled(metrics_buf *b, const char *name, const char *key, const char *val,
                     uint64_t v)
{
    metrics_buf_printf(b, "%s{%s=\"", name, key);
    metrics_escape_label(b, val);
    metrics_buf_printf(b, "\"} %llu\n", (unsigned long long)v);
}

static uint64_t objects(uint64_t fixed)
{
    int64_t n = stacks_objects(fixed);
    return n > 0 ? (uint64_t)n : 0;
}

/* ---- per-component totals ---------------------------------------------------- */

typedef struct comp {
    const char *name;
    uint64_t alloc_objs, alloc_bytes, inuse_objs, inuse_bytes, freed_objs, freed_bytes; /* objs fixed point */
} comp;

typedef struct comps {
    comp *slot; /* open addressing, name NULL = free */
    size_t cap, n;
} comps;

/* Of the name as shown (shown_unit), so that names shown alike hash alike. */
static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    while (*s) {
        size_t n;
        const char *u = shown_unit(&s, &n);
        for (size_t i = 0; i < n; i++)
            h = (h ^ (unsigned char)u[i]) * 1099511628211ULL;
    }
    return h;
}

static comp *comp_find(comps *c, const char *name)
{
    if (c->n * 2 >= c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        comp *s = mem_calloc(cap, sizeof *s);
        if (!s)
            return NULL;
        for (size_t i = 0; i < c->cap; i++) {
            if (!c->slot[i].name)
                continue;
            size_t j = hash_str(c->slot[i].name) & (cap - 1);
            while (s[j].name)
                j = (j + 1) & (cap - 1);
            s[j] = c->slot[i];
        }
        mem_free(c->slot);
        c->slot = s;
        c->cap = cap;
    }
    /* Keyed by the name as shown: two components whose names show alike
     * (invalid UTF-8 is '?') were two series of one label set, and a
     * scrape must not repeat one (Prometheus keeps only the first sample
     * of it): they are one component here. */
    size_t j = hash_str(name) & (c->cap - 1);
    while (c->slot[j].name && shown_cmp(c->slot[j].name, name))
        j = (j + 1) & (c->cap - 1);
    if (!c->slot[j].name) {
        c->slot[j].name = name;
        c->n++;
    }
    return &c->slot[j];
}

static int by_name(const void *a, const void *b)
{
    return shown_cmp(((const comp *)a)->name, ((const comp *)b)->name);
}

/* A record's counts, read before the live table is folded: allocated, and
 * `held` = allocated + adj (adopted in, less adopted out and unfollowed),
 * which is either still in use or freed. */
typedef struct counted {
    uint64_t alloc_objs, alloc_bytes, held_objs, held_bytes;
} counted;

/* The deallocated totals as last shown (per component name, and for all):
 * each scrape shows the larger of that and its own reading, so that they
 * never decrease (see the header). */
static pthread_mutex_t shown_lock = PTHREAD_MUTEX_INITIALIZER;
static comps shown;
static comp shown_all;

void metrics_reset(void)
{
    pthread_mutex_lock(&shown_lock);
    mem_free(shown.slot);
    shown = (comps){0};
    shown_all = (comp){0};
    pthread_mutex_unlock(&shown_lock);
}

static void never_decrease(comp *k, comp *last)
{
    if (k->freed_bytes < last->freed_bytes)
        k->freed_bytes = last->freed_bytes;
    if (k->freed_objs < last->freed_objs)
        k->freed_objs = last->freed_objs;
    last->freed_bytes = k->freed_bytes;
    last->freed_objs = k->freed_objs;
}

/* 0 or ENOMEM. */
static int show_monotonic(comps *c, comp *all)
{
    pthread_mutex_lock(&shown_lock);
    int err = 0;
    never_decrease(all, &shown_all);
    for (size_t i = 0; i < c->cap && !err; i++) {
        if (!c->slot[i].name)
            continue;
        comp *last = comp_find(&shown, c->slot[i].name);
        if (last)
            never_decrease(&c->slot[i], last);
        else
            err = ENOMEM;
    }
    pthread_mutex_unlock(&shown_lock);
    return err;
}

/* Sum every stack into *all and per component, and its freed bytes by
 * lifetime band into life_bytes; the components come back sorted and
 * packed in c->slot[0 .. c->n).  The stacks are those that
 * exist when it starts (later ones wait for the next scrape): their counts
 * first, then the live table folded (live_fold), then per stack freed =
 * held - in use.  0 or ENOMEM. */
static int gather(comps *c, comp *all, uint64_t life_bytes[AGES_LIFETIMES])
{
    *all = (comp){"all", 0, 0, 0, 0, 0, 0};
    memset(life_bytes, 0, AGES_LIFETIMES * sizeof *life_bytes);
    size_t nstacks = (size_t)stacks_count();
    counted *cnt = mem_calloc(nstacks ? nstacks : 1, sizeof *cnt);
    stack_totals *inuse = mem_calloc(nstacks ? nstacks : 1, sizeof *inuse);
    int err = cnt && inuse ? 0 : ENOMEM;
    for (stack_rec *r = err ? NULL : stacks_first(); r; r = r->next_all) {
        if (r->id >= nstacks)
            continue;
        stack_view t;
        stacks_read(r, &t);
        cnt[r->id] = (counted){t.alloc.objs, t.alloc.bytes, t.held.objs, t.held.bytes};
        /* In this walk, where the record is at hand: the lifetime blocks
         * (at most a quarter of HEAPPROF_STACK_MEMORY, stacks.c) are the
         * only lines it adds. */
        stack_totals life[AGES_LIFETIMES];
        for (uint32_t m = stacks_read_lifetimes(r, life); m; m &= m - 1)
            life_bytes[__builtin_ctz(m)] += life[__builtin_ctz(m)].bytes;
    }
    if (!err)
        live_fold(inuse, nstacks);
    for (stack_rec *r = err ? NULL : stacks_first(); r; r = r->next_all) {
        if (r->id >= nstacks)
            continue;
        const counted *t = &cnt[r->id];
        const stack_totals *in = &inuse[r->id];
        /* Only objects and bytes are shown, so only they were kept. */
        stack_totals held = {.objs = t->held_objs, .bytes = t->held_bytes};
        stack_totals freed = stacks_freed(&held, in);
        uint64_t ao = t->alloc_objs, ab = t->alloc_bytes, io = in->objs, ib = in->bytes;
        uint64_t fo = freed.objs, fb = freed.bytes;
        const char *name = labels_value(r->labels, "component");
        comp *k = comp_find(c, name ? name : "root");
        if (!k) {
            err = ENOMEM;
            break;
        }
        comp *both[2] = {all, k};
        for (int i = 0; i < 2; i++) {
            both[i]->alloc_objs += ao;
            both[i]->alloc_bytes += ab;
            both[i]->inuse_objs += io;
            both[i]->inuse_bytes += ib;
            both[i]->freed_objs += fo;
            both[i]->freed_bytes += fb;
        }
    }
    mem_free(cnt);
    mem_free(inuse);
    if (!err)
        err = show_monotonic(c, all);
    if (err)
        return err;
    size_t n = 0;
    for (size_t i = 0; i < c->cap; i++)
        if (c->slot[i].name)
            c->slot[n++] = c->slot[i];
    if (n)
        sort_array(c->slot, n, sizeof *c->slot, by_name);
    return 0;
}

typedef struct heap_family {
    const char *name, *type, *help;
    int field; /* 0 alloc bytes, 1 alloc objects, 2 freed bytes, 3 freed objects, 4 live bytes, 5 live objects */
} heap_family;

static uint64_t pick(const comp *k, int field)
{
    switch (field) {
    case 0: return k->alloc_bytes;
    case 1: return objects(k->alloc_objs);
    case 2: return k->freed_bytes; /* never decreases (show_monotonic) */
    case 3: return objects(k->freed_objs);
    case 4: return k->inuse_bytes;
    default: return objects(k->inuse_objs);
    }
}

static const heap_family totals[] = {
    {"heapprof_allocated_bytes_total", "counter", "Bytes allocated since the start" EST, 0},
    {"heapprof_allocated_objects_total", "counter", "Objects allocated since the start" EST, 1},
    {"heapprof_deallocated_bytes_total", "counter", "Bytes freed since the start" EST, 2},
    {"heapprof_deallocated_objects_total", "counter", "Objects freed since the start" EST, 3},
    {"heapprof_live_bytes", "gauge", "Bytes allocated and not yet freed" EST, 4},
    {"heapprof_live_objects", "gauge", "Objects allocated and not yet freed" EST, 5},
};

static const heap_family per_component[] = {
    {"component_allocated_bytes", "gauge",
     "Bytes allocated and not yet freed, by component label (root = unlabelled); adopted "
     "objects count for the adopting component" EST, 4},
    {"component_allocated_objects", "gauge",
     "Objects allocated and not yet freed, by component label" EST, 5},
    {"component_allocated_bytes_total", "counter",
     "Bytes allocated since the start, by the component label at allocation" EST, 0},
    {"component_allocated_objects_total", "counter",
     "Objects allocated since the start, by the component label at allocation" EST, 1},
    {"component_deallocated_bytes_total", "counter",
     "Bytes freed while attributed to the component (adoption is not a free)" EST, 2},
    {"component_deallocated_objects_total", "counter",
     "Objects freed while attributed to the component (adoption is not a free)" EST, 3},
};

/* The live bytes at least so old, at a few of the profile's age bands
 * (ages.h; each a band's lower bound, so a sum of whole bands): what a
 * leak alert watches, as a leak's bytes grow at every age and a working
 * set's stay young. */
static const uint32_t aged_min[] = {1, 10, 60, 600, 3600, 21600, 86400, 604800};

static void render_aged(metrics_buf *b)
{
    uint64_t by_band[AGES_BANDS];
    ages_live_bytes(by_band);
    family(b, "heapprof_live_aged_bytes", "gauge",
           "Bytes allocated at least min_age_seconds ago and not yet freed" EST);
    for (size_t i = 0; i < sizeof aged_min / sizeof aged_min[0]; i++) {
        uint64_t sum = 0;
        for (unsigned k = ages_band(aged_min[i]); k < AGES_BANDS; k++)
            sum += by_band[k];
        char age[16];
        snprintf(age, sizeof age, "%u", aged_min[i]);
        labelled(b, "heapprof_live_aged_bytes", "min_age_seconds", age, sum);
    }
}

/* The bytes freed since the start by lifetime band (ages.h), summed by
 * gather.  The bands only grow, so their sums never decrease.  Overall
 * only, six series: what is temporary and what lasts, and the components'
 * freed bytes are there already.  The records' own sums, uncapped (dump.c
 * caps a stack's bands by what it allocated, for an adopted object freed
 * under another label: here a free all the same). */
static void render_lifetimes(metrics_buf *b, const uint64_t by_band[AGES_LIFETIMES])
{
    family(b, "heapprof_deallocated_lifetime_bytes_total", "counter",
           "Bytes freed since the start by how long their objects lived: lifetime_seconds is "
           "the band's start (0: freed within the second of the allocation, then 1, 10, 60, "
           "600, 3600 and more); frees unseen or lifetimes lost are in none" EST);
    for (unsigned k = 0; k < AGES_LIFETIMES; k++) {
        char life[16];
        snprintf(life, sizeof life, "%u", ages_lifetime_lower[k]);
        labelled(b, "heapprof_deallocated_lifetime_bytes_total", "lifetime_seconds", life,
                 by_band[k]);
    }
}

static void render_heap(metrics_buf *b, const comps *c, const comp *all,
                        const uint64_t life_bytes[AGES_LIFETIMES])
{
    for (size_t i = 0; i < sizeof totals / sizeof totals[0]; i++) {
        family(b, totals[i].name, totals[i].type, totals[i].help);
        value(b, totals[i].name, pick(all, totals[i].field));
    }
    render_aged(b);
    render_lifetimes(b, life_bytes);
    for (size_t i = 0; i < sizeof per_component / sizeof per_component[0]; i++) {
        const heap_family *f = &per_component[i];
        family(b, f->name, f->type, f->help);
        if (!c->n) /* no stack yet: the root component exists all the same */
            labelled(b, f->name, "component", "root", 0);
        for (size_t k = 0; k < c->n; k++)
            labelled(b, f->name, "component", c->slot[k].name, pick(&c->slot[k], f->field));
    }
}

/* ---- the allocator's own statistics ------------------------------------------- */

static void render_allocator(metrics_buf *b)
{
    allocstat st[ALLOCSTATS_MAX];
    size_t n = allocstats_read(st);
    for (size_t i = 0; i < n; i++) {
        family(b, st[i].name, "gauge", st[i].help);
        value(b, st[i].name, st[i].value);
    }
}

/* ---- process and cgroup ---------------------------------------------------------- */

static void limit_value(metrics_buf *b, const char *name, const char *help, int64_t v)
{
    if (v == CGROUP_UNKNOWN)
        return;
    family(b, name, "gauge", help);
    if (v == CGROUP_NOLIMIT)
        metrics_buf_printf(b, "%s +Inf\n", name);
    else
        value(b, name, (uint64_t)v);
}

static void render_system(metrics_buf *b)
{
    cgroup_figures f;
    cgroup_read(&f);
    if (f.rss >= 0) {
        family(b, "process_resident_memory_bytes", "gauge",
               "Resident set size of the process, from /proc/self/statm (exact)");
        value(b, "process_resident_memory_bytes", (uint64_t)f.rss);
    }
    limit_value(b, "heapprof_cgroup_memory_current_bytes",
                "memory.current of the process's cgroup v2: bytes charged to it (exact)",
                f.current);
    limit_value(b, "heapprof_cgroup_memory_max_bytes",
                "memory.max of the process's cgroup v2: hard limit, +Inf when none (exact)", f.max);
    limit_value(b, "heapprof_cgroup_memory_high_bytes",
                "memory.high of the process's cgroup v2: throttling limit, +Inf when none (exact)",
                f.high);
    const struct { const char *name; int64_t v; } ev[] = {
        {"low", f.ev_low}, {"high", f.ev_high}, {"max", f.ev_max},
        {"oom", f.ev_oom}, {"oom_kill", f.ev_oom_kill},
    };
    int any = 0;
    for (size_t i = 0; i < sizeof ev / sizeof ev[0]; i++) {
        if (ev[i].v < 0)
            continue;
        if (!any++)
            family(b, "heapprof_cgroup_memory_events_total", "counter",
                   "memory.events counters of the process's cgroup v2: times usage went over "
                   "memory.high (high), hit memory.max (max), OOM situations (oom) and processes "
                   "killed by the OOM killer (oom_kill) (exact)");
        labelled(b, "heapprof_cgroup_memory_events_total", "event", ev[i].name, (uint64_t)ev[i].v);
    }
}

/* ---- the profiler itself ------------------------------------------------------ */

static void render_self(metrics_buf *b)
{
    profiler_stats st;
    profiler_get_stats(&st);
    family(b, "heapprof_samples_total", "counter", "Allocations sampled (exact)");
    value(b, "heapprof_samples_total", st.samples);
    family(b, "heapprof_merged_samples_total", "counter",
           "Samples of new stacks counted under [other stacks]: the stack table was full (exact)");
    value(b, "heapprof_merged_samples_total", st.merged_stacks);
    family(b, "heapprof_dropped_samples_total", "counter",
           "Samples not recorded because a table was full or memory ran out (exact)");
    labelled(b, "heapprof_dropped_samples_total", "table", "stacks", st.dropped_stacks);
    labelled(b, "heapprof_dropped_samples_total", "table", "live", st.dropped_live);
    family(b, "heapprof_unseen_frees_total", "counter",
           "Sampled objects whose free was never seen, found when their address came back (exact)");
    value(b, "heapprof_unseen_frees_total", st.unseen_frees);
    family(b, "heapprof_lifetimes_lost_total", "counter",
           "Sampled frees counted in no lifetime band: no room for their stack's lifetime block "
           "(exact)");
    value(b, "heapprof_lifetimes_lost_total", stacks_lifetimes_lost());
    family(b, "heapprof_unwind_fallbacks_total", "counter",
           "Sampled stacks heapprof's own unwinder left to libunwind (exact)");
    value(b, "heapprof_unwind_fallbacks_total", st.unwind_fallbacks);
    family(b, "heapprof_profiles_written_total", "counter",
           "Profiles written to files of the sequence (exact)");
    value(b, "heapprof_profiles_written_total", writer_dumps_written());
    family(b, "heapprof_sampled_live_objects", "gauge",
           "Sampled objects tracked as live (exact count of samples, not an estimate of objects)");
    value(b, "heapprof_sampled_live_objects", live_count());
    family(b, "heapprof_stacks", "gauge", "Distinct call stacks recorded (exact)");
    value(b, "heapprof_stacks", stacks_count());
    family(b, "heapprof_profiler_memory_bytes", "gauge",
           "Memory the profiler mapped for its tables, stack records included (exact)");
    value(b, "heapprof_profiler_memory_bytes", mem_mapped_bytes());
    family(b, "heapprof_profiler_stack_memory_bytes", "gauge",
           "Part of heapprof_profiler_memory_bytes held by stack records (exact)");
    value(b, "heapprof_profiler_stack_memory_bytes", stacks_bytes());
    family(b, "heapprof_profiler_heap_bytes", "gauge",
           "Pages of the profiler's own heap (symbol tables, profiles being encoded, HTTP buffers), "
           "apart from its tables (exact)");
    value(b, "heapprof_profiler_heap_bytes", mem_heap_mapped_bytes());
    family(b, "heapprof_sample_interval_bytes", "gauge",
           "Mean bytes between samples now in force; 1 = every allocation, 0 = paused");
    value(b, "heapprof_sample_interval_bytes", profiler_mean());
}

int metrics_render(metrics_buf *b)
{
    comps c = {0};
    comp all;
    uint64_t life_bytes[AGES_LIFETIMES];
    int err = gather(&c, &all, life_bytes);
    if (!err) {
        render_heap(b, &c, &all, life_bytes);
        render_allocator(b);
        render_system(b);
        render_self(b);
        err = b->err;
    }
    mem_free(c.slot);
    return err;
}

/*
 * dump.c - see dump.h.
 *
 * Values: each stack record holds fixed-point sums of the per-sample
 * weights (sampler.c), so a profile reads them without touching the live
 * table: objects = objs / SAMPLER_OBJ_ONE rounded, bytes as stored.  The
 * four counters of a record are read one by one while the program runs on,
 * so a profile is a near-instant, not an atomic, view: a sample taken during
 * the read may show in alloc_* but not yet in inuse_*.
 *
 * Memory: the sample array is malloc'd here; the guard keeps it out of the
 * profile, and a failure to get it fails this dump only.
 */
#define _GNU_SOURCE
#include "dump.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "labels.h"
#include "live.h"
#include "mem.h"
#include "pprof.h"
#include "profiler.h"
#include "sampler.h"
#include "stacks.h"
#include "symbols.h"

static symbolizer *sym; /* kept across dumps: per-file symbol caches */

static int64_t objects(uint64_t fixed) { return (int64_t)((fixed + (uint64_t)SAMPLER_OBJ_ONE / 2) / (uint64_t)SAMPLER_OBJ_ONE); }

/* Per-sample labels that say how far to trust each estimate: the raw
 * number of samples behind it, and its standard error (square root of the
 * variance estimate kept per stack, see stacks.h).  pprof shows them with
 * -tags; `heapprof top` turns them into its ± column.  In exact mode the
 * errors are zero and only the counts are written. */
enum { NUM_LABELS = 6, NLABELS = NUM_LABELS + LABELS_MAX_DEPTH };

/* The sample's labels: its component labels (labels.h), then the counts and
 * standard errors.  Returns how many. */
static uint32_t label(pprof_label *l, const stack_rec *r, bool sampled)
{
    label_pair pairs[LABELS_MAX_DEPTH];
    size_t n = labels_expand(r->labels, pairs, LABELS_MAX_DEPTH);
    for (size_t i = 0; i < n; i++)
        l[i] = (pprof_label){pairs[i].key, pairs[i].value, 0, NULL};
    l += n;
    l[0] = (pprof_label){"alloc_samples", NULL, (int64_t)r->alloc.samples, "count"};
    l[1] = (pprof_label){"inuse_samples", NULL, (int64_t)r->inuse.samples, "count"};
    if (!sampled)
        return (uint32_t)n + 2;
    const stack_totals *t[2] = {&r->alloc, &r->inuse};
    static const char *keys[2][2] = {{"alloc_objects_sd", "alloc_space_sd"},
                                     {"inuse_objects_sd", "inuse_space_sd"}};
    for (int i = 0; i < 2; i++) {
        double vo, vb;
        __atomic_load(&t[i]->var_objs, &vo, __ATOMIC_RELAXED);
        __atomic_load(&t[i]->var_bytes, &vb, __ATOMIC_RELAXED);
        l[2 + 2 * i] = (pprof_label){keys[i][0], NULL, (int64_t)(sqrt(vo > 0 ? vo : 0) + 0.5), "count"};
        l[3 + 2 * i] = (pprof_label){keys[i][1], NULL, (int64_t)(sqrt(vb > 0 ? vb : 0) + 0.5), "bytes"};
    }
    return (uint32_t)n + NUM_LABELS;
}

/* One pprof_sample per stack with anything to show.  Returns the count,
 * or -1 when out of memory. */
static long collect(pprof_sample **out, pprof_label **labels)
{
    size_t cap = (size_t)stacks_count() + 16, n = 0;
    pprof_sample *v = malloc(cap * sizeof *v);
    pprof_label *l = malloc(cap * NLABELS * sizeof *l);
    if (!v || !l) {
        free(v);
        free(l);
        return -1;
    }
    bool sampled = profiler_mean() != 1;
    for (stack_rec *r = stacks_first(); r && n < cap; r = r->next_all) {
        pprof_sample *s = &v[n];
        s->pcs = r->pcs;
        s->depth = r->depth;
        s->labels = &l[n * NLABELS];
        s->nlabels = label(&l[n * NLABELS], r, sampled);
        s->values[0] = objects(__atomic_load_n(&r->alloc.objs, __ATOMIC_RELAXED));
        s->values[1] = (int64_t)__atomic_load_n(&r->alloc.bytes, __ATOMIC_RELAXED);
        s->values[2] = objects(__atomic_load_n(&r->inuse.objs, __ATOMIC_RELAXED));
        s->values[3] = (int64_t)__atomic_load_n(&r->inuse.bytes, __ATOMIC_RELAXED);
        if (s->values[0] | s->values[1] | s->values[2] | s->values[3])
            n++;
    }
    *out = v;
    *labels = l;
    return (long)n;
}

static int64_t clock_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

enum { NCOMMENTS = 6, COMMENT_MAX = 160 };

static void describe(char c[NCOMMENTS][COMMENT_MAX], const dump_info *info)
{
    profiler_stats st;
    profiler_get_stats(&st);
    uint64_t mean = profiler_mean();
    snprintf(c[0], COMMENT_MAX, "heapprof 0.1.0 pid=%d reason=%s seq=%llu", (int)getpid(),
             info->reason, (unsigned long long)info->seq);
    snprintf(c[1], COMMENT_MAX, "sample_interval_bytes=%llu%s", (unsigned long long)mean,
             mean == 1 ? " (exact: every allocation)" : mean == 0 ? " (paused)" : "");
    snprintf(c[2], COMMENT_MAX, "samples=%llu live_sampled_objects=%llu stacks=%llu",
             (unsigned long long)st.samples, (unsigned long long)live_count(),
             (unsigned long long)stacks_count());
    snprintf(c[3], COMMENT_MAX, "dropped_samples stack_table=%llu live_table=%llu unseen_frees=%llu",
             (unsigned long long)st.dropped_stacks, (unsigned long long)st.dropped_live,
             (unsigned long long)st.unseen_frees);
    snprintf(c[4], COMMENT_MAX, "profiler_table_bytes=%llu stack_bytes=%llu",
             (unsigned long long)mem_mapped_bytes(), (unsigned long long)stacks_bytes());
    snprintf(c[5], COMMENT_MAX, "dumps_written=%llu last_dump_ms=%.2f",
             (unsigned long long)info->written, info->last_ms);
}

static int write_file(const char *tmp, const pprof_profile *prof)
{
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno == EEXIST) { /* left by a dump that died midway */
        unlink(tmp);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    }
    if (fd < 0)
        return errno;
    int err = pprof_write_gz(prof, fd);
    /* Flush before the rename so that after a crash the final name never
     * points at a file whose blocks did not reach the disk. */
    if (!err && fdatasync(fd) && errno != EINVAL && errno != EROFS)
        err = errno;
    if (close(fd) && !err)
        err = errno;
    return err;
}

int dump_to_path(const char *path, const dump_info *info)
{
    if (!sym && !(sym = symbols_new()))
        return ENOMEM;
    char tmp[CONFIG_PATH_MAX + 16];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
        return ENAMETOOLONG;

    pprof_sample *samples;
    pprof_label *labels;
    long n = collect(&samples, &labels);
    if (n < 0)
        return ENOMEM;
    symbols_refresh(sym, "/proc/self/maps"); /* unreadable maps: no names, still a profile */

    char c[NCOMMENTS][COMMENT_MAX];
    const char *cp[NCOMMENTS];
    describe(c, info);
    for (int i = 0; i < NCOMMENTS; i++)
        cp[i] = c[i];
    uint64_t mean = profiler_mean();
    pprof_profile prof = {
        .time_nanos = clock_ns(CLOCK_REALTIME),
        .duration_nanos = clock_ns(CLOCK_MONOTONIC) - profiler_start_ns(),
        .period = (int64_t)(mean ? mean : profiler_config()->sample),
        .samples = samples,
        .nsamples = (size_t)n,
        .comments = cp,
        .ncomments = NCOMMENTS,
        .symbols = pprof_symbols_from(sym),
    };
    int err = write_file(tmp, &prof);
    free(samples);
    free(labels);
    if (!err && rename(tmp, path))
        err = errno;
    if (err)
        unlink(tmp);
    return err;
}

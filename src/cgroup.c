/*
 * cgroup.c - see cgroup.h.
 *
 * State: the cgroup directory (resolved once, under pthread_once, then
 * read-only) and the limit trigger's state, which only the writer thread
 * touches: `armed` is cleared when a limit profile is asked for and set
 * again once usage has fallen below the threshold by the hysteresis margin,
 * so a process hovering at the threshold gets one profile per real
 * crossing, not one per poll; `last_fire` spaces them by MIN_GAP_S.
 *
 * The figures are read with open/read/close into stack buffers (the
 * descriptors kept out of the program's way, fdid.h): the files
 * are a few hundred bytes, and nothing here may hold a lock another thread
 * of the profiler could want.  Only resolving the directory allocates (the
 * mountinfo text can be long).
 */
#define _GNU_SOURCE
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dump.h"
#include "fdid.h"
#include "log.h"
#include "mem.h"
#include "parent.h"
#include "profiler.h"

enum { SMALL_FILE = 4096, MAX_PROC_TEXT = 4 << 20 };

#define POLL_S 0.2        /* how often the limit trigger reads the figures */
#define MIN_GAP_S 1.0     /* at most one limit profile per this long */
#define HYSTERESIS 0.05   /* re-arm below (1 - this) * threshold */

static char dir[CONFIG_PATH_MAX];
static pthread_once_t dir_once = PTHREAD_ONCE_INIT;

/* ---- parsing (pure) ------------------------------------------------------ */

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(const char *s, size_t n, char *out, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < len; i++) {
        if (s[i] == '\\' && i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '3' &&
            s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
            out[o++] = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
            i += 3;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
}

/* The n-th space-separated field of the line [s, end): start and length. */
static const char *field(const char *s, const char *end, int n, size_t *flen)
{
    for (int i = 0; s < end; i++) {
        const char *sp = memchr(s, ' ', (size_t)(end - s));
        const char *fe = sp ? sp : end;
        if (i == n) {
            *flen = (size_t)(fe - s);
            return s;
        }
        if (!sp)
            break;
        s = sp + 1;
    }
    return NULL;
}

int cgroup_find_dir(const char *proc_cgroup, const char *mountinfo, char *out, size_t len)
{
    /* The v2 line is "0::/path"; v1 lines have a controller list instead. */
    const char *rel = NULL;
    size_t rlen = 0;
    for (const char *l = proc_cgroup; l && *l;) {
        const char *e = strchr(l, '\n');
        if (!e)
            e = l + strlen(l);
        if (e - l >= 3 && !strncmp(l, "0::", 3)) {
            rel = l + 3;
            rlen = (size_t)(e - rel);
            break;
        }
        l = *e ? e + 1 : e;
    }
    if (!rel || !rlen || rel[0] != '/')
        return ENOENT;
    for (const char *l = mountinfo; l && *l;) {
        const char *e = strchr(l, '\n');
        if (!e)
            e = l + strlen(l);
        const char *sep = NULL;
        for (const char *p = l; p + 3 <= e; p++)
            if (!strncmp(p, " - ", 3)) {
                sep = p + 3;
                break;
            }
        size_t tlen = 0, rootlen = 0, mlen = 0;
        const char *type = sep ? field(sep, e, 0, &tlen) : NULL;
        const char *root = field(l, e, 3, &rootlen), *mnt = field(l, e, 4, &mlen);
        if (type && root && mnt && tlen == 7 && !strncmp(type, "cgroup2", 7)) {
            char r[CONFIG_PATH_MAX], m[CONFIG_PATH_MAX], rp[CONFIG_PATH_MAX];
            unescape(root, rootlen, r, sizeof r);
            unescape(mnt, mlen, m, sizeof m);
            unescape(rel, rlen, rp, sizeof rp);
            /* A mount of a sub-tree: the process's path is below its root. */
            const char *tail = rp;
            size_t rl = strlen(r);
            if (strcmp(r, "/")) {
                if (strncmp(rp, r, rl) || (rp[rl] && rp[rl] != '/'))
                    goto next;
                tail = rp + rl;
            }
            if (!strcmp(tail, "/"))
                tail = "";
            if ((size_t)snprintf(out, len, "%s%s", m, tail) >= len)
                return ENAMETOOLONG;
            return 0;
        }
    next:
        l = *e ? e + 1 : e;
    }
    return ENOENT;
}

int64_t cgroup_parse_value(const char *t)
{
    if (!strncmp(t, "max", 3) && (t[3] == '\0' || t[3] == '\n'))
        return CGROUP_NOLIMIT;
    if (*t < '0' || *t > '9')
        return CGROUP_UNKNOWN;
    int64_t v = 0;
    for (; *t >= '0' && *t <= '9'; t++) {
        if (v > (INT64_MAX - 9) / 10)
            return CGROUP_UNKNOWN;
        v = v * 10 + (*t - '0');
    }
    return *t == '\0' || *t == '\n' ? v : CGROUP_UNKNOWN;
}

int64_t cgroup_parse_event(const char *text, const char *key)
{
    size_t k = strlen(key);
    for (const char *l = text; l && *l;) {
        if (!strncmp(l, key, k) && l[k] == ' ')
            return cgroup_parse_value(l + k + 1);
        l = strchr(l, '\n');
        if (l)
            l++;
    }
    return CGROUP_UNKNOWN;
}

/* ---- files ----------------------------------------------------------------- */

/* Up to len-1 bytes of path into buf, NUL-terminated; -1 when unreadable. */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
    /* Regular files only, opened without blocking: a HEAPPROF_CGROUP
     * directory whose memory.current is a FIFO blocked the exit profile,
     * and the program's exit with it. */
    fdid id;
    int fd = fdid_open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, &id);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        fdid_close(fd, &id);
        return -1;
    }
    size_t n = 0;
    while (n + 1 < len) {
        ssize_t r = read(fd, buf + n, len - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (r < 0)
                n = 0;
            break;
        }
        n += (size_t)r;
    }
    fdid_close(fd, &id);
    buf[n] = '\0';
    return (ssize_t)n;
}

/* A whole /proc text, malloc'd (the guard keeps it out of the profile). */
static char *read_all(const char *path)
{
    fdid id;
    int fd = fdid_open(path, O_RDONLY | O_CLOEXEC, &id);
    if (fd < 0)
        return NULL;
    size_t cap = 16384, n = 0;
    char *buf = mem_alloc(cap);
    while (buf) {
        if (n + 1 == cap) {
            char *nb = cap < MAX_PROC_TEXT ? mem_realloc(buf, cap * 2) : NULL;
            if (!nb) {
                mem_free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    fdid_close(fd, &id);
    if (buf)
        buf[n] = '\0';
    return buf;
}

static void resolve_dir(void)
{
    int64_t g = profiler_guard_enter();
    const char *want = profiler_config()->cgroup;
    if (*want && strcmp(want, "auto")) {
        snprintf(dir, sizeof dir, "%s", want);
    } else {
        char *cg = read_all("/proc/self/cgroup"), *mi = read_all("/proc/self/mountinfo");
        if (!cg || !mi || cgroup_find_dir(cg, mi, dir, sizeof dir))
            dir[0] = '\0';
        mem_free(cg);
        mem_free(mi);
    }
    profiler_guard_exit(g);
}

const char *cgroup_dir(void)
{
    pthread_once(&dir_once, resolve_dir);
    return dir;
}

static int64_t read_figure(const char *d, const char *name, const char *event)
{
    char path[CONFIG_PATH_MAX + 32], buf[SMALL_FILE];
    if (!*d || (size_t)snprintf(path, sizeof path, "%s/%s", d, name) >= sizeof path)
        return CGROUP_UNKNOWN;
    if (read_small(path, buf, sizeof buf) <= 0)
        return CGROUP_UNKNOWN;
    return event ? cgroup_parse_event(buf, event) : cgroup_parse_value(buf);
}

int64_t cgroup_rss(void)
{
    char buf[256];
    if (read_small("/proc/self/statm", buf, sizeof buf) <= 0)
        return CGROUP_UNKNOWN;
    unsigned long long size, resident;
    if (sscanf(buf, "%llu %llu", &size, &resident) != 2)
        return CGROUP_UNKNOWN;
    long page = sysconf(_SC_PAGESIZE);
    return (int64_t)resident * (page > 0 ? page : 4096);
}

void cgroup_read(cgroup_figures *f)
{
    const char *d = cgroup_dir();
    f->current = read_figure(d, "memory.current", NULL);
    f->max = read_figure(d, "memory.max", NULL);
    f->high = read_figure(d, "memory.high", NULL);
    char path[CONFIG_PATH_MAX + 32], buf[SMALL_FILE];
    f->ev_low = f->ev_high = f->ev_max = f->ev_oom = f->ev_oom_kill = CGROUP_UNKNOWN;
    if (*d && (size_t)snprintf(path, sizeof path, "%s/memory.events", d) < sizeof path &&
        read_small(path, buf, sizeof buf) > 0) {
        f->ev_low = cgroup_parse_event(buf, "low");
        f->ev_high = cgroup_parse_event(buf, "high");
        f->ev_max = cgroup_parse_event(buf, "max");
        f->ev_oom = cgroup_parse_event(buf, "oom");
        f->ev_oom_kill = cgroup_parse_event(buf, "oom_kill");
    }
    f->rss = cgroup_rss();
}

/* ---- the memory-limit trigger ---------------------------------------------- */

typedef struct limit_view {
    int64_t use, limit;   /* bytes, CGROUP_UNKNOWN when not known */
    const char *use_name, *limit_name;
} limit_view;

/* What HEAPPROF_LIMIT_DUMP compares: memory.current against memory.high
 * when set, else memory.max; RSS against HEAPPROF_LIMIT_BYTES when the
 * cgroup sets neither. */
static limit_view limit_of(const cgroup_figures *f)
{
    limit_view v = {CGROUP_UNKNOWN, CGROUP_UNKNOWN, "none", "none"};
    if (f->high >= 0 && f->high != CGROUP_NOLIMIT) {
        v.limit = f->high;
        v.limit_name = "memory.high";
    } else if (f->max >= 0 && f->max != CGROUP_NOLIMIT) {
        v.limit = f->max;
        v.limit_name = "memory.max";
    }
    if (v.limit >= 0) {
        v.use = f->current >= 0 ? f->current : f->rss;
        v.use_name = f->current >= 0 ? "memory.current" : "rss";
    } else if (profiler_config()->limit_bytes) {
        v.limit = (int64_t)profiler_config()->limit_bytes;
        v.limit_name = "HEAPPROF_LIMIT_BYTES";
        v.use = f->rss;
        v.use_name = "rss";
    }
    return v;
}

static double threshold_of(int64_t limit)
{
    return (double)limit * (double)profiler_config()->limit_dump / 100.0;
}

static int armed = 1;
static double last_fire, next_poll;

int cgroup_limit_due(double now, double *next)
{
    if (!profiler_config()->limit_dump)
        return 0;
    if (now < next_poll) {
        *next = next_poll;
        return 0;
    }
    next_poll = now + POLL_S;
    *next = next_poll;
    cgroup_figures f;
    cgroup_read(&f);
    limit_view v = limit_of(&f);
    if (v.limit < 0 || v.use < 0)
        return 0;
    double t = threshold_of(v.limit);
    if ((double)v.use < t * (1 - HYSTERESIS)) {
        armed = 1;
        return 0;
    }
    if ((double)v.use < t || !armed || (last_fire && now - last_fire < MIN_GAP_S))
        return 0; /* below, already profiled this crossing, or too soon: poll again */
    armed = 0;
    last_fire = now;
    return 1;
}

/* ---- profile comments ------------------------------------------------------ */

static const char *fig(char *buf, size_t len, int64_t v)
{
    if (v == CGROUP_UNKNOWN)
        return "unknown";
    if (v == CGROUP_NOLIMIT)
        return "max";
    snprintf(buf, len, "%lld", (long long)v);
    return buf;
}

static int comments(char (*lines)[160], int max)
{
    int64_t g = profiler_guard_enter();
    cgroup_figures f;
    cgroup_read(&f);
    char a[24], b[24], c[24], d[24];
    int n = 0;
    if (n < max)
        snprintf(lines[n++], 160, "cgroup dir=%.140s", *cgroup_dir() ? cgroup_dir() : "unknown");
    if (n < max)
        snprintf(lines[n++], 160, "cgroup memory.current=%s memory.high=%s memory.max=%s",
                 fig(a, 24, f.current), fig(b, 24, f.high), fig(c, 24, f.max));
    if (n < max)
        snprintf(lines[n++], 160, "cgroup memory.events high=%s max=%s oom=%s oom_kill=%s",
                 fig(a, 24, f.ev_high), fig(b, 24, f.ev_max), fig(c, 24, f.ev_oom),
                 fig(d, 24, f.ev_oom_kill));
    if (n < max)
        snprintf(lines[n++], 160, "process rss_bytes=%s", fig(a, 24, f.rss));
    uint64_t pct = profiler_config()->limit_dump;
    if (pct && n < max) {
        limit_view v = limit_of(&f);
        snprintf(lines[n++], 160, "limit_dump percent=%llu threshold_bytes=%s of=%s usage=%s (%s)",
                 (unsigned long long)pct,
                 fig(a, 24, v.limit < 0 ? CGROUP_UNKNOWN : (int64_t)threshold_of(v.limit)),
                 v.limit_name, fig(b, 24, v.use), v.use_name);
    }
    profiler_guard_exit(g);
    return n;
}

/* 0, or why the directory HEAPPROF_CGROUP names cannot be read: with
 * `auto` a process outside any cgroup v2 has none, and says nothing. */
static int named_dir_error(const hp_config *cfg)
{
    struct stat st;
    if (!*cfg->cgroup || !strcmp(cfg->cgroup, "auto"))
        return 0;
    if (stat(cgroup_dir(), &st))
        return errno;
    return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
}

void cgroup_start(void)
{
    dump_set_comment_provider(comments);
    const hp_config *cfg = profiler_config();
    char line[4096]; /* log.c's bound: a cgroup path as long as a path can be */
    /* A directory the user named that is not there would leave every
     * cgroup figure unknown (and no metric of them) without a word. */
    int err = named_dir_error(cfg);
    /* Checked once so a misconfiguration is visible; the trigger still
     * polls, since a limit may be set on the cgroup later. */
    bool no_limit = false;
    if (cfg->limit_dump) {
        cgroup_figures f;
        cgroup_read(&f);
        no_limit = limit_of(&f).limit < 0;
    }
    if (!err && !no_limit)
        return;
    int n = 0;
    if (err)
        n = snprintf(line, sizeof line,
                     "HEAPPROF_CGROUP=\"%s\" cannot be read (%s): the cgroup's memory figures "
                     "are unknown",
                     cfg->cgroup, strerror(err));
    if (no_limit && err) /* one line for both */
        snprintf(line + n, sizeof line - (size_t)n,
                 "; HEAPPROF_LIMIT_DUMP=%llu but no memory limit is known (HEAPPROF_LIMIT_BYTES "
                 "is 0): no limit profiles until one is set",
                 (unsigned long long)cfg->limit_dump);
    else if (no_limit)
        snprintf(line, sizeof line,
                 "HEAPPROF_LIMIT_DUMP=%llu but no memory limit is known (cgroup %s has no "
                 "memory.high or memory.max, and HEAPPROF_LIMIT_BYTES is 0); no limit "
                 "profiles until one is set",
                 (unsigned long long)cfg->limit_dump, *cgroup_dir() ? cgroup_dir() : "unknown");
    /* Said once per process tree, like the settings' lines, where the
     * parent looked in the same cgroup: its own HEAPPROF_CGROUP (the same
     * settings) or the same membership.  Every child of a build run under
     * `heapprof run --limit-dump` repeated it. */
    if (strcmp(cfg->cgroup, "auto") || parent_same_cgroup())
        profiler_warn_setting(line);
    else
        profiler_say_setting(line);
}

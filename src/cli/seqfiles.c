/*
 * seqfiles.c - see seqfiles.h.  A name matches when, after PREFIX's last
 * path component and a dot, it is <digits>.<4+ digits>.pb.gz exactly; for
 * seqfiles_list_pattern, when what comes before <pid>.<seq>.pb.gz is the
 * pattern expanded with that pid.
 */
#include "seqfiles.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "config.h"
#include "diag.h"
#include "outname.h"

/* Parses "<pid>.<seq>.pb.gz"; 0 when it is not that. */
static int parse_tail(const char *s, long *pid, unsigned long long *seq)
{
    char *end;
    if (*s < '0' || *s > '9')
        return 0;
    errno = 0;
    long p = strtol(s, &end, 10);
    if (errno || *end != '.' || end[1] < '0' || end[1] > '9')
        return 0;
    const char *q = end + 1;
    unsigned long long n = strtoull(q, &end, 10);
    if (errno || end - q < 4 || strcmp(end, ".pb.gz"))
        return 0;
    *pid = p;
    *seq = n;
    return 1;
}

static int cmp(const void *a, const void *b)
{
    const seqfile *x = a, *y = b;
    if (x->pid != y->pid)
        return x->pid < y->pid ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Where the tail <pid>.<seq>.pb.gz of name starts (after a dot), or NULL. */
static const char *find_tail(const char *name)
{
    size_t len = strlen(name);
    if (len < 7 || strcmp(name + len - 6, ".pb.gz"))
        return NULL;
    const char *p = name + len - 6;
    for (int dots = 0; p > name;)
        if (*--p == '.' && ++dots == 2)
            return p > name ? p + 1 : NULL;
    return NULL;
}

/* Whether name, in the directory of prefix (its first dlen bytes), is a
 * file of pattern expanded with the pid in its name (v's other values). */
static bool follows(const char *name, const char *prefix, size_t dlen, const char *pattern,
                    const outname_vals *v, long *pid, unsigned long long *seq)
{
    const char *tail = find_tail(name);
    char buf[CONFIG_PATH_MAX + 256];
    outname_vals theirs = *v;
    if (!tail || !parse_tail(tail, &theirs.pid, seq))
        return false;
    int n = snprintf(buf, sizeof buf, "%.*s%.*s", (int)dlen, prefix, (int)(tail - 1 - name), name);
    if (n < 0 || (size_t)n >= sizeof buf || !outname_match(pattern, &theirs, buf, (size_t)n))
        return false;
    *pid = theirs.pid;
    return true;
}

/* Files found so far, in the order found. */
typedef struct found {
    seqfile *v;
    size_t n, cap;
} found;

/* The files in prefix's directory: those of prefix (of pid, or of all when
 * pid < 0), or with pattern, those of pattern expanded with vals and the
 * pid in each name; added to f.  0 or an errno value. */
static int scan(const char *prefix, long pid, const char *pattern, const outname_vals *vals,
                found *f)
{
    const char *slash = strrchr(prefix, '/');
    const char *base = slash ? slash + 1 : prefix;
    size_t dlen = slash ? (size_t)(slash - prefix) : 0, blen = strlen(base);
    char *dir = slash ? (dlen ? strndup(prefix, dlen) : strdup("/")) : strdup(".");
    if (!dir)
        return ENOMEM;
    DIR *d = opendir(dir);
    if (!d) {
        int e = errno;
        free(dir);
        return e;
    }
    int err = 0;
    struct dirent *e;
    while (!err && (e = readdir(d))) {
        long p;
        unsigned long long s;
        bool ours;
        if (pattern && vals)
            ours = follows(e->d_name, prefix, (size_t)(base - prefix), pattern, vals, &p, &s);
        else
            ours = !strncmp(e->d_name, base, blen) && e->d_name[blen] == '.' &&
                   parse_tail(e->d_name + blen + 1, &p, &s) && (pid < 0 || p == pid);
        if (!ours)
            continue;
        if (f->n == f->cap) {
            size_t ncap = f->cap ? f->cap * 2 : 16;
            seqfile *nv = realloc(f->v, ncap * sizeof *nv);
            if (!nv) {
                err = ENOMEM;
                break;
            }
            f->v = nv;
            f->cap = ncap;
        }
        seqfile *q = &f->v[f->n];
        size_t len = strlen(prefix) + strlen(e->d_name) + 2;
        if (!(q->path = malloc(len))) {
            err = ENOMEM;
            break;
        }
        snprintf(q->path, len, "%.*s%s", (int)(base - prefix), prefix, e->d_name);
        q->pid = p;
        q->seq = s;
        struct stat st;
        memset(&q->mtime, 0, sizeof q->mtime);
        q->size = 0;
        if (stat(q->path, &st) == 0) {
            q->mtime = st.st_mtim;
            q->size = st.st_size;
        }
        f->n++;
    }
    closedir(d);
    free(dir);
    return err;
}

/* f's files sorted into *out, or freed on error. */
static int done(found *f, int err, seqfile **out, size_t *n)
{
    if (err) {
        seqfiles_free(f->v, f->n);
        *out = NULL;
        *n = 0;
        return err;
    }
    if (f->n)
        qsort(f->v, f->n, sizeof *f->v, cmp);
    *out = f->v;
    *n = f->n;
    return 0;
}

int seqfiles_list(const char *prefix, long pid, seqfile **out, size_t *n)
{
    found f = {0};
    /* A prefix that names a directory is DIR/heapprof (outname_dir), as
     * the library took it when the process started; a process started
     * before the directory was made (`heapprof run -o out -- sh -c 'mkdir
     * out; ...'`) writes beside it, out.<pid>...: both are listed, the
     * second where its directory can be read at all. */
    char in[CONFIG_PATH_MAX + 16];
    int n_in = snprintf(in, sizeof in, "%s", prefix);
    if (n_in > 0 && (size_t)n_in < sizeof in && outname_dir(in, sizeof in) > 0) {
        int err = scan(in, pid, NULL, NULL, &f);
        int beside = err ? 0 : scan(prefix, pid, NULL, NULL, &f);
        return done(&f, err ? err : beside == ENOMEM ? beside : 0, out, n);
    }
    return done(&f, scan(prefix, pid, NULL, NULL, &f), out, n);
}

void seqfiles_free(seqfile *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i].path);
    free(v);
}

/* The inode of the namespace link proc/ns/NAME; 0 after a message. */
static unsigned long long ns_inode(const char *proc, const char *name, long pid)
{
    char path[128];
    struct stat st;
    snprintf(path, sizeof path, "%s/ns/%s", proc, name);
    if (stat(path, &st) == 0)
        return (unsigned long long)st.st_ino;
    diag_error("cannot tell what HEAPPROF_OUT of process %ld expands to: %s: %s", pid, path,
               strerror(errno));
    return 0;
}

/* The values of pattern's codes for process pid (seqfiles_prefix); u holds
 * the host name.  0, or -1 after a message. */
static int vals_of(const char *pattern, long pid, const char *proc, outname_vals *vp,
                   struct utsname *u, char *exe)
{
    outname_vals v = {pid, NULL, 0, NULL};
    if (outname_uses(pattern, "e") && strcmp(proc, "/proc/self")) {
        char path[128], link[PATH_MAX];
        snprintf(path, sizeof path, "%s/exe", proc);
        ssize_t n = readlink(path, link, sizeof link - 1);
        if (n <= 0) {
            diag_error("cannot tell what HEAPPROF_OUT of process %ld expands to: %s: %s", pid,
                       path, n < 0 ? strerror(errno) : "empty");
            return -1;
        }
        link[n] = '\0';
        outname_exe(link, exe, 256);
        v.exe = exe;
    }
    if (outname_uses(pattern, "h")) {
        unsigned long long theirs = ns_inode(proc, "uts", pid), ours;
        if (!theirs || !(ours = ns_inode("/proc/self", "uts", pid)))
            return -1;
        if (theirs != ours) {
            diag_error("process %ld is in another UTS namespace (a container?), so heapprof "
                       "cannot tell its host name, which its HEAPPROF_OUT=%s holds (%%h); run "
                       "heapprof inside the container", pid, pattern);
            return -1;
        }
        v.host = uname(u) ? "" : u->nodename;
    }
    if (outname_uses(pattern, "n") && !(v.pidns = ns_inode(proc, "pid", pid)))
        return -1;
    *vp = v;
    return 0;
}

/* pattern expanded with v into buf: 0, or -1 after a message. */
static int expand(const char *pattern, long pid, const outname_vals *v, char *buf, size_t len)
{
    int err = outname_expand(pattern, v, buf, len);
    if (err == EINVAL)
        diag_error("HEAPPROF_OUT=%s of process %ld holds a %% code heapprof does not know", pattern,
                   pid);
    else if (err)
        diag_error("HEAPPROF_OUT=%s of process %ld expands to too long a path", pattern, pid);
    return err ? -1 : 0;
}

int seqfiles_prefix(const char *pattern, long pid, const char *proc, char *buf, size_t len)
{
    outname_vals v;
    struct utsname u;
    char exe[256];
    return vals_of(pattern, pid, proc, &v, &u, exe) ? -1 : expand(pattern, pid, &v, buf, len);
}

/* How many directories the walk below may open in all: far more than the
 * processes of a build (a directory each), while a pattern such as
 * /srv/%e/%e/app over a large tree stops there rather than read it all. */
enum { WALK_DIRS_MAX = 65536 };

typedef struct walk {
    const char *pattern;
    const outname_vals *v;
    found *f;
    bool absolute;
    bool cut;      /* directories left unread past WALK_DIRS_MAX */
    unsigned dirs; /* opened so far */
    char path[CONFIG_PATH_MAX];
    /* A component and its expansion, done with before walk_dirs goes down
     * a level: here, not in its frame, where 6 KiB a level overflowed the
     * stack of a pattern of 1400 components (./././.../prof.%p), a crash
     * after the program had run (cli_run). */
    char comp[CONFIG_PATH_MAX], name[CONFIG_PATH_MAX];
} walk;

/* w->path (len bytes) with "/" and name added, when it fits: its new
 * length, or 0.  A relative pattern's first component has no slash. */
static size_t descend(walk *w, size_t len, const char *name)
{
    const char *sep = len || w->absolute ? "/" : "";
    int n = snprintf(w->path + len, sizeof w->path - len, "%s%s", sep, name);
    if (n < 0 || (size_t)n >= sizeof w->path - len) {
        w->path[len] = '\0';
        return 0;
    }
    return len + (size_t)n;
}

/* The directories that pattern's directory part names for some pid and
 * executable, from w->path (len bytes: "" is the root, or the current
 * directory for a relative pattern) and rest, the components still to go:
 * one with %p or %e matches every subdirectory (the files' names decide,
 * follows), the others are expanded with w->v.  Scans the last directory
 * for files.  An error is returned only while no %p or %e has been met
 * (fixed): directories below one that cannot be read are other processes'. */
static int walk_dirs(walk *w, size_t len, const char *rest, bool fixed)
{
    int err = 0;
    const char *slash = strchr(rest, '/');
    if (!slash) { /* rest is the file name's part */
        size_t n = descend(w, len, ""); /* "dir/", "/", or "" (relative: no "./") */
        err = n || !len ? scan(w->path, -1, w->pattern, w->v, w->f) : ENAMETOOLONG;
        w->path[len] = '\0';
        return fixed || err == ENOMEM ? err : 0;
    }
    char *comp = w->comp, *name = w->name;
    size_t clen = (size_t)(slash - rest), n;
    if (clen >= sizeof w->comp)
        return ENAMETOOLONG;
    memcpy(comp, rest, clen);
    comp[clen] = '\0';
    if (!outname_uses(comp, "pe")) {
        /* Too long below a %p or %e: another directory's name, longer
         * than a process of the pattern could make it, not an error that
         * drops every file found (cli_run). */
        if (outname_expand(comp, w->v, name, sizeof w->name) || !(n = descend(w, len, name)))
            return fixed ? ENAMETOOLONG : 0;
        err = walk_dirs(w, n, slash + 1, fixed);
        w->path[len] = '\0';
        return err;
    }
    DIR *d = opendir(len ? w->path : w->absolute ? "/" : ".");
    if (!d)
        return fixed ? errno : 0;
    struct dirent *e;
    while (!err && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
            (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN && e->d_type != DT_LNK))
            continue;
        if (w->dirs >= WALK_DIRS_MAX) {
            w->cut = true;
            break;
        }
        if (!(n = descend(w, len, e->d_name)))
            continue;
        w->dirs++;
        struct stat st;
        if (stat(w->path, &st) == 0 && S_ISDIR(st.st_mode))
            err = walk_dirs(w, n, slash + 1, false);
        w->path[len] = '\0';
    }
    closedir(d);
    return err;
}

int seqfiles_list_pattern(const char *pattern, long pid, const char *proc, seqfile **out,
                          size_t *n)
{
    outname_vals v;
    struct utsname u;
    char prefix[CONFIG_PATH_MAX], exe[256];
    *out = NULL;
    *n = 0;
    /* the values read once, for the prefix and for every name */
    if (vals_of(pattern, pid, proc, &v, &u, exe) || expand(pattern, pid, &v, prefix, sizeof prefix))
        return -1;
    found f = {0};
    walk w = {.pattern = pattern, .v = &v, .f = &f, .absolute = pattern[0] == '/'};
    int err = walk_dirs(&w, 0, pattern + w.absolute, true);
    if (w.cut)
        diag_error("HEAPPROF_OUT=%s: stopped looking for profiles after %d directories; some "
                   "may be missing from this list", pattern, WALK_DIRS_MAX);
    return done(&f, err, out, n);
}

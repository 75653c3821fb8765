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

/* seqfiles_list, or with pattern, seqfiles_list_pattern. */
static int list(const char *prefix, long pid, const char *pattern, const outname_vals *vals,
                seqfile **out, size_t *n)
{
    const char *slash = strrchr(prefix, '/');
    const char *base = slash ? slash + 1 : prefix;
    size_t dlen = slash ? (size_t)(slash - prefix) : 0, blen = strlen(base);
    char *dir = slash ? (dlen ? strndup(prefix, dlen) : strdup("/")) : strdup(".");
    *out = NULL;
    *n = 0;
    if (!dir)
        return ENOMEM;
    DIR *d = opendir(dir);
    if (!d) {
        int e = errno;
        free(dir);
        return e;
    }
    seqfile *v = NULL;
    size_t cnt = 0, cap = 0;
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
        if (cnt == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            seqfile *nv = realloc(v, ncap * sizeof *nv);
            if (!nv) {
                err = ENOMEM;
                break;
            }
            v = nv;
            cap = ncap;
        }
        seqfile *f = &v[cnt];
        size_t len = strlen(prefix) + strlen(e->d_name) + 2;
        if (!(f->path = malloc(len))) {
            err = ENOMEM;
            break;
        }
        snprintf(f->path, len, "%.*s%s", (int)(base - prefix), prefix, e->d_name);
        f->pid = p;
        f->seq = s;
        struct stat st;
        memset(&f->mtime, 0, sizeof f->mtime);
        if (stat(f->path, &st) == 0)
            f->mtime = st.st_mtim;
        cnt++;
    }
    closedir(d);
    free(dir);
    if (err) {
        seqfiles_free(v, cnt);
        return err;
    }
    if (cnt)
        qsort(v, cnt, sizeof *v, cmp);
    *out = v;
    *n = cnt;
    return 0;
}

int seqfiles_list(const char *prefix, long pid, seqfile **out, size_t *n)
{
    return list(prefix, pid, NULL, NULL, out, n);
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
    return list(prefix, -1, pattern, &v, out, n);
}

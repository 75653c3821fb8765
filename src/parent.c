/*
 * parent.c - see parent.h.
 *
 * /proc/PID/maps names each mapping's file by device and inode; the line
 * holding this function's address gives our library's, and the parent's
 * maps are searched for them.  /proc/PID/status's SigIgn is the mask of
 * ignored signals, in hex, signal n at bit n-1.  Both files are read in
 * fixed buffers: this runs in the constructor, where nothing may allocate
 * (the first malloc of the process may be what started the profiler).
 */
#define _GNU_SOURCE
#include "parent.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { LINE_MAX_BYTES = 4096 + 256 }; /* a path of PATH_MAX and the fields before it */

typedef bool (*line_fn)(const char *line, size_t len, void *ctx); /* true: stop */

/* Each whole line of `path` to fn, until it returns true (then true).
 * Lines longer than the buffer are skipped. */
static bool each_line(const char *path, line_fn fn, void *ctx)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    char buf[LINE_MAX_BYTES];
    size_t have = 0;
    bool skipping = false, stopped = false;
    for (;;) {
        ssize_t n = read(fd, buf + have, sizeof buf - have);
        if (n <= 0)
            break;
        have += (size_t)n;
        size_t start = 0;
        for (char *nl; !stopped && (nl = memchr(buf + start, '\n', have - start));) {
            size_t end = (size_t)(nl - buf);
            if (!skipping)
                stopped = fn(buf + start, end - start, ctx);
            skipping = false;
            start = end + 1;
        }
        if (stopped)
            break;
        memmove(buf, buf + start, have - start);
        have -= start;
        if (have == sizeof buf) { /* a line longer than the buffer: drop it */
            have = 0;
            skipping = true;
        }
    }
    close(fd);
    return stopped;
}

/* "start-end perms offset dev inode path": the dev and inode fields. */
typedef struct file_id {
    char dev[32], inode[32];
} file_id;

/* The n-th space-separated field of line (from 0): start and length. */
static const char *field(const char *line, size_t len, int n, size_t *flen)
{
    size_t i = 0;
    for (int k = 0;; k++) {
        while (i < len && line[i] == ' ')
            i++;
        size_t start = i;
        while (i < len && line[i] != ' ')
            i++;
        if (start == i)
            return NULL;
        if (k == n) {
            *flen = i - start;
            return line + start;
        }
    }
}

static bool fields(const char *line, size_t len, uintptr_t *lo, uintptr_t *hi, file_id *id)
{
    size_t rl, dl, il;
    const char *range = field(line, len, 0, &rl), *dev = field(line, len, 3, &dl),
               *ino = field(line, len, 4, &il);
    if (!range || !dev || !ino || dl >= sizeof id->dev || il >= sizeof id->inode)
        return false;
    char *end;
    *lo = (uintptr_t)strtoull(range, &end, 16);
    if (end == range || *end != '-')
        return false;
    const char *h = end + 1;
    *hi = (uintptr_t)strtoull(h, &end, 16);
    if (end == h || end != range + rl)
        return false;
    memcpy(id->dev, dev, dl);
    id->dev[dl] = '\0';
    memcpy(id->inode, ino, il);
    id->inode[il] = '\0';
    return true;
}

typedef struct search {
    uintptr_t addr; /* find the line holding it, or */
    file_id id;     /* find a line of this file */
} search;

static bool holds_addr(const char *line, size_t len, void *ctx)
{
    search *s = ctx;
    uintptr_t lo, hi;
    return fields(line, len, &lo, &hi, &s->id) && lo <= s->addr && s->addr < hi &&
           strcmp(s->id.inode, "0") != 0;
}

static bool same_file(const char *line, size_t len, void *ctx)
{
    const search *s = ctx;
    uintptr_t lo, hi;
    file_id id;
    return fields(line, len, &lo, &hi, &id) && !strcmp(id.dev, s->id.dev) &&
           !strcmp(id.inode, s->id.inode);
}

typedef struct ignmask {
    unsigned long long mask;
    bool found;
} ignmask;

static bool sigign_line(const char *line, size_t len, void *ctx)
{
    ignmask *m = ctx;
    if (len < 8 || memcmp(line, "SigIgn:", 7))
        return false;
    char tmp[64];
    size_t n = len < sizeof tmp - 1 ? len : sizeof tmp - 1;
    memcpy(tmp, line, n);
    tmp[n] = '\0';
    char *end;
    const char *hex = tmp + 7 + strspn(tmp + 7, " \t");
    m->mask = strtoull(hex, &end, 16);
    m->found = end != hex;
    return true;
}

bool parent_profiled_ignoring(int sig)
{
    if (sig < 1 || sig > 64)
        return false;
    pid_t pp = getppid();
    if (pp <= 1)
        return false;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pp);
    ignmask m = {0, false};
    each_line(path, sigign_line, &m);
    if (!m.found || !(m.mask >> (sig - 1) & 1))
        return false;
    search s = {.addr = (uintptr_t)&parent_profiled_ignoring};
    if (!each_line("/proc/self/maps", holds_addr, &s))
        return false;
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pp);
    return each_line(path, same_file, &s);
}

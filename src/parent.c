/*
 * parent.c - see parent.h.
 *
 * A process that said it ignores a signal leaves a mark in its address
 * space: a one-page PROT_NONE mapping of an empty memfd named for the
 * signal, which its /proc/PID/maps shows, which a fork child inherits and
 * which an exec drops (the new image marks itself again, if it ignores the
 * signal still).  /proc/PID/status's SigIgn is the mask of ignored
 * signals, in hex, signal n at bit n-1.  Both files are read in
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
#include <sys/mman.h>
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

/* The mark a process leaves when it has said that it ignores sig: a
 * mapping of an empty memfd so named, which /proc/PID/maps shows as
 * "/memfd:heapprof-ignores-12 (deleted)". */
static void mark_name(char *buf, size_t n, int sig)
{
    snprintf(buf, n, "/memfd:heapprof-ignores-%d (deleted)", sig);
}

static bool has_mark(const char *line, size_t len, void *ctx)
{
    const char *want = ctx;
    size_t wl = strlen(want);
    return len > wl && line[len - wl - 1] == ' ' && !memcmp(line + len - wl, want, wl);
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

bool parent_said_ignoring(int sig)
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
    char want[64];
    mark_name(want, sizeof want, sig);
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pp);
    return each_line(path, has_mark, want);
}

void parent_mark_ignoring(int sig)
{
    /* No ftruncate: nothing reads the page, PROT_NONE; the descriptor is
     * closed at once, the mapping holds the file. */
    char name[64];
    snprintf(name, sizeof name, "heapprof-ignores-%d", sig);
    int fd = memfd_create(name, MFD_CLOEXEC);
    if (fd < 0)
        return;
    void *mark = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_NONE, MAP_PRIVATE, fd, 0);
    close(fd);
    if (mark == MAP_FAILED)
        return; /* no mark: each child says it again, as before */
}

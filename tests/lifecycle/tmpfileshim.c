/*
 * tmpfileshim.c - a preload listed before libheapprof.so that makes the
 * file system or the process lack what an unnamed profile file needs
 * (lifecycle_killed_write).  TMPFILE_SHIM says what is missing (one mode,
 * or several separated by commas):
 *
 *   notmpfile  open/openat with O_TMPFILE fail with EOPNOTSUPP, as on NFS,
 *              vfat or a FUSE file system without it
 *   seccomp    the same with EPERM, as a seccomp filter on open's flags
 *   marked     as notmpfile, in a directory holding a file named .notmpfile
 *              only: one file system without O_TMPFILE, others with it
 *   noempty    linkat(AT_EMPTY_PATH) fails with ENOENT, as without
 *              CAP_DAC_READ_SEARCH: the link goes through /proc
 *   nolink     that, and linkat of a /proc path fails with ENOENT too, as
 *              where /proc is not mounted
 *   park       an O_TMPFILE open blocks, as in a hung NFS directory: it
 *              makes the file TMPFILE_SHIM_PARKED, then waits until the
 *              file TMPFILE_SHIM_GO exists (60 s at most) before it opens
 *   parkopen   an O_TMPFILE open is made, then waits as park does before
 *              it returns: the file open in the caller's table, its number
 *              not yet known to heapprof (the fork window a preemption
 *              as open returns stretches; http_fds.h); with
 *              TMPFILE_SHIM_PARKDIR set, only an open of that directory
 *              (its path as heapprof gives it) waits
 *   busyunlink open/openat with O_TMPFILE fail as with notmpfile, and the
 *              unlink of a heapprof-http-* file fails with EBUSY the first
 *              time (CIFS refusing to remove an open file), not after
 *   swapped    O_TMPFILE fails as with notmpfile, and the unlink of a
 *              heapprof-http-* file says it was done but leaves it, as
 *              where its name was swapped for another file's meanwhile
 *              (noted "unlink swapped PATH", for the test to remove it)
 *   parkunlink O_TMPFILE fails as with notmpfile, and the unlink of a
 *              heapprof-http-* file waits as park does before it is done:
 *              the file made, open, not yet the server's (a slow NFS
 *              remove; the window a fork of the program's must not copy)
 *   parkclose  O_TMPFILE fails as with notmpfile, and the close of a
 *              heapprof-http-* file at a number moved high (64 or more: a
 *              body file done with, not the low number it was opened at)
 *              by a thread other than the main one (heapprof's server; not
 *              a fork child's) waits as park does before it is done (a
 *              slow last close on NFS)
 *
 *   eiowrite   a write into an unnamed file in /dev/shm ("/dev/shm/#INODE
 *              (deleted)") fails with EIO, as on a failing disk
 *   eiowriteall the same in any directory
 *   fullwrite  an unnamed file in /dev/shm holds TMPFILE_SHIM_FULL_AT
 *              bytes at most (512 unset), as where /dev/shm fills while a
 *              profile is written: the write that crosses that size writes
 *              what fits (a short write), one from there fails with
 *              ENOSPC; so a write fails partway, a file of that many
 *              bytes left.  By the file offset (heapprof writes in order
 *              from 0), no state of the shim's.
 *
 * Each O_TMPFILE open and each linkat appends a line to TMPFILE_SHIM_LOG
 * (when set): "tmpfile DIR OK|refused", "linkat empty OK|failed",
 * "linkat proc OK|failed"; each write fullwrite cuts, "write short N"
 * (the N bytes that fit written) or "write full".
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void note(const char *what)
{
    const char *log = getenv("TMPFILE_SHIM_LOG");
    if (!log)
        return;
    int saved = errno;
    int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) {
        (void)!write(fd, what, strlen(what));
        (void)!write(fd, "\n", 1);
        close(fd);
    }
    errno = saved;
}

/* TMPFILE_SHIM names one mode, or several separated by commas
 * ("parkopen,eiowrite": a test needs a failing directory and the window
 * in the next one). */
static bool missing(const char *what)
{
    const char *m = getenv("TMPFILE_SHIM");
    size_t n = strlen(what);
    for (; m && *m; m += strcspn(m, ","), m += *m == ',')
        if (!strncmp(m, what, n) && (m[n] == ',' || !m[n]))
            return true;
    return false;
}

/* Whether dir holds the marker of mode "marked". */
static bool marked(const char *dir)
{
    char m[4200];
    snprintf(m, sizeof m, "%s/.notmpfile", dir);
    return access(m, F_OK) == 0;
}

/* Mode park: say so, then wait for the word to go on. */
static void park(void)
{
    const char *parked = getenv("TMPFILE_SHIM_PARKED"), *go = getenv("TMPFILE_SHIM_GO");
    if (!parked || !go)
        return;
    int saved = errno;
    int fd = open(parked, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0)
        close(fd);
    for (int i = 0; i < 6000 && access(go, F_OK); i++)
        usleep(10000);
    errno = saved;
}

/* 0: open the file; -1: refused (errno set).  An O_TMPFILE open of dir
 * (heapprof's are absolute) is noted with the answer the shim decided on;
 * whether the kernel then agrees is the file system's business. */
static int tmpfile_open(const char *dir, int flags)
{
    if ((flags & O_TMPFILE) != O_TMPFILE)
        return 0;
    if (missing("park"))
        park();
    bool refuse = missing("notmpfile") || missing("busyunlink") || missing("swapped") ||
                  missing("parkunlink") || missing("parkclose") || missing("seccomp") ||
                  (missing("marked") && marked(dir));
    char line[4200];
    snprintf(line, sizeof line, "tmpfile %s %s", dir, refuse ? "refused" : "OK");
    note(line);
    if (!refuse)
        return 0;
    errno = missing("seccomp") ? EPERM : EOPNOTSUPP;
    return -1;
}

typedef int (*openat_fn)(int, const char *, int, ...);

static int next_openat(int dirfd, const char *path, int flags, mode_t mode)
{
    openat_fn next = (openat_fn)dlsym(RTLD_NEXT, "openat");
    return next(dirfd, path, flags, mode);
}

/* Mode parkopen: fd, an O_TMPFILE open of dir's answer, returned once
 * the test says so. */
static int parked_after(int fd, const char *dir, int flags)
{
    const char *only = getenv("TMPFILE_SHIM_PARKDIR");
    if (fd >= 0 && (flags & O_TMPFILE) == O_TMPFILE && missing("parkopen") &&
        (!only || !strcmp(only, dir)))
        park();
    return fd;
}

static mode_t mode_of(int flags, va_list ap)
{
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_of(flags, ap);
    va_end(ap);
    if (tmpfile_open(path, flags))
        return -1;
    return parked_after(next_openat(AT_FDCWD, path, flags, mode), path, flags);
}

int open64(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_of(flags, ap);
    va_end(ap);
    if (tmpfile_open(path, flags))
        return -1;
    return parked_after(next_openat(AT_FDCWD, path, flags, mode), path, flags);
}

int openat(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_of(flags, ap);
    va_end(ap);
    if (tmpfile_open(path, flags))
        return -1;
    return parked_after(next_openat(dirfd, path, flags, mode), path, flags);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_of(flags, ap);
    va_end(ap);
    if (tmpfile_open(path, flags))
        return -1;
    return parked_after(next_openat(dirfd, path, flags, mode), path, flags);
}

typedef int (*linkat_fn)(int, const char *, int, const char *, int);

int linkat(int olddirfd, const char *old, int newdirfd, const char *new, int flags)
{
    bool empty = flags & AT_EMPTY_PATH;
    bool refused = empty ? missing("noempty") || missing("nolink")
                         : missing("nolink") && !strncmp(old, "/proc/", 6);
    int r = -1;
    if (refused) {
        errno = ENOENT;
    } else {
        linkat_fn next = (linkat_fn)dlsym(RTLD_NEXT, "linkat");
        r = next(olddirfd, old, newdirfd, new, flags);
    }
    int saved = errno;
    note(empty ? (r ? "linkat empty failed" : "linkat empty OK")
               : (r ? "linkat proc failed" : "linkat proc OK"));
    errno = saved;
    return r;
}

typedef int (*unlink_fn)(const char *);

/* Modes busyunlink, swapped and parkunlink, for heapprof's HTTP fallback
 * files. */
int unlink(const char *path)
{
    static char busy_once[4200]; /* the last name refused once */
    const char *base = strrchr(path, '/');
    if (base && !strncmp(base + 1, "heapprof-http-", 14)) {
        if (missing("parkunlink"))
            park();
        if (missing("swapped")) {
            char line[4200];
            snprintf(line, sizeof line, "unlink swapped %s", path);
            note(line);
            return 0;
        }
        if (missing("busyunlink") && strcmp(busy_once, path)) {
            snprintf(busy_once, sizeof busy_once, "%s", path);
            note("unlink busy");
            errno = EBUSY;
            return -1;
        }
    }
    unlink_fn next = (unlink_fn)dlsym(RTLD_NEXT, "unlink");
    return next(path);
}

typedef int (*close_fn)(int);

/* Mode parkclose. */
int close(int fd)
{
    if (fd >= 64 && missing("parkclose") && gettid() != getpid()) {
        char path[64], to[512];
        /* The caller's table: heapprof's server thread has one of its own. */
        snprintf(path, sizeof path, "/proc/thread-self/fd/%d", fd);
        ssize_t n = readlink(path, to, sizeof to - 1);
        if (n > 0) {
            to[n] = '\0';
            if (strstr(to, "/heapprof-http-"))
                park();
        }
    }
    close_fn next = (close_fn)dlsym(RTLD_NEXT, "close");
    return next(fd);
}

typedef ssize_t (*write_fn)(int, const void *, size_t);

/* Whether fd is an unnamed file ("/DIR/#INODE (deleted)"), in /dev/shm
 * unless any: the caller's table (heapprof's server thread has one of its
 * own). */
static bool unnamed_file(int fd, bool any)
{
    char path[64], to[512];
    snprintf(path, sizeof path, "/proc/thread-self/fd/%d", fd);
    ssize_t k = readlink(path, to, sizeof to - 1);
    if (k <= 0)
        return false;
    to[k] = '\0';
    return strstr(to, "/#") && strstr(to, " (deleted)") && (any || !strncmp(to, "/dev/shm/#", 10));
}

/* Mode fullwrite: how much of n bytes fits in fd (at its offset) below
 * TMPFILE_SHIM_FULL_AT, noted when not all. */
static size_t fits(int fd, size_t n)
{
    const char *at = getenv("TMPFILE_SHIM_FULL_AT");
    off_t full = at ? (off_t)strtoll(at, NULL, 10) : 512;
    int saved = errno;
    off_t off = lseek(fd, 0, SEEK_CUR);
    errno = saved;
    if (off < 0 || off + (off_t)n <= full)
        return n;
    size_t room = off < full ? (size_t)(full - off) : 0;
    char line[64] = "write full";
    if (room)
        snprintf(line, sizeof line, "write short %zu", room);
    note(line);
    return room;
}

/* Modes eiowrite, eiowriteall and fullwrite. */
ssize_t write(int fd, const void *buf, size_t n)
{
    bool all = missing("eiowriteall");
    if (fd > 2 && (all || missing("eiowrite")) && unnamed_file(fd, all)) {
        errno = EIO;
        return -1;
    }
    if (fd > 2 && n && missing("fullwrite") && unnamed_file(fd, false)) {
        size_t room = fits(fd, n);
        if (!room) {
            errno = ENOSPC;
            return -1;
        }
        n = room;
    }
    write_fn next = (write_fn)dlsym(RTLD_NEXT, "write");
    return next(fd, buf, n);
}

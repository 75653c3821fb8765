/*
 * tmpfileshim.c - a preload listed before libheapprof.so that makes the
 * file system or the process lack what an unnamed profile file needs
 * (lifecycle_killed_write).  TMPFILE_SHIM says what is missing:
 *
 *   notmpfile  open/openat with O_TMPFILE fail with EOPNOTSUPP, as on NFS,
 *              vfat or a FUSE file system without it
 *   marked     the same, in a directory holding a file named .notmpfile
 *              only: one file system without O_TMPFILE, others with it
 *   noempty    linkat(AT_EMPTY_PATH) fails with ENOENT, as without
 *              CAP_DAC_READ_SEARCH: the link goes through /proc
 *   nolink     that, and linkat of a /proc path fails with ENOENT too, as
 *              where /proc is not mounted
 *
 * Each O_TMPFILE open and each linkat appends a line to TMPFILE_SHIM_LOG
 * (when set): "tmpfile DIR OK|refused", "linkat empty OK|failed",
 * "linkat proc OK|failed".
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

static bool missing(const char *what)
{
    const char *m = getenv("TMPFILE_SHIM");
    return m && !strcmp(m, what);
}

/* Whether dir holds the marker of mode "marked". */
static bool marked(const char *dir)
{
    char m[4200];
    snprintf(m, sizeof m, "%s/.notmpfile", dir);
    return access(m, F_OK) == 0;
}

/* 0: open the file; -1: refused (errno set).  An O_TMPFILE open of dir
 * (heapprof's are absolute) is noted with the answer the shim decided on;
 * whether the kernel then agrees is the file system's business. */
static int tmpfile_open(const char *dir, int flags)
{
    if ((flags & O_TMPFILE) != O_TMPFILE)
        return 0;
    bool refuse = missing("notmpfile") || (missing("marked") && marked(dir));
    char line[4200];
    snprintf(line, sizeof line, "tmpfile %s %s", dir, refuse ? "refused" : "OK");
    note(line);
    if (!refuse)
        return 0;
    errno = EOPNOTSUPP;
    return -1;
}

typedef int (*openat_fn)(int, const char *, int, ...);

static int next_openat(int dirfd, const char *path, int flags, mode_t mode)
{
    openat_fn next = (openat_fn)dlsym(RTLD_NEXT, "openat");
    return next(dirfd, path, flags, mode);
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
    return tmpfile_open(path, flags) ? -1 : next_openat(AT_FDCWD, path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_of(flags, ap);
    va_end(ap);
    return tmpfile_open(path, flags) ? -1 : next_openat(AT_FDCWD, path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_of(flags, ap);
    va_end(ap);
    return tmpfile_open(path, flags) ? -1 : next_openat(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_of(flags, ap);
    va_end(ap);
    return tmpfile_open(path, flags) ? -1 : next_openat(dirfd, path, flags, mode);
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

/*
 * fdid.h - is descriptor N still the file it was?
 *
 * A program may close any descriptor and get its number back for a file of
 * its own (closefrom() in a daemon, close(2) then open()).  A number alone
 * therefore does not say which file the profiler would touch; the file's
 * identity (device and inode, from fstat) does.  Taken when the profiler
 * opens or first sees a descriptor, compared before each use: the HTTP
 * server's own sockets where they are in the program's table
 * (http_fds.c), the program's stderr (log.c), and the
 * file a profile is being written to (dump.c).
 * fstat is async-signal-safe and allocates nothing.
 */
#ifndef HEAPPROF_FDID_H
#define HEAPPROF_FDID_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct fdid {
    dev_t dev;
    ino_t ino;
} fdid;

/* fd's identity into *id; false when fd is not open. */
static inline bool fdid_take(int fd, fdid *id)
{
    struct stat st;
    if (fd < 0 || fstat(fd, &st))
        return false;
    *id = (fdid){st.st_dev, st.st_ino};
    return true;
}

/* fd is open and still names the file *id was taken from. */
static inline bool fdid_same(int fd, const fdid *id)
{
    fdid now;
    return fdid_take(fd, &now) && now.dev == id->dev && now.ino == id->ino;
}

/* A descriptor the profiler just opened, moved where programs do not look
 * for their own, as libunwind's pipe is (unwind_pipe.h): at FDID_FLOOR or
 * above, or just under the descriptor limit where that is lower;
 * close-on-exec.  A program that closes what it did not open (closefrom)
 * and then opens files of its own gets the low numbers, not this one.  Its
 * identity goes to *id at once, and the low number is closed only while it
 * is still that file.  Returns the descriptor (fd itself when no number is
 * free up there), or -1 with errno EBADF when the program closed fd
 * first: nothing of ours is left open then.  fstat refused (a seccomp
 * filter's EPERM or ENOSYS, not EBADF: fd is the one just opened, unless
 * the program closed what it never opened within these microseconds):
 * fd is closed, and -1 with that errno, as no use of it could be checked.
 * It was left open, one low descriptor more for each profile, where the
 * program's next open() got a number it would not have. */
enum { FDID_FLOOR = 512 };

/* Where fd goes up to: FDID_FLOOR, or 16 under the descriptor limit where
 * that is lower, or fd itself (not moved) under a limit of 32 or less. */
static inline long fdid_floor(int fd)
{
    struct rlimit rl;
    long floor = FDID_FLOOR;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur < (rlim_t)FDID_FLOOR + 16)
        floor = rl.rlim_cur > 32 ? (long)rl.rlim_cur - 16 : fd;
    return floor;
}

static inline int fdid_move_high(int fd, fdid *id)
{
    if (!fdid_take(fd, id)) {
        int err = errno;
        if (err != EBADF)
            close(fd);
        errno = err;
        return -1;
    }
    long floor = fdid_floor(fd);
    int high = floor > fd ? fcntl(fd, F_DUPFD_CLOEXEC, (int)floor) : -1;
    if (high < 0)
        return fdid_same(fd, id) ? fd : (errno = EBADF, -1);
    if (!fdid_same(high, id)) { /* fd was the program's by the time of the copy */
        close(high);
        errno = EBADF;
        return -1;
    }
    if (fdid_same(fd, id))
        close(fd);
    return high;
}

/* open(2) of a file a profiler's thread reads and closes while the
 * program runs (/proc texts, cgroup figures, ELF files): moved high, its
 * identity in *id for fdid_close.  -1 when it cannot be opened. */
static inline int fdid_open(const char *path, int flags, fdid *id)
{
    int fd = open(path, flags);
    return fd < 0 ? -1 : fdid_move_high(fd, id);
}

/* close(2) of what fdid_open gave, unless the number is no longer that
 * file: closed by the program, and perhaps one of its own since. */
static inline void fdid_close(int fd, const fdid *id)
{
    if (fdid_same(fd, id))
        close(fd);
}

#endif

/*
 * fdid.h - is descriptor N still the file it was?
 *
 * A program may close any descriptor and get its number back for a file of
 * its own (closefrom() in a daemon, close(2) then open()).  A number alone
 * therefore does not say which file the profiler would touch; the file's
 * identity (device and inode, from fstat) does.  Taken when the profiler
 * opens or first sees a descriptor, compared before each use: the HTTP
 * server's own sockets (http.c) and the program's stderr (log.c).
 * fstat is async-signal-safe and allocates nothing.
 */
#ifndef HEAPPROF_FDID_H
#define HEAPPROF_FDID_H

#include <stdbool.h>
#include <sys/stat.h>

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

#endif

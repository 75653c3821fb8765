/*
 * fault.h - fault injection: make the profiler's own allocations and file
 * I/O fail on the Nth call, to prove that every failure leaves the program
 * untouched and no torn profile behind.
 *
 * Two builds.  libheapprof.so is compiled without HEAPPROF_FAULT_INJECTION:
 * there fault_point() is the constant false and each fault_* wrapper below
 * is exactly the call it wraps, so the production library carries no test
 * hook at all.  The test library libheapprof_fault.so (CMake option
 * HEAPPROF_FAULT, used by tests/faults) defines it and links fault.c, which
 * reads one variable at the first fault point:
 *
 *   HEAPPROF_FAULT=KIND:N[+][,KIND:N[+]]   KIND is mem or io; the Nth call
 *                                          of that kind fails (N+: the Nth
 *                                          and every later one); N=0 only
 *                                          counts
 *   HEAPPROF_FAULT_LOG=PATH                counters, kept in a shared mapping
 *                                          of PATH so they survive _exit and
 *                                          are readable after the process
 *                                          ends: four little-endian uint64,
 *                                          mem calls, mem failures, io calls,
 *                                          io failures
 *
 * Seams: FAULT_MEM covers mem_map (the tables) and the profiler's heap,
 * mem_alloc and its kin (mem.h; zlib's memory included); FAULT_IO
 * covers open, write, fdatasync, close, rename and linkat of a profile
 * (outfile.c), and the open or mkostemp of the file an HTTP profile falls
 * back to where memfd_create is refused (http_body.c).  A failed
 * call sets errno as the real one would (ENOMEM, EIO, ENOSPC for write);
 * fault_close always closes the descriptor, then may report EIO, as
 * close(2) can after a failed writeback.
 */
#ifndef HEAPPROF_FAULT_H
#define HEAPPROF_FAULT_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

typedef enum { FAULT_MEM, FAULT_IO, FAULT_NKINDS } fault_kind;

#ifdef HEAPPROF_FAULT_INJECTION
/* True when this call of kind k must fail.  Counts the call; never changes
 * errno (mem_map's callers rely on that). */
bool fault_point(fault_kind k);
#else
static inline bool fault_point(fault_kind k)
{
    (void)k;
    return false;
}
#endif

static inline int fault_open(const char *path, int flags, mode_t mode)
{
    if (fault_point(FAULT_IO)) {
        errno = EIO;
        return -1;
    }
    return open(path, flags, mode);
}

static inline ssize_t fault_write(int fd, const void *p, size_t n)
{
    if (fault_point(FAULT_IO)) {
        errno = ENOSPC;
        return -1;
    }
    return write(fd, p, n);
}

static inline int fault_fdatasync(int fd)
{
    if (fault_point(FAULT_IO)) {
        errno = EIO;
        return -1;
    }
    return fdatasync(fd);
}

static inline int fault_close(int fd)
{
    int r = close(fd);
    if (fault_point(FAULT_IO)) {
        errno = EIO;
        return -1;
    }
    return r;
}

static inline int fault_rename(const char *from, const char *to)
{
    if (fault_point(FAULT_IO)) {
        errno = EIO;
        return -1;
    }
    return rename(from, to);
}

static inline int fault_linkat(int olddirfd, const char *old, int newdirfd, const char *new,
                               int flags)
{
    if (fault_point(FAULT_IO)) {
        errno = EIO;
        return -1;
    }
    return linkat(olddirfd, old, newdirfd, new, flags);
}

#endif

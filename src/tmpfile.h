/*
 * tmpfile.h - what an O_TMPFILE open's errno says, for the two places that
 * make unnamed files: a profile on disk (outfile.c) and the file an HTTP
 * profile falls back to where memfd_create is refused (http_body.c).  Both
 * try a named file then, and remember a directory that will never give an
 * unnamed one, so that O_TMPFILE is not asked there again.
 */
#ifndef HEAPPROF_TMPFILE_H
#define HEAPPROF_TMPFILE_H

#include <errno.h>
#include <stdbool.h>

/* O_TMPFILE's refusals: the file system has no unnamed files (EOPNOTSUPP:
 * NFS, vfat, some FUSE), a kernel before 3.11 (EISDIR: it opened the
 * directory), ones that say EINVAL or ENOENT, a seccomp filter (EPERM,
 * ENOSYS) that refuses open's flags.  A named file is tried then; one in a
 * directory that is gone fails too, with the same ENOENT. */
static inline bool tmpfile_refused(int err)
{
    return err == EOPNOTSUPP || err == EISDIR || err == EINVAL || err == ENOENT ||
           err == EPERM || err == ENOSYS;
}

/* The refusals that say "never here": the file system, the kernel or a
 * seccomp filter (which no process can lift) will refuse every O_TMPFILE
 * in that directory again.  Not ENOENT: a directory that is gone may be
 * made again. */
static inline bool tmpfile_unsupported(int err)
{
    return err == EOPNOTSUPP || err == EISDIR || err == EINVAL || err == EPERM || err == ENOSYS;
}

#endif

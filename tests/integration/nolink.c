/*
 * nolink - preloaded after libheapprof.so, it makes every file system look
 * like a FUSE one that has neither RENAME_NOREPLACE nor hard links:
 * renameat2 with flags fails with EINVAL (the kernel's answer when the
 * file system does not take them) and link with ENOSYS (libfuse's answer
 * for an operation the file system leaves out).  For integ_outname.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
              unsigned int flags)
{
    if (!flags)
        return renameat(olddirfd, oldpath, newdirfd, newpath);
    errno = EINVAL;
    return -1;
}

int link(const char *oldpath, const char *newpath)
{
    (void)oldpath;
    (void)newpath;
    errno = ENOSYS;
    return -1;
}

/*
 * nodup3 - preloaded after libheapprof.so, it refuses dup3 with EPERM, as
 * a seccomp filter written before dup3 existed does (it allows dup2 and
 * fcntl).  For integ_unwind_pipe: libunwind's pipe must still be moved
 * out of the program's way.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <unistd.h>

int dup3(int oldfd, int newfd, int flags)
{
    (void)oldfd;
    (void)newfd;
    (void)flags;
    errno = EPERM;
    return -1;
}

/*
 * execvia.c - a preload listed after libheapprof.so that interposes exec
 * too, as a build tracer or a sandbox does: its execv calls execve, which
 * the dynamic linker finds first in libheapprof.so.  So heapprof's execv
 * calls this one, which calls heapprof's execve, on the same thread
 * (lifecycle_exec 6).
 */
#include <unistd.h>

extern char **environ;

int execv(const char *path, char *const argv[]) { return execve(path, argv, environ); }

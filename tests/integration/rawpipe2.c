/*
 * rawpipe2 - preloaded before libheapprof.so, its pipe2 makes the system
 * call itself and passes nothing on, as an interposer that does not
 * forward would: libunwind's pipe then never reaches heapprof's pipe2
 * and is made at the lowest free descriptors (integ_unwind_pipe 5).
 */
#define _GNU_SOURCE
#include <sys/syscall.h>
#include <unistd.h>

int pipe2(int fds[2], int flags) { return (int)syscall(SYS_pipe2, fds, flags); }

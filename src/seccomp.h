/*
 * seccomp.h - what a seccomp filter the program installs may do to the
 * profiler's own system calls (lifecycle.c stands down before one that may
 * kill).
 */
#ifndef HEAPPROF_SECCOMP_H
#define HEAPPROF_SECCOMP_H

#include <stdbool.h>
#include <sys/types.h>

struct sock_fprog;

/* True when the filter may answer some native system call, whatever its
 * arguments, with an action other than ALLOW, LOG or ERRNO (a kill, a trap,
 * a tracer's or a supervisor's say), or when that cannot be told (NULL,
 * strict mode, a filter not understood).  False for one that at worst
 * refuses a call with an errno: heapprof copes with those. */
bool seccomp_may_kill(const struct sock_fprog *prog);

/* The same of a filter the program hands the kernel, at an address of its
 * own (self: this process's pid), read as the kernel reads it: what the
 * kernel would refuse (a bad address, EFAULT; a length of 0 or above
 * BPF_MAXINSNS, EINVAL) installs nothing, and is SECCOMP_REFUSED.  The
 * program gets its EFAULT, where reading the address here would have
 * crashed it. */
typedef enum { SECCOMP_COPES, SECCOMP_MAY_KILL, SECCOMP_REFUSED } seccomp_verdict;
seccomp_verdict seccomp_judge(pid_t self, const struct sock_fprog *user);

#endif

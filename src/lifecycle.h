/*
 * lifecycle.h - process events the profiler follows (see lifecycle.c).
 */
#ifndef HEAPPROF_LIFECYCLE_H
#define HEAPPROF_LIFECYCLE_H

#include <stdbool.h>
#include <sys/types.h>

/* Stop the profiler's own threads, and start them again: around calls
 * that glibc broadcasts to every thread (shim_process.c).  Serialised. */
void lifecycle_quiesce(void);
void lifecycle_resume(void);

/* Called by exit() before the real one: returns at once for the first
 * thread to exit; a later one waits for the exit profile (at most 0.5 s
 * for it to begin, 10 s in all). */
void lifecycle_before_exit(void);

/* Around exec: before_exec waits for a profile being written, and keeps
 * another from beginning until the image is gone (writer.h); true when
 * exec_failed must undo that. */
bool lifecycle_before_exec(void);
void lifecycle_exec_failed(void);

/* True in a child created without fork handlers (_Fork, clone, vfork), or
 * by a fork() whose handlers found the thread inside the profiler (from a
 * signal handler): the profiler's threads, and whatever locks they held,
 * are the parent's, so this process writes no profile (lifecycle.c).  One getpid(): for rare
 * paths only. */
bool lifecycle_orphaned(void);

/* Called before the program installs a seccomp filter (NULL: strict mode),
 * from the interposed prctl() and syscall(): one that may kill or trap a
 * call makes heapprof stand down for good (lifecycle.c). */
/* This process's pid for the names and comments of its profiles: getpid(),
 * or where a seccomp filter refuses it (SECCOMP_RET_ERRNO: -1), the pid
 * it had when heapprof started or forked, where files were named p.-1.N. */
pid_t lifecycle_pid(void);

struct sock_fprog;
void lifecycle_seccomp(bool strict, const struct sock_fprog *filter);
/* heapprof has stood down so. */
bool lifecycle_sandboxed(void);

#endif

/*
 * log.h - one-line messages on stderr that never allocate.
 *
 * Every message is formatted into a fixed stack buffer and written with one
 * write(2), prefixed "heapprof[PID]: " with the pid of the process writing
 * it (a fork child's lines carry the child's).  A token bucket keeps a
 * misbehaving run (a full disk hit by a dump every second) from flooding the
 * program's stderr.  A line never goes into a file that took fd 2's number
 * after the program closed its stderr, and never raises SIGPIPE.  errno is
 * preserved, so callers inside allocator hooks can log.
 */
#ifndef HEAPPROF_LOG_H
#define HEAPPROF_LOG_H

#include <stdbool.h>
#include <stddef.h>

/* Take note of which file fd 2 is (from start-up, before any line): lines
 * are written only while fd 2 is still that file.  Idempotent. */
void log_start(void);
/* No line from now on (lifecycle.c: under a seccomp filter that may kill). */
void log_mute(void);

/* The calling thread has a descriptor table of its own (threads.h): its
 * lines go to a copy of the program's fd 2 taken through pidfd, a pidfd
 * of the process in that table; -1: no line from this thread. */
void log_private_fds(int pidfd);

/* "heapprof[" + at most 20 digits + "]: " and a NUL. */
enum { LOG_PREFIX_MAX = 33 };

/* Writes "heapprof[PID]: " (NUL-terminated) to buf with the calling
 * process's pid at the time of the call, and returns its length.  For lines
 * written without log_line; async-signal-safe, and preserves errno. */
size_t log_prefix(char buf[static LOG_PREFIX_MAX]);

/* 1 if the line went out, 0 if it was held back: the bucket suppressed it
 * (it is then counted, and the count reported with the next line that
 * gets through), or fd 2 is no longer the program's stderr of start-up.  A
 * line whose write failed (a full pipe or disk, a reader gone) went out:
 * a caller that says a thing once on 1 and tries again on 0 (say_once)
 * would otherwise try at every call, and fail alike. */
__attribute__((format(printf, 1, 2))) int log_line(const char *fmt, ...);

/* log_line, but the bucket does not hold it back, and 1 only if the line
 * was written whole: for the lines a process says a bounded number of
 * times at start, which a process tree says once (parent.h's marks, left
 * only where the file was told).  One held back in a parent would be held
 * back in each child alike, and said by none. */
__attribute__((format(printf, 1, 2))) int log_line_always(const char *fmt, ...);

/* The line of kind `what` about the file at path, as log_line writes it,
 * only the first time it is asked for in this process: for lines said
 * once per file (a missing supplementary file) whatever caches come and
 * go.  The bucket does not hold it back (log.c says why).  Once
 * LOG_FIRST_MAX files have had one, no more are said, and the first one
 * refused says so instead, once: a process says at most LOG_FIRST_MAX + 1
 * such lines in all.  1 if the line was written, else 0. */
enum { LOG_FIRST_MAX = 64 };
__attribute__((format(printf, 3, 4))) int log_first_line(const char *what, const char *path,
                                                         const char *fmt, ...);

#endif

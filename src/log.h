/*
 * log.h - one-line messages on stderr that never allocate.
 *
 * Every message is formatted into a fixed stack buffer and written with one
 * write(2), prefixed "heapprof: ".  A token bucket keeps a misbehaving run
 * (a full disk hit by a dump every second) from flooding the program's
 * stderr.  errno is preserved, so callers inside allocator hooks can log.
 */
#ifndef HEAPPROF_LOG_H
#define HEAPPROF_LOG_H

/* 1 if the line was written, 0 if the bucket suppressed it (it is then
 * counted, and the count reported with the next line that gets through). */
__attribute__((format(printf, 1, 2))) int log_line(const char *fmt, ...);

#endif

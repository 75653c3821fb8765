/*
 * cgroup.h - the memory figures of the process's own cgroup (v2) and its
 * RSS, and the memory-limit trigger built on them.
 *
 * The directory is found once, lazily: HEAPPROF_CGROUP when it names one,
 * else the "0::/path" line of /proc/self/cgroup joined to the cgroup2 mount
 * point from /proc/self/mountinfo.  Every figure is read fresh from its file
 * on each call; a file that is missing or unreadable makes that figure
 * unknown, never an error (cgroup v1 hosts, the root cgroup, containers
 * without the memory controller).
 *
 * Call only from the profiler's own threads or with the reentrancy guard
 * held: reading the files may allocate.
 */
#ifndef HEAPPROF_CGROUP_H
#define HEAPPROF_CGROUP_H

#include <stddef.h>
#include <stdint.h>

/* A figure nobody could read, and a limit file that says "max". */
#define CGROUP_UNKNOWN (-1)
#define CGROUP_NOLIMIT INT64_MAX

typedef struct cgroup_figures {
    int64_t current;  /* memory.current, bytes */
    int64_t max;      /* memory.max, bytes or CGROUP_NOLIMIT */
    int64_t high;     /* memory.high, bytes or CGROUP_NOLIMIT */
    /* memory.events counters */
    int64_t ev_low, ev_high, ev_max, ev_oom, ev_oom_kill;
    int64_t rss;      /* the process's resident set, bytes (/proc/self/statm) */
} cgroup_figures;

/* Install the dump comment provider and say once on stderr if
 * HEAPPROF_LIMIT_DUMP has nothing to compare against.  From writer_start. */
void cgroup_start(void);

/* The cgroup directory in use ("" when none was found). */
const char *cgroup_dir(void);

/* Read every figure now. */
void cgroup_read(cgroup_figures *out);

/* The process's RSS in bytes, or CGROUP_UNKNOWN. */
int64_t cgroup_rss(void);

/* The writer's timed trigger for HEAPPROF_LIMIT_DUMP (see writer.c's
 * timed[]): due when usage has crossed the threshold since the last limit
 * profile; asks to be polled again a fraction of a second later. */
int cgroup_limit_due(double now, double *next);

/* Pure helpers, exposed for the unit test.  The cgroup directory from the
 * texts of /proc/self/cgroup and /proc/self/mountinfo: 0, or ENOENT. */
int cgroup_find_dir(const char *proc_cgroup, const char *mountinfo, char *out, size_t len);
/* A memory.max/high/current text: bytes, CGROUP_NOLIMIT for "max", or
 * CGROUP_UNKNOWN when malformed. */
int64_t cgroup_parse_value(const char *text);
/* The counter `key` of a memory.events text, or CGROUP_UNKNOWN. */
int64_t cgroup_parse_event(const char *text, const char *key);

#endif

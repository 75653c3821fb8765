/*
 * parent.h - what this process's parent is, as far as heapprof's own lines
 * on stderr need to know: read from /proc, without allocating.
 */
#ifndef HEAPPROF_PARENT_H
#define HEAPPROF_PARENT_H

#include <stdbool.h>

/* True when the parent process has this very library mapped (the same
 * file: device and inode) and ignores `sig` too: it then said at its own
 * start what this process would say about `sig` now, and every child of a
 * program run under nohup need not say it again.  False whenever that
 * cannot be read (a parent of another user, gone, /proc not mounted). */
bool parent_profiled_ignoring(int sig);

#endif

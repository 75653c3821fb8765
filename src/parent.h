/*
 * parent.h - what this process's parent is, as far as heapprof's own lines
 * on stderr need to know: read from /proc, without allocating.
 *
 * A program's children inherit its environment, its stderr, its ignored
 * signals and, through LD_PRELOAD, heapprof: every process of a build run
 * under `heapprof run` or nohup would repeat the lines its parent printed
 * at start.  What the parent said to the same stderr need not be said
 * again: a process tree says a thing once.
 */
#ifndef HEAPPROF_PARENT_H
#define HEAPPROF_PARENT_H

#include <stdbool.h>

/* True when the parent ignores `sig` (SigIgn in /proc/PPID/status) and
 * has said so to the file that is this process's stderr, or was spared
 * saying it by its own parent: it left the mark below.  A profiled parent
 * that ignores the signal without having said so (it installed its
 * handler at start, then the program ignored the signal: a shell's
 * `trap '' USR2`) left no mark, and its child says it. */
bool parent_said_ignoring(int sig);

/* Leave that mark for this process's children (parent_leave_mark), where
 * this process said so or parent_said_ignoring spared it. */
void parent_mark_ignoring(int sig);

/* Marks in general.  A process that said a thing on stderr leaves a mark
 * named for it, for this library's build (its build ID) and for the file its stderr is
 * (device and inode): a one-page PROT_NONE mapping of an empty memfd of
 * that name (parent.c), its descriptor closed at once, or where
 * memfd_create is refused (a seccomp filter's EPERM or ENOSYS) an
 * anonymous page given that name (PR_SET_VMA_ANON_NAME), which a fork
 * child inherits and an exec drops.  Without either (NULL: the kernel has
 * no anonymous VMA names either) each child says the thing again.  A
 * thing that stops being true is unsaid with parent_drop_mark(the
 * mapping).  Names are at most PARENT_MARK_MAX bytes, so that the whole
 * name fits an anonymous page's 79.  Leave a mark only where the line was
 * written whole (log_line returned 1), or where the parent's mark spared
 * saying it: the mark passes on what the file was told.  Leaving one
 * keeps the program's errno as it was, whichever way it went. */
enum { PARENT_MARK_MAX = 36 };
void *parent_leave_mark(const char *name);
void parent_drop_mark(void *mark);

/* True when the parent process's maps show the mark `name` for the file
 * that is this process's stderr now: the thing was said there.  Keeps
 * the program's errno. */
bool parent_has_mark(const char *name);

/* True when the parent's environment, as it started, holds exactly the
 * entries of envp whose names begin with `prefix` (in any case): no more,
 * no fewer, the same values.  Its heapprof then read the same settings. */
bool parent_env_same(const char *prefix, char *const *envp);

/* True when the parent's /proc/PID/cgroup reads as this process's: the
 * same cgroups, so the same memory limits (or the same lack of one). */
bool parent_same_cgroup(void);

#endif

/*
 * seqfiles.h - the profile files a process writes: PREFIX.<pid>.<seq>.pb.gz
 * (seq at least 4 digits, from 0001), found by listing PREFIX's directory.
 * Only complete files have this name (the library writes PATH.tmp and
 * renames it), so whatever is listed can be read.
 */
#ifndef HEAPPROF_CLI_SEQFILES_H
#define HEAPPROF_CLI_SEQFILES_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

typedef struct seqfile {
    char *path;               /* PREFIX.<pid>.<seq>.pb.gz, PREFIX as given */
    long pid;
    unsigned long long seq;
    struct timespec mtime;
    off_t size; /* 0 where it could not be read */
} seqfile;

/* The files of prefix, of one pid (or of all when pid < 0), sorted by pid
 * then seq.  Returns 0 or an errno value (of opening the directory). */
int seqfiles_list(const char *prefix, long pid, seqfile **out, size_t *n);

void seqfiles_free(seqfile *v, size_t n);

/* HEAPPROF_OUT's pattern as process pid expanded it (src/outname.h), into
 * buf: its host name and pid namespace are read through proc, "/proc/PID"
 * of a running process, or "/proc/self" for a child of ours that has ended
 * (it had ours); its executable (%e) is then unknown, "*" in buf.  0, or -1
 * after a message. */
int seqfiles_prefix(const char *pattern, long pid, const char *proc, char *buf, size_t len);

/* The files that processes in our namespaces, process pid's among them,
 * wrote under HEAPPROF_OUT's pattern, each expanded with its own pid (%p)
 * and, with proc "/proc/self", any executable's name (%e): seqfiles_list's,
 * of every pid, for a pattern whose prefix differs from process to process;
 * with %p or %e in a directory (prof/%e/app), in every directory that
 * matches (at most 65536 are opened).
 * 0, an errno value (of opening the directory), or -1 after a message. */
int seqfiles_list_pattern(const char *pattern, long pid, const char *proc, seqfile **out,
                          size_t *n);

#endif

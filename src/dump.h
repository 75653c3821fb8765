/*
 * dump.h - take one profile from the tables and put it in a file, whole or
 * not at all.
 *
 * The profile is streamed (gzip) into a file of the same directory with no
 * name yet (O_TMPFILE; else PATH.<pid>.<pid namespace>.tmp), flushed, then
 * linked or renamed to PATH (outfile.h): a reader sees either no file or
 * a complete one, and a process killed while writing leaves nothing
 * behind where the file had no name.  Must be called with
 * the reentrancy guard held (the profiler's own thread, or the exiting
 * thread), and by one caller at a time (writer.c serialises).
 */
#ifndef HEAPPROF_DUMP_H
#define HEAPPROF_DUMP_H

#include <stdint.h>

#include <stdbool.h>

#include "config.h"

typedef struct dump_info {
    const char *reason;   /* what asked for it: "exit", "signal", ... */
    uint64_t seq;         /* this dump's sequence number */
    uint64_t written;     /* dumps written before this one */
    double last_ms;       /* how long the previous dump took */
} dump_info;

/* The values of every stack at one moment, for delta profiles. */
typedef struct dump_snapshot dump_snapshot;
dump_snapshot *dump_snapshot_take(void); /* NULL when out of memory */
void dump_snapshot_free(dump_snapshot *s);

typedef struct dump_options {
    bool default_alloc;        /* default sample type alloc_space, not inuse_space */
    const dump_snapshot *base; /* non-NULL: values relative to this snapshot */
    bool text;                 /* the text profile (heaptext.h), not gzipped pprof;
                                * base must be NULL */
} dump_options;

/* Write the profile to path.  Returns 0 or an errno value; on failure no
 * file is left at path or under a temporary name.  keep_existing: never over a file
 * already at path (EEXIST), for the sequence's names (see dump.c). */
int dump_to_path(const char *path, const dump_info *info, bool keep_existing);

/* The inode of this process's pid namespace, 0 when /proc cannot say. */
unsigned long long dump_pid_ns(void);

/* In a fork child: forget the symbolizer, which the parent may have been
 * updating at the moment of the fork (its memory is left alone). */
void dump_atfork_child(void);

/* The highest sequence number of PREFIX.<our pid>.<seq>.pb.gz already on
 * disk (0 if none): a program exec'd in place keeps its pid, and must not
 * overwrite the profiles the image before it wrote. */
uint64_t dump_last_seq(const char *prefix);

/* What a process needs of its directory when it starts: dump_last_seq,
 * read only where PREFIX.<our pid>.0001.pb.gz exists, and (if sweep) in
 * the same pass the removal of temporary files under prefix left by
 * processes that died while writing, at every start in a small directory
 * and at some in a large one (see dump.c).  Keeps errno. */
uint64_t dump_start_scan(const char *prefix, bool sweep);

/* The directory of a prefix: "." for a bare one. */
void dump_prefix_dir(const char *prefix, char dir[CONFIG_PATH_MAX]);

/* Make the directory of prefix and every one above it that is missing
 * (mkdir -p, mode 0777 less the umask).  0 or the errno of the last. */
int dump_make_dirs(const char *prefix);

/* Write a profile (gzipped) to an open descriptor.  0 or an errno; after
 * an error the descriptor may hold part of a gzip stream (the caller
 * discards it: a temporary file, or a memory file). */
int dump_to_fd(int fd, const dump_info *info, const dump_options *opt);

/* Extra comment lines for every profile (for example cgroup figures), from
 * a provider set once at start-up: it writes up to `max` lines of at most
 * `len` bytes each into lines and returns how many. */
typedef int (*dump_comment_fn)(char (*lines)[160], int max);
void dump_set_comment_provider(dump_comment_fn fn);

#endif

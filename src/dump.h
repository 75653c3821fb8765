/*
 * dump.h - take one profile from the tables and put it in a file, whole or
 * not at all.
 *
 * The profile is streamed (gzip) into PATH.tmp in the same directory,
 * flushed, then renamed over PATH: rename(2) is atomic within a file system,
 * so a reader sees either no file or a complete one.  Must be called with
 * the reentrancy guard held (the profiler's own thread, or the exiting
 * thread), and by one caller at a time (writer.c serialises).
 */
#ifndef HEAPPROF_DUMP_H
#define HEAPPROF_DUMP_H

#include <stdint.h>

typedef struct dump_info {
    const char *reason;   /* what asked for it: "exit", "signal", ... */
    uint64_t seq;         /* this dump's sequence number */
    uint64_t written;     /* dumps written before this one */
    double last_ms;       /* how long the previous dump took */
} dump_info;

/* Write the profile to path.  Returns 0 or an errno value; on failure no
 * file is left at path or path.tmp. */
int dump_to_path(const char *path, const dump_info *info);

#endif

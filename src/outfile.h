/*
 * outfile.h - the file a profile is written to, and how it gets its final
 * name: whole or not at all.
 *
 * Where the file system allows it the file is unnamed (O_TMPFILE in the
 * directory of PATH): a process killed while writing it (the OOM killer,
 * SIGKILL, a crash) leaves nothing behind, as the kernel frees a file
 * that has no name once its last descriptor goes.  It is flushed, then
 * linked under PATH.  Elsewhere (NFS, vfat, some FUSE file systems, old
 * kernels, a seccomp filter refusing O_TMPFILE) it is
 * PATH.<pid>.<pid namespace>.tmp, flushed, then renamed: a kill leaves
 * that file, which dump_start_scan removes later.  Such a refusal is
 * remembered for the directory: O_TMPFILE is asked there once a process.  Either way a reader
 * sees no file at PATH or a complete one.  Used by one caller at a time
 * (writer.c serialises dumps).
 */
#ifndef HEAPPROF_OUTFILE_H
#define HEAPPROF_OUTFILE_H

#include <stdbool.h>

#include "config.h"
#include "fdid.h"

typedef struct outfile {
    const char *path;                /* the final name */
    int fd;                          /* moved high (fdid.h): check id before each use */
    fdid id;
    bool unnamed;                    /* O_TMPFILE: no name until published */
    char tmp[CONFIG_PATH_MAX + 64];  /* the temporary name, for a named file */
} outfile;

/* Open a file for a profile that will be named path (kept by pointer
 * until outfile_publish or outfile_discard).  0 or an errno value; on
 * failure nothing is left open or on disk. */
int outfile_open(outfile *f, const char *path);

/* The file, written, under f->path: flushed (unless HEAPPROF_SYNC=0), then
 * linked or renamed.  keep_existing: never over a file already at path
 * (EEXIST).  Closes the file.  0 or an errno value; on failure nothing is
 * left at path (that was not there before) nor under a temporary name. */
int outfile_publish(outfile *f, bool keep_existing);

/* Close and forget the file (a failed profile). */
void outfile_discard(outfile *f);

#endif

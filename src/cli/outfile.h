/*
 * outfile.h - where a command writes the file it makes (an SVG): "-" is
 * standard output; a new name, or a regular file of one link, is written
 * under a temporary name beside it, with the mode it would have had, and
 * renamed over it only once whole, so that a full disk never leaves half
 * an SVG under the name, nor destroys the one that was there.  Anything
 * else (a symbolic or hard link, a FIFO, /dev/stdout, a file in a
 * directory the user may not write to) is written in place, as fopen
 * does.
 */
#ifndef HEAPPROF_CLI_OUTFILE_H
#define HEAPPROF_CLI_OUTFILE_H

#include <stdbool.h>
#include <stdio.h>

typedef struct outfile {
    FILE *f;
    const char *path; /* the name asked for */
    char *tmp;        /* the temporary name, or NULL when written in place */
} outfile;

/* 0 with o->f open, or says why not (one line naming path) and returns
 * DIAG_FAIL. */
int outfile_open(outfile *o, const char *path);

/* Close, and rename into place; 0, or says why not and returns DIAG_FAIL,
 * leaving no temporary file behind. */
int outfile_close(outfile *o);

/* Standard output: the command then prints nothing else there. */
bool outfile_is_stdout(const outfile *o);

#endif

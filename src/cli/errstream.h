/*
 * errstream.h - output streams that remember why a write failed.
 *
 * stdio keeps only an error flag: by the time a command checks it (after
 * its last flush, as coreutils' close_stdout does) errno has long been
 * overwritten, and a write that failed with its buffer empty, a long help
 * text or SVG that bypasses the buffer, leaves nothing to retry.  The user
 * then read "write error" where the disk was full.  These streams keep the
 * errno of their first failed write.
 */
#ifndef HEAPPROF_CLI_ERRSTREAM_H
#define HEAPPROF_CLI_ERRSTREAM_H

#include <stdio.h>

/* A stream writing to fd ("w"), closing fd when closed if own; NULL with
 * errno set if none could be made (fd is then left open). */
FILE *errstream_open(int fd, int own);

/* Makes stdout such a stream over descriptor 1, line-buffered on a
 * terminal as glibc's is; stdout is left as it was if that fails. */
void errstream_wrap_stdout(void);

/* Flushes f; 0, or the errno of its first failed write (EIO for a stream
 * not made here whose error flag is set). */
int errstream_flush(FILE *f);

#endif

/*
 * http_body.h - the file a profile answered over HTTP is rendered into.
 *
 * As a rule a memfd: memory, no name, gone with its last descriptor.
 * Where memfd_create is refused (a container's seccomp profile: EPERM,
 * ENOSYS), every profile request was answered 500; instead, an unnamed
 * file (O_TMPFILE) in the first of /dev/shm (tmpfs, memory like a memfd),
 * $TMPDIR and /tmp that can hold one, or where a file system has no
 * unnamed files (tmpfile.h) a mkostemp(3) file there, unlinked at once.
 * A refused memfd_create is not asked again; a transient failure (EMFILE,
 * ENOMEM) falls back for that request only.  A request's failures are
 * kept, each directory's, for the 500 that says why no file took the
 * profile.  The server thread's alone: http.c makes the memfd under its
 * table_lock, but a fallback file outside it (a path looked up, a file
 * made on a real file system, which may block), and says the stderr lines
 * (http_body_written, http_body_none) with no lock held.
 */
#ifndef HEAPPROF_HTTP_BODY_H
#define HEAPPROF_HTTP_BODY_H

#include <stddef.h>

/* Take $TMPDIR now, at start-up: the server thread reading the
 * environment would race the program's setenv. */
void http_body_init(void);

/* A memfd for a new request's profile, close-on-exec; -1 with errno set
 * (where memfd_create was refused for good, at once, with its errno).
 * Starts the request's record of failures. */
int http_body_memfd(void);

/* The fallback: a file for the profile, read-write, close-on-exec, mode
 * 0600 and without a name, in the first directory from index `from` on
 * that gives one (the ones before were tried, or were full), *at set to
 * its index; or -1 (errno set: the last failure met) with *at -1.
 * seen (unless NULL) is called with each descriptor the moment it is
 * opened, and with -1 just before one is closed unused: in the program's
 * table a fork child must find it (http_fds_pending). */
int http_body_file(int from, int *at, void (*seen)(int fd));

/* The file of directory at (-1: the memfd) did not take the profile, for
 * err: full (ENOSPC, EDQUOT), or not made the server's. */
void http_body_failed(int at, int err);

/* The directory of index at, for messages. */
const char *http_body_dir(int at);

/* Why the request's profile has no file, as one line of text into buf
 * (what the 500 says): memfd_create's error and each directory's. */
void http_body_why(char *buf, size_t len);

/* The request's profile was written whole into the file of directory at
 * (-1: a memfd): where memfd_create is refused, stderr says once where
 * profiles are rendered. */
void http_body_written(int at);

/* No file took the request's profile: where memfd_create is refused,
 * stderr says once that none can be had, and why (http_body_why). */
void http_body_none(void);

#endif

/*
 * http_body.h - the file a profile answered over HTTP is rendered into.
 *
 * As a rule a memfd: memory, no name, gone with its last descriptor.
 * Where memfd_create is refused (a container's seccomp profile: EPERM,
 * ENOSYS), every profile request was answered 500; instead, an unnamed
 * file (O_TMPFILE) in the first of /dev/shm (tmpfs, memory like a memfd),
 * $TMPDIR and /tmp that can hold one, or where a file system has no
 * unnamed files (EOPNOTSUPP, EISDIR, EINVAL) a mkostemp(3) file there,
 * unlinked at once.  A refused memfd_create is not asked again; a transient
 * failure (EMFILE, ENOMEM) falls back for that request only.  The server
 * thread's alone: http.c calls http_body_open under its table_lock (the
 * descriptor is the server's from birth, for fork) and http_body_say after
 * it (a line on stderr may block).
 */
#ifndef HEAPPROF_HTTP_BODY_H
#define HEAPPROF_HTTP_BODY_H

#include <stddef.h>

/* Take $TMPDIR now, at start-up: the server thread reading the
 * environment would race the program's setenv. */
void http_body_init(void);

/* A new file for a profile's body, close-on-exec, read-write.  from -1:
 * a memfd (*at set to -1) where memfd_create serves, else the fallback
 * file in the first directory that gives one (*at set to its index);
 * from >= 0: no memfd, the fallback from directory `from` on (the one
 * before was full).  The descriptor, or -1 with errno set (the last
 * failure met). */
int http_body_open(int from, int *at);

/* The directory of index at, for messages. */
const char *http_body_dir(int at);

/* Why the last http_body_open failed, as one line of text into buf
 * (what the 500 of a profile request says). */
void http_body_why(char *buf, size_t len);

/* Say on stderr, once, that memfd_create is refused and where profiles
 * are rendered instead (or that they cannot be: once too). */
void http_body_say(void);

#endif

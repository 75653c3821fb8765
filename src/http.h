/*
 * http.h - the live endpoint: pprof profiles and Prometheus metrics over
 * HTTP, off unless HEAPPROF_HTTP names an address.
 *
 * One thread of the profiler's own (all signals blocked, the reentrancy
 * guard held for its whole life) runs a poll(2) loop over a nonblocking
 * listening socket and at most a fixed number of connections, each with a
 * deadline, so no client can hold the thread, and the thread never blocks
 * the program: profiles are rendered through writer_dump_to_fd into a
 * memfd and sent from there without any lock held.
 *
 * The server's descriptors are in a table of the thread's own, out of
 * the program's reach (closefrom, dup2), or in the program's where that
 * is refused (http_fds.h).
 *
 * fork: the child does not serve.  It has no copy of the thread's table;
 * its copies of what is in the program's (the listening socket and every
 * connection in the fallback; the wake pipe's write end) are closed in the
 * child handler (so a client of the parent sees its connection end when
 * the parent ends it), and no thread is started there; a child that execs
 * starts afresh from HEAPPROF_HTTP.
 *
 * exec: the thread's table ends with the thread, which the kernel ends
 * before the new image runs (so that image can bind the same port); what
 * is in the program's table is close-on-exec.
 */
#ifndef HEAPPROF_HTTP_H
#define HEAPPROF_HTTP_H

#include <sys/socket.h>

/* Parse HEAPPROF_HTTP, bind, and start the thread (from writer_start).  A
 * bad value or a failed bind is one line on stderr and no server. */
void http_start(void);

/* Stop the server thread and wait until it is gone, then start it again
 * (around set*id calls, see shim_process.c).  The caller serialises. */
void http_pause(void);
void http_resume(void);
/* Stop the server thread and close its sockets, for good (the program
 * installs a seccomp filter that could kill it: lifecycle.c). */
void http_stand_down(void);

/* fork(2) handlers, called from lifecycle.c's. */
void http_atfork_prepare(void);
void http_atfork_parent(void);
void http_atfork_child(void);
/* In the child of an orphaned process, for prepare's lock: a new one, held
 * (lifecycle.c). */
void http_atfork_renew(void);
/* In a child forked by a signal handler inside heapprof (lifecycle.c),
 * where prepare took nothing: the descriptors only, no lock.  Without it
 * such a child kept the listening socket, and a client of a child that
 * outlived its parent waited in the backlog unanswered. */
void http_atfork_child_inside(void);

/* "HOST:PORT", "[IPv6]:PORT", ":PORT" or "PORT" (both 127.0.0.1) into *ss.
 * HOST is a numeric address or "localhost".  0, or EINVAL. */
int http_parse_addr(const char *spec, struct sockaddr_storage *ss, socklen_t *len);

#endif

/*
 * http_fds.h - where the HTTP server's descriptors live, and how they move.
 *
 * The server's descriptors (listening socket, wake pipe, connections,
 * profiles' body files) are in one of two descriptor tables:
 *
 *  - the server thread's own (threads_private_fds), as a rule: nothing the
 *    program does with its descriptors (closefrom, close_range, dup2,
 *    close) reaches them, so the server keeps serving after a daemon closes
 *    every descriptor it did not open, and none takes a number in the
 *    program's table, whose open() returns what it would without heapprof;
 *  - the program's, at FDID_FLOOR and above (fdid.h), each remembered with
 *    its identity and checked before each use: where a table of its own is
 *    refused (Linux before 5.9, a seccomp profile that refuses
 *    pidfd_getfd), and while the thread is stopped around set*id or
 *    unshare (shim_process.c), since a table of its own ends with it.
 *
 * Only a thread itself can put a descriptor into its table (pidfd_getfd
 * copies into the caller's).  So the descriptors move twice around a
 * pause: the thread sends them to the program's table over a socket
 * (SCM_RIGHTS) before it ends (http_fds_push, http_fds_receive), and the
 * next thread copies them into its own (http_fds_pull), after which the
 * program's copies are closed (http_fds_close_all_shared).  The listening
 * socket is made in the program's table by the thread that starts the
 * server, so that a failed bind is said at once, and moves the same way.
 * Each move lands at the lowest free number of the program's table for
 * the microseconds until fdid_move_high takes it up: at start-up, and
 * inside the program's own set*id or unshare call (where another of its
 * threads could open a file meanwhile), never while the server serves.
 *
 * The numbers http_fds_own, _ours and _close take are the server thread's
 * while http_fds_private() holds, else the program's; the _shared ones are
 * always the program's (the wake pipe's write end, a move's socket), and
 * only ever used from a thread that shares its table.  The caller
 * serialises (http.c's table_lock).
 */
#ifndef HEAPPROF_HTTP_FDS_H
#define HEAPPROF_HTTP_FDS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Descriptors remembered in the program's table at once, at most: every
 * slot of the server's (listening socket, wake pipe, 16 connections with
 * a body file each) and a move's socket pair. */
enum { HTTP_FDS_MAX = 40 };

bool http_fds_private(void);
void http_fds_set_private(bool on);

/* A descriptor just made, made the server's: in the program's table moved
 * high and remembered with its identity (fdid_move_high); in the thread's
 * own, as it is.  -1 (errno set) when fd is -1 or was lost. */
int http_fds_own(int fd);
/* fd is the server's: in the program's table, still the file it was (an
 * entry that is not is forgotten); in the thread's own, open. */
bool http_fds_ours(int fd);
/* close(2) of fd if it is still the server's; forgotten either way. */
void http_fds_close(int fd);
/* http_fds_ours without forgetting anything, so without the caller's
 * lock: for a close outside it (a body file's, whose last close may be a
 * call to an NFS server), after which the caller, under its lock,
 * forgets the number (http_fds_forget).  A fork child in between finds
 * the entry and closes nothing: its check sees a closed number, or
 * another file. */
bool http_fds_check(int fd);
void http_fds_forget(int fd);

/* A body file made the server's in the program's table with the caller's
 * lock held only to remember it, no file-system call under it (fstat on
 * NFS may ask the server).  The number is published the moment open
 * returns it (http_fds_pending(fd), before any other call, which takes
 * its identity at once, and http_fds_pending(-1) before it is closed
 * unused); http_fds_settle checks it is still that file and moves it
 * high, each new number published as it comes (-1, errno set, when it is
 * lost); http_fds_keep_pending, under the lock, remembers it as
 * http_fds_own_shared would have, and withdraws what was published (after
 * a failed settle: http_fds_pending(-1) under the lock).  A fork child
 * closes what is published and still that file (http_fds_close_pending,
 * with http_fds_close_all_shared): otherwise it would inherit the file at
 * a low number for its life, and the parent would write the profile into
 * it.  What is left: the instructions between open's or F_DUPFD's return
 * and the store (and a failed settle's close), which a preemption as the
 * call returns, or the store's copy-on-write fault waiting for a fork's
 * copy of the memory (which follows its copy of the table), stretches:
 * under 4 parallel clients and a program forking nonstop on 2 busy cores,
 * 0 to 4 children in 10^4 forks still got the file (at the low number or
 * the high one), against 4 in 2279 with the open and move outside the
 * lock unpublished, and none where the open was under it (which stalled
 * every fork for as long as a hung open).  Only the kernel storing a new
 * number before it installs it (recvmsg's SCM_RIGHTS does) or a
 * close-on-fork flag would close it.  Nothing else found narrows it
 * soundly: a mark stored before the open, telling a child to look for
 * our file among its own, would find one it cannot tell from a file the
 * program made in the same directory meanwhile (no identity exists
 * before open returns).  What such a child keeps is made cheap instead:
 * the server empties each body file on tmpfs before its close (http.c),
 * so the child holds an empty file, not the profile's bytes in memory
 * (live_http_nomemfd step 9; elsewhere the file keeps its size, 9b).
 * One number is closed in a child unchecked: the one open gave, for the
 * fstat's time before its identity is taken, and only by a direct child
 * of the process that opened it.  A child made with _Fork (no handlers)
 * keeps the record as it was, and the file: its own children close the
 * file only once its identity is known, while still that file, and on
 * tmpfs only, where no other file can have that identity meanwhile, bar
 * a wrap of its inode counter (http_fds.c; live_http_nomemfd steps 8 and
 * 10). */
void http_fds_pending(int fd);
/* Whether the file published by http_fds_pending is known to be on
 * tmpfs (read before http_fds_keep_pending withdraws it). */
bool http_fds_pending_tmpfs(void);
int http_fds_settle(int fd);
int http_fds_keep_pending(int fd);
void http_fds_close_pending(void);

/* The same in the program's table, whatever http_fds_private says. */
int http_fds_own_shared(int fd);
bool http_fds_ours_shared(int fd);
void http_fds_close_shared(int fd);
/* Close every descriptor remembered in the program's table but `keep`
 * (-1: none), each only while it is still the server's. */
void http_fds_close_all_shared(int keep);

/* On a server thread just moved to a table of its own: a copy of each
 * *slot[i] that is set (a number in the table of thread `from`, remembered
 * there by http_fds_own_shared) into this thread's table, checked to be
 * the same file, at got[i]; -1 for a slot that holds none.  0, or an errno
 * value with nothing copied kept (EBADF: the program closed or replaced
 * one of them). */
int http_fds_pull(int *const *slot, size_t n, pid_t from, int *got);

/* On the server thread, in a table of its own, just before it ends: every
 * *slot[i] that is set goes with its index i over the datagram socket
 * `chan` (a number in thread `to`'s table, remembered by
 * http_fds_own_shared).  0 or an errno value. */
int http_fds_push(int *const *slot, size_t n, int chan, pid_t to);

/* On the thread that made `chan`'s pair, after the server thread ended:
 * what http_fds_push sent over its other end, each descriptor moved high
 * and remembered (http_fds_own_shared) into *slot[i]; a slot not in the
 * message is left as it is.  0 or an errno value. */
int http_fds_receive(int *const *slot, size_t n, int chan);

#endif

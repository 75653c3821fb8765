/*
 * unwind_pipe.h - libunwind's validation pipe, kept out of the program's
 * way.
 *
 * libunwind 1.6 (Debian 12's) checks that an address is readable before
 * it reads it by writing one byte from it into a pipe of its own, and it
 * does so on most steps (its conservative checks are on) and always on a
 * frame without unwind tables.  It makes the pipe on its first use, with
 * pipe2(), at the lowest two free descriptors, and keeps their numbers.
 * Left alone, that pipe harms the program:
 *
 *  - it sits on descriptors the program expects to get: 3 and 4 at main,
 *    or 0, 1, 2 when the program was started with them closed, so the
 *    program's stdin reads libunwind's pipe and its stderr fills it;
 *  - a program that closes what it did not open (closefrom(3), a daemon's
 *    loop over every descriptor) and then opens its own files gets them on
 *    libunwind's numbers, and libunwind then reads a byte of the program's
 *    input and writes bytes of memory into its output, or blocks in
 *    read() on a pipe of the program's.
 *
 * So the pipe is moved where programs do not look, at descriptor 512 (or
 * 16 below the descriptor limit, if that is lower) or above: libunwind's
 * pipe2() comes to heapprof's (shim_process.c), which puts the pipe onto
 * two descriptors held there, and libunwind keeps those numbers.  (It was
 * made there by holding every free descriptor below 512 while libunwind
 * made it: 509 system calls, a seventh of the CPU heapprof added to a
 * short process's start; now 11.)  And before
 * each use of libunwind, heapprof checks that the two descriptors are
 * still that pipe (two fstat calls, on a path that costs microseconds
 * anyway).  Where libunwind ran before heapprof started (gperftools'
 * debugging allocator unwinds with it), its pipe is wherever it was made,
 * and only the checks apply.  When the descriptors are no longer that
 * pipe, or the pipe could not be placed or found,
 * libunwind is not called again: stacks are what heapprof's own walker
 * follows, cut where it stops, and stderr gets one line saying so.
 */
#ifndef HEAPPROF_UNWIND_PIPE_H
#define HEAPPROF_UNWIND_PIPE_H

#include <stdbool.h>

/* Initialise libunwind (it makes its pipe then) with the pipe placed high,
 * and learn which descriptors it took.  Once, before any other use of
 * libunwind, outside any allocator lock; errno is left as it was. */
void unwind_pipe_init(void);

/* A pipe was just made, into fds[], with pipe2's flags: the one to move
 * (new numbers written to fds[]) if it is libunwind's, made inside
 * unwind_pipe_init on its thread with libunwind's flags; otherwise nothing
 * happens.  errno is left as it was. */
void unwind_pipe_made(int fds[2], int flags);

/* Whether libunwind may be called now: its pipe is where unwind_pipe_init
 * found it.  After the first false, always false. */
bool unwind_pipe_ok(void);

/* Whether libunwind may be called at all (no check of the descriptors):
 * false once unwind_pipe_ok has said no, or if init could not place the
 * pipe. */
bool unwind_pipe_usable(void);

#endif

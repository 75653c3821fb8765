/*
 * outname.h - HEAPPROF_OUT's codes: the part of a profile's file name that
 * says which process wrote it.
 *
 * Files are PREFIX.<pid>.<seq>.pb.gz.  Processes of different pid
 * namespaces (containers) can have the same pid, so where they share an
 * output directory their names collide.  The prefix may therefore hold
 * codes, expanded once when the process starts (and again in a fork
 * child):
 *
 *   %p  the process id
 *   %h  the host name (uname's nodename; a container's own)
 *   %n  the pid namespace's inode number (0 where /proc cannot say;
 *       unique among the namespaces alive at once, not over time)
 *   %e  the executable's file name (of /proc/self/exe, so a symbolic link's
 *       target's: python3.11 for python3; an interpreter's for a script)
 *   %%  a literal %
 *
 * Any other character after % is an error, caught when HEAPPROF_OUT is
 * parsed.  Pure functions: the library and the CLI (`heapprof dump`, which
 * must find the files of a process by its HEAPPROF_OUT) expand the same way.
 * Nothing here allocates.
 */
#ifndef HEAPPROF_OUTNAME_H
#define HEAPPROF_OUTNAME_H

#include <stdbool.h>
#include <stddef.h>

typedef struct outname_vals {
    long pid;                 /* %p */
    const char *host;         /* %h */
    unsigned long long pidns; /* %n */
    const char *exe;          /* %e; NULL: unknown (outname_match, messages) */
} outname_vals;

/* The longest that pattern can expand to (a host name of 64 bytes, an
 * executable's of 255, the widest numbers), or -1 when it holds an unknown code: then *bad, when
 * bad is not NULL, points at that code's %. */
long outname_max_len(const char *pattern, const char **bad);

/* Whether pattern holds one of the codes in `codes` ("hn": %h or %n). */
bool outname_uses(const char *pattern, const char *codes);

/* pattern with the values of v into buf (len bytes).  Names (host,
 * executable) have their characters other than letters, digits, '-', '_'
 * and '.' made '_' (a '/' would name a directory), and an empty one, or one
 * of dots only ("..", which would too), is "_"; an unknown executable is
 * "*".  Returns 0, EINVAL for an unknown code, or ERANGE when buf is too
 * small (buf then holds ""). */
int outname_expand(const char *pattern, const outname_vals *v, char *buf, size_t len);

/* Whether the len bytes at s are pattern expanded with v, where an unknown
 * executable (v->exe NULL) stands for any name made of the characters a
 * name keeps: how `heapprof run` finds the files of programs that have
 * ended. */
bool outname_match(const char *pattern, const outname_vals *v, const char *s, size_t len);

/* The executable's name as %e gives it, from the target of an exe link
 * (/proc/PID/exe): its last component, without the " (deleted)" the kernel
 * adds once the file is replaced, into buf (len bytes, at least 256). */
void outname_exe(const char *target, char *buf, size_t len);

/* A prefix that names a directory when it is looked at (HEAPPROF_OUT=.
 * or =/var/tmp/prof, without the '/' that says so) means the files in it,
 * DIR/heapprof.<pid>.<seq>.pb.gz, as DIR/ does: not hidden files
 * (..<pid>.0001.pb.gz in the current directory), nor files beside it, in
 * its parent (/tmp.<pid>.0001.pb.gz, where few may write).  prefix (a
 * string in len bytes) becomes DIR/heapprof, or heapprof in place of a
 * last component "."; returns 1 then, 0 when it names no directory (or
 * cannot be looked at), -1 when the longer name does not fit (prefix
 * unchanged).  The one function here that makes a system call (a stat). */
int outname_dir(char *prefix, size_t len);

/* s with each % doubled, so that a directory name (the current directory
 * put before a relative prefix) expands to itself.  Returns the length
 * written, or (size_t)-1 when buf is too small. */
size_t outname_escape(const char *s, char *buf, size_t len);

/* A relative prefix (a string in a buffer of at least len bytes) put under
 * the directory cwd, its % doubled, in place: the library fixes it so at
 * start-up, and `heapprof run` before the program starts, so that every
 * process of a tree (make -C, `cd dir && cc`) writes where the command was
 * given.  Returns 0 (an absolute prefix is left as it is), EINVAL for an
 * unknown code, or ERANGE when the result, its codes at their longest,
 * would not be shorter than len (prefix unchanged). */
int outname_absolute(const char *cwd, char *prefix, size_t len);

#endif

/*
 * wrappers.h - which functions allocate on behalf of their caller, so that
 * an allocation site (stackset.h: leaks, timeline, ages) is the code that
 * asked for the memory, not the allocator or a runtime's wrapper of it.
 */
#ifndef HEAPPROF_CLI_WRAPPERS_H
#define HEAPPROF_CLI_WRAPPERS_H

#include <stdbool.h>

/* Whether a frame's function (a name, or "name file:line" under --lines)
 * is a wrapper: one of the built-in names (libc, C++ and Rust standard
 * libraries, CPython, Perl, Ruby, GLib, Go's runtime), or matches a
 * pattern given to wrappers_opt. */
bool wrappers_is(const char *frame);

/* The commands' --wrapper GLOB: functions whose names match the shell
 * pattern (fnmatch) count as wrappers too: a program's own allocators
 * (arena_alloc, xmalloc_or_die, 'pool_*').  DIAG_OK, or the usage error of
 * an empty pattern or of one too many (WRAPPERS_MAX). */
enum { WRAPPERS_MAX = 32 };
int wrappers_opt(const char *glob);

#endif

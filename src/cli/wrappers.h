/*
 * wrappers.h - which functions allocate on behalf of their caller, so that
 * an allocation site (stackset.h: leaks, timeline, ages) is the code that
 * asked for the memory, not the allocator or a runtime's wrapper of it.
 */
#ifndef HEAPPROF_CLI_WRAPPERS_H
#define HEAPPROF_CLI_WRAPPERS_H

#include <stddef.h>

struct ptrmap; /* ptrmap.h */

/* How many leaf frames of a stack are wrappers (never all of them): the
 * built-in names (libc, C++'s operator new and std::, Rust's standard
 * library (alloc::, hashbrown::, its impls, and core:: above them),
 * CPython, Perl, Ruby, GLib, Go's runtime), and those matching a pattern
 * given to wrappers_opt.  Frames are names, or "name file:line" under
 * --lines.  names: where what each name is on its own is remembered from
 * stack to stack (a profile's profile_sample.kinds: its names are one
 * pointer each, and live as long as the map), or NULL for frames whose
 * pointers may be another name's by the next call: each is then read
 * once per stack. */
size_t wrappers_skip(const char *const *frames, size_t n, struct ptrmap *names);

/* The same count, and, when it is not 0, *via: the index of the wrapper
 * the site is said to allocate through, the one nearest the site that is
 * a wrapper whatever frames come before it.  That is the one next to the site but
 * for Rust's core::, a wrapper only above Rust's allocator frames: a site
 * keyed by its wrapper, site and caller alone (stackset.h) must read the
 * same again, and core::ptr::write there would read as a C++ program's
 * own function, the site, when alloc::raw_vec::grow before it reads as
 * the wrapper it is. */
size_t wrappers_site(const char *const *frames, size_t n, struct ptrmap *names, size_t *via);

/* The commands' --wrapper GLOB: functions whose names match the shell
 * pattern (fnmatch) count as wrappers too: a program's own allocators
 * (arena_alloc, xmalloc_or_die, 'pool_*').  DIAG_OK, or the usage error of
 * an empty pattern or of one too many (WRAPPERS_MAX). */
enum { WRAPPERS_MAX = 32 };
int wrappers_opt(const char *glob);

/* Frames are "name file:line" (--lines): a pattern matches the name part. */
void wrappers_lines(void);

#endif

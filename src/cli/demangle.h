/*
 * demangle.h - C++ function names as `go tool pprof` shows them.
 *
 * The library writes the names of the symbol tables, mangled
 * (_ZN3app8Registry3addEi); pprof demangles them as it reads a profile and
 * by default shows them simplified: no parameters, no template arguments,
 * no return type (app::Registry::add).  The commands read names the same
 * way, so that their rows, sites and --focus/--site texts are pprof's.
 */
#ifndef HEAPPROF_CLI_DEMANGLE_H
#define HEAPPROF_CLI_DEMANGLE_H

#include <stddef.h>

/* The simplified name of a mangled C++ symbol (an Itanium ABI name,
 * "_Z..."; Rust's legacy names, which look like one, and Rust's v0 names,
 * "_R...", as pprof shows them: demangle_rust.h, demangle_rust_v0.h),
 * allocated: the caller frees it.  NULL when name is not one,
 * is longer than DEMANGLE_IN_MAX, or cannot be demangled (then it is
 * shown as it is, as pprof shows it), or, with many back-references, is
 * not demangled in the time given (demangle.c: a name of a few hundred
 * bytes can demangle to terabytes).  May fork a child process. */
char *demangle(const char *name);

/* The milliseconds a child is given for one name, 500 (demangle.c):
 * a variable so that the unit test can check a child's answer without
 * racing that limit on a loaded machine. */
extern int demangle_child_ms;

/* The full demangled text simplified in place: template arguments,
 * parameters (also an enclosing function's, "f(int)::x"), qualifiers
 * after them and a return type removed; operator names, "(anonymous
 * namespace)" and "{lambda(int)#1}" kept.  Separate for the unit test. */
void demangle_simplify(char *full);

enum { DEMANGLE_IN_MAX = 2048 };

#endif

/*
 * debuggedlib.c - the library debugged.c opens, stripped as it is
 * (debugfile.sh): its exported dbglib_make calls a static function into
 * which the allocation site is inlined.
 */
#include <stdlib.h>

void *dbglib_make(size_t n);

static inline void *lib_inner(size_t n)
{
    void *p = malloc(n); /* lib_inner's malloc */
    if (!p)
        abort();
    return p;
}

__attribute__((noinline, noclone)) static void *lib_static(size_t n)
{
    return lib_inner(n + 8); /* lib_static's call */
}

void *dbglib_make(size_t n)
{
    void *p = lib_static(n); /* dbglib_make's call */
    __asm__ volatile("" ::: "memory"); /* not a tail call: its frame stays */
    return p;
}

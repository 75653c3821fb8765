/*
 * debuggedlib.c - the library debugged.c opens, stripped as it is
 * (debugfile.sh): its exported dbglib_make calls a static function into
 * which the allocation site is inlined.
 */
#include <stdlib.h>

void *dbglib_make(size_t n);

/* An exported label of size 0 before lib_static, as hand-written assembly
 * leaves them: where the debug file has no .symtab the exports are the
 * only symbols, and the label, stretched to the next one, named lib_static
 * "dbglib_label" though the DWARF names it (debugfile.sh, no_symtab). */
__asm__(".text\n.globl dbglib_label\n.type dbglib_label,@function\ndbglib_label:\n ret\n");

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

/*
 * debugged.c - a program to be stripped, its debug info moved to a
 * separate file (debugfile.sh): a static function (named only by .symtab),
 * an allocation site inlined into it (named only by DWARF), and, given a
 * library's path, the same inside that library (debuggedlib.c).  Built
 * -O2 -g, as distributions build what they ship.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

enum { N = 1000 };
static void *keep[2 * N];

static inline void *dbg_inner(size_t n)
{
    void *p = malloc(n); /* dbg_inner's malloc */
    if (!p)
        abort();
    return p;
}

/* noclone: its name stays dbg_outer, not a .constprop copy's. */
__attribute__((noinline, noclone)) static void *dbg_outer(size_t n)
{
    return dbg_inner(n + 24); /* dbg_outer's call */
}

/* An assembly routine: a global label of size 0, which no DWARF entry
 * describes.  Where the DWARF names what no symbol covers (a .symtab of
 * the globals only, debugfile.sh), it is still named by its label. */
void *dbg_asm_alloc(size_t n);
__asm__(".text\n.globl dbg_asm_alloc\n.type dbg_asm_alloc,@function\ndbg_asm_alloc:\n"
        " .cfi_startproc\n sub $8, %rsp\n .cfi_def_cfa_offset 16\n call malloc@PLT\n"
        " add $8, %rsp\n .cfi_def_cfa_offset 8\n ret\n .cfi_endproc\n");

int main(int argc, char **argv)
{
    for (int i = 0; i < N; i++)
        keep[i] = dbg_outer((size_t)i % 8 + 1000); /* main's call */
    static void *by_asm[N];
    for (int i = 0; i < N; i++)
        by_asm[i] = dbg_asm_alloc(3000);
    if (argc > 1) {
        void *lib = dlopen(argv[1], RTLD_NOW);
        void *(*make)(size_t) = lib ? (void *(*)(size_t))dlsym(lib, "dbglib_make") : NULL;
        if (!make) {
            fprintf(stderr, "debugged: %s\n", dlerror());
            return 1;
        }
        for (int i = 0; i < N; i++)
            keep[N + i] = make(2000);
    }
    printf("%d\n", keep[N - 1] != NULL && by_asm[N - 1] != NULL);
    return 0;
}

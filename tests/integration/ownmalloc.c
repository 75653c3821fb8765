/*
 * ownmalloc.c - a program with an allocator of its own: it defines malloc,
 * free, calloc and realloc (over glibc's __libc_* entry points) and exports
 * them, so its calls never reach a preloaded library.  integ_stacked
 * checks that heapprof says so.
 */
#include <stdio.h>
#include <stdlib.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

void *malloc(size_t n) { return __libc_malloc(n); }
void *calloc(size_t n, size_t m) { return __libc_calloc(n, m); }
void *realloc(void *p, size_t n) { return __libc_realloc(p, n); }
void free(void *p) { __libc_free(p); }

int main(void)
{
    char *p = malloc(100);
    if (!p)
        return 1;
    snprintf(p, 100, "own malloc");
    puts(p);
    free(p);
    return 0;
}

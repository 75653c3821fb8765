/*
 * ownmalloc.c - a program with an allocator of its own: it defines malloc,
 * free, calloc and realloc and exports them, so its calls never reach a
 * preloaded library.  integ_stacked checks that heapprof says so.
 *
 * Its blocks sit 16 bytes into glibc's (__libc_* entry points), so glibc's
 * own free would abort on one.  It then frees one the way aws-lc does: with
 * sdallocx when that name resolves (it does wherever heapprof is), else
 * free.  heapprof's sdallocx must hand it to this program's free.  And it
 * grows one with rallocx(MALLOCX_ZERO), which heapprof can only refuse: this
 * allocator has no malloc_usable_size to say which bytes are new (glibc's
 * would answer about its own chunk and zero the program's bytes).  An
 * aligned mallocx likewise: this allocator has no memalign, and glibc's
 * block would go to this program's free; heapprof fails it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern void *__libc_malloc(size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

void sdallocx(void *, size_t, int) __attribute__((weak));
void *rallocx(void *, size_t, int) __attribute__((weak));
void *mallocx(size_t, int) __attribute__((weak));
void dallocx(void *, int) __attribute__((weak));

enum { HEAD = 16 };

void *malloc(size_t n)
{
    char *b = n > (size_t)-1 - HEAD ? NULL : __libc_malloc(n + HEAD);
    return b ? b + HEAD : NULL;
}

void *calloc(size_t n, size_t m)
{
    size_t t;
    void *p = __builtin_mul_overflow(n, m, &t) ? NULL : malloc(t);
    return p ? memset(p, 0, t) : NULL;
}

void *realloc(void *p, size_t n)
{
    if (!p)
        return malloc(n);
    char *b = n > (size_t)-1 - HEAD ? NULL : __libc_realloc((char *)p - HEAD, n + HEAD);
    return b ? b + HEAD : NULL;
}

void free(void *p)
{
    if (p)
        __libc_free((char *)p - HEAD);
}

int main(void)
{
    char *p = malloc(100);
    if (!p)
        return 1;
    snprintf(p, 100, "own malloc");
    puts(p);
    free(p);
    size_t n = 200;
    p = malloc(n);
    if (!p)
        return 1;
    memset(p, 7, n);
    if (rallocx) {
        char *q = rallocx(p, 300, 0x40); /* MALLOCX_ZERO */
        if (q) {
            for (int i = 0; i < 300; i++)
                if (q[i] != (i < 200 ? 7 : 0))
                    return 3;
            p = q;
            n = 300;
        } else if (p[199] != 7) {
            return 4;
        }
    }
    if (mallocx && dallocx) {
        char *a = mallocx(100, 6); /* MALLOCX_LG_ALIGN(6) */
        if (a && ((size_t)a & 63))
            return 5;
        if (a)
            dallocx(a, 0);
    }
    if (sdallocx)
        sdallocx(p, n, 0);
    else
        free(p);
    return 0;
}

/*
 * jefake.c - a stand-in for an allocator with jemalloc's API that is not
 * the process's malloc, loaded after libc by the program that needs it
 * (jefirst.c), and whose constructor makes the process's first allocation
 * with mallocx (Debian's jemalloc 5 cannot show this: it pulls in
 * libstdc++, whose start-up allocates first; jemalloc 3 and 4, or one built
 * without C++, can).  Its blocks carry a magic word, and sallocx, sdallocx
 * and dallocx abort on a block that is not its own, as jemalloc's would
 * crash.  Under heapprof that first mallocx reaches heapprof's before
 * anything has resolved the allocator: it must still end up here.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { POOL = 4 << 20, HEAD = 16 };
static _Alignas(64) char pool[POOL];
static size_t used;
static const uint32_t magic = 0x4a454a45;
static void *first;

void *mallocx(size_t n, int flags)
{
    (void)flags;
    size_t step = (n + HEAD + 63) & ~(size_t)63;
    if (n > POOL || step > POOL - used)
        return NULL;
    char *b = pool + used;
    used += step;
    memcpy(b, &magic, sizeof magic);
    memcpy(b + 8, &n, sizeof n);
    return b + HEAD;
}

size_t sallocx(const void *p, int flags)
{
    (void)flags;
    const char *b = (const char *)p - HEAD;
    uint32_t m;
    size_t n;
    if (b < pool || b >= pool + POOL || (memcpy(&m, b, sizeof m), m != magic)) {
        fprintf(stderr, "jefake: %p is not one of its blocks\n", p);
        abort();
    }
    memcpy(&n, b + 8, sizeof n);
    return n;
}

void dallocx(void *p, int flags) { sallocx(p, flags); }

void sdallocx(void *p, size_t n, int flags)
{
    if (sallocx(p, flags) != n) {
        fprintf(stderr, "jefake: sdallocx of %zu bytes, the block has %zu\n", n, sallocx(p, flags));
        abort();
    }
}

void *rallocx(void *p, size_t n, int flags)
{
    size_t old = sallocx(p, flags);
    void *q = mallocx(n, flags);
    if (q)
        memcpy(q, p, old < n ? old : n);
    return q;
}

size_t xallocx(void *p, size_t n, size_t extra, int flags)
{
    (void)n;
    (void)extra;
    return sallocx(p, flags);
}

/* Through the dynamic symbol, as a caller elsewhere would: heapprof's. */
__attribute__((constructor)) static void jefake_init(void) { first = mallocx(100, 0); }

int jefake_run(int rounds)
{
    if (!first || sallocx(first, 0) != 100)
        return 1;
    sdallocx(first, 100, 0);
    for (int i = 0; i < rounds * 100; i++) {
        size_t n = 16 + (size_t)i % 700;
        void *p = mallocx(n, 0);
        if (!p || sallocx(p, 0) != n)
            return 1;
        p = rallocx(p, n + 8, 0);
        if (!p)
            return 1;
        if (i % 2)
            sdallocx(p, n + 8, 0);
        else
            dallocx(p, 0);
    }
    puts("jefake ok");
    return 0;
}

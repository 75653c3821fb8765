/*
 * sizedalloc - a stand-in for an allocator with a sized operator delete of
 * its own (jemalloc and tcmalloc define one), preloaded after heapprof by
 * integ_sized_delete.
 *
 * It also defines operator new and new[] (jemalloc's and tcmalloc's have
 * their fast path inlined).  Every block carries a header with its
 * requested size, so the sized deletes can check that the size they are
 * given is the one the block was allocated with, and free can find the
 * block's start.  Blocks come from glibc's __libc_* entry points.  At exit
 * it prints to stderr
 *   sizedalloc: new=K sized=N mismatched=M
 * K: calls that reached this library's operator new and new[]; N: its sized
 * deletes (as many under heapprof as without it); M: of those, how many
 * carried another size.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

typedef struct header {
    void *base;
    size_t size;
} header;

static unsigned long news, sized, mismatched;

static header *hdr(void *p) { return (header *)p - 1; }

static void *place(void *base, size_t offset, size_t n)
{
    if (!base)
        return NULL;
    char *p = (char *)base + offset;
    *hdr(p) = (header){base, n};
    return p;
}

void *malloc(size_t n)
{
    if (n > SIZE_MAX - sizeof(header)) {
        errno = ENOMEM;
        return NULL;
    }
    return place(__libc_malloc(n + sizeof(header)), sizeof(header), n);
}

void *memalign(size_t align, size_t n)
{
    if (align < sizeof(header))
        align = sizeof(header);
    if (n > SIZE_MAX - align) {
        errno = ENOMEM;
        return NULL;
    }
    return place(__libc_memalign(align, n + align), align, n);
}

void *aligned_alloc(size_t align, size_t n) { return memalign(align, n); }

int posix_memalign(void **out, size_t align, size_t n)
{
    if (align < sizeof(void *) || (align & (align - 1)))
        return EINVAL;
    void *p = memalign(align, n);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

void free(void *p)
{
    if (p)
        __libc_free(hdr(p)->base);
}

void *calloc(size_t n, size_t m)
{
    size_t t;
    if (__builtin_mul_overflow(n, m, &t) || t > SIZE_MAX - sizeof(header)) {
        errno = ENOMEM;
        return NULL;
    }
    return place(__libc_calloc(1, t + sizeof(header)), sizeof(header), t);
}

void *realloc(void *p, size_t n)
{
    if (!p)
        return malloc(n);
    void *q = malloc(n);
    if (q) {
        size_t old = hdr(p)->size;
        memcpy(q, p, old < n ? old : n);
        free(p);
    }
    return q;
}

/* Built without it too (integ_sizedalloc_nousable), for integ_jemalloc_api:
 * heapprof's rallocx and xallocx over an allocator that cannot tell a
 * block's size. */
#ifndef SIZEDALLOC_NO_USABLE_SIZE
size_t malloc_usable_size(void *p) { return p ? hdr(p)->size : 0; }
#endif

/* On failure, libstdc++'s operator new (next in line) runs the new-handler
 * and throws, which C cannot. */
static void *op_new(size_t n, const char *name)
{
    __atomic_add_fetch(&news, 1, __ATOMIC_RELAXED);
    void *p = malloc(n);
    if (p)
        return p;
    void *(*then)(size_t);
    *(void **)&then = dlsym(RTLD_NEXT, name);
    return then ? then(n) : NULL;
}

/* operator new(size_t) and new[](size_t) */
void *_Znwm(size_t n) { return op_new(n, "_Znwm"); }
void *_Znam(size_t n) { return op_new(n, "_Znam"); }

/* The nothrow forms, which heapprof serves with malloc: defined (and not
 * counted) so that libstdc++'s, which call operator new, do not add to the
 * count above without heapprof. */
void *_ZnwmRKSt9nothrow_t(size_t n, const void *tag)
{
    (void)tag;
    return malloc(n);
}

void *_ZnamRKSt9nothrow_t(size_t n, const void *tag)
{
    (void)tag;
    return malloc(n);
}

static void sized_delete(void *p, size_t n)
{
    __atomic_add_fetch(&sized, 1, __ATOMIC_RELAXED);
    if (p && hdr(p)->size != n)
        __atomic_add_fetch(&mismatched, 1, __ATOMIC_RELAXED);
    free(p);
}

/* operator delete(void*, size_t) and delete[](void*, size_t) */
void _ZdlPvm(void *p, size_t n) { sized_delete(p, n); }
void _ZdaPvm(void *p, size_t n) { sized_delete(p, n); }

__attribute__((destructor)) static void report(void)
{
    char line[96];
    int len = snprintf(line, sizeof line, "sizedalloc: new=%lu sized=%lu mismatched=%lu\n",
                       __atomic_load_n(&news, __ATOMIC_RELAXED),
                       __atomic_load_n(&sized, __ATOMIC_RELAXED),
                       __atomic_load_n(&mismatched, __ATOMIC_RELAXED));
    fwrite(line, 1, (size_t)len, stderr);
}

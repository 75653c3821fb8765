/*
 * nopie.c - built without PIE, and takes the addresses of malloc and free:
 * its canonical PLT entries for them are what dlsym finds first, not a
 * definition (as in Debian's python3).  With an allocator listed before
 * heapprof, the calls go past heapprof to that allocator, and so must the
 * blocks heapprof's mallocx and the frees of jemalloc's API and C23 hand
 * on: here a block from mallocx is given to free, and blocks from malloc to
 * sdallocx and free_sized, as code that finds those names does.  (Found
 * with dlsym, as a shared library's weak reference would find them: a
 * non-PIE program's own weak reference is settled to 0 at link time.)
 * integ_jemalloc_api runs it with tcmalloc listed first.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *(*volatile take_malloc)(size_t);
void (*volatile take_free)(void *);

/* Alone in front of glibc (not bypassed), heapprof's mallocx reaches its
 * own malloc again through the canonical PLT entry: each block must still
 * count once (integ_jemalloc_api, exact mode: 1000 blocks, 599 500 bytes). */
__attribute__((noinline)) static char *np_mallocx(void *(*mallocx)(size_t, int), size_t n)
{
    return mallocx ? mallocx(n, 0) : take_malloc(n);
}

int main(void)
{
    /* In code, not in an initializer: an absolute address the link fixes,
     * which makes the PLT entries canonical (a data initializer would be a
     * dynamic relocation to the definition instead). */
    take_malloc = malloc;
    take_free = free;
    void *(*mallocx)(size_t, int) = (void *(*)(size_t, int))dlsym(RTLD_DEFAULT, "mallocx");
    void (*sdallocx)(void *, size_t, int) =
        (void (*)(void *, size_t, int))dlsym(RTLD_DEFAULT, "sdallocx");
    void (*free_sized)(void *, size_t) = (void (*)(void *, size_t))dlsym(RTLD_DEFAULT, "free_sized");
    for (size_t i = 0; i < 1000; i++) {
        size_t n = 100 + i;
        char *p = np_mallocx(mallocx, n);
        if (!p)
            return 1;
        memset(p, 1, n);
        take_free(p);
        p = take_malloc(n);
        if (!p)
            return 1;
        if (i % 2 && sdallocx)
            sdallocx(p, n, 0);
        else if (free_sized)
            free_sized(p, n);
        else
            free(p);
    }
    puts("nopie ok");
    return 0;
}

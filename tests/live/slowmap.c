/*
 * slowmap.c - preloaded before libheapprof.so by live_labels_fork: once
 * the program sets `slowmap_armed`, the next mapping of 512 KiB (labels.c's
 * pair table, 4096 pairs of 2 x 64 bytes, the first of its four, mapped by
 * the process's first label push) is held for 3 s, with `slowmap_busy` 1
 * meanwhile, for the program to see, so that a fork lands while a thread
 * is inside it.  Every other mapping passes straight through.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <sys/mman.h>
#include <unistd.h>

int slowmap_armed, slowmap_busy;

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    static void *(*real)(void *, size_t, int, int, int, off_t);
    if (!real) {
        void *f = dlsym(RTLD_NEXT, "mmap");
        __builtin_memcpy(&real, &f, sizeof f);
    }
    if (len == 4096 * 128 && __atomic_exchange_n(&slowmap_armed, 0, __ATOMIC_ACQ_REL)) {
        __atomic_store_n(&slowmap_busy, 1, __ATOMIC_RELEASE);
        sleep(3);
        __atomic_store_n(&slowmap_busy, 0, __ATOMIC_RELEASE);
    }
    return real(addr, len, prot, flags, fd, off);
}

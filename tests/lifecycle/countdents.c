/*
 * countdents.c - a preload listed before libheapprof.so that counts the
 * passes the process makes over directories: getdents64 calls that
 * return 0, the end of a pass.  Its destructor prints "dir_passes=N" on
 * stderr (lifecycle_start_scan).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef ssize_t (*getdents_fn)(int, void *, size_t);
static int passes;

ssize_t getdents64(int fd, void *buf, size_t len)
{
    getdents_fn next = (getdents_fn)dlsym(RTLD_NEXT, "getdents64");
    ssize_t n = next ? next(fd, buf, len) : -1;
    if (n == 0)
        __atomic_add_fetch(&passes, 1, __ATOMIC_RELAXED);
    return n;
}

__attribute__((destructor)) static void report(void)
{
    char line[64];
    int n = snprintf(line, sizeof line, "dir_passes=%d\n", __atomic_load_n(&passes, __ATOMIC_RELAXED));
    if (write(2, line, (size_t)n) < 0)
        return;
}

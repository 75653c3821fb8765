/*
 * countfcntl.c - a preload listed before libheapprof.so that counts the
 * process's fcntl() calls (integ_unwind_pipe: placing libunwind's pipe
 * took one per descriptor below 512).  Its destructor prints
 * "fcntl_calls=N" on stderr.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

typedef int (*fcntl_fn)(int, int, ...);
static int calls;

/* Every command's argument is an int or a pointer, read as glibc's own
 * fcntl reads it. */
static int forward(const char *name, int fd, int cmd, void *arg)
{
    __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
    fcntl_fn next = (fcntl_fn)dlsym(RTLD_NEXT, name);
    return next ? next(fd, cmd, arg) : -1;
}

int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    return forward("fcntl", fd, cmd, arg);
}

int fcntl64(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    return forward("fcntl64", fd, cmd, arg);
}

__attribute__((destructor)) static void report(void)
{
    char line[64];
    int n = snprintf(line, sizeof line, "fcntl_calls=%d\n", __atomic_load_n(&calls, __ATOMIC_RELAXED));
    if (write(2, line, (size_t)n) < 0)
        return;
}

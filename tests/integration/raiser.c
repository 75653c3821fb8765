/*
 * raiser.c - an allocator preloaded after heapprof (integ_sigwindow): its
 * malloc is glibc's, except that for a request of RAISER_SIZE bytes, once
 * the program sets `raiser_armed`, it raises SIGUSR1 first.  The program's
 * handler then runs where a signal can land in any allocator: after
 * heapprof's countdown has crossed and before its slow path draws the next
 * budget.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stddef.h>

#define RAISER_SIZE 424242

extern void *__libc_malloc(size_t n);

int raiser_armed;

void *malloc(size_t n)
{
    if (n == RAISER_SIZE && __atomic_load_n(&raiser_armed, __ATOMIC_ACQUIRE))
        raise(SIGUSR1);
    return __libc_malloc(n);
}

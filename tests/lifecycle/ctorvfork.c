/*
 * ctorvfork.c - linked with ctorvforklib.c, whose constructor ran a program
 * in a vfork child before main (and before the profiler's constructor).
 * Prints "ctor vfork S" (the child's wait status) and "ctor pipe2 R" (what
 * the constructor's pipe2 returned, -2 when not asked), asks for a profile with
 * SIGUSR2, waits for it, and exits 0 (the exit profile follows).
 */
#include "lc.h"

#include <signal.h>

extern int ctorvfork_status, ctorvfork_pipe2;

int main(void)
{
    printf("ctor vfork %d\n", ctorvfork_status);
    printf("ctor pipe2 %d\n", ctorvfork_pipe2);
    fflush(stdout);
    raise(SIGUSR2);
    lc_wait_seq(1);
    return 0;
}

/*
 * ctorvfork.c - linked with ctorvforklib.c, whose constructor ran a program
 * in a vfork child before main (and before the profiler's constructor).
 * Prints "ctor vfork S" (the child's wait status), asks for a profile with
 * SIGUSR2, waits for it, and exits 0 (the exit profile follows).
 */
#include "lc.h"

#include <signal.h>

extern int ctorvfork_status;

int main(void)
{
    printf("ctor vfork %d\n", ctorvfork_status);
    fflush(stdout);
    raise(SIGUSR2);
    lc_wait_seq(1);
    return 0;
}

/*
 * ctordump.c - linked with ctordumplib.c, whose constructor asked for a
 * profile before main (and before the profiler's constructor).  Prints
 * "ctor dump E" (heapprof_dump's return value) and exits 0.
 */
#include <stdio.h>

extern void *ctordump_block;
extern int ctordump_err;

int main(void)
{
    printf("ctor dump %d\n", ctordump_err);
    return ctordump_block ? 0 : 1;
}

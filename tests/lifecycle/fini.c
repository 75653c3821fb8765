/*
 * fini.c - linked with finilib.c, whose destructor runs after the
 * profiler's (exit_after.sh).
 */
#include <stdio.h>

int finilib_linked(void);

int main(void)
{
    printf("linked=%d\n", finilib_linked());
    return 0;
}

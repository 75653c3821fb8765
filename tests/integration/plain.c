/*
 * plain.c - a program with a fixed output: a few lines on stdout, one on
 * stderr, some allocations, exit status 7.  The configuration and output
 * error tests compare its behaviour with and without the preload.
 */
#include "integ.h"

NOINLINE static char *pl_make(int i)
{
    char *p = malloc(64);
    CHECK(p, "malloc");
    snprintf(p, 64, "plain line %d", i);
    return p;
}

int main(void)
{
    for (int i = 1; i <= 3; i++) {
        char *s = pl_make(i);
        puts(s);
        if (i != 2)
            free(s);
        else
            keep(s);
    }
    fprintf(stderr, "plain: a line on stderr\n");
    fflush(stdout);
    return 7;
}

#include <stdio.h>
#include <stdlib.h>

#include "inl.h"

/* Called through a pointer: a call the compiler cannot inline. */
static int plain(int x)
{
    return x + 1;
}

int (*volatile inl_fn)(int) = plain;

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 10;
    int *v = malloc(sizeof *v * (size_t)n);
    for (int i = 0; i < n; i++)
        v[i] = inl_mid(i) + inl_a(i % 5);
    printf("%d %d\n", inl_top(v, n), inl_b(v, n));
    free(v);
    return 0;
}

#include <stdio.h>
#include <stdlib.h>

#include "ora.h"

/* Kept out of line: called through a pointer. */
int (*volatile ora_fn)(int) = ora_mix;

static int sum(int *v, int n)
{
    int s = 0;
    for (int i = 0; i < n; i++)
        s += ora_mix(v[i]);
    return s;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 10;
    int *v = malloc(sizeof *v * (size_t)n);
    for (int i = 0; i < n; i++)
        v[i] = ora_a(i) + ora_b(i);
    printf("%d %d\n", sum(v, n), ora_fn(n));
    free(v);
    return 0;
}

#include <stdio.h>
#include <stdlib.h>

#include "inl.h"

void inl_fail(int code)
{
    fprintf(stderr, "inl: %d\n", code);
    exit(1);
}

int inl_b(const int *v, int n)
{
    if (n < 3)
        return inl_top(v, n);
    return inl_top(v, n / 2) + inl_b(v + 1, n - 2) % 7;
}

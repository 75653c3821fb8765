#include "ora.h"

static int twice(int x)
{
    return ora_mix(x) * 2 + ora_fn(x);
}

int ora_a(int n)
{
    int r = 0;
    for (int i = 0; i < n; i++)
        r += twice(i) ^ i;
    return r;
}

#include "inl.h"

static int twice(int x)
{
    return inl_mid(x) * 2 + inl_fn(x);
}

int inl_a(int n)
{
    int r = 0;
    for (int i = 0; i < n; i++)
        r += twice(i) ^ inl_leaf(i);
    return r;
}

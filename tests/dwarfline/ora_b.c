#include "ora.h"

int ora_b(int n)
{
    if (n < 3)
        return ora_mix(n);
    return ora_b(n - 1) + ora_b(n - 2) % 7;
}

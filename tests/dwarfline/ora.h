/* The oracle's program (oracle.sh): functions across three files, a
 * static inline one from this header inlined into several of them and
 * kept out of line too, so the line table switches files inside one
 * function, and DWARF gets DW_AT_abstract_origin. */
#include <stddef.h>

static inline int ora_mix(int x)
{
    int y = x * 31;
    if (y & 1)
        y ^= 0x55;
    return y + (x >> 3);
}

int ora_a(int n);
int ora_b(int n);
extern int (*volatile ora_fn)(int);

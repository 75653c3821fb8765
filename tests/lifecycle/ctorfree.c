/*
 * ctorfree.c - linked with ctorfreelib.c, whose constructor's free() was
 * the process's first call into the allocator.  main then allocates 100
 * blocks of 1000 bytes in ctorfree_alloc and keeps them; exits 0.
 */
#include <stdio.h>
#include <stdlib.h>

extern void *volatile ctorfree_nothing; /* links the library in */

void *ctorfree_alloc(size_t n) { return malloc(n); }

int main(void)
{
    static void *keep[100];
    for (int i = 0; i < 100; i++)
        if (!(keep[i] = ctorfree_alloc(1000)))
            return 1;
    printf("ctor free done\n");
    return ctorfree_nothing != NULL;
}

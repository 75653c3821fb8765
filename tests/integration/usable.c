/*
 * usable.c - prints malloc_usable_size of blocks from each C entry point.
 * Under glibc's debugging allocator with MALLOC_CHECK_=3 each is the size
 * asked for, where glibc's own gives its chunk's: integ_debug_allocator
 * reads that to see the calls reach the debugging allocator.
 */
#include <malloc.h>

#include "integ.h"

int main(void)
{
    void *m = malloc(1), *c = calloc(1, 5), *r = realloc(malloc(3), 9), *a = memalign(64, 3);
    CHECK(m && c && r && a, "allocation failed");
    printf("usable malloc=%zu calloc=%zu realloc=%zu memalign=%zu\n", malloc_usable_size(m),
           malloc_usable_size(c), malloc_usable_size(r), malloc_usable_size(a));
    free(m);
    free(c);
    free(r);
    free(a);
    return 0;
}

/*
 * ctorlib.c - a preload with a constructor that allocates, listed before
 * heapprof by integ_stacked.  Preloads are initialised in reverse order, so
 * heapprof's constructor runs first and this allocation is profiled like any
 * other; a check of the preloads ahead of heapprof that dlopen()ed them would
 * run this constructor early, from inside heapprof's, unprofiled.
 */
#include <stdlib.h>

void *ctorlib_block;

__attribute__((constructor, noinline)) static void ctorlib_init(void)
{
    ctorlib_block = malloc(3000017);
}

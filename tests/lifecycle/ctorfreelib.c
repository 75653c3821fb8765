/*
 * ctorfreelib.c - a library linked by the program (not preloaded) whose
 * constructor calls free() before anything in the process has allocated.
 * Constructors of the program's libraries run before those of a preloaded
 * library, so that free() is what makes heapprof find the real allocator.
 */
#include <stdlib.h>

void *volatile ctorfree_nothing; /* volatile: free(NULL) is not optimised away */

__attribute__((constructor)) static void release(void) { free(ctorfree_nothing); }

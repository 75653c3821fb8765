/*
 * ctordumplib.c - a library linked by the program (not preloaded) whose
 * constructor allocates and asks for a profile with heapprof_dump(NULL).
 * Constructors of the program's libraries run before those of a preloaded
 * library, so the profiler's own constructor has not run yet.
 */
#include <stdio.h>
#include <stdlib.h>

#include "heapprof.h"

void *ctordump_block;
int ctordump_err = -1;

__attribute__((constructor)) static void ask(void)
{
    ctordump_block = malloc(100000);
    if (heapprof_loaded())
        ctordump_err = heapprof_dump(NULL);
}

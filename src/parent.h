/*
 * parent.h - what this process's parent is, as far as heapprof's own lines
 * on stderr need to know: read from /proc, without allocating.
 */
#ifndef HEAPPROF_PARENT_H
#define HEAPPROF_PARENT_H

#include <stdbool.h>

/* True when the parent process ignores `sig` and has said so (or was
 * spared saying it by its own parent): it left the mark below.  Its
 * children (every process a program under nohup starts) then need not say
 * it again.  A profiled parent that ignores the signal without having said
 * so (it installed its handler at start, then the program ignored the
 * signal: a shell's `trap '' USR2`) left no mark, and its child says it.
 * False whenever that cannot be read (a parent of another user, gone,
 * /proc not mounted). */
bool parent_said_ignoring(int sig);

/* Leave the mark for this process's children: a one-page PROT_NONE mapping
 * (parent.c), the descriptor used for it closed.  Without it (memfd_create
 * refused) each child says it again. */
void parent_mark_ignoring(int sig);

#endif

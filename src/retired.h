/*
 * retired.h - the code mappings of libraries the program has dlclose()d.
 *
 * Stacks recorded while a plugin was loaded keep its addresses long after
 * dlclose() unmaps it, and /proc/self/maps no longer says what was there.
 * So the dlclose shim records, before the real call, where the object's
 * executable segments were mapped (as /proc/self/maps showed them), its
 * path and its build-id; each profile's symbolizer adds these back where
 * nothing is mapped over them now (symbols_refresh_retired).
 *
 * The table is bounded (RETIRED_MAX segments, the oldest overwritten) and
 * one identical range recorded again only becomes newest, so a library
 * loaded and unloaded in a loop takes one slot per segment.
 */
#ifndef HEAPPROF_RETIRED_H
#define HEAPPROF_RETIRED_H

#include <stddef.h>

#include "symbols.h"

enum { RETIRED_MAX = 256 };

/* Record the executable segments of the object behind a dlopen() handle.
 * Called by dlclose() before the real one, from any program thread; keeps
 * errno, and the dlerror() state is not touched for a valid handle. */
void retired_record(void *handle);

/* The recorded mappings, newest first, as a malloc'd array (strings in the
 * same block): *out, and the count returned.  0 and NULL when there are
 * none or memory is short.  Free with free(). */
size_t retired_snapshot(hp_mapping **out);

/* Around fork(): the table's lock (lifecycle.c's handlers). */
void retired_atfork_prepare(void);
void retired_atfork_parent(void);
/* In the child of an orphaned process, for prepare's lock: a new one, held
 * (lifecycle.c). */
void retired_atfork_renew(void);
void retired_atfork_child(void);

#endif

/*
 * ptrmap.h - a map from pointers to 64-bit values, for remembering what
 * was worked out once per distinct string of a profile, where the same
 * few pointers come back at every frame of every sample (namehash.c: a
 * name's hash; stackset.c: a name's copy in a set that owns its keys).
 *
 * Open addressing over the pointers' mixed bits, at most half full,
 * doubling as it fills: its size follows the distinct pointers put, not
 * how often they are looked up.
 */
#ifndef HEAPPROF_CLI_PTRMAP_H
#define HEAPPROF_CLI_PTRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ptrmap_slot {
    const void *key; /* NULL: empty */
    uint64_t val;
} ptrmap_slot;

typedef struct ptrmap {
    ptrmap_slot *slot;
    size_t cap, used;
} ptrmap;

#define PTRMAP_INIT {NULL, 0, 0}

/* Whether key (not NULL) is in m, and its value in *val if so. */
bool ptrmap_get(const ptrmap *m, const void *key, uint64_t *val);

/* key (not NULL, and not in m) with val: 0, or ENOMEM (m unchanged). */
int ptrmap_put(ptrmap *m, const void *key, uint64_t val);

/* m emptied, its room kept for the next keys: O(its room), for a map
 * reused across calls (wrappers.c's, per stack). */
void ptrmap_clear(ptrmap *m);

void ptrmap_free(ptrmap *m);

#endif

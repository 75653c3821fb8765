/*
 * ptrmap.c - see ptrmap.h.
 */
#include "ptrmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The murmur3 finalizer: pointers share their high bits and alignment. */
static size_t slot_of(const void *key, size_t mask)
{
    uint64_t p = (uint64_t)(uintptr_t)key;
    p ^= p >> 33;
    p *= 0xff51afd7ed558ccdULL;
    p ^= p >> 33;
    return (size_t)p & mask;
}

bool ptrmap_get(const ptrmap *m, const void *key, uint64_t *val)
{
    if (!m->cap)
        return false;
    for (size_t j = slot_of(key, m->cap - 1); m->slot[j].key; j = (j + 1) & (m->cap - 1))
        if (m->slot[j].key == key) {
            *val = m->slot[j].val;
            return true;
        }
    return false;
}

static void place(ptrmap_slot *slot, size_t cap, ptrmap_slot e)
{
    size_t j = slot_of(e.key, cap - 1);
    while (slot[j].key)
        j = (j + 1) & (cap - 1);
    slot[j] = e;
}

int ptrmap_put(ptrmap *m, const void *key, uint64_t val)
{
    if ((m->used + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 1024;
        ptrmap_slot *slot = calloc(cap, sizeof *slot);
        if (!slot)
            return ENOMEM;
        for (size_t i = 0; i < m->cap; i++)
            if (m->slot[i].key)
                place(slot, cap, m->slot[i]);
        free(m->slot);
        m->slot = slot;
        m->cap = cap;
    }
    place(m->slot, m->cap, (ptrmap_slot){key, val});
    m->used++;
    return 0;
}

void ptrmap_clear(ptrmap *m)
{
    if (m->used)
        memset(m->slot, 0, m->cap * sizeof *m->slot);
    m->used = 0;
}

void ptrmap_free(ptrmap *m)
{
    free(m->slot);
    *m = (ptrmap)PTRMAP_INIT;
}

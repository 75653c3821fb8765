/*
 * namehash.c - see namehash.h.
 *
 * namehash_fill remembers the hash of each pointer it met (ptrmap.h): the
 * bytes hashed are then those of the distinct names, not of every use of
 * them, so that a crafted profile of a million locations of one function
 * with a long name costs one hash of that name.
 */
#include "namehash.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ptrmap.h"

namehash namehash_of(const char *name)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *c = (const unsigned char *)name; *c; c++)
        h = (h ^ *c) * 0x100000001b3ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return (namehash)h;
}

int namehash_fill(const char *const *names, size_t n, namehash *hashes)
{
    ptrmap seen = PTRMAP_INIT;
    for (size_t i = 0; i < n; i++) {
        uint64_t h;
        if (!ptrmap_get(&seen, names[i], &h)) {
            h = namehash_of(names[i]);
            if (ptrmap_put(&seen, names[i], h)) {
                ptrmap_free(&seen);
                return ENOMEM;
            }
        }
        hashes[i] = (namehash)h;
    }
    ptrmap_free(&seen);
    return 0;
}

/* set's slots doubled (at least 64), keeping each text's first pointer. */
static int set_grow(namehash_set *set)
{
    size_t cap = set->cap ? set->cap * 2 : 64;
    const char **slot = calloc(cap, sizeof *slot);
    namehash *hash = malloc(cap * sizeof *hash);
    if (!slot || !hash) {
        free(slot);
        free(hash);
        return ENOMEM;
    }
    for (size_t i = 0; i < set->cap; i++) {
        if (!set->slot[i])
            continue;
        size_t j = set->hash[i] & (cap - 1);
        while (slot[j])
            j = (j + 1) & (cap - 1);
        slot[j] = set->slot[i];
        hash[j] = set->hash[i];
    }
    free(set->slot);
    free(set->hash);
    set->slot = slot;
    set->hash = hash;
    set->cap = cap;
    return 0;
}

/* The first pointer of name's text, name itself if it is the first. */
static int first_of(namehash_set *set, const char *name, const char **out)
{
    if ((set->used + 1) * 2 > set->cap && set_grow(set))
        return ENOMEM;
    namehash h = namehash_of(name);
    size_t mask = set->cap - 1, j = h & mask;
    for (; set->slot[j]; j = (j + 1) & mask)
        if (set->hash[j] == h && !strcmp(set->slot[j], name)) {
            *out = set->slot[j];
            return 0;
        }
    set->slot[j] = name;
    set->hash[j] = h;
    set->used++;
    *out = name;
    return 0;
}

int namehash_intern(namehash_set *set, const char **names, size_t n)
{
    if (!set->seen && !(set->seen = calloc(1, sizeof *set->seen)))
        return ENOMEM;
    for (size_t i = 0; i < n; i++) {
        uint64_t v;
        if (ptrmap_get(set->seen, names[i], &v)) {
            names[i] = (const char *)(uintptr_t)v;
            continue;
        }
        const char *first;
        if (first_of(set, names[i], &first) ||
            ptrmap_put(set->seen, names[i], (uint64_t)(uintptr_t)first))
            return ENOMEM;
        names[i] = first;
    }
    return 0;
}

void namehash_set_free(namehash_set *set)
{
    if (set->seen)
        ptrmap_free(set->seen);
    free(set->seen);
    free(set->slot);
    free(set->hash);
    *set = (namehash_set)NAMEHASH_SET_INIT;
}

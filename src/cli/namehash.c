/*
 * namehash.c - see namehash.h.
 *
 * namehash_fill and namehash_intern remember what they worked out for
 * each pointer they met (ptrmap.h): the bytes hashed are then those of the
 * distinct pointers, not of every use of them, so that a crafted profile
 * of a million locations of one function with a long name costs one hash
 * of that name.  namehash_intern keeps each text's hash with it, and each
 * pointer's text by its index (stable as the table grows), so that a
 * pointer met again costs one lookup, its hash included.
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

/* set's table doubled (at least 64 slots), its texts rehashed from the
 * hashes kept with them, not from their bytes. */
static int set_grow(namehash_set *set)
{
    size_t cap = set->cap ? set->cap * 2 : 64;
    size_t *slot = calloc(cap, sizeof *slot);
    if (!slot)
        return ENOMEM;
    for (size_t t = 0; t < set->used; t++) {
        size_t j = set->hash[t] & (cap - 1);
        while (slot[j])
            j = (j + 1) & (cap - 1);
        slot[j] = t + 1;
    }
    free(set->slot);
    set->slot = slot;
    set->cap = cap;
    return 0;
}

/* The index of name's text among set's texts, added (name its first
 * pointer) if new. */
static int text_of(namehash_set *set, const char *name, size_t *out)
{
    if ((set->used + 1) * 2 > set->cap && set_grow(set))
        return ENOMEM;
    namehash h = namehash_of(name);
    size_t mask = set->cap - 1, j = h & mask;
    for (; set->slot[j]; j = (j + 1) & mask) {
        size_t t = set->slot[j] - 1;
        if (set->hash[t] == h && !strcmp(set->first[t], name)) {
            *out = t;
            return 0;
        }
    }
    /* The texts' arrays grow with the table: at most half as many texts
     * as slots, so cap / 2 entries hold them. */
    if (set->used == set->ncap) {
        size_t ncap = set->cap / 2;
        const char **first = realloc(set->first, ncap * sizeof *first);
        if (!first)
            return ENOMEM;
        set->first = first;
        namehash *hash = realloc(set->hash, ncap * sizeof *hash);
        if (!hash)
            return ENOMEM;
        set->hash = hash;
        set->ncap = ncap;
    }
    set->first[set->used] = name;
    set->hash[set->used] = h;
    set->slot[j] = ++set->used;
    *out = set->used - 1;
    return 0;
}

int namehash_intern(namehash_set *set, const char **names, size_t n, namehash *hashes)
{
    if (!set->seen && !(set->seen = calloc(1, sizeof *set->seen)))
        return ENOMEM;
    for (size_t i = 0; i < n; i++) {
        uint64_t t;
        if (!ptrmap_get(set->seen, names[i], &t)) {
            size_t text;
            if (text_of(set, names[i], &text) || ptrmap_put(set->seen, names[i], text))
                return ENOMEM;
            t = text;
        }
        names[i] = set->first[t];
        if (hashes)
            hashes[i] = set->hash[t];
    }
    return 0;
}

void namehash_set_free(namehash_set *set)
{
    if (set->seen)
        ptrmap_free(set->seen);
    free(set->seen);
    free(set->slot);
    free(set->first);
    free(set->hash);
    *set = (namehash_set)NAMEHASH_SET_INIT;
}

/*
 * namehash.c - see namehash.h.
 *
 * namehash_fill memoises by pointer in an open-addressing table (at most
 * half full) of the pointers seen and their hashes: the bytes hashed are
 * then those of the distinct names, not of every use of them, so that a
 * crafted profile of a million locations of one function with a long name
 * costs one hash of that name.
 */
#include "namehash.h"

#include <errno.h>
#include <stdlib.h>

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

typedef struct memo {
    const char *name; /* NULL: an empty slot */
    namehash hash;
} memo;

static size_t slot_of(const char *name, size_t mask)
{
    uint64_t p = (uint64_t)(uintptr_t)name;
    p ^= p >> 33;
    p *= 0xff51afd7ed558ccdULL;
    p ^= p >> 33;
    return (size_t)p & mask;
}

/* The table twice as large, its entries moved; 0 or ENOMEM. */
static int grow(memo **t, size_t *cap)
{
    size_t ncap = *cap * 2;
    memo *nt = calloc(ncap, sizeof *nt);
    if (!nt)
        return ENOMEM;
    for (size_t i = 0; i < *cap; i++) {
        if (!(*t)[i].name)
            continue;
        size_t j = slot_of((*t)[i].name, ncap - 1);
        while (nt[j].name)
            j = (j + 1) & (ncap - 1);
        nt[j] = (*t)[i];
    }
    free(*t);
    *t = nt;
    *cap = ncap;
    return 0;
}

int namehash_fill(const char *const *names, size_t n, namehash *hashes)
{
    /* Sized by the distinct pointers as they come, not by n: most of a
     * large profile's names are repeats. */
    size_t cap = 1024, used = 0;
    memo *t = calloc(cap, sizeof *t);
    if (!t)
        return ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if ((used + 1) * 2 > cap && grow(&t, &cap)) {
            free(t);
            return ENOMEM;
        }
        size_t j = slot_of(names[i], cap - 1);
        while (t[j].name && t[j].name != names[i])
            j = (j + 1) & (cap - 1);
        if (!t[j].name) {
            t[j] = (memo){names[i], namehash_of(names[i])};
            used++;
        }
        hashes[i] = t[j].hash;
    }
    free(t);
    return 0;
}

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

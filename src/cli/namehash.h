/*
 * namehash.h - the hash of a frame name, computed once per distinct name
 * of a profile rather than once per frame of every sample.
 *
 * The commands key their tables by frame names (stackset.c's rows, the
 * flame graph's nodes).  Hashed byte by byte at every frame of every
 * sample, names cost in proportion to their length times the frames:
 * with --lines, where a name is "func /long/path/file.cc:123", a 100k-stack
 * profile spent most of `heapprof top --lines` hashing the same few
 * thousand names millions of times.  A profile's samples carry each
 * frame's hash instead (profile_sample.hashes), made here once per name
 * the profile holds; the tables combine those.  Every table hashes a name
 * given without one with namehash_of, so that both meet.
 */
#ifndef HEAPPROF_CLI_NAMEHASH_H
#define HEAPPROF_CLI_NAMEHASH_H

#include <stddef.h>
#include <stdint.h>

/* A name's hash: 32 bits, as a profile holds one per frame of every
 * sample (half the memory of 64; the tables confirm a match by the names
 * themselves, so that two names of one hash only cost a strcmp). */
typedef uint32_t namehash;

/* The hash of name's bytes (FNV-1a, then mixed). */
namehash namehash_of(const char *name);

/* hashes[i] = namehash_of(names[i]) for i < n, each distinct pointer of
 * names hashed once (a profile's names repeat the same few pointers: every
 * location of a function points at its one name).  0, or ENOMEM. */
int namehash_fill(const char *const *names, size_t n, namehash *hashes);

/* Makes equal names one pointer: each of names[0..n) becomes the first
 * pointer met (in this call or an earlier one on the same set) whose text
 * is its text.  A profile's frames then compare by pointer, whatever the
 * names' length: a crafted profile names one function through two string
 * table entries, and a comparison of each frame's bytes made `top --by
 * site` read a 3 KB file for minutes.  Each distinct pointer is hashed
 * once, and with hashes (else NULL) hashes[i] = namehash_of(names[i]):
 * the profile reader needs both, and hashing its names again for the
 * hashes (namehash_fill) was a second pass over every distinct name's
 * bytes.  0, or ENOMEM (names and hashes partly done, all names still
 * valid). */
typedef struct namehash_set {
    size_t *slot;       /* open addressing: a text's index + 1 (0: empty) */
    size_t cap;         /* slots: a power of two, at most half full */
    const char **first; /* per text, in the order met: its first pointer */
    namehash *hash;     /* per text: its hash */
    size_t used, ncap;  /* texts, and room for them */
    struct ptrmap *seen; /* pointer -> its text's index */
} namehash_set;
#define NAMEHASH_SET_INIT {NULL, 0, NULL, NULL, 0, 0, NULL}
int namehash_intern(namehash_set *set, const char **names, size_t n, namehash *hashes);
void namehash_set_free(namehash_set *set);

/* Folds one frame's name hash into the running hash of a sequence of
 * frames (a stack's key): order matters. */
static inline uint64_t namehash_fold(uint64_t h, namehash name)
{
    h = (h ^ name) * 0x9e3779b97f4a7c15ULL;
    return h ^ (h >> 29);
}

#endif

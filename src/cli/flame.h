/*
 * flame.h - the call tree a flame graph draws: every stack of a profile
 * merged from its root, each node holding what the samples through it
 * hold, and the order and extent in which the graph lays the nodes out.
 *
 * A node is one function at one place in a call path: the same function
 * under two callers, or twice in one recursive path, is two nodes, as in
 * any flame graph.  A node's value is that of every sample whose stack
 * runs through it (its "cum"), its variance the sum of theirs (distinct
 * samples' estimates are independent), and `base` the same of a second
 * profile (a differential graph: widths from the profile, colours from
 * what changed since the base).  Names are compared by content, so stacks
 * of two profiles meet; the tree keeps the pointers it was given, so the
 * profiles must outlive it.
 *
 * Pure: no I/O, no profile reading (cmd_flame.c does those).
 */
#ifndef HEAPPROF_CLI_FLAME_H
#define HEAPPROF_CLI_FLAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "namehash.h"

typedef struct flame_node {
    const char *name;    /* NULL for the root */
    double val, var;     /* through this node, of the profile */
    double base;         /* through this node, of the base profile */
    int64_t ival, ibase; /* val and base to the unit, while flame_exact */
    unsigned char sd;    /* the worst enum profile_sd of the values added */
    uint32_t depth;      /* the root is 0, its children 1, ... */
    uint32_t child, next; /* first child, next sibling: indices, 0 for none */
} flame_node;

typedef struct flame flame;

flame *flame_new(void);
void flame_free(flame *f);

/* Adds a stack (frames leaf first, as profile_read gives them) holding val
 * with variance var and provenance sd in the profile, and base in the base
 * profile, to every node from the root to its leaf.  0, or -1 when out of
 * memory (the tree is then partly updated and must only be freed). */
int flame_add(flame *f, const char *const *frames, size_t n, int64_t val, double var,
              unsigned sd, int64_t base);
/* The same, given each frame's namehash_of (namehash.h), as a profile's
 * samples carry them; hashes NULL: as flame_add. */
int flame_add_hashed(flame *f, const char *const *frames, const namehash *hashes, size_t n,
                     int64_t val, double var, unsigned sd, int64_t base);

/* Whether every node's ival and ibase hold its sums exactly: no sum left
 * int64_t's range.  A double rounds past 2^53 (2^53 + 1 read
 * 9007199254740992); these are what a count, or a folded stack's value,
 * prints. */
bool flame_exact(const flame *f);

/* Orders every node's children heaviest first (then by name, then by base),
 * the order flame_layout draws them in, left to right.  After the adds. */
int flame_sort(flame *f);

/* A hash of a frame's name: what gives a name the same colour wherever
 * it is drawn (cmd_flame.c). */
uint64_t flame_name_hash(const char *name);

size_t flame_count(const flame *f);
const flame_node *flame_node_at(const flame *f, size_t i); /* 0 is the root */

/* Calls fn for every node, the root first and each node before its
 * children, with x and w its left edge and width as fractions of the
 * root's value: a node starts where its previous sibling ends, the first
 * child where its parent starts.  Nodes narrower than min_w (a fraction),
 * with a value of 0 or less, and everything under them are left out.
 * Returns the largest depth drawn. */
uint32_t flame_layout(const flame *f, double min_w,
                      void (*fn)(void *ctx, const flame_node *n, double x, double w), void *ctx);

/* Calls fn for every node but the root, depth first, with the names from
 * the root's child down to it (path[0..n-1]) and its own value and base:
 * what it holds that none of its children does, the samples whose stacks
 * end there (cmd_flame.c's folded stacks); exact: the same to the unit,
 * {val, base}, or NULL when the tree's sums are not exact (flame_exact).
 * 0, or -1 when out of memory. */
int flame_self(const flame *f,
               void (*fn)(void *ctx, const char *const *path, size_t n, double val, double base,
                          const int64_t *exact),
               void *ctx);

#endif

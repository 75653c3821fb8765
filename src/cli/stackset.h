/*
 * stackset.h - stacks (sequences of function names) from one or more
 * profiles, matched by name, with per-profile, per-type sums.
 *
 * A row is one distinct key: a whole stack, an allocation site (the leaf
 * past allocator wrappers, its caller past the site's repeats, and the
 * wrapper it allocated through: stackset_site) or a single function.  Each row
 * holds nprof x ntypes cells, then nfixed cells of its own, one each, for
 * what a reader keeps once per row, not once per profile; a cell sums the values of the samples that
 * mapped to the row in that profile, and their variances (the estimates of
 * distinct samples are independent, so variances add), and keeps the worst
 * provenance of those variances (enum profile_sd).  A key absent from a
 * profile has cells of 0 +- 0.
 *
 * Rows keep pointers to frame names of the profiles they came from, so the
 * profiles must outlive the set (a key of up to STACKSET_SITE_MAX frames,
 * as a site's is, has its array of pointers copied: the caller's array
 * may go; a longer one is the caller's, kept), unless the set owns its keys
 * (stackset_own_keys): then a new row's frames are copied, each distinct
 * name once, and a profile may be freed once added (leaks and timeline
 * read a long series one profile at a time).  Rows never move once created.
 */
#ifndef HEAPPROF_CLI_STACKSET_H
#define HEAPPROF_CLI_STACKSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "namehash.h"
#include "profile_read.h"

/* val is a double, which holds integers exactly only up to 2^53.  While
 * exact_ok (every value added came through stackset_cell_add_int, and no
 * sum left int64_t's range), val is the integer sum S rounded, and resid
 * is S - val: |resid| is at most 2^10 (half a unit of val's last place,
 * below 2^63), so it fits where the struct had padding, and a cell of a
 * long series (leaks, timeline) costs what it did.  stackset_cell_exact
 * gives S. */
typedef struct stackset_cell {
    double val, var;
    unsigned char sd;
    unsigned char exact_ok, inexact;
    int32_t resid;
} stackset_cell;

typedef struct stackset_row {
    const char *const *frames; /* the key, leaf first */
    size_t nframes;
    size_t stamp;              /* free for callers (e.g. "last sample counted + 1") */
    stackset_cell cells[];     /* [prof * ntypes + type], then the fixed ones */
} stackset_row;

typedef struct stackset stackset;

/* What a sample is keyed by when a whole profile is added. */
enum stackset_key { STACKSET_STACK, STACKSET_SITE };

stackset *stackset_new(size_t nprof, size_t ntypes);
/* The same with nfixed cells per row besides (stackset_fixed_at). */
stackset *stackset_new_fixed(size_t nprof, size_t ntypes, size_t nfixed);
void stackset_free(stackset *s);

/* From now on, rows created copy their keys (see the top); call it on an
 * empty set. */
void stackset_own_keys(stackset *s);

/* From now on, rows added as whole stacks (STACKSET_STACK) of profiles
 * read with lines remember their frames' functions, for
 * stackset_row_site_name; call it on an empty set.  Other sets keep
 * none (an entry per distinct frame, looked up per new row). */
void stackset_name_rows(stackset *s);

/* Reorders the profiles: what was profile order[j] becomes profile j
 * (order is a permutation of 0..nprof-1).  0, or -1 when out of memory
 * (the set unchanged). */
int stackset_permute(stackset *s, const size_t *order);

/* The row for this key, created (all cells zero) if new; NULL when out of
 * memory. */
stackset_row *stackset_row_for(stackset *s, const char *const *frames, size_t n);
/* The same, given each frame's namehash_of (namehash.h), as a profile's
 * samples carry them: the names' bytes are then not hashed again.  hashes
 * NULL: as stackset_row_for. */
stackset_row *stackset_row_hashed(stackset *s, const char *const *frames, const namehash *hashes,
                                  size_t n);
/* The row of s keyed as row i of from (i < stackset_count(from)), created
 * if new, found by the key's hash from keeps: a stack's names are not
 * hashed again (leaks' born_split looks each stack up in four sets, whose
 * names can be hundreds of KB).  A row created new in an s that does not
 * own its keys keeps from's name pointers: s must then not outlive them
 * (born_split's rows are all in s already).  NULL when out of memory. */
stackset_row *stackset_row_like(stackset *s, const stackset *from, size_t i);

stackset_cell *stackset_cell_at(const stackset *s, stackset_row *r, size_t prof, size_t type);
/* Fixed cell k of r (k < nfixed): no profile's, and stackset_permute leaves
 * it where it is. */
stackset_cell *stackset_fixed_at(const stackset *s, stackset_row *r, size_t k);
void stackset_cell_add(stackset_cell *c, double val, double var, unsigned sd);
/* The same for a profile's integer value, which also keeps exact. */
void stackset_cell_add_int(stackset_cell *c, int64_t val, double var, unsigned sd);
/* The integer sum into *out, and true, while the cell keeps it (see
 * stackset_cell; a cell nothing was added to holds 0); else false. */
bool stackset_cell_exact(const stackset_cell *c, int64_t *out);
/* a's sum less b's into *out, and true, while both keep theirs and the
 * difference fits int64_t; else false. */
bool stackset_cell_exact_diff(const stackset_cell *a, const stackset_cell *b, int64_t *out);
/* Adds c's sum, variance and provenance to *to, as one value: a total of
 * cells keeps its integer sum while every cell added does. */
void stackset_cell_add_cell(stackset_cell *to, const stackset_cell *c);
/* -1, 0 or 1 as a's sum is below, equal to or above b's: by the integer
 * sums while both keep theirs (two sums past 2^53 that differ by 1 can be
 * one double). */
int stackset_cell_cmp(const stackset_cell *a, const stackset_cell *b);

/* Adds every sample of p as profile number prof: types[k] is p's index of
 * the set's type k (-1: p lacks it, the cell stays 0 with sd UNKNOWN).
 * Returns 0, or -1 when out of memory. */
int stackset_add_profile(stackset *s, size_t prof, const profile *p, const long *types,
                         enum stackset_key key);

size_t stackset_count(const stackset *s);
stackset_row *stackset_get(const stackset *s, size_t i);

/* Allocation sites: the leaf frames that are allocator wrappers are
 * wrappers.h's (wrappers_skip). */

/* An allocation site's key: the wrapper the site allocates through (none
 * when the leaf is the site), the site, and its caller, which is the first frame
 * past the site that is not the site's function again (none when every
 * one is).  Recursion, or a function inlined into a copy of itself, names
 * the site's function again: keyed by the next frame, a recursive site
 * read "copy_command <- copy_command", and each depth of one recursion
 * made a row of its own.  A frame's function is the frame itself, or,
 * for a profile read with --lines, its profile_sample.funcs: the name the
 * frame has without --lines, so that a frame of the site's function at
 * any line is a repeat ("A a.c:12" of "A a.c:10", and of "A b.c:10" too:
 * without --lines both are "A").  A frame of a function without a name
 * ("file:line") is a repeat only of itself.  The rows with --lines are
 * thus the rows without, each split by the lines of site, caller and
 * wrapper, but for sites in a function without a name, which without
 * --lines are named by their mapping ("[FILE]").  Functions compare as
 * pointers: equal names must be one pointer (a profile's are:
 * profile_read.h).  frames point at the stack's names (no copies); the
 * key is not a run of the stack once repeats are skipped, hence the room
 * here.
 *
 * The wrapper is in the key, so two stacks that differ only in which
 * wrapper they went through are two rows, each named "(via W)": a
 * function's malloc and its strdup are two sites in every command, as
 * leaks, which keys whole stacks and names each by its site, always
 * showed them.  No flag says which frame is the wrapper: every command
 * names a row by keying its key again (stackset_site_name), which finds
 * the same wrapper, site and caller, so top --by site, ages and
 * timeline name a site as leaks names its stacks.  That holds because
 * the wrapper is the one nearest the site that is a wrapper whatever
 * came before it (wrappers_site): next to the site, but for Rust's
 * core::, a wrapper only above Rust's allocator frames.  Keyed as
 * "core::ptr::write, app::f, app::g" the stack alloc::raw_vec::grow <-
 * core::ptr::write <- app::f <- app::g read "core::ptr::write <- app::f"
 * in top while leaks read "app::f <- app::g (via core::ptr::write)";
 * both now read "app::f <- app::g (via alloc::raw_vec::grow)". */
enum { STACKSET_SITE_MAX = 3 };
typedef struct stackset_site {
    const char *frames[STACKSET_SITE_MAX];
    namehash hashes[STACKSET_SITE_MAX]; /* the frames' hashes, when the stack's were given */
    size_t n;
} stackset_site;

/* The allocation site key of a stack (hashes: its frames' namehash_of, or
 * NULL; funcs: its profile_sample.funcs, or NULL; kinds: its
 * profile_sample.kinds, or NULL (wrappers_site's names)), so that two keys
 * differ exactly when their stackset_site_name do.  Allocates nothing
 * but kinds' entries for names new to it. */
void stackset_site_key(stackset_site *k, const char *const *frames, const namehash *hashes,
                       const struct ptrmap *funcs, struct ptrmap *kinds, size_t n);

/* Adds each row of src, a whole stack's, to the row of dst keyed by its
 * allocation site (stackset_site_key of its frames, read as src notes
 * their functions: stackset_name_rows), every cell, the fixed ones too:
 * a site's cells are its stacks' sums, as stackset_add_profile(...,
 * STACKSET_SITE) of src's profiles would make them, and its fixed cells
 * (what a reader computed per stack) sum theirs.  dst has src's profiles,
 * types and fixed cells, and does not own its keys: they point at src's
 * names, so src must outlive it.  A limit: src's rows are keyed by their
 * frames' texts, so two stacks of the same texts, one frame another
 * function (a mixed text under --lines: profile_read.h), are one row read
 * as the first added's functions; their sites, two in top --by site
 * (keyed per sample), are one here.  0, or -1 when out of memory (or the
 * sets differ in shape). */
int stackset_add_sites(stackset *dst, const stackset *src);

/* "site <- caller (via wrapper)" (with a UTF-8 arrow) of an allocation
 * site key, or of a whole stack whose frames are their own functions
 * (read without --lines), which is keyed first; "(no stack)" when
 * empty. */
void stackset_site_name(char *buf, size_t len, const char *const *frames, size_t n);

/* The same of row r of s, a whole stack's: its frames' functions are
 * those of the samples stackset_add_profile added (with --lines), when
 * s is stackset_name_rows'. */
void stackset_row_site_name(char *buf, size_t len, const stackset *s, const stackset_row *r);

#endif

/*
 * pprof_builder.h - the state of one pprof encode, private to pprof.c and
 * pprof_lines.c.
 *
 * One builder carries an encode from start to end: pprof.c interns the
 * strings, mappings and locations and streams the samples (steps 1 and 2),
 * pprof_lines.c gives the locations their Lines and Functions (step 2b),
 * and pprof.c builds the protobuf-c view of the rest (step 3).  What each
 * table holds, and their invariants, are pprof.c's data model (its header
 * comment).  Every allocation is owned by the builder and released by
 * pprof.c's builder_free, so each error path is a plain return.
 */
#ifndef HEAPPROF_PPROF_BUILDER_H
#define HEAPPROF_PPROF_BUILDER_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mem.h"
#include "pprof.h"
#include "profile.pb-c.h"

typedef Perftools__Profiles__Profile pb_profile;
typedef Perftools__Profiles__ValueType pb_value_type;
typedef Perftools__Profiles__Mapping pb_mapping;
typedef Perftools__Profiles__Location pb_location;
typedef Perftools__Profiles__Line pb_line;
typedef Perftools__Profiles__Function pb_function;

enum { TABLE_MIN = 1024 }; /* first hash table size, slots */

typedef struct loc_rec {
    uint64_t addr;
    uint32_t mapping_id;
    /* The name's string index until step 2b makes it the Function id
     * (0: no name, either way). */
    uint32_t func;
    uint32_t file_str;
    uint32_t line;
    /* Step 2b: the functions inlined here, inls[inl .. inl + ninl),
     * innermost first; the location's own Line comes after them. */
    uint32_t inl, ninl;
} loc_rec;

/* A Line of an inlined function: like loc_rec's, name or Function id. */
typedef struct inl_rec {
    uint32_t func;
    uint32_t file_str;
    uint32_t line;
} inl_rec;

typedef struct func_rec {
    uint32_t name_str, file_str;
} func_rec;

typedef struct str_slot {
    uint32_t hash; /* kept so most mismatches and every rehash skip strcmp/rehashing */
    uint32_t idx1;
} str_slot;

typedef struct loc_slot {
    uint64_t addr;
    uint64_t idx1;
} loc_slot;

typedef struct builder {
    const pprof_profile *p;

    char **strs;         /* borrowed; protobuf-c wants char **, never writes */
    uint32_t *str_func;
    size_t nstrs, strs_cap, str_func_cap;
    str_slot *stab;
    size_t stab_cap;

    func_rec *funcs;
    size_t nfuncs, funcs_cap;
    uint32_t *ftab; /* Functions with a file: their id, hashed by name and file */
    size_t ftab_cap;

    loc_rec *locs;
    size_t nlocs, locs_cap;
    inl_rec *inls;
    size_t ninls, inls_cap;
    loc_slot *ltab;
    size_t ltab_cap;

    const hp_mapping **maps;
    int64_t (*map_strs)[2]; /* per mapping: path and build-id string indices */
    size_t nmaps;
    size_t main_map; /* index of the main program's mapping; nmaps: none */
    bool *keep;      /* per mapping: keep_names (has_functions) */
    bool *lined;     /* per mapping: some location got a line */

    /* step 2's scratch, for one sample at a time */
    uint64_t *ids;
    size_t ids_cap;
    uint8_t *bytes; /* the sample's encoding */
    size_t bytes_cap;
    /* Labels repeat a handful of strings (the same key and unit pointers on
     * every sample): a pointer-keyed memo in front of pprof_intern() spares
     * a hash and a strcmp per string, millions of them for 100k stacks. */
    struct { const char *p; int64_t idx; } memo[64];
    uint64_t sample_key; /* Profile.sample's field key on the wire */

    int64_t *comments;
    int64_t type_str[PPROF_NVALUES], unit_str[PPROF_NVALUES];
    int64_t space_str, bytes_str;

    /* step 3: the protobuf-c view of the rest */
    pb_profile msg;
    pb_value_type vtypes[PPROF_NVALUES + 1];
    pb_value_type *vtype_ptrs[PPROF_NVALUES];
    pb_mapping *pb_maps;
    pb_mapping **pb_map_ptrs;
    pb_location *pb_locs;
    pb_location **pb_loc_ptrs;
    pb_line *pb_lines;
    pb_line **pb_line_ptrs;
    pb_function *pb_funcs;
    pb_function **pb_func_ptrs;
} builder;

/* ---- memory -------------------------------------------------------------- */

static inline void *alloc_array(size_t n, size_t size)
{
    size_t bytes;
    if (__builtin_mul_overflow(n, size, &bytes))
        return NULL;
    return mem_alloc(bytes ? bytes : 1);
}

static inline void *zalloc_array(size_t n, size_t size)
{
    return mem_calloc(n ? n : 1, size);
}

/* A doubled copy of a full growable array, or NULL (the old one intact).
 * *cap is updated only on success. */
static inline void *grow_array(void *arr, size_t *cap, size_t size)
{
    size_t ncap = *cap ? *cap * 2 : 64;
    size_t bytes;
    if (ncap < *cap || __builtin_mul_overflow(ncap, size, &bytes))
        return NULL;
    void *a = mem_realloc(arr, bytes);
    if (a)
        *cap = ncap;
    return a;
}

/* Makes element n of a growable array addressable; yields ENOMEM on failure.
 * A macro so each array keeps its own type (no void ** punning). */
#define RESERVE(arr, cap, n)                                                   \
    do {                                                                       \
        if ((n) >= (cap)) {                                                    \
            void *grown_ = grow_array((arr), &(cap), sizeof *(arr));           \
            if (!grown_)                                                       \
                return ENOMEM;                                                 \
            (arr) = grown_;                                                    \
        }                                                                      \
    } while (0)

/* ---- across the two files ------------------------------------------------ */

/* The string table index of s (NULL counts as ""), added if new; 0 or
 * ENOMEM (pprof.c). */
int pprof_intern(builder *b, const char *s, int64_t *out);

/* Step 2b: the file and line of the locations of the mappings whose names
 * are kept, and each Line's Function; 0 or ENOMEM (pprof_lines.c). */
int pprof_lines_and_functions(builder *b);

#endif

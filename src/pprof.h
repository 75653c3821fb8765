/*
 * pprof.h - encode a heap profile as pprof's profile.proto, gzipped.
 *
 * Input is plain data: one pprof_sample per distinct stack with its four
 * values, plus a symbol source (the live symbolizer, or a test's fake).  The
 * encoder interns strings, functions, locations and mappings, builds the
 * protobuf-c message and streams it through zlib into a file descriptor.
 *
 * Samples come from an array or, one at a time, from a callback; either
 * way each is encoded as soon as it is read, so the encoder's memory grows
 * with the distinct locations, functions and strings, not with the number
 * of samples (a profile of 100k stacks once built ~80 MiB of per-sample
 * arrays).  A sample's label strings are borrowed: they must stay valid and
 * unchanged until the encode returns.  Its pcs and labels array need only
 * last until the next sample is asked for, and may be reused.
 *
 * Sample types, in this order (pprof's heap convention):
 *   alloc_objects/count, alloc_space/bytes, inuse_objects/count, inuse_space/bytes
 * period_type space/bytes, period = mean sampling interval,
 * default_sample_type inuse_space.
 *
 * Location addresses are return addresses minus one, so they point into the
 * call instruction (pprof and addr2line then name the calling line).
 */
#ifndef HEAPPROF_PPROF_H
#define HEAPPROF_PPROF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fdid.h"
#include "symbols.h"

enum { PPROF_NVALUES = 4 };

/* A sample label: a string value (str != NULL), or a number with an
 * optional unit.  pprof shows them with -tags and filters with -tagfocus. */
typedef struct pprof_label {
    const char *key;
    const char *str;
    int64_t num;
    const char *num_unit; /* NULL: none */
} pprof_label;

typedef struct pprof_sample {
    const uint64_t *pcs;  /* return addresses, leaf (caller of malloc) first */
    uint32_t depth;
    uint32_t nlabels;
    const pprof_label *labels;
    int64_t values[PPROF_NVALUES]; /* alloc_objects, alloc_space, inuse_objects, inuse_space */
} pprof_sample;

/* Where mappings and names come from: the symbolizer, or a test's fake. */
typedef struct pprof_symbols {
    void *ctx;
    size_t (*mapping_count)(void *ctx);
    const hp_mapping *(*mapping)(void *ctx, size_t i); /* sorted by start */
    const char *(*func_name)(void *ctx, uint64_t addr); /* NULL: unknown */
    /* Optional: mark mapping i as symbolized (has_functions), so pprof keeps
     * our names instead of re-deriving them; see symbols_keep_names. */
    bool (*keep_names)(void *ctx, size_t i);
    /* Optional: for a mapping keep_names marks, out[k] = the file and line
     * of addrs[k] (sorted ascending), {NULL, 0} when unknown, and the
     * functions inlined there; 0 or an errno (symbols_lines).  pprof shows
     * them with -lines, and an inlined function as a frame of its own
     * ("(inline)"). */
    int (*lines)(void *ctx, size_t i, const uint64_t *addrs, size_t n, symbols_line *out);
    /* Optional: from hold true to hold false, lines may keep what it read
     * for one mapping for the next call on that mapping, until it is asked
     * another (symbols_lines_hold). */
    void (*lines_hold)(void *ctx, bool hold);
    /* Optional, for the text profile (heaptext.h): the name, as func_name
     * gives it, and addr's offset from the function's start.  Where it
     * gives none, the text profile asks lines, as this profile does. */
    const char *(*func_at)(void *ctx, uint64_t addr, uint64_t *offset);
    /* Optional: index of the main program's mapping, or -1; it becomes
     * mapping 1, which pprof takes for the main binary (symbols_main_mapping).
     * Without it mapping ids follow the sorted order. */
    long (*main_mapping)(void *ctx);
} pprof_symbols;

/* A pprof_symbols view of a live symbolizer. */
pprof_symbols pprof_symbols_from(symbolizer *s);

/* The next sample into *out: 1, or 0 when there are no more, or -errno. */
typedef int (*pprof_next_fn)(void *ctx, pprof_sample *out);

typedef struct pprof_profile {
    int64_t time_nanos;     /* wall clock when the profile was taken */
    int64_t duration_nanos; /* since the profiler started */
    int64_t period;         /* mean sampling interval in bytes */
    bool default_alloc;     /* default sample type alloc_space (else inuse_space) */
    const pprof_sample *samples; /* used when next is NULL */
    size_t nsamples;
    pprof_next_fn next;
    void *next_ctx;
    const char *const *comments; /* shown by `go tool pprof -comments` */
    size_t ncomments;
    pprof_symbols symbols;
    /* Optional: fd's identity when the caller got it; each write first
     * checks that fd is still that file (fdid.h), and stops with EBADF
     * when it is not. */
    const fdid *fd_id;
} pprof_profile;

/* Serialize (uncompressed) into a buffer for mem_free (mem.h).  Returns 0
 * or an errno. */
int pprof_encode(const pprof_profile *p, uint8_t **out, size_t *len);

/* Serialize, gzip, and write everything to fd.  Returns 0 or an errno;
 * after an error fd may hold part of the stream (samples are written as
 * they are read), which the caller discards. */
int pprof_write_gz(const pprof_profile *p, int fd);

#endif

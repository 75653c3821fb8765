/*
 * profile_read.h - read any pprof profile (gzipped or plain) into a small,
 * validated, name-based model that the heapprof commands share.
 *
 * What a reader sees.  A profile is a list of samples; each sample has one
 * value per sample type (looked up by name: heapprof and Go heap profiles
 * both have alloc_objects, alloc_space, inuse_objects, inuse_space) and a
 * stack of function names, leaf first, with inlined frames expanded (pprof's
 * Line order: innermost first).  Addresses are dropped: stacks are compared
 * by their names so that profiles of different processes line up.  A
 * location without lines (not symbolized) is named as pprof names it,
 * "[FILE]" for the base name of its mapping's file, else "<unknown>" (not
 * by its address, which another run has elsewhere).  Read with PROFILE_READ_LINES (the commands' --lines), a frame
 * is named as `go tool pprof -lines` names it, "func file:line" ("func
 * file" for line 0; linenames.h), so that everything keyed by names is
 * keyed by source line; a frame with neither keeps the function's name.
 *
 * Each value also carries the variance of its estimate and where that
 * variance came from (enum profile_sd):
 *   EXACT    the profile records every allocation (heapprof's comment
 *            "sample_interval_bytes=1 (exact: every allocation)"): variance 0;
 *   LABEL    heapprof's numeric sample label "<type>_sd" (a standard error,
 *            squared here);
 *   APPROX   derived: from a raw sample count label "<kind>_samples" as
 *            value^2 / count (every sample of the row assumed to weigh the
 *            same), else, for a heap profile with a byte sampling period
 *            (Go's), from the Poisson sampling model: an object of average
 *            size a is sampled with p = 1 - exp(-a / period), so
 *            var(objects) = N (1 - p) / p and var(bytes) = B a (1 - p) / p
 *            (N and B the magnitudes: a difference's negated samples vary
 *            as the originals did);
 *   UNKNOWN  nothing to go on (var is 0 and must not be shown as such).
 *
 * Object ages: heapprof writes one sample per age band of a stack's live
 * objects, each with a numeric label "age" (num_unit "seconds") holding the
 * band's lower bound; the first sample of a stack carries its alloc_*
 * values, the others 0 there.  A sample's age is that label in seconds
 * (units ms, us, ns, minutes, hours and days are converted; a label in
 * another unit, or a string label, is no age), negative values count as
 * 0, and -1 means the sample has none.  Summing a stack's samples gives
 * its totals, as for any profile; variances add, as the bands hold
 * distinct sampled objects.  A value of 0 with a sample count label of 0
 * (the alloc_* values of a later band sample) is exactly 0, not an
 * approximation, whatever labels are missing.
 *
 * Lifetimes of freed objects: heapprof also writes one sample per lifetime
 * band of a stack's freed objects, with a numeric label "lifetime" read as
 * "age" is, holding their alloc_* values (inuse_* 0); the stack's other
 * alloc_* values are on its other samples (lifetime.h).
 *
 * Everything is checked after decoding: every id a sample, location or line
 * refers to exists, ids are nonzero and unique, every string index is in
 * range, string_table[0] is "", every sample has one value per type.  A
 * profile that fails any check is refused with a message naming the file
 * and the first problem; the model below is only built from a valid one,
 * so its users need no checks of their own.
 *
 * Memory: the profile owns everything it points to (the decoded message,
 * whose strings the names point into, and the arrays built here).
 */
#ifndef HEAPPROF_CLI_PROFILE_READ_H
#define HEAPPROF_CLI_PROFILE_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "namehash.h"

enum profile_sd { PROFILE_SD_EXACT, PROFILE_SD_LABEL, PROFILE_SD_APPROX, PROFILE_SD_UNKNOWN };

/* Default bound on a profile's decompressed size; HEAPPROF_MAX_INPUT overrides. */
#define PROFILE_READ_MAX_DEFAULT (1ULL << 30)

/* Decoding (protobuf-c) allocates a struct for every message, so a few
 * bytes on the wire can cost ~40 times as much memory (an empty message is
 * 2 bytes); profiles that producers write cost 5 to 15 times their size.
 * Unless HEAPPROF_MAX_DECODE sets a bound, decoding may use FACTOR times
 * the decompressed size, at least FLOOR and at most DEFAULT bytes. */
#define PROFILE_DECODE_FACTOR 32
#define PROFILE_DECODE_FLOOR (64ULL << 20)
#define PROFILE_DECODE_DEFAULT (1ULL << 30)

struct ptrmap; /* ptrmap.h */

typedef struct profile_sample {
    const char *const *frames; /* function names, leaf first */
    size_t nframes;
    const int64_t *values;     /* one per sample type */
    const double *var;         /* variance of each value's estimate */
    const unsigned char *sd;   /* enum profile_sd, per value */
    double age;                /* seconds (an age band's lower bound); -1: none */
    double lifetime;           /* seconds (a lifetime band's lower bound); -1: none */
    const namehash *hashes;    /* namehash_of each frame (namehash.h), made once per name
                                  (NULL: none, for a sample made by hand) */
    const struct ptrmap *funcs; /* read with PROFILE_READ_LINES: a frame (pointer) -> its
                                  function, as frames name it without; a frame not in it
                                  (a function without a name, a label) is its own.  One
                                  map per profile, an entry per distinct name.  Else
                                  NULL.  Compared as pointers: in one profile, equal
                                  names are one pointer, in frames and functions alike
                                  (stackset_site_key).  A name that frames of two
                                  functions read alike ("A b c.c:10": A in "b c.c",
                                  and A b in c.c) tells no one function: a sample
                                  holding a frame that the name's entry misreads has
                                  an entry of its own, its frames (the pointer) -> its
                                  exceptions (profile_func_at), read first */
    struct ptrmap *kinds;      /* wrappers.h's note of what each of the profile's names is
                                  (wrappers_site's names): one map per profile, empty
                                  when read, an entry per distinct name, freed with the
                                  names (NULL: none, for a sample made by hand) */
} profile_sample;

/* A stack's exceptions to its profile's funcs map (profile_sample.funcs):
 * the first entry's frame is how many follow (its func NULL), then each
 * frame, in increasing order, whose function is not its name's entry. */
typedef struct profile_func_at {
    size_t frame;
    const char *func;
} profile_func_at;

typedef struct profile {
    const char *path;
    size_t ntypes;
    const char *const *type_name;
    const char *const *type_unit;
    size_t default_type;     /* default_sample_type if it names a type, else the last */
    int64_t time_nanos;      /* 0: not recorded */
    int64_t duration_nanos;
    int64_t period;
    const char *period_type, *period_unit; /* "" when absent */
    bool exact;              /* heapprof exact mode: every allocation recorded */
    uint64_t run;            /* heapprof's "process run=" id (one process image); 0: none */
    bool lines;              /* read with PROFILE_READ_LINES, and some location's line
                                was named "func file:line" */
    size_t local_filled;     /* PROFILE_READ_LOCAL: locations given lines from binaries */
    size_t local_missing;    /* ...and mappings that needed some whose binary is not here
                                (or is another build) */
    size_t local_past_cap;   /* ...mappings past the first LOCALLINES_MAPS_MAX, not read */
    size_t local_left;       /* ...mappings some of whose locations another of their
                                range (or none) answered: not filled (locallines.h) */
    size_t local_lost;       /* ...and files not read for want of memory (locallines.h) */
    size_t nsamples;
    const profile_sample *samples;
    size_t naged;            /* samples with an age */
    size_t nlifetimes;       /* samples with a lifetime */
    size_t ncomments;
    const char *const *comments;
    struct profile_mem *mem; /* private */
} profile;

/* What reading one profile may cost (heapprof(1), ENVIRONMENT). */
typedef struct profile_limits {
    uint64_t input;  /* bytes, after decompression (HEAPPROF_MAX_INPUT) */
    uint64_t decode; /* bytes decoding may allocate (HEAPPROF_MAX_DECODE); 0: the
                        default rule above */
    const char *debug_dirs; /* PROFILE_READ_LOCAL: where separate debug files are looked
                               for (HEAPPROF_DEBUG_DIRS; NULL or "": none) */
} profile_limits;

/* How to name frames (profile_read's flags). */
enum {
    PROFILE_READ_LINES = 1, /* "func file:line" where known (see the top) */
    PROFILE_READ_LOCAL = 2, /* with LINES: the lines the profile left to pprof, from the
                               binaries on this machine (locallines.h) */
};

/* Read and validate a file ("-" is standard input).  NULL on failure, with
 * "PATH: what is wrong" in err. */
profile *profile_read(const char *path, const profile_limits *lim, unsigned flags, char *err,
                      size_t errlen);

/* The same from memory: gzip is recognised by its magic bytes.  name is
 * used in messages and as path. */
profile *profile_read_mem(const uint8_t *data, size_t len, const char *name,
                          const profile_limits *lim, unsigned flags, char *err, size_t errlen);

/* A frame name of p as a narrow place shows it: "func base:line" for a
 * "func file:line" name (the very pointer a sample of p holds, while p
 * has its samples), else frame itself. */
const char *profile_read_short(const profile *p, const char *frame);

void profile_read_free(profile *p);

/* Frees p's samples and all they point to (their frame names among them),
 * keeping what describes the profile (path, types, time stamps, period,
 * comments, run, exact, naged; nsamples becomes 0): for a reader done with
 * the samples of one of many profiles.  0, or -1 when out of memory (p
 * unchanged). */
int profile_read_shed(profile *p);

/* Keeps only the samples that carry, for each i < n, a string label
 * keys[i] whose value matches the shell pattern globs[i], or that of
 * another j with the same key (one key's patterns are alternatives, as in
 * pprof's -tagfocus key=a,b; different keys must all match) (fnmatch: * ? and
 * [...]; a literal * in a value, as heapprof's thread pools write, is
 * matched by * too).  Once, right after reading (it follows the samples'
 * order in the file).  Returns how many samples are left; when none is
 * and p had some, `have` gets the string label keys its samples carry
 * ("thread, component", or "none"). */
size_t profile_read_keep_tagged(profile *p, size_t n, const char *const *keys,
                                const char *const *globs, char *have, size_t havelen);

/* Makes each sample's stack one frame, "KEY=value" of its string label
 * KEY, or "KEY=value unit" of its numeric one (unit: the label's num_unit,
 * as pprof prints one: "lifetime=3600 seconds"), or "(no KEY label)"
 * without either: rows keyed by stack are then the
 * label's values (the commands' --by tag:KEY); with root, that frame is
 * put below the stack's root instead (flame --by tag:KEY, as pprof's
 * -tagroot): the frames are then a copy, under which a sample's
 * exceptions (profile_func_at) are not found, so each frame reads its
 * name's entry in funcs (flame, the one caller, reads no functions).
 * Once, right after reading and before profile_read_keep_tagged (both
 * follow the samples' order in the file).
 * 0 with the number of samples that have the label in *labelled, or -1
 * when out of memory (p is then only fit to be freed). */
int profile_read_by_tag(profile *p, const char *key, bool root, size_t *labelled);

/* The distinct label keys of p's samples, string or numeric ("thread,
 * component, age", at most 16), or "none". */
void profile_read_label_keys(const profile *p, char *have, size_t len);

/* Whether some sample of p (all of them, whatever --tag kept) has a string
 * label whose key holds a ':' (*key_colon), whose value holds a byte past
 * ASCII (*value_wide), or whose key or value held a control character,
 * which profile_read shows as '?' (*control): what pprof's -tagfocus reads
 * otherwise than --tag (report.c, tag_focus). */
void profile_read_label_bytes(const profile *p, bool *key_colon, bool *value_wide,
                              bool *control);

/* Index of the sample type called name, or -1. */
long profile_read_type(const profile *p, const char *name);

/* "alloc_objects, alloc_space, ..." for error messages. */
void profile_read_type_list(const profile *p, char *buf, size_t len);

/* The limits in force, from HEAPPROF_MAX_INPUT and HEAPPROF_MAX_DECODE
 * (sizes with k/m/g suffixes, as the library's own variables take).  A
 * variable that is set but not a size above 0 is replaced by its default,
 * and warn is called with one line saying so (no newline). */
void profile_read_limits(profile_limits *lim, void (*warn)(const char *line));

#endif

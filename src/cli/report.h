/*
 * report.h - what the reading commands (top, leaks, timeline) share:
 * loading profiles with the errors reported, choosing a sample type by
 * name, and the lines that describe a profile and its error estimates.
 */
#ifndef HEAPPROF_CLI_REPORT_H
#define HEAPPROF_CLI_REPORT_H

#include <math.h>
#include <stdbool.h>
#include <stdio.h>

#include "age.h"
#include "lifetime.h"
#include "profile_read.h"
#include "stackset.h"

/* The commands' --tag KEY=GLOB (up to REPORT_TAGS_MAX, all must hold):
 * report_load keeps only the samples whose string label KEY matches GLOB
 * (profile_read_keep_tagged).  DIAG_OK, or the usage error of an argument
 * without a KEY, a '=' or a GLOB, or of one too many. */
enum { REPORT_TAGS_MAX = 8 };
int report_tag_opt(const char *arg);

/* The commands' --by tag:KEY: report_load makes each sample's stack one
 * frame, "KEY=value" of its string label KEY (profile_read_by_tag), so
 * that rows by stack or site are the label's values.  1 when arg is not
 * tag:..., for the command's other --by values; 0 when taken; DIAG_USAGE
 * (said) for "tag:" without a key. */
int report_by_tag_opt(const char *arg);

/* The KEY of --by tag:KEY, or NULL. */
const char *report_by_tag(void);

/* --by tag:KEY puts the label's frame below each stack's root instead
 * (flame's: one tower per value, as pprof's -tagroot). */
void report_by_tag_root(void);

/* The profile, or NULL after "heapprof CMD: PATH: problem".  lines: its
 * frames named by source line where known (PROFILE_READ_LINES, the
 * commands' --lines), with a note when none is. */
profile *report_load(const char *path, bool lines);

/* Index of sample type `name` in p (NULL: p's default type), or -1 after
 * a message listing the types p has. */
long report_type(const profile *p, const char *name);

/* Whether p holds whole values of type t, none negative; else says that
 * p is a difference of two profiles (go tool pprof -proto -base writes
 * one), which `cmd` reads as its two profiles, not as one. */
bool report_whole(const profile *p, size_t t, const char *cmd);

/* A cell's sum as units_value prints it: a plain integer (raw, a count)
 * from its integer sum while the cell keeps it (stackset.h), exact past
 * 2^53.  _diff: a's less b's (a leak's growth), likewise. */
void report_cell_value(char *buf, size_t len, const stackset_cell *c, const char *unit, bool raw);
void report_cell_diff(char *buf, size_t len, const stackset_cell *a, const stackset_cell *b,
                      const char *unit, bool raw);

/* "2024-05-01 12:00:00" (local time) of time_nanos, or "unknown". */
void report_time(char *buf, size_t len, long long time_nanos);

/* The worst provenance (enum profile_sd) of type t's errors in p. */
unsigned report_sd_worst(const profile *p, size_t t);

/* Says that p, which has live objects but no age labels, cannot be read
 * by age: its producer does not write them.  (A profile with nothing live
 * has no ages either, and is an empty answer, not this error.) */
void report_no_ages(const profile *p);

/* --min-age and --max-age, as the commands that read by age (top, flame)
 * take them. */
typedef struct report_ages {
    bool on;                       /* either given */
    age_range range;               /* as given (max INFINITY: none) */
    const char *min_arg, *max_arg; /* NULL: not given */
} report_ages;
#define REPORT_AGES_NONE {false, {0, INFINITY}, NULL, NULL}

/* getopt's 'a' (--min-age) or 'A' (--max-age) and its argument: DIAG_OK,
 * or the usage error of a value that is no duration. */
int report_age_opt(report_ages *a, int c, const char *arg);

/* After the options: DIAG_OK, or the usage error of a range that whole
 * age bands leave empty or that starts past the last band. */
int report_age_args(const report_ages *a);

/* p's samples of the range for type t, in v (age_view_free it): DIAG_OK,
 * or the error said: t counts allocations (which have no age), p has no
 * ages, or memory ran out. */
int report_age_view(const profile *p, size_t t, const report_ages *a, age_view *v);

/* --max-lifetime DUR, as the commands that read temporary allocations
 * (top, flame) take it: the alloc_* values of objects freed less than DUR
 * after their allocation, in whole lifetime bands (lifetime.h). */
typedef struct report_lifetimes {
    const char *arg; /* NULL: not given */
    double within;   /* seconds, as given */
    double edge;     /* the end of the last whole band within it */
} report_lifetimes;
#define REPORT_LIFETIMES_NONE {NULL, 0, 0}

/* --max-lifetime's argument: DIAG_OK, or the usage error of a value that
 * is no duration or shorter than the shortest band. */
int report_lifetime_opt(report_lifetimes *l, const char *arg);

/* After the options: --max-lifetime with --min-age or --max-age is a
 * usage error (said); else, given without --type, *type becomes the one it
 * reads (alloc_space).  DIAG_OK or DIAG_USAGE. */
int report_lifetime_args(const report_lifetimes *l, const report_ages *a, const char **type);

/* p's samples of objects freed within l for type t, in v
 * (lifetime_view_free it): DIAG_OK, or the error said: t does not count
 * allocations (in-use objects have no lifetime), p records no lifetimes
 * (or none that --tag kept), or memory ran out. */
int report_lifetime_view(const profile *p, size_t t, const report_lifetimes *l, profile *v);

/* "Lifetimes: ..." lines: the selection in force and the bands it keeps,
 * a DUR inside a band, the sampled frees the profile left out of the bands
 * (lifetimes_lost=), and the same selection in pprof (lines: with -lines;
 * with --tag, a first pprof run that keeps the tagged samples). */
void report_lifetime_lines(FILE *f, const profile *p, size_t t, const report_lifetimes *l,
                           bool lines);

/* "Sampling: ..." and "Errors: ..." lines: how p was sampled and what the
 * +- column means for provenance sd. */
void report_sampling(FILE *f, const profile *p, unsigned sd);

/* The profiles sorted by time stamp, keeping the given order among equal
 * ones, as a permutation: order[j] is the index in p of the profile that
 * goes at j (for a reader whose per-profile data were filled in the given
 * order: stackset_permute). */
void report_time_order(profile *const *p, size_t n, size_t *order);

/* Whether any sample of p holds a value above 0 of type t. */
bool report_any_live(const profile *p, size_t t);

/* A note on stderr when t is an inuse_ type that no sample holds while its
 * alloc_ twin is not 0: the program had freed everything (an exit profile
 * of one that frees its data on its way out), and the report of t would be
 * empty without a word.  Returns whether it said so. */
bool report_note_none_live(const profile *p, size_t t);


/* A note on stderr when the profiles were written by different processes
 * (heapprof's "process run=" comments differ: another pid namespace's
 * process with the same pid and prefix, a fork child, an exec in place),
 * ended by `what`, which says what that means for the command.
 * Profiles without the comment (other producers, heapprof before session
 * 29) are not judged.  Returns whether it said so. */
bool report_processes(profile *const *p, size_t n, const char *what);

/* Whether heapprof wrote p at the process's exit (its first comment says
 * reason=exit). */
bool report_at_exit(const profile *p);

/* Shell-quoted copy of s into buf (for printing commands to copy). */
void report_quote(char *buf, size_t len, const char *s);

#endif

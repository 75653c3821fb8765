/*
 * report.h - what the reading commands (top, leaks, timeline) share:
 * loading profiles with the errors reported, choosing a sample type by
 * name, and the lines that describe a profile and its error estimates.
 */
#ifndef HEAPPROF_CLI_REPORT_H
#define HEAPPROF_CLI_REPORT_H

#include <stdio.h>

#include "profile_read.h"

/* The profile, or NULL after "heapprof CMD: PATH: problem". */
profile *report_load(const char *path);

/* Index of sample type `name` in p (NULL: p's default type), or -1 after
 * a message listing the types p has. */
long report_type(const profile *p, const char *name);

/* "2024-05-01 12:00:00" (local time) of time_nanos, or "unknown". */
void report_time(char *buf, size_t len, long long time_nanos);

/* The worst provenance (enum profile_sd) of type t's errors in p. */
unsigned report_sd_worst(const profile *p, size_t t);

/* Says why p, which has no age labels, cannot be read by age: nothing of
 * type t is live in it, or its producer does not write them. */
void report_no_ages(const profile *p, size_t t);

struct age_range;

/* --min-age min_arg and --max-age max_arg (NULL: not given), parsed into
 * r: DIAG_OK, or the usage error of a range that whole age bands leave
 * empty or that starts past the last band. */
int report_age_args(const struct age_range *r, const char *min_arg, const char *max_arg);

/* What an age range means for type t of p: DIAG_OK, or an error when t
 * counts allocations (which have no age) or p has no ages.  flag names
 * the option given. */
int report_age_usable(const profile *p, size_t t, const char *flag);

/* "Sampling: ..." and "Errors: ..." lines: how p was sampled and what the
 * +- column means for provenance sd. */
void report_sampling(FILE *f, const profile *p, unsigned sd);

/* Sorts profiles by time stamp, keeping the given order among equal ones. */
void report_sort_by_time(profile **p, size_t n);

/* Shell-quoted copy of s into buf (for printing commands to copy). */
void report_quote(char *buf, size_t len, const char *s);

#endif

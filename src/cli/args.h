/*
 * args.h - checked conversion of command-line values, shared by the
 * commands so that every bad value gets the same kind of message: it names
 * the flag and the value, says what was expected, and returns DIAG_USAGE.
 * Sizes are parsed by the library's own config_parse_size (k/m/g suffixes),
 * so a flag accepts exactly what the matching HEAPPROF_* variable accepts.
 */
#ifndef HEAPPROF_CLI_ARGS_H
#define HEAPPROF_CLI_ARGS_H

#include <stdint.h>

/* Each returns 0, or prints the problem and returns DIAG_USAGE. */
int args_size(const char *flag, const char *value, uint64_t *out);
int args_count(const char *flag, const char *value, uint64_t min, uint64_t max, uint64_t *out);
int args_seconds(const char *flag, const char *value, double min, double max, double *out);
/* A duration in seconds: a number and a unit s, m, h or d (90s, 10m, 1.5h,
 * 2d); a bare number is seconds. */
int args_duration(const char *flag, const char *value, double *out);

struct option;
/* getopt_long (no index), but a word of one dash that reads as a long
 * option (-nodecount=5, -output, -help) is refused with a message naming
 * what to use, and ARGS_SAID returned, instead of being read as a short
 * option with the rest of the word as its value (-n 'odecount=5') or as a
 * cluster of letters (-h). */
enum { ARGS_SAID = -2 };
int args_getopt(int argc, char *const argv[], const char *shorts, const struct option *longs);

/* For getopt_long's '?' and ':' (optstring must start with ':'), and
 * args_getopt's ARGS_SAID (already said: DIAG_USAGE); argv and
 * the index of the next argument locate the offending word.  longs, the
 * command's long options, name the one a word of one dash meant (-type:
 * --type), as pprof's flags (-sample_index) are named by theirs. */
int args_getopt_error(int c, char *const argv[], int next, int opt, const struct option *longs);

#endif

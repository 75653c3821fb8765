/*
 * units.h - numbers as people read them: bytes in B/KiB/MiB/GiB/TiB, counts
 * as integers, nanoseconds as ns/us/ms/s, anything else as a number and its
 * unit; standard errors in the same unit, marked "~" when approximate and
 * shown as "?" when unknown.  `raw` prints plain integers (no scaling) for
 * scripts.  All output is ASCII so that printf field widths line up.
 */
#ifndef HEAPPROF_CLI_UNITS_H
#define HEAPPROF_CLI_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* v in unit (a pprof unit string: "bytes", "count", "nanoseconds", ...). */
void units_value(char *buf, size_t len, double v, const char *unit, bool raw);
/* The same, where v is the sum *exact when exact is not NULL: a plain
 * integer (raw, a count, a number of an unknown unit) is then printed from
 * it, digit for digit past 2^53, where a double rounds (2^53 + 1 read
 * 9007199254740992). */
void units_value_exact(char *buf, size_t len, double v, const int64_t *exact, const char *unit,
                       bool raw);

/* The standard error sqrt(var), given how it was obtained (enum profile_sd,
 * the worst of those combined). */
void units_sd(char *buf, size_t len, double var, unsigned sd, const char *unit, bool raw);

/* part / total as "12.3%" ("-" when total is 0). */
void units_percent(char *buf, size_t len, double part, double total);

/* Seconds as "12.5 s", "2 min 5 s", ..., "-24.0 h" */
void units_seconds(char *buf, size_t len, double s);

#endif

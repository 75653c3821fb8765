/*
 * svg.h - the small pieces of SVG writing the timeline needs: text made
 * safe for XML (escaped, valid UTF-8, no control characters) and "nice"
 * axis ticks (1, 2 or 5 times a power of ten, of a scaled unit).
 */
#ifndef HEAPPROF_CLI_SVG_H
#define HEAPPROF_CLI_SVG_H

#include <stdio.h>

/* Writes s as XML character data or attribute text: & < > " ' escaped,
 * control characters and invalid UTF-8 bytes replaced by '?', at most max
 * characters (then an ellipsis). */
void svg_text(FILE *f, const char *s, size_t max);

/* Ticks for the range [0, hi]: step (in the axis' own unit) and the
 * number of ticks, at most about `want`. */
double svg_step(double hi, int want);

/* The binary unit to label byte ticks with, for values up to hi:
 * *div is 1, 1024, 1024^2, ..., and the return value its name. */
const char *svg_byte_unit(double hi, double *div);

#endif

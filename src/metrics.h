/*
 * metrics.h - the live figures in the Prometheus text exposition format
 * (version 0.0.4), for the HTTP endpoint's /metrics.
 *
 * Rendered on demand into a growable buffer owned by the caller, who must
 * be a profiler thread holding the reentrancy guard (the buffer is
 * malloc'd).  Nothing is cached between renders; every figure is read when
 * asked for.
 */
#ifndef HEAPPROF_METRICS_H
#define HEAPPROF_METRICS_H

#include <stddef.h>

/* A growable text buffer.  On allocation failure `err` is set to ENOMEM
 * and later appends are dropped, so callers check once at the end. */
typedef struct metrics_buf {
    char *p;
    size_t len, cap;
    int err;
} metrics_buf;

void metrics_buf_add(metrics_buf *b, const char *s, size_t n);
__attribute__((format(printf, 2, 3))) void metrics_buf_printf(metrics_buf *b, const char *fmt, ...);
void metrics_buf_free(metrics_buf *b);

/* Append s as a label value: backslash, double quote and newline escaped,
 * invalid UTF-8 replaced by '?', so any component name is a valid scrape. */
void metrics_escape_label(metrics_buf *b, const char *s);

/* Append every metric.  0, or ENOMEM. */
int metrics_render(metrics_buf *b);

/* Forget the deallocated totals shown so far, below which later scrapes
 * never go (unit tests, between stack tables). */
void metrics_reset(void);

#endif

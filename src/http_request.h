/*
 * http_request.h - the head of an HTTP/1.x request, read from the bytes a
 * connection has sent so far.
 *
 * Pure: no I/O, no allocation, no state; the result points into the
 * caller's buffer, which need not end in a NUL.  The server (http.c) calls
 * it after every read, so the answer must not depend on how the bytes were
 * split between reads: a prefix of a head is never rejected when the whole
 * would be accepted, and once a prefix gets an answer, every longer input
 * gets the same one (tests/fuzz/fuzz_http.c checks both).
 */
#ifndef HEAPPROF_HTTP_REQUEST_H
#define HEAPPROF_HTTP_REQUEST_H

#include <stddef.h>

enum {
    HTTP_HEAD_MAX = 8192,    /* bytes of a request head, its blank line included */
    HTTP_MAX_SECONDS = 300,  /* the largest ?seconds= */
    HTTP_REQUEST_MORE = 1    /* http_request_parse: the head is not complete yet */
};

typedef struct http_request {
    const char *method, *path; /* "GET", "/debug/pprof/heap": in the buffer */
    const char *query;         /* after the '?', or NULL when there is none */
    size_t mlen, plen, qlen;
    int seconds;               /* ?seconds=: 0 absent, -1 bad, else 1..HTTP_MAX_SECONDS */
    size_t head_len;           /* the head's bytes, up to its blank line's LF */
    const char *why;           /* for an error status: what was wrong, one phrase
                                * under 200 bytes (http.c prints it into a
                                * 256-byte body) */
} http_request;

/* Parse the first len bytes a client sent (len <= HTTP_HEAD_MAX; at
 * HTTP_HEAD_MAX no more will be read).  0 when they start with a complete,
 * valid head (*r filled); HTTP_REQUEST_MORE when they may still become
 * one; else the status to answer, 400, 431 or 505, with r->why. */
int http_request_parse(const char *buf, size_t len, http_request *r);

#endif

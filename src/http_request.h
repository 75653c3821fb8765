/*
 * http_request.h - the head of an HTTP/1.x request, read from the bytes a
 * connection has sent so far.
 *
 * Two layers.  http_request_parse is pure (no I/O, no allocation, no
 * state) and reads a prefix of what a client sent, from its first byte;
 * the result points into the caller's buffer, which need not end in a NUL.
 * http_head feeds it as reads arrive and keeps a connection's memory
 * bounded: after each read it rewrites its buffer into a shorter one that
 * every continuation parses the same way (the request line, then at most 3
 * bytes standing for the header line in progress), so that a head of up to
 * HTTP_HEAD_MAX bytes (1 MiB, what Go's net/http allows: a browser sends
 * every cookie of localhost, whatever the port) needs only HTTP_HEAD_BUF.
 *
 * Both must answer independently of how the bytes were split between reads
 * (the server parses again after each): a prefix of a head is never
 * rejected when the whole would be accepted, and once a prefix gets an
 * answer, every longer input gets the same one (tests/fuzz/fuzz_http.c
 * checks both, and that feeding in pieces answers as parsing the whole).
 */
#ifndef HEAPPROF_HTTP_REQUEST_H
#define HEAPPROF_HTTP_REQUEST_H

#include <stddef.h>

enum {
    HTTP_LINE_MAX = 8192,                  /* the request line, its LF included */
    HTTP_HEAD_MAX = 1 << 20,               /* the head: empty lines before it to its blank line */
    HTTP_HEAD_BUF = HTTP_LINE_MAX + 4096,  /* http_head's buffer: the request line, the 3
                                            * bytes of the line in progress, room to read */
    HTTP_MAX_SECONDS = 300,                /* the largest ?seconds= */
    HTTP_LOCATION_MAX = 3 * HTTP_LINE_MAX, /* http_location's longest answer for a
                                            * request: the clean path, each byte perhaps
                                            * 3 (%XX), '?' and the query */
    HTTP_REQUEST_MORE = 1                  /* the head is not complete yet */
};

typedef struct http_request {
    const char *method, *path; /* "GET", "/debug/pprof/heap": in the buffer, the path as
                                * sent: every '%' has two hex digits after it
                                * (http_request_path_is decodes it) */
    const char *query;         /* after the '?', or NULL when there is none */
    size_t mlen, plen, qlen;
    int seconds;               /* ?seconds=: 0 absent or empty, -1 bad, else 1..HTTP_MAX_SECONDS */
    int debug;                 /* ?debug=: 1 when Go's handler reads a number other
                                * than 0 (debug=1, -1, 2...), else 0 */
    size_t head_len;           /* the head's bytes, from the first one sent to its
                                * blank line's LF */
    const char *why;           /* for an error status: what was wrong, one phrase
                                * under 200 bytes (http_answer.c prints it
                                * into a 256-byte body) */
} http_request;

/* Parse the first len bytes a client sent.  0 when they start with a
 * complete, valid head (*r filled); HTTP_REQUEST_MORE when they may still
 * become one; else the status to answer, 400 or 505, with r->why.  Bytes
 * past the blank line, or past the request line's first HTTP_LINE_MAX, are
 * never looked at.  No bound on the head as a whole: http_head's job. */
int http_request_parse(const char *buf, size_t len, http_request *r);

/* Whether r's path, %-decoded as Go's net/http decodes it before routing
 * (%2F a '/', %00 a NUL, '+' itself), is the string want. */
int http_request_path_is(const http_request *r, const char *want);

/* r's path decoded into out, of which at most cap bytes are written: its
 * length, which may be more than cap (tests, the fuzz target). */
size_t http_request_path(const http_request *r, char *out, size_t cap);

/* Go's cleanPath (net/http's ServeMux) of the path [p, p+n) into out: a '/'
 * put first when missing ("" is "/"), then path.Clean: runs of '/' made one,
 * "." elements dropped, each ".." dropped with the element before it (at
 * the root, only itself), no '/' at the end; then the '/' put back at the
 * end when p had one and the result is not "/".  Writes at most n + 1
 * bytes and returns their count.  out may be p itself when p starts with
 * '/' (bytes then only move left); it must not overlap p otherwise.  Pure:
 * no allocation, no state; any byte but '/' (NUL included) is an
 * element's.  For a p that starts with '/', the result is n bytes long
 * exactly when it is p unchanged: cleaning only removes bytes (and puts
 * back at most the last '/' it removed), which is what lets
 * http_request_clean clean in place. */
size_t http_path_clean(const char *p, size_t n, char *out);

/* r's path %-decoded (http_request_path) and cleaned (http_path_clean),
 * as Go's ServeMux (before Go 1.22, or with GODEBUG=httpmuxgo121=1) cleans
 * r.URL.Path, into out (HTTP_LINE_MAX bytes): its length, and *moved set
 * when it differs from the decoded path (Go answers 301 to it then). */
size_t http_request_clean(const http_request *r, char *out, int *moved);

/* The Location of a redirect to the clean path [p, p+n) keeping the query
 * [q, q+qlen) as sent (none when qlen is 0), as Go's url.URL.String writes
 * it: the path escaped (every byte but letters, digits and "-_.~$&+,/:;=@"
 * as %XX, upper-case hex), then '?' and the query.  The query of a parsed
 * request has bytes 0x21-0x7e only, so the result has no others: no CR,
 * LF, space or NUL can reach a header.  Writes at most cap bytes; returns
 * the whole length, which may be more (at most 3 * n + 1 + qlen). */
size_t http_location(const char *p, size_t n, const char *q, size_t qlen, char *out, size_t cap);

/* A request head as it arrives over one connection. */
typedef struct http_head {
    size_t len;   /* bytes in buf */
    size_t total; /* bytes received, those dropped from buf included */
    size_t max;   /* the most to receive without a complete head */
    size_t line;  /* the request line's bytes at buf's start, its LF
                   * included, once found valid; else 0 */
    char buf[HTTP_HEAD_BUF];
} http_head;

/* Start empty; max is HTTP_HEAD_MAX (tests use less). */
void http_head_init(http_head *h, size_t max);

/* How many bytes the next read may append at h->buf + h->len: never 0
 * while the answer is HTTP_REQUEST_MORE. */
size_t http_head_room(const http_head *h);

/* n bytes were appended at h->buf + h->len: http_request_parse's answer
 * to all bytes received so far (r->head_len counted in them too), or 431
 * once h->max bytes came without a complete head. */
int http_head_feed(http_head *h, size_t n, http_request *r);

#endif

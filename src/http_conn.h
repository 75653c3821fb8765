/*
 * http_conn.h - a connection of the HTTP server, private to http.c and
 * http_answer.c.
 *
 * http.c owns the slots (its `conns`) and their descriptors: it accepts,
 * reads the request head, sends the answer, drains and closes, and moves a
 * slot between the states on their deadlines (its header comment is the
 * data model: the states, the bounds, the descriptors and table_lock).
 * http_answer.c makes the answers: given a head, it routes the request and
 * queues the status line, headers and body on the slot, and sets it to
 * SEND (or PARK).  Neither file takes the other's locks: a descriptor of
 * an answer's (its body file) is made and dropped by http.c's functions
 * below.
 */
#ifndef HEAPPROF_HTTP_CONN_H
#define HEAPPROF_HTTP_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "dump.h"
#include "http_request.h"
#include "metrics.h"

#define HEAD_S 5.0   /* for the whole request head to arrive */
#define SEND_S 30.0  /* for the client to take the response */
#define DRAIN_S 1.0  /* for the client to close after the response */

enum { FREE, HEAD, PARK, SEND, DRAIN };

typedef struct conn {
    int fd, state;
    int counted;         /* served (against MAX_ACTIVE), not a 503 */
    double deadline;     /* monotonic seconds */
    http_head *head;     /* while reading the head */
    metrics_buf out;     /* status line, headers, small bodies */
    const char *fixed;   /* instead of out, when set: a static answer (http_answer_no_memory) */
    size_t fixed_len;
    size_t out_off;
    int body_fd;         /* file holding a profile (http_body.h), or -1 */
    off_t body_off, body_len;
    bool body_empty;     /* body_fd emptied before its close (http_drop_body) */
    dump_snapshot *snap; /* PARK: values at the request */
    int alloc_default;   /* PARK: /allocs rather than /heap */
    int head_only;       /* a HEAD: every answer's headers, no body (respond) */
} conn;

/* ---- across the two files ------------------------------------------------ */

/* A file for c's body, in c->body_fd: a memfd, or the fallback of
 * http_body.h (from and at as there); the descriptor, or -1 with errno
 * set (http.c). */
int http_open_body(conn *c, int from, int *at);
/* Close c's body file, if any (http.c). */
void http_drop_body(conn *c);

/* The static 503 of a request heapprof has no memory for; `what` ends the
 * line said on stderr (http_answer.c). */
void http_answer_no_memory(conn *c, const char *what);
/* An answer whose body is one line of text: the status, then why
 * (http_answer.c). */
void http_answer_text(conn *c, int code, const char *why, const char *extra);
/* A profile, gzipped pprof or (text) ?debug=1's, relative to base when
 * set (http_answer.c). */
void http_answer_profile(conn *c, int alloc_default, const dump_snapshot *base, int text);
/* The head has n more bytes: answer it, or wait for more (http_answer.c). */
void http_answer_examine(conn *c, size_t n);

#endif

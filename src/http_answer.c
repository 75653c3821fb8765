/*
 * http_answer.c - what the HTTP server answers (http.c reads the request
 * and sends the answer; http_conn.h is the connection slot they share).
 *
 * A head that http_request.c parsed is routed as Go's net/http/pprof
 * routes it: a path that is not clean is moved (Go's 301; the clean path
 * and the Location made in two static buffers of the server thread's),
 * then /debug/pprof/heap and /debug/pprof/allocs (a profile rendered into
 * a file of its own, http_body.h, or for ?seconds=N a snapshot parked
 * until its moment), /debug/pprof/symbol, /metrics, the index, or an
 * error.  Each answer is
 * queued on the slot, which is then SEND (PARK for ?seconds=N): the status
 * line, headers and a small body in `out`, a profile in the slot's file,
 * or the static 503 of a request heapprof has no memory for.  Only the
 * server thread calls in here.
 */
#include "http_conn.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "dump.h"
#include "http_body.h"
#include "http_request.h"
#include "log.h"
#include "mem.h"
#include "metrics.h"
#include "writer.h"

/* ---- responses ----------------------------------------------------------------- */

static const char *status_text(int code)
{
    static const struct { int code; const char *text; } t[] = {
        {200, "OK"}, {301, "Moved Permanently"}, {400, "Bad Request"}, {404, "Not Found"},
        {405, "Method Not Allowed"}, {408, "Request Timeout"}, {431, "Request Header Fields Too Large"},
        {500, "Internal Server Error"}, {503, "Service Unavailable"},
        {505, "HTTP Version Not Supported"}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (t[i].code == code)
            return t[i].text;
    return "Error";
}

/* The answer when heapprof has no memory for a request (its head buffer,
 * its headers, the metrics, a profile): static, so that the client still
 * learns why, where the connection was closed without a word (a client
 * saw an empty reply, and nothing was said on stderr). */
#define OOM_BODY "503 Service Unavailable: heapprof is out of memory\n"
static const char oom_answer[] = "HTTP/1.1 503 Service Unavailable\r\n"
                                 "Content-Type: text/plain; charset=utf-8\r\n"
                                 "Content-Length: 51\r\nConnection: close\r\n"
                                 "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
                                 "Retry-After: 1\r\n\r\n" OOM_BODY;
_Static_assert(sizeof OOM_BODY - 1 == 51, "oom_answer's Content-Length");
/* One line on stderr for each shortage (from the first failure to the
 * next answer that found memory), not one per request. */
static int oom_said;

void http_answer_no_memory(conn *c, const char *what)
{
    if (!oom_said)
        oom_said = log_line("the HTTP server has no memory %s; it answers 503 while that lasts",
                            what);
    mem_free(c->head);
    c->head = NULL;
    metrics_buf_free(&c->out);
    http_drop_body(c);
    c->out_off = 0;
    c->fixed = oom_answer;
    c->fixed_len = sizeof oom_answer - 1 - (c->head_only ? sizeof OOM_BODY - 1 : 0);
    c->state = SEND;
    c->deadline = clock_mono_s() + SEND_S;
}

/* Queue the status line and headers (and a small body) and switch to SEND.
 * body_len counts the body file's bytes when c->body_fd is set; a NULL
 * body (and no file) is none, whatever Content-Length says.  No Content-Type
 * when type is NULL.  A HEAD (c->head_only) is told the length of the body
 * a GET would get, and sent none of it, whatever the answer: HTTP forbids a
 * body there, and Go's server drops it for every handler. */
static void respond(conn *c, int code, const char *type, const char *extra, const char *body,
                    size_t body_len)
{
    mem_free(c->head);
    c->head = NULL;
    c->fixed = NULL;
    c->out.len = c->out_off = 0;
    metrics_buf_printf(&c->out,
                       "HTTP/1.1 %d %s\r\n%s%s%sContent-Length: %zu\r\n"
                       "Connection: close\r\nCache-Control: no-store\r\n"
                       "X-Content-Type-Options: nosniff\r\n%s\r\n",
                       code, status_text(code), type ? "Content-Type: " : "", type ? type : "",
                       type ? "\r\n" : "", body_len, extra ? extra : "");
    if (c->head_only && c->body_fd >= 0)
        http_drop_body(c);
    else if (body && c->body_fd < 0 && !c->head_only)
        metrics_buf_add(&c->out, body, body_len);
    if (c->out.err) { /* no memory even for the headers */
        http_answer_no_memory(c, "for an answer's headers");
        return;
    }
    if (code < 500)
        oom_said = 0; /* memory is back: the next shortage is said again */
    c->state = SEND;
    c->deadline = clock_mono_s() + SEND_S;
}

void http_answer_text(conn *c, int code, const char *why, const char *extra)
{
    char body[512]; /* room for http_body_why's every directory */
    int n = snprintf(body, sizeof body, "%d %s: %s\n", code, status_text(code), why);
    /* snprintf counts what did not fit too: a longer `why` is cut, its
     * line end kept, rather than the bytes past body sent. */
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof body) {
        n = (int)sizeof body - 1;
        body[n - 1] = '\n';
    }
    respond(c, code, "text/plain; charset=utf-8", extra, body, (size_t)n);
}

/* The bytes a failed write left in the body file (ENOSPC or EIO partway,
 * the file that filled /dev/shm maybe): the writer writes in order from
 * offset 0, so its offset.  Taken as the body's length, it lets
 * http_drop_body empty that file, which a child forked in the window
 * would otherwise keep as it is (http.c's empty_body), and keeps its
 * length check one on what we wrote, not on the file's size.  0 (nothing
 * emptied) when the offset cannot be had.  errno kept. */
static off_t bytes_written(int fd)
{
    int err = errno;
    off_t at = lseek(fd, 0, SEEK_CUR);
    errno = err;
    return at > 0 ? at : 0;
}

/* Render a profile into a file of its own (a memfd, or http_body.h's
 * fallback) and answer with it: gzipped pprof, or with `text` the text
 * profile of ?debug=1 (heaptext.h), which Go sends as text/plain, not as
 * an attachment.  A fallback directory whose file does not take the
 * profile (full: a container's /dev/shm is 64 MiB by default; or failing
 * with any error but ENOMEM: EIO, EFBIG, ...) is not the end: the profile is rendered again in the next one, and
 * only where none is left does the client get the 500 that says why
 * (every directory's reason), stderr once.  ENOMEM is heapprof's own
 * memory, no file's: no other directory would help.  The stderr line on
 * where profiles go is said once one was written there whole. */
void http_answer_profile(conn *c, int alloc_default, const dump_snapshot *base, int text)
{
    dump_options opt = {alloc_default != 0, base, text != 0};
    struct stat st;
    int err = 0, at = -1;
    for (int from = -1;; from = at + 1) {
        if (http_open_body(c, from, &at) < 0) {
            char why[400];
            http_body_why(why, sizeof why);
            http_body_none();
            http_answer_text(c, 500, why, NULL);
            return;
        }
        err = writer_dump_to_fd(c->body_fd, "http", &opt);
        if (!err && fstat(c->body_fd, &st))
            err = errno;
        if (err)
            c->body_len = bytes_written(c->body_fd);
        if (at < 0 || !err || err == ENOMEM)
            break;
        http_body_failed(at, err);
        http_drop_body(c);
    }
    if (!err)
        http_body_written(at);
    if (err == ENOMEM) {
        http_answer_no_memory(c, "to write a profile");
        return;
    }
    if (err) {
        http_drop_body(c);
        http_answer_text(c, 500, strerror(err), NULL);
        return;
    }
    c->body_off = 0;
    c->body_len = st.st_size;
    if (text)
        respond(c, 200, "text/plain; charset=utf-8", NULL, NULL, (size_t)st.st_size);
    else
        respond(c, 200, "application/octet-stream",
                alloc_default ? "Content-Disposition: attachment; filename=\"allocs.pb.gz\"\r\n"
                              : "Content-Disposition: attachment; filename=\"heap.pb.gz\"\r\n",
                NULL, (size_t)st.st_size);
}

static void respond_metrics(conn *c)
{
    metrics_buf m = {0};
    if (metrics_render(&m))
        http_answer_no_memory(c, "to render the metrics");
    else
        respond(c, 200, "text/plain; version=0.0.4; charset=utf-8", NULL, m.p, m.len);
    metrics_buf_free(&m);
}

static const char index_html[] =
    "<!DOCTYPE html>\n<html><head><title>heapprof</title></head><body>\n<h1>heapprof</h1>\n<ul>\n"
    "<li><a href=\"/debug/pprof/heap\">/debug/pprof/heap</a>: live heap profile (gzipped pprof; "
    "<code>go tool pprof URL</code>)</li>\n<li><a href=\"/debug/pprof/allocs\">/debug/pprof/allocs"
    "</a>: the same, allocated space by default; <code>?seconds=N</code>: what is allocated in "
    "the next N s; <code>?debug=1</code>: as text (<a href=\"/debug/pprof/heap?debug=1\">heap"
    "</a>, <a href=\"/debug/pprof/allocs?debug=1\">allocs</a>)</li>\n<li><a href=\"/metrics\">/metrics</a>: Prometheus metrics</li>\n</ul>\n"
    "</body></html>\n";

/* ---- requests ---------------------------------------------------------------------- */

static int is(const char *p, size_t n, const char *want)
{
    return strlen(want) == n && !memcmp(p, want, n);
}

/* The server thread's scratch for a redirect (no allocation for it): the
 * clean path, then the Location header line, its value LOC bytes in. */
enum { LOC = sizeof "Location: " - 1 };
static char clean_path[HTTP_LINE_MAX];
static char location[sizeof "Location: \r\n" + HTTP_LOCATION_MAX];

/* What Go's htmlEscape writes for c, or NULL for c itself. */
static const char *html_entity(char c)
{
    return c == '&' ? "&amp;" : c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '"' ? "&#34;"
           : c == '\'' ? "&#39;" : NULL;
}

/* Go's Redirect: 301, Location, and for GET a line of HTML linking to it
 * (the URL HTML-escaped as Go's htmlEscape does), which a HEAD is told the
 * length of and not sent; for other methods, no body and no type.  The
 * Location value is [location + LOC, location + LOC + n). */
static void respond_redirect(conn *c, const http_request *r, size_t n)
{
    static const char pre[] = "<a href=\"", post[] = "\">Moved Permanently</a>.\n\n";
    const char *loc = location + LOC;
    int get = is(r->method, r->mlen, "GET"), head = c->head_only;
    size_t len = sizeof pre - 1 + n + sizeof post - 1;
    for (size_t i = 0; i < n; i++)
        len += html_entity(loc[i]) ? strlen(html_entity(loc[i])) - 1 : 0;
    respond(c, 301, get || head ? "text/html; charset=utf-8" : NULL, location, NULL,
            get || head ? len : 0);
    if (!get || c->state != SEND)
        return;
    metrics_buf_add(&c->out, pre, sizeof pre - 1);
    for (size_t i = 0; i < n; i++) {
        const char *e = html_entity(loc[i]);
        metrics_buf_add(&c->out, e ? e : loc + i, e ? strlen(e) : 1);
    }
    metrics_buf_add(&c->out, post, sizeof post - 1);
    if (c->out.err)
        http_answer_no_memory(c, "for a redirect");
}

/* Whether r's path is not clean as Go's ServeMux wants it; if so, answer
 * with Go's redirect to the clean one.  Go cleans for every method but
 * CONNECT (whose target is not a path), before looking for a handler: an
 * unknown path is moved too, and answered 404 at its clean place. */
static int redirected(conn *c, const http_request *r)
{
    int moved;
    if (is(r->method, r->mlen, "CONNECT"))
        return 0;
    size_t m = http_request_clean(r, clean_path, &moved);
    if (!moved)
        return 0;
    size_t n = http_location(clean_path, m, r->query, r->qlen, location + LOC, HTTP_LOCATION_MAX);
    if (n > HTTP_LOCATION_MAX) { /* cannot be: the request line is shorter */
        http_answer_text(c, 500, "redirect location too long", NULL);
        return 1;
    }
    memcpy(location, "Location: ", LOC);
    memcpy(location + LOC + n, "\r\n", 3); /* its NUL too: respond prints it with %s */
    respond_redirect(c, r, n);
    return 1;
}

/* Answer later, from the poll loop, relative to the snapshot just taken. */
static void park(conn *c, int allocs, int secs)
{
    mem_free(c->head);
    c->head = NULL;
    c->alloc_default = allocs;
    c->state = PARK;
    c->deadline = clock_mono_s() + secs;
}

/* r points into c->head, which every answer frees: each branch reads r
 * before it answers. */
static void route(conn *c, const http_request *r)
{
    /* HEAD is GET without the body, for every path, as in Go. */
    c->head_only = is(r->method, r->mlen, "HEAD");
    if (redirected(c, r)) /* as Go's ServeMux, before it looks for a handler */
        return;
    int get = c->head_only || is(r->method, r->mlen, "GET");
    /* Routed by the decoded path, as Go's ServeMux routes r.URL.Path. */
    int heap = http_request_path_is(r, "/debug/pprof/heap");
    int allocs = http_request_path_is(r, "/debug/pprof/allocs");
    int index = http_request_path_is(r, "/") || http_request_path_is(r, "/debug/pprof/") ||
                http_request_path_is(r, "/debug/pprof");
    int metrics = http_request_path_is(r, "/metrics");
    int symbol = http_request_path_is(r, "/debug/pprof/symbol");
    int secs = r->seconds, debug = r->debug, post = is(r->method, r->mlen, "POST");
    if (!heap && !allocs && !index && !metrics && !symbol)
        http_answer_text(c, 404, "no such path (see / for the list)", NULL);
    else if (symbol && (post || get))
        /* go tool pprof posts the addresses a profile left unnamed here;
         * the process named all it could when it wrote the profile, so the
         * answer is "none", which pprof takes instead of failing. */
        respond(c, 200, "text/plain; charset=utf-8", NULL, post ? "" : "num_symbols: 0\n",
                post ? 0 : 15);
    else if (!get)
        http_answer_text(c, 405, "only GET and HEAD are served", "Allow: GET, HEAD\r\n");
    else if (index)
        respond(c, 200, "text/html; charset=utf-8", NULL, index_html, sizeof index_html - 1);
    else if (metrics)
        respond_metrics(c);
    else if (secs < 0)
        http_answer_text(c, 400, "seconds must be a whole number from 1 to 300", NULL);
    else if (secs && debug) /* Go's serveDeltaProfile answers so, after checking seconds */
        http_answer_text(c, 400, "seconds and debug params are incompatible", NULL);
    else if (!secs)
        http_answer_profile(c, allocs, NULL, debug);
    else if (!(c->snap = dump_snapshot_take())) /* answered later, relative to now */
        http_answer_no_memory(c, "for a ?seconds= snapshot");
    else
        park(c, allocs, secs);
}

/* Look at the head with the n bytes just read: answer, or wait for more. */
void http_answer_examine(conn *c, size_t n)
{
    http_request r;
    int code = http_head_feed(c->head, n, &r);
    if (code == HTTP_REQUEST_MORE)
        return;
    if (code)
        http_answer_text(c, code, r.why, NULL);
    else
        route(c, &r);
}

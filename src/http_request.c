/*
 * http_request.c - see http_request.h.
 *
 * What is accepted: "METHOD /target HTTP/1.x" (the origin form only, 1.0 or
 * 1.1), then header lines "name: value" (name a token, no control bytes,
 * no continuation lines), then a blank line; lines end in CRLF or a bare
 * LF (RFC 9112, 2.2).  Whatever follows the blank line (a body, another
 * request) is not looked at.  The request line is judged as soon as it can
 * be, so that garbage is answered at once, but only ever on what a longer
 * input could not change; the header lines are judged when the blank line
 * has arrived.
 */
#define _GNU_SOURCE
#include "http_request.h"

#include <string.h>

static int tchar(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* Check the request line [s, s+n) ("complete" when its end was seen): 0
 * when it is, or may still become, "METHOD /target HTTP/1.x"; else the
 * status to answer.  Sets the method, and the whole target as the path,
 * when complete and valid. */
static int check_line(const char *s, size_t n, int complete, http_request *r)
{
    size_t i = 0;
    while (i < n && tchar((unsigned char)s[i]))
        i++;
    if (i == n)
        return complete || i > 32 ? 400 : 0;
    if (s[i] != ' ' || i == 0 || i > 32)
        return 400;
    size_t t0 = ++i;
    while (i < n && (unsigned char)s[i] > 0x20 && (unsigned char)s[i] < 0x7f)
        i++;
    if (i < n && s[i] != ' ')
        return 400;
    if (t0 < n && s[t0] != '/')
        return 400; /* origin form only */
    if (i == n)
        return complete ? 400 : 0;
    size_t v0 = ++i;
    while (i < n && (unsigned char)s[i] > 0x20 && (unsigned char)s[i] < 0x7f)
        i++;
    if (i < n || n - v0 > 8)
        return 400;
    if (!complete) /* so far a prefix of "HTTP/"?  Digits are checked at the end. */
        return strncmp(s + v0, "HTTP/", n - v0 < 5 ? n - v0 : 5) ? 400 : 0;
    if (n - v0 != 8 || strncmp(s + v0, "HTTP/", 5))
        return 400;
    if (strncmp(s + v0, "HTTP/1.1", 8) && strncmp(s + v0, "HTTP/1.0", 8))
        return s[v0 + 5] >= '0' && s[v0 + 5] <= '9' ? 505 : 400;
    r->method = s;
    r->mlen = t0 - 1;
    r->path = s + t0;
    r->plen = v0 - 1 - t0;
    return 0;
}

/* Header lines [s, end), end just past the blank line: 0 or 400. */
static int check_headers(const char *s, const char *end)
{
    while (s < end) {
        const char *e = memchr(s, '\n', (size_t)(end - s));
        if (!e)
            e = end;
        const char *le = e > s && e[-1] == '\r' ? e - 1 : e;
        if (le == s)
            break; /* the blank line */
        const char *p = s;
        while (p < le && tchar((unsigned char)*p))
            p++;
        if (p == s || p == le || *p != ':')
            return 400;
        for (; p < le; p++)
            if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
                return 400;
        s = e + 1;
    }
    return 0;
}

/* The `seconds` parameter of the query [q, q+n): 0 when absent, -1 when
 * bad.  Parameters are not percent-decoded (go tool pprof sends plain
 * digits); one bad `seconds` makes the query bad, else the last counts. */
static int query_seconds(const char *q, size_t n)
{
    int secs = 0;
    for (const char *p = q, *end = q + n; p < end;) {
        const char *amp = memchr(p, '&', (size_t)(end - p)), *e = amp ? amp : end;
        size_t len = (size_t)(e - p);
        if (len >= 8 && !memcmp(p, "seconds=", 8)) {
            secs = len == 8 ? -1 : 0;
            for (size_t i = 8; i < len && secs >= 0; i++) /* stops before it could overflow */
                secs = p[i] < '0' || p[i] > '9' || secs > HTTP_MAX_SECONDS
                           ? -1
                           : secs * 10 + (p[i] - '0');
            if (secs < 1 || secs > HTTP_MAX_SECONDS)
                return -1;
        }
        if (!amp)
            break;
        p = amp + 1;
    }
    return secs;
}

int http_request_parse(const char *buf, size_t len, http_request *r)
{
    *r = (http_request){0};
    if (!len)
        return HTTP_REQUEST_MORE;
    const char *nl = memchr(buf, '\n', len);
    size_t llen = nl ? (size_t)(nl - buf) : len;
    if (llen && buf[llen - 1] == '\r') /* its CR, or (still incomplete) a CR its LF will follow */
        llen--;
    int code = check_line(buf, llen, nl != NULL, r);
    if (code) {
        r->why = code == 505 ? "only HTTP/1.0 and HTTP/1.1 are served" : "malformed request line";
        return code;
    }
    if (!nl) { /* the request line goes on */
        if (len < HTTP_HEAD_MAX)
            return HTTP_REQUEST_MORE;
        r->why = "the request line is over 8 KiB";
        return 400;
    }
    /* The blank line that ends the head (bare LF line ends accepted): it
     * starts with the request line's LF or a later one. */
    size_t rest = len - (size_t)(nl - buf);
    const char *crlf = memmem(nl, rest, "\n\r\n", 3), *lf = memmem(nl, rest, "\n\n", 2);
    size_t end = crlf && (!lf || crlf < lf) ? (size_t)(crlf - buf) + 3
                 : lf                       ? (size_t)(lf - buf) + 2
                                            : 0;
    if (!end) {
        if (len < HTTP_HEAD_MAX)
            return HTTP_REQUEST_MORE;
        r->why = "the request head is over 8 KiB";
        return 431;
    }
    if (check_headers(nl + 1, buf + end)) {
        r->why = "malformed header line";
        return 400;
    }
    const char *q = memchr(r->path, '?', r->plen);
    if (q) {
        r->query = q + 1;
        r->qlen = r->plen - (size_t)(q + 1 - r->path);
        r->plen = (size_t)(q - r->path);
        r->seconds = query_seconds(r->query, r->qlen);
    }
    r->head_len = end;
    return 0;
}

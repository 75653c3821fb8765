/*
 * http_request.c - see http_request.h.
 *
 * What is accepted: any number of empty lines (RFC 9112, 2.2: a server
 * SHOULD ignore at least one before the request line, which some clients
 * send after a POST body), then "METHOD /target HTTP/1.x" (the origin form
 * only, 1.0 or 1.1) of at most HTTP_LINE_MAX bytes, then header lines
 * "name: value" (name a token, no control bytes, no continuation lines),
 * then a blank line; lines end in CRLF or a bare LF (RFC 9112, 2.2).
 * Whatever follows the blank line (a body, another request) is not looked
 * at.  Every line is judged as soon as it can be, so that garbage is
 * answered at once, but only ever on what a longer input could not change:
 * a header line in progress is rejected as soon as no ending could make it
 * valid.  That is what lets http_head drop the lines it has seen.
 *
 * The path's %-escapes are checked as Go's url.ParseRequestURI checks
 * them (a bad one is 400) and decoded as it decodes them, for routing
 * (http_request_path_is), since net/http routes by the decoded path.
 * ?seconds= and ?debug= are read as Go's net/http/pprof reads them
 * (r.FormValue, then strconv), since users compare the two: see
 * query_seconds.  The decoded path is cleaned as Go's ServeMux cleans it
 * (http_path_clean), for its redirect: see "the clean path".
 */
#define _GNU_SOURCE
#include "http_request.h"

#include <string.h>

static int tchar(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Past the empty lines (LF or CRLF) that [s, end) starts with. */
static const char *skip_empty_lines(const char *s, const char *end)
{
    for (;;) {
        if (s < end && *s == '\n')
            s++;
        else if (end - s >= 2 && s[0] == '\r' && s[1] == '\n')
            s += 2;
        else
            return s;
    }
}

/* Whether the path of the target [t, t+n) (before its first '?') has a '%'
 * without two hex digits after it: Go's url.ParseRequestURI fails then,
 * and net/http answers 400.  "ended": nothing more of the target is to
 * come; else a '%' at its end may still get its digits. */
static int bad_escape(const char *t, size_t n, int ended)
{
    const char *q = memchr(t, '?', n);
    size_t m = q ? (size_t)(q - t) : n;
    for (const char *p = memchr(t, '%', m); p; p = memchr(p + 1, '%', m - (size_t)(p + 1 - t))) {
        size_t left = m - (size_t)(p - t) - 1; /* path bytes after the '%' */
        if ((left >= 1 && hexval(p[1]) < 0) || (left >= 2 && hexval(p[2]) < 0) ||
            (left < 2 && (ended || q)))
            return 1;
        if (left < 2)
            break;
    }
    return 0;
}

/* Check the request line [s, s+n) ("complete" when its end was seen): 0
 * when it is, or may still become, "METHOD /target HTTP/1.x"; else the
 * status to answer, and r->why when more precise than "malformed request
 * line".  Sets the method, and the whole target as the path, when complete
 * and valid. */
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
    if (t0 < n && s[t0] != '/')
        return 400; /* origin form only */
    /* Before what ends the target: whatever follows, a bad escape before
     * it is the answer, so a prefix and the whole answer alike. */
    if (bad_escape(s + t0, i - t0, i < n)) {
        r->why = "malformed %-escape in the path";
        return 400;
    }
    if (i < n && s[i] != ' ')
        return 400;
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

/* Check a header line [s, e), not blank, without its line end ("complete"
 * when its LF was seen; "cr" when a CR came last and was taken off, the
 * line end's or, while incomplete, perhaps so): 0 when it is, or may still
 * become, "name: value" (no control bytes but HTAB in the value); else 400. */
static int check_header(const char *s, const char *e, int complete, int cr)
{
    const char *p = s;
    while (p < e && tchar((unsigned char)*p))
        p++;
    if (p == e) /* a name so far: fine while it goes on ("Host\r" cannot) */
        return complete || (cr && p > s) ? 400 : 0;
    if (p == s || *p != ':')
        return 400;
    for (; p < e; p++)
        if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
            return 400;
    return 0;
}

/* ---- ?seconds= and ?debug=, as Go reads them -----------------------------------
 * Go's handler takes r.FormValue(name): url.ParseQuery splits the query at
 * '&', skips a pair holding a ';', splits each at its first '=', and
 * percent-decodes name and value ('+' a space), skipping a pair with a bad
 * escape in either; FormValue is the first value of that name, "" when
 * none.  seconds: an empty value means no delta; any other goes through
 * strconv.ParseInt(v, 10, 64) (an optional sign, then decimal digits) and
 * must be positive; here it must be at most HTTP_MAX_SECONDS too.  debug:
 * strconv.Atoi, its error ignored, then compared with 0: a value that is
 * not a number is 0, one out of range the nearest int, never 0.  Decoding
 * goes byte by byte into the comparison or the number: no copy. */

/* The next byte of a query component [*p, end), *p < end, decoded: the
 * byte, or -1 for a '%' without two hex digits after it. */
static int unescape_next(const char **p, const char *end)
{
    const char *s = *p;
    if (*s != '%') {
        *p = s + 1;
        return *s == '+' ? ' ' : (unsigned char)*s;
    }
    if (end - s < 3 || hexval(s[1]) < 0 || hexval(s[2]) < 0)
        return -1;
    *p = s + 3;
    return hexval(s[1]) * 16 + hexval(s[2]);
}

/* Whether [p, end) decodes, without a bad escape, to the string want. */
static int decodes_to(const char *p, const char *end, const char *want)
{
    while (p < end) {
        int c = unescape_next(&p, end);
        if (c < 0 || !*want || c != (unsigned char)*want)
            return 0;
        want++;
    }
    return !*want;
}

/* Whether [p, end) decodes without a bad escape. */
static int decodes(const char *p, const char *end)
{
    while (p < end)
        if (unescape_next(&p, end) < 0)
            return 0;
    return 1;
}

/* FormValue(name) of the query [q, q+n): 1 and its still encoded bytes in
 * [*v, *ve) (empty for a pair without '='), or 0 when there is none. */
static int form_value(const char *q, size_t n, const char *name, const char **v, const char **ve)
{
    for (const char *p = q, *end = q + n; p < end;) {
        const char *amp = memchr(p, '&', (size_t)(end - p)), *e = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(e - p));
        if (!memchr(p, ';', (size_t)(e - p)) && decodes_to(p, eq ? eq : e, name) &&
            (!eq || decodes(eq + 1, e))) {
            *v = eq ? eq + 1 : e; /* the first one counts */
            *ve = e;
            return 1;
        }
        if (!amp)
            break;
        p = amp + 1;
    }
    return 0;
}

/* strconv.ParseInt's syntax, base 10: an optional sign, then decimal
 * digits, of the value [p, end) decoded (without a bad escape).  Sets *neg
 * and *nonzero (a digit other than 0), and *value, which stops growing past
 * HTTP_MAX_SECONDS (no overflow).  0 when not a number. */
static int parse_int(const char *p, const char *end, int *neg, int *nonzero, int *value)
{
    int digits = 0, first = 1;
    *neg = *nonzero = *value = 0;
    while (p < end) {
        int c = unescape_next(&p, end);
        if (first && (c == '+' || c == '-'))
            *neg = c == '-';
        else if (c < '0' || c > '9')
            return 0;
        else {
            digits = 1;
            *nonzero |= c != '0';
            if (*value <= HTTP_MAX_SECONDS)
                *value = *value * 10 + (c - '0');
        }
        first = 0;
    }
    return digits;
}

/* The query [q, q+n)'s `seconds`: 0 when absent or empty, -1 when bad. */
static int query_seconds(const char *q, size_t n)
{
    const char *v, *ve;
    int neg, nonzero, secs;
    if (!form_value(q, n, "seconds", &v, &ve) || v == ve)
        return 0;
    if (!parse_int(v, ve, &neg, &nonzero, &secs) || neg || secs < 1 || secs > HTTP_MAX_SECONDS)
        return -1; /* no negative number is positive */
    return secs;
}

/* The query [q, q+n)'s `debug`: 1 when Go's handler reads it as other
 * than 0, else 0. */
static int query_debug(const char *q, size_t n)
{
    const char *v, *ve;
    int neg, nonzero, value;
    return form_value(q, n, "debug", &v, &ve) && parse_int(v, ve, &neg, &nonzero, &value) &&
           nonzero;
}

int http_request_path_is(const http_request *r, const char *want)
{
    for (const char *p = r->path, *end = r->path + r->plen; p < end; want++) {
        int c = *p == '%' ? hexval(p[1]) * 16 + hexval(p[2]) : (unsigned char)*p;
        p += *p == '%' ? 3 : 1;
        if (!*want || c != (unsigned char)*want)
            return 0;
    }
    return !*want;
}

size_t http_request_path(const http_request *r, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = r->path, *end = r->path + r->plen; p < end; n++) {
        int c = *p == '%' ? hexval(p[1]) * 16 + hexval(p[2]) : (unsigned char)*p;
        p += *p == '%' ? 3 : 1;
        if (n < cap)
            out[n] = (char)c;
    }
    return n;
}

/* ---- the clean path, as Go's ServeMux wants it -----------------------------------
 * net/http's ServeMux (every method but CONNECT) cleans the request's path
 * with cleanPath and, when that changes it, answers 301 with the clean
 * path in Location, the query kept.  Which path it cleans changed in Go
 * 1.22: before, the decoded r.URL.Path (%2F a '/', so "/a%2F..%2Fmetrics"
 * is moved to /metrics), the Location being that path escaped again by
 * url.URL.String; since, the escaped path as sent (so %2F is no '/' and
 * "%2e%2e" no "..").  heapprof routes by the decoded path, as Go did
 * before 1.22 (a '%2F' is a '/' here, see http_request_path_is), and
 * cleans what it routes, as that Go did: a path that routes here is
 * clean, one that is not is moved.  Nothing is allocated: the server
 * cleans into a fixed buffer, in place. */

size_t http_path_clean(const char *p, size_t n, char *out)
{
    /* path.Clean's loop over a rooted path: r reads p, w writes out, where
     * out[0] is the root.  With out == p and p[0] == '/', w <= r throughout
     * (each element written was read at or after where it goes, and a
     * '/' was read between two), so a byte is read before it is written
     * over.  The trailing '/' is read before anything is written. */
    int trailing = n > 0 && p[n - 1] == '/';
    size_t r = n > 0 && p[0] == '/', w = 1;
    out[0] = '/';
    while (r < n) {
        if (p[r] == '/' || (p[r] == '.' && (r + 1 == n || p[r + 1] == '/'))) {
            r++; /* an empty element, or "." */
        } else if (p[r] == '.' && p[r + 1] == '.' && (r + 2 == n || p[r + 2] == '/')) {
            r += 2; /* "..": back to the '/' before the last element; at the root, nothing */
            if (w > 1)
                for (w--; w > 1 && out[w] != '/'; w--)
                    ;
        } else {
            if (w > 1)
                out[w++] = '/';
            while (r < n && p[r] != '/')
                out[w++] = p[r++];
        }
    }
    /* cleanPath: path.Clean dropped the '/' at the end; Go puts it back
     * (a directory's path stays one) unless the result is the root. */
    if (trailing && w > 1)
        out[w++] = '/';
    return w;
}

size_t http_request_clean(const http_request *r, char *out, int *moved)
{
    /* The decoded path is at most the path's length (< HTTP_LINE_MAX, a
     * part of the request line) and starts with its '/': it is cleaned
     * where it was decoded.  Equal lengths mean unchanged (see
     * http_path_clean). */
    size_t n = http_request_path(r, out, HTTP_LINE_MAX);
    if (n > HTTP_LINE_MAX || !n || out[0] != '/') { /* not from http_request_parse */
        *moved = 0;
        return 0;
    }
    size_t m = http_path_clean(out, n, out);
    *moved = m != n;
    return m;
}

/* Whether Go's url package leaves the byte c as it is in a path
 * (shouldEscape(c, encodePath) false): RFC 3986's unreserved characters,
 * and the reserved ones it allows in a path but '?'. */
static int path_safe(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("-_.~$&+,/:;=@", c));
}

size_t http_location(const char *p, size_t n, const char *q, size_t qlen, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
#define PUT(ch)                                                                                    \
    do {                                                                                           \
        if (o < cap)                                                                               \
            out[o] = (char)(ch);                                                                   \
        o++;                                                                                       \
    } while (0)
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (path_safe(c)) {
            PUT(c);
        } else {
            PUT('%');
            PUT(hex[c >> 4]);
            PUT(hex[c & 15]);
        }
    }
    /* url.URL.String writes the '?' only before a query that is not
     * empty: "//metrics?" is moved to "/metrics". */
    if (qlen)
        PUT('?');
    for (size_t i = 0; i < qlen; i++)
        PUT(q[i]);
#undef PUT
    return o;
}

/* ---- the head ------------------------------------------------------------------ */

/* http_request_parse, told that buf starts with a request line of `known`
 * bytes (its LF included) already found valid, or 0: http_head's way not
 * to scan up to 8 KiB again for each read. */
static int parse(const char *buf, size_t len, size_t known, http_request *r)
{
    *r = (http_request){0};
    const char *end = buf + len, *s = known ? buf : skip_empty_lines(buf, end);
    size_t n = (size_t)(end - s) < HTTP_LINE_MAX ? (size_t)(end - s) : HTTP_LINE_MAX;
    const char *nl = known ? buf + known - 1 : memchr(s, '\n', n);
    size_t llen = nl ? (size_t)(nl - s) : n;
    if (llen && s[llen - 1] == '\r') /* its CR, or (still incomplete) a CR its LF will follow */
        llen--;
    int code = known ? 0 : check_line(s, llen, nl != NULL, r);
    if (code) {
        r->why = code == 505 ? "only HTTP/1.0 and HTTP/1.1 are served"
                 : r->why    ? r->why
                             : "malformed request line";
        return code;
    }
    if (!nl) { /* the request line goes on */
        if (n < HTTP_LINE_MAX)
            return HTTP_REQUEST_MORE;
        r->why = "the request line is over 8 KiB";
        return 400;
    }
    /* The header lines, each judged as it comes, to the blank line. */
    for (const char *p = nl + 1;;) {
        const char *e = memchr(p, '\n', (size_t)(end - p)), *le = e ? e : end;
        int cr = le > p && le[-1] == '\r';
        if (e && le - cr == p) {
            if (known)
                (void)check_line(s, llen, 1, r); /* valid: it fills r */
            r->head_len = (size_t)(e + 1 - buf);
            break;
        }
        if (check_header(p, le - cr, e != NULL, cr)) {
            *r = (http_request){.why = "malformed header line"};
            return 400;
        }
        if (!e)
            return HTTP_REQUEST_MORE;
        p = e + 1;
    }
    const char *q = memchr(r->path, '?', r->plen);
    if (q) {
        r->query = q + 1;
        r->qlen = r->plen - (size_t)(q + 1 - r->path);
        r->plen = (size_t)(q - r->path);
        r->seconds = query_seconds(r->query, r->qlen);
        r->debug = query_debug(r->query, r->qlen);
    }
    return 0;
}

int http_request_parse(const char *buf, size_t len, http_request *r)
{
    return parse(buf, len, 0, r);
}

/* ---- a head as it arrives ---------------------------------------------------------
 * Memory: one HTTP_HEAD_BUF (12 KiB) per connection reading its head, at
 * most 8 of them (http.c's MAX_ACTIVE): 96 KiB at worst, whatever the size
 * of the heads, up to HTTP_HEAD_MAX.  (Buffering heads whole would take
 * 8 MiB for 1 MiB heads.)  Time: each read parses the 3 bytes kept of the
 * line in progress and what it brought, once the request line is known
 * valid (else up to 8 KiB again per read, 1 MiB of one-byte reads would
 * keep the server thread busy for seconds). */

void http_head_init(http_head *h, size_t max)
{
    h->len = h->total = h->line = 0;
    h->max = max;
}

size_t http_head_room(const http_head *h)
{
    size_t room = HTTP_HEAD_BUF - h->len, left = h->max - h->total;
    return room < left ? room : left;
}

/* Rewrite the buf[0, len) that http_request_parse called incomplete as a
 * shorter one that every continuation parses the same: without the empty
 * lines before the request line and without the complete header lines
 * (each found valid), and with the header line in progress (valid so far)
 * reduced to what decides how it may go on: "x" for a name so far, "x:"
 * once its colon came, with its last byte if a CR (perhaps the line end's);
 * "" and "\r" (perhaps the blank line's) as they are.  The request line
 * stays: the answer points into it.  Returns the new length, and sets
 * *known to the request line's length when complete. */
static size_t compact(char *buf, size_t len, size_t *known)
{
    const char *end = buf + len, *s = skip_empty_lines(buf, end);
    const char *nl = memchr(s, '\n', (size_t)(end - s));
    size_t keep = nl ? (size_t)(nl + 1 - s) : (size_t)(end - s), t = 0;
    char tail[3] = {0};
    if (nl) {
        const char *last = memrchr(nl, '\n', (size_t)(end - nl)), *line = (last ? last : nl) + 1;
        size_t m = (size_t)(end - line);
        if (m == 1 && line[0] == '\r') {
            tail[t++] = '\r';
        } else if (m) {
            tail[t++] = 'x';
            if (memchr(line, ':', m)) {
                tail[t++] = ':';
                if (end[-1] == '\r')
                    tail[t++] = '\r';
            }
        }
    }
    memmove(buf, s, keep);
    memcpy(buf + keep, tail, t);
    *known = nl ? keep : 0;
    return keep + t;
}

int http_head_feed(http_head *h, size_t n, http_request *r)
{
    h->len += n;
    h->total += n;
    int code = parse(h->buf, h->len, h->line, r);
    if (code == 0)
        r->head_len += h->total - h->len; /* the bytes dropped came before it */
    if (code != HTTP_REQUEST_MORE)
        return code;
    if (h->total >= h->max) {
        r->why = "the request head is over 1 MiB";
        return 431;
    }
    h->len = compact(h->buf, h->len, &h->line);
    return HTTP_REQUEST_MORE;
}

/*
 * fuzz_http.c - libFuzzer target for the live endpoint's request parser
 * (http_request.c), which reads what any local client sends.
 *
 * Input: the first byte seeds the sizes of the reads and, when its top bit
 * is set, a small bound on the head (so that 431 is reached by short
 * inputs); the rest is what the client sends.  Every parse of the pure
 * parser is of an exactly sized heap copy, and the http_head's buffer is
 * poisoned past what it holds, so ASan catches a read past the length
 * given.
 *
 * Beyond "no crash, no sanitizer report", it checks what http.c relies on:
 *  - the answer does not depend on how the bytes are split between reads
 *    (the server parses again after each): the first answer to a growing
 *    buffer is the answer to the whole, and every prefix of an accepted
 *    head is "more", never an error;
 *  - an http_head fed the bytes in pieces of random sizes answers as the
 *    parse of the whole (431 exactly when the first `max` bytes hold no
 *    complete head and no error), though it drops the lines it has checked:
 *    the same status, phrase, method, path, query and ?seconds=, the head's
 *    length counted from the first byte; its buffer never holds more than
 *    the request line and 3 bytes between reads, and has room for more;
 *  - an accepted head: method, path and query lie inside the head, in the
 *    order of the request line, after only empty lines, their bytes of the
 *    allowed kinds; the head ends in its blank line, and bytes after it
 *    change nothing; the header lines are "token: value" without control
 *    bytes; ?seconds= and ?debug= agree with a reference written
 *    differently (the pair decoded into a copy, then strtoull or strspn),
 *    after Go's FormValue and strconv; the path has no bad %-escape, and
 *    http_request_path and http_request_path_is decode it as a reference
 *    does (sscanf), as Go's url.PathUnescape does;
 *  - the path cleaner (http_path_clean), on the input's bytes as they
 *    are and on every accepted request's decoded path: it answers as a
 *    reference written differently (elements split into a stack) does,
 *    as Go's cleanPath does; the result starts with '/', holds no "//",
 *    "/./" or "/../" (nor ends in "/." or "/.."), is at most one byte
 *    longer than the input, and cleans to itself; in place it answers the
 *    same; for a path starting with '/' it is as long only when unchanged;
 *  - the redirect of an accepted request: moved exactly when the clean
 *    path differs from the decoded one, and its Location has bytes 0x21 to
 *    0x7e only (nothing that could end or add a header line), its path
 *    part only the bytes Go leaves unescaped and %XX escapes, decoding to
 *    the clean path, then the query as sent;
 *  - an error is 400 or 505 (431 from an http_head only) with one short
 *    phrase (http_answer.c prints it into a 256-byte body);
 *  - the same bytes in another buffer parse the same.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_request.h"

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif
#ifdef HAVE_ASAN
#include <sanitizer/asan_interface.h>
#else
#define ASAN_POISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#define ASAN_UNPOISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#endif

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_http: check failed: %s (line %d)\n", #cond, __LINE__);          \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* A parse, as offsets into its buffer, so that two buffers can be compared. */
typedef struct view {
    int code;
    size_t moff, mlen, poff, plen, qoff, qlen, head_len;
    int seconds, debug;
    const char *why;
} view;

static int tchar(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static int visible(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)p[i] <= 0x20 || (unsigned char)p[i] >= 0x7f)
            return 0;
    return 1;
}

/* Decode a query component [p, p+n) as Go's url.QueryUnescape does into
 * out (n + 1 bytes), its length in *len: 0, or -1 on a '%' without two hex
 * digits. */
static int decode(const char *p, size_t n, char *out, size_t *len)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '%') {
            if (i + 2 >= n || !isxdigit((unsigned char)p[i + 1]) ||
                !isxdigit((unsigned char)p[i + 2]))
                return -1;
            char hex[3] = {p[i + 1], p[i + 2], 0};
            out[o++] = (char)strtol(hex, NULL, 16);
            i += 2;
        } else {
            out[o++] = p[i] == '+' ? ' ' : p[i];
        }
    }
    *len = o;
    return 0;
}

/* Go's r.FormValue(name) of the query q[0, n), decoded into val (n + 1
 * bytes, NUL-terminated), its length in *vlen: 1, or 0 when there is none. */
static int ref_form(const char *q, size_t n, const char *name, char *key, char *val, size_t *vlen)
{
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && q[j] != '&')
            j++;
        const char *pair = q + i;
        size_t pl = j - i, kl, klen;
        i = j + 1;
        if (!pl || memchr(pair, ';', pl))
            continue;
        const char *eq = memchr(pair, '=', pl);
        kl = eq ? (size_t)(eq - pair) : pl;
        *vlen = 0;
        if (decode(pair, kl, key, &klen) || (eq && decode(eq + 1, pl - kl - 1, val, vlen)))
            continue;
        if (klen != strlen(name) || memcmp(key, name, klen))
            continue;
        val[*vlen] = '\0';
        return 1; /* the first one counts */
    }
    return 0;
}

/* ?seconds= as Go's r.FormValue("seconds") then strconv.ParseInt read it,
 * bounded to 1..HTTP_MAX_SECONDS: 0 absent or empty, -1 bad; and ?debug=
 * as strconv.Atoi reads it, an error as 0: 1 when not 0. */
static void ref_query(const char *q, size_t n, int *secs, int *debug)
{
    char *key = malloc(n + 1), *val = malloc(n + 2);
    CHECK(key && val);
    size_t vlen;
    *secs = *debug = 0;
    if (ref_form(q, n, "seconds", key, val, &vlen) && vlen) {
        const char *d = val + (val[0] == '+' || val[0] == '-');
        size_t dl = vlen - (size_t)(d - val);
        unsigned long long x = strtoull(d, NULL, 10);
        *secs = !dl || strspn(d, "0123456789") != dl || val[0] == '-' || x < 1 ||
                        x > HTTP_MAX_SECONDS
                    ? -1
                    : (int)x;
    }
    if (ref_form(q, n, "debug", key, val, &vlen)) {
        const char *d = val + (vlen && (val[0] == '+' || val[0] == '-'));
        size_t dl = vlen - (size_t)(d - val);
        *debug = dl && strspn(d, "0123456789") == dl && strspn(d, "0") != dl;
    }
    free(key);
    free(val);
}

/* The path p[0, n) decoded as Go's url.PathUnescape decodes it into out
 * (n + 1 bytes, NUL-terminated): its length, or -1 on a bad escape. */
static long ref_path(const char *p, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] != '%') {
            out[o++] = p[i];
            continue;
        }
        if (i + 2 >= n || !isxdigit((unsigned char)p[i + 1]) || !isxdigit((unsigned char)p[i + 2]))
            return -1;
        /* strtoul on a terminated copy: sscanf would run strlen over the
         * unterminated input (valgrind: a read past the buffer). */
        char hex[3] = {p[i + 1], p[i + 2], '\0'};
        out[o++] = (char)strtoul(hex, NULL, 16);
        i += 2;
    }
    out[o] = '\0';
    return (long)o;
}

/* The path as routed: every escape good, decoded as the reference decodes
 * it, and matched by http_request_path_is (unless it holds a NUL, which
 * no route has). */
static void check_path(const http_request *r)
{
    char *want = malloc(r->plen + 1), *got = malloc(r->plen + 1);
    CHECK(want && got);
    long n = ref_path(r->path, r->plen, want);
    CHECK(n >= 0);
    CHECK(http_request_path(r, got, r->plen) == (size_t)n && !memcmp(got, want, (size_t)n));
    CHECK(http_request_path_is(r, want) == (strlen(want) == (size_t)n));
    if (n > 0) { /* a shorter and a longer string are not it */
        want[n - 1] = '\0';
        CHECK(!http_request_path_is(r, want));
    }
    free(want);
    free(got);
}

/* Go's cleanPath of p[0, n), written differently from http_path_clean:
 * the elements of "/" + p pushed on a stack ("" and "." skipped, ".."
 * popping one), then joined; into out (n + 2 bytes): its length. */
static size_t ref_clean(const char *p, size_t n, char *out)
{
    size_t *start = malloc((n + 1) * sizeof *start), *len = malloc((n + 1) * sizeof *len);
    size_t depth = 0, o = 0;
    CHECK(start && len);
    for (size_t i = 0; i <= n;) {
        size_t j = i;
        while (j < n && p[j] != '/')
            j++;
        size_t l = j - i;
        if (l == 2 && p[i] == '.' && p[i + 1] == '.') {
            if (depth)
                depth--;
        } else if (l && !(l == 1 && p[i] == '.')) {
            start[depth] = i;
            len[depth++] = l;
        }
        i = j + 1;
    }
    for (size_t d = 0; d < depth; d++) {
        out[o++] = '/';
        memcpy(out + o, p + start[d], len[d]);
        o += len[d];
    }
    if (!o || (n && p[n - 1] == '/')) /* the root; the '/' at the end kept */
        out[o++] = '/';
    free(start);
    free(len);
    return o;
}

static int has(const char *p, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (!memcmp(p + i, needle, k))
            return 1;
    return 0;
}

static int ends(const char *p, size_t n, const char *tail)
{
    size_t k = strlen(tail);
    return n >= k && !memcmp(p + n - k, tail, k);
}

/* http_path_clean of p[0, n) against the reference and its invariants;
 * its result, into an exactly sized buffer (n + 1 bytes: ASan sees a
 * write past it), is left in *out (the caller frees), its length in *m. */
static void check_clean(const char *p, size_t n, char **out, size_t *m)
{
    char *c = malloc(n + 1), *again = malloc(n + 2), *ref = malloc(n + 2);
    CHECK(c && again && ref);
    size_t len = http_path_clean(p, n, c);
    CHECK(len >= 1 && len <= n + 1 && c[0] == '/');
    CHECK(!has(c, len, "//") && !has(c, len, "/./") && !has(c, len, "/../"));
    CHECK(!ends(c, len, "/.") && !ends(c, len, "/.."));
    CHECK(ref_clean(p, n, ref) == len && !memcmp(ref, c, len));
    CHECK(http_path_clean(c, len, again) == len && !memcmp(again, c, len)); /* idempotent */
    if (n && p[0] == '/') {
        char *in = malloc(n);
        CHECK(in != NULL);
        memcpy(in, p, n);
        CHECK(http_path_clean(in, n, in) == len && !memcmp(in, c, len)); /* in place */
        CHECK(len != n || !memcmp(p, c, n)); /* as long only when unchanged */
        free(in);
    }
    free(again);
    free(ref);
    *out = c;
    *m = len;
}

/* The redirect http_answer.c makes of an accepted request: moved when the
 * clean path differs from the decoded one, to a Location that is safe in a
 * header and says the clean path and the query. */
static void check_redirect(const http_request *r)
{
    static char clean[HTTP_LINE_MAX];
    char *decoded = malloc(r->plen + 1), *c;
    CHECK(decoded != NULL);
    size_t n = http_request_path(r, decoded, r->plen), m;
    check_clean(decoded, n, &c, &m);
    int moved = -1;
    CHECK(http_request_clean(r, clean, &moved) == m && !memcmp(clean, c, m));
    CHECK(moved == (m != n || memcmp(c, decoded, n) != 0));
    size_t cap = 3 * m + 1 + r->qlen;
    char *loc = malloc(cap);
    CHECK(loc != NULL);
    size_t l = http_location(c, m, r->query, r->qlen, loc, cap);
    CHECK(l <= cap && l <= HTTP_LOCATION_MAX);
    CHECK(visible(loc, l));
    size_t o = 0, i = 0;
    for (; i < l && loc[i] != '?'; o++) { /* the path: decodes to the clean one */
        unsigned char ch = (unsigned char)loc[i];
        if (ch == '%') {
            CHECK(i + 2 < l && isxdigit((unsigned char)loc[i + 1]) &&
                  isxdigit((unsigned char)loc[i + 2]) && !islower((unsigned char)loc[i + 1]) &&
                  !islower((unsigned char)loc[i + 2]));
            char hex[3] = {loc[i + 1], loc[i + 2], '\0'};
            CHECK(o < m && (unsigned char)c[o] == strtoul(hex, NULL, 16));
            i += 3;
        } else {
            CHECK(isalnum(ch) || strchr("-_.~$&+,/:;=@", ch));
            CHECK(o < m && c[o] == loc[i]);
            i++;
        }
    }
    CHECK(o == m);
    if (r->qlen)
        CHECK(i < l && l - i - 1 == r->qlen && !memcmp(loc + i + 1, r->query, r->qlen));
    else
        CHECK(i == l);
    free(loc);
    free(c);
    free(decoded);
}

/* Check an accepted head b[0, n) (its buffer, r's pointers in it). */
static void check_accepted(const char *b, size_t n, const http_request *r)
{
    size_t h = r->head_len, lead = (size_t)(r->method - b);
    CHECK(h >= 14 + lead && h <= n); /* "A / HTTP/1.0\n\n" */
    CHECK(b[h - 1] == '\n' && (b[h - 2] == '\n' || (b[h - 2] == '\r' && b[h - 3] == '\n')));
    for (size_t i = 0; i < lead; i++) /* only empty lines before the request line */
        CHECK(b[i] == '\n' || (b[i] == '\r' && b[i + 1] == '\n'));
    CHECK(!lead || b[lead - 1] == '\n');
    const char *m = r->method;
    CHECK(r->mlen >= 1 && r->mlen <= 32 && m[r->mlen] == ' ');
    for (size_t i = 0; i < r->mlen; i++)
        CHECK(tchar((unsigned char)m[i]));
    CHECK(r->path == m + r->mlen + 1 && r->plen >= 1 && r->path[0] == '/');
    CHECK(visible(r->path, r->plen) && !memchr(r->path, '?', r->plen));
    const char *after = r->path + r->plen;
    if (r->query) {
        CHECK(after[0] == '?' && r->query == after + 1);
        CHECK(visible(r->query, r->qlen));
        after = r->query + r->qlen;
        int secs, debug;
        ref_query(r->query, r->qlen, &secs, &debug);
        CHECK(r->seconds == secs && r->debug == debug);
    } else {
        CHECK(r->qlen == 0 && r->seconds == 0 && r->debug == 0);
    }
    check_path(r);
    check_redirect(r);
    CHECK(r->seconds >= -1 && r->seconds <= HTTP_MAX_SECONDS);
    CHECK((size_t)(after - b) + 11 <= h);
    CHECK(!memcmp(after, " HTTP/1.1", 9) || !memcmp(after, " HTTP/1.0", 9));
    after += 9;
    after += after[0] == '\r';
    CHECK(after[0] == '\n' && (size_t)(after + 1 - m) <= HTTP_LINE_MAX);
    /* The header lines, up to the blank line. */
    for (const char *s = after + 1;;) {
        const char *e = memchr(s, '\n', (size_t)(b + h - s));
        CHECK(e != NULL);
        size_t len = (size_t)(e - s) - (e > s && e[-1] == '\r');
        if (!len) {
            CHECK(e + 1 == b + h); /* the first blank line ends the head */
            break;
        }
        size_t name = 0;
        while (name < len && tchar((unsigned char)s[name]))
            name++;
        CHECK(name >= 1 && name < len && s[name] == ':');
        for (size_t i = name; i < len; i++)
            CHECK((unsigned char)s[i] >= 0x20 ? s[i] != 0x7f : s[i] == '\t');
        s = e + 1;
    }
}

static void check_error(int code, const http_request *r)
{
    CHECK(code == 400 || code == 431 || code == 505);
    CHECK(r->why && *r->why && strlen(r->why) < 200 && !strchr(r->why, '\n'));
}

/* Parse an exact copy of b[0, n), check what the result promises, and
 * return it as offsets. */
static view parse(const char *b, size_t n)
{
    char *copy = malloc(n ? n : 1);
    CHECK(copy != NULL);
    memcpy(copy, b, n);
    http_request r;
    int code = http_request_parse(copy, n, &r);
    view v = {.code = code};
    if (code == 0) {
        check_accepted(copy, n, &r);
        v.moff = (size_t)(r.method - copy);
        v.mlen = r.mlen;
        v.poff = (size_t)(r.path - copy);
        v.plen = r.plen;
        v.qoff = r.query ? (size_t)(r.query - copy) : SIZE_MAX;
        v.qlen = r.qlen;
        v.head_len = r.head_len;
        v.seconds = r.seconds;
        v.debug = r.debug;
    } else if (code != HTTP_REQUEST_MORE) {
        check_error(code, &r);
        CHECK(code != 431);
        v.why = r.why;
    }
    free(copy);
    return v;
}

static int same(const view *a, const view *b)
{
    return a->code == b->code && a->moff == b->moff && a->mlen == b->mlen &&
           a->poff == b->poff && a->plen == b->plen && a->qoff == b->qoff &&
           a->qlen == b->qlen && a->head_len == b->head_len && a->seconds == b->seconds && a->debug == b->debug &&
           (a->why == b->why || (a->why && b->why && !strcmp(a->why, b->why)));
}

static uint32_t next(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* Feed in[0, n) to an http_head bounded to max bytes, in reads of 1 to
 * `most` bytes (fewer when it has less room), as http.c does, and check
 * its answer against `whole`, the parse of in[0, min(n, max)). */
static void check_fed(const char *in, size_t n, size_t max, size_t most, uint32_t *seed,
                      const view *whole)
{
    http_head *h = malloc(sizeof *h);
    CHECK(h != NULL);
    http_head_init(h, max);
    http_request r;
    int code = HTTP_REQUEST_MORE;
    size_t got = 0, before = 0;
    while (got < n && code == HTTP_REQUEST_MORE) {
        size_t room = http_head_room(h), step = 1 + next(seed) % most;
        CHECK(room > 0 && h->len <= HTTP_LINE_MAX + 3 && h->total == got);
        step = step < room ? step : room;
        step = step < n - got ? step : n - got;
        ASAN_UNPOISON_MEMORY_REGION(h->buf, HTTP_HEAD_BUF);
        memcpy(h->buf + h->len, in + got, step);
        ASAN_POISON_MEMORY_REGION(h->buf + h->len + step, HTTP_HEAD_BUF - h->len - step);
        before = got;
        got += step;
        code = http_head_feed(h, step, &r);
        CHECK(h->len <= HTTP_HEAD_BUF);
    }
    ASAN_UNPOISON_MEMORY_REGION(h->buf, HTTP_HEAD_BUF);
    int want = whole->code == HTTP_REQUEST_MORE && n >= max ? 431 : whole->code;
    CHECK(code == want);
    if (code == 0) {
        CHECK(r.head_len == whole->head_len && before < r.head_len && r.head_len <= got);
        CHECK(r.mlen == whole->mlen && !memcmp(r.method, in + whole->moff, r.mlen));
        CHECK(r.plen == whole->plen && !memcmp(r.path, in + whole->poff, r.plen));
        CHECK((r.query != NULL) == (whole->qoff != SIZE_MAX) && r.qlen == whole->qlen);
        CHECK(!r.query || !memcmp(r.query, in + whole->qoff, r.qlen));
        CHECK(r.seconds == whole->seconds && r.debug == whole->debug);
    } else if (code != HTTP_REQUEST_MORE) {
        check_error(code, &r);
        CHECK(code == 431 || !strcmp(r.why, whole->why));
    }
    free(h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *in = (const char *)data + 1;
    size_t n = size - 1;
    size_t max = data[0] & 0x80 ? 1 + (size_t)(data[0] & 0x7f) * 61 : HTTP_HEAD_MAX;
    uint32_t seed = 0x9e3779b9u ^ data[0] ^ (uint32_t)n << 8;

    /* The cleaner on the bytes as they are (up to 4 KiB of them). */
    char *c;
    size_t m;
    check_clean(in, n < 4096 ? n : 4096, &c, &m);
    free(c);

    view whole = parse(in, n);
    view again = parse(in, n);
    CHECK(same(&whole, &again));

    /* Reads of 1 to 2^k bytes (k from the first byte): the first answer. */
    size_t most = (size_t)1 << (data[0] % 14);
    view first = {.code = HTTP_REQUEST_MORE};
    for (size_t got = 0; got < n && first.code == HTTP_REQUEST_MORE;) {
        size_t step = 1 + next(&seed) % most;
        got = step < n - got ? got + step : n;
        first = parse(in, got);
    }
    CHECK(same(&first, &whole));

    if (whole.code == 0) {
        /* Every prefix of the head is "more"; what follows it is ignored. */
        size_t h = whole.head_len;
        if (h <= 256) {
            for (size_t k = 0; k < h; k++)
                CHECK(parse(in, k).code == HTTP_REQUEST_MORE);
        } else {
            CHECK(parse(in, h - 1).code == HTTP_REQUEST_MORE);
            for (int i = 0; i < 32; i++)
                CHECK(parse(in, next(&seed) % h).code == HTTP_REQUEST_MORE);
        }
        view head = parse(in, h);
        CHECK(same(&head, &whole));
    }

    /* The same bytes through an http_head, in pieces. */
    view capped = n > max ? parse(in, max) : whole;
    check_fed(in, n, max, most, &seed, &capped);
    return 0;
}

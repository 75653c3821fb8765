/*
 * fuzz_http.c - libFuzzer target for the live endpoint's request parser
 * (http_request.c), which reads what any local client sends.
 *
 * Input: the first byte seeds the sizes of the reads; the rest is what the
 * client sends, of which the server keeps at most HTTP_HEAD_MAX bytes.
 * Every parse is of an exactly sized heap copy, so ASan catches a read past
 * the length given.
 *
 * Beyond "no crash, no sanitizer report", it checks what http.c relies on:
 *  - the answer does not depend on how the bytes are split between reads
 *    (the server parses again after each): the first answer to a growing
 *    buffer is the answer to the whole, and every prefix of an accepted
 *    head is "more", never an error;
 *  - an accepted head: method, path and query lie inside the head, in the
 *    order of the request line, their bytes of the allowed kinds; the head
 *    ends in its blank line, and bytes after it change nothing; the header
 *    lines are "token: value" without control bytes; ?seconds= agrees
 *    with a reference written differently (strtoul);
 *  - an error is 400, 431 or 505 with one short phrase (http.c prints it
 *    into a 256-byte body), 431 only with the buffer full;
 *  - the same bytes in another buffer parse the same.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_request.h"

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
    int seconds;
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

/* ?seconds= as the server must read it: 0 absent, -1 when any is bad. */
static int ref_seconds(const char *q, size_t n)
{
    char seg[HTTP_HEAD_MAX + 1];
    int secs = 0;
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && q[j] != '&')
            j++;
        memcpy(seg, q + i, j - i);
        seg[j - i] = '\0';
        if (!strncmp(seg, "seconds=", 8)) {
            char *end;
            const char *v = seg + 8;
            unsigned long x = strtoul(v, &end, 10);
            if (!*v || *end || strspn(v, "0123456789") != strlen(v) || x < 1 ||
                x > HTTP_MAX_SECONDS)
                return -1;
            secs = (int)x;
        }
        i = j + 1;
    }
    return secs;
}

static void check_accepted(const char *b, size_t n, const http_request *r)
{
    size_t h = r->head_len;
    CHECK(h >= 14 && h <= n); /* "A / HTTP/1.0\n\n" */
    CHECK(b[h - 1] == '\n' && (b[h - 2] == '\n' || (b[h - 2] == '\r' && b[h - 3] == '\n')));
    CHECK(r->method == b && r->mlen >= 1 && r->mlen <= 32 && b[r->mlen] == ' ');
    for (size_t i = 0; i < r->mlen; i++)
        CHECK(tchar((unsigned char)b[i]));
    CHECK(r->path == b + r->mlen + 1 && r->plen >= 1 && r->path[0] == '/');
    CHECK(visible(r->path, r->plen) && !memchr(r->path, '?', r->plen));
    const char *after = r->path + r->plen;
    if (r->query) {
        CHECK(after[0] == '?' && r->query == after + 1);
        CHECK(visible(r->query, r->qlen));
        after = r->query + r->qlen;
        CHECK(r->seconds == ref_seconds(r->query, r->qlen));
    } else {
        CHECK(r->qlen == 0 && r->seconds == 0);
    }
    CHECK(r->seconds >= -1 && r->seconds <= HTTP_MAX_SECONDS);
    CHECK((size_t)(after - b) + 11 <= h);
    CHECK(!memcmp(after, " HTTP/1.1", 9) || !memcmp(after, " HTTP/1.0", 9));
    after += 9;
    after += after[0] == '\r';
    CHECK(after[0] == '\n');
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
        v.mlen = r.mlen;
        v.poff = (size_t)(r.path - copy);
        v.plen = r.plen;
        v.qoff = r.query ? (size_t)(r.query - copy) : SIZE_MAX;
        v.qlen = r.qlen;
        v.head_len = r.head_len;
        v.seconds = r.seconds;
    } else if (code == HTTP_REQUEST_MORE) {
        CHECK(n < HTTP_HEAD_MAX);
    } else {
        CHECK(code == 400 || code == 431 || code == 505);
        CHECK(code != 431 || n == HTTP_HEAD_MAX);
        CHECK(r.why && *r.why && strlen(r.why) < 200 && !strchr(r.why, '\n'));
        v.why = r.why;
    }
    free(copy);
    return v;
}

static int same(const view *a, const view *b)
{
    return a->code == b->code && a->moff == b->moff && a->mlen == b->mlen &&
           a->poff == b->poff && a->plen == b->plen && a->qoff == b->qoff &&
           a->qlen == b->qlen && a->head_len == b->head_len && a->seconds == b->seconds &&
           (a->why == b->why || (a->why && b->why && !strcmp(a->why, b->why)));
}

static uint32_t next(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *in = (const char *)data + 1;
    size_t n = size - 1 < HTTP_HEAD_MAX ? size - 1 : HTTP_HEAD_MAX;
    uint32_t seed = 0x9e3779b9u ^ data[0] ^ (uint32_t)n << 8;

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
    return 0;
}

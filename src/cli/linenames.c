/*
 * linenames.c - see linenames.h.
 *
 * The asks that get a name are sorted by (function, line), so that each
 * distinct pair is one run: its name is written once and every ask of the
 * run points at it.  Sizes are summed from the lengths given (an upper
 * bound: cleaning never lengthens a path) and checked against the bound
 * before the buffer is made, so the work done is bounded too.
 */
#include "linenames.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { DIGITS_MAX = 20 }; /* of INT64_MIN, its sign too */

static bool wanted(const linenames_ask *a, const size_t *file_len)
{
    return file_len[a->f] > 0 || a->line != 0;
}

static int cmp_ask(const void *a, const void *b)
{
    const linenames_ask *x = a, *y = b;
    if (x->f != y->f)
        return x->f < y->f ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

size_t linenames_clean(char *dst, const char *path, size_t len)
{
    /* Element by element, as Go's filepath.Clean does it: w is the length
     * written, floor where a ".." may no longer remove what is before it
     * (past the root, or past leading ".." of a relative path). */
    bool rooted = len > 0 && path[0] == '/';
    size_t r = 0, w = 0, floor = 0;
    if (rooted) {
        dst[w++] = '/';
        r = floor = 1;
    }
    while (r < len) {
        size_t e = r;
        while (e < len && path[e] != '/')
            e++;
        size_t n = e - r;
        if (n == 0 || (n == 1 && path[r] == '.')) {
            /* "//" or "/./": nothing */
        } else if (n == 2 && path[r] == '.' && path[r + 1] == '.') {
            if (w > floor) {
                while (w > floor && dst[w - 1] != '/')
                    w--;
                if (w > floor)
                    w--; /* the slash before the element removed */
            } else if (!rooted) {
                if (w > 0)
                    dst[w++] = '/';
                dst[w++] = '.';
                dst[w++] = '.';
                floor = w;
            }
        } else {
            if (w > (rooted ? 1u : 0u))
                dst[w++] = '/';
            memcpy(dst + w, path + r, n);
            w += n;
        }
        r = e + 1;
    }
    if (w == 0)
        dst[w++] = '.';
    dst[w] = '\0';
    return w;
}

/* The length of the last component of a cleaned path (all of "/"). */
static size_t base_len(const char *path, size_t len)
{
    size_t b = len;
    while (b > 0 && path[b - 1] != '/')
        b--;
    return len - b ? len - b : len;
}

int linenames_make(linenames *ln, linenames_ask *asks, size_t n, const char *const *func,
                   const size_t *func_len, const char *const *file, const size_t *file_len,
                   const char **names)
{
    memset(ln, 0, sizeof *ln);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (wanted(&asks[i], file_len))
            asks[m++] = asks[i];
    if (m > 1) /* asks may be NULL when there are none, which qsort may not be given */
        qsort(asks, m, sizeof *asks, cmp_ask);
    /* Each name twice at most its parts (the short form is shorter), a
     * space, ':' and the line, and the NULs. */
    size_t bytes = 1;
    for (size_t i = 0; i < m; i++) {
        if (i && !cmp_ask(&asks[i - 1], &asks[i]))
            continue;
        size_t f = asks[i].f;
        if (func_len[f] > LINENAMES_BYTES_MAX || file_len[f] > LINENAMES_BYTES_MAX)
            return E2BIG;
        bytes += 2 * (func_len[f] + file_len[f] + DIGITS_MAX + 3);
        if (bytes > LINENAMES_BYTES_MAX)
            return E2BIG;
    }
    if (!(ln->buf = malloc(bytes)))
        return ENOMEM;
    char *at = ln->buf;
    const char *name = NULL;
    for (size_t i = 0; i < m; i++) {
        if (!i || cmp_ask(&asks[i - 1], &asks[i])) {
            size_t f = asks[i].f;
            char line[DIGITS_MAX + 2] = ""; /* line 0: the file alone, as pprof */
            int nl = asks[i].line ? snprintf(line, sizeof line, ":%" PRId64, asks[i].line) : 0;
            name = at;
            memcpy(at, func[f], func_len[f]);
            at += func_len[f];
            if (func_len[f]) /* a function without a name: "file:line", as pprof */
                *at++ = ' ';
            char *path = at;
            /* No file: none shown (pprof cleans only a file it has). */
            size_t plen = file_len[f] ? linenames_clean(path, file[f], file_len[f]) : 0;
            path[plen] = '\0';
            at += plen;
            memcpy(at, line, (size_t)nl + 1);
            at += nl + 1;
            /* the short form: the function, the path's last component */
            size_t b = base_len(path, plen);
            memcpy(at, func[f], func_len[f]);
            at += func_len[f];
            if (func_len[f])
                *at++ = ' ';
            memmove(at, path + plen - b, b);
            at += b;
            memcpy(at, line, (size_t)nl + 1);
            at += nl + 1;
        }
        names[asks[i].at] = name;
        ln->made++;
    }
    ln->len = (size_t)(at - ln->buf);
    return 0;
}

const char *linenames_short(const linenames *ln, const char *name)
{
    /* Compared as integers: name may point anywhere, and only a pointer
     * into the buffer is one of its names (then the start of one, as
     * linenames.h requires), which its short form follows. */
    uintptr_t p = (uintptr_t)name, b = (uintptr_t)ln->buf;
    if (!ln->buf || p < b || p >= b + ln->len)
        return name;
    return name + strlen(name) + 1;
}

void linenames_free(linenames *ln)
{
    free(ln->buf);
    memset(ln, 0, sizeof *ln);
}

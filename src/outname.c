/*
 * outname.c - HEAPPROF_OUT's codes (see outname.h).
 */
#include "outname.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

enum {
    HOST_MAX = 64,   /* HOST_NAME_MAX: uname's nodename without its NUL */
    NUMBER_MAX = 20, /* the digits of a 64-bit number, or of a long with its sign */
};

/* The longest expansion of the code c, or -1 when c is no code. */
static long code_len(char c)
{
    switch (c) {
    case 'p':
    case 'n':
        return NUMBER_MAX;
    case 'h':
        return HOST_MAX;
    case '%':
        return 1;
    default:
        return -1;
    }
}

long outname_max_len(const char *pattern, const char **bad)
{
    long n = 0;
    for (const char *s = pattern; *s; s++) {
        if (*s != '%') {
            n++;
            continue;
        }
        long c = code_len(s[1]);
        if (c < 0) {
            if (bad)
                *bad = s;
            return -1;
        }
        n += c;
        s++;
    }
    return n;
}

bool outname_uses(const char *pattern, const char *codes)
{
    for (const char *s = pattern; (s = strchr(s, '%')) && s[1]; s += 2)
        if (strchr(codes, s[1]))
            return true;
    return false;
}

static bool host_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.';
}

/* Appends the n bytes of s at *at, when they fit before end (which keeps a
 * byte for the NUL). */
static bool put(char **at, const char *end, const char *s, size_t n)
{
    if ((size_t)(end - *at) < n)
        return false;
    memcpy(*at, s, n);
    *at += n;
    return true;
}

int outname_expand(const char *pattern, const outname_vals *v, char *buf, size_t len)
{
    if (!len)
        return ERANGE;
    char *at = buf, *end = buf + len - 1, num[NUMBER_MAX + 2];
    bool ok = true;
    for (const char *s = pattern; *s && ok; s++) {
        if (*s != '%') {
            ok = put(&at, end, s, 1);
            continue;
        }
        switch (*++s) {
        case '%':
            ok = put(&at, end, "%", 1);
            break;
        case 'p':
            ok = put(&at, end, num, (size_t)snprintf(num, sizeof num, "%ld", v->pid));
            break;
        case 'n':
            ok = put(&at, end, num, (size_t)snprintf(num, sizeof num, "%llu", v->pidns));
            break;
        case 'h': {
            size_t n = v->host ? strnlen(v->host, HOST_MAX) : 0;
            /* "." and ".." would name a directory: /p/%h/x is not /p/x */
            if (!n || strspn(v->host, ".") == n)
                ok = put(&at, end, "_", 1), n = 0;
            for (size_t i = 0; i < n && ok; i++)
                ok = put(&at, end, host_char_ok(v->host[i]) ? &v->host[i] : "_", 1);
            break;
        }
        default:
            buf[0] = '\0';
            return EINVAL;
        }
    }
    if (!ok) {
        buf[0] = '\0';
        return ERANGE;
    }
    *at = '\0';
    return 0;
}

size_t outname_escape(const char *s, char *buf, size_t len)
{
    if (!len)
        return (size_t)-1;
    char *at = buf, *end = buf + len - 1;
    for (; *s; s++)
        if (!put(&at, end, s, 1) || (*s == '%' && !put(&at, end, s, 1))) {
            buf[0] = '\0';
            return (size_t)-1;
        }
    *at = '\0';
    return (size_t)(at - buf);
}

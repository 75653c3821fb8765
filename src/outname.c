/*
 * outname.c - HEAPPROF_OUT's codes (see outname.h).
 */
#include "outname.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

enum {
    HOST_MAX = 64,   /* HOST_NAME_MAX: uname's nodename without its NUL */
    EXE_MAX = 255,   /* NAME_MAX: a file's name */
    NUMBER_MAX = 20, /* the digits of a 64-bit number, or of a long with its sign */
    CODE_MAX = EXE_MAX, /* the longest any code expands to */
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
    case 'e':
        return EXE_MAX;
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

static bool name_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.';
}

/* A name (host, executable) made safe for one path component, into buf:
 * other characters become '_' (a '/' would name a directory), and an empty
 * name, or one of dots only ("..", which would too), is "_".  Its length. */
static size_t safe_name(const char *name, size_t max, char *buf)
{
    size_t n = name ? strnlen(name, max) : 0;
    if (!n || strspn(name, ".") >= n) {
        buf[0] = '_';
        return 1;
    }
    for (size_t i = 0; i < n; i++)
        buf[i] = name_char_ok(name[i]) ? name[i] : '_';
    return n;
}

/* What code c expands to, into buf (CODE_MAX + 1 bytes); its length, or
 * (size_t)-1 for no code.  An unknown executable (exe NULL) is "*". */
static size_t one_code(char c, const outname_vals *v, char *buf)
{
    switch (c) {
    case '%':
        buf[0] = '%';
        return 1;
    case 'p':
        return (size_t)snprintf(buf, CODE_MAX + 1, "%ld", v->pid);
    case 'n':
        return (size_t)snprintf(buf, CODE_MAX + 1, "%llu", v->pidns);
    case 'h':
        return safe_name(v->host, HOST_MAX, buf);
    case 'e':
        if (!v->exe) {
            buf[0] = '*';
            return 1;
        }
        return safe_name(v->exe, EXE_MAX, buf);
    default:
        return (size_t)-1;
    }
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
    char *at = buf, *end = buf + len - 1, val[CODE_MAX + 1];
    for (const char *s = pattern; *s; s++) {
        size_t n = 1;
        const char *from = s;
        if (*s == '%') {
            if ((n = one_code(*++s, v, val)) == (size_t)-1) {
                buf[0] = '\0';
                return EINVAL;
            }
            from = val;
        }
        if (!put(&at, end, from, n)) {
            buf[0] = '\0';
            return ERANGE;
        }
    }
    *at = '\0';
    return 0;
}

/* outname_match, with a budget of steps: each unknown %e tries every
 * length, so a pattern of many (%e%e%e...) would take time exponential in
 * their number; past the budget a name is taken as no match. */
static bool match(const char *pattern, const outname_vals *v, const char *s, const char *end,
                  long *budget)
{
    char val[CODE_MAX + 1];
    for (const char *p = pattern; *p; p++) {
        if (--*budget < 0)
            return false;
        if (*p != '%') {
            if (s == end || *s++ != *p)
                return false;
            continue;
        }
        p++;
        if (*p == 'e' && !v->exe) { /* any name: each length in turn */
            for (const char *t = s + 1; t <= end && name_char_ok(t[-1]); t++)
                if (match(p + 1, v, t, end, budget))
                    return true;
            return false;
        }
        size_t n = one_code(*p, v, val);
        if (n == (size_t)-1 || (size_t)(end - s) < n || memcmp(s, val, n))
            return false;
        s += n;
    }
    return s == end;
}

bool outname_match(const char *pattern, const outname_vals *v, const char *s, size_t len)
{
    long budget = 1L << 20;
    return match(pattern, v, s, s + len, &budget);
}

void outname_exe(const char *target, char *buf, size_t len)
{
    static const char deleted[] = " (deleted)";
    const char *slash = strrchr(target, '/'), *name = slash ? slash + 1 : target;
    size_t n = strlen(name), d = sizeof deleted - 1;
    if (n > d && !strcmp(name + n - d, deleted))
        n -= d;
    snprintf(buf, len, "%.*s", (int)n, name);
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

int outname_absolute(const char *cwd, char *prefix, size_t len)
{
    if (prefix[0] == '/')
        return 0;
    long longest = outname_max_len(prefix, NULL);
    if (longest < 0)
        return EINVAL;
    size_t n = 0, plen = strlen(prefix), cwdlen = strlen(cwd);
    for (const char *q = cwd; *q; q++)
        n += *q == '%' ? 2 : 1;
    size_t slash = cwdlen && cwd[cwdlen - 1] != '/'; /* "/" alone ends in one */
    if (n + slash + ((size_t)longest > plen ? (size_t)longest : plen) >= len)
        return ERANGE;
    /* Escaped straight into prefix, not through a second buffer: the
     * library may run this on the stack of any thread's first malloc. */
    memmove(prefix + n + slash, prefix, plen + 1);
    char *o = prefix;
    for (const char *q = cwd; *q; q++)
        if ((*o++ = *q) == '%')
            *o++ = '%';
    if (slash)
        *o = '/';
    return 0;
}

int outname_dir(char *prefix, size_t len)
{
    static const char name[] = "heapprof";
    struct stat st;
    size_t n = strlen(prefix);
    if (!n || prefix[n - 1] == '/' || stat(prefix, &st) || !S_ISDIR(st.st_mode))
        return 0;
    /* DIR/heapprof rather than DIR/./heapprof */
    bool dot = !strcmp(prefix, ".") || (n >= 2 && !strcmp(prefix + n - 2, "/."));
    size_t at = dot ? n - 1 : n + 1;
    if (at + sizeof name > len)
        return -1;
    if (!dot)
        prefix[n] = '/';
    memcpy(prefix + at, name, sizeof name);
    return 1;
}

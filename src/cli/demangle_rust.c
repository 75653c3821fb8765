/*
 * demangle_rust.c - Rust's legacy symbol names as `go tool pprof` shows
 * them (see demangle_rust.h).
 *
 * A legacy name is an Itanium-style nested name, _ZN <len><ident>... E,
 * whose last identifier is "h" and a 16-hex-digit hash, perhaps followed
 * by a suffix from LLVM (".llvm.1234").  Identifiers hold Rust's text
 * escaped ($LT$ for '<', $u7b$ for '{', ".." for "::").  This is pprof's
 * reading (its demangler's oldRustToString), step for step, quirks
 * included: an underscore after a length is taken as a separator, so
 * "28__rust_begin_short_backtrace" reads "_rust_begin_short_backtrace".
 * __cxa_demangle reads these names as C++ and leaves the hash and the
 * escapes in ("r::main::h086b0cfd890a8ea9", "RawVec$LT$T$GT$").
 */
#include "demangle_rust.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int hex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Appends the identifier id[0..n) to out at *o, its escapes decoded; an
 * escape pprof does not know ends the decoding, the rest copied as is. */
static void put_ident(char *out, size_t *o, const char *id, size_t n)
{
    static const char codes[][3] = {"SP", "BP", "RF", "LT", "GT", "LP", "RP"};
    static const char chars[] = "@*&<>()";
    if (n >= 2 && id[0] == '_' && id[1] == '$') {
        id++;
        n--;
    }
    size_t i = 0;
    while (i < n) {
        if (id[i] == '.' && i + 1 < n && id[i + 1] == '.') {
            out[(*o)++] = ':';
            out[(*o)++] = ':';
            i += 2;
            continue;
        }
        if (id[i] != '$') {
            out[(*o)++] = id[i++];
            continue;
        }
        const char *e = id + i;
        size_t left = n - i;
        int d1, d2;
        if (left > 2 && e[1] == 'C' && e[2] == '$') {
            out[(*o)++] = ',';
            i += 3;
            continue;
        }
        if (left > 4 && e[1] == 'u' && e[4] == '$') {
            d1 = hex_digit(e[2]);
            d2 = hex_digit(e[3]);
            if (d1 >= 0 && d2 >= 0 && d1 <= 7 && (d1 << 4 | d2) >= ' ') {
                out[(*o)++] = (char)(d1 << 4 | d2);
                i += 5;
                continue;
            }
        } else if (left > 3 && e[3] == '$') {
            size_t k = 0;
            while (k < sizeof codes / sizeof codes[0] && memcmp(codes[k], e + 1, 2))
                k++;
            if (k < sizeof codes / sizeof codes[0]) {
                out[(*o)++] = chars[k];
                i += 4;
                continue;
            }
        }
        memcpy(out + *o, e, left); /* not an escape pprof knows */
        *o += left;
        return;
    }
}

char *demangle_rust_legacy(const char *name)
{
    if (strncmp(name, "_ZN", 3))
        return NULL;
    /* The name up to its last "E." (an LLVM suffix), or all of it. */
    size_t len = strlen(name);
    for (size_t i = len; i-- > 3;)
        if (name[i] == 'E' && name[i + 1] == '.') {
            len = i + 1;
            break;
        }
    if (len <= 23 || name[len - 1] != 'E' || memcmp(name + len - 20, "17h", 3))
        return NULL;
    unsigned seen = 0;
    for (size_t i = len - 17; i < len - 1; i++) {
        int d = hex_digit(name[i]);
        if (d < 0)
            return NULL;
        seen |= 1u << d;
    }
    if (__builtin_popcount(seen) < 5) /* a real hash: at least 5 digits */
        return NULL;
    const char *p = name + 3, *end = name + len - 20;
    /* Each identifier of n bytes takes at least n + 1 and gives at most
     * n + 2 ("::"), so twice the input is room enough. */
    char *out = malloc(2 * len + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    while (p < end) {
        if (!is_digit(*p))
            goto fail;
        size_t n = 0;
        while (p < end && is_digit(*p)) {
            n = n * 10 + (size_t)(*p++ - '0');
            if (n > INT32_MAX / 10)
                goto fail;
        }
        if (p < end && *p == '_') { /* pprof's reading: a separator */
            p++;
            if (n-- == 0)
                goto fail;
        }
        if ((size_t)(end - p) < n)
            goto fail;
        if (o) {
            out[o++] = ':';
            out[o++] = ':';
        }
        put_ident(out, &o, p, n);
        p += n;
    }
    out[o] = '\0';
    return out;
fail:
    free(out);
    return NULL;
}

/*
 * svg.c - see svg.h.  Stateless.
 */
#include "svg.h"

#include <math.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (1-4), or 0. */
static size_t utf8_len(const unsigned char *s)
{
    size_t n;
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        n = 2;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        n = 3;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        n = 4;
    else
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    /* overlong 3/4-byte forms, surrogates, beyond U+10FFFF */
    if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
        (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
        return 0;
    /* U+FFFE and U+FFFF are not XML characters */
    if (s[0] == 0xef && s[1] == 0xbf && (s[2] == 0xbe || s[2] == 0xbf))
        return 0;
    return n;
}

void svg_text(FILE *f, const char *s, size_t max)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t chars = 0; *p; chars++) {
        if (chars == max) {
            (void)fputs("\xe2\x80\xa6", f);
            return;
        }
        size_t n = utf8_len(p);
        if (n == 0 || (n == 1 && *p < 0x20 && *p != '\t')) {
            (void)fputc('?', f);
            p++;
            continue;
        }
        switch (*p) {
        case '&': (void)fputs("&amp;", f); break;
        case '<': (void)fputs("&lt;", f); break;
        case '>': (void)fputs("&gt;", f); break;
        case '"': (void)fputs("&quot;", f); break;
        case '\'': (void)fputs("&apos;", f); break;
        default: (void)fwrite(p, 1, n, f);
        }
        p += n;
    }
}

double svg_step(double hi, int want)
{
    if (!(hi > 0))
        return 1;
    double raw = hi / want, mag = pow(10, floor(log10(raw)));
    double r = raw / mag;
    return (r <= 1 ? 1 : r <= 2 ? 2 : r <= 5 ? 5 : 10) * mag;
}

const char *svg_byte_unit(double hi, double *div)
{
    static const char *const names[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    int i = 0;
    *div = 1;
    while (i < 5 && hi / *div >= 1024) {
        *div *= 1024;
        i++;
    }
    return names[i];
}

/*
 * altlink.c - the supplementary file a file's DWARF refers to (see
 * altlink.h).  Every length is checked against the section's bytes;
 * nothing is copied.
 */
#include "altlink.h"

#include <stdint.h>
#include <string.h>

#include "dwarfcursor.h"

bool altlink_parse(const unsigned char *p, size_t n, bool sup, altlink *out)
{
    memset(out, 0, sizeof *out);
    cursor c = { p, p + n, false };
    if (sup) {
        uint64_t version = get_u(&c, 2), flag = get_u(&c, 1);
        if (c.bad || version != 5 || flag > 1)
            return false;
        out->supplementary = flag == 1;
    }
    const unsigned char *nul = c.bad ? NULL : memchr(c.p, 0, (size_t)(c.end - c.p));
    if (!nul || (size_t)(nul - c.p) >= ALTLINK_PATH_MAX)
        return false;
    out->name = (const char *)c.p;
    c.p = nul + 1;
    /* The file that refers names one; the supplementary file none. */
    if ((out->name[0] == '\0') != out->supplementary)
        return false;
    uint64_t idlen = sup ? get_uleb(&c) : (uint64_t)(c.end - c.p);
    if (c.bad || idlen == 0 || idlen > ALTLINK_ID_MAX || idlen > (uint64_t)(c.end - c.p))
        return false;
    out->id = c.p;
    out->idlen = (size_t)idlen;
    return true;
}

bool altlink_path(const char *from, const char *name, char *out, size_t cap)
{
    size_t dir = 0, len = strlen(name);
    if (name[0] != '/') {
        const char *slash = strrchr(from, '/');
        dir = slash ? (size_t)(slash - from) + 1 : 0;
    }
    if (!len || dir >= cap || len >= cap - dir)
        return false;
    memcpy(out, from, dir);
    memcpy(out + dir, name, len + 1);
    return true;
}

void altlink_hex(const altlink *a, char out[static 2 * ALTLINK_ID_MAX + 1])
{
    for (size_t i = 0; i < a->idlen; i++) {
        out[2 * i] = "0123456789abcdef"[a->id[i] >> 4];
        out[2 * i + 1] = "0123456789abcdef"[a->id[i] & 15];
    }
    out[2 * a->idlen] = '\0';
}

bool altlink_same_build_id(const altlink *a, const char *hex)
{
    char want[2 * ALTLINK_ID_MAX + 1];
    altlink_hex(a, want);
    return !strcmp(hex, want);
}

bool altlink_same_sup(const altlink *a, const altlink *s)
{
    return !a->supplementary && s->supplementary && a->idlen == s->idlen &&
           !memcmp(a->id, s->id, a->idlen);
}

/*
 * dwarfcursor.h - bounded reads of DWARF's fixed-size and LEB128 numbers
 * from a buffer, shared by the readers of .debug_line (dwarfline.c) and
 * .debug_info (dwarfinline.c), and the order both read units in.
 *
 * A cursor never reads past its end: a read that would sets `bad`, and it
 * and every read after it give 0, so a parser checks once, after a run of
 * reads, rather than after each.  DWARF is read in the host's byte order,
 * little-endian (x86_64).
 */
#ifndef HEAPPROF_DWARFCURSOR_H
#define HEAPPROF_DWARFCURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cursor {
    const unsigned char *p, *end;
    bool bad; /* a read ran past the end; values read since are 0 */
} cursor;

static inline uint64_t get_u(cursor *c, size_t n)
{
    if (c->bad || (size_t)(c->end - c->p) < n) {
        c->bad = true;
        return 0;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)c->p[i] << (8 * i);
    c->p += n;
    return v;
}

/* A LEB128; a signed one (SLEB128) as the uint64_t of its two's
 * complement (added unsigned: no overflow is undefined). */
static inline uint64_t get_leb(cursor *c, bool sign)
{
    uint64_t v = 0;
    for (unsigned shift = 0; !c->bad; shift += 7) {
        if (c->p == c->end) {
            c->bad = true;
            break;
        }
        unsigned char b = *c->p++;
        if (shift < 64)
            v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            if (sign && shift + 7 < 64 && (b & 0x40))
                v |= ~(uint64_t)0 << (shift + 7);
            return v;
        }
    }
    return 0;
}

static inline uint64_t get_uleb(cursor *c) { return get_leb(c, false); }

static inline uint64_t get_sleb(cursor *c) { return get_leb(c, true); }

static inline void skip(cursor *c, uint64_t n)
{
    if (c->bad || (uint64_t)(c->end - c->p) < n)
        c->bad = true;
    else
        c->p += n;
}

/* The offset of the k-th unit a scan reads into *off: units[k] when a
 * list is given, else the one after the last (*off, which the reader of
 * a unit sets to UINT64_MAX when the section cannot be followed).  false
 * when there is none. */
static inline bool next_unit(const uint64_t *units, size_t nunits, size_t k, uint64_t *off)
{
    if (units) {
        if (k >= nunits)
            return false;
        *off = units[k];
        return true;
    }
    return *off != UINT64_MAX;
}

#endif

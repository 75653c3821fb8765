/*
 * dwarfabbrev.c - whether go tool pprof would find a file's functions
 * nameless in its DWARF (see dwarfabbrev.h).
 *
 * Data: the bytes of a .debug_abbrev section, read as DWARF 2-5 lay it
 * out (DWARF 5, section 7.5.3): tables one after another, each a list of
 * declarations ended by a code of 0.  A declaration is a code (ULEB128),
 * a tag (ULEB128), a children byte, then (attribute, form) pairs of
 * ULEB128s ended by (0, 0); the form DW_FORM_implicit_const carries one
 * more number, an SLEB128.  Nothing is trusted: a number that runs past
 * the end, or a declaration cut short, ends the scan with what was seen.
 */
#include "dwarfabbrev.h"

enum {
    TAG_SUBPROGRAM = 0x2e,
    TAG_SKELETON_UNIT = 0x4a,
    AT_NAME = 0x03,
    AT_LOW_PC = 0x11,
    AT_ABSTRACT_ORIGIN = 0x31,
    AT_SPECIFICATION = 0x47,
    AT_RANGES = 0x55,
    AT_DWO_NAME = 0x76,
    AT_GNU_DWO_NAME = 0x2130,
    FORM_IMPLICIT_CONST = 0x21,
};

/* Reads a LEB128 number at *p (either signedness: only its length and, for
 * codes that fit, its value matter here).  false past the end. */
static bool leb(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
    uint64_t x = 0;
    for (unsigned shift = 0; *p < end; shift += 7) {
        unsigned char b = *(*p)++;
        if (shift < 64)
            x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return true;
        }
    }
    return false;
}

bool dwarfabbrev_nameless_functions(const unsigned char *p, size_t n)
{
    const unsigned char *end = p + n;
    uint64_t code, tag, attr, form, skip;
    while (leb(&p, end, &code)) {
        if (code == 0)
            continue; /* the end of one unit's table; the next may follow */
        if (!leb(&p, end, &tag) || p == end)
            return false;
        p++; /* DW_CHILDREN_yes or _no */
        bool named = false, refers = false, has_pc = false, split = tag == TAG_SKELETON_UNIT;
        for (;;) {
            if (!leb(&p, end, &attr) || !leb(&p, end, &form))
                return false;
            if (attr == 0 && form == 0)
                break;
            if (form == FORM_IMPLICIT_CONST && !leb(&p, end, &skip))
                return false;
            named |= attr == AT_NAME;
            refers |= attr == AT_ABSTRACT_ORIGIN || attr == AT_SPECIFICATION;
            has_pc |= attr == AT_LOW_PC || attr == AT_RANGES;
            split |= attr == AT_DWO_NAME || attr == AT_GNU_DWO_NAME;
        }
        if (split)
            return true;
        if (tag == TAG_SUBPROGRAM && refers && has_pc && !named)
            return true;
    }
    return false;
}

/*
 * dwarfinline_die.c - reading one unit of .debug_info, for dwarfinline.c's
 * walk and dwarfinline_far.c's far units: its header, its abbreviation
 * table (parsed once for the units that share it), an entry and the
 * values of the attributes the reader keeps (die), the code ranges of an
 * entry (DW_AT_low_pc and DW_AT_high_pc, or a range list of .debug_ranges
 * or .debug_rnglists, through .debug_addr's table), and a string (in the
 * entry, or in .debug_str, .debug_line_str, .debug_str_offsets or the
 * supplementary file's .debug_str).
 *
 * It knows DWARF's encodings (DWARF 5, sections 7.5, 7.25 and 7.28) and
 * nothing of the scan: each function reads into the unit it is given.
 * Every read is checked (dwarfcursor.h), and a form it does not know
 * fails the entry; the tables, range lists and strings have caps
 * (ABBREVS_MAX, SPECS_MAX, RANGES_MAX, NAME_MAX_LEN), the abbreviations
 * and range lists are read through a window of at most WINDOW_MAX bytes,
 * and each range decoded counts against the unit's budget (add_range).
 */
#include "dwarfinline_impl.h"

#include <string.h>

#include "dwarfcursor.h"
#include "mem.h"
#include "sort.h"

/* ---- section bytes ----------------------------------------------------------- */

/* Reads the len bytes at off of section sec into *dst (grown to hold
 * them, its capacity in *cap). */
bool dwarfinline_die_load(unit *u, int sec, uint64_t off, size_t len, unsigned char **dst,
                          size_t *cap)
{
    if (len > *cap) {
        unsigned char *p = mem_realloc(*dst, len);
        if (!p) {
            u->oom = true;
            return false;
        }
        *dst = p;
        *cap = len;
    }
    return u->src->read(u->src->ctx, sec, off, *dst, len);
}

/* A cursor on at least WANT_MIN << k bytes of section sec from off, or
 * up to the section's end.  false when k has reached WINDOW_MAX or the
 * end already (a table that does not end there is malformed).  A unit's
 * range lists follow one another in its entries' order: the WINDOW_MIN
 * bytes read for one serve the next ones without another read. */
static bool window(unit *u, int sec, uint64_t off, unsigned k, cursor *c)
{
    uint64_t size = u->src->size[sec];
    size_t want = (size_t)WANT_MIN << k;
    if (off >= size || want > WINDOW_MAX || (k && ((size_t)WANT_MIN << (k - 1)) >= size - off))
        return false;
    size_t need = size - off < want ? (size_t)(size - off) : want;
    if (u->winsec != sec || off < u->winoff || off - u->winoff > u->winlen ||
        u->winlen - (off - u->winoff) < need) {
        size_t len = want > WINDOW_MIN ? want : WINDOW_MIN;
        if (size - off < len)
            len = (size_t)(size - off);
        u->winsec = -1;
        if (!dwarfinline_die_load(u, sec, off, len, &u->win, &u->wincap))
            return false;
        u->winsec = sec;
        u->winoff = off;
        u->winlen = len;
    }
    *c = (cursor){ u->win + (off - u->winoff), u->win + u->winlen, false };
    return true;
}

/* ---- units ------------------------------------------------------------------- */

/* The header of the unit at `at` of .debug_info into u (its offset
 * size, version, address size, offset and total length), its table of
 * abbreviations' offset into *abbrev_off, its first entry's offset in it
 * into *dies.  *next: the unit after it, or UINT64_MAX when the section
 * cannot be followed further.  false: no unit this reader reads (type
 * units included), and u's offset and length unchanged.  A skeleton or
 * split unit (DWARF 5) leaves its dwo_id in u->dwo_id, its type in
 * u->unit_type (dwarfinline_split.c pairs them). */
bool dwarfinline_die_unit_header(unit *u, uint64_t at, uint64_t *abbrev_off, uint64_t *dies,
                                 uint64_t *next)
{
    const dwarfinline_src *src = u->src;
    uint64_t size = src->size[DWARFINLINE_INFO];
    unsigned char head[24];
    *next = UINT64_MAX;
    if (at >= size || size - at < 11)
        return false;
    size_t hn = size - at < sizeof head ? (size_t)(size - at) : sizeof head;
    if (!src->read(src->ctx, DWARFINLINE_INFO, at, head, hn))
        return false;
    cursor c = { head, head + hn, false };
    uint64_t len = get_u(&c, 4);
    u->offsize = 4;
    if (len == 0xffffffffu) {
        len = get_u(&c, 8);
        u->offsize = 8;
    } else if (len >= 0xfffffff0u) {
        return false; /* reserved values: nothing after can be found */
    }
    uint64_t lenbytes = (uint64_t)(c.p - head);
    if (c.bad || len > size - at - lenbytes)
        return false;
    *next = at + lenbytes + len;
    u->version = (int)get_u(&c, 2);
    u->unit_type = 0;
    if (u->version >= 5) {
        unsigned type = (unsigned)get_u(&c, 1);
        u->addrsize = (unsigned)get_u(&c, 1);
        *abbrev_off = get_u(&c, u->offsize);
        /* Type units hold no code of interest here.  A skeleton's entries
         * are in its split unit (dwarfinline_split.c), found by the
         * dwo_id both headers carry. */
        if (type == UT_SKELETON || type == UT_SPLIT_COMPILE)
            u->dwo_id = get_u(&c, 8);
        else if (type != UT_COMPILE && type != UT_PARTIAL)
            return false;
        u->unit_type = type;
    } else {
        *abbrev_off = get_u(&c, u->offsize);
        u->addrsize = (unsigned)get_u(&c, 1);
    }
    *dies = (uint64_t)(c.p - head);
    uint64_t total = lenbytes + len;
    /* The header read from `head` may run past a unit that claims to be
     * shorter than it. */
    if (c.bad || *dies >= total || u->version < 2 || u->version > 5 ||
        (u->addrsize != 4 && u->addrsize != 8) || total > DWARFINLINE_UNIT_MAX)
        return false;
    u->off = at;
    u->total = total;
    return true;
}

/* ---- abbreviations ----------------------------------------------------------- */

static int abbrev_cmp(const void *pa, const void *pb)
{
    const abbrev *a = pa, *b = pb;
    return (a->code > b->code) - (a->code < b->code);
}

/* The size of a value of form `form` when it is fixed, else -1. */
static int form_size(const unit *u, uint64_t form)
{
    switch (form) {
    case FORM_FLAG_PRESENT: case FORM_IMPLICIT_CONST: return 0;
    case FORM_DATA1: case FORM_FLAG: case FORM_REF1: case FORM_STRX1: case FORM_ADDRX1: return 1;
    case FORM_DATA2: case FORM_REF2: case FORM_STRX2: case FORM_ADDRX2: return 2;
    case FORM_STRX3: case FORM_ADDRX3: return 3;
    case FORM_DATA4: case FORM_REF4: case FORM_STRX4: case FORM_ADDRX4: case FORM_REF_SUP4: return 4;
    case FORM_DATA8: case FORM_REF8: case FORM_REF_SIG8: case FORM_REF_SUP8: return 8;
    case FORM_DATA16: return 16;
    case FORM_ADDR: return (int)u->addrsize;
    case FORM_STRP: case FORM_SEC_OFFSET: case FORM_STRP_SUP: case FORM_LINE_STRP:
    case FORM_GNU_REF_ALT: case FORM_GNU_STRP_ALT:
        return (int)u->offsize;
    case FORM_REF_ADDR: return (int)(u->version <= 2 ? u->addrsize : u->offsize);
    default: return -1;
    }
}

/* Parses the table at c; false when it does not end inside c (or a cap). */
static bool parse_abbrevs(unit *u, cursor *c)
{
    u->nabbrevs = u->nspecs = 0;
    for (;;) {
        uint64_t code = get_uleb(c);
        if (c->bad)
            return false;
        if (code == 0)
            break;
        abbrev a = { code, (uint32_t)get_uleb(c), (uint32_t)u->nspecs, 0, 0, get_u(c, 1) != 0 };
        for (;;) {
            uint64_t at = get_uleb(c), form = get_uleb(c);
            if (c->bad)
                return false;
            if (at == 0 && form == 0)
                break;
            int64_t implicit = form == FORM_IMPLICIT_CONST ? (int64_t)get_sleb(c) : 0;
            if (!room(&u->specs, &u->capspecs, u->nspecs, sizeof *u->specs, SPECS_MAX,
                      &u->oom))
                return false;
            u->specs[u->nspecs++] = (attr_spec){ (uint32_t)at, (uint32_t)form, implicit };
            a.nspecs++;
            int size = form_size(u, form);
            a.fixed = a.fixed < 0 || size < 0 || a.fixed > INT32_MAX - 64 ? -1 : a.fixed + size;
        }
        if (!room(&u->abbrevs, &u->capabbrevs, u->nabbrevs, sizeof *u->abbrevs,
                  ABBREVS_MAX, &u->oom))
            return false;
        u->abbrevs[u->nabbrevs++] = a;
    }
    u->dense = true;
    for (size_t i = 0; i < u->nabbrevs && u->dense; i++)
        u->dense = u->abbrevs[i].code == i + 1;
    if (!u->dense)
        sort_array(u->abbrevs, u->nabbrevs, sizeof *u->abbrevs, abbrev_cmp);
    return true;
}

bool dwarfinline_die_load_abbrevs(unit *u, uint64_t off)
{
    if (u->abbrev_valid && u->abbrev_off == off && u->abbrev_addrsize == u->addrsize &&
        u->abbrev_offsize == u->offsize && u->abbrev_version == u->version)
        return true; /* units may share a table: parsed once */
    u->abbrev_valid = false;
    u->stats.abbrev_tables++;
    cursor c;
    for (unsigned k = 0; !u->oom && window(u, DWARFINLINE_ABBREV, off, k, &c); k++)
        if (parse_abbrevs(u, &c)) {
            u->abbrev_valid = true;
            u->abbrev_off = off;
            u->abbrev_addrsize = u->addrsize;
            u->abbrev_offsize = u->offsize;
            u->abbrev_version = u->version;
            return true;
        }
    return false;
}

const abbrev *dwarfinline_die_find_abbrev(const unit *u, uint64_t code)
{
    if (u->dense)
        return code && code <= u->nabbrevs ? &u->abbrevs[code - 1] : NULL;
    size_t lo = 0, hi = u->nabbrevs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (u->abbrevs[mid].code < code)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < u->nabbrevs && u->abbrevs[lo].code == code ? &u->abbrevs[lo] : NULL;
}

/* ---- entries ----------------------------------------------------------------- */

/* One value of *form (DW_FORM_indirect: the form read first) into *v.
 * false for a form this reader does not know the size of. */
static bool form_value(const unit *u, cursor *c, uint32_t *form, int64_t implicit, uint64_t *v)
{
    *v = 0;
    if (*form == FORM_INDIRECT) {
        uint64_t f = get_uleb(c);
        /* implicit_const has its value in the abbreviation, which an
         * indirect form has none of; indirect again could nest. */
        if (f == FORM_INDIRECT || f == FORM_IMPLICIT_CONST || f > UINT32_MAX)
            return false;
        *form = (uint32_t)f;
    }
    switch (*form) {
    case FORM_ADDR: *v = get_u(c, u->addrsize); break;
    case FORM_DATA1: case FORM_FLAG: case FORM_REF1: case FORM_STRX1: case FORM_ADDRX1:
        *v = get_u(c, 1); break;
    case FORM_DATA2: case FORM_REF2: case FORM_STRX2: case FORM_ADDRX2: *v = get_u(c, 2); break;
    case FORM_STRX3: case FORM_ADDRX3: *v = get_u(c, 3); break;
    case FORM_DATA4: case FORM_REF4: case FORM_STRX4: case FORM_ADDRX4: case FORM_REF_SUP4:
        *v = get_u(c, 4); break;
    case FORM_DATA8: case FORM_REF8: case FORM_REF_SIG8: case FORM_REF_SUP8: *v = get_u(c, 8); break;
    case FORM_DATA16: skip(c, 16); break;
    case FORM_SDATA: *v = get_sleb(c); break;
    case FORM_UDATA: case FORM_REF_UDATA: case FORM_STRX: case FORM_ADDRX: case FORM_LOCLISTX:
    case FORM_RNGLISTX: case FORM_GNU_ADDR_INDEX: case FORM_GNU_STR_INDEX:
        *v = get_uleb(c); break;
    case FORM_STRP: case FORM_SEC_OFFSET: case FORM_STRP_SUP: case FORM_LINE_STRP:
    case FORM_GNU_REF_ALT: case FORM_GNU_STRP_ALT:
        *v = get_u(c, u->offsize); break;
    /* DWARF 2 wrote references to other units address-sized. */
    case FORM_REF_ADDR: *v = get_u(c, u->version <= 2 ? u->addrsize : u->offsize); break;
    case FORM_FLAG_PRESENT: *v = 1; break;
    case FORM_IMPLICIT_CONST: *v = (uint64_t)implicit; break;
    case FORM_BLOCK1: skip(c, get_u(c, 1)); break;
    case FORM_BLOCK2: skip(c, get_u(c, 2)); break;
    case FORM_BLOCK4: skip(c, get_u(c, 4)); break;
    case FORM_BLOCK: case FORM_EXPRLOC: skip(c, get_uleb(c)); break;
    case FORM_STRING: {
        const unsigned char *nul = c->bad ? NULL : memchr(c->p, 0, (size_t)(c->end - c->p));
        if (!nul)
            return false;
        *v = (uint64_t)(c->p - u->buf);
        c->p = nul + 1;
        break;
    }
    default: return false;
    }
    return !c->bad;
}

/* Reads the entry at c (its code already read) into *d. */
bool dwarfinline_die_read(const unit *u, cursor *c, const abbrev *ab, die *d)
{
    memset(d, 0, sizeof *d);
    d->ab = ab;
    for (uint32_t k = 0; k < ab->nspecs; k++) {
        const attr_spec *sp = &u->specs[ab->first + k];
        aval a = { sp->form, 0 };
        if (!form_value(u, c, &a.form, sp->implicit, &a.v))
            return false;
        aval *to = NULL;
        switch (sp->at) {
        case AT_NAME: to = &d->name; break;
        case AT_LINKAGE_NAME: case AT_MIPS_LINKAGE_NAME: to = &d->linkage; break;
        case AT_LOW_PC: to = &d->low; break;
        case AT_HIGH_PC: to = &d->high; break;
        case AT_RANGES: to = &d->ranges; break;
        case AT_ABSTRACT_ORIGIN: to = &d->origin; break;
        case AT_SPECIFICATION: to = &d->spec; break;
        case AT_CALL_FILE: to = &d->call_file; break;
        case AT_CALL_LINE: to = &d->call_line; break;
        case AT_DECL_FILE: to = &d->decl_file; break;
        case AT_SIBLING: to = &d->sibling; break;
        case AT_STMT_LIST: to = &d->stmt_list; break;
        case AT_ADDR_BASE: to = &d->addr_base; break;
        case AT_RNGLISTS_BASE: to = &d->rnglists_base; break;
        case AT_STR_OFFSETS_BASE: to = &d->str_offsets_base; break;
        case AT_COMP_DIR: to = &d->comp_dir; break;
        case AT_DWO_NAME: to = &d->dwo_name; break;
        default: break;
        }
        if (to)
            *to = a;
    }
    return true;
}

/* The entry at offset off of the unit's buffer. */
bool dwarfinline_die_at(const unit *u, uint64_t off, die *d)
{
    if (off < u->slo || off - u->slo >= u->len)
        return false;
    cursor c = { u->buf + (off - u->slo), u->buf + u->len, false };
    const abbrev *ab = dwarfinline_die_find_abbrev(u, get_uleb(&c));
    return !c.bad && ab && dwarfinline_die_read(u, &c, ab, d);
}

/* The offset in the unit of the entry reference a points at; false for
 * one into another unit or file. */
bool dwarfinline_die_ref_of(const unit *u, const aval *a, uint64_t *off)
{
    switch (a->form) {
    case FORM_REF1: case FORM_REF2: case FORM_REF4: case FORM_REF8: case FORM_REF_UDATA:
        *off = a->v;
        break;
    case FORM_REF_ADDR:
        if (a->v < u->off)
            return false;
        *off = a->v - u->off;
        break;
    default: return false;
    }
    return *off < u->total;
}

/* Entry idx of .debug_addr's table for the unit (a split unit's is in
 * its skeleton's file: u->asrc). */
static bool addrx(unit *u, uint64_t idx, uint64_t *out)
{
    unsigned char b[8];
    const dwarfinline_src *as = u->asrc ? u->asrc : u->src;
    uint64_t size = as->size[DWARFINLINE_ADDR];
    if (!u->has_addr_base || idx > size / u->addrsize || u->addr_base > size ||
        idx * u->addrsize > size - u->addr_base ||
        size - u->addr_base - idx * u->addrsize < u->addrsize ||
        !as->read(as->ctx, DWARFINLINE_ADDR, u->addr_base + idx * u->addrsize, b, u->addrsize))
        return false;
    cursor c = { b, b + u->addrsize, false };
    *out = get_u(&c, u->addrsize);
    return true;
}

bool dwarfinline_die_addr_of(unit *u, const aval *a, uint64_t *out)
{
    switch (a->form) {
    case FORM_ADDR: *out = a->v; return true;
    case FORM_ADDRX: case FORM_ADDRX1: case FORM_ADDRX2: case FORM_ADDRX3: case FORM_ADDRX4:
    case FORM_GNU_ADDR_INDEX:
        return addrx(u, a->v, out);
    default: return false;
    }
}

/* ---- ranges ------------------------------------------------------------------ */

/* Adds [lo, hi) to the entry's ranges, unless empty or discarded: GNU ld
 * sets a discarded function's addresses to 0, lld to all ones; such a
 * range, from 0 up by the function's length, would claim real code. */
static bool add_range(unit *u, uint64_t lo, uint64_t hi)
{
    u->stats.ranges++;
    if (++u->work > u->budget)
        return false;
    uint64_t ones = u->addrsize == 8 ? UINT64_MAX : UINT32_MAX;
    if (lo == 0 || lo >= ones || hi <= lo)
        return true;
    if (!room(&u->rng, &u->caprng, u->nrng, sizeof *u->rng, RANGES_MAX, &u->oom))
        return false;
    u->rng[u->nrng][0] = lo;
    u->rng[u->nrng++][1] = hi;
    return true;
}

/* DWARF 2-4's list in .debug_ranges at c: pairs of addresses, offsets from
 * the base address, which an all-ones first one sets; 0, 0 ends it. */
static bool old_ranges(unit *u, cursor *c)
{
    uint64_t ones = u->addrsize == 8 ? UINT64_MAX : UINT32_MAX, base = u->base;
    for (size_t k = 0; k < RANGES_MAX; k++) {
        uint64_t a = get_u(c, u->addrsize), b = get_u(c, u->addrsize);
        if (c->bad)
            return false;
        if (a == 0 && b == 0)
            return true;
        if (a == ones)
            base = b;
        else if (!add_range(u, base + a, base + b))
            return false;
    }
    return false;
}

/* DWARF 5's list in .debug_rnglists at c (7.25). */
static bool new_ranges(unit *u, cursor *c)
{
    uint64_t base = u->base;
    for (size_t k = 0; k < RANGES_MAX; k++) {
        uint64_t a = 0, b = 0, kind = get_u(c, 1);
        bool ok = true, add = true;
        switch (kind) {
        case RLE_END_OF_LIST: return !c->bad;
        case RLE_BASE_ADDRESSX: ok = addrx(u, get_uleb(c), &base); add = false; break;
        case RLE_STARTX_ENDX: ok = addrx(u, get_uleb(c), &a) && addrx(u, get_uleb(c), &b); break;
        case RLE_STARTX_LENGTH: ok = addrx(u, get_uleb(c), &a); b = a + get_uleb(c); break;
        case RLE_OFFSET_PAIR: a = base + get_uleb(c); b = base + get_uleb(c); break;
        case RLE_BASE_ADDRESS: base = get_u(c, u->addrsize); add = false; break;
        case RLE_START_END: a = get_u(c, u->addrsize); b = get_u(c, u->addrsize); break;
        case RLE_START_LENGTH: a = get_u(c, u->addrsize); b = a + get_uleb(c); break;
        default: return false;
        }
        if (!ok || c->bad || (add && !add_range(u, a, b)))
            return false;
    }
    return false;
}

/* Where the range list of DW_AT_ranges value a lies. */
static bool ranges_off(unit *u, const aval *a, uint64_t *off)
{
    if (a->form != FORM_RNGLISTX) {
        *off = a->v;
        return is_const(a->form) || a->form == FORM_SEC_OFFSET;
    }
    /* rnglistx: an index into the offsets that follow the list table's
     * header, themselves relative to that point (7.28). */
    unsigned char b[8];
    uint64_t size = u->src->size[DWARFINLINE_RNGLISTS], at;
    if (!u->has_rnglists_base || u->rnglists_base > size || a->v > size / u->offsize)
        return false;
    at = u->rnglists_base + a->v * u->offsize;
    if (at > size || size - at < u->offsize ||
        !u->src->read(u->src->ctx, DWARFINLINE_RNGLISTS, at, b, u->offsize))
        return false;
    cursor c = { b, b + u->offsize, false };
    *off = u->rnglists_base + get_u(&c, u->offsize);
    return true;
}

/* The code ranges of entry d into u->rng.  false: they cannot be read
 * (the unit is not to be trusted further). */
bool dwarfinline_die_ranges(unit *u, const die *d)
{
    u->nrng = 0;
    if (d->low.form && d->high.form) {
        uint64_t lo, hi;
        if (!dwarfinline_die_addr_of(u, &d->low, &lo))
            return false;
        if (is_const(d->high.form))
            hi = lo + d->high.v;
        else if (!dwarfinline_die_addr_of(u, &d->high, &hi))
            return false;
        return add_range(u, lo, hi);
    }
    if (!d->ranges.form)
        return true; /* no code, or a single address (low_pc alone) */
    uint64_t off;
    int sec = u->version >= 5 ? DWARFINLINE_RNGLISTS : DWARFINLINE_RANGES;
    if (!ranges_off(u, &d->ranges, &off))
        return false;
    cursor c;
    for (unsigned k = 0; !u->oom && window(u, sec, off, k, &c); k++) {
        u->nrng = 0;
        if (u->version >= 5 ? new_ranges(u, &c) : old_ranges(u, &c))
            return true;
        if (!c.bad || u->nrng >= RANGES_MAX)
            return false; /* malformed, not cut short by the window */
    }
    return false;
}

/* ---- strings ----------------------------------------------------------------- */

/* Appends string a, read from an entry of unit `from` (u or a far one),
 * with its NUL to u->text; its offset there in *at.  The string is in
 * from's file, or in its supplementary file (dwz's DW_FORM_GNU_strp_alt,
 * DWARF 5's DW_FORM_strp_sup).  "" too: a compilation directory may be
 * empty (put_str, for names, refuses it). */
bool dwarfinline_die_put_str_any(unit *u, const unit *from, const aval *a, size_t *at)
{
    const dwarfinline_src *src = from->src;
    int sec;
    uint64_t off = a->v;
    switch (a->form) {
    case FORM_STRING: {
        const char *s = (const char *)from->buf + a->v; /* form_value checked its NUL */
        size_t len = strlen(s);
        if (len >= NAME_MAX_LEN || !text_room(u, len + 1))
            return false;
        *at = u->ntext;
        memcpy(u->text + u->ntext, s, len + 1);
        u->ntext += len + 1;
        return true;
    }
    case FORM_STRP: sec = DWARFLINE_STR; break;
    case FORM_LINE_STRP: sec = DWARFLINE_LINE_STR; break;
    case FORM_GNU_STRP_ALT: case FORM_STRP_SUP:
        /* A supplementary file's own entries name no other file. */
        if (src != u->src || !(src = src->alt))
            return false;
        sec = DWARFLINE_STR;
        break;
    case FORM_STRX: case FORM_STRX1: case FORM_STRX2: case FORM_STRX3: case FORM_STRX4:
    case FORM_GNU_STR_INDEX: {
        unsigned char b[8];
        uint64_t size = src->size[DWARFINLINE_STR_OFFSETS];
        if (!from->has_str_offsets_base || from->str_offsets_base > size ||
            a->v > size / from->offsize)
            return false;
        uint64_t p = from->str_offsets_base + a->v * from->offsize;
        if (p > size || size - p < from->offsize ||
            !src->read(src->ctx, DWARFINLINE_STR_OFFSETS, p, b, from->offsize))
            return false;
        cursor c = { b, b + from->offsize, false };
        off = get_u(&c, from->offsize);
        sec = DWARFLINE_STR;
        break;
    }
    default: return false;
    }
    uint64_t size = src->size[sec];
    size_t start = u->ntext;
    while (off < size && u->ntext - start < NAME_MAX_LEN) {
        size_t n = size - off < STR_CHUNK ? (size_t)(size - off) : STR_CHUNK;
        if (!text_room(u, n) || !src->read(src->ctx, sec, off, u->text + u->ntext, n))
            break;
        const char *nul = memchr(u->text + u->ntext, 0, n);
        if (nul) {
            u->ntext = (size_t)(nul - u->text) + 1;
            *at = start;
            return true;
        }
        u->ntext += n;
        off += n;
    }
    u->ntext = start;
    return false;
}

/*
 * cfi.c - see cfi.h.
 *
 * The formats are those of the LSB (.eh_frame, .eh_frame_hdr, pointer
 * encodings) and DWARF 4 section 6.4 (the call frame instructions).  Only
 * what GCC, Clang and glibc's assembly emit for x86-64 code is followed;
 * the rest answers CFI_UNSUPPORTED rather than a guess.
 */
#define _GNU_SOURCE
#include "cfi.h"

#include <dlfcn.h>
#include <string.h>

/* DWARF register numbers on x86-64. */
enum { REG_RBP = 6, REG_RSP = 7 }; /* the return address: the CIE says */

/* Pointer encodings (DW_EH_PE_*). */
enum {
    PE_ABSPTR = 0x00, PE_ULEB = 0x01, PE_UDATA2 = 0x02, PE_UDATA4 = 0x03, PE_UDATA8 = 0x04,
    PE_SLEB = 0x09, PE_SDATA2 = 0x0a, PE_SDATA4 = 0x0b, PE_SDATA8 = 0x0c,
    PE_PCREL = 0x10, PE_DATAREL = 0x30, PE_INDIRECT = 0x80, PE_OMIT = 0xff,
};

/* A byte reader that stops at `end`: a malformed section gives an error,
 * never a read past the entry. */
typedef struct reader {
    const uint8_t *p, *end;
    bool bad;
} reader;

static uint64_t rd_fixed(reader *r, int size)
{
    if (r->end - r->p < size) {
        r->bad = true;
        r->p = r->end;
        return 0;
    }
    uint64_t v = 0;
    memcpy(&v, r->p, (size_t)size); /* little-endian: the low bytes */
    r->p += size;
    return v;
}

/* LEB128: at most 10 bytes make 64 bits; a longer one is malformed. */
static uint64_t rd_uleb(reader *r)
{
    uint64_t v = 0;
    for (int shift = 0; r->p < r->end && shift < 70; shift += 7) {
        uint8_t b = *r->p++;
        if (shift < 64)
            v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    r->bad = true;
    return 0;
}

static int64_t rd_sleb(reader *r)
{
    uint64_t v = 0;
    int shift = 0;
    while (r->p < r->end && shift < 70) {
        uint8_t b = *r->p++;
        if (shift < 64)
            v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80)) {
            if (shift < 64 && (b & 0x40))
                v |= ~(uint64_t)0 << shift;
            return (int64_t)v;
        }
    }
    r->bad = true;
    return 0;
}

/* A length-prefixed block (a DWARF expression): skipped, never run. */
static void skip_block(reader *r)
{
    uint64_t len = rd_uleb(r);
    if (len > (uint64_t)(r->end - r->p))
        r->bad = true;
    else
        r->p += len;
}

/* An encoded pointer.  datarel is the base of PE_DATAREL (the
 * .eh_frame_hdr's start).  An indirect one is refused: only a personality
 * routine's is ever indirect, and its caller skips it with the bit
 * cleared, never needing its value. */
static uintptr_t rd_encoded(reader *r, uint8_t enc, uintptr_t datarel)
{
    const uint8_t *at = r->p;
    uint64_t v;
    if (enc & PE_INDIRECT) {
        r->bad = true;
        return 0;
    }
    switch (enc & 0x0f) {
    case PE_ABSPTR:
    case PE_UDATA8:
    case PE_SDATA8: v = rd_fixed(r, 8); break;
    case PE_ULEB: v = rd_uleb(r); break;
    case PE_UDATA2: v = rd_fixed(r, 2); break;
    case PE_UDATA4: v = rd_fixed(r, 4); break;
    case PE_SLEB: v = (uint64_t)rd_sleb(r); break;
    case PE_SDATA2: v = (uint64_t)(int64_t)(int16_t)rd_fixed(r, 2); break;
    case PE_SDATA4: v = (uint64_t)(int64_t)(int32_t)rd_fixed(r, 4); break;
    default: r->bad = true; return 0;
    }
    switch (enc & 0x70) {
    case 0: break;
    case PE_PCREL: v += (uintptr_t)at; break;
    case PE_DATAREL: v += datarel; break;
    default: r->bad = true; /* text-, function-relative, aligned: not in ELF objects */
    }
    return (uintptr_t)v;
}

/* Whether [p, p + n) lies within in. */
static bool within(cfi_span in, const uint8_t *p, uint64_t n)
{
    uintptr_t a = (uintptr_t)p;
    return a >= in.lo && a <= in.hi && n <= in.hi - a;
}

/* cfi_find_fde; *rc says why there is none: CFI_MALFORMED for a table
 * that does not fit in the object, CFI_NO_FDE otherwise. */
static const uint8_t *find_fde(const uint8_t *hdr, uintptr_t pc, cfi_span in, int *rc)
{
    *rc = CFI_NO_FDE;
    /* version, eh_frame_ptr_enc, fde_count_enc, table_enc, then
     * eh_frame_ptr, fde_count and the table of (initial location, FDE)
     * pairs sorted by location. */
    if (!hdr || !within(in, hdr, 4) || hdr[0] != 1 || hdr[2] == PE_OMIT ||
        hdr[3] != (PE_DATAREL | PE_SDATA4))
        return NULL;
    uintptr_t room = in.hi - (uintptr_t)(hdr + 4);
    reader r = {hdr + 4, hdr + 4 + (room < 16 ? room : 16), false};
    rd_encoded(&r, hdr[1], (uintptr_t)hdr);
    uint64_t count = rd_encoded(&r, hdr[2], (uintptr_t)hdr);
    /* The whole table within the object: a count written over would send
     * the search anywhere. */
    if (r.bad || count == 0)
        return NULL;
    if (count > (in.hi - (uintptr_t)r.p) / 8) {
        *rc = CFI_MALFORMED;
        return NULL;
    }
    const uint8_t *table = r.p;
    /* The last entry whose location is <= pc. */
    uint64_t lo = 0, hi = count;
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        int32_t loc;
        memcpy(&loc, table + mid * 8, 4);
        if ((uintptr_t)hdr + (intptr_t)loc <= pc)
            lo = mid;
        else
            hi = mid;
    }
    int32_t loc, fde;
    memcpy(&loc, table + lo * 8, 4);
    memcpy(&fde, table + lo * 8 + 4, 4);
    if ((uintptr_t)hdr + (intptr_t)loc > pc)
        return NULL;
    return hdr + fde;
}

const uint8_t *cfi_find_fde(const uint8_t *hdr, uintptr_t pc, cfi_span in)
{
    int rc;
    return find_fde(hdr, pc, in, &rc);
}

/* An entry's length field; returns its end, or NULL if it is the
 * terminator or malformed, or does not lie within in.  r is left at the
 * CIE id / CIE pointer. */
static const uint8_t *entry_open(reader *r, const uint8_t *at, cfi_span in)
{
    if (!within(in, at, 4))
        return NULL;
    uintptr_t room = in.hi - (uintptr_t)at;
    r->p = at;
    r->end = at + (room < 12 ? room : 12);
    r->bad = false;
    uint64_t len = rd_fixed(r, 4);
    if (len == 0xffffffff)
        len = rd_fixed(r, 8);
    if (r->bad || len == 0 || len > (1u << 30) || !within(in, r->p, len))
        return NULL;
    r->end = r->p + len;
    return r->end;
}

/* What the CIE says about its FDEs. */
typedef struct cie_info {
    uint64_t code_align;
    int64_t data_align;
    uint64_t ra_reg;
    uint8_t fde_enc;
    bool has_aug_data; /* 'z': FDEs carry an augmentation data length */
    const uint8_t *insns, *insns_end;
} cie_info;

static int cie_parse(const uint8_t *cie, cfi_span in, cie_info *ci)
{
    reader r;
    if (!entry_open(&r, cie, in))
        return CFI_MALFORMED;
    if (rd_fixed(&r, 4) != 0)
        return CFI_MALFORMED; /* an .eh_frame CIE's id is 0 */
    uint8_t version = (uint8_t)rd_fixed(&r, 1);
    if (version != 1 && version != 3 && version != 4)
        return CFI_UNSUPPORTED;
    const char *aug = (const char *)r.p;
    size_t aug_len = strnlen(aug, (size_t)(r.end - r.p));
    if (aug_len == (size_t)(r.end - r.p))
        return CFI_MALFORMED;
    r.p += aug_len + 1;
    if (version == 4) {
        if (rd_fixed(&r, 1) != 8 || rd_fixed(&r, 1) != 0)
            return CFI_UNSUPPORTED; /* address size 8, no segments */
    }
    ci->code_align = rd_uleb(&r);
    ci->data_align = rd_sleb(&r);
    ci->ra_reg = version == 1 ? rd_fixed(&r, 1) : rd_uleb(&r);
    ci->fde_enc = PE_ABSPTR;
    ci->has_aug_data = aug[0] == 'z';
    if (ci->has_aug_data) {
        uint64_t len = rd_uleb(&r);
        if (len > (uint64_t)(r.end - r.p))
            return CFI_MALFORMED;
        reader a = {r.p, r.p + len, false};
        r.p += len;
        for (const char *c = aug + 1; *c; c++) {
            if (*c == 'R') {
                ci->fde_enc = (uint8_t)rd_fixed(&a, 1);
            } else if (*c == 'P') {
                uint8_t enc = (uint8_t)rd_fixed(&a, 1);
                rd_encoded(&a, enc & ~PE_INDIRECT, 0);
            } else if (*c == 'L') {
                rd_fixed(&a, 1);
            } else if (*c == 'S') {
                /* A signal frame: every register is saved in the kernel's
                 * ucontext, by expressions.  libunwind's business. */
                return CFI_UNSUPPORTED;
            } else {
                break; /* unknown: the length above still skips its data */
            }
        }
        if (a.bad)
            return CFI_MALFORMED;
    } else if (aug[0]) {
        return CFI_UNSUPPORTED; /* e.g. the pre-'z' "eh" of very old GCC */
    }
    if (r.bad || ci->code_align == 0)
        return CFI_MALFORMED;
    ci->insns = r.p;
    ci->insns_end = r.end;
    return CFI_OK;
}

/* How a tracked register is recovered. */
typedef enum { R_SAME, R_OFFSET, R_UNDEF, R_OTHER } how;

typedef struct row {
    uint64_t cfa_reg;
    int64_t cfa_off;
    bool cfa_expr;
    how ra, rbp;
    int64_t ra_off, rbp_off;
} row;

typedef struct machine {
    row cur, initial; /* initial: after the CIE's instructions (DW_CFA_restore) */
    row saved[8];     /* DW_CFA_remember_state */
    int nsaved;
    uintptr_t loc, pc;
    const cie_info *ci;
} machine;

/* n * align without signed overflow on a malformed entry (wraps instead). */
static int64_t scaled(uint64_t n, int64_t align) { return (int64_t)(n * (uint64_t)align); }

static void set_rule(machine *m, uint64_t reg, how h, int64_t off)
{
    if (reg == m->ci->ra_reg) {
        m->cur.ra = h;
        m->cur.ra_off = off;
    } else if (reg == REG_RBP) {
        m->cur.rbp = h;
        m->cur.rbp_off = off;
    }
    /* Other registers play no part in finding the caller's frame. */
}

static void restore_rule(machine *m, uint64_t reg)
{
    if (reg == m->ci->ra_reg) {
        m->cur.ra = m->initial.ra;
        m->cur.ra_off = m->initial.ra_off;
    } else if (reg == REG_RBP) {
        m->cur.rbp = m->initial.rbp;
        m->cur.rbp_off = m->initial.rbp_off;
    }
}

/* Runs instructions [p, end) until the location passes pc.  Returns
 * CFI_OK, or an error. */
static int run(machine *m, const uint8_t *p, const uint8_t *end)
{
    reader r = {p, end, false};
    const cie_info *ci = m->ci;
    while (r.p < r.end && !r.bad) {
        uint8_t op = (uint8_t)rd_fixed(&r, 1);
        uint64_t reg, adv = 0;
        switch (op >> 6) {
        case 1: /* DW_CFA_advance_loc */
            adv = op & 0x3f;
            goto advance;
        case 2: /* DW_CFA_offset */
            set_rule(m, op & 0x3f, R_OFFSET, scaled(rd_uleb(&r), ci->data_align));
            continue;
        case 3: /* DW_CFA_restore */
            restore_rule(m, op & 0x3f);
            continue;
        default: break;
        }
        switch (op) {
        case 0x00: /* nop */
            break;
        case 0x01: /* set_loc */
            m->loc = rd_encoded(&r, ci->fde_enc, 0);
            if (m->loc > m->pc)
                return CFI_OK;
            break;
        case 0x02: adv = rd_fixed(&r, 1); goto advance;
        case 0x03: adv = rd_fixed(&r, 2); goto advance;
        case 0x04: adv = rd_fixed(&r, 4); goto advance;
        case 0x05: /* offset_extended */
            reg = rd_uleb(&r);
            set_rule(m, reg, R_OFFSET, scaled(rd_uleb(&r), ci->data_align));
            break;
        case 0x06: restore_rule(m, rd_uleb(&r)); break;
        case 0x07: set_rule(m, rd_uleb(&r), R_UNDEF, 0); break;
        case 0x08: set_rule(m, rd_uleb(&r), R_SAME, 0); break;
        case 0x09: /* register: kept in another register */
            reg = rd_uleb(&r);
            rd_uleb(&r);
            set_rule(m, reg, R_OTHER, 0);
            break;
        case 0x0a: /* remember_state */
            if (m->nsaved == (int)(sizeof m->saved / sizeof m->saved[0]))
                return CFI_UNSUPPORTED;
            m->saved[m->nsaved++] = m->cur;
            break;
        case 0x0b: /* restore_state: the CFA too, as GCC's unwinder does */
            if (m->nsaved == 0)
                return CFI_MALFORMED;
            m->cur = m->saved[--m->nsaved];
            break;
        case 0x0c: /* def_cfa */
            m->cur.cfa_reg = rd_uleb(&r);
            m->cur.cfa_off = (int64_t)rd_uleb(&r);
            m->cur.cfa_expr = false;
            break;
        case 0x0d: m->cur.cfa_reg = rd_uleb(&r); m->cur.cfa_expr = false; break;
        case 0x0e: m->cur.cfa_off = (int64_t)rd_uleb(&r); break;
        case 0x0f: /* def_cfa_expression */
            skip_block(&r);
            m->cur.cfa_expr = true;
            break;
        case 0x10: /* expression */
        case 0x16: /* val_expression */
            reg = rd_uleb(&r);
            skip_block(&r);
            set_rule(m, reg, R_OTHER, 0);
            break;
        case 0x11: /* offset_extended_sf */
            reg = rd_uleb(&r);
            set_rule(m, reg, R_OFFSET, scaled((uint64_t)rd_sleb(&r), ci->data_align));
            break;
        case 0x12: /* def_cfa_sf */
            m->cur.cfa_reg = rd_uleb(&r);
            m->cur.cfa_off = scaled((uint64_t)rd_sleb(&r), ci->data_align);
            m->cur.cfa_expr = false;
            break;
        case 0x13: m->cur.cfa_off = scaled((uint64_t)rd_sleb(&r), ci->data_align); break;
        case 0x14: /* val_offset */
        case 0x15: /* val_offset_sf */
            reg = rd_uleb(&r);
            if (op == 0x14)
                rd_uleb(&r);
            else
                rd_sleb(&r);
            set_rule(m, reg, R_OTHER, 0);
            break;
        case 0x2e: rd_uleb(&r); break; /* GNU_args_size */
        case 0x2f: /* GNU_negative_offset_extended */
            reg = rd_uleb(&r);
            set_rule(m, reg, R_OFFSET, scaled(0 - rd_uleb(&r), ci->data_align));
            break;
        default: return CFI_UNSUPPORTED;
        }
        continue;
    advance:
        m->loc += adv * ci->code_align;
        if (m->loc > m->pc)
            return CFI_OK;
    }
    return r.bad ? CFI_MALFORMED : CFI_OK;
}

int cfi_eval(const uint8_t *fde, uintptr_t pc, cfi_span in, cfi_rule *out)
{
    reader r;
    if (!fde || !entry_open(&r, fde, in))
        return CFI_MALFORMED;
    const uint8_t *id_at = r.p;
    uint32_t cie_ptr = (uint32_t)rd_fixed(&r, 4);
    if (r.bad || cie_ptr == 0)
        return CFI_MALFORMED; /* 0 would make this a CIE */
    cie_info ci;
    /* As an address: a pointer written over may point below the object
     * (entry_open then refuses it). */
    int err = cie_parse((const uint8_t *)((uintptr_t)id_at - cie_ptr), in, &ci);
    if (err)
        return err;
    uintptr_t begin = rd_encoded(&r, ci.fde_enc, 0);
    uintptr_t range = rd_encoded(&r, ci.fde_enc & 0x0f, 0);
    if (ci.has_aug_data) {
        uint64_t len = rd_uleb(&r);
        if (len > (uint64_t)(r.end - r.p))
            return CFI_MALFORMED;
        r.p += len;
    }
    if (r.bad)
        return CFI_MALFORMED;
    if (pc < begin || pc - begin >= range)
        return CFI_NO_FDE;

    machine m = {.ci = &ci, .loc = begin, .pc = pc};
    m.cur = (row){.cfa_reg = REG_RSP, .ra = R_SAME, .rbp = R_SAME};
    /* The CIE's instructions hold at every location of the function. */
    m.pc = UINTPTR_MAX;
    err = run(&m, ci.insns, ci.insns_end);
    m.pc = pc;
    m.loc = begin;
    m.nsaved = 0;
    m.initial = m.cur;
    if (!err)
        err = run(&m, r.p, r.end);
    if (err)
        return err;

    const row *w = &m.cur;
    *out = (cfi_rule){0};
    if (w->ra == R_UNDEF) {
        out->end = true; /* the outermost frame (_start, a thread's start) */
        return CFI_OK;
    }
    if (w->cfa_expr || (w->cfa_reg != REG_RSP && w->cfa_reg != REG_RBP) || w->ra != R_OFFSET ||
        (w->rbp != R_SAME && w->rbp != R_OFFSET))
        return CFI_UNSUPPORTED;
    out->cfa_rbp = w->cfa_reg == REG_RBP;
    out->cfa_off = w->cfa_off;
    out->ra_off = w->ra_off;
    out->rbp_saved = w->rbp == R_OFFSET;
    out->rbp_off = w->rbp_off;
    return CFI_OK;
}

#if defined(DLFO_EH_SEGMENT_TYPE) && defined(__x86_64__)
bool cfi_available(void) { return true; }

int cfi_rule_at(uintptr_t pc, cfi_rule *out)
{
    struct dl_find_object obj;
    if (_dl_find_object((void *)pc, &obj) != 0 || !obj.dlfo_eh_frame)
        return CFI_NO_FDE;
    /* The object's whole mapping: the sections' own bounds are not mapped
     * (an object needs no section headers), and PT_GNU_EH_FRAME's size is
     * .eh_frame_hdr's alone.  What it lets through is memory the loader
     * mapped, but for the PROT_NONE gaps it leaves between segments that
     * are not adjacent. */
    cfi_span in = {(uintptr_t)obj.dlfo_map_start, (uintptr_t)obj.dlfo_map_end};
    int rc;
    const uint8_t *fde = find_fde(obj.dlfo_eh_frame, pc, in, &rc);
    return fde ? cfi_eval(fde, pc, in, out) : rc;
}
#else
/* glibc before 2.35 has no lock-free way to find an object's CFI; and the
 * walker knows x86-64's registers only. */
bool cfi_available(void) { return false; }

int cfi_rule_at(uintptr_t pc, cfi_rule *out)
{
    (void)pc;
    (void)out;
    return CFI_NO_FDE;
}
#endif

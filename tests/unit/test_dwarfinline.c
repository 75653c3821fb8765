/* Unit tests: inlined functions at addresses from .debug_info
 * (src/dwarfinline.h), on units written out by hand in the layout of
 * DWARF 5 sections 7.5 (DWARF 4 and 5), with their abbreviations, line
 * headers, range lists and address tables; and on cut and hostile ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dwarfinline.h"
#include "mem.h"

enum {
    T_CU = 0x11, T_SUB = 0x2e, T_INL = 0x1d, T_BLOCK = 0x0b,
    A_SIBLING = 0x01, A_NAME = 0x03, A_STMT = 0x10, A_LOW = 0x11, A_HIGH = 0x12,
    A_ORIGIN = 0x31, A_SPEC = 0x47, A_RANGES = 0x55, A_CFILE = 0x58, A_CLINE = 0x59,
    A_LINKAGE = 0x6e, A_STROFF_BASE = 0x72, A_ADDR_BASE = 0x73, A_RNG_BASE = 0x74,
    A_DECL_FILE = 0x3a, A_COMP_DIR = 0x1b,
    F_ADDR = 0x01, F_DATA2 = 0x05, F_DATA4 = 0x06, F_DATA8 = 0x07, F_STRING = 0x08,
    F_DATA1 = 0x0b, F_STRP = 0x0e, F_UDATA = 0x0f, F_REF_ADDR = 0x10, F_REF4 = 0x13,
    F_INDIRECT = 0x16, F_SEC_OFFSET = 0x17, F_STRX1 = 0x25, F_ADDRX = 0x1b, F_ADDRX1 = 0x29,
    F_IMPLICIT = 0x21, F_RNGLISTX = 0x23, F_LINE_STRP = 0x1f,
};

/* ---- building sections ---------------------------------------------------- */

typedef struct buf {
    unsigned char b[1 << 17];
    size_t n;
} buf;

static void u8(buf *b, uint64_t v) { b->b[b->n++] = (unsigned char)v; }
static void un(buf *b, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        u8(b, v >> (8 * i));
}
static void uleb(buf *b, uint64_t v)
{
    do {
        u8(b, (v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
        v >>= 7;
    } while (v);
}
static void str(buf *b, const char *s)
{
    size_t n = strlen(s) + 1;
    memcpy(b->b + b->n, s, n);
    b->n += n;
}
static uint64_t put_str(buf *b, const char *s)
{
    uint64_t off = b->n;
    str(b, s);
    return off;
}
static void patch(buf *b, size_t at, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        b->b[at + (size_t)i] = (unsigned char)(v >> (8 * i));
}

/* The sections, in dwarfinline.h's order. */
static buf sec[DWARFINLINE_NSECS];
#define INFO sec[DWARFINLINE_INFO]
#define ABBREV sec[DWARFINLINE_ABBREV]
#define LINE sec[DWARFLINE_LINE]
#define STR sec[DWARFLINE_STR]
#define LINE_STR sec[DWARFLINE_LINE_STR]
#define RANGES sec[DWARFINLINE_RANGES]
#define RNGLISTS sec[DWARFINLINE_RNGLISTS]
#define ADDR sec[DWARFINLINE_ADDR]
#define STROFF sec[DWARFINLINE_STR_OFFSETS]

static void reset(void)
{
    for (int s = 0; s < DWARFINLINE_NSECS; s++)
        sec[s].n = 0;
}

/* An abbreviation: code, tag, children, then (attribute, form) pairs
 * ended by 0 (an implicit_const's value follows its form). */
static void abbrev(uint64_t code, uint64_t tag, bool children, ...)
{
    va_list ap;
    va_start(ap, children);
    uleb(&ABBREV, code);
    uleb(&ABBREV, tag);
    u8(&ABBREV, children);
    for (;;) {
        uint64_t at = va_arg(ap, uint64_t);
        if (!at)
            break;
        uint64_t form = va_arg(ap, uint64_t);
        uleb(&ABBREV, at);
        uleb(&ABBREV, form);
        if (form == F_IMPLICIT)
            uleb(&ABBREV, va_arg(ap, uint64_t)); /* small positive values only */
    }
    va_end(ap);
    uleb(&ABBREV, 0);
    uleb(&ABBREV, 0);
}
#define ABB(code, tag, ch, ...) abbrev(code, tag, ch, __VA_ARGS__, (uint64_t)0)
#define U(x) ((uint64_t)(x))

static uint64_t line4_tab_pad(size_t *pad_at, const char *dir, ...);

/* A DWARF 4 line-program header with no program at the end of LINE:
 * files c (1) and "inc/" h (2).  Its offset. */
static uint64_t line4_files(const char *c, const char *h)
{
    return line4_tab_pad(NULL, "inc", c, 0, h, 1, (const char *)NULL);
}

/* The one most units use: "a.c" (1) and "inc/h.h" (2). */
static void line4(void) { line4_files("a.c", "h.h"); }

/* A DWARF 5 one at the end of LINE: directories "/comp" (0), "inc"; files
 * "a.c" (0 and 1) and "h.h" (2, in inc), names in .debug_line_str. */
static uint64_t line5(void)
{
    size_t start = LINE.n;
    un(&LINE, 0, 4);
    un(&LINE, 5, 2);
    u8(&LINE, 8);
    u8(&LINE, 0);
    size_t hl = LINE.n;
    un(&LINE, 0, 4);
    u8(&LINE, 1); u8(&LINE, 1); u8(&LINE, 1); u8(&LINE, 0xfb); u8(&LINE, 14); u8(&LINE, 13);
    static const unsigned char lens[] = { 0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1 };
    for (size_t i = 0; i < sizeof lens; i++)
        u8(&LINE, lens[i]);
    u8(&LINE, 1); uleb(&LINE, 1); uleb(&LINE, F_STRING);
    uleb(&LINE, 2); str(&LINE, "/comp"); str(&LINE, "inc");
    u8(&LINE, 2); uleb(&LINE, 1); uleb(&LINE, F_LINE_STRP); uleb(&LINE, 2); uleb(&LINE, F_UDATA);
    uleb(&LINE, 3);
    uint64_t a = put_str(&LINE_STR, "a.c"), h = put_str(&LINE_STR, "h.h");
    un(&LINE, a, 4); uleb(&LINE, 0);
    un(&LINE, a, 4); uleb(&LINE, 0);
    un(&LINE, h, 4); uleb(&LINE, 1);
    patch(&LINE, hl, LINE.n - hl - 4, 4);
    patch(&LINE, start, LINE.n - start - 4, 4);
    return start;
}

/* Starts a compile unit: its header; its start in *at. */
static size_t unit_begin(int version, uint64_t abbrev_off, int type)
{
    size_t start = INFO.n;
    un(&INFO, 0, 4);
    un(&INFO, (uint64_t)version, 2);
    if (version >= 5) {
        u8(&INFO, (uint64_t)type);
        u8(&INFO, 8);
        un(&INFO, abbrev_off, 4);
        if (type == 2 || type == 6) { /* type units: signature, type offset */
            un(&INFO, 0, 8);
            un(&INFO, 0, 4);
        } else if (type == 4 || type == 5) { /* skeletons: dwo_id */
            un(&INFO, 0, 8);
        }
    } else {
        un(&INFO, abbrev_off, 4);
        u8(&INFO, 8);
    }
    return start;
}

static void unit_end(size_t start) { patch(&INFO, start, INFO.n - start - 4, 4); }

/* The offset of the next entry in the unit that starts at `start`. */
static uint64_t here(size_t start) { return INFO.n - start; }

/* ---- answers -------------------------------------------------------------- */

enum { NQ = 16 };
static char got[NQ][512];
static int calls[NQ];
static uint64_t ulo[NQ], uhi[NQ], uoff[NQ];
static size_t nunits;
static dwarfinline_stats stats; /* the last run's */

static bool rd(void *ctx, int s, uint64_t off, void *dst, size_t len)
{
    (void)ctx;
    assert_true(s >= 0 && s < DWARFINLINE_NSECS);
    if (off > sec[s].n || len > sec[s].n - off)
        fail_msg("read past section %d: %llu + %zu > %zu", s, (unsigned long long)off, len, sec[s].n);
    memcpy(dst, sec[s].b + off, len);
    return true;
}

static void found(void *ctx, size_t q, const dwarfinline_frame *f, size_t n)
{
    (void)ctx;
    assert_true(q < NQ);
    assert_true(n >= 1);
    calls[q]++;
    /* name[decl_file]@file:line; no [] without a decl file. */
    size_t at = 0;
    for (size_t k = 0; k < n; k++)
        at += (size_t)snprintf(got[q] + at, sizeof got[q] - at, "%s%s%s%s%s@%s:%u",
                               k ? " < " : "", f[k].name, f[k].decl_file ? "[" : "",
                               f[k].decl_file ? f[k].decl_file : "",
                               f[k].decl_file ? "]" : "", f[k].file ? f[k].file : "?", f[k].line);
}

/* With want_funcs, the sink's func: the function holding each query. */
static bool want_funcs;
static char funcs[NQ][64];

static void func_cb(void *ctx, size_t q, const char *name)
{
    (void)ctx;
    assert_true(q < NQ);
    assert_true(funcs[q][0] == '\0'); /* once per query (one unit here) */
    snprintf(funcs[q], sizeof funcs[q], "%s", name);
}

/* With use_placed, the sink's placed: placed_q[q] says query q's address
 * has a file (dwarfinline_sink.placed). */
static bool use_placed, placed_q[NQ];

static bool placed_cb(void *ctx, size_t q)
{
    (void)ctx;
    assert_true(q < NQ);
    return placed_q[q];
}

static void unit_cb(void *ctx, uint64_t off, uint64_t lo, uint64_t hi)
{
    (void)ctx;
    assert_true(lo <= hi);
    if (nunits < NQ) {
        uoff[nunits] = off;
        ulo[nunits] = lo;
        uhi[nunits++] = hi;
    }
}

static int run(const uint64_t *q, size_t n, const uint64_t *units, size_t nu)
{
    dwarfinline_src src = { NULL, rd, { 0 }, NULL, NULL };
    for (int s = 0; s < DWARFINLINE_NSECS; s++)
        src.size[s] = sec[s].n;
    memset(got, 0, sizeof got);
    memset(calls, 0, sizeof calls);
    nunits = 0;
    memset(&stats, 0, sizeof stats);
    memset(funcs, 0, sizeof funcs);
    dwarfinline_sink sink = { NULL, found, unit_cb, &stats, want_funcs ? func_cb : NULL,
                              use_placed ? placed_cb : NULL };
    int r = dwarfinline_scan(&src, q, n, units, nu, &sink);
    for (size_t i = 0; i < NQ; i++)
        assert_true(calls[i] <= 1);
    return r;
}

/* The scan of q[0..n) with each of its allocations failing in turn:
 * ENOMEM or answers, each holding `part`, and nothing leaked. */
static void each_failure(const uint64_t *q, size_t n, const char *part)
{
    uint64_t blocks = mem_heap_blocks();
    for (unsigned long nth = 1;; nth++) {
        mem_fail_after(nth);
        int r = run(q, n, NULL, 0);
        unsigned long left = mem_fail_after(0);
        assert_true(r == 0 || r == ENOMEM);
        for (size_t i = 0; i < n; i++)
            if (calls[i])
                assert_true(strstr(got[i], part) != NULL);
        assert_int_equal(mem_heap_blocks(), blocks);
        if (left) /* the countdown did not fire: every allocation was tried */
            break;
        assert_true(nth < 1000);
    }
}

#define NONE(i) assert_int_equal(calls[i], 0)
#define SAYS(i, s) assert_string_equal(got[i], s)

/* ---- a DWARF 4 unit ----------------------------------------------------- */

/* The abbreviations of the DWARF 4 units. */
static void abbrevs4(void)
{
    ABB(1, T_CU, true, A_NAME, F_STRING, A_STMT, F_SEC_OFFSET, A_LOW, F_ADDR, A_HIGH, F_DATA8);
    ABB(2, T_SUB, true, A_NAME, F_STRP, A_LOW, F_ADDR, A_HIGH, F_DATA4, A_SIBLING, F_REF4);
    ABB(3, T_INL, true, A_ORIGIN, F_REF4, A_LOW, F_ADDR, A_HIGH, F_DATA4, A_CFILE, F_DATA1,
        A_CLINE, F_DATA2);
    ABB(4, T_SUB, false, A_NAME, F_STRING);
    ABB(5, T_SUB, false, A_SPEC, F_REF4);
    ABB(6, T_SUB, false, A_NAME, F_STRING, A_LINKAGE, F_STRP);
    ABB(7, T_INL, true, A_ORIGIN, F_REF4, A_RANGES, F_SEC_OFFSET, A_CFILE, F_UDATA, A_CLINE,
        F_UDATA);
    ABB(8, T_CU, true, A_STMT, F_SEC_OFFSET, A_LOW, F_ADDR, A_RANGES, F_SEC_OFFSET);
    ABB(9, T_BLOCK, true, A_LOW, F_ADDR, A_HIGH, F_DATA4);
    ABB(10, T_INL, false, A_ORIGIN, F_REF4, A_LOW, F_ADDR, A_HIGH, F_ADDR, A_CFILE, F_DATA1,
        A_CLINE, F_DATA1);
    ABB(11, T_SUB, true, A_NAME, F_STRING);
    ABB(12, T_INL, false, A_ORIGIN, F_REF_ADDR, A_LOW, F_ADDR, A_HIGH, F_DATA4, A_CFILE, F_DATA1,
        A_CLINE, F_DATA1);
    ABB(13, T_INL, false, A_ORIGIN, F_INDIRECT, A_LOW, F_ADDR, A_HIGH, F_DATA4);
    ABB(14, T_INL, true, A_ORIGIN, F_REF_ADDR, A_LOW, F_ADDR, A_HIGH, F_DATA4, A_CFILE, F_DATA1,
        A_CLINE, F_DATA1);
    uleb(&ABBREV, 0);
}

/* Abstract entries at the unit's start: mid (a name), leaf (through a
 * specification, to a declaration with a linkage name).  Their offsets. */
typedef struct abstracts {
    uint64_t mid, leaf, decl;
} abstracts;

static abstracts abstract4(size_t u)
{
    abstracts a;
    a.mid = here(u);
    uleb(&INFO, 4);
    str(&INFO, "mid");
    a.decl = here(u);
    uleb(&INFO, 6);
    str(&INFO, "leaf");
    un(&INFO, put_str(&STR, "_Z4leafv"), 4);
    a.leaf = here(u);
    uleb(&INFO, 5);
    un(&INFO, a.decl, 4);
    return a;
}

/* outer [0x1000, 0x1100) holds mid [0x1010, 0x1040), called at a.c:10,
 * which holds leaf [0x1020, 0x1030), called at inc/h.h:20; a lexical
 * block between them. */
static size_t unit4(void)
{
    line4();
    abbrevs4();
    size_t u = unit_begin(4, 0, 0);
    uleb(&INFO, 1);
    str(&INFO, "a.c");
    un(&INFO, 0, 4);
    un(&INFO, 0x1000, 8);
    un(&INFO, 0x1000, 8);
    abstracts a = abstract4(u);
    uleb(&INFO, 2);
    un(&INFO, put_str(&STR, "outer"), 4);
    un(&INFO, 0x1000, 8);
    un(&INFO, 0x100, 4);
    size_t sib = INFO.n;
    un(&INFO, 0, 4);
    uleb(&INFO, 3);
    un(&INFO, a.mid, 4);
    un(&INFO, 0x1010, 8);
    un(&INFO, 0x30, 4);
    u8(&INFO, 1);
    un(&INFO, 10, 2);
    uleb(&INFO, 9);
    un(&INFO, 0x1018, 8);
    un(&INFO, 0x20, 4);
    uleb(&INFO, 10);
    un(&INFO, a.leaf, 4);
    un(&INFO, 0x1020, 8);
    un(&INFO, 0x1030, 8);
    u8(&INFO, 2);
    u8(&INFO, 20);
    uleb(&INFO, 0); /* end of the block */
    uleb(&INFO, 0); /* end of mid */
    uleb(&INFO, 0); /* end of outer */
    patch(&INFO, sib, here(u), 4);
    /* A second function, [0x1100, 0x1200), with nothing inlined. */
    uleb(&INFO, 2);
    un(&INFO, put_str(&STR, "plain"), 4);
    un(&INFO, 0x1100, 8);
    un(&INFO, 0x100, 4);
    un(&INFO, 0, 4);
    uleb(&INFO, 0);
    uleb(&INFO, 0); /* end of the unit */
    unit_end(u);
    return u;
}

static const uint64_t q4[] = { 0x1005, 0x1015, 0x1020, 0x102f, 0x1030, 0x1045, 0x1150, 0x3000 };

static void dwarf4_nested(void **state)
{
    (void)state;
    reset();
    unit4();
    assert_int_equal(run(q4, 8, NULL, 0), 0);
    NONE(0);
    SAYS(1, "mid@a.c:10");
    SAYS(2, "_Z4leafv@inc/h.h:20 < mid@a.c:10");
    SAYS(3, "_Z4leafv@inc/h.h:20 < mid@a.c:10");
    SAYS(4, "mid@a.c:10");
    NONE(5);
    NONE(6);
    NONE(7);
    assert_int_equal(nunits, 1);
    assert_int_equal(ulo[0], 0x1000);
    assert_int_equal(uhi[0], 0x2000);
    /* Only the units asked for are read. */
    uint64_t none = 12345678;
    assert_int_equal(run(q4, 8, &none, 1), 0);
    NONE(2);
    uint64_t first = 0;
    assert_int_equal(run(q4, 8, &first, 1), 0);
    SAYS(2, "_Z4leafv@inc/h.h:20 < mid@a.c:10");
}

/* The sink's func: the function entry (the innermost) whose code holds
 * each query, inlined code or not, for a file whose symbol table names
 * nothing (a debug file without .symtab); none outside every function. */
static void functions_holding(void **state)
{
    (void)state;
    reset();
    unit4();
    want_funcs = true;
    assert_int_equal(run(q4, 8, NULL, 0), 0);
    want_funcs = false;
    static const char *const want[] = { "outer", "outer", "outer", "outer",
                                        "outer", "outer", "plain", "" };
    for (size_t i = 0; i < 8; i++)
        assert_string_equal(funcs[i], want[i]);
    SAYS(2, "_Z4leafv@inc/h.h:20 < mid@a.c:10"); /* the chains as ever */
    NONE(6);
    /* Without the callback, no name is looked for. */
    assert_int_equal(run(q4, 8, NULL, 0), 0);
    assert_string_equal(funcs[6], "");
}

/* DW_AT_ranges: the unit's own and an inlined entry's, with a base
 * address selection; a second unit after the first. */
static void dwarf4_ranges(void **state)
{
    (void)state;
    reset();
    unit4();
    size_t u = unit_begin(4, 0, 0);
    uint64_t cu_rng = RANGES.n;
    un(&RANGES, 0x5000, 8); un(&RANGES, 0x5100, 8);
    un(&RANGES, 0x6000, 8); un(&RANGES, 0x6100, 8);
    un(&RANGES, 0, 8); un(&RANGES, 0, 8);
    uint64_t inl_rng = RANGES.n;
    un(&RANGES, UINT64_MAX, 8); un(&RANGES, 0x6000, 8); /* base address */
    un(&RANGES, 0x10, 8); un(&RANGES, 0x20, 8);
    un(&RANGES, 0, 8); un(&RANGES, 0, 8);
    un(&RANGES, 0, 8); un(&RANGES, 0, 8);
    uleb(&INFO, 8);
    un(&INFO, 0, 4);
    un(&INFO, 0x5000, 8); /* the base of offsets in lists: absolute ones here */
    un(&INFO, cu_rng - 0, 4);
    patch(&RANGES, cu_rng, 0, 8); /* offsets from base 0x5000 */
    patch(&RANGES, cu_rng + 8, 0x100, 8);
    patch(&RANGES, cu_rng + 16, 0x1000, 8);
    patch(&RANGES, cu_rng + 24, 0x1100, 8);
    abstracts a = abstract4(u);
    uleb(&INFO, 11);
    str(&INFO, "split");
    uleb(&INFO, 7);
    un(&INFO, a.mid, 4);
    un(&INFO, inl_rng, 4);
    uleb(&INFO, 2);
    uleb(&INFO, 300);
    uleb(&INFO, 0);
    uleb(&INFO, 0);
    uleb(&INFO, 0);
    unit_end(u);
    static const uint64_t q[] = { 0x1025, 0x5050, 0x600f, 0x6010, 0x601f, 0x6020 };
    assert_int_equal(run(q, 6, NULL, 0), 0);
    SAYS(0, "_Z4leafv@inc/h.h:20 < mid@a.c:10");
    NONE(1);
    NONE(2);
    SAYS(3, "mid@inc/h.h:300");
    SAYS(4, "mid@inc/h.h:300");
    NONE(5);
    assert_int_equal(nunits, 2);
    assert_int_equal(uoff[1], u);
    assert_int_equal(ulo[1], 0x5000);
    assert_int_equal(uhi[1], 0x6100);
}

/* ---- a DWARF 5 unit ----------------------------------------------------- */

/* addrx with DW_AT_addr_base, rnglistx with DW_AT_rnglists_base, strx with
 * DW_AT_str_offsets_base, implicit_const, line_strp. */
static void dwarf5_forms(void **state)
{
    (void)state;
    reset();
    uint64_t stmt = line5();
    ABB(1, T_CU, true, A_STROFF_BASE, F_SEC_OFFSET, A_ADDR_BASE, F_SEC_OFFSET, A_RNG_BASE,
        F_SEC_OFFSET, A_STMT, F_SEC_OFFSET, A_LOW, F_ADDRX1, A_RANGES, F_RNGLISTX);
    ABB(2, T_SUB, true, A_NAME, F_STRX1, A_RANGES, F_RNGLISTX);
    ABB(3, T_INL, true, A_ORIGIN, F_REF4, A_LOW, F_ADDRX, A_HIGH, F_DATA4, A_CFILE, F_IMPLICIT,
        U(2), A_CLINE, F_UDATA);
    ABB(4, T_SUB, false, A_NAME, F_STRX1);
    ABB(5, T_INL, false, A_ORIGIN, F_REF4, A_RANGES, F_SEC_OFFSET, A_CFILE, F_DATA1, A_CLINE,
        F_DATA1);
    ABB(6, T_SUB, false, A_NAME, F_LINE_STRP);
    uleb(&ABBREV, 0);
    /* .debug_addr: a header (8 bytes), then 0x7000, 0x7100, 0x7010, 0x8000,
     * 0x7040. */
    un(&ADDR, 4 + 40, 4); un(&ADDR, 5, 2); u8(&ADDR, 8); u8(&ADDR, 0);
    un(&ADDR, 0x7000, 8); un(&ADDR, 0x7100, 8); un(&ADDR, 0x7010, 8); un(&ADDR, 0x8000, 8);
    un(&ADDR, 0x7040, 8);
    /* .debug_str_offsets: a header, then the offsets of three names. */
    un(&STROFF, 4 + 12, 4); un(&STROFF, 5, 2); un(&STROFF, 0, 2);
    un(&STROFF, put_str(&STR, "f5"), 4);
    un(&STROFF, put_str(&STR, "g5"), 4);
    un(&STROFF, put_str(&STR, "h5"), 4);
    /* .debug_rnglists: a header, an offset table of two, then the lists. */
    un(&RNGLISTS, 0, 4); un(&RNGLISTS, 5, 2); u8(&RNGLISTS, 8); u8(&RNGLISTS, 0);
    un(&RNGLISTS, 2, 4);
    uint64_t base = RNGLISTS.n;
    size_t tab = RNGLISTS.n;
    un(&RNGLISTS, 0, 4); un(&RNGLISTS, 0, 4);
    /* List 0, the unit's: startx_length [0x7000, +0x100), then
     * start_end [0x8000, 0x8100). */
    patch(&RNGLISTS, tab, RNGLISTS.n - base, 4);
    u8(&RNGLISTS, 3); uleb(&RNGLISTS, 0); uleb(&RNGLISTS, 0x100);
    u8(&RNGLISTS, 6); un(&RNGLISTS, 0x8000, 8); un(&RNGLISTS, 0x8100, 8);
    u8(&RNGLISTS, 0);
    /* List 1, f5's: base_addressx 0x7000, offset_pair [0, 0x100). */
    patch(&RNGLISTS, tab + 4, RNGLISTS.n - base, 4);
    u8(&RNGLISTS, 1); uleb(&RNGLISTS, 0);
    u8(&RNGLISTS, 4); uleb(&RNGLISTS, 0); uleb(&RNGLISTS, 0x100);
    u8(&RNGLISTS, 0);
    /* h5's, by section offset: start_length [0x8010, +0x10), base_address
     * 0x8000 and offset_pair [0x20, 0x28), startx_endx [0x7010, 0x7040).
     * Its 0x8000 ranges lie outside g5's, which holds it: no chain there. */
    uint64_t h_rng = RNGLISTS.n;
    u8(&RNGLISTS, 7); un(&RNGLISTS, 0x8010, 8); uleb(&RNGLISTS, 0x10);
    u8(&RNGLISTS, 5); un(&RNGLISTS, 0x8000, 8);
    u8(&RNGLISTS, 4); uleb(&RNGLISTS, 0x20); uleb(&RNGLISTS, 0x28);
    u8(&RNGLISTS, 2); uleb(&RNGLISTS, 2); uleb(&RNGLISTS, 4);
    u8(&RNGLISTS, 0);
    patch(&RNGLISTS, 0, RNGLISTS.n - 4, 4);

    size_t u = unit_begin(5, 0, 1);
    uleb(&INFO, 1);
    un(&INFO, 8, 4);    /* str_offsets_base */
    un(&INFO, 8, 4);    /* addr_base */
    un(&INFO, base, 4); /* rnglists_base */
    un(&INFO, stmt, 4);
    u8(&INFO, 0);       /* low_pc: addrx 0, 0x7000 */
    uleb(&INFO, 0);     /* ranges: list 0 */
    uint64_t g = here(u);
    uleb(&INFO, 4);
    u8(&INFO, 1);
    uint64_t h = here(u);
    uleb(&INFO, 6);
    un(&INFO, put_str(&LINE_STR, "hls"), 4);
    uleb(&INFO, 2);
    u8(&INFO, 0);       /* f5 */
    uleb(&INFO, 1);     /* list 1 */
    uleb(&INFO, 3);
    un(&INFO, g, 4);
    uleb(&INFO, 2);     /* addrx 2: 0x7010 */
    un(&INFO, 0x50, 4);
    uleb(&INFO, 77);
    uleb(&INFO, 5);
    un(&INFO, h, 4);
    un(&INFO, h_rng, 4);
    u8(&INFO, 1);
    u8(&INFO, 5);
    uleb(&INFO, 0);
    uleb(&INFO, 0);
    uleb(&INFO, 0);
    unit_end(u);
    static const uint64_t q[] = { 0x7008, 0x7010, 0x703f, 0x7050, 0x8015, 0x8025, 0x8030 };
    assert_int_equal(run(q, 7, NULL, 0), 0);
    NONE(0);
    SAYS(1, "hls@/comp/a.c:5 < g5@/comp/inc/h.h:77");
    SAYS(2, "hls@/comp/a.c:5 < g5@/comp/inc/h.h:77");
    SAYS(3, "g5@/comp/inc/h.h:77");
    NONE(4);
    NONE(5);
    NONE(6);
    assert_int_equal(nunits, 1);
    assert_int_equal(ulo[0], 0x7000);
    assert_int_equal(uhi[0], 0x8100);
}

/* Type units and skeletons are skipped; a unit after them is read. */
static void skipped_units(void **state)
{
    (void)state;
    reset();
    line4();
    abbrevs4();
    for (int type = 2; type <= 6; type++) {
        if (type == 3)
            continue;
        size_t u = unit_begin(5, 0, type);
        uleb(&INFO, 0);
        unit_end(u);
    }
    /* unit4 writes its abbreviations and line header again, after these,
     * and points at the first ones, the same. */
    unit4();
    assert_int_equal(run(q4, 8, NULL, 0), 0);
    assert_int_equal(calls[2], 1);
    assert_int_equal(nunits, 1);
}

/* A DWARF 4 unit's own entry (abbreviation 1): code at [0x1000, 0x1000 +
 * size), lines at .debug_line's start.  size 0: no code (low_pc 0). */
static void cu_entry4(const char *name, uint64_t size)
{
    uleb(&INFO, 1);
    str(&INFO, name);
    un(&INFO, 0, 4);
    un(&INFO, size ? 0x1000 : 0, 8);
    un(&INFO, size, 8);
}

/* A fresh DWARF 4 unit: its line header and abbreviations, its header,
 * its own entry for code at [0x1000, 0x1000 + size), and an abstract
 * function "m" (its offset in *m).  Its start. */
static size_t fresh4(const char *name, uint64_t size, uint64_t *m)
{
    reset();
    line4();
    abbrevs4();
    size_t u = unit_begin(4, 0, 0);
    cu_entry4(name, size);
    *m = here(u);
    uleb(&INFO, 4);
    str(&INFO, "m");
    return u;
}

/* ---- references into other units ------------------------------------------ */

/* A unit of abstract entries only (mid, leaf): no code, so never walked.
 * Its start. */
static size_t abstract_unit(abstracts *a)
{
    size_t u = unit_begin(4, 0, 0);
    cu_entry4("abs.c", 0);
    *a = abstract4(u);
    uleb(&INFO, 0);
    unit_end(u);
    return u;
}

/* An inlined entry (abbreviation 12, or 14 with children) whose origin is
 * at offset `origin` of .debug_info, for [lo, lo + len), called at a.c:line. */
static void inl_addr(int code, uint64_t origin, uint64_t lo, uint64_t len, int line)
{
    uleb(&INFO, (uint64_t)code);
    un(&INFO, origin, 4);
    un(&INFO, lo, 8);
    un(&INFO, len, 4);
    u8(&INFO, 1);
    u8(&INFO, (uint64_t)line);
}

/* GCC's -flto output: the inlined entries of the unit holding the code
 * name their functions through DW_FORM_ref_addr in the units of the
 * sources they came from, before and after it; there a specification
 * leads on (within that unit) to the linkage name.  A reference to a
 * unit's header or past the section names nothing (helper D: 0 of 5562
 * addresses of an -flto build had inlined frames). */
static size_t cross_units(uint64_t *header)
{
    reset();
    line4();
    abbrevs4();
    abstracts b, c;
    size_t ub = abstract_unit(&b);
    size_t u = unit_begin(4, 0, 0);
    cu_entry4("a.c", 0x1000);
    uleb(&INFO, 11);
    str(&INFO, "outer");
    size_t mid_at = INFO.n;
    inl_addr(14, 0, 0x1000, 0x40, 3);
    size_t leaf_at = INFO.n;
    inl_addr(12, 0, 0x1010, 0x10, 4);
    uleb(&INFO, 0);
    size_t hdr_at = INFO.n;
    inl_addr(12, 0, 0x1050, 0x10, 5);
    inl_addr(12, 0x7fffff00, 0x1060, 0x10, 6);
    uleb(&INFO, 0);
    uleb(&INFO, 0);
    unit_end(u);
    size_t uc = abstract_unit(&c);
    patch(&INFO, mid_at + 1, ub + b.mid, 4);
    patch(&INFO, leaf_at + 1, uc + c.leaf, 4);
    patch(&INFO, hdr_at + 1, uc + 4, 4);
    *header = uc;
    return u;
}

static const uint64_t qx[] = { 0x1005, 0x1015, 0x1055, 0x1065 };

static void other_units(void **state)
{
    (void)state;
    uint64_t c;
    size_t u = cross_units(&c);
    assert_int_equal(run(qx, 4, NULL, 0), 0);
    SAYS(0, "mid@a.c:3");
    SAYS(1, "_Z4leafv@a.c:4 < mid@a.c:3");
    NONE(2);
    NONE(3);
    /* The same when only the unit with code is read (a later profile). */
    uint64_t only = u;
    assert_int_equal(run(qx, 4, &only, 1), 0);
    SAYS(1, "_Z4leafv@a.c:4 < mid@a.c:3");
    /* Unit C cut after its header: no name from it, no chain. */
    size_t whole = INFO.n;
    INFO.n = c + 11;
    assert_int_equal(run(qx, 4, &only, 1), 0);
    SAYS(0, "mid@a.c:3");
    NONE(1);
    INFO.n = whole;
    each_failure(qx, 4, "mid@a.c:3");
}

/* ---- a supplementary file (dwz -m) -------------------------------------------- */

/* The supplementary file's sections, built in sec[] and moved here. */
static buf alt_sec[DWARFINLINE_NSECS];

static bool rd_alt(void *ctx, int s, uint64_t off, void *dst, size_t len)
{
    (void)ctx;
    assert_true(s >= 0 && s < DWARFINLINE_NSECS);
    if (off > alt_sec[s].n || len > alt_sec[s].n - off)
        fail_msg("read past the supplementary file's section %d", s);
    memcpy(dst, alt_sec[s].b + off, len);
    return true;
}

enum { F_REF_SUP4 = 0x1c, F_STRP_SUP = 0x1d, F_GNU_REF_ALT = 0x1f20, F_GNU_STRP_ALT = 0x1f21 };

/* dwz -m's output: the abstract entries of mid and leaf are in a partial
 * unit of the supplementary file, after one of nothing, and a name in its
 * .debug_str; the file's inlined entries reach them through
 * DW_FORM_GNU_ref_alt (DWARF 5: DW_FORM_ref_sup4), and name functions of
 * their own through DW_FORM_GNU_strp_alt (DW_FORM_strp_sup).  Their
 * global offsets in the supplementary .debug_info into *mid and *leaf. */
static void supplementary(uint64_t *mid, uint64_t *leaf)
{
    reset();
    abbrevs4();
    size_t pad = unit_begin(4, 0, 0);
    cu_entry4("pad.c", 0);
    uleb(&INFO, 0);
    unit_end(pad);
    size_t u = unit_begin(4, 0, 0);
    cu_entry4("abs.c", 0);
    put_str(&STR, "padding");
    abstracts a = abstract4(u);
    uleb(&INFO, 0);
    unit_end(u);
    *mid = u + a.mid;
    *leaf = u + a.leaf;
    uint64_t alt_name = put_str(&STR, "alt_name"), sup_name = put_str(&STR, "sup_name");
    for (int k = 0; k < DWARFINLINE_NSECS; k++)
        alt_sec[k] = sec[k];
    reset();
    line4();
    abbrevs4();
    ABBREV.n--; /* the table goes on */
    ABB(15, T_INL, false, A_ORIGIN, F_GNU_REF_ALT, A_LOW, F_ADDR, A_HIGH, F_DATA4, A_CFILE, F_DATA1,
        A_CLINE, F_DATA1);
    ABB(16, T_SUB, false, A_NAME, F_GNU_STRP_ALT);
    ABB(17, T_INL, false, A_ORIGIN, F_REF_SUP4, A_LOW, F_ADDR, A_HIGH, F_DATA4, A_CFILE, F_DATA1,
        A_CLINE, F_DATA1);
    ABB(18, T_SUB, false, A_NAME, F_STRP_SUP);
    ABB(19, T_INL, false, A_ORIGIN, F_REF4, A_LOW, F_ADDR, A_HIGH, F_DATA4, A_CFILE, F_DATA1,
        A_CLINE, F_DATA1);
    uleb(&ABBREV, 0);
    put_str(&STR, "not this one");
    u = unit_begin(4, 0, 0);
    cu_entry4("a.c", 0x1000);
    uint64_t own_alt = here(u);
    uleb(&INFO, 16);
    un(&INFO, alt_name, 4);
    uint64_t own_sup = here(u);
    uleb(&INFO, 18);
    un(&INFO, sup_name, 4);
    uleb(&INFO, 11);
    str(&INFO, "outer");
    inl_addr(15, *mid, 0x1000, 0x10, 3);
    inl_addr(15, *leaf, 0x1010, 0x10, 4);
    inl_addr(19, own_alt, 0x1020, 0x10, 5);
    inl_addr(17, *mid, 0x1030, 0x10, 6);
    inl_addr(19, own_sup, 0x1040, 0x10, 7);
    /* Past the supplementary .debug_info, and at a unit's header. */
    inl_addr(15, alt_sec[DWARFINLINE_INFO].n + 4, 0x1050, 0x10, 8);
    inl_addr(15, 4, 0x1060, 0x10, 9);
    uleb(&INFO, 0);
    uleb(&INFO, 0);
    unit_end(u);
}

static const uint64_t qs[] = { 0x1005, 0x1015, 0x1025, 0x1035, 0x1045, 0x1055, 0x1065 };

static int run_alt(bool with_alt)
{
    dwarfinline_src alt = { NULL, rd_alt, { 0 }, NULL, NULL };
    dwarfinline_src src = { NULL, rd, { 0 }, with_alt ? &alt : NULL, NULL };
    for (int s = 0; s < DWARFINLINE_NSECS; s++) {
        src.size[s] = sec[s].n;
        alt.size[s] = alt_sec[s].n;
    }
    memset(got, 0, sizeof got);
    memset(calls, 0, sizeof calls);
    dwarfinline_sink sink = { NULL, found, NULL, NULL };
    return dwarfinline_scan(&src, qs, 7, NULL, 0, &sink);
}

static void supplementary_file(void **state)
{
    (void)state;
    uint64_t mid, leaf;
    supplementary(&mid, &leaf);
    assert_int_equal(run_alt(true), 0);
    SAYS(0, "mid@a.c:3");
    SAYS(1, "_Z4leafv@a.c:4");
    SAYS(2, "alt_name@a.c:5");
    SAYS(3, "mid@a.c:6");
    SAYS(4, "sup_name@a.c:7");
    NONE(5);
    NONE(6);
    /* Not found: the frames named from it are left out, nothing else. */
    assert_int_equal(run_alt(false), 0);
    for (int i = 0; i < 7; i++)
        NONE(i);
    /* Its .debug_str cut inside leaf's linkage name, and its .debug_info
     * at every byte: no name from what is missing. */
    size_t whole = alt_sec[DWARFLINE_STR].n;
    alt_sec[DWARFLINE_STR].n = sizeof "padding" + 4;
    assert_int_equal(run_alt(true), 0);
    SAYS(0, "mid@a.c:3");
    NONE(1);
    NONE(2);
    NONE(4);
    alt_sec[DWARFLINE_STR].n = whole;
    whole = alt_sec[DWARFINLINE_INFO].n;
    for (size_t n = 0; n < whole; n++) {
        alt_sec[DWARFINLINE_INFO].n = n;
        assert_int_equal(run_alt(true), 0);
        if (calls[0])
            SAYS(0, "mid@a.c:3");
        NONE(5);
    }
    alt_sec[DWARFINLINE_INFO].n = whole;
    /* Each allocation failing in turn: ENOMEM or the answer. */
    uint64_t blocks = mem_heap_blocks();
    for (unsigned long nth = 1;; nth++) {
        mem_fail_after(nth);
        int r = run_alt(true);
        unsigned long left = mem_fail_after(0);
        assert_true(r == 0 || r == ENOMEM);
        if (calls[1])
            SAYS(1, "_Z4leafv@a.c:4");
        assert_int_equal(mem_heap_blocks(), blocks);
        if (left)
            break;
        assert_true(nth < 1000);
    }
}

/* ---- the files functions are declared in ------------------------------------- */

/* abbrevs4's table, and for DW_AT_decl_file: abstract functions with one
 * (20: a name; 21: a specification, within the unit; 22: a name and a
 * linkage name; 23: DWARF 5's implicit_const, file 2, as GCC writes it),
 * 24: a specification anywhere (DW_FORM_ref_addr), 25: a unit with no
 * line table, and inlined entries (26: into the supplementary file; 27,
 * and 28 with children: within the unit; each as inl_addr writes them). */
static void abbrevs_decl(void)
{
    abbrevs4();
    ABBREV.n--; /* the table goes on */
    ABB(20, T_SUB, false, A_NAME, F_STRING, A_DECL_FILE, F_DATA1);
    ABB(21, T_SUB, false, A_SPEC, F_REF4, A_DECL_FILE, F_DATA1);
    ABB(22, T_SUB, false, A_NAME, F_STRING, A_LINKAGE, F_STRP, A_DECL_FILE, F_DATA1);
    ABB(23, T_SUB, false, A_NAME, F_STRING, A_DECL_FILE, F_IMPLICIT, U(2));
    ABB(24, T_SUB, false, A_SPEC, F_REF_ADDR);
    ABB(25, T_CU, true, A_NAME, F_STRING);
    ABB(26, T_INL, false, A_ORIGIN, U(0x1f20), A_LOW, F_ADDR, A_HIGH, F_DATA4, A_CFILE, F_DATA1,
        A_CLINE, F_DATA1);
    ABB(27, T_INL, false, A_ORIGIN, F_REF4, A_LOW, F_ADDR, A_HIGH, F_DATA4, A_CFILE, F_DATA1,
        A_CLINE, F_DATA1);
    ABB(28, T_INL, true, A_ORIGIN, F_REF4, A_LOW, F_ADDR, A_HIGH, F_DATA4, A_CFILE, F_DATA1,
        A_CLINE, F_DATA1);
    ABB(29, T_INL, false, A_ORIGIN, F_REF4, A_LOW, F_ADDR, A_HIGH, F_DATA4); /* no call site */
    /* A unit's entry with its compilation directory (declared_respelled),
     * and without code (30) or with (31). */
    ABB(30, T_CU, true, A_NAME, F_STRING, A_COMP_DIR, F_STRING, A_STMT, F_SEC_OFFSET);
    ABB(31, T_CU, true, A_NAME, F_STRING, A_COMP_DIR, F_STRP, A_STMT, F_SEC_OFFSET, A_LOW, F_ADDR,
        A_HIGH, F_DATA8);
    uleb(&ABBREV, 0);
}

/* An abstract function `name` declared in file number `file` (20), at
 * the unit that starts at u: its offset there. */
static uint64_t declared(size_t u, const char *name, int file)
{
    uint64_t at = here(u);
    uleb(&INFO, 20);
    str(&INFO, name);
    u8(&INFO, (uint64_t)file);
    return at;
}

/* An inlined function's frame says the file its function is declared in:
 * the first DW_AT_decl_file along its abstract origin and specifications
 * (a definition's own before its declaration's), named by the unit's line
 * table as the call files are, DWARF 4 numbering from 1 (0: none) and
 * DWARF 5 from 0; none where no entry says, or the number names no file.
 * pprof_lines.c gives it to the frame's Line where the position has no
 * file, the same in every profile. */
static void declared_files(void **state)
{
    (void)state;
    reset();
    line4();
    uint64_t stmt5 = line5();
    abbrevs_decl();
    size_t u = unit_begin(4, 0, 0);
    cu_entry4("a.c", 0x1000);
    uint64_t mid = declared(u, "mid", 2);
    uint64_t leaf_decl = here(u);
    uleb(&INFO, 22);
    str(&INFO, "leaf");
    un(&INFO, put_str(&STR, "_Z4leafv"), 4);
    u8(&INFO, 1);
    uint64_t leaf = here(u); /* a definition naming no file of its own */
    uleb(&INFO, 5);
    un(&INFO, leaf_decl, 4);
    uint64_t over = here(u); /* one naming its own */
    uleb(&INFO, 21);
    un(&INFO, leaf_decl, 4);
    u8(&INFO, 2);
    uint64_t plain = here(u);
    uleb(&INFO, 4);
    str(&INFO, "plain");
    uint64_t stray = declared(u, "stray", 9), zero = declared(u, "zero", 0);
    uint64_t stray_leaf = here(u); /* a number naming nothing hides its declaration's */
    uleb(&INFO, 21);
    un(&INFO, leaf_decl, 4);
    u8(&INFO, 9);
    uleb(&INFO, 2);
    un(&INFO, put_str(&STR, "outer"), 4);
    un(&INFO, 0x1000, 8);
    un(&INFO, 0x100, 4);
    un(&INFO, 0, 4);
    inl_addr(27, mid, 0x1000, 0x10, 3);
    inl_addr(27, leaf, 0x1010, 0x10, 4);
    inl_addr(27, over, 0x1020, 0x10, 5);
    inl_addr(27, plain, 0x1030, 0x10, 6);
    inl_addr(27, stray, 0x1040, 0x10, 7);
    inl_addr(27, zero, 0x1050, 0x10, 8);
    inl_addr(28, mid, 0x1060, 0x20, 9);
    inl_addr(27, leaf, 0x1068, 0x8, 10);
    uleb(&INFO, 0); /* end of mid */
    inl_addr(27, stray_leaf, 0x1080, 0x10, 11);
    uleb(&INFO, 0); /* end of outer */
    uleb(&INFO, 0);
    unit_end(u);
    /* DWARF 5: file 0 is a file (the unit's own), 2 is inc/h.h. */
    u = unit_begin(5, 0, 1);
    uleb(&INFO, 1);
    str(&INFO, "a.c");
    un(&INFO, stmt5, 4);
    un(&INFO, 0x2000, 8);
    un(&INFO, 0x1000, 8);
    uint64_t h5 = here(u);
    uleb(&INFO, 23);
    str(&INFO, "h5");
    uint64_t a5 = declared(u, "a5", 0);
    uleb(&INFO, 11);
    str(&INFO, "outer5");
    inl_addr(27, h5, 0x2000, 0x10, 3);
    inl_addr(27, a5, 0x2010, 0x10, 4);
    uleb(&INFO, 0);
    uleb(&INFO, 0);
    unit_end(u);
    static const uint64_t q[] = { 0x1005, 0x100a, 0x1015, 0x1025, 0x1035, 0x1045,
                                  0x1055, 0x106a, 0x1085, 0x2005, 0x2015 };
    assert_int_equal(run(q, 11, NULL, 0), 0);
    SAYS(0, "mid[inc/h.h]@a.c:3");
    SAYS(1, "mid[inc/h.h]@a.c:3"); /* remembered with its name */
    SAYS(2, "_Z4leafv[a.c]@a.c:4");
    SAYS(3, "_Z4leafv[inc/h.h]@a.c:5");
    SAYS(4, "plain@a.c:6");
    SAYS(5, "stray@a.c:7");
    SAYS(6, "zero@a.c:8");
    SAYS(7, "_Z4leafv[a.c]@a.c:10 < mid[inc/h.h]@a.c:9");
    SAYS(8, "_Z4leafv@a.c:11");
    SAYS(9, "h5[/comp/inc/h.h]@/comp/a.c:3");
    SAYS(10, "a5[/comp/a.c]@/comp/a.c:4");
    /* Where the line table cannot be read, frames stay, without files. */
    size_t whole = LINE.n;
    LINE.n = 0;
    assert_int_equal(run(q, 11, NULL, 0), 0);
    SAYS(7, "_Z4leafv@?:10 < mid@?:9");
    LINE.n = whole;
    /* The function holding an address looks for no file (emit_func). */
    want_funcs = true;
    assert_int_equal(run(q, 11, NULL, 0), 0);
    want_funcs = false;
    assert_string_equal(funcs[0], "outer");
    SAYS(7, "_Z4leafv[a.c]@a.c:10 < mid[inc/h.h]@a.c:9");
    static const uint64_t qm[] = { 0x1005, 0x100a, 0x106a };
    each_failure(qm, 3, "mid[inc/h.h]@a.c:");
}

/* A declaration in another unit (GCC's -flto, dwz's partial units:
 * DW_FORM_ref_addr) has its file numbered by that unit's line table, not
 * by the one of the unit holding the code: b.c's table names 1 "b.c" and
 * 2 "inc/b.h" where a.c's names "a.c" and "inc/h.h".  A unit without a
 * line table names no file.  The units are met in turn (B, C, B again,
 * then B through a specification in a.c's unit), and a.c's own after. */
static void declared_elsewhere(void **state)
{
    (void)state;
    reset();
    line4();
    uint64_t stmt_b = line4_files("b.c", "b.h");
    abbrevs_decl();
    size_t ub = unit_begin(4, 0, 0);
    uleb(&INFO, 1);
    str(&INFO, "b.c");
    un(&INFO, stmt_b, 4);
    un(&INFO, 0, 8); /* no code: never walked */
    un(&INFO, 0, 8);
    uint64_t bmid = declared(ub, "bmid", 2);
    uint64_t bdecl = here(ub);
    uleb(&INFO, 22);
    str(&INFO, "bleaf");
    un(&INFO, put_str(&STR, "_Z5bleafv"), 4);
    u8(&INFO, 1);
    uleb(&INFO, 0);
    unit_end(ub);
    size_t uc = unit_begin(4, 0, 0);
    uleb(&INFO, 25);
    str(&INFO, "c.c");
    uint64_t cmid = declared(uc, "cmid", 1);
    uleb(&INFO, 0);
    unit_end(uc);
    size_t ua = unit_begin(4, 0, 0);
    cu_entry4("a.c", 0x1000);
    uint64_t adef = here(ua);
    uleb(&INFO, 24);
    un(&INFO, ub + bdecl, 4);
    uint64_t amid = declared(ua, "amid", 2);
    uleb(&INFO, 11);
    str(&INFO, "outer");
    inl_addr(12, ub + bmid, 0x1000, 0x10, 3);
    inl_addr(12, uc + cmid, 0x1010, 0x10, 4);
    inl_addr(12, ub + bmid, 0x1020, 0x10, 5);
    inl_addr(27, adef, 0x1030, 0x10, 6);
    inl_addr(27, amid, 0x1040, 0x10, 7);
    uleb(&INFO, 0);
    uleb(&INFO, 0);
    unit_end(ua);
    static const uint64_t q[] = { 0x1005, 0x1015, 0x1025, 0x1035, 0x1045 };
    for (int only = 0; only < 2; only++) {
        uint64_t units = ua; /* a later profile reads the unit with code alone */
        assert_int_equal(run(q, 5, only ? &units : NULL, only), 0);
        SAYS(0, "bmid[inc/b.h]@a.c:3");
        SAYS(1, "cmid@a.c:4");
        SAYS(2, "bmid[inc/b.h]@a.c:5");
        SAYS(3, "_Z5bleafv[b.c]@a.c:6");
        SAYS(4, "amid[inc/h.h]@a.c:7");
    }
    static const uint64_t qb[] = { 0x1005, 0x1025 };
    each_failure(qb, 2, "bmid[inc/b.h]@a.c:");
}

/* A declaration in the supplementary file (dwz -m) has its file numbered
 * by the line table of its unit there, in the supplementary file's
 * .debug_line; without that section, no file. */
static void declared_in_supplementary(void **state)
{
    (void)state;
    reset();
    line4_files("s.c", "s.h");
    abbrevs_decl();
    size_t pad = unit_begin(4, 0, 0);
    cu_entry4("pad.c", 0);
    uleb(&INFO, 0);
    unit_end(pad);
    size_t u = unit_begin(4, 0, 0);
    cu_entry4("abs.c", 0);
    uint64_t smid = u + declared(u, "smid", 2);
    uleb(&INFO, 0);
    unit_end(u);
    for (int k = 0; k < DWARFINLINE_NSECS; k++)
        alt_sec[k] = sec[k];
    reset();
    line4();
    abbrevs_decl();
    u = unit_begin(4, 0, 0);
    cu_entry4("a.c", 0x1000);
    uleb(&INFO, 11);
    str(&INFO, "outer");
    inl_addr(26, smid, 0x1000, 0x10, 3);
    uleb(&INFO, 0);
    uleb(&INFO, 0);
    unit_end(u);
    assert_int_equal(run_alt(true), 0);
    SAYS(0, "smid[inc/s.h]@a.c:3");
    size_t whole = alt_sec[DWARFLINE_LINE].n;
    alt_sec[DWARFLINE_LINE].n = 0;
    assert_int_equal(run_alt(true), 0);
    SAYS(0, "smid@a.c:3");
    alt_sec[DWARFLINE_LINE].n = whole;
}

/* With the sink's placed, as srclines.c asks: a frame's decl file only
 * where its position has no file, the innermost's when its address has
 * none (placed_q), each other's when the one inlined into it has no call
 * file.  leaf is inlined into mid (inlined at a.c:3) twice: without a
 * call site, and at a.c:4. */
static void declared_where_needed(void **state)
{
    (void)state;
    reset();
    line4();
    abbrevs_decl();
    size_t u = unit_begin(4, 0, 0);
    cu_entry4("a.c", 0x1000);
    uint64_t mid = declared(u, "mid", 2);
    uint64_t leaf = here(u);
    uleb(&INFO, 22);
    str(&INFO, "leaf");
    un(&INFO, put_str(&STR, "_Z4leafv"), 4);
    u8(&INFO, 1);
    uleb(&INFO, 11);
    str(&INFO, "outer");
    inl_addr(28, mid, 0x1000, 0x30, 3);
    uleb(&INFO, 29);
    un(&INFO, leaf, 4);
    un(&INFO, 0x1000, 8);
    un(&INFO, 0x10, 4);
    inl_addr(27, leaf, 0x1020, 0x10, 4);
    uleb(&INFO, 0); /* end of mid */
    uleb(&INFO, 0);
    uleb(&INFO, 0);
    unit_end(u);
    /* Met in this order: leaf remembered without its decl file (0), then
     * looked up again for it (1), then remembered with it (2). */
    static const uint64_t q[] = { 0x1005, 0x1008, 0x100c, 0x1015, 0x1018, 0x1024, 0x1026 };
    static const bool placed[] = { true, false, true, true, false, true, false };
    memcpy(placed_q, placed, sizeof placed);
    use_placed = true;
    assert_int_equal(run(q, 7, NULL, 0), 0);
    SAYS(0, "_Z4leafv@?:0 < mid[inc/h.h]@a.c:3");
    SAYS(1, "_Z4leafv[a.c]@?:0 < mid[inc/h.h]@a.c:3");
    SAYS(2, "_Z4leafv@?:0 < mid[inc/h.h]@a.c:3");
    SAYS(3, "mid@a.c:3");
    SAYS(4, "mid[inc/h.h]@a.c:3");
    SAYS(5, "_Z4leafv@a.c:4 < mid@a.c:3");
    SAYS(6, "_Z4leafv[a.c]@a.c:4 < mid@a.c:3");
    each_failure(q, 7, "mid");
    use_placed = false;
    memset(placed_q, 0, sizeof placed_q);
    /* Without placed: every frame's. */
    assert_int_equal(run(q, 7, NULL, 0), 0);
    SAYS(0, "_Z4leafv[a.c]@?:0 < mid[inc/h.h]@a.c:3");
    SAYS(3, "mid[inc/h.h]@a.c:3");
    SAYS(5, "_Z4leafv[a.c]@a.c:4 < mid[inc/h.h]@a.c:3");
}

/* A DWARF 4 line-program header with no program at the end of LINE: one
 * directory, dir, and the files named by the (name, directory number)
 * pairs that follow, ended by NULL (numbered from 1).  Its offset; in
 * *pad_at, when not NULL, where a second directory's string "p" lies, for
 * line_pad to make long. */
static uint64_t line4_tab_pad(size_t *pad_at, const char *dir, ...)
{
    size_t start = LINE.n;
    un(&LINE, 0, 4);
    un(&LINE, 4, 2);
    size_t hl = LINE.n;
    un(&LINE, 0, 4);
    u8(&LINE, 1); u8(&LINE, 1); u8(&LINE, 1); u8(&LINE, 0xfb); u8(&LINE, 14); u8(&LINE, 13);
    static const unsigned char lens[] = { 0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1 };
    for (size_t i = 0; i < sizeof lens; i++)
        u8(&LINE, lens[i]);
    str(&LINE, dir);
    if (pad_at) {
        *pad_at = LINE.n + 1; /* after its "p" */
        str(&LINE, "p");
    }
    u8(&LINE, 0);
    va_list ap;
    va_start(ap, dir);
    for (const char *name; (name = va_arg(ap, const char *));) {
        str(&LINE, name);
        uleb(&LINE, (uint64_t)va_arg(ap, int));
        uleb(&LINE, 0);
        uleb(&LINE, 0);
    }
    va_end(ap);
    u8(&LINE, 0);
    patch(&LINE, hl, LINE.n - hl - 4, 4);
    patch(&LINE, start, LINE.n - start - 4, 4);
    return start;
}
#define line4_tab(...) line4_tab_pad(NULL, __VA_ARGS__, (const char *)NULL)

/* A unit with compilation directory comp (its string in the entry), line
 * table at stmt, and no code.  Its start. */
static size_t unit_in(const char *name, const char *comp, uint64_t stmt)
{
    size_t u = unit_begin(4, 0, 0);
    uleb(&INFO, 30);
    str(&INFO, name);
    str(&INFO, comp);
    un(&INFO, stmt, 4);
    return u;
}

/* GCC's -flto run in another directory than the compiles (helper R4,
 * session 48): the unit holding the code is the link directory's
 * (/w/link), and names the header its functions come from
 * ../proj/src/inl.h; the unit of the source they were compiled in
 * (/w/proj, where the functions are declared) names it src/inl.h, and by
 * another number.  A decl file read there is spelled as the unit with the
 * code spells it, so the frame's file is the one its rows and call files
 * have (else one function was two in each profile).  A file that unit
 * does not name is left out when the far one's directory is another (its
 * spelling is another's), and kept as the far unit spells it when both
 * were compiled in one directory. */
static void declared_respelled(void **state)
{
    (void)state;
    reset();
    uint64_t stmt_a = line4_tab("../proj/src", "a.c", 0, "inl.h", 1, "/usr/include/x.h", 0);
    uint64_t stmt_b = line4_tab("src", "src/b.c", 0, "other.h", 1, "inl.h", 1, "../proj/./x.h", 0,
                                "/usr/include/../include/x.h", 0);
    uint64_t stmt_c = line4_tab("inc", "c.c", 0, "gone.h", 1);
    abbrevs_decl();
    size_t ub = unit_in("src/b.c", "/w/proj", stmt_b);
    uint64_t binl = declared(ub, "binl", 3);
    uint64_t bother = declared(ub, "bother", 2);
    uint64_t bx = declared(ub, "bx", 4);
    uint64_t babs = declared(ub, "babs", 5);
    uleb(&INFO, 0);
    unit_end(ub);
    size_t uc = unit_in("c.c", "/w/link/", stmt_c);
    uint64_t cgone = declared(uc, "cgone", 2);
    uleb(&INFO, 0);
    unit_end(uc);
    size_t ua = unit_begin(4, 0, 0);
    uleb(&INFO, 31);
    str(&INFO, "<artificial>");
    un(&INFO, put_str(&STR, "/w/link"), 4);
    un(&INFO, stmt_a, 4);
    un(&INFO, 0x1000, 8);
    un(&INFO, 0x100, 8);
    uleb(&INFO, 11);
    str(&INFO, "outer");
    inl_addr(12, ub + binl, 0x1000, 0x10, 3);
    inl_addr(12, ub + bother, 0x1010, 0x10, 4);
    inl_addr(12, uc + cgone, 0x1020, 0x10, 5);
    inl_addr(12, ub + bx, 0x1030, 0x10, 6);
    inl_addr(12, ub + babs, 0x1040, 0x10, 7);
    uleb(&INFO, 0);
    uleb(&INFO, 0);
    unit_end(ua);
    static const uint64_t q[] = { 0x1005, 0x1015, 0x1025, 0x1035, 0x1045 };
    assert_int_equal(run(q, 5, NULL, 0), 0);
    SAYS(0, "binl[../proj/src/inl.h]@a.c:3"); /* b's own spelling: src/inl.h */
    SAYS(1, "bother@a.c:4");                  /* a names no src/other.h */
    SAYS(2, "cgone[inc/gone.h]@a.c:5");       /* compiled in /w/link too */
    /* /w/proj/../proj/./x.h is not /usr/include/x.h; the latter is. */
    SAYS(3, "bx@a.c:6");
    SAYS(4, "babs[/usr/include/x.h]@a.c:7");
    /* A unit whose compilation directory cannot be read compares its
     * names as they are: src/inl.h is not ../proj/src/inl.h. */
    size_t whole = STR.n;
    STR.n = 0;
    assert_int_equal(run(q, 5, NULL, 0), 0);
    SAYS(0, "binl@a.c:3");
    SAYS(4, "babs[/usr/include/x.h]@a.c:7");
    STR.n = whole;
    each_failure(q, 1, "binl[../proj/src/inl.h]@a.c:3");
}

/* Units compiled in "." or "" (a relative or empty DW_AT_comp_dir, as
 * -fdebug-prefix-map=$PWD=. writes it) have the same compilation
 * directory: a far decl file the scanned unit's table does not name is
 * kept as the far unit spells it.  canon_path made both empty, which
 * read as "cannot be made", so the two counted as different and the
 * file was lost (a reviewer of session 48). */
static void declared_dot_comp_dir(void **state)
{
    (void)state;
    static const char *const dirs[][2] = { { ".", "." }, { "", "" }, { ".", "" }, { "./", "x/.." } };
    for (size_t k = 0; k < sizeof dirs / sizeof *dirs; k++) {
        reset();
        uint64_t stmt_a = line4_tab("inc", "a.c", 0, "a.h", 1);
        uint64_t stmt_d = line4_tab("inc", "d.c", 0, "d.h", 1);
        abbrevs_decl();
        size_t ud = unit_in("d.c", dirs[k][0], stmt_d);
        uint64_t dfar = declared(ud, "dfar", 2);
        uleb(&INFO, 0);
        unit_end(ud);
        size_t ua = unit_begin(4, 0, 0);
        uleb(&INFO, 31);
        str(&INFO, "a.c");
        un(&INFO, put_str(&STR, dirs[k][1]), 4);
        un(&INFO, stmt_a, 4);
        un(&INFO, 0x1000, 8);
        un(&INFO, 0x100, 8);
        uleb(&INFO, 11);
        str(&INFO, "outer");
        inl_addr(12, ud + dfar, 0x1000, 0x10, 3);
        uleb(&INFO, 0);
        uleb(&INFO, 0);
        unit_end(ua);
        static const uint64_t q[] = { 0x1005 };
        assert_int_equal(run(q, 1, NULL, 0), 0);
        SAYS(0, "dfar[inc/d.h]@a.c:3");
    }
}

/* .debug_line with long runs of 'p' put in at the places pads[] says (a
 * header's directory string, line4_tab_pad), so headers of megabytes cost
 * the test none: the reads of the other sections are rd's. */
static struct {
    size_t at; /* in LINE */
    uint64_t n;
} pads[8];
static size_t npads;

static bool rd_padded(void *ctx, int s, uint64_t off, void *dst, size_t len)
{
    if (s != DWARFLINE_LINE)
        return rd(ctx, s, off, dst, len);
    unsigned char *d = dst;
    while (len) {
        uint64_t shift = 0, chunk = len, real = UINT64_MAX;
        bool pad = false;
        for (size_t k = 0; k <= npads; k++) {
            uint64_t vat = k < npads ? pads[k].at + shift : UINT64_MAX; /* the pad's start */
            if (off < vat) {
                real = off - shift;
                chunk = vat - off < len ? vat - off : len;
                break;
            }
            if (off < vat + pads[k].n) {
                pad = true;
                chunk = vat + pads[k].n - off < len ? vat + pads[k].n - off : len;
                break;
            }
            shift += pads[k].n;
        }
        if (pad)
            memset(d, 'p', (size_t)chunk);
        else if (real > LINE.n || chunk > LINE.n - real)
            return false;
        else
            memcpy(d, LINE.b + real, (size_t)chunk);
        d += chunk;
        off += chunk;
        len -= (size_t)chunk;
    }
    return true;
}

/* A header of line4_tab_pad's, its directory "p" made n + 1 bytes long:
 * its offset in the padded .debug_line. */
static uint64_t line_pad(uint64_t n, const char *c, const char *h)
{
    uint64_t before = 0;
    for (size_t k = 0; k < npads; k++)
        before += pads[k].n;
    size_t at;
    uint64_t start = line4_tab_pad(&at, "inc", c, 0, h, 1, (const char *)NULL);
    patch(&LINE, start, LINE.n - start - 4 + n, 4);
    patch(&LINE, start + 6, LINE.n - start - 10 + n, 4);
    pads[npads].at = at;
    pads[npads++].n = n;
    return start + before;
}

/* One unit of code whose inlined frames name functions declared in
 * `nfar` other units, in turn (DW_FORM_ref_addr), each with a line table
 * whose header is `hdr` bytes (the first one's hdr0, when not 0): NQ
 * queries, each DEPTH frames deep, every frame a switch of far unit.
 * The scan's stats into stats, its heap's peak into heap_peak. */
enum { DEPTH = 20 }; /* found's 512 bytes hold 20 frames */
static uint64_t heap_peak;
static int far_switches2(int nfar, uint64_t hdr, uint64_t hdr0);
static int far_switches(int nfar, uint64_t hdr) { return far_switches2(nfar, hdr, 0); }
static int far_switches2(int nfar, uint64_t hdr, uint64_t hdr0)
{
    reset();
    npads = 0;
    line4();
    uint64_t stmt[8], fn[8];
    size_t fu[8];
    for (int k = 0; k < nfar; k++)
        stmt[k] = line_pad(k == 0 && hdr0 ? hdr0 : hdr, "f.c", "f.h");
    abbrevs_decl();
    for (int k = 0; k < nfar; k++) {
        fu[k] = unit_in("f.c", "/w", stmt[k]);
        fn[k] = declared(fu[k], "f", 2);
        uleb(&INFO, 0);
        unit_end(fu[k]);
    }
    size_t ua = unit_begin(4, 0, 0);
    uleb(&INFO, 31);
    str(&INFO, "a.c");
    un(&INFO, put_str(&STR, "/w"), 4);
    un(&INFO, 0, 4);
    un(&INFO, 0x1000, 8);
    un(&INFO, 0x1000, 8);
    uleb(&INFO, 11);
    str(&INFO, "outer");
    int at = 0;
    for (uint64_t q = 0; q < NQ; q++) {
        for (int d = 0; d < DEPTH; d++, at = (at + 1) % nfar)
            inl_addr(14, fu[at] + fn[at], 0x1000 + 0x10 * q, 0x10, 1);
        for (int d = 0; d < DEPTH; d++)
            uleb(&INFO, 0);
    }
    uleb(&INFO, 0);
    uleb(&INFO, 0);
    unit_end(ua);
    uint64_t qs[NQ];
    for (size_t q = 0; q < NQ; q++)
        qs[q] = 0x1008 + 0x10 * q;
    dwarfinline_src src = { NULL, rd_padded, { 0 }, NULL, NULL };
    for (int s = 0; s < DWARFINLINE_NSECS; s++)
        src.size[s] = sec[s].n;
    for (size_t k = 0; k < npads; k++)
        src.size[DWARFLINE_LINE] += pads[k].n;
    memset(got, 0, sizeof got);
    memset(calls, 0, sizeof calls);
    memset(&stats, 0, sizeof stats);
    dwarfinline_sink sink = { NULL, found, NULL, &stats, NULL, NULL };
    mem_heap_peak_reset();
    uint64_t before = mem_heap_bytes();
    int rc = dwarfinline_scan(&src, qs, NQ, NULL, 0, &sink);
    heap_peak = mem_heap_peak() - before;
    return rc;
}

/* The file tables of far units are kept for the scan (far_table): frames
 * switching between two far units at each of 320 frames read each header
 * once, where they read it at every switch (helper R4, session 48: 4000
 * switches between two headers of 860 KB read 3.4 GB in 5.3 s). */
static void far_tables_kept(void **state)
{
    (void)state;
    enum { HDR = 1000 << 10 };
    assert_int_equal(far_switches(2, HDR), 0);
    for (size_t q = 0; q < NQ; q++) {
        assert_int_equal(calls[q], 1);
        assert_non_null(strstr(got[q], "f[inc/f.h]@a.c:1 < f[inc/f.h]@a.c:1"));
    }
    /* a.c's table, and each far one once. */
    assert_int_equal(stats.line_tables, 3);
    assert_true(stats.line_bytes < 2 * (HDR + 100) + 100);
}

static uint64_t budget(size_t bytes, size_t n);

/* More far units than the scan keeps tables of, met in turn: each switch
 * reads a header again, and counts against the unit's budget by its
 * size, so the unit stops there: without it, 320 headers of 4 MiB. */
static void far_tables_budget(void **state)
{
    (void)state;
    enum { HDR = 4 << 20 };
    assert_int_equal(far_switches(5, HDR), 0);
    uint64_t cap = 256 * budget(INFO.n, NQ);
    assert_true(stats.line_bytes <= cap + HDR);
    assert_true(stats.line_tables < NQ * DEPTH / 2);
    assert_true(stats.line_tables > 5); /* they were read again */
    /* The budget ran out before the last query, which is answered
     * without the files the headers not read would have given. */
    assert_int_equal(calls[NQ - 1], 1);
    assert_null(strstr(got[NQ - 1], "f.h"));
    assert_non_null(strstr(got[NQ - 1], "f@a.c:1 < f@a.c:1"));
}

/* Headers over FAR_TABLE_KEEP are not kept: four far units with headers
 * of 2 MiB, met in turn, hold one at a time (a reviewer of session 48:
 * the kept ones could hold 4 x 16 MiB inside the program), each read
 * again when met. */
static void far_tables_big_not_kept(void **state)
{
    (void)state;
    enum { HDR = 2 << 20 };
    assert_int_equal(far_switches(4, HDR), 0);
    assert_true(stats.line_tables > 8);
    assert_true(heap_peak < 2 * (uint64_t)HDR);
    assert_true(heap_peak > (uint64_t)HDR);
}

/* A header refused for want of budget costs what was read of it (its
 * first bytes), not its size: a far unit of 15 MiB headers met in turn
 * with a small one used the budget up after a few queries; then the
 * small one's decl files were lost from every later query with the
 * unit's other names.  Now the later queries have them still, and only
 * the large one's frames lack a file. */
static void far_tables_refused(void **state)
{
    (void)state;
    assert_int_equal(far_switches2(2, 100, 15 << 20), 0);
    for (size_t q = 0; q < NQ; q++)
        assert_int_equal(calls[q], 1);
    /* innermost first: the small unit's frame, then the large one's */
    assert_non_null(strstr(got[0], "f[inc/f.h]@a.c:1 < f[inc/f.h]@a.c:1"));
    assert_non_null(strstr(got[NQ - 1], "f[inc/f.h]@a.c:1 < f@a.c:1"));
}

/* ---- cut and hostile input ---------------------------------------------- */

/* s with every file name of its frames as "?". */
static const char *no_files(const char *s)
{
    static char out[512];
    size_t n = 0;
    for (const char *p = s; *p && n + 2 < sizeof out;) {
        out[n++] = *p;
        if (*p++ == '@') {
            out[n++] = '?';
            p = strchr(p, ':');
            if (!p)
                break;
        }
    }
    out[n] = '\0';
    return out;
}

/* .debug_info, .debug_abbrev, .debug_line and .debug_str cut at every
 * byte: answers are none, or the whole unit's. */
static void truncated(void **state)
{
    (void)state;
    static char want[NQ][512];
    reset();
    unit4();
    assert_int_equal(run(q4, 8, NULL, 0), 0);
    memcpy(want, got, sizeof want);
    static const int secs[] = { DWARFINLINE_INFO, DWARFINLINE_ABBREV, DWARFLINE_LINE, DWARFLINE_STR };
    for (size_t s = 0; s < sizeof secs / sizeof *secs; s++) {
        size_t whole = sec[secs[s]].n;
        for (size_t cut = 0; cut < whole; cut++) {
            sec[secs[s]].n = cut;
            /* Also with the unit's length cut to match. */
            for (int fix = 0; fix < 2; fix++) {
                if (fix && secs[s] == DWARFINLINE_INFO && cut >= 4)
                    patch(&INFO, 0, cut - 4, 4);
                assert_int_equal(run(q4, 8, NULL, 0), 0);
                for (int i = 0; i < 8; i++)
                    if (calls[i] && strcmp(got[i], want[i]) != 0 &&
                        /* A cut line header loses the call files, and
                         * names no other one. */
                        !(secs[s] == DWARFLINE_LINE && strcmp(got[i], no_files(want[i])) == 0))
                        fail_msg("cut %d at %zu: %s, want %s", secs[s], cut, got[i], want[i]);
            }
        }
        sec[secs[s]].n = whole;
        if (secs[s] == DWARFINLINE_INFO)
            patch(&INFO, 0, whole - 4, 4);
    }
}

/* ---- a skeleton unit's split unit, with hostile indices ------------------ */

/* The .dwo's sections, for dwarfinline_src.split: built in sec[] and
 * copied here, the skeleton then built in sec[] again. */
static buf dwo[DWARFINLINE_NSECS];

static bool rd_dwo(void *ctx, int s, uint64_t off, void *dst, size_t len)
{
    (void)ctx;
    assert_true(s >= 0 && s < DWARFINLINE_NSECS);
    if (off > dwo[s].n || len > dwo[s].n - off)
        fail_msg("read past .dwo section %d: %llu + %zu > %zu", s, (unsigned long long)off, len,
                 dwo[s].n);
    memcpy(dst, dwo[s].b + off, len);
    return true;
}

static dwarfinline_src dwo_src;
static int split_calls;

static const dwarfinline_src *split_cb(void *ctx, const char *path)
{
    (void)ctx;
    assert_string_equal(path, "/b/s.dwo");
    split_calls++;
    return &dwo_src;
}

enum { F_STRX = 0x1a, A_DWO_NAME = 0x76, T_SKELETON = 0x4a, DWO_ID = 0x5eed1234 };

/* A split unit's strx, addrx and rnglistx indices past their tables
 * (.debug_str_offsets.dwo, the binary's .debug_addr, .debug_rnglists.dwo),
 * and ones that overflow when multiplied by the entry's size, to wrap
 * onto an entry of the table (index 2^62 + 1 times 4 is 4, the entry of
 * "wrong"; 2^61 + 1 times 8 is 8, the address of good's range): no read
 * outside a section (rd_dwo, rd), and no frame but the right ones; the
 * inlined functions whose name, address or ranges cannot be read give
 * none. */
static void split_unit_with(int bad)
{
    const uint64_t wrap4 = ((uint64_t)1 << 62) + 1, wrap8 = ((uint64_t)1 << 61) + 1;
    reset();
    ABB(1, T_CU, true, A_NAME, F_STRING);
    ABB(2, T_SUB, false, A_NAME, F_STRX);
    ABB(3, T_SUB, true, A_NAME, F_STRING, A_LOW, F_ADDRX, A_HIGH, F_DATA4);
    ABB(4, T_INL, false, A_ORIGIN, F_REF4, A_LOW, F_ADDRX, A_HIGH, F_DATA4, A_CLINE, F_UDATA);
    ABB(5, T_INL, false, A_ORIGIN, F_REF4, A_RANGES, F_RNGLISTX, A_CLINE, F_UDATA);
    uleb(&ABBREV, 0);
    /* .debug_str_offsets.dwo: a header, then "good" (0) and "wrong" (1). */
    un(&STROFF, 4 + 8, 4); un(&STROFF, 5, 2); un(&STROFF, 0, 2);
    un(&STROFF, put_str(&STR, "good"), 4);
    un(&STROFF, put_str(&STR, "wrong"), 4);
    /* .debug_rnglists.dwo: a header, one offset, list 0: startx_length
     * [addrx 1, +0x10), good's at 0x7100. */
    un(&RNGLISTS, 0, 4); un(&RNGLISTS, 5, 2); u8(&RNGLISTS, 8); u8(&RNGLISTS, 0);
    un(&RNGLISTS, 1, 4);
    uint64_t base = RNGLISTS.n;
    un(&RNGLISTS, 4, 4);
    u8(&RNGLISTS, 3); uleb(&RNGLISTS, 1); uleb(&RNGLISTS, 0x10);
    u8(&RNGLISTS, 0);
    patch(&RNGLISTS, 0, RNGLISTS.n - 4, 4);
    assert_int_equal(base, 12);

    size_t u = unit_begin(5, 0, 5);
    patch(&INFO, u + 12, DWO_ID, 8);
    uleb(&INFO, 1);
    str(&INFO, "s.c");
    uint64_t good = here(u), wrong = here(u) + 2, oor = here(u) + 4, ovf = here(u) + 6;
    uleb(&INFO, 2); uleb(&INFO, 0);       /* good */
    uleb(&INFO, 2); uleb(&INFO, 1);       /* wrong */
    uleb(&INFO, 2); uleb(&INFO, 50);      /* past the offsets */
    uleb(&INFO, 2); uleb(&INFO, wrap4);   /* wraps onto "wrong" */
    assert_int_equal(here(u), ovf + 10);
    uleb(&INFO, 3);
    str(&INFO, "outer");
    uleb(&INFO, 0);                       /* addrx 0: 0x7000 */
    un(&INFO, 0x1000, 4);
    /* The right ones: good by rnglistx 0 at 0x7100, by addrx 2 at 0x7200. */
    uleb(&INFO, 5); un(&INFO, good, 4); uleb(&INFO, 0); uleb(&INFO, 11);
    uleb(&INFO, 4); un(&INFO, good, 4); uleb(&INFO, 2); un(&INFO, 0x10, 4); uleb(&INFO, 12);
    switch (bad) {
    /* Names that cannot be read, at 0x7300 and 0x7400. */
    case 0: uleb(&INFO, 4); un(&INFO, oor, 4); uleb(&INFO, 3); un(&INFO, 0x10, 4); break;
    case 1: uleb(&INFO, 4); un(&INFO, ovf, 4); uleb(&INFO, 4); un(&INFO, 0x10, 4); break;
    /* Addresses and ranges that cannot be read, for "wrong": past the
     * tables, and wrapping onto good's. */
    case 2: uleb(&INFO, 4); un(&INFO, wrong, 4); uleb(&INFO, 50); un(&INFO, 0x10, 4); break;
    case 3: uleb(&INFO, 4); un(&INFO, wrong, 4); uleb(&INFO, wrap8); un(&INFO, 0x10, 4); break;
    case 4: uleb(&INFO, 5); un(&INFO, wrong, 4); uleb(&INFO, 50); break;
    case 5: uleb(&INFO, 5); un(&INFO, wrong, 4); uleb(&INFO, wrap4 - 1); break;
    default: break;
    }
    if (bad >= 0)
        uleb(&INFO, 20);
    uleb(&INFO, 0);
    uleb(&INFO, 0);
    unit_end(u);
    memcpy(dwo, sec, sizeof dwo);

    /* The binary: .debug_addr (0x7000, 0x7100, 0x7200, 0x7300, 0x7400)
     * and a skeleton over [0x7000, 0x8000). */
    reset();
    ABB(1, T_SKELETON, false, A_LOW, F_ADDR, A_HIGH, F_DATA4, A_DWO_NAME, F_STRING, A_COMP_DIR,
        F_STRING, A_ADDR_BASE, F_SEC_OFFSET);
    uleb(&ABBREV, 0);
    un(&ADDR, 4 + 40, 4); un(&ADDR, 5, 2); u8(&ADDR, 8); u8(&ADDR, 0);
    for (uint64_t a = 0x7000; a <= 0x7400; a += 0x100)
        un(&ADDR, a, 8);
    u = unit_begin(5, 0, 4);
    patch(&INFO, u + 12, DWO_ID, 8);
    uleb(&INFO, 1);
    un(&INFO, 0x7000, 8);
    un(&INFO, 0x1000, 4);
    str(&INFO, "s.dwo");
    str(&INFO, "/b");
    un(&INFO, 8, 4);
    unit_end(u);

}

/* The scan of q over split_unit_with(bad)'s skeleton and split unit. */
static void run_split(int bad, const uint64_t *q, size_t n)
{
    split_unit_with(bad);
    dwo_src = (dwarfinline_src){ NULL, rd_dwo, { 0 }, NULL, NULL, NULL };
    for (int s = 0; s < DWARFINLINE_NSECS; s++)
        dwo_src.size[s] = dwo[s].n;
    dwarfinline_src src = { NULL, rd, { 0 }, NULL, split_cb, NULL };
    for (int s = 0; s < DWARFINLINE_NSECS; s++)
        src.size[s] = sec[s].n;
    memset(got, 0, sizeof got);
    memset(calls, 0, sizeof calls);
    nunits = 0;
    split_calls = 0;
    dwarfinline_sink sink = { NULL, found, unit_cb, NULL, NULL, NULL, NULL };
    assert_int_equal(dwarfinline_scan(&src, q, n, NULL, 0, &sink), 0);
    assert_int_equal(split_calls, 1);
}

static void split_hostile_indices(void **state)
{
    (void)state;
    static const uint64_t q[] = { 0x7008, 0x7108, 0x7208, 0x7308, 0x7408 };
    /* Without a bad entry: good's frames, read by strx, rnglistx (and its
     * startx_length's addrx) and addrx, the addresses in the binary. */
    run_split(-1, q, 5);
    static const char *const right[] = { NULL, "good@?:11", "good@?:12", NULL, NULL };
    for (size_t i = 0; i < 5; i++)
        if (right[i])
            SAYS(i, right[i]);
        else
            NONE(i);
    for (int bad = 0; bad <= 5; bad++) {
        run_split(bad, q, 5);
        /* A name that cannot be read costs its own frame only; an address
         * or a range list that cannot be read, the unit's answers. */
        for (size_t i = 0; i < 5; i++)
            if (calls[i])
                assert_true(right[i] && strcmp(got[i], right[i]) == 0);
        if (bad <= 1)
            assert_true(calls[1] == 1 && calls[2] == 1);
    }
}

/* References that loop, point outside the unit or at nothing; siblings
 * backwards; nesting past the cap; a list that never ends. */
static void hostile(void **state)
{
    (void)state;
    reset();
    line4();
    abbrevs4();
    size_t u = unit_begin(4, 0, 0);
    uleb(&INFO, 1);
    str(&INFO, "h.c");
    un(&INFO, 0, 4);
    un(&INFO, 0x1000, 8);
    un(&INFO, 0x9000, 8);
    /* An abstract entry whose specification is itself: no name. */
    uint64_t self = here(u);
    uleb(&INFO, 5);
    un(&INFO, self, 4);
    /* Two that point at each other. */
    uint64_t p1 = here(u);
    uleb(&INFO, 5);
    un(&INFO, p1 + 5, 4);
    uleb(&INFO, 5);
    un(&INFO, p1, 4);
    uint64_t named = here(u);
    uleb(&INFO, 4);
    str(&INFO, "ok");
    uleb(&INFO, 11);
    str(&INFO, "outer");
    /* [0x1000,0x1010): self; [0x1010, 0x1020): the loop; [0x1020,
     * 0x1030): past the unit; [0x1030, 0x1040): another unit (ref_addr);
     * [0x1040, 0x1050): fine; [0x1050, 0x1060): indirect to ref4. */
    static const uint64_t lows[] = { 0x1000, 0x1010, 0x1020, 0x1040 };
    uint64_t origins[] = { self, p1, 0x7fffffff, named };
    for (int i = 0; i < 4; i++) {
        uleb(&INFO, 10);
        un(&INFO, origins[i], 4);
        un(&INFO, lows[i], 8);
        un(&INFO, lows[i] + 0x10, 8);
        u8(&INFO, 1);
        u8(&INFO, 3);
    }
    uleb(&INFO, 12);
    un(&INFO, 0x100000, 4);
    un(&INFO, 0x1030, 8);
    un(&INFO, 0x10, 4);
    u8(&INFO, 1);
    u8(&INFO, 3);
    uleb(&INFO, 13);
    uleb(&INFO, F_REF4);
    un(&INFO, named, 4);
    un(&INFO, 0x1050, 8);
    un(&INFO, 0x10, 4);
    uleb(&INFO, 0);
    uleb(&INFO, 0);
    unit_end(u);
    static const uint64_t q[] = { 0x1005, 0x1015, 0x1025, 0x1035, 0x1045, 0x1055 };
    assert_int_equal(run(q, 6, NULL, 0), 0);
    NONE(0);
    NONE(1);
    NONE(2);
    NONE(3);
    SAYS(4, "ok@a.c:3");
    SAYS(5, "ok@?:0");

    /* DW_FORM_indirect naming indirect again: the unit cannot be read. */
    size_t at = INFO.n;
    INFO.b[at - 2 - 4 - 8 - 4 - 1] = F_INDIRECT;
    assert_int_equal(run(q, 6, NULL, 0), 0);
    NONE(4);

    /* Nesting past the cap: a chain of lexical blocks. */
    uint64_t m;
    u = fresh4("n.c", 0x1000, &m);
    for (int d = 0; d < 300; d++) {
        uleb(&INFO, 9);
        un(&INFO, 0x1000, 8);
        un(&INFO, 0x100, 4);
    }
    uleb(&INFO, 10);
    un(&INFO, m, 4);
    un(&INFO, 0x1000, 8);
    un(&INFO, 0x1010, 8);
    u8(&INFO, 1);
    u8(&INFO, 3);
    for (int d = 0; d < 301; d++)
        uleb(&INFO, 0);
    unit_end(u);
    static const uint64_t qn[] = { 0x1005 };
    assert_int_equal(run(qn, 1, NULL, 0), 0);
    NONE(0);

    /* A sibling pointing backwards is not followed; a range list that
     * runs to the section's end is no list. */
    u = fresh4("s.c", 0x1000, &m);
    uleb(&INFO, 2);
    un(&INFO, put_str(&STR, "f"), 4);
    un(&INFO, 0x1800, 8); /* holds no query */
    un(&INFO, 0x10, 4);
    un(&INFO, 0, 4); /* sibling: the unit's start */
    uleb(&INFO, 0);
    uleb(&INFO, 2);
    un(&INFO, put_str(&STR, "g"), 4);
    un(&INFO, 0x1000, 8);
    un(&INFO, 0x100, 4);
    un(&INFO, 0, 4);
    uleb(&INFO, 10);
    un(&INFO, m, 4);
    un(&INFO, 0x1000, 8);
    un(&INFO, 0x1010, 8);
    u8(&INFO, 1);
    u8(&INFO, 3);
    uleb(&INFO, 0);
    uleb(&INFO, 0);
    unit_end(u);
    assert_int_equal(run(qn, 1, NULL, 0), 0);
    SAYS(0, "m@a.c:3");
    u = fresh4("r.c", 0x1000, &m);
    for (int i = 0; i < 100; i++) {
        un(&RANGES, 0x1000, 8);
        un(&RANGES, 0x1010, 8);
    }
    uleb(&INFO, 11);
    str(&INFO, "f");
    uleb(&INFO, 7);
    un(&INFO, m, 4);
    un(&INFO, 0, 4);
    uleb(&INFO, 1);
    uleb(&INFO, 3);
    uleb(&INFO, 0);
    uleb(&INFO, 0);
    uleb(&INFO, 0);
    unit_end(u);
    assert_int_equal(run(qn, 1, NULL, 0), 0);
    NONE(0);

    /* A function named "" names nothing (fuzz_dwarfinline found it given). */
    u = fresh4("e.c", 0x1000, &m);
    uint64_t empty = here(u);
    uleb(&INFO, 4);
    str(&INFO, "");
    uleb(&INFO, 11);
    str(&INFO, "f");
    uleb(&INFO, 10);
    un(&INFO, empty, 4);
    un(&INFO, 0x1000, 8);
    un(&INFO, 0x1010, 8);
    u8(&INFO, 1);
    u8(&INFO, 3);
    uleb(&INFO, 0);
    uleb(&INFO, 0);
    unit_end(u);
    assert_int_equal(run(qn, 1, NULL, 0), 0);
    NONE(0);
}

/* A function the linker discarded: low_pc 0, or all ones, covers nothing,
 * even where its length reaches real code. */
static void discarded(void **state)
{
    (void)state;
    static const uint64_t lows[] = { 0, UINT64_MAX };
    for (int i = 0; i < 2; i++) {
        uint64_t m;
        size_t u = fresh4("d.c", 0x1000, &m);
        uleb(&INFO, 11);
        str(&INFO, "f");
        uleb(&INFO, 3);
        un(&INFO, m, 4);
        un(&INFO, lows[i], 8);
        un(&INFO, 0x2000, 4);
        u8(&INFO, 1);
        un(&INFO, 3, 2);
        uleb(&INFO, 0);
        uleb(&INFO, 0);
        uleb(&INFO, 0);
        unit_end(u);
        static const uint64_t q[] = { 0x1005 };
        assert_int_equal(run(q, 1, NULL, 0), 0);
        NONE(0);
    }
}

/* ---- work on hostile input, counted ---------------------------------------- */

/* The work dwarfinline.c allows one unit of `bytes` bytes holding n
 * queries: 16 per byte, NEST_MAX (256) per query, and 2^20. */
static uint64_t budget(size_t bytes, size_t n) { return 16 * (uint64_t)bytes + 256 * n + (1 << 20); }

/* A unit of no stated range (so it is walked) holding `entries`
 * functions, each with the same list of `ranges` ranges covering all
 * code: decoding the list for each entry made 10 KiB of .debug_info take
 * 26 s (helper D, session 41).  The unit stops at its budget. */
static void shared_range_list(void **state)
{
    (void)state;
    enum { ENTRIES = 20000, LIST = 2000 };
    reset();
    ABB(1, T_CU, true, A_NAME, F_STRING);
    ABB(2, T_SUB, false, A_RANGES, F_SEC_OFFSET);
    uleb(&ABBREV, 0);
    for (int k = 0; k < LIST; k++) {
        un(&RANGES, 0x1000, 8);
        un(&RANGES, 1ULL << 62, 8);
    }
    un(&RANGES, 0, 8);
    un(&RANGES, 0, 8);
    size_t u = unit_begin(4, 0, 0);
    uleb(&INFO, 1);
    str(&INFO, "r.c");
    for (int k = 0; k < ENTRIES; k++) {
        uleb(&INFO, 2);
        un(&INFO, 0, 4);
    }
    uleb(&INFO, 0);
    unit_end(u);
    static const uint64_t q[] = { 0x2000 };
    assert_int_equal(run(q, 1, NULL, 0), 0);
    NONE(0);
    /* Without the budget: ENTRIES * LIST ranges decoded, 40 million. */
    assert_true(stats.ranges + stats.visits <= budget(INFO.n, 1) + 1);
    assert_true(stats.ranges >= LIST); /* it did read them */
}

/* Functions that each cover every one of many queries: a query is visited
 * per entry holding it, so the unit stops at its budget too. */
static void overlapping_entries(void **state)
{
    (void)state;
    enum { ENTRIES = 9000, QUERIES = 4000 };
    static uint64_t q[QUERIES];
    for (size_t i = 0; i < QUERIES; i++)
        q[i] = 0x1000 + 16 * i;
    reset();
    ABB(1, T_CU, true, A_NAME, F_STRING);
    ABB(2, T_SUB, false, A_LOW, F_ADDR, A_HIGH, F_DATA4);
    uleb(&ABBREV, 0);
    size_t u = unit_begin(4, 0, 0);
    uleb(&INFO, 1);
    str(&INFO, "o.c");
    for (int k = 0; k < ENTRIES; k++) {
        uleb(&INFO, 2);
        un(&INFO, 0x1000, 8);
        un(&INFO, 0x10000000, 4);
    }
    uleb(&INFO, 0);
    unit_end(u);
    assert_int_equal(run(q, QUERIES, NULL, 0), 0);
    /* Without the budget: ENTRIES * QUERIES visits, 36 million. */
    assert_true(stats.ranges + stats.visits <= budget(INFO.n, QUERIES) + 1);
    assert_true(stats.visits >= QUERIES);
}

/* Many units over one abbreviation table parse it once: 20000 units over
 * one table of a few thousand abbreviations took 10.8 s when each parsed
 * it (helper D, session 41).  A unit whose header reads the table with
 * another address size parses it again (its forms' sizes differ). */
static void shared_abbrevs(void **state)
{
    (void)state;
    enum { UNITS = 5000, ABBREVS = 200 };
    reset();
    ABB(1, T_CU, false, A_NAME, F_STRING);
    for (uint64_t c = 2; c < ABBREVS; c++)
        ABB(c, 0x34, false, A_NAME, F_STRING, A_LOW, F_ADDR);
    uleb(&ABBREV, 0);
    for (int k = 0; k < UNITS; k++) {
        size_t u = unit_begin(4, 0, 0);
        uleb(&INFO, 1);
        str(&INFO, "");
        unit_end(u);
    }
    size_t u = unit_begin(4, 0, 0);
    INFO.b[u + 10] = 4; /* address size */
    uleb(&INFO, 1);
    str(&INFO, "");
    unit_end(u);
    static const uint64_t q[] = { 0x1000 };
    assert_int_equal(run(q, 1, NULL, 0), 0);
    assert_int_equal(nunits, NQ); /* every unit was read (the first NQ noted) */
    /* Without the sharing: one table per unit. */
    assert_int_equal(stats.abbrev_tables, 2);
}

/* Every allocation of a scan failing in turn: ENOMEM or the whole
 * answer, and nothing leaked. */
static void out_of_memory(void **state)
{
    (void)state;
    reset();
    unit4();
    each_failure(q4, 8, "mid@a.c:10");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dwarf4_nested),
        cmocka_unit_test(functions_holding),
        cmocka_unit_test(dwarf4_ranges),
        cmocka_unit_test(dwarf5_forms),
        cmocka_unit_test(skipped_units),
        cmocka_unit_test(other_units),
        cmocka_unit_test(supplementary_file),
        cmocka_unit_test(declared_files),
        cmocka_unit_test(declared_elsewhere),
        cmocka_unit_test(declared_in_supplementary),
        cmocka_unit_test(declared_where_needed),
        cmocka_unit_test(declared_respelled),
        cmocka_unit_test(far_tables_kept),
        cmocka_unit_test(declared_dot_comp_dir),
        cmocka_unit_test(far_tables_budget),
        cmocka_unit_test(far_tables_big_not_kept),
        cmocka_unit_test(far_tables_refused),
        cmocka_unit_test(truncated),
        cmocka_unit_test(split_hostile_indices),
        cmocka_unit_test(hostile),
        cmocka_unit_test(discarded),
        cmocka_unit_test(out_of_memory),
        cmocka_unit_test(shared_range_list),
        cmocka_unit_test(overlapping_entries),
        cmocka_unit_test(shared_abbrevs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests: file:line from DWARF line-number programs (src/dwarfline.h),
 * on units written out by hand in the layout of DWARF 5 section 6.2
 * (versions 2 to 5, 32- and 64-bit), and on mangled ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dwarfline.h"
#include "mem.h"

enum {
    COPY = 1, ADVANCE_PC, ADVANCE_LINE, SET_FILE, SET_COLUMN, NEGATE_STMT,
    BASIC_BLOCK, CONST_ADD_PC, FIXED_ADVANCE_PC,
    END_SEQUENCE = 1, SET_ADDRESS, DEFINE_FILE, SET_DISCRIMINATOR,
    LNCT_PATH = 1, LNCT_DIR = 2, LNCT_TIMESTAMP = 3, LNCT_SIZE = 4, LNCT_MD5 = 5,
    F_STRING = 0x08, F_LINE_STRP = 0x1f, F_STRP = 0x0e, F_UDATA = 0x0f, F_DATA1 = 0x0b,
    F_DATA2 = 0x05, F_DATA4 = 0x06, F_DATA8 = 0x07, F_DATA16 = 0x1e, F_BLOCK = 0x09,
    F_STRX1 = 0x25,
    OPCODE_BASE = 13, LINE_BASE = -5, LINE_RANGE = 14,
};

/* ---- building sections ---------------------------------------------------- */

typedef struct buf {
    unsigned char b[1 << 16];
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
static void sleb(buf *b, int64_t v)
{
    for (;;) {
        unsigned char byte = v & 0x7f;
        v >>= 7;
        bool done = (v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40));
        u8(b, byte | (done ? 0 : 0x80));
        if (done)
            return;
    }
}
static void str(buf *b, const char *s)
{
    size_t n = strlen(s) + 1;
    memcpy(b->b + b->n, s, n);
    b->n += n;
}
/* A string into a string section: its offset. */
static uint64_t put_str(buf *b, const char *s)
{
    uint64_t off = b->n;
    str(b, s);
    return off;
}

/* The sections of one test. */
static buf line, line_str, dstr;

typedef struct unit_mark {
    size_t start, len_at, hlen_at;
    int offsize;
} unit_mark;

/* Starts a unit's header up to header_length; max_ops is written from
 * version 4 on. */
static unit_mark begin(int version, bool dwarf64)
{
    unit_mark m = { line.n, 0, 0, dwarf64 ? 8 : 4 };
    if (dwarf64)
        un(&line, 0xffffffffu, 4);
    m.len_at = line.n;
    un(&line, 0, m.offsize);
    un(&line, (uint64_t)version, 2);
    if (version >= 5) {
        u8(&line, 8); /* address size */
        u8(&line, 0); /* segment selector size */
    }
    m.hlen_at = line.n;
    un(&line, 0, m.offsize);
    return m;
}

static void params(int version, int min_inst, int max_ops)
{
    u8(&line, (uint64_t)min_inst);
    if (version >= 4)
        u8(&line, (uint64_t)max_ops);
    u8(&line, 1); /* default_is_stmt */
    u8(&line, (uint64_t)(int64_t)LINE_BASE);
    u8(&line, LINE_RANGE);
    u8(&line, OPCODE_BASE);
    static const unsigned char lens[] = { 0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1 };
    for (size_t i = 0; i < sizeof lens; i++)
        u8(&line, lens[i]);
}

static void patch(size_t at, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        line.b[at + (size_t)i] = (unsigned char)(v >> (8 * i));
}

/* The header ends here: header_length is patched. */
static void end_header(const unit_mark *m)
{
    patch(m->hlen_at, line.n - (m->hlen_at + (size_t)m->offsize), m->offsize);
}

static void end_unit(const unit_mark *m)
{
    patch(m->len_at, line.n - (m->len_at + (size_t)m->offsize), m->offsize);
}

static void set_address(uint64_t a)
{
    u8(&line, 0);
    uleb(&line, 9);
    u8(&line, SET_ADDRESS);
    un(&line, a, 8);
}

static void end_sequence(void)
{
    u8(&line, 0);
    uleb(&line, 1);
    u8(&line, END_SEQUENCE);
}

/* A special opcode advancing the address by a and the line by l. */
static void special(int a, int l)
{
    u8(&line, (uint64_t)((l - LINE_BASE) + LINE_RANGE * a + OPCODE_BASE));
}

static void reset(void)
{
    line.n = line_str.n = dstr.n = 0;
}

/* ---- running a scan -------------------------------------------------------- */

enum { QMAX = 64 };
typedef struct result {
    int calls[QMAX];
    char path[QMAX][DWARFLINE_PATH_MAX];
    uint32_t line[QMAX];
    uint64_t unit_off[QMAX], unit_lo[QMAX], unit_hi[QMAX];
    size_t nunits;
} result;
static result res;

static bool rd(void *ctx, int sec, uint64_t off, void *dst, size_t len)
{
    const buf *b = sec == DWARFLINE_LINE ? &line : sec == DWARFLINE_LINE_STR ? &line_str : &dstr;
    assert_true(off <= b->n && len <= b->n - off); /* sizes are checked before a read */
    memcpy(dst, b->b + off, len);
    return true;
}

static void found(void *ctx, size_t q, const char *path, uint32_t ln)
{
    assert_true(q < QMAX);
    res.calls[q]++;
    snprintf(res.path[q], sizeof res.path[q], "%s", path);
    res.line[q] = ln;
}

static void on_unit(void *ctx, uint64_t off, uint64_t lo, uint64_t hi)
{
    if (res.nunits < QMAX) {
        res.unit_off[res.nunits] = off;
        res.unit_lo[res.nunits] = lo;
        res.unit_hi[res.nunits++] = hi;
    }
}

static int run(const uint64_t *q, size_t n, const uint64_t *units, size_t nunits)
{
    memset(&res, 0, sizeof res);
    dwarfline_src src = { NULL, rd, { line.n, line_str.n, dstr.n } };
    dwarfline_sink sink = { NULL, found, on_unit };
    int err = dwarfline_scan(&src, q, n, units, nunits, &sink);
    for (size_t i = 0; i < n; i++)
        assert_true(res.calls[i] <= 1);
    return err;
}

#define EXPECT(q, want_path, want_line)                                        \
    do {                                                                       \
        assert_int_equal(res.calls[q], 1);                                     \
        assert_string_equal(res.path[q], want_path);                           \
        assert_int_equal(res.line[q], want_line);                              \
    } while (0)
#define NONE(q) assert_int_equal(res.calls[q], 0)

/* ---- units ----------------------------------------------------------------- */

/* DWARF 2-4: include "inc" and "/abs", files a.c (dir 0), b.h (inc), c.h
 * (/abs).  Rows: 0x1000 a.c:10, 0x1004 a.c:12, 0x1010 b.h:3, end 0x1020. */
static void old_unit(int version, bool dwarf64)
{
    unit_mark m = begin(version, dwarf64);
    params(version, 1, 1);
    str(&line, "inc");
    str(&line, "/abs");
    u8(&line, 0);
    const char *files[] = { "a.c", "b.h", "c.h" };
    for (int i = 0; i < 3; i++) {
        str(&line, files[i]);
        uleb(&line, (uint64_t)i);
        uleb(&line, 0);
        uleb(&line, 0);
    }
    u8(&line, 0);
    end_header(&m);
    set_address(0x1000);
    u8(&line, ADVANCE_LINE);
    sleb(&line, 9);
    u8(&line, COPY);
    special(4, 2);
    u8(&line, SET_FILE);
    uleb(&line, 2);
    u8(&line, ADVANCE_LINE);
    sleb(&line, -9);
    u8(&line, ADVANCE_PC);
    uleb(&line, 0xc);
    u8(&line, COPY);
    u8(&line, ADVANCE_PC);
    uleb(&line, 0x10);
    end_sequence();
    end_unit(&m);
}

static const uint64_t old_q[] = { 0xfff, 0x1000, 0x1003, 0x1004, 0x100f, 0x1010, 0x101f, 0x1020 };

static void check_old(void)
{
    NONE(0);
    EXPECT(1, "a.c", 10);
    EXPECT(2, "a.c", 10);
    EXPECT(3, "a.c", 12);
    EXPECT(4, "a.c", 12);
    EXPECT(5, "inc/b.h", 3);
    EXPECT(6, "inc/b.h", 3);
    NONE(7); /* the end of the sequence is not in it */
}

static void versions_2_to_4(void **state)
{
    for (int v = 2; v <= 4; v++) {
        for (int wide = 0; wide < 2; wide++) {
            reset();
            old_unit(v, wide);
            assert_int_equal(run(old_q, 8, NULL, 0), 0);
            check_old();
            assert_int_equal(res.nunits, 1);
            assert_int_equal(res.unit_lo[0], 0x1000);
            assert_int_equal(res.unit_hi[0], 0x1020);
        }
    }
}

/* DWARF 5: directories /comp (line_strp), sub (line_strp), /abs (string);
 * files x.c in dir 0 (strp), y.h in sub (line_strp, with an MD5), z.h in
 * /abs (string, a block and a data1 directory index). */
static void v5_unit(bool dwarf64)
{
    int os = dwarf64 ? 8 : 4;
    unit_mark m = begin(5, dwarf64);
    params(5, 1, 1);
    u8(&line, 1); /* directory format: path */
    uleb(&line, LNCT_PATH);
    uleb(&line, F_LINE_STRP);
    uleb(&line, 3);
    un(&line, put_str(&line_str, "/comp"), os);
    un(&line, put_str(&line_str, "sub"), os);
    un(&line, put_str(&line_str, "/abs"), os);
    u8(&line, 5); /* file format: a mix of forms */
    uleb(&line, LNCT_PATH);
    uleb(&line, F_LINE_STRP);
    uleb(&line, LNCT_DIR);
    uleb(&line, F_UDATA);
    uleb(&line, LNCT_MD5);
    uleb(&line, F_DATA16);
    uleb(&line, LNCT_SIZE);
    uleb(&line, F_BLOCK);
    uleb(&line, LNCT_TIMESTAMP);
    uleb(&line, F_DATA8);
    uleb(&line, 3);
    const char *names[] = { "x.c", "y.h", "z.h" };
    for (int i = 0; i < 3; i++) {
        un(&line, put_str(&line_str, names[i]), os);
        uleb(&line, (uint64_t)i);
        for (int k = 0; k < 16; k++)
            u8(&line, 0xaa);
        uleb(&line, 2);
        u8(&line, 1);
        u8(&line, 2);
        un(&line, 0x123456789, 8);
    }
    end_header(&m);
    set_address(0x2000);
    u8(&line, SET_FILE);
    uleb(&line, 0); /* file 0 is real in DWARF 5 */
    special(0, 4); /* line 5 */
    special(8, 1);
    u8(&line, SET_FILE);
    uleb(&line, 1);
    special(8, 1);
    u8(&line, SET_FILE);
    uleb(&line, 2);
    special(8, 1);
    u8(&line, ADVANCE_PC);
    uleb(&line, 8);
    end_sequence();
    end_unit(&m);
}

static void version_5(void **state)
{
    for (int wide = 0; wide < 2; wide++) {
        reset();
        v5_unit(wide);
        static const uint64_t q[] = { 0x2000, 0x2008, 0x2010, 0x2018, 0x2020 };
        assert_int_equal(run(q, 5, NULL, 0), 0);
        EXPECT(0, "/comp/x.c", 5);
        EXPECT(1, "/comp/x.c", 6);
        EXPECT(2, "/comp/sub/y.h", 7);
        EXPECT(3, "/abs/z.h", 8);
        NONE(4);
    }
}

/* Strings through .debug_str (strp), inline ones (string), an index
 * form that needs .debug_str_offsets (strx1: no name), and an entry
 * format with a form this reader does not know, which ends the unit but
 * not the scan. */
static void v5_forms(void **state)
{
    reset();
    unit_mark m = begin(5, false);
    params(5, 1, 1);
    u8(&line, 1);
    uleb(&line, LNCT_PATH);
    uleb(&line, F_STRING);
    uleb(&line, 1);
    str(&line, "/d");
    u8(&line, 2);
    uleb(&line, LNCT_PATH);
    uleb(&line, F_STRP);
    uleb(&line, LNCT_DIR);
    uleb(&line, F_DATA2);
    uleb(&line, 1);
    un(&line, put_str(&dstr, "s.c"), 4);
    un(&line, 0, 2);
    end_header(&m);
    set_address(0x3000);
    u8(&line, SET_FILE);
    uleb(&line, 0);
    u8(&line, COPY);
    u8(&line, SET_FILE);
    uleb(&line, 7); /* no such file */
    special(4, 1);
    special(4, 1);
    end_sequence();
    end_unit(&m);

    m = begin(5, false);
    params(5, 1, 1);
    u8(&line, 1);
    uleb(&line, LNCT_PATH);
    uleb(&line, F_STRX1);
    uleb(&line, 1);
    u8(&line, 0);
    u8(&line, 1);
    uleb(&line, LNCT_PATH);
    uleb(&line, F_STRX1);
    uleb(&line, 1);
    u8(&line, 0);
    end_header(&m);
    set_address(0x4000);
    u8(&line, COPY);
    special(4, 0);
    end_sequence();
    end_unit(&m);

    m = begin(5, false);
    params(5, 1, 1);
    u8(&line, 1);
    uleb(&line, LNCT_PATH);
    uleb(&line, 0x7f); /* unknown form */
    uleb(&line, 1);
    u8(&line, 0);
    end_header(&m);
    set_address(0x5000);
    u8(&line, COPY);
    special(4, 0);
    end_sequence();
    end_unit(&m);

    /* After all that, a good one. */
    old_unit(4, false);
    static const uint64_t q[] = { 0x1000, 0x3000, 0x3004, 0x4000, 0x5000 };
    assert_int_equal(run(q, 5, NULL, 0), 0);
    EXPECT(0, "a.c", 10);
    EXPECT(1, "/d/s.c", 1);
    NONE(2);
    NONE(3);
    NONE(4);
    /* Units read: the first two and the last; the unknown form's is not. */
    assert_int_equal(res.nunits, 3);
}

/* define_file, set_discriminator, an unknown extended opcode, and a
 * standard opcode of a later version (opcode base 14), all skipped or
 * taken by their lengths. */
static void opcodes(void **state)
{
    reset();
    unit_mark m = begin(3, false);
    u8(&line, 1);
    u8(&line, 1);
    u8(&line, (uint64_t)(int64_t)LINE_BASE);
    u8(&line, LINE_RANGE);
    u8(&line, OPCODE_BASE + 1);
    static const unsigned char lens[] = { 0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1, 2 };
    for (size_t i = 0; i < sizeof lens; i++)
        u8(&line, lens[i]);
    u8(&line, 0);
    str(&line, "one.c");
    uleb(&line, 0);
    uleb(&line, 0);
    uleb(&line, 0);
    u8(&line, 0);
    end_header(&m);
    set_address(0x6000);
    u8(&line, 0); /* define_file two.c */
    uleb(&line, 1 + 6 + 3);
    u8(&line, DEFINE_FILE);
    str(&line, "two.c");
    uleb(&line, 0);
    uleb(&line, 0);
    uleb(&line, 0);
    u8(&line, 0); /* set_discriminator 5 */
    uleb(&line, 2);
    u8(&line, SET_DISCRIMINATOR);
    uleb(&line, 5);
    u8(&line, 0); /* an unknown extended opcode, 4 bytes */
    uleb(&line, 4);
    u8(&line, 0x80);
    un(&line, 0x010203, 3);
    u8(&line, OPCODE_BASE); /* opcode 13: two ULEB128 operands */
    uleb(&line, 0x12345);
    uleb(&line, 1);
    u8(&line, SET_FILE);
    uleb(&line, 2);
    u8(&line, COPY);
    u8(&line, FIXED_ADVANCE_PC);
    un(&line, 0x10, 2);
    u8(&line, SET_FILE);
    uleb(&line, 1);
    u8(&line, CONST_ADD_PC); /* (255 - 14) / 14 = 17 */
    u8(&line, COPY);
    u8(&line, ADVANCE_PC);
    uleb(&line, 1);
    end_sequence();
    end_unit(&m);
    static const uint64_t q[] = { 0x6000, 0x600f, 0x6010, 0x6020, 0x6021, 0x6022 };
    assert_int_equal(run(q, 6, NULL, 0), 0);
    EXPECT(0, "two.c", 1);
    EXPECT(1, "two.c", 1);
    EXPECT(2, "two.c", 1); /* [0x6010, 0x6021): no row in between */
    EXPECT(3, "two.c", 1);
    EXPECT(4, "one.c", 1);
    NONE(5);
}

/* VLIW: 4 operations per instruction of 16 bytes; the address moves by
 * whole instructions.  A maximum of 0 operations is no unit at all. */
static void max_ops(void **state)
{
    for (int ops = 4; ops >= 0; ops -= 4) {
        reset();
        unit_mark m = begin(4, false);
        params(4, 16, ops);
        u8(&line, 0);
        str(&line, "v.c");
        uleb(&line, 0);
        uleb(&line, 0);
        uleb(&line, 0);
        u8(&line, 0);
        end_header(&m);
        set_address(0x7000);
        u8(&line, COPY);
        u8(&line, ADVANCE_PC);
        uleb(&line, 5); /* 1 instruction, op_index 1 */
        special(0, 1);
        u8(&line, ADVANCE_PC);
        uleb(&line, 3); /* op_index 4: 1 more instruction */
        special(0, 1);
        u8(&line, ADVANCE_PC);
        uleb(&line, 4);
        end_sequence();
        end_unit(&m);
        static const uint64_t q[] = { 0x7000, 0x700f, 0x7010, 0x701f, 0x7020, 0x702f, 0x7030 };
        assert_int_equal(run(q, 7, NULL, 0), 0);
        if (ops == 0) {
            for (int i = 0; i < 7; i++)
                NONE(i);
            assert_int_equal(res.nunits, 0);
            continue;
        }
        EXPECT(0, "v.c", 1);
        EXPECT(1, "v.c", 1);
        EXPECT(2, "v.c", 2);
        EXPECT(3, "v.c", 2);
        EXPECT(4, "v.c", 3);
        EXPECT(5, "v.c", 3);
        NONE(6);
    }
}

/* A unit cut short anywhere, lengths that overrun, and an opcode whose
 * operand lies past the end: answers from before the damage at most,
 * never a read outside the section (rd asserts). */
static void truncated(void **state)
{
    reset();
    old_unit(4, false);
    size_t whole = line.n;
    for (size_t cut = 0; cut < whole; cut++) {
        line.n = cut;
        patch(0, cut >= 4 ? cut - 4 : 0, cut >= 4 ? 4 : 0);
        assert_int_equal(run(old_q, 8, NULL, 0), 0);
        NONE(0);
        NONE(7);
    }
    /* Unit lengths past the section: 32-bit, reserved, 64-bit. */
    static const uint64_t lens[] = { 0x7fffffff, 0xfffffff0, 0xfffffffe };
    for (int i = 0; i < 3; i++) {
        reset();
        old_unit(4, false);
        patch(0, lens[i], 4);
        assert_int_equal(run(old_q, 8, NULL, 0), 0);
        NONE(1);
    }
    reset();
    old_unit(4, true);
    patch(4, UINT64_MAX - 3, 8);
    assert_int_equal(run(old_q, 8, NULL, 0), 0);
    NONE(1);
    /* A header_length past the unit. */
    reset();
    old_unit(4, false);
    patch(6, 0xffffff, 4);
    assert_int_equal(run(old_q, 8, NULL, 0), 0);
    NONE(1);
    /* An extended opcode longer than the unit, then a good unit. */
    reset();
    unit_mark m = begin(4, false);
    params(4, 1, 1);
    u8(&line, 0);
    str(&line, "t.c");
    uleb(&line, 0);
    uleb(&line, 0);
    uleb(&line, 0);
    u8(&line, 0);
    end_header(&m);
    set_address(0x8000);
    u8(&line, COPY);
    special(4, 1);
    u8(&line, 0);
    uleb(&line, 1000);
    u8(&line, END_SEQUENCE);
    end_unit(&m);
    old_unit(4, false);
    static const uint64_t q[] = { 0x1000, 0x8000, 0x8004 };
    assert_int_equal(run(q, 3, NULL, 0), 0);
    EXPECT(0, "a.c", 10);
    EXPECT(1, "t.c", 1); /* the rows before the bad opcode stand */
    NONE(2);             /* a sequence never ended covers nothing after its last row */
    /* A ULEB128 that never ends. */
    reset();
    m = begin(4, false);
    params(4, 1, 1);
    u8(&line, 0);
    u8(&line, 0);
    end_header(&m);
    u8(&line, ADVANCE_PC);
    for (int i = 0; i < 20; i++)
        u8(&line, 0x80);
    end_unit(&m);
    assert_int_equal(run(q, 3, NULL, 0), 0);
}

/* The unit index: every unit with rows reports its range, and a scan of
 * chosen units reads only those. */
static void unit_index(void **state)
{
    reset();
    old_unit(4, false);
    size_t second = line.n;
    v5_unit(false);
    static const uint64_t q[] = { 0x1000, 0x2000 };
    assert_int_equal(run(q, 2, NULL, 0), 0);
    assert_int_equal(res.nunits, 2);
    assert_int_equal(res.unit_off[1], second);
    assert_int_equal(res.unit_lo[1], 0x2000);
    assert_int_equal(res.unit_hi[1], 0x2020);
    uint64_t only = second;
    assert_int_equal(run(q, 2, &only, 1), 0);
    NONE(0);
    EXPECT(1, "/comp/x.c", 5);
    /* An offset that is no unit. */
    only = 3;
    assert_int_equal(run(q, 2, &only, 1), 0);
    only = UINT64_MAX;
    assert_int_equal(run(q, 2, &only, 1), 0);
}

/* Mangled units, byte by byte and at random: no fault, no read outside a
 * section, no query answered twice (run checks). */
static void hostile(void **state)
{
    static const uint64_t q[] = { 0, 1, 0x1000, 0x1004, 0x1010, 0x2000, 0x2010, 0x2018,
                                  0x3000, 0x7000, UINT64_MAX };
    srand(7);
    for (int kind = 0; kind < 3; kind++) {
        reset();
        if (kind == 0)
            old_unit(2, false);
        else if (kind == 1)
            v5_unit(true);
        else
            v5_unit(false);
        buf orig = line;
        for (size_t i = 0; i < orig.n; i++)
            for (int v = 0; v < 256; v += 51) {
                line = orig;
                line.b[i] = (unsigned char)v;
                run(q, 11, NULL, 0);
            }
        for (int round = 0; round < 3000; round++) {
            line = orig;
            for (int k = 1 + rand() % 6; k; k--)
                line.b[(size_t)rand() % line.n] = (unsigned char)rand();
            if (rand() % 4 == 0)
                line.n = (size_t)rand() % line.n;
            run(q, 11, NULL, 0);
        }
    }
    for (int round = 0; round < 2000; round++) {
        reset();
        line.n = (size_t)rand() % 200;
        for (size_t i = 0; i < line.n; i++)
            line.b[i] = (unsigned char)rand();
        run(q, 11, NULL, 0);
    }
}

/* A unit's tables cost memory in proportion to their entries, not their
 * bytes: a DWARF 5 file table of one-byte entries (a data1 timestamp, no
 * path) would make a 4 MiB unit 100 MiB of table inside the profiled
 * process.  Such a unit is skipped, and the scan's memory stays near the
 * unit's size. */
static unsigned char *big;
static size_t nbig;

static bool rd_big(void *ctx, int sec, uint64_t off, void *dst, size_t len)
{
    assert_int_equal(sec, DWARFLINE_LINE);
    assert_true(off <= nbig && len <= nbig - off);
    memcpy(dst, big + off, len);
    return true;
}

static void huge_tables(void **state)
{
    enum { ENTRIES = 4 << 20 };
    reset();
    unit_mark m = begin(5, false);
    params(5, 1, 1);
    u8(&line, 1); /* directories: one, a string */
    uleb(&line, LNCT_PATH);
    uleb(&line, F_STRING);
    uleb(&line, 1);
    str(&line, "/d");
    u8(&line, 1); /* files: a data1 timestamp each, ENTRIES of them */
    uleb(&line, LNCT_TIMESTAMP);
    uleb(&line, F_DATA1);
    uleb(&line, ENTRIES);
    size_t head = line.n;
    set_address(0x1000); /* the program, moved past the entries below */
    special(0, 1);
    special(4, 1);
    end_sequence();
    size_t prog = line.n - head;
    nbig = head + ENTRIES + prog;
    big = calloc(1, nbig); /* the entries: zeros */
    assert_non_null(big);
    memcpy(big, line.b, head);
    memcpy(big + head + ENTRIES, line.b + head, prog);
    for (int i = 0; i < 4; i++) {
        big[m.hlen_at + (size_t)i] = (unsigned char)((head + ENTRIES - (m.hlen_at + 4)) >> (8 * i));
        big[m.len_at + (size_t)i] = (unsigned char)((nbig - (m.len_at + 4)) >> (8 * i));
    }
    dwarfline_src src = { NULL, rd_big, { nbig, 0, 0 } };
    dwarfline_sink sink = { NULL, found, on_unit };
    memset(&res, 0, sizeof res);
    uint64_t q = 0x1000;
    mem_heap_peak_reset();
    uint64_t before = mem_heap_bytes();
    assert_int_equal(dwarfline_scan(&src, &q, 1, NULL, 0, &sink), 0);
    uint64_t used = mem_heap_peak() - before;
    free(big);
    big = NULL;
    assert_true(used < 2 * (uint64_t)nbig);
}

/* Functions a linker discarded (--gc-sections, COMDAT duplicates) keep
 * their rows, at address 0 (GNU ld resolves the relocation so) or at all
 * ones (lld's tombstone, from which the address wraps to 0 and up).  Seen
 * first, those rows answered for real code at low addresses (a PIE's or a
 * library's): "a.c:285" where addr2line -e a PIE built with --gc-sections
 * gave it too, but the function's own row says 1505. */
static void discarded_functions(void **state)
{
    reset();
    unit_mark m = begin(4, false);
    params(4, 1, 1);
    u8(&line, 0);
    str(&line, "dead.c");
    uleb(&line, 0);
    uleb(&line, 0);
    uleb(&line, 0);
    str(&line, "live.c");
    uleb(&line, 0);
    uleb(&line, 0);
    uleb(&line, 0);
    u8(&line, 0);
    end_header(&m);
    /* GNU ld: a 0x3000-byte function at 0, dead.c:100.. */
    set_address(0);
    u8(&line, ADVANCE_LINE);
    sleb(&line, 99);
    u8(&line, COPY);
    u8(&line, ADVANCE_PC);
    uleb(&line, 0x3000);
    end_sequence();
    /* lld: at all ones; its next rows wrap to 0x10 and 0x3000. */
    set_address(UINT64_MAX);
    u8(&line, COPY);
    u8(&line, ADVANCE_PC);
    uleb(&line, 0x11);
    u8(&line, COPY);
    u8(&line, ADVANCE_PC);
    uleb(&line, 0x2ff0);
    end_sequence();
    /* The live function: 0x1000 live.c:7, 0x1008 live.c:8, end 0x1010. */
    u8(&line, SET_FILE);
    uleb(&line, 2);
    set_address(0x1000);
    u8(&line, ADVANCE_LINE);
    sleb(&line, 6);
    u8(&line, COPY);
    special(8, 1);
    u8(&line, ADVANCE_PC);
    uleb(&line, 8);
    end_sequence();
    /* A sequence that moves from a dead address to a live one: the dead
     * row covers nothing, up to the live one either. */
    set_address(0);
    u8(&line, COPY);
    set_address(0x2000);
    u8(&line, ADVANCE_LINE);
    sleb(&line, 19);
    u8(&line, COPY);
    u8(&line, ADVANCE_PC);
    uleb(&line, 4);
    end_sequence();
    end_unit(&m);
    const uint64_t q[] = { 0x10, 0x1000, 0x1009, 0x1fff, 0x2000 };
    assert_int_equal(run(q, 5, NULL, 0), 0);
    NONE(0);
    EXPECT(1, "live.c", 7);
    EXPECT(2, "live.c", 8);
    NONE(3);
    EXPECT(4, "dead.c", 20);
    assert_int_equal(res.nunits, 1);
    assert_int_equal(res.unit_lo[0], 0x1000);
    assert_int_equal(res.unit_hi[0], 0x2004);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(versions_2_to_4),
        cmocka_unit_test(version_5),
        cmocka_unit_test(v5_forms),
        cmocka_unit_test(opcodes),
        cmocka_unit_test(max_ops),
        cmocka_unit_test(truncated),
        cmocka_unit_test(unit_index),
        cmocka_unit_test(hostile),
        cmocka_unit_test(huge_tables),
        cmocka_unit_test(discarded_functions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

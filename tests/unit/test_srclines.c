/* Unit tests: file:line per address of one ELF file (src/srclines.h), over
 * a file image built here: a DWARF 4 .debug_line, and compressed string
 * sections beside it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>
#include <zlib.h>

#include "mem.h"
#include "srclines.h"

static unsigned char file[1 << 16];
static size_t nfile;

static bool rd(void *ctx, uint64_t off, void *dst, size_t len)
{
    (void)ctx;
    if (off > nfile || len > nfile - off)
        return false;
    memcpy(dst, file + off, len);
    return true;
}

static void put(const void *p, size_t n)
{
    memcpy(file + nfile, p, n);
    nfile += n;
}

static void u8(uint64_t v) { file[nfile++] = (unsigned char)v; }

/* A DWARF 4 unit: file a.c; 0x1000 a.c:10, end 0x1010.  Its offset. */
static uint64_t line_unit(void)
{
    uint64_t at = nfile;
    static const unsigned char hdr_tail[] = {
        1, 1, 1, (unsigned char)-5, 14, 13, /* min_inst .. opcode_base */
        0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1, /* standard opcode lengths */
        0,                                  /* no include directories */
        'a', '.', 'c', 0, 0, 0, 0, 0,       /* a.c, dir 0; end of files */
    };
    static const unsigned char prog[] = {
        0, 9, 2, 0x00, 0x10, 0, 0, 0, 0, 0, 0, /* set_address 0x1000 */
        3, 9,                                  /* advance_line 9: line 10 */
        1,                                     /* copy */
        2, 0x10,                               /* advance_pc 0x10 */
        0, 1, 1,                               /* end_sequence */
    };
    uint32_t unit_len = 2 + 4 + sizeof hdr_tail + sizeof prog;
    uint32_t hlen = sizeof hdr_tail;
    put(&unit_len, 4);
    u8(4);
    u8(0);
    put(&hlen, 4);
    put(hdr_tail, sizeof hdr_tail);
    put(prog, sizeof prog);
    return at;
}

/* A .zdebug_ section of `n` zero bytes; its offset, its size in *size. */
static uint64_t zeros_section(size_t n, uint64_t *size)
{
    static unsigned char zeros[1 << 20];
    uint64_t at = nfile;
    put("ZLIB", 4);
    for (int i = 0; i < 8; i++)
        u8((uint64_t)n >> (8 * (7 - i)));
    uLongf clen = sizeof file - nfile;
    assert_int_equal(compress2(file + nfile, &clen, zeros, n, 9), Z_OK);
    nfile += clen;
    *size = nfile - at;
    return at;
}

/* The string sections of a DWARF 2-4 unit's names are never read, and a
 * compressed one is not inflated: .debug_str is often the largest debug
 * section (inflated up to SRCLINES_INFLATE_MAX, 32 MiB, on every lookup
 * inside the profiled process, for nothing, before). */
static void strings_inflated_only_when_read(void **state)
{
    (void)state;
    nfile = 0;
    srclines_file f = { NULL, rd, { 0 }, { 0 }, { ZSEC_PLAIN }, NULL, false };
    f.off[DWARFLINE_LINE] = line_unit();
    f.size[DWARFLINE_LINE] = nfile - f.off[DWARFLINE_LINE];
    f.off[DWARFLINE_STR] = zeros_section(1 << 20, &f.size[DWARFLINE_STR]);
    f.kind[DWARFLINE_STR] = ZSEC_GNU;
    f.off[DWARFLINE_LINE_STR] = zeros_section(1 << 20, &f.size[DWARFLINE_LINE_STR]);
    f.kind[DWARFLINE_LINE_STR] = ZSEC_GNU;
    srclines *c = srclines_new();
    assert_non_null(c);
    const uint64_t v[] = { 0xfff, 0x1000, 0x1000, 0x100f, 0x1010 };
    symbols_line out[5];
    mem_heap_peak_reset();
    uint64_t before = mem_heap_bytes();
    assert_int_equal(srclines_lookup(c, &f, v, 5, out), 0);
    uint64_t used = mem_heap_peak() - before;
    assert_null(out[0].file);
    for (int k = 1; k <= 3; k++) {
        assert_string_equal(out[k].file, "a.c");
        assert_int_equal(out[k].line, 10);
    }
    assert_null(out[4].file);
    assert_true(used < (256 << 10));
    /* Remembered: asked again, the answers stand (the file is not read). */
    size_t saved = nfile;
    nfile = 0;
    assert_int_equal(srclines_lookup(c, &f, v, 5, out), 0);
    nfile = saved;
    assert_string_equal(out[2].file, "a.c");
    assert_int_equal(out[2].line, 10);
    assert_null(out[4].file);
    srclines_free(c);
}

/* A file of line_unit's .debug_line alone, compressed (GNU form). */
static srclines_file compressed_lines(void)
{
    srclines_file f = { NULL, rd, { 0 }, { 0 }, { ZSEC_PLAIN }, NULL, false };
    unsigned char unit[256];
    nfile = 0;
    line_unit();
    size_t ulen = nfile;
    memcpy(unit, file, ulen);
    nfile = 0;
    put("ZLIB", 4);
    for (int i = 0; i < 8; i++)
        u8((uint64_t)ulen >> (8 * (7 - i)));
    uLongf clen = sizeof file - nfile;
    assert_int_equal(compress2(file + nfile, &clen, unit, ulen, 9), Z_OK);
    nfile += clen;
    f.off[DWARFLINE_LINE] = 0;
    f.size[DWARFLINE_LINE] = nfile;
    f.kind[DWARFLINE_LINE] = ZSEC_GNU;
    return f;
}

/* Every allocation of a lookup failed in turn, on a new cache and then on
 * one that remembers some answers: ENOMEM or 0, nothing leaked, and a
 * failed lookup remembers nothing wrong (the next one answers right). */
static void out_of_memory(void **state)
{
    (void)state;
    srclines_file f = compressed_lines();
    const uint64_t v1[] = { 0x1000, 0x1004 }, v2[] = { 0x0fff, 0x1004, 0x1008, 0x1010 };
    uint64_t blocks = mem_heap_blocks();
    for (int warm = 0; warm < 2; warm++) {
        for (unsigned long nth = 1;; nth++) {
            srclines *c = srclines_new();
            assert_non_null(c);
            symbols_line out[4];
            if (warm)
                assert_int_equal(srclines_lookup(c, &f, v1, 2, out), 0);
            mem_fail_after(nth);
            int rc = srclines_lookup(c, &f, v2, 4, out);
            unsigned long left = mem_fail_after(0);
            assert_true(rc == 0 || rc == ENOMEM);
            assert_int_equal(srclines_lookup(c, &f, v2, 4, out), 0);
            assert_null(out[0].file);
            for (int k = 1; k <= 2; k++) {
                assert_string_equal(out[k].file, "a.c");
                assert_int_equal(out[k].line, 10);
            }
            assert_null(out[3].file);
            srclines_free(c);
            assert_int_equal(mem_heap_blocks(), blocks);
            if (rc == 0) {
                assert_int_not_equal(left, 0);
                break;
            }
        }
    }
}

/* A DWARF 4 unit of nf files f0.c ... (nf < 128), one row each 4 bytes
 * from 0x1000 for nrows rows, row i in file (i * 37) % nf, line i + 1. */
static uint64_t many_files_unit(unsigned nf, unsigned nrows)
{
    static const unsigned char hdr_head[] = {
        1, 1, 1, (unsigned char)-5, 14, 13, 0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1, 0,
    };
    unsigned char hdr[2048], prog[4096];
    size_t h = 0, n = 0;
    memcpy(hdr, hdr_head, sizeof hdr_head);
    h = sizeof hdr_head;
    for (unsigned k = 0; k < nf; k++) {
        h += (size_t)sprintf((char *)hdr + h, "f%u.c", k) + 1;
        hdr[h++] = 0, hdr[h++] = 0, hdr[h++] = 0; /* dir, mtime, length */
    }
    hdr[h++] = 0;
    static const unsigned char set_addr[] = { 0, 9, 2, 0x00, 0x10, 0, 0, 0, 0, 0, 0 };
    memcpy(prog, set_addr, sizeof set_addr);
    n = sizeof set_addr;
    for (unsigned i = 0; i < nrows; i++) {
        prog[n++] = 4, prog[n++] = (unsigned char)((i * 37) % nf + 1); /* set_file */
        if (i)
            prog[n++] = 3, prog[n++] = 1; /* advance_line 1 */
        prog[n++] = 1;                    /* copy */
        prog[n++] = 2, prog[n++] = 4;     /* advance_pc 4 */
    }
    prog[n++] = 0, prog[n++] = 1, prog[n++] = 1; /* end_sequence */
    uint64_t at = nfile;
    uint32_t unit_len = (uint32_t)(2 + 4 + h + n), hlen = (uint32_t)h;
    put(&unit_len, 4);
    u8(4);
    u8(0);
    put(&hlen, 4);
    put(hdr, h);
    put(prog, n);
    return at;
}

/* Answers in a hundred files, asked in one lookup and again in a second
 * (the kept names' table grows from 32 slots to 256 on the way): each
 * answer names its row's file, and one name is one kept copy. */
static void many_file_names(void **state)
{
    (void)state;
    enum { NF = 100, NROWS = 300 };
    nfile = 0;
    srclines_file f = { NULL, rd, { 0 }, { 0 }, { ZSEC_PLAIN }, NULL, false };
    f.off[DWARFLINE_LINE] = many_files_unit(NF, NROWS);
    f.size[DWARFLINE_LINE] = nfile - f.off[DWARFLINE_LINE];
    srclines *c = srclines_new();
    assert_non_null(c);
    static uint64_t v[NROWS];
    static symbols_line out[NROWS];
    const char *kept[NF] = { 0 };
    for (int half = 0; half < 2; half++) {
        for (unsigned i = 0; i < NROWS / 2; i++)
            v[i] = 0x1000 + 4 * (2 * i + (unsigned)half);
        assert_int_equal(srclines_lookup(c, &f, v, NROWS / 2, out), 0);
        for (unsigned i = 0; i < NROWS / 2; i++) {
            unsigned row = 2 * i + (unsigned)half, k = (row * 37) % NF;
            char want[16];
            snprintf(want, sizeof want, "f%u.c", k);
            assert_non_null(out[i].file);
            assert_string_equal(out[i].file, want);
            assert_int_equal(out[i].line, row + 1);
            if (!kept[k])
                kept[k] = out[i].file;
            assert_ptr_equal(out[i].file, kept[k]);
        }
    }
    for (unsigned a = 0; a < NF; a++)
        for (unsigned b = a + 1; b < NF; b++)
            assert_ptr_not_equal(kept[a], kept[b]);
    srclines_free(c);
}

/* A .zdebug_ section of the n bytes of p then zeros up to `whole`; its
 * offset, its size in *size.  Deflated a MiB at a time, as runs (Z_RLE:
 * the zeros shrink as much in half the time, 0.5 s less per 20 MiB
 * under valgrind, scripts/sanitize.sh). */
static uint64_t zsection(const void *p, size_t n, size_t whole, uint64_t *size)
{
    static unsigned char chunk[1 << 20];
    uint64_t at = nfile;
    put("ZLIB", 4);
    for (int i = 0; i < 8; i++)
        u8((uint64_t)whole >> (8 * (7 - i)));
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, 15, 8, Z_RLE), Z_OK);
    zs.next_out = file + nfile;
    zs.avail_out = (uInt)(sizeof file - nfile);
    for (size_t done = 0; done < whole;) {
        size_t len = whole - done < sizeof chunk ? whole - done : sizeof chunk;
        memset(chunk, 0, len);
        if (done < n)
            memcpy(chunk, (const unsigned char *)p + done, n - done < len ? n - done : len);
        zs.next_in = chunk;
        zs.avail_in = (uInt)len;
        done += len;
        assert_int_not_equal(deflate(&zs, done == whole ? Z_FINISH : Z_NO_FLUSH), Z_STREAM_ERROR);
        assert_int_equal(zs.avail_in, 0);
    }
    assert_int_equal(zs.avail_out > 0, 1);
    nfile = sizeof file - zs.avail_out;
    deflateEnd(&zs);
    *size = nfile - at;
    return at;
}

/* The compressed sections one lookup inflates stay under
 * SRCLINES_INFLATE_MAX together: .debug_info and .debug_abbrev of 20 MiB
 * each (a unit there, then zeros), both read by the scan of inlined
 * frames, took 40 MiB of the profiler's memory inside the program
 * (each was capped alone).  The second reads as absent, lines are still
 * given, and srclines_declined says so once. */
static void inflated_together_capped(void **state)
{
    (void)state;
    nfile = 0;
    srclines_file f = { NULL, rd, { 0 }, { 0 }, { ZSEC_PLAIN }, NULL, false };
    f.off[DWARFLINE_LINE] = line_unit();
    f.size[DWARFLINE_LINE] = nfile - f.off[DWARFLINE_LINE];
    /* A DWARF 4 unit of 20 MiB less its length field: version, abbrevs
     * at 0, 8-byte addresses, then (zeros) no entry the table knows. */
    size_t big = 20 << 20;
    unsigned char head[11] = { 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 8 };
    for (int i = 0; i < 4; i++)
        head[i] = (unsigned char)((big - 4) >> (8 * i));
    f.off[DWARFINLINE_INFO] = zsection(head, sizeof head, big, &f.size[DWARFINLINE_INFO]);
    f.kind[DWARFINLINE_INFO] = ZSEC_GNU;
    f.off[DWARFINLINE_ABBREV] = zsection(NULL, 0, big, &f.size[DWARFINLINE_ABBREV]);
    f.kind[DWARFINLINE_ABBREV] = ZSEC_GNU;
    srclines *c = srclines_new();
    assert_non_null(c);
    const uint64_t v[] = { 0x1000, 0x1008 };
    symbols_line out[2];
    mem_heap_peak_reset();
    uint64_t before = mem_heap_bytes();
    assert_int_equal(srclines_lookup(c, &f, v, 2, out), 0);
    uint64_t used = mem_heap_peak() - before;
    assert_string_equal(out[1].file, "a.c");
    assert_int_equal(out[1].line, 10);
    assert_int_equal(out[1].ninl, 0);
    assert_true(used <= SRCLINES_INFLATE_MAX);
    assert_true(used >= big); /* .debug_info was inflated */
    assert_true(srclines_declined(c));
    assert_false(srclines_declined(c));
    srclines_free(c);
}

/* One answer, a.c:10, of a lookup of the single address v. */
static void lookup_one(srclines *c, const srclines_file *f, uint64_t v)
{
    symbols_line out;
    assert_int_equal(srclines_lookup(c, f, &v, 1, &out), 0);
    assert_non_null(out.file);
    assert_string_equal(out.file, "a.c");
    assert_int_equal(out.line, 10);
}

/* Held (srclines_hold), the compressed .debug_line one lookup inflated
 * serves the next, which inflates nothing (pprof asks a file's call sites,
 * then their functions' entries: Debian's libc debug file took 40 to
 * 70 ms more when inflated again); the same section elsewhere in the
 * file is not taken for it; released, it is freed, and each lookup
 * inflates anew.  Every allocation failing in turn, held, leaks nothing
 * once released. */
static void held_between_lookups(void **state)
{
    (void)state;
    srclines_file f = compressed_lines();
    uint64_t blocks = mem_heap_blocks();
    srclines *c = srclines_new();
    assert_non_null(c);
    srclines_hold(c);
    uint64_t n0 = zsec_inflations();
    lookup_one(c, &f, 0x1000);
    assert_int_equal(zsec_inflations() - n0, 1);
    lookup_one(c, &f, 0x1004);
    assert_int_equal(zsec_inflations() - n0, 1);
    /* A copy of the section after it: another section to the cache. */
    srclines_file moved = f;
    moved.off[DWARFLINE_LINE] = nfile;
    put(file, (size_t)f.size[DWARFLINE_LINE]);
    lookup_one(c, &moved, 0x1008);
    assert_int_equal(zsec_inflations() - n0, 2);
    uint64_t held = mem_heap_blocks();
    srclines_release(c);
    assert_int_equal(mem_heap_blocks(), held - 1);
    lookup_one(c, &f, 0x100c);
    lookup_one(c, &f, 0x1001);
    assert_int_equal(zsec_inflations() - n0, 4);
    assert_int_equal(mem_heap_blocks(), held - 1);
    srclines_free(c);
    assert_int_equal(mem_heap_blocks(), blocks);

    for (unsigned long nth = 1;; nth++) {
        c = srclines_new();
        assert_non_null(c);
        srclines_hold(c);
        mem_fail_after(nth);
        symbols_line out[2];
        const uint64_t v[] = { 0x1000, 0x1008 };
        int rc = srclines_lookup(c, &f, v, 1, out);
        int rc2 = srclines_lookup(c, &f, v + 1, 1, out + 1);
        unsigned long left = mem_fail_after(0);
        assert_true(rc == 0 || rc == ENOMEM);
        assert_true(rc2 == 0 || rc2 == ENOMEM);
        bool done = rc == 0 && rc2 == 0 && left;
        if (done)
            assert_string_equal(out[1].file, "a.c");
        lookup_one(c, &f, 0x1008);
        srclines_release(c);
        srclines_free(c);
        assert_int_equal(mem_heap_blocks(), blocks);
        if (done)
            break;
    }
}

/* Held, the sections a lookup takes from the hold count against
 * SRCLINES_INFLATE_MAX with those it inflates (view_open): the 20 MiB
 * .debug_info the first lookup inflated, and held, leaves the second
 * 12 MiB, so the 20 MiB .debug_str its function's name is in reads as
 * absent again.  Uncounted, it was inflated beside the held section:
 * 40 MiB of the profiler's memory inside the program.  The one unit of
 * .debug_info is small (the reserved length after it ends the section's
 * units: the zeros up to 20 MiB are never walked) and covers [0x1000,
 * 0x1010), so the unit index sends the second lookup back to it.  The
 * section declined is .debug_str, not .debug_abbrev: a unit whose
 * abbreviations went unread is not reported, and leaves the index
 * incomplete, so the next lookup would scan every unit again
 * (declined_unit_read_later).  The same unit read plain names the
 * function, f. */
static void held_inflated_together_capped(void **state)
{
    (void)state;
    /* DWARF 4: a compile unit [0x1000, 0x1010), its one child a
     * subprogram there, named by DW_FORM_strp at .debug_str's 0. */
    static const unsigned char info[] = {
        38, 0, 0, 0, 4, 0, 0, 0, 0, 0, 8, /* length, version 4, abbrevs at 0, address 8 */
        1,                                /* DW_TAG_compile_unit */
        0x00, 0x10, 0, 0, 0, 0, 0, 0,     /*   low_pc 0x1000 */
        0x10, 0, 0, 0,                    /*   high_pc +0x10 */
        2,                                /* DW_TAG_subprogram */
        0, 0, 0, 0,                       /*   name: strp 0 */
        0x00, 0x10, 0, 0, 0, 0, 0, 0,     /*   low_pc 0x1000 */
        0x10, 0, 0, 0,                    /*   high_pc +0x10 */
        0,                                /* end of the unit's children */
        0xf0, 0xff, 0xff, 0xff,           /* a reserved length: no unit after */
    };
    static const unsigned char abbrevs[] = {
        1, 0x11, 1,             /* 1: DW_TAG_compile_unit, children */
        0x11, 0x01, 0x12, 0x06, /*   low_pc addr, high_pc data4 */
        0, 0,
        2, 0x2e, 0,             /* 2: DW_TAG_subprogram, none */
        0x03, 0x0e,             /*   name strp */
        0x11, 0x01, 0x12, 0x06, /*   low_pc addr, high_pc data4 */
        0, 0, 0,                /* end of it, and of the table */
    };
    static const char str[] = "f";
    nfile = 0;
    srclines_file f = { NULL, rd, { 0 }, { 0 }, { ZSEC_PLAIN }, NULL, true };
    f.off[DWARFLINE_LINE] = line_unit();
    f.size[DWARFLINE_LINE] = nfile - f.off[DWARFLINE_LINE];
    srclines_file plain = f;
    plain.off[DWARFINLINE_INFO] = nfile;
    plain.size[DWARFINLINE_INFO] = sizeof info;
    put(info, sizeof info);
    plain.off[DWARFINLINE_ABBREV] = nfile;
    plain.size[DWARFINLINE_ABBREV] = sizeof abbrevs;
    put(abbrevs, sizeof abbrevs);
    plain.off[DWARFLINE_STR] = nfile;
    plain.size[DWARFLINE_STR] = sizeof str;
    put(str, sizeof str);
    srclines *c = srclines_new();
    assert_non_null(c);
    symbols_line out;
    uint64_t v = 0x1008;
    assert_int_equal(srclines_lookup(c, &plain, &v, 1, &out), 0);
    assert_string_equal(out.file, "a.c");
    assert_non_null(out.func);
    assert_string_equal(out.func, "f");
    srclines_free(c);

    size_t big = 20 << 20;
    f.off[DWARFINLINE_INFO] = zsection(info, sizeof info, big, &f.size[DWARFINLINE_INFO]);
    f.kind[DWARFINLINE_INFO] = ZSEC_GNU;
    f.off[DWARFINLINE_ABBREV] =
        zsection(abbrevs, sizeof abbrevs, sizeof abbrevs, &f.size[DWARFINLINE_ABBREV]);
    f.kind[DWARFINLINE_ABBREV] = ZSEC_GNU;
    f.off[DWARFLINE_STR] = zsection(str, sizeof str, big, &f.size[DWARFLINE_STR]);
    f.kind[DWARFLINE_STR] = ZSEC_GNU;
    c = srclines_new();
    assert_non_null(c);
    srclines_hold(c);
    uint64_t base = mem_heap_bytes();
    mem_heap_peak_reset();
    v = 0x1000;
    assert_int_equal(srclines_lookup(c, &f, &v, 1, &out), 0);
    assert_string_equal(out.file, "a.c");
    assert_null(out.func); /* .debug_str declined */
    assert_true(mem_heap_peak() - base <= SRCLINES_INFLATE_MAX);
    assert_true(mem_heap_bytes() - base >= big); /* .debug_info held */
    assert_true(srclines_declined(c));

    uint64_t n0 = zsec_inflations();
    mem_heap_peak_reset();
    v = 0x1008;
    assert_int_equal(srclines_lookup(c, &f, &v, 1, &out), 0);
    assert_true(mem_heap_peak() - base <= SRCLINES_INFLATE_MAX + (1 << 20));
    assert_string_equal(out.file, "a.c");
    assert_int_equal(out.line, 10);
    assert_null(out.func); /* .debug_str declined again */
    assert_int_equal(zsec_inflations(), n0); /* .debug_info and .debug_abbrev from the hold */
    srclines_release(c);
    assert_true(mem_heap_bytes() - base < (1 << 20));
    srclines_free(c);
}

/* DWARF 4: a compile unit [0x1000, 0x1020), its one child the
 * subprogram f there (DW_FORM_string), then a reserved length, so the
 * zeros a section of it is padded with are never walked; and its
 * abbreviations.  line_unit's rows cover only [0x1000, 0x1010): an
 * address in [0x1010, 0x1020) sends a lookup to .debug_info alone. */
static const unsigned char f_info[] = {
    36, 0, 0, 0, 4, 0, 0, 0, 0, 0, 8, /* length, version 4, abbrevs at 0, address 8 */
    1,                                /* DW_TAG_compile_unit */
    0x00, 0x10, 0, 0, 0, 0, 0, 0,     /*   low_pc 0x1000 */
    0x20, 0, 0, 0,                    /*   high_pc +0x20 */
    2,                                /* DW_TAG_subprogram */
    'f', 0,                           /*   name "f" */
    0x00, 0x10, 0, 0, 0, 0, 0, 0,     /*   low_pc 0x1000 */
    0x20, 0, 0, 0,                    /*   high_pc +0x20 */
    0,                                /* end of the unit's children */
    0xf0, 0xff, 0xff, 0xff,           /* a reserved length: no unit after */
};
static const unsigned char f_abbrevs[] = {
    1, 0x11, 1,             /* 1: DW_TAG_compile_unit, children */
    0x11, 0x01, 0x12, 0x06, /*   low_pc addr, high_pc data4 */
    0, 0,
    2, 0x2e, 0,             /* 2: DW_TAG_subprogram, none */
    0x03, 0x08,             /*   name string */
    0x11, 0x01, 0x12, 0x06, /*   low_pc addr, high_pc data4 */
    0, 0, 0,                /* end of it, and of the table */
};

/* The function named at v, by one lookup of it alone (NULL: none). */
static const char *func_at(srclines *c, const srclines_file *f, uint64_t v)
{
    symbols_line out;
    assert_int_equal(srclines_lookup(c, f, &v, 1, &out), 0);
    return out.func;
}

/* One lookup of v alone names its function f. */
static void func_f_at(srclines *c, const srclines_file *f, uint64_t v)
{
    const char *name = func_at(c, f, v);
    assert_non_null(name);
    assert_string_equal(name, "f");
}

/* A .debug_abbrev declined for room, by a lookup that inflated .debug_line
 * (14 MiB) and .debug_info (12 MiB) first, is read by a later lookup that
 * has the room (its address is in no line unit: 20 MiB with .debug_info).
 * Before, the first lookup's scan took the units it reported, none (a unit
 * whose abbreviations went unread is not reported), for all there are: no
 * later lookup read .debug_info again, and f was lost while the cache
 * lived.  Once a scan declined nothing, the index is complete: an address
 * no unit holds inflates nothing. */
static void declined_unit_read_later(void **state)
{
    (void)state;
    nfile = 0;
    line_unit();
    static const unsigned char reserved[] = { 0xf0, 0xff, 0xff, 0xff };
    put(reserved, sizeof reserved); /* no line unit after: the zeros are not walked */
    unsigned char lines[256];
    size_t nlines = nfile;
    memcpy(lines, file, nlines);
    nfile = 0;
    srclines_file f = { NULL, rd, { 0 }, { 0 }, { ZSEC_PLAIN }, NULL, true };
    f.off[DWARFLINE_LINE] = zsection(lines, nlines, 14 << 20, &f.size[DWARFLINE_LINE]);
    f.kind[DWARFLINE_LINE] = ZSEC_GNU;
    f.off[DWARFINLINE_INFO] = zsection(f_info, sizeof f_info, 12 << 20, &f.size[DWARFINLINE_INFO]);
    f.kind[DWARFINLINE_INFO] = ZSEC_GNU;
    f.off[DWARFINLINE_ABBREV] =
        zsection(f_abbrevs, sizeof f_abbrevs, 8 << 20, &f.size[DWARFINLINE_ABBREV]);
    f.kind[DWARFINLINE_ABBREV] = ZSEC_GNU;
    srclines *c = srclines_new();
    assert_non_null(c);
    lookup_one(c, &f, 0x1000);
    assert_true(srclines_declined(c)); /* .debug_abbrev: 34 MiB with the others */
    func_f_at(c, &f, 0x1018);
    func_f_at(c, &f, 0x1014);
    uint64_t n0 = zsec_inflations();
    assert_null(func_at(c, &f, 0x3000));
    assert_int_equal(zsec_inflations(), n0);
    assert_false(srclines_declined(c));
    srclines_free(c);
}

/* A .debug_abbrev over SRCLINES_INFLATE_MAX alone is never read: it
 * leaves the unit index complete (its unit left out), so a later lookup
 * does not scan .debug_info again, inflating 12 MiB for nothing each
 * time. */
static void declined_for_good_indexed(void **state)
{
    (void)state;
    nfile = 0;
    srclines_file f = { NULL, rd, { 0 }, { 0 }, { ZSEC_PLAIN }, NULL, true };
    f.off[DWARFLINE_LINE] = line_unit();
    f.size[DWARFLINE_LINE] = nfile - f.off[DWARFLINE_LINE];
    f.off[DWARFINLINE_INFO] = zsection(f_info, sizeof f_info, 12 << 20, &f.size[DWARFINLINE_INFO]);
    f.kind[DWARFINLINE_INFO] = ZSEC_GNU;
    f.off[DWARFINLINE_ABBREV] = zsection(f_abbrevs, sizeof f_abbrevs,
                                         SRCLINES_INFLATE_MAX + 1, &f.size[DWARFINLINE_ABBREV]);
    f.kind[DWARFINLINE_ABBREV] = ZSEC_GNU;
    srclines *c = srclines_new();
    assert_non_null(c);
    assert_null(func_at(c, &f, 0x1000));
    assert_true(srclines_declined(c));
    uint64_t n0 = zsec_inflations();
    assert_null(func_at(c, &f, 0x1018));
    assert_int_equal(zsec_inflations(), n0);
    srclines_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(strings_inflated_only_when_read),
        cmocka_unit_test(out_of_memory),
        cmocka_unit_test(many_file_names),
        cmocka_unit_test(inflated_together_capped),
        cmocka_unit_test(held_between_lookups),
        cmocka_unit_test(held_inflated_together_capped),
        cmocka_unit_test(declined_unit_read_later),
        cmocka_unit_test(declined_for_good_indexed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

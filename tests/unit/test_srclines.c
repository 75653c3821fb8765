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
    assert_true(mem_heap_peak() - base <= SRCLINES_INFLATE_MAX);
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

/* A new file image of line_unit's .debug_line alone, compressed, padded
 * with zeros to `whole` bytes (a reserved length after the unit: the
 * zeros are never walked); the view of it, naming functions. */
static srclines_file padded_lines(size_t whole)
{
    nfile = 0;
    line_unit();
    static const unsigned char reserved[] = { 0xf0, 0xff, 0xff, 0xff };
    put(reserved, sizeof reserved);
    unsigned char lines[256];
    size_t nlines = nfile;
    memcpy(lines, file, nlines);
    nfile = 0;
    srclines_file f = { NULL, rd, { 0 }, { 0 }, { ZSEC_PLAIN }, NULL, true };
    f.off[DWARFLINE_LINE] = zsection(lines, nlines, whole, &f.size[DWARFLINE_LINE]);
    f.kind[DWARFLINE_LINE] = ZSEC_GNU;
    return f;
}

/* Section sec of f: the n bytes of p, plain, or compressed and padded
 * with zeros to `whole` bytes (whole 0: plain). */
static void section(srclines_file *f, int sec, const void *p, size_t n, size_t whole)
{
    if (!whole) {
        f->off[sec] = nfile;
        f->size[sec] = n;
        put(p, n);
        return;
    }
    f->off[sec] = zsection(p, n, whole, &f->size[sec]);
    f->kind[sec] = ZSEC_GNU;
}

/* A new file image of one DWARF 4 line unit, line_unit's (a.c:10 over
 * [0x1000, 0x1010)) but for its header, hmib MiB (13 at most): zeros after the file
 * table, as header_length allows; then a reserved length, zeros up to
 * 14 MiB, compressed.  A lookup of an address with lines keeps that
 * header (its file table) when it frees .debug_line for the sections of
 * .debug_info (srclines.c's free_lines), which gives back 1 MiB only:
 * here .debug_line and those sections do not fit together for such a
 * lookup, as they did not in any layout before it was freed, and it
 * declines one of them, which a lookup of an address without lines
 * inflates. */
static srclines_file headed_lines(unsigned hmib)
{
    static unsigned char unit[(13 << 20) + 64];
    static const unsigned char hdr_tail[] = {
        1, 1, 1, (unsigned char)-5, 14, 13, 0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1,
        0, 'a', '.', 'c', 0, 0, 0, 0, 0, /* no directories; a.c; end of files */
    };
    static const unsigned char prog[] = {
        0, 9, 2, 0x00, 0x10, 0, 0, 0, 0, 0, 0, 3, 9, 1, 2, 0x10, 0, 1, 1, /* line_unit's */
        0xf0, 0xff, 0xff, 0xff, /* a reserved length: no unit after */
    };
    uint32_t hlen = (hmib << 20) - 10, unit_len = 2 + 4 + hlen + (uint32_t)sizeof prog - 4;
    memset(unit, 0, sizeof unit);
    memcpy(unit, &unit_len, 4);
    unit[4] = 4;
    memcpy(unit + 6, &hlen, 4);
    memcpy(unit + 10, hdr_tail, sizeof hdr_tail);
    memcpy(unit + 10 + hlen, prog, sizeof prog);
    nfile = 0;
    srclines_file f = { NULL, rd, { 0 }, { 0 }, { ZSEC_PLAIN }, NULL, true };
    f.off[DWARFLINE_LINE] =
        zsection(unit, 10 + hlen + sizeof prog, 14 << 20, &f.size[DWARFLINE_LINE]);
    f.kind[DWARFLINE_LINE] = ZSEC_GNU;
    return f;
}

/* headed_lines with the one header size whose kept copy leaves
 * .debug_info 12 MiB and .debug_abbrev 8 no room. */
static srclines_file bighead_lines(void) { return headed_lines(13); }

/* A .debug_abbrev declined for room, by a lookup that inflated .debug_line
 * (14 MiB, bighead_lines: 13 of them kept if it is freed) and .debug_info
 * (12 MiB) first, is read by a later lookup that
 * has the room (its address is in no line unit: 20 MiB with .debug_info).
 * Before, the first lookup's scan took the units it reported, none (a unit
 * whose abbreviations went unread is not reported), for all there are: no
 * later lookup read .debug_info again, and f was lost while the cache
 * lived.  Once a scan declined nothing, the index is complete: an address
 * no unit holds inflates nothing. */
static void declined_unit_read_later(void **state)
{
    (void)state;
    srclines_file f = bighead_lines();
    section(&f, DWARFINLINE_INFO, f_info, sizeof f_info, 12 << 20);
    section(&f, DWARFINLINE_ABBREV, f_abbrevs, sizeof f_abbrevs, 8 << 20);
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

/* .debug_line 14 MiB (bighead_lines), .debug_info 12 and .debug_abbrev 8,
 * compressed: 34 MiB together, over SRCLINES_INFLATE_MAX, and 33 with
 * .debug_line freed but for its header.  A lookup of an address with
 * lines inflates .debug_line, then .debug_info, and declines
 * .debug_abbrev: the unit index stays partial (none reported).  Each
 * later lookup of such an address inflates .debug_line alone: scanning
 * every unit again inflated .debug_info and declined .debug_abbrev again,
 * for nothing (two inflations a lookup, where main made one).  One of an
 * address without lines has the room, and names f. */
static void partial_index_not_rescanned(void **state)
{
    (void)state;
    srclines_file f = bighead_lines();
    section(&f, DWARFINLINE_INFO, f_info, sizeof f_info, 12 << 20);
    section(&f, DWARFINLINE_ABBREV, f_abbrevs, sizeof f_abbrevs, 8 << 20);
    srclines *c = srclines_new();
    assert_non_null(c);
    for (uint64_t v = 0x1000; v < 0x1008; v++) {
        uint64_t n0 = zsec_inflations();
        lookup_one(c, &f, v);
        assert_int_equal(zsec_inflations() - n0, v == 0x1000 ? 2 : 1);
    }
    uint64_t n0 = zsec_inflations();
    func_f_at(c, &f, 0x1018);
    assert_int_equal(zsec_inflations() - n0, 2);
    srclines_free(c);
}

/* .debug_line 14 MiB with a header of 8 MiB, then 12 (headed_lines),
 * .debug_info 12 and .debug_abbrev 8: with .debug_line freed but for
 * that header, 28 and 32 MiB, under SRCLINES_INFLATE_MAX.  A lookup of
 * an address with lines freed .debug_line only on reading .debug_abbrev,
 * its copy of the header then made beside .debug_info, for which there
 * was no room: it declined .debug_abbrev, leaving the index partial; the
 * next lookup rescanned every unit, counting .debug_line freed, and
 * declined it again (two inflations more, for nothing), leaving it stuck:
 * no lookup named f, not even one of an address without lines.  Now it
 * frees .debug_line before the inline scan: each lookup of an address
 * with lines inflates the three sections and names f, and the index is
 * complete (partial_index_not_rescanned's and declined_unit_read_later's
 * lookups). */
static void lines_freed_before_inlines(void **state)
{
    (void)state;
    for (unsigned hmib = 8; hmib <= 12; hmib += 4) {
        srclines_file f = headed_lines(hmib);
        section(&f, DWARFINLINE_INFO, f_info, sizeof f_info, 12 << 20);
        section(&f, DWARFINLINE_ABBREV, f_abbrevs, sizeof f_abbrevs, 8 << 20);
        srclines *c = srclines_new();
        assert_non_null(c);
        for (uint64_t v = 0x1000; v < 0x1002; v++) {
            uint64_t n0 = zsec_inflations();
            func_f_at(c, &f, v);
            assert_int_equal(zsec_inflations() - n0, 3);
            assert_false(srclines_declined(c));
        }
        uint64_t n0 = zsec_inflations();
        func_f_at(c, &f, 0x1018); /* no lines: .debug_info and .debug_abbrev */
        func_f_at(c, &f, 0x1014);
        assert_int_equal(zsec_inflations() - n0, 4);
        n0 = zsec_inflations();
        assert_null(func_at(c, &f, 0x3000));
        assert_int_equal(zsec_inflations(), n0);
        assert_false(srclines_declined(c));
        srclines_free(c);
    }
}

/* f_info's unit without the reserved length after it, then a DWARF 4
 * unit whose code, g's, lies in the ranges at .debug_ranges' 0 (the CU's
 * DW_AT_ranges, abbreviation 3 of g_abbrevs), then a reserved length. */
static const unsigned char fg_info[] = {
    36, 0, 0, 0, 4, 0, 0, 0, 0, 0, 8, 1, 0x00, 0x10, 0, 0, 0, 0, 0, 0, 0x20, 0, 0, 0,
    2, 'f', 0, 0x00, 0x10, 0, 0, 0, 0, 0, 0, 0x20, 0, 0, 0, 0, /* f_info's unit */
    28, 0, 0, 0, 4, 0, 0, 0, 0, 0, 8, /* length, version 4, abbrevs at 0, address 8 */
    3,                                /* DW_TAG_compile_unit */
    0, 0, 0, 0,                       /*   ranges at 0 */
    2,                                /* DW_TAG_subprogram */
    'g', 0,                           /*   name "g" */
    0x00, 0x20, 0, 0, 0, 0, 0, 0,     /*   low_pc 0x2000 */
    0x20, 0, 0, 0,                    /*   high_pc +0x20 */
    0,                                /* end of the unit's children */
    0xf0, 0xff, 0xff, 0xff,           /* a reserved length: no unit after */
};
static const unsigned char fg_abbrevs[] = {
    1, 0x11, 1, 0x11, 0x01, 0x12, 0x06, 0, 0,             /* f_abbrevs' 1 */
    2, 0x2e, 0, 0x03, 0x08, 0x11, 0x01, 0x12, 0x06, 0, 0, /* and 2 */
    3, 0x11, 1,                                           /* 3: DW_TAG_compile_unit, children */
    0x55, 0x17,                                           /*   ranges sec_offset */
    0, 0, 0,                                              /* end of it, and of the table */
};
static const unsigned char g_ranges[] = {
    0x00, 0x20, 0, 0, 0, 0, 0, 0, 0x20, 0x20, 0, 0, 0, 0, 0, 0, /* [0x2000, 0x2020) */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,             /* end of the list */
};

/* The units a partial index holds answer the lookups that have no room to
 * complete it: .debug_line 14 MiB (bighead_lines), .debug_info 12 and
 * .debug_ranges 8, compressed; f's unit says its code with low_pc, g's with .debug_ranges,
 * declined by a lookup of an address with lines.  A later such lookup
 * (no room for .debug_ranges beside .debug_line either) reads f's unit,
 * and names f; one of g's address, without lines, completes the index. */
static void partial_index_answers(void **state)
{
    (void)state;
    srclines_file f = bighead_lines();
    section(&f, DWARFINLINE_INFO, fg_info, sizeof fg_info, 12 << 20);
    section(&f, DWARFINLINE_ABBREV, fg_abbrevs, sizeof fg_abbrevs, 0);
    section(&f, DWARFINLINE_RANGES, g_ranges, sizeof g_ranges, 8 << 20);
    srclines *c = srclines_new();
    assert_non_null(c);
    func_f_at(c, &f, 0x1000);
    assert_true(srclines_declined(c));
    func_f_at(c, &f, 0x1004);
    const char *g = func_at(c, &f, 0x2000);
    assert_non_null(g);
    assert_string_equal(g, "g");
    srclines_free(c);
}

/* One section, its bytes. */
typedef struct sec_bytes {
    int sec;
    const void *p;
    size_t n;
} sec_bytes;

/* The n sections secs[] beside bighead_lines(), plain but for
 * `declined`, compressed and padded to 20 MiB: a lookup of an address with
 * lines (0x1000) declines it (34 MiB with .debug_line, 33 with it freed
 * but for its header), so the one unit's
 * range goes unread, and no function is named.  One of 0x1018, without
 * lines, has the room: it reads the unit, f's.  Taken for complete, the
 * first lookup's index held no unit, and f was lost while the cache
 * lived.  All plain, the first lookup names f (the bytes are right). */
static void unit_read_later(const sec_bytes *secs, size_t n, int declined)
{
    for (int plain = 1; plain >= 0; plain--) {
        srclines_file f = bighead_lines();
        for (size_t k = 0; k < n; k++)
            section(&f, secs[k].sec, secs[k].p, secs[k].n,
                    !plain && secs[k].sec == declined ? 20 << 20 : 0);
        srclines *c = srclines_new();
        assert_non_null(c);
        if (plain) {
            func_f_at(c, &f, 0x1000);
        } else {
            assert_null(func_at(c, &f, 0x1000));
            assert_true(srclines_declined(c));
            func_f_at(c, &f, 0x1018);
        }
        srclines_free(c);
    }
}

/* .debug_info itself declined: the scan stops at the first header. */
static void declined_info_read_later(void **state)
{
    (void)state;
    const sec_bytes secs[] = { { DWARFINLINE_INFO, f_info, sizeof f_info },
                               { DWARFINLINE_ABBREV, f_abbrevs, sizeof f_abbrevs } };
    unit_read_later(secs, 2, DWARFINLINE_INFO);
}

/* f's unit with its code in the list DW_AT_ranges names (at 0): DWARF 4's
 * .debug_ranges, or DWARF 5's .debug_rnglists. */
static const unsigned char ranged_info[] = {
    28, 0, 0, 0, 4, 0, 0, 0, 0, 0, 8, /* length, version 4, abbrevs at 0, address 8 */
    1,                                /* DW_TAG_compile_unit */
    0, 0, 0, 0,                       /*   ranges at 0 */
    2,                                /* DW_TAG_subprogram */
    'f', 0,                           /*   name "f" */
    0x00, 0x10, 0, 0, 0, 0, 0, 0,     /*   low_pc 0x1000 */
    0x20, 0, 0, 0,                    /*   high_pc +0x20 */
    0,                                /* end of the unit's children */
    0xf0, 0xff, 0xff, 0xff,           /* a reserved length: no unit after */
};
static const unsigned char ranged_info5[] = {
    29, 0, 0, 0, 5, 0, 1, 8, 0, 0, 0, 0, /* length, version 5, compile, address 8, abbrevs at 0 */
    1,                                   /* DW_TAG_compile_unit */
    0, 0, 0, 0,                          /*   ranges at 0 */
    2,                                   /* DW_TAG_subprogram */
    'f', 0,                              /*   name "f" */
    0x00, 0x10, 0, 0, 0, 0, 0, 0,        /*   low_pc 0x1000 */
    0x20, 0, 0, 0,                       /*   high_pc +0x20 */
    0,                                   /* end of the unit's children */
    0xf0, 0xff, 0xff, 0xff,              /* a reserved length: no unit after */
};
static const unsigned char ranged_abbrevs[] = {
    1, 0x11, 1, 0x55, 0x17, 0, 0,                         /* 1: DW_TAG_compile_unit, ranges */
    2, 0x2e, 0, 0x03, 0x08, 0x11, 0x01, 0x12, 0x06, 0, 0, /* f_abbrevs' 2 */
    0,                                                    /* end of the table */
};
static const unsigned char f_ranges[] = {
    0x00, 0x10, 0, 0, 0, 0, 0, 0, 0x20, 0x10, 0, 0, 0, 0, 0, 0, /* [0x1000, 0x1020) */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,             /* end of the list */
};
static const unsigned char f_rnglists[] = {
    7, 0x00, 0x10, 0, 0, 0, 0, 0, 0, 0x20, /* DW_RLE_start_length 0x1000, 0x20 */
    0,                                     /* DW_RLE_end_of_list */
};

static void declined_ranges_read_later(void **state)
{
    (void)state;
    const sec_bytes secs[] = { { DWARFINLINE_INFO, ranged_info, sizeof ranged_info },
                               { DWARFINLINE_ABBREV, ranged_abbrevs, sizeof ranged_abbrevs },
                               { DWARFINLINE_RANGES, f_ranges, sizeof f_ranges } };
    unit_read_later(secs, 3, DWARFINLINE_RANGES);
}

static void declined_rnglists_read_later(void **state)
{
    (void)state;
    const sec_bytes secs[] = { { DWARFINLINE_INFO, ranged_info5, sizeof ranged_info5 },
                               { DWARFINLINE_ABBREV, ranged_abbrevs, sizeof ranged_abbrevs },
                               { DWARFINLINE_RNGLISTS, f_rnglists, sizeof f_rnglists } };
    unit_read_later(secs, 3, DWARFINLINE_RNGLISTS);
}

/* DWARF 5: f's unit with its low_pc entry 0 of .debug_addr's table (at 8,
 * DW_AT_addr_base, after the table's header). */
static const unsigned char addrx_info[] = {
    34, 0, 0, 0, 5, 0, 1, 8, 0, 0, 0, 0, /* length, version 5, compile, address 8, abbrevs at 0 */
    1,                                   /* DW_TAG_compile_unit */
    0,                                   /*   low_pc: .debug_addr entry 0 */
    0x20, 0, 0, 0,                       /*   high_pc +0x20 */
    8, 0, 0, 0,                          /*   addr_base 8 */
    2,                                   /* DW_TAG_subprogram */
    'f', 0,                              /*   name "f" */
    0x00, 0x10, 0, 0, 0, 0, 0, 0,        /*   low_pc 0x1000 */
    0x20, 0, 0, 0,                       /*   high_pc +0x20 */
    0,                                   /* end of the unit's children */
    0xf0, 0xff, 0xff, 0xff,              /* a reserved length: no unit after */
};
static const unsigned char addrx_abbrevs[] = {
    1, 0x11, 1,                                           /* 1: DW_TAG_compile_unit, children */
    0x11, 0x1b, 0x12, 0x06, 0x73, 0x17, 0, 0,             /*   low_pc addrx, high_pc, addr_base */
    2, 0x2e, 0, 0x03, 0x08, 0x11, 0x01, 0x12, 0x06, 0, 0, /* f_abbrevs' 2 */
    0,                                                    /* end of the table */
};
static const unsigned char f_addr[] = {
    12, 0, 0, 0, 5, 0, 8, 0,        /* length, version 5, address 8, no segment */
    0x00, 0x10, 0, 0, 0, 0, 0, 0,   /* 0x1000 */
};

static void declined_addr_read_later(void **state)
{
    (void)state;
    const sec_bytes secs[] = { { DWARFINLINE_INFO, addrx_info, sizeof addrx_info },
                               { DWARFINLINE_ABBREV, addrx_abbrevs, sizeof addrx_abbrevs },
                               { DWARFINLINE_ADDR, f_addr, sizeof f_addr } };
    unit_read_later(secs, 3, DWARFINLINE_ADDR);
}

/* Only a section held takes room before the scan of lines (the first
 * thing a lookup reads), and the first lookup scans every line unit:
 * here it read none, its view saying .debug_line is over
 * SRCLINES_SECTION_MAX.  It held .debug_info, 20 MiB; the next lookup,
 * of the real .debug_line (14 MiB), drops it, unread yet, for
 * .debug_line (drop_unread_held), and reads it again after: a.c:10 and
 * f.  It declined .debug_line, and lost a.c while the cache lived. */
static void held_dropped_for_lines_first(void **state)
{
    (void)state;
    srclines_file f = padded_lines(14 << 20);
    section(&f, DWARFINLINE_INFO, f_info, sizeof f_info, 20 << 20);
    section(&f, DWARFINLINE_ABBREV, f_abbrevs, sizeof f_abbrevs, 0);
    srclines_file nolines = f;
    nolines.kind[DWARFLINE_LINE] = ZSEC_PLAIN;
    nolines.size[DWARFLINE_LINE] = SRCLINES_SECTION_MAX + 1;
    srclines *c = srclines_new();
    assert_non_null(c);
    srclines_hold(c);
    func_f_at(c, &nolines, 0x1018);
    uint64_t n0 = zsec_inflations();
    lookup_one(c, &f, 0x1000);
    assert_int_equal(zsec_inflations() - n0, 2);
    func_f_at(c, &f, 0x1000);
    assert_false(srclines_declined(c));
    srclines_release(c);
    srclines_free(c);
}

/* One answer: its file (or NULL) and its DWARF function name (or NULL). */
static void answer_at(srclines *c, const srclines_file *f, uint64_t v, const char **file_, const char **func)
{
    symbols_line out;
    assert_int_equal(srclines_lookup(c, f, &v, 1, &out), 0);
    *file_ = out.file;
    *func = out.func;
}

/* .debug_line 14 MiB (bighead_lines), .debug_info 12 and .debug_abbrev 8
 * (a review's layout), in one hold after a released one: 0x1018 (no
 * lines) holds .debug_info and .debug_abbrev; 0x1003 reads the rows, for
 * which the held sections, unread yet, give way (drop_unread_held), and
 * its inline scan then declines .debug_abbrev beside the 13 MiB header
 * kept: a.c, without the DWARF function name the held sections gave (a
 * file:line is worth more; the ELF symbol table usually names the
 * function).  Without the drop, .debug_line was declined: f, no file. */
static void held_dropped_for_file_over_name(void **state)
{
    (void)state;
    srclines_file f = bighead_lines();
    section(&f, DWARFINLINE_INFO, f_info, sizeof f_info, 12 << 20);
    section(&f, DWARFINLINE_ABBREV, f_abbrevs, sizeof f_abbrevs, 8 << 20);
    srclines *c = srclines_new();
    assert_non_null(c);
    srclines_hold(c);
    lookup_one(c, &f, 0x1000);
    srclines_release(c);
    srclines_hold(c);
    static const uint64_t vs[] = { 0x1018, 0x1003, 0x1019, 0x1002 };
    for (size_t k = 0; k < 4; k++) {
        const char *file_, *func;
        answer_at(c, &f, vs[k], &file_, &func);
        if (vs[k] < 0x1010) {
            assert_non_null(file_);
            assert_string_equal(file_, "a.c");
        } else {
            assert_null(file_);
            assert_non_null(func);
            assert_string_equal(func, "f");
        }
    }
    srclines_release(c);
    srclines_free(c);
}

/* An allocation failing in a held lookup (every one in turn): the lookup
 * holds nothing, so the next one inflates what it needs again and names
 * the function (the 12th to 14th allocation failing, it held what it
 * had read, and no later lookup in the hold named one until the
 * release). */
static void failed_lookup_holds_nothing(void **state)
{
    (void)state;
    srclines_file f = headed_lines(12);
    section(&f, DWARFINLINE_INFO, f_info, sizeof f_info, 12 << 20);
    section(&f, DWARFINLINE_ABBREV, f_abbrevs, sizeof f_abbrevs, 8 << 20);
    uint64_t blocks = mem_heap_blocks();
    for (unsigned long nth = 1;; nth++) {
        srclines *c = srclines_new();
        assert_non_null(c);
        srclines_hold(c);
        func_f_at(c, &f, 0x1018);
        mem_fail_after(nth);
        symbols_line out;
        uint64_t v = 0x1003;
        int rc = srclines_lookup(c, &f, &v, 1, &out);
        unsigned long left = mem_fail_after(0);
        assert_true(rc == 0 || rc == ENOMEM);
        const char *file_, *func;
        answer_at(c, &f, 0x1002, &file_, &func);
        assert_non_null(file_);
        assert_string_equal(file_, "a.c");
        assert_non_null(func);
        assert_string_equal(func, "f");
        srclines_release(c);
        srclines_free(c);
        assert_int_equal(mem_heap_blocks(), blocks);
        if (left)
            break;
    }
}

/* Three units (a review's layout): A at 0x1000 (low_pc, its subprogram
 * named through .debug_str), B at 0x2000 (DWARF 4, .debug_ranges), C at
 * 0x3000 (DWARF 5, .debug_rnglists). */
static const unsigned char x_info[] = {
    38, 0, 0, 0, 4, 0, 0, 0, 0, 0, 8,
    1, 0x00, 0x10, 0, 0, 0, 0, 0, 0, 0x20, 0, 0, 0,
    4, 0, 0, 0, 0, 0x00, 0x10, 0, 0, 0, 0, 0, 0, 0x20, 0, 0, 0, 0,
    28, 0, 0, 0, 4, 0, 0, 0, 0, 0, 8,
    3, 0, 0, 0, 0,
    2, 'g', 0, 0x00, 0x20, 0, 0, 0, 0, 0, 0, 0x20, 0, 0, 0, 0,
    29, 0, 0, 0, 5, 0, 1, 8, 0, 0, 0, 0,
    3, 0, 0, 0, 0,
    2, 'h', 0, 0x00, 0x30, 0, 0, 0, 0, 0, 0, 0x20, 0, 0, 0, 0,
    0xf0, 0xff, 0xff, 0xff,
};
static const unsigned char x_abbrevs[] = {
    1, 0x11, 1, 0x11, 0x01, 0x12, 0x06, 0, 0,
    2, 0x2e, 0, 0x03, 0x08, 0x11, 0x01, 0x12, 0x06, 0, 0,
    3, 0x11, 1, 0x55, 0x17, 0, 0,
    4, 0x2e, 0, 0x03, 0x0e, 0x11, 0x01, 0x12, 0x06, 0, 0,
    0,
};
static const unsigned char x_ranges[] = {
    0x00, 0x20, 0, 0, 0, 0, 0, 0, 0x20, 0x20, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};
static const unsigned char x_rnglists[] = { 7, 0x00, 0x30, 0, 0, 0, 0, 0, 0, 0x20, 0 };
static const char x_str[] = "f";

/* A rescan of a partial index counts the room of the sections a unit's
 * range is read from; walking A for its query also inflates .debug_str,
 * so the rescan declines .debug_rnglists again.  It is tried once, not by
 * every lookup: a lookup in A then inflates what main's did (.debug_info
 * and .debug_str), not .debug_ranges too for nothing. */
static void partial_rescan_once(void **state)
{
    (void)state;
    nfile = 0;
    srclines_file f = { NULL, rd, { 0 }, { 0 }, { ZSEC_PLAIN }, NULL, true };
    section(&f, DWARFINLINE_INFO, x_info, sizeof x_info, 10 << 20);
    section(&f, DWARFINLINE_ABBREV, x_abbrevs, sizeof x_abbrevs, 0);
    section(&f, DWARFLINE_STR, x_str, sizeof x_str, 8 << 20);
    section(&f, DWARFINLINE_RANGES, x_ranges, sizeof x_ranges, 8 << 20);
    section(&f, DWARFINLINE_RNGLISTS, x_rnglists, sizeof x_rnglists, 10 << 20);
    srclines *c = srclines_new();
    assert_non_null(c);
    for (uint64_t v = 0x1000; v < 0x1006; v++) {
        uint64_t n0 = zsec_inflations();
        const char *fn = func_at(c, &f, v);
        assert_non_null(fn);
        assert_string_equal(fn, "f");
        /* info, str, ranges (rnglists declined); once more; then 2 */
        assert_int_equal(zsec_inflations() - n0, v < 0x1002 ? 3 : 2);
    }
    const char *g = func_at(c, &f, 0x2000);
    assert_non_null(g);
    assert_string_equal(g, "g");
    srclines_free(c);
}

/* DWARF 4: a compile unit [0x1000, 0x1020) whose line program is
 * .debug_line's 0 (DW_AT_stmt_list); the function f there, and in it g
 * inlined over [0x1000, 0x1010), called from file 1 of that program's
 * table (a.c), line 7; then a reserved length. */
static const unsigned char inl_info[] = {
    63, 0, 0, 0, 4, 0, 0, 0, 0, 0, 8, /* length, version 4, abbrevs at 0, address 8 */
    1,                                /* 11: DW_TAG_compile_unit */
    0x00, 0x10, 0, 0, 0, 0, 0, 0,     /*   low_pc 0x1000 */
    0x20, 0, 0, 0,                    /*   high_pc +0x20 */
    0, 0, 0, 0,                       /*   stmt_list 0 */
    4, 'g', 0,                        /* 28: DW_TAG_subprogram g, abstract */
    2,                                /* 31: DW_TAG_subprogram */
    'f', 0,                           /*   name "f" */
    0x00, 0x10, 0, 0, 0, 0, 0, 0,     /*   low_pc 0x1000 */
    0x20, 0, 0, 0,                    /*   high_pc +0x20 */
    3,                                /* 46: DW_TAG_inlined_subroutine */
    28, 0, 0, 0,                      /*   abstract_origin: g */
    0x00, 0x10, 0, 0, 0, 0, 0, 0,     /*   low_pc 0x1000 */
    0x10, 0, 0, 0,                    /*   high_pc +0x10 */
    1, 7,                             /*   call_file 1, call_line 7 */
    0,                                /* end of f's children */
    0,                                /* end of the unit's children */
    0xf0, 0xff, 0xff, 0xff,           /* a reserved length: no unit after */
};
static const unsigned char inl_abbrevs[] = {
    1, 0x11, 1,                                     /* 1: DW_TAG_compile_unit, children */
    0x11, 0x01, 0x12, 0x06, 0x10, 0x17, 0, 0,       /*   low_pc, high_pc, stmt_list */
    2, 0x2e, 1,                                     /* 2: DW_TAG_subprogram, children */
    0x03, 0x08, 0x11, 0x01, 0x12, 0x06, 0, 0,       /*   name string, low_pc, high_pc */
    3, 0x1d, 0,                                     /* 3: DW_TAG_inlined_subroutine */
    0x31, 0x13, 0x11, 0x01, 0x12, 0x06,             /*   abstract_origin ref4, low, high */
    0x58, 0x0b, 0x59, 0x0b, 0, 0,                   /*   call_file, call_line data1 */
    4, 0x2e, 0, 0x03, 0x08, 0, 0,                   /* 4: DW_TAG_subprogram, name */
    0,                                              /* end of the table */
};

/* A lookup of v: a.c:10, in g inlined from a.c:7, in f. */
static void inlined_at(srclines *c, const srclines_file *f, uint64_t v)
{
    symbols_line out;
    assert_int_equal(srclines_lookup(c, f, &v, 1, &out), 0);
    assert_non_null(out.file);
    assert_string_equal(out.file, "a.c");
    assert_int_equal(out.line, 10);
    assert_int_equal(out.ninl, 1);
    assert_string_equal(out.inl[0].name, "g");
    assert_non_null(out.inl[0].file);
    assert_string_equal(out.inl[0].file, "a.c");
    assert_int_equal(out.inl[0].line, 7);
    assert_non_null(out.func);
    assert_string_equal(out.func, "f");
}

/* .debug_line 14 MiB, .debug_info 12 and .debug_abbrev 8, compressed: 34
 * MiB together, over SRCLINES_INFLATE_MAX, each under it.  A lookup of an
 * address with lines kept .debug_line inflated while it read .debug_info
 * (g's call file is named from its unit's line table), declined
 * .debug_abbrev, and gave neither g nor f, on every profile.  Now it frees
 * .debug_line once its rows are read, keeping the header of the line unit
 * that holds the address, which names g's call file: three inflations,
 * under the cap, nothing declined.  Held (srclines_hold), a lookup that
 * freed .debug_line holds nothing: the next one, of another address with
 * lines, would find .debug_info and .debug_abbrev held and no room for
 * .debug_line's rows. */
static void lines_freed_for_inlines(void **state)
{
    (void)state;
    srclines_file f = padded_lines(14 << 20);
    section(&f, DWARFINLINE_INFO, inl_info, sizeof inl_info, 12 << 20);
    section(&f, DWARFINLINE_ABBREV, inl_abbrevs, sizeof inl_abbrevs, 8 << 20);
    uint64_t blocks = mem_heap_blocks();
    srclines *c = srclines_new();
    assert_non_null(c);
    uint64_t n0 = zsec_inflations(), base = mem_heap_bytes();
    mem_heap_peak_reset();
    inlined_at(c, &f, 0x1000);
    assert_int_equal(zsec_inflations() - n0, 3);
    assert_true(mem_heap_peak() - base <= SRCLINES_INFLATE_MAX);
    assert_false(srclines_declined(c));
    const char *fn = func_at(c, &f, 0x1018); /* no lines: f alone */
    assert_non_null(fn);
    assert_string_equal(fn, "f");
    srclines_free(c);

    c = srclines_new();
    assert_non_null(c);
    srclines_hold(c);
    inlined_at(c, &f, 0x1004);
    inlined_at(c, &f, 0x1008);
    assert_false(srclines_declined(c));
    srclines_release(c);
    srclines_free(c);
    assert_int_equal(mem_heap_blocks(), blocks);
}

/* lines_freed_for_inlines' layout, but for the compile unit's
 * DW_AT_stmt_list, 0x100: no line unit starts there (zeros).  g's call
 * file is not named, as where .debug_line is not freed; nor is a section
 * said to be declined: its header was not left out for room (a lookup
 * that freed .debug_line took every read of it outside the headers kept
 * for one, and said "need over 32 MiB" of corrupt input). */
static void corrupt_stmt_list_not_declined(void **state)
{
    (void)state;
    unsigned char info[sizeof inl_info];
    memcpy(info, inl_info, sizeof info);
    info[25] = 1; /* stmt_list 0x100 */
    srclines_file f = padded_lines(14 << 20);
    section(&f, DWARFINLINE_INFO, info, sizeof info, 12 << 20);
    section(&f, DWARFINLINE_ABBREV, inl_abbrevs, sizeof inl_abbrevs, 8 << 20);
    srclines *c = srclines_new();
    assert_non_null(c);
    symbols_line out;
    uint64_t v = 0x1000, n0 = zsec_inflations();
    assert_int_equal(srclines_lookup(c, &f, &v, 1, &out), 0);
    assert_int_equal(zsec_inflations() - n0, 3);
    assert_non_null(out.file);
    assert_string_equal(out.file, "a.c");
    assert_int_equal(out.ninl, 1);
    assert_string_equal(out.inl[0].name, "g");
    assert_null(out.inl[0].file);
    assert_non_null(out.func);
    assert_string_equal(out.func, "f");
    assert_false(srclines_declined(c));
    srclines_free(c);
}

/* lines_freed_for_inlines' layout, but for g inlined over the whole of
 * f, [0x1000, 0x1020), past the rows (to 0x1010).  Held, 0x1018 reads
 * .debug_info and .debug_abbrev, 20 MiB, and finds no line unit to read
 * (the index is complete): only g's call file wants .debug_line, 14 MiB,
 * which does not fit beside the sections this lookup read (no drop helps
 * there): declined, and g given without its call file.  A later lookup,
 * of an address with lines, reads .debug_line first, frees it for the
 * inline scan, and names g's call file. */
static void declined_lines_read_later(void **state)
{
    (void)state;
    unsigned char info[sizeof inl_info];
    memcpy(info, inl_info, sizeof info);
    info[59] = 0x20; /* g's high_pc +0x20 */
    srclines_file f = padded_lines(14 << 20);
    section(&f, DWARFINLINE_INFO, info, sizeof info, 12 << 20);
    section(&f, DWARFINLINE_ABBREV, inl_abbrevs, sizeof inl_abbrevs, 8 << 20);
    srclines *c = srclines_new();
    assert_non_null(c);
    srclines_hold(c);
    inlined_at(c, &f, 0x1000);
    symbols_line out;
    uint64_t v = 0x1018;
    assert_int_equal(srclines_lookup(c, &f, &v, 1, &out), 0);
    assert_null(out.file);
    assert_int_equal(out.ninl, 1);
    assert_string_equal(out.inl[0].name, "g");
    assert_null(out.inl[0].file);
    assert_non_null(out.func);
    assert_string_equal(out.func, "f");
    assert_true(srclines_declined(c));
    inlined_at(c, &f, 0x1004);
    assert_false(srclines_declined(c));
    srclines_release(c);
    srclines_free(c);
}

/* Held (srclines_hold), .debug_line 14 MiB with a header of h MiB,
 * .debug_info i and .debug_abbrev a: a lookup of an address with lines
 * frees .debug_line only where every section the inline scan wants then
 * fits.  Where one is declined anyway (h 13, i 12, a 8: 33 MiB; h 8,
 * i 20, a 8: 36), it freed .debug_line for nothing, and so held nothing:
 * each later lookup in the hold inflated .debug_line again (and, freed
 * on reading the 20 MiB .debug_info, that too), where it was held
 * before the free was made. */
static void lines_not_freed_for_nothing(void **state)
{
    (void)state;
    /* h, i, a, and the first lookup's inflations */
    static const unsigned sizes[][4] = { { 13, 12, 8, 2 }, { 8, 20, 8, 1 } };
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        srclines_file f = headed_lines(sizes[k][0]);
        section(&f, DWARFINLINE_INFO, f_info, sizeof f_info, (size_t)sizes[k][1] << 20);
        section(&f, DWARFINLINE_ABBREV, f_abbrevs, sizeof f_abbrevs, (size_t)sizes[k][2] << 20);
        srclines *c = srclines_new();
        assert_non_null(c);
        srclines_hold(c);
        uint64_t n0 = zsec_inflations();
        lookup_one(c, &f, 0x1000);
        assert_int_equal(zsec_inflations() - n0, sizes[k][3]);
        assert_true(srclines_declined(c));
        for (uint64_t v = 0x1001; v < 0x1004; v++) {
            n0 = zsec_inflations();
            lookup_one(c, &f, v);
            assert_int_equal(zsec_inflations() - n0, 0);
        }
        srclines_release(c);
        srclines_free(c);
    }
}

/* .debug_line 14 MiB with an 8 MiB header, .debug_info 20 and
 * .debug_abbrev 8: with .debug_line freed but for that header, 36 MiB.
 * A lookup of an address with lines declines .debug_info, never reading
 * .debug_abbrev; each later one inflates .debug_line alone, as before
 * .debug_line could be freed.
 * Counted without .debug_abbrev (the sections the first scan read), the
 * second freed .debug_line for .debug_info and declined .debug_abbrev: two
 * inflations, and the index stuck, so that no lookup named f, not even
 * one of an address without lines, which has the room. */
static void abbrev_counted_before_read(void **state)
{
    (void)state;
    srclines_file f = headed_lines(8);
    section(&f, DWARFINLINE_INFO, f_info, sizeof f_info, 20 << 20);
    section(&f, DWARFINLINE_ABBREV, f_abbrevs, sizeof f_abbrevs, 8 << 20);
    srclines *c = srclines_new();
    assert_non_null(c);
    for (uint64_t v = 0x1000; v < 0x1003; v++) {
        uint64_t n0 = zsec_inflations();
        lookup_one(c, &f, v);
        assert_int_equal(zsec_inflations() - n0, 1);
    }
    uint64_t n0 = zsec_inflations();
    func_f_at(c, &f, 0x1018);
    assert_int_equal(zsec_inflations() - n0, 2);
    srclines_free(c);
}

/* Held, .debug_line 14 MiB with an 8 MiB header, .debug_info 12 and
 * .debug_abbrev 8: a lookup of an address with lines frees .debug_line
 * for the others, and holds nothing; the next, of an address without
 * lines, holds .debug_info and .debug_abbrev (20 MiB).  The next with
 * lines drops them (they are only a cache) for .debug_line: it declined
 * .debug_line, and its address's file and line were lost while the cache
 * lived. */
static void held_dropped_for_lines(void **state)
{
    (void)state;
    srclines_file f = headed_lines(8);
    section(&f, DWARFINLINE_INFO, f_info, sizeof f_info, 12 << 20);
    section(&f, DWARFINLINE_ABBREV, f_abbrevs, sizeof f_abbrevs, 8 << 20);
    srclines *c = srclines_new();
    assert_non_null(c);
    srclines_hold(c);
    func_f_at(c, &f, 0x1000);
    func_f_at(c, &f, 0x1018);
    uint64_t n0 = zsec_inflations();
    lookup_one(c, &f, 0x1003);
    assert_int_equal(zsec_inflations() - n0, 3);
    func_f_at(c, &f, 0x1003);
    assert_false(srclines_declined(c));
    srclines_release(c);
    lookup_one(c, &f, 0x1003);
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
        cmocka_unit_test(partial_index_not_rescanned),
        cmocka_unit_test(lines_freed_before_inlines),
        cmocka_unit_test(partial_index_answers),
        cmocka_unit_test(declined_info_read_later),
        cmocka_unit_test(declined_ranges_read_later),
        cmocka_unit_test(declined_rnglists_read_later),
        cmocka_unit_test(declined_addr_read_later),
        cmocka_unit_test(held_dropped_for_file_over_name),
        cmocka_unit_test(failed_lookup_holds_nothing),
        cmocka_unit_test(declined_lines_read_later),
        cmocka_unit_test(held_dropped_for_lines_first),
        cmocka_unit_test(partial_rescan_once),
        cmocka_unit_test(lines_freed_for_inlines),
        cmocka_unit_test(corrupt_stmt_list_not_declined),
        cmocka_unit_test(lines_not_freed_for_nothing),
        cmocka_unit_test(held_dropped_for_lines),
        cmocka_unit_test(abbrev_counted_before_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * srclines.h - file:line of one ELF file's code addresses, from its
 * .debug_line (dwarfline.h), and the functions inlined there, from its
 * .debug_info (dwarfinline.h), remembered across profiles.
 *
 * symbols.c keeps one srclines per file whose names the profile keeps
 * (symbols_keep_names): go tool pprof adds no file:line, and no inlined
 * frame, there, so the profile carries its own.  The first lookup in a
 * file reads every unit of .debug_line once, one unit at a time, and the
 * header and first entry of every unit of .debug_info (walking only the
 * units whose code holds an address asked), and remembers where each
 * unit's code lies; every answer (a line or none, a chain or none) is
 * kept, so a later profile asks the file only about addresses it has not
 * seen, and reads only the units whose range holds one.  The inlined
 * frames of a file that `dwz -m` rewrote name functions from its
 * supplementary file, read through a second view (srclines_file.alt).
 * Sections are read through the file's own bounded reader (pread); a
 * compressed section (-gz, zsection.h) is inflated whole with zlib when a
 * lookup first reads it, and freed when the lookup ends, or, while the
 * cache is held (srclines_hold), when it is released: one profile asks a
 * file twice, for the lines of its call sites, then for those of the
 * entries of the functions some of them had none in (pprof_lines.c), and
 * inflating Debian's libc debug file again took 40 to 70 ms.
 *
 * Limits: a .debug_line over SRCLINES_SECTION_MAX bytes gives no lines
 * (said nowhere: the names are still there).  The compressed sections a
 * lookup inflates take at most SRCLINES_INFLATE_MAX bytes together (they
 * are the profiler's memory inside the program: a 40-file C++ program
 * built -O2 -g -gz needs 43 MiB, its .debug_info 29 MiB of it); one that
 * would go over reads as absent, so the lines or inlined frames it holds
 * are not given, and srclines_declined says so once; the supplementary
 * file's count against the same cap, and so do those held.  Only by that
 * lookup: the addresses a later one asks are answered from it if there
 * is room then (fewer sections to inflate before it, or none held).  The
 * addresses that lookup asked keep the answers it gave, as every answer
 * is kept: without what the declined section held, for the life of the
 * cache (asked again, they would cost every profile the inflations, for
 * nothing in a file where the room never comes).  A lookup reads the
 * rows of .debug_line before .debug_info, which names an inlined frame's
 * call file from its unit's line table: once the rows are read, where
 * the .debug_info sections its scan reads do not fit beside what is
 * inflated, .debug_line is freed before that scan (or later, for a
 * section that would go over the cap), only where they then all fit
 * (else one is declined anyway, and the free was for nothing), but for
 * the headers (file tables) of the line units whose rows hold an address
 * asked, which are kept for the lookup and count against the cap (a few
 * KiB a unit; copied beside .debug_line, where they leave no room it
 * stays, and a section is declined, as before).  So an address with
 * lines gets its inlined frames and function name where .debug_line and
 * the .debug_info sections do not fit together but the latter do, with
 * the headers; a file named through another line table (a far unit's
 * decl file, or the table of a unit whose rows hold no address asked) is
 * then not named, and said as a declined section is.  Held sections a
 * lookup has not read yet give way to .debug_line, read for the rows,
 * where it would go over the cap with them: they are only a cache, and a
 * file:line is worth more than a DWARF function name (which the ELF
 * symbol table usually gives anyway), so where .debug_line's kept headers
 * then leave a section of the inline scan no room, the address gets its
 * file and line but not the function name those held sections gave.  A
 * lookup that ran out of memory holds nothing.  The cost: a lookup that
 * freed .debug_line holds nothing (the next with lines reads rows first,
 * and would drop the .debug_info sections
 * held for them), so in such a file each lookup with an address not
 * asked before inflates .debug_line and the .debug_info sections again,
 * held or not: a profile whose call sites or function entries there are
 * new, two lookups (pprof_lines.c), inflates them twice, where without
 * the freeing the second lookup took them held and inflated nothing, and
 * neither gave those inlined frames and function names.
 * Where all fits, nothing is freed, and a lookup inflates what it would
 * anyway.
 */
#ifndef HEAPPROF_SRCLINES_H
#define HEAPPROF_SRCLINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dwarfinline.h"
#include "symbols.h"
#include "zsection.h"

#define SRCLINES_SECTION_MAX ((uint64_t)64 << 20)
/* The fuzz targets are built with a cap of 2 KiB (tests/fuzz/CMakeLists.txt):
 * with 32 MiB, only inputs of megabytes of compressed sections reach the
 * code a section over it runs (free_lines, read_heads in srclines.c). */
#ifndef SRCLINES_INFLATE_MAX
#define SRCLINES_INFLATE_MAX ((uint64_t)32 << 20)
#endif

/* Where the DWARF sections lie in the file, and how to read it. */
typedef struct srclines_file {
    void *ctx;
    /* Copies the len bytes at file offset off into dst; false when they
     * are not all there. */
    bool (*read)(void *ctx, uint64_t off, void *dst, size_t len);
    /* dwarfinline.h's sections, dwarfline.h's first */
    uint64_t off[DWARFINLINE_NSECS], size[DWARFINLINE_NSECS]; /* size 0: absent */
    zsec_kind kind[DWARFINLINE_NSECS]; /* compressed (zsection.h) or not */
    /* The supplementary file's view (dwz -m: .gnu_debugaltlink, DWARF 5's
     * .debug_sup), whose .debug_info, .debug_abbrev and .debug_str the
     * inlined frames may name functions from; NULL: none (those frames
     * are then not given).  Its own alt is not read. */
    const struct srclines_file *alt;
    /* Whether answers name the function holding each address too
     * (symbols_line.func): for every file with a .debug_info, since which
     * functions its symbol table lost cannot be told.  The same on every
     * lookup of one srclines. */
    bool funcs;
    /* Whether answers name every inlined function's decl file
     * (symbols_frame.decl_file: inlines_of -d, the oracle's check), not
     * only those of frames whose position has no file, the ones profiles
     * use (dwarfinline_sink.placed).  The same on every lookup of one
     * srclines. */
    bool decls;
    /* Optional (split DWARF, -gsplit-dwarf): opens the .dwo file at path
     * (a skeleton unit's, dwarfinline.h's src->split) into *out: its
     * .debug_*.dwo sections under the indices of their namesakes, its ctx
     * and read; the one opened before is closed first.  close_split
     * closes the last one opened.  A lookup opens at most
     * SRCLINES_SPLIT_OPENS; a path that is not there for good (NONE), or
     * whose split unit is of another build, is remembered (up to
     * SRCLINES_SPLIT_MISSES) and not tried again. */
    int (*open_split)(void *sctx, const char *path, struct srclines_file *out);
    void (*close_split)(void *sctx);
    void *sctx;
} srclines_file;

/* What srclines_file.open_split did: opened; none there for good
 * (missing, not a regular file, not ELF: remembered); failed for now (too
 * many files open, interrupted: tried again by a later lookup); out of
 * memory. */
enum { SRCLINES_SPLIT_OPENED, SRCLINES_SPLIT_NONE, SRCLINES_SPLIT_FAILED, SRCLINES_SPLIT_OOM };

/* A program of 5000 sources built -gsplit-dwarf has 5000 .dwo files:
 * one lookup opens at most this many (an open, and the reads of its ELF
 * and section headers, each).  The addresses in units past it get no
 * inlined frames this time, and their answers are not kept: the next
 * lookup asks again, and opens the .dwo files of the rest.  The library's
 * twin libheapprof_splitcap.so (tests) is built with a cap of 1. */
#ifndef SRCLINES_SPLIT_OPENS
#define SRCLINES_SPLIT_OPENS 1024
#endif
/* Paths of .dwo files that could not be opened, remembered (by hash) so
 * that no later profile tries them again; past this, no more are. */
#define SRCLINES_SPLIT_MISSES 4096

typedef struct srclines srclines;

srclines *srclines_new(void);
void srclines_free(srclines *c);

/* out[k] = file:line of link-time address vaddrs[k] ({NULL, 0}: none),
 * and the functions inlined there (symbols.h), for the n addresses,
 * sorted ascending (repeats allowed).  Strings live as long as c, the inl
 * arrays until the next lookup.  0, or ENOMEM (some answers may be
 * missing). */
int srclines_lookup(srclines *c, const srclines_file *f, const uint64_t *vaddrs, size_t n,
                    symbols_line *out);

/* From srclines_hold to srclines_release, the compressed sections the
 * lookups inflate stay inflated for the next lookup, which takes those of
 * them that are the same sections of the same file (srclines_file's off
 * and size, and the inflated size their headers give), and counts them
 * against SRCLINES_INFLATE_MAX.  srclines_free releases. */
void srclines_hold(srclines *c);
void srclines_release(srclines *c);

/* true, once per c, after a lookup left a compressed section uninflated
 * (over SRCLINES_INFLATE_MAX with those inflated before it). */
bool srclines_declined(srclines *c);
/* Whether a section declined so (srclines_declined) was one of a .dwo
 * file's (split DWARF), not the file's own. */
bool srclines_declined_split(const srclines *c);

#endif

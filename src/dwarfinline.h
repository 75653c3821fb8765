/*
 * dwarfinline.h - the functions inlined at code addresses, from the
 * DW_TAG_inlined_subroutine entries of .debug_info (DWARF 2 to 5, 32- and
 * 64-bit).
 *
 * At -O2 a call to a small function (std::vector::push_back, a C static
 * inline wrapper) leaves no frame: the caller's code holds the callee's.
 * The DWARF entry of the caller's function then holds an inlined
 * subroutine entry for each such copy, with the code ranges it covers,
 * the function it is a copy of (DW_AT_abstract_origin) and where it was
 * called (DW_AT_call_file, DW_AT_call_line); copies nest.  symbols.c gives
 * these frames for the binaries whose names the profile keeps
 * (symbols_keep_names), where go tool pprof adds none.
 *
 * The reader is pure, like dwarfline.h's: sections come through a read
 * callback, one unit at a time, so its memory is that of the queries and
 * of one unit.  Nothing read is trusted: a unit this reader cannot follow
 * (a form it does not know, a reference or range list out of bounds, a
 * table over its caps) answers nothing, and an address whose chain cannot
 * be named whole gets no chain: a chain given is never a wrong one.
 *
 * References into other units of .debug_info (DW_FORM_ref_addr: GCC's
 * -flto output names every inlined function so, and dwz's partial units
 * are reached so) are followed, and so are references into a supplementary
 * file (the one `dwz -m` writes, shared by the files of a package:
 * DW_FORM_GNU_ref_alt and DW_FORM_GNU_strp_alt, DWARF 5's
 * DW_FORM_ref_sup4/8 and DW_FORM_strp_sup) when the caller gives its
 * sections (src->alt); without them, the chains that need its names are
 * not given.  The skeleton units of split DWARF (-gsplit-dwarf, DWARF 5:
 * DW_UT_skeleton) are read through the split unit in their .dwo file
 * when the caller can open it (src->split): the skeleton says where the
 * code lies, the split unit holds the entries (dwarfinline_split.c).  Not
 * read: type units, DWARF 4's GNU split units (DW_AT_GNU_dwo_name), and
 * .dwp packages: the addresses they hold get no inline frames.
 */
#ifndef HEAPPROF_DWARFINLINE_H
#define HEAPPROF_DWARFINLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dwarfline.h"

/* The sections read: dwarfline.h's (call files are named from the line
 * program's header), then these. */
enum {
    DWARFINLINE_INFO = DWARFLINE_NSECS,
    DWARFINLINE_ABBREV,
    DWARFINLINE_RANGES,      /* DWARF 2-4 range lists */
    DWARFINLINE_RNGLISTS,    /* DWARF 5 range lists */
    DWARFINLINE_ADDR,        /* DWARF 5 DW_FORM_addrx */
    DWARFINLINE_STR_OFFSETS, /* DWARF 5 DW_FORM_strx */
    DWARFINLINE_NSECS
};

/* The sections (a bit per section) a unit's header, abbreviations, own
 * entry and code ranges are read from: whether it is reported to
 * dwarfinline_sink.unit depends on their reads alone (as
 * DWARFLINE_UNIT_SECS, which says why a caller cares). */
#define DWARFINLINE_UNIT_SECS                                                             \
    ((1u << DWARFINLINE_INFO) | (1u << DWARFINLINE_ABBREV) | (1u << DWARFINLINE_RANGES) | \
     (1u << DWARFINLINE_RNGLISTS) | (1u << DWARFINLINE_ADDR))

/* Units larger than this are skipped (their bytes are read whole). */
#define DWARFINLINE_UNIT_MAX ((uint64_t)32 << 20)
/* Most inlined functions given for one address; a deeper chain gets none. */
enum { DWARFINLINE_DEPTH_MAX = 64 };

typedef struct dwarfinline_src {
    void *ctx;
    /* Copies the len bytes at off of section sec into dst; false when
     * they are not all there. */
    bool (*read)(void *ctx, int sec, uint64_t off, void *dst, size_t len);
    uint64_t size[DWARFINLINE_NSECS]; /* 0: no such section */
    /* The supplementary file's sections (its .debug_info, .debug_abbrev
     * and .debug_str are read), or NULL: none, or not found.  Its own alt
     * is not read: such a file refers to no other. */
    const struct dwarfinline_src *alt;
    /* Optional (split DWARF): the sections of the .dwo file at path (its
     * .debug_info.dwo, .debug_abbrev.dwo, .debug_str.dwo,
     * .debug_str_offsets.dwo, .debug_rnglists.dwo and .debug_line.dwo,
     * under the indices of their namesakes; .debug_addr is this file's),
     * valid until the next call or the scan's end; NULL: none, or not to
     * be opened.  The dwo_id of the unit found there is checked here: one
     * from another build is not read. */
    const struct dwarfinline_src *(*split)(void *ctx, const char *path);
    /* Optional, with split: called once a skeleton's split unit is done
     * with (split gave none, or its walk ended), other_build when the
     * .dwo split gave holds no split unit of the skeleton's dwo_id.
     * true: the split unit was not read, or not wholly, for a reason a
     * later scan may not have (srclines.c: the cap on the files one lookup
     * opens, a section declined for room); the queries in the skeleton's
     * ranges then go to sink->later. */
    bool (*split_again)(void *ctx, bool other_build);
} dwarfinline_src;

/* One inlined function: its name (DW_AT_linkage_name where it has one,
 * the name its out-of-line copy has in the symbol table; else DW_AT_name),
 * the file and line it was called from (NULL and 0 when the entry does
 * not say), and the file it is declared in: DW_AT_decl_file of the entry
 * its abstract origin leads to, the first along the references its name
 * is found through, named by the line table of that entry's unit and
 * spelled as the table of the unit holding the code spells it (as its
 * rows and call files are: -flto run in another directory than the
 * compiles says src/a.h in the one and ../proj/src/a.h in the other);
 * NULL when none says, it cannot be read, the unit with the code names no
 * such file and was compiled in another directory, or it was not looked
 * for (dwarfinline_sink.placed).  A fact of the binary, the same for
 * every address of the function: pprof_lines.c gives it to a frame whose
 * position has no file (line 0). */
typedef struct dwarfinline_frame {
    const char *name;
    const char *file;
    uint32_t line;
    const char *decl_file;
} dwarfinline_frame;

/* What a scan did: abbreviation tables parsed, ranges decoded, queries
 * visited (one per entry on a query's path, per range holding it), and
 * line-program headers read (for file names) and their bytes. */
typedef struct dwarfinline_stats {
    uint64_t abbrev_tables, ranges, visits, line_tables, line_bytes;
} dwarfinline_stats;

typedef struct dwarfinline_sink {
    void *ctx;
    /* Query q lies in the n >= 1 inlined functions f[0..n), innermost
     * first: f[0] was inlined into f[1] at f[0].file:f[0].line, ..., and
     * f[n-1] into the function that holds the address.  The strings live
     * for the call.  Called at most once per query. */
    void (*found)(void *ctx, size_t q, const dwarfinline_frame *f, size_t n);
    /* Optional: the unit at offset off was read, and its code lies in [lo,
     * hi) only (lo == hi: none).  A later scan need only read the units
     * whose range holds one of its addresses.  A unit whose bytes in a
     * section of DWARFINLINE_UNIT_SECS could not be read is not reported
     * (its range is read from them); one that could not say its range
     * is reported as [0, UINT64_MAX). */
    void (*unit)(void *ctx, uint64_t off, uint64_t lo, uint64_t hi);
    /* Optional: the work the scan did, added to (for tests: the caps on
     * hostile input are counted, never timed). */
    struct dwarfinline_stats *stats;
    /* Optional: the function (DW_TAG_subprogram, the innermost) whose code
     * holds query q is named name (as dwarfinline_frame's), for a file
     * whose symbol table names nothing there.  The string lives for the
     * call.  Called at most once per query and unit. */
    void (*func)(void *ctx, size_t q, const char *name);
    /* Optional: whether query q's address has a file (its row in
     * .debug_line): then its innermost function's decl file is not looked
     * for, as the other functions' are not where their call file is
     * named.  Only a frame whose position has no file needs it
     * (pprof_lines.c); the others would cost its name read and kept, and
     * after a reference into another unit that unit's line-table header,
     * for nothing.  NULL: every frame's is looked for (tests). */
    bool (*placed)(void *ctx, size_t q);
    /* Optional: query q lies in a skeleton unit whose split unit a later
     * scan may read where this one could not (src->split_again): its
     * answer lacks what that unit holds, and is not to be kept as final.
     * Called once or more per query. */
    void (*later)(void *ctx, size_t q);
} dwarfinline_sink;

/* Answers the queries addrs[0..n) (link-time addresses, sorted ascending,
 * unique): each lying in an inlined function gets its chain, the others
 * no call.  Ranges that start at 0 or at all ones (a function the linker
 * discarded) cover nothing.  Reads the units at the offsets
 * units[0..nunits) of .debug_info, or every unit in order when units is
 * NULL.  Returns 0, or ENOMEM (answers given so far stand). */
int dwarfinline_scan(const dwarfinline_src *src, const uint64_t *addrs, size_t n,
                     const uint64_t *units, size_t nunits, const dwarfinline_sink *out);

#endif

/*
 * dwarfline.h - source file and line of code addresses, from the DWARF
 * line-number programs of .debug_line (DWARF 2 to 5, 32- and 64-bit).
 *
 * symbols.c needs file:line only for the binaries whose names the profile
 * keeps (symbols_keep_names): go tool pprof adds none there.  The reader is
 * pure: the section's bytes come through a read callback, one unit at a
 * time, so its memory is that of the queries and of one unit, never of the
 * whole section or of its rows.  Nothing read is trusted: every length is
 * checked, every step consumes input, and a malformed unit is skipped.
 *
 * File names are joined as binutils' addr2line joins them (dwarf2.c,
 * concat_filename), with one difference: DWARF 2-4 keep the compilation
 * directory in .debug_info, not here, so a name relative to it is given
 * relative ("src/a.c" where addr2line says "/build/src/a.c").  DWARF 5
 * records it as directory 0, and names come out whole.
 */
#ifndef HEAPPROF_DWARFLINE_H
#define HEAPPROF_DWARFLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The sections a unit may take bytes from. */
enum { DWARFLINE_LINE, DWARFLINE_LINE_STR, DWARFLINE_STR, DWARFLINE_NSECS };

/* Units larger than this are skipped (their bytes are read whole). */
#define DWARFLINE_UNIT_MAX ((uint64_t)16 << 20)
/* Longest file name given; longer ones are no answer. */
enum { DWARFLINE_PATH_MAX = 4096 };

typedef struct dwarfline_src {
    void *ctx;
    /* Copies the len bytes at off of section sec into dst; false when
     * they are not all there. */
    bool (*read)(void *ctx, int sec, uint64_t off, void *dst, size_t len);
    uint64_t size[DWARFLINE_NSECS]; /* 0: no such section */
} dwarfline_src;

typedef struct dwarfline_sink {
    void *ctx;
    /* Query q lies at line of path (a string that lives for the call).
     * Called at most once per query. */
    void (*found)(void *ctx, size_t q, const char *path, uint32_t line);
    /* Optional: the unit at offset off was read, and its rows cover
     * addresses in [lo, hi) only (lo == hi: none).  A later scan for
     * other addresses need only read the units whose range holds one.
     * A unit whose bytes in a section of DWARFLINE_UNIT_SECS could not
     * be read is not reported. */
    void (*unit)(void *ctx, uint64_t off, uint64_t lo, uint64_t hi);
} dwarfline_sink;

/* The sections (a bit per section) whose reads decide whether a unit is
 * reported to dwarfline_sink.unit: a caller whose reads of them may fail
 * for now, and not later (srclines.c's compressed sections, declined for
 * room), must not take the units reported then for all there are. */
#define DWARFLINE_UNIT_SECS (1u << DWARFLINE_LINE)

/* Answers the queries addrs[0..n) (link-time addresses, sorted ascending):
 * each gets the file and line of the row that covers it (row address <=
 * addr < the next row's address, within one sequence), or no call at all.
 * Rows whose address was set to 0 or to all ones (a function the linker
 * discarded) cover nothing.
 * Reads the units at the offsets units[0..nunits), or every unit in order
 * when units is NULL, stopping once every query is answered; but a scan of
 * every unit that reports them (out->unit) reads them all, so its index
 * is whole.  Returns 0, or ENOMEM (answers given so far stand). */
int dwarfline_scan(const dwarfline_src *src, const uint64_t *addrs, size_t n,
                   const uint64_t *units, size_t nunits, const dwarfline_sink *out);

/* The file table of the line-number program at offset off of .debug_line
 * (a compile unit's DW_AT_stmt_list), for the file numbers .debug_info
 * gives (DW_AT_call_file, dwarfinline.c): only the program's header is
 * read, whole.  *len: its size in bytes (0 when its length cannot be
 * read), for a caller that counts its work; a header longer than max is
 * not read.  NULL when it cannot be read, is longer than max, or out of
 * memory (then *oom). */
typedef struct dwarfline_files dwarfline_files;
dwarfline_files *dwarfline_files_open(const dwarfline_src *src, uint64_t off, uint64_t max,
                                      uint64_t *len, bool *oom);

/* The size of the header of the line-number program at offset off of
 * .debug_line into *len, as dwarfline_files_open gives it; false when it
 * cannot be read (then that fails too).  dwarfline_files_open reads
 * only the bytes [off, off + *len), and the DWARFLINE_FILES_PEEK bytes
 * from off (fewer at the section's end) first, whatever the header says:
 * a caller may keep just those for it (srclines.c, which frees the rest of
 * a section it inflated). */
enum { DWARFLINE_FILES_PEEK = 24 };
bool dwarfline_files_extent(const dwarfline_src *src, uint64_t off, uint64_t *len);

/* The file numbers the table has: [*first, *end) (from 1 in DWARF 2-4,
 * from 0 in 5). */
void dwarfline_files_numbers(const dwarfline_files *f, uint64_t *first, uint64_t *end);

/* File number `file` of that table (numbered as the program numbers its
 * rows: from 1 in DWARF 2-4, from 0 in 5), joined with its directory as
 * dwarfline_scan's answers are; NULL when it has none.  The string lives
 * until the next call or close. */
const char *dwarfline_files_name(dwarfline_files *f, uint64_t file);

void dwarfline_files_close(dwarfline_files *f);

#endif

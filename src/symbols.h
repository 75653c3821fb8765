/*
 * symbols.h - what the process has mapped, and function names for addresses.
 *
 * The writer thread takes one snapshot of /proc/self/maps per profile.  Each
 * executable file-backed mapping becomes an hp_mapping (start, limit, file
 * offset, path, GNU build-id) for pprof's Mapping table; so do the
 * recorded mappings of libraries dlclose()d since, where nothing is mapped
 * over them now, so addresses a stack kept from them are still named.  Function names come
 * from the ELF files themselves (.symtab and .dynsym merged; a stripped
 * file's from its separate debug file, debugfile.h), read from disk
 * on the first lookup in each file and cached per file across snapshots, so
 * a profile copied to another machine still names its functions.
 *
 * Runs only on the profiler's own threads (the reentrancy guard is held), so
 * it may use malloc; every allocation failure degrades to "no name".
 */
#ifndef HEAPPROF_SYMBOLS_H
#define HEAPPROF_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct hp_mapping {
    uint64_t start;    /* first address of the mapping */
    uint64_t limit;    /* one past the last address */
    uint64_t offset;   /* file offset of start */
    const char *path;  /* as in /proc/self/maps; owned by the symbolizer */
    const char *build_id; /* lowercase hex GNU build-id, "" when absent */
} hp_mapping;

typedef struct symbolizer symbolizer;

/* A new symbolizer with an empty cache, or NULL when out of memory. */
symbolizer *symbols_new(void);

/* Re-read the process's maps (path is normally "/proc/self/maps"; tests pass
 * their own).  Keeps per-file symbol caches of files still mapped.  Returns 0
 * or an errno value. */
int symbols_refresh(symbolizer *s, const char *maps_path);

/* The same, then adds the mappings of objects no longer loaded (see
 * retired.h), newest first.  A retired range that overlaps a current
 * executable mapping, or a newer retired one, is left out of this snapshot:
 * addresses there may belong to what is mapped now, and current mappings
 * always win.  A retired file is named from disk like any other, but only
 * while it still exists and its build-id matches the recorded one (when one
 * was recorded); otherwise its mapping is kept without names. */
int symbols_refresh_retired(symbolizer *s, const char *maps_path,
                            const hp_mapping *retired, size_t nretired);

/* With maps_path NULL, symbols_refresh_retired reads no maps file: its
 * mappings are the retired ones alone, named from the files on disk only
 * while their build-ids are the recorded ones, as above.  The heapprof
 * command's --lines gives them a profile's mappings (src/cli/locallines.h). */

/* The executable mappings of the last refresh, sorted by start. */
size_t symbols_mapping_count(const symbolizer *s);
const hp_mapping *symbols_mapping(const symbolizer *s, size_t i);

/* Index of the mapping containing addr, or -1. */
long symbols_find_mapping(const symbolizer *s, uint64_t addr);

/* Index of the main program's mapping (the one holding its entry point), or
 * -1.  pprof takes mapping[0] as the main binary (profile.proto), and
 * `go tool pprof BINARY FILE` gives BINARY's path to that mapping; the
 * lowest address is not always the program's: under `ulimit -s unlimited`
 * the kernel maps libraries bottom-up below a PIE program, and
 * `ld.so ./prog` maps the program among its libraries. */
long symbols_main_mapping(const symbolizer *s);

/* The address that marks the main program (symbols_new takes its entry
 * point, getauxval(AT_ENTRY)); tests that read maps of their own set one
 * in them. */
void symbols_set_main(symbolizer *s, uint64_t addr);

/* Where the separate debug files of stripped files are looked for
 * (debugfile.h): colon-separated absolute directories
 * (HEAPPROF_DEBUG_DIRS), or NULL or "" (as after symbols_new) for no
 * separate file at all.  The string must outlive s. */
void symbols_set_debug_dirs(symbolizer *s, const char *dirs);

/* Name of the function containing addr (a runtime address), or NULL.  The
 * string lives until the next refresh or free. */
const char *symbols_func_name(symbolizer *s, uint64_t addr);

/* The same, and addr's offset from the start of that function (0 when
 * unnamed): the "+0x1a" of a text profile's frame lines (heaptext.h). */
const char *symbols_func(symbolizer *s, uint64_t addr, uint64_t *offset);

/* Whether pprof should keep this mapping's names rather than re-derive
 * them from DWARF: true for files with debug info whose names were looked
 * up and where pprof would find some functions nameless.  Why: go tool
 * pprof (1.19) names functions from DW_AT_name only, so C++ member
 * functions defined outside their class (named through
 * DW_AT_specification) and the out-of-line copies of functions also
 * inlined (DW_AT_abstract_origin, common in C at -O2) come out nameless,
 * and the profile's good name is replaced by "[binary]".  Such files are
 * those with C++ symbols, or whose .debug_abbrev declares such an entry
 * (dwarfabbrev.h).  Marking the mapping as symbolized keeps every name, at
 * which pprof then adds no file:line to: symbols_lines gives them
 * instead; other binaries (a C program at -O0) keep pprof's own.  So do
 * the names and lines of a stripped file read from its separate debug
 * file (symbols_set_debug_dirs): pprof reads only the binary, and would
 * find none there.  So, too, once symbols_func met an address of a file
 * with DWARF that no symbol names: symbols_lines gives the DWARF's name. */
bool symbols_keep_names(const symbolizer *s, size_t i);

/* A function inlined at an address, and where it was called: file NULL
 * when unknown; and the file it is declared in (dwarfinline.h's
 * decl_file), for its Line where the position in it has no file
 * (pprof_lines.c): NULL when unknown, and where that position has a file
 * (not looked for: srclines_file.decls). */
typedef struct symbols_frame {
    const char *name;
    const char *file;
    uint32_t line;
    const char *decl_file;
} symbols_frame;

/* A source position: file NULL when unknown; and the functions inlined
 * there, innermost first (inl[0] holds the position, and was inlined at
 * inl[0].file:inl[0].line into inl[1], ..., inl[ninl - 1] into the
 * function the symbol table names). */
typedef struct symbols_line {
    const char *file;
    uint32_t line;
    uint32_t ninl;
    const symbols_frame *inl;
    /* The function holding the address, from .debug_info, in a file with
     * one (whether or not a symbol names it too: callers take it where
     * symbols_func gives NULL, a .symtab stripped of it or none at all);
     * where the DWARF names none, the label of size 0 before it; else
     * NULL. */
    const char *func;
} symbols_line;

/* out[k] = the file and line of runtime address addrs[k] (sorted
 * ascending) of mapping i, read from the file's .debug_line, and the
 * functions inlined there, from its .debug_info (srclines.h), for a
 * mapping symbols_keep_names marks; {NULL, 0} elsewhere, and where the
 * file says nothing.  The strings live until the file leaves the cache (a
 * refresh that no longer maps it) or free; the inl arrays until the next
 * call.  0, or ENOMEM (also counted in symbols_lost). */
int symbols_lines(symbolizer *s, size_t i, const uint64_t *addrs, size_t n, symbols_line *out);

/* The same for any mapping whose file symbols_mapping_found finds, not
 * only those symbols_keep_names marks (its symbols are read first): the
 * heapprof command's, for the mappings a profile left to pprof. */
int symbols_lines_any(symbolizer *s, size_t i, const uint64_t *addrs, size_t n,
                      symbols_line *out);

/* Whether mapping i's file is on disk, a regular file, and the one mapped
 * (its build-id the recorded one, for a retired mapping). */
bool symbols_mapping_found(const symbolizer *s, size_t i);

/* From hold true to hold false, symbols_lines keeps the compressed debug
 * sections it inflated for a file (srclines_hold) until it is asked
 * another file: a profile asks a mapping's lines, then at once those of
 * its functions' entries (pprof_lines.c).  One file's at a time, at most
 * SRCLINES_INFLATE_MAX; nothing is kept after hold false. */
void symbols_lines_hold(symbolizer *s, bool hold);

/* How many times a file's symbol table or build-id could not be read for
 * memory (each is tried again at the next refresh): a profile written
 * meanwhile lacks those names or that build-id. */
uint64_t symbols_lost(const symbolizer *s);

void symbols_free(symbolizer *s);

#endif

/*
 * locallines.h - the lines of the locations a profile left to pprof, read
 * from the binaries on this machine, for the commands' --lines.
 *
 * heapprof's library writes file:line (and inlined frames) only for the
 * binaries whose names it keeps (Mapping.has_line_numbers; pprof_lines.c):
 * for the others it leaves them to `go tool pprof`, which reads them from
 * the binary.  The commands read only the profile, so without this a plain
 * C program built -O2 -g read "leafy", "main" under --lines where pprof
 * reads "mk t.c:3", "leafy t.c:4".  So, before the model is built
 * (profile_read.c), each location of a mapping not marked as having line
 * numbers whose Line has no line (or that has no Line) is given the file,
 * line and inlined frames of its address as the library gives them
 * (symbols_lines_any: the same DWARF readers, debug files and caps), from
 * the mapping's file on this machine, only where:
 *   - the path is absolute and is a regular file now (opened
 *     O_RDONLY|O_NONBLOCK|O_CLOEXEC and fstat'ed: a FIFO or a device is
 *     never read, elfread.c);
 *   - its GNU build-id (or its debug file's) is the one the mapping
 *     records; a mapping without one takes only a file without one: the
 *     library records the build-id of every file that has one, so a file
 *     with one now is another build (pprof goes by the path alone, and
 *     would name another build's lines; wrong lines are worse than none).
 *   - the mapping some location asks about is the one the symbolizer
 *     found at its address: same range, offset, file and build-id (of two
 *     mappings of one range, in a merged profile or two programs not PIE,
 *     the second gets none; counted apart, st->left);
 *   - it is among the first LOCALLINES_MAPS_MAX distinct mappings asked
 *     about; the rest are not read (counted apart, st->past_cap).
 * Locations that have a line keep it; one without any Line whose address
 * has none takes a Line of its name alone (line 0), as the library names
 * it.  A profile whose Function ids run out (UINT64_MAX) leaves the
 * locations that need a new one as they are; so does memory the lookup
 * lacks (the library's symbolizer; counted, one note), while memory for
 * the profile's own additions fails the read.  The Lines made are the library's
 * (set_lines in pprof_lines.c): the inlined functions first, innermost
 * first, each at the call site of the one inlined into it, and the
 * location's own function last, under its name in the profile; each
 * (name, file) one Function, so rows read as those of a profile whose
 * library wrote them.  Not done (the library does, pprof_lines.c): a Line
 * left with line 0 does not take its function's entry file (entry_files)
 * nor the file its other Lines agree on (adopt_files); it reads as the
 * function's name alone.
 *
 * The profile is untrusted input: every path and build-id comes from it.
 * The DWARF code is the library's, fuzzed, and bounded by its caps
 * (SRCLINES_SECTION_MAX, SRCLINES_INFLATE_MAX).  Cost: reading each file's
 * DWARF once per profile (README, "--lines").
 */
#ifndef HEAPPROF_CLI_LOCALLINES_H
#define HEAPPROF_CLI_LOCALLINES_H

#include <stddef.h>

#include "profile.pb-c.h"

/* The most mappings read for one profile, the first asked about in its
 * order (why this many: locallines.c, take_mappings). */
enum { LOCALLINES_MAPS_MAX = 1024 };

typedef struct locallines_stats {
    size_t filled;  /* locations given lines */
    size_t missing;  /* mappings with locations to fill whose file is not here, or another
                        build */
    size_t past_cap; /* ...past the first LOCALLINES_MAPS_MAX: not read */
    size_t left;     /* ...some of whose locations are not in the mapping the symbolizer
                        took at their address: another of its range taken first (its
                        file or build-id another), or their address outside it */
    size_t lost;    /* files (or the whole lookup) not read for want of memory: their
                       locations are left as they are */
} locallines_stats;

/* Fills pb's locations as said above; loc_map[i] is location i's mapping
 * index (-1: none), loc_func[i] the function index of its one Line (-1:
 * none, or not one Line).  New Functions take ids past the largest one,
 * new strings are appended to the string table; all malloc'd, as what
 * protobuf-c unpacked (freed with it).  dirs: where debug files are
 * looked for (symbols_set_debug_dirs).  0, or ENOMEM of pb's own
 * additions (pb is then valid, with some locations filled); memory the
 * lookup lacks leaves locations unfilled (st->lost), not an error. */
int locallines_fill(Perftools__Profiles__Profile *pb, const long *loc_map, const long *loc_func,
                    const char *dirs, locallines_stats *st);

#endif

/*
 * linenames.h - frame names with their source line, "func file:line", as
 * `go tool pprof -lines` names its rows: what the commands' --lines keys
 * frames by (profile_read.h, PROFILE_READ_LINES).
 *
 * One name per distinct (function, line): every Line of a profile that
 * points at the same function and line gets the same string, so a
 * function called from two places of one caller is two frames, and the
 * same place reached through two stacks is one.  The name is the one
 * pprof gives the node (its NodeInfo.PrintableName at -lines), whatever
 * the line holds, so that every row reads and sums as pprof's:
 *   line != 0           "func file:line", the file empty when the function
 *                       has none ("func :7"), and any line, negative or
 *                       past what a source file holds, as written;
 *   line 0, a file      "func file" (pprof's "no line": the file alone);
 *   line 0, no file     the function's name alone (left as it is);
 * a function without a name (func_len 0) is left out: "file:line".
 *
 * The file is shown as the profile writes it, cleaned lexically as pprof
 * cleans it (Go's filepath.Clean: "//" and "/./" collapse, "dir/.." goes),
 * so that two spellings of one path are one frame, and the rows read as
 * pprof's.  Each name is followed in the same buffer by its short form,
 * "func base:line" (the file's last component), for places too narrow for
 * a path: a flame graph's boxes (linenames_short).
 *
 * Memory: one buffer for every name, bounded by LINENAMES_BYTES_MAX
 * before anything is written, so that a small profile whose many lines
 * all point at a function with a long file name cannot ask for gigabytes.
 */
#ifndef HEAPPROF_CLI_LINENAMES_H
#define HEAPPROF_CLI_LINENAMES_H

#include <stddef.h>
#include <stdint.h>

#define LINENAMES_BYTES_MAX (256u << 20)

/* One frame to name: entry `at` of the caller's names array, function f
 * (an index into the func and file arrays given with it) at line. */
typedef struct linenames_ask {
    size_t at;
    size_t f;
    int64_t line;
} linenames_ask;

/* The names made, and their short forms, back to back. */
typedef struct linenames {
    char *buf;
    size_t len;
    size_t made; /* asks given a name */
} linenames;

/* Names every ask that has a file or a line (see the top): names[at]
 * becomes "func file:line" or "func file"; the others are left as they
 * are.  func[f] and
 * file[f] are function f's name and file ("" for none), func_len[f] and
 * file_len[f] their lengths.  asks is reordered.  0; ENOMEM; or E2BIG
 * when the names would take more than LINENAMES_BYTES_MAX bytes (names
 * unchanged then). */
int linenames_make(linenames *ln, linenames_ask *asks, size_t n, const char *const *func,
                   const size_t *func_len, const char *const *file, const size_t *file_len,
                   const char **names);

/* The short form ("func base:line") of name when name is one of the
 * names ln made (the very pointer linenames_make stored, as a profile's
 * frames hold it); else name itself. */
const char *linenames_short(const linenames *ln, const char *name);

void linenames_free(linenames *ln);

/* path (len bytes) cleaned lexically (see the top) into dst, NUL
 * terminated: never longer than path, but that "" becomes ".", so dst has
 * room for len + 2 bytes.  Returns the length written. */
size_t linenames_clean(char *dst, const char *path, size_t len);

#endif

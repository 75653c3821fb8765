/*
 * altlink.h - where a file's supplementary DWARF file lies, and whether a
 * file found there is that one.
 *
 * `dwz -m COMMON a b ...` (Debian's dh_dwz, Fedora's find-debuginfo) moves
 * the DWARF entries and strings several files share into one
 * supplementary file, and records in each where it is and what it is:
 *   .gnu_debugaltlink  its path, a NUL, then its GNU build-id (the bytes);
 *   .debug_sup (DWARF 5, 7.3.6; dwz -5)  a 2-byte version (5), a byte
 *       is_supplementary (0 here), its path with a NUL, a ULEB128 length
 *       and that many bytes of checksum.  The supplementary file's own
 *       .debug_sup says is_supplementary 1, names no file, and carries the
 *       same checksum.
 * A path that is not absolute is relative to the directory of the file
 * that records it (gdb: dwarf2_get_dwz_file).  A file found there is read
 * only when its build-id, or its .debug_sup's checksum, is the one
 * recorded: another's offsets would name the wrong functions.
 *
 * Pure: elffile.c reads the sections and opens the files.
 */
#ifndef HEAPPROF_ALTLINK_H
#define HEAPPROF_ALTLINK_H

#include <stdbool.h>
#include <stddef.h>

/* Longest path and identity taken (a build-id is 20 bytes in practice). */
enum { ALTLINK_PATH_MAX = 4096, ALTLINK_ID_MAX = 64 };

typedef struct altlink {
    const char *name;         /* into the section's bytes; "" in a supplementary file */
    const unsigned char *id;  /* build-id or checksum, into the section's bytes */
    size_t idlen;             /* 1 .. ALTLINK_ID_MAX */
    bool supplementary;       /* .debug_sup of the supplementary file itself */
} altlink;

/* Reads the n bytes p of .gnu_debugaltlink (sup false) or .debug_sup (sup
 * true) into *out.  false when they are malformed, name no file where they
 * must (a reference), or carry no identity to check a file by. */
bool altlink_parse(const unsigned char *p, size_t n, bool sup, altlink *out);

/* The path of name as the file at `from` records it, into out[cap]: name
 * itself when absolute, else joined to from's directory.  false when it
 * does not fit. */
bool altlink_path(const char *from, const char *name, char *out, size_t cap);

/* Whether the build-id hex (symbols.h's form: lowercase, as a note gives
 * it) is the identity a records. */
bool altlink_same_build_id(const altlink *a, const char *hex);

/* The identity a records as lowercase hex, into out: the build-id to look
 * the file up by (DIR/.build-id/xx/rest.debug). */
void altlink_hex(const altlink *a, char out[static 2 * ALTLINK_ID_MAX + 1]);

/* Whether supplementary file's .debug_sup s carries the checksum that the
 * reference a records. */
bool altlink_same_sup(const altlink *a, const altlink *s);

#endif

/*
 * debugfile.h - the separate debug file of an ELF file, found as gdb,
 * perf, elfutils and libbacktrace find it.
 *
 * Distributions ship programs and libraries stripped, their symbol tables
 * and DWARF in a file of their own (Debian's -dbgsym packages, Fedora's
 * -debuginfo, `objcopy --only-keep-debug`).  It is found
 *   1. by GNU build-id: DIR/.build-id/xx/rest.debug, for each debug
 *      directory DIR (xx the build-id's first byte in hex, rest the others);
 *   2. by the file's .gnu_debuglink section (a file name and the CRC32 of
 *      the debug file): BINDIR/NAME, BINDIR/.debug/NAME, then
 *      DIR/BINDIR/NAME for each DIR, where BINDIR is the file's directory.
 * A candidate is taken only when it is an ELF64 file other than the file
 * itself and, where the file has a build-id, carries the same one; a
 * file without one takes, by the debug link, only a file whose CRC32 is
 * the one the link gives.
 * A debug file of another build must never name frames: wrong names are
 * worse than none.  Anything missing, unreadable or corrupt means "no
 * debug file", silently: most files have none.
 *
 * Runs on the profiler's own threads (elffile.c): memory from mem.h, reads
 * bounded (elfread.h), descriptors close-on-exec and closed after use.
 */
#ifndef HEAPPROF_DEBUGFILE_H
#define HEAPPROF_DEBUGFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "elfread.h"

/* Longest debug link name taken (a file name: NAME_MAX). */
enum { DEBUGFILE_LINK_MAX = 255 };

/* A debug file found: open (its header read), with its path (mem_alloc'd)
 * and what fstat said of it when opened, for reopening it later only while
 * it is still that file.  debugfile_close frees both. */
typedef struct debugfile_found {
    elf_in e;
    char *path;
    struct stat st;
} debugfile_found;

void debugfile_close(debugfile_found *d);

/* The debug file of the ELF file at path (open as e, its sections sh[0..nsh),
 * its build-id lowercase hex or ""), searched for under dirs (colon-separated
 * absolute directories; NULL or "": no separate file is read at all).
 * true and *out filled when one is found; *oom when memory ran out. */
bool debugfile_find(const char *dirs, const char *path, const char *build_id, const elf_in *e,
                    const Elf64_Shdr *sh, size_t nsh, debugfile_found *out, bool *oom);

/* ---- the pure parts, for tests ---- */

/* .gnu_debuglink's contents (len bytes): a file name, NUL, zeros up to a
 * multiple of 4, then the CRC32 in the file's byte order (the host's).
 * false when malformed or the name is no plain file name. */
bool debugfile_parse_link(const unsigned char *sec, size_t len, const char **name,
                          uint32_t *crc);

/* DIR/.build-id/xx/rest.debug (dir is dirlen bytes) into buf; false when
 * it does not fit or build_id is not lowercase hex of at least 2 bytes. */
bool debugfile_build_id_path(char *buf, size_t cap, const char *dir, size_t dirlen,
                             const char *build_id);

/* The next DIR/.build-id/xx/rest.debug of *dirs (colon-separated, NULL:
 * none) into buf[PATH_MAX], *dirs moved past that DIR; false when no DIR
 * is left.  One whose path does not fit is skipped. */
bool debugfile_next_by_id(const char **dirs, const char *build_id, char *buf);

/* The CRC32 (zlib's, as .gnu_debuglink's) of the whole file e; false when
 * it cannot be read (or *oom). */
bool debugfile_crc(const elf_in *e, uint32_t *crc, bool *oom);

#endif

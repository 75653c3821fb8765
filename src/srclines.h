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
 * seen, and reads only the units whose range holds one.  Sections are
 * read through the file's own bounded reader (pread); a compressed
 * section (-gz, zsection.h) is inflated with zlib when a lookup first
 * reads it, and freed after it.
 *
 * Limits: a .debug_line over SRCLINES_SECTION_MAX bytes, or a compressed
 * section over SRCLINES_INFLATE_MAX once inflated, gives no lines, or no
 * inlined frames (said nowhere: the names are still there).
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
#define SRCLINES_INFLATE_MAX ((uint64_t)32 << 20)

/* Where the DWARF sections lie in the file, and how to read it. */
typedef struct srclines_file {
    void *ctx;
    /* Copies the len bytes at file offset off into dst; false when they
     * are not all there. */
    bool (*read)(void *ctx, uint64_t off, void *dst, size_t len);
    /* dwarfinline.h's sections, dwarfline.h's first */
    uint64_t off[DWARFINLINE_NSECS], size[DWARFINLINE_NSECS]; /* size 0: absent */
    zsec_kind kind[DWARFINLINE_NSECS]; /* compressed (zsection.h) or not */
} srclines_file;

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

#endif

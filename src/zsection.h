/*
 * zsection.h - the bytes of a compressed ELF section, in both forms GCC's
 * -gz writes: SHF_COMPRESSED (-gz, -gz=zlib: an Elf64_Chdr, then a zlib
 * stream) and GNU's older .zdebug_* sections (-gz=zlib-gnu: "ZLIB", the
 * inflated size as 8 bytes big-endian, then a zlib stream).  go tool pprof
 * reads both, so heapprof must too: elffile.c reads .debug_abbrev this way
 * (dwarf_nameless), srclines.c the line-number sections.
 *
 * The file is read through the caller's bounded reader, 64 KiB of input at
 * a time, and only as much is inflated as gives the bytes asked for.
 * Memory comes from mem.h: this runs inside the profiled process.
 */
#ifndef HEAPPROF_ZSECTION_H
#define HEAPPROF_ZSECTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum zsec_kind {
    ZSEC_PLAIN, /* not compressed */
    ZSEC_ELF,   /* SHF_COMPRESSED */
    ZSEC_GNU,   /* .zdebug_* */
} zsec_kind;

typedef enum zsec_status {
    ZSEC_OK,      /* what the stream gave (*len may fall short of it if corrupt) */
    ZSEC_NOT_ZLIB, /* SHF_COMPRESSED, another format (zstd) */
    ZSEC_TOO_BIG, /* whole_only, and more than max once inflated */
    ZSEC_BAD,     /* no header to read */
    ZSEC_OOM,
} zsec_status;

/* Copies the len bytes at file offset off into dst; false when they are
 * not all there. */
typedef bool (*zsec_read)(void *ctx, uint64_t off, void *dst, size_t len);

/* The inflated size of the section of kind k at file bytes [off, off +
 * size), as its header says, into *whole: ZSEC_OK, ZSEC_NOT_ZLIB or
 * ZSEC_BAD.  Reads the header only. */
zsec_status zsec_size(zsec_read read, void *ctx, zsec_kind k, uint64_t off, uint64_t size,
                      uint64_t *whole);

/* The section of kind k (ZSEC_ELF or ZSEC_GNU) at file bytes [off, off +
 * size): its first max bytes (or fewer) inflated, for mem_free, *len set
 * to how many were, *whole to its inflated size as its header says.  With
 * whole_only, a section larger than max is not inflated at all
 * (ZSEC_TOO_BIG).  NULL on every status but ZSEC_OK. */
unsigned char *zsec_inflate(zsec_read read, void *ctx, zsec_kind k, uint64_t off, uint64_t size,
                            uint64_t max, bool whole_only, size_t *len, uint64_t *whole,
                            zsec_status *st);

/* How many sections zsec_inflate has begun to inflate in this process
 * (for tests: a compressed section read twice where once would do). */
uint64_t zsec_inflations(void);

#endif

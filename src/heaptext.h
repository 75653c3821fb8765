/*
 * heaptext.h - a heap profile as text: the legacy format Go's runtime/pprof
 * writes for /debug/pprof/heap?debug=1, which is read in a terminal and
 * which `go tool pprof` still parses (its legacy heap parser).
 *
 *   heap profile: 3: 3072 [5: 5120] @ heap/2
 *   2: 2048 [3: 3072] @ 0x401136 0x401187 0x7f3e2a829d90
 *   #	0x401135	parse_alloc+0x1d
 *   #	0x401186	main+0x36
 *   #	0x7f3e2a829d8f	__libc_start_call_main+0x7f
 *
 *   ...
 *   # heapprof ... (the profile's comments)
 *
 *   MAPPED_LIBRARIES:
 *   401000-402000 r-xp /usr/bin/prog (@1000) 4f1c...
 *
 * The header line holds the totals: in use (objects: bytes), then
 * [allocated since the start]; each record the same for one stack, then
 * its return addresses, leaf (the caller of malloc) first.  The format has
 * no labels: a stack recorded under several label sets (components) is one
 * record, their values added up; so are its age bands (dump.c).  Go writes the
 * values of each record as sampled, unscaled, and `heap/N` with N twice its
 * sampling interval (pprof.go, writeHeapInternal: early C++ heap profilers
 * wrote 2x the rate, so pprof halves it), from which pprof scales each
 * record by 1/(1-exp(-avgsize/interval)) as it reads it (legacy_profile.go,
 * parseHeapHeader and scaleHeapSample).  heapprof's values are estimates
 * already scaled, sample by sample, by the same law: scaled again they
 * would count too much, so the header always says heap/2 (an interval of 1:
 * pprof takes the values as they are), which is what Go writes with every
 * allocation profiled (MemProfileRate=1); the profile's comments, written
 * as "#" lines, give the interval in force.  So `go tool pprof` shows, stack by stack, the numbers
 * it shows for the binary profile.
 *
 * The `#` lines name each frame for a reader, as Go's printStackRecord
 * does (the address is the return address less one, in the call; the
 * offset from the function's start), without Go's file:line, which would
 * need the debug information read in the process.  pprof skips them; it
 * reads the mappings after MAPPED_LIBRARIES: (a section gperftools' heap
 * profiles have and pprof's parser reads; Go writes none, as its symbol
 * endpoint names Go's frames) and names the frames itself from the binaries
 * when it finds them, as it does for the binary profile.  A mapping whose
 * path holds a blank or a control byte is left out: pprof would read a
 * path to its first blank.
 *
 * pprof's reader rejects a record with no objects but some bytes; one
 * caught half counted (a live reading) is written with 1 object.
 */
#ifndef HEAPPROF_HEAPTEXT_H
#define HEAPPROF_HEAPTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "pprof.h"

typedef struct heaptext_record {
    const uint64_t *pcs; /* return addresses, leaf first */
    uint32_t depth;
    int64_t inuse_objs, inuse_bytes, alloc_objs, alloc_bytes;
} heaptext_record;

typedef struct heaptext_profile {
    heaptext_record *records; /* merged and sorted in place, most bytes in use first */
    size_t nrecords;          /* then how many are left: one per distinct stack */
    const char *const *comments; /* written as "# " lines */
    size_t ncomments;
    pprof_symbols symbols; /* mappings, and names with offsets (func_at) */
    const fdid *fd_id;     /* optional, as pprof_profile's */
} heaptext_profile;

/* Write the profile to fd.  0 or an errno; after an error fd may hold part
 * of it (the caller discards it). */
int heaptext_write(heaptext_profile *p, int fd);

#endif

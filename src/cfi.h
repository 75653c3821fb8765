/*
 * cfi.h - how to step from a frame to its caller at one code address, read
 * from the DWARF call frame information (.eh_frame) that compilers emit for
 * every function on x86-64.
 *
 * The fast unwinder (unwind.c) tracks three registers: rsp, rbp and the
 * return address.  For each frame it needs where the caller's stack pointer
 * was (the CFA: rsp or rbp plus an offset), where the return address is
 * saved, and where rbp is saved if the function saved it.  Anything else
 * the CFI can say (a CFA or a saved register given by a DWARF expression,
 * a register kept in another register, a signal frame) is reported as
 * unsupported, so that the caller unwinds that stack with libunwind
 * instead: heapprof's walker is a cache in front of libunwind, never a
 * second opinion.
 *
 * Nothing here allocates or locks: it runs inside the program's malloc.
 * It reads only memory the loader mapped (the objects' .eh_frame_hdr and
 * .eh_frame), found with _dl_find_object, which takes no lock either.
 */
#ifndef HEAPPROF_CFI_H
#define HEAPPROF_CFI_H

#include <stdbool.h>
#include <stdint.h>

typedef struct cfi_rule {
    int64_t cfa_off; /* CFA = (cfa_rbp ? rbp : rsp) + cfa_off */
    int64_t ra_off;  /* the return address is saved at CFA + ra_off */
    int64_t rbp_off; /* the caller's rbp is saved at CFA + rbp_off ... */
    bool rbp_saved;  /* ... if this holds; else rbp is the caller's */
    bool cfa_rbp;
    bool end;        /* the return address is undefined: outermost frame */
} cfi_rule;

enum {
    CFI_OK = 0,
    CFI_NO_FDE = -1,      /* no CFI covers the address */
    CFI_UNSUPPORTED = -2, /* CFI heapprof's walker does not follow */
    CFI_MALFORMED = -3,
};

/* Where an object's CFI may be read: its mapping, [lo, hi).  A count,
 * offset or length in the CFI that points outside it (malformed, or
 * written over) is not followed: the memory there may be unmapped. */
typedef struct cfi_span {
    uintptr_t lo, hi;
} cfi_span;

/* The FDE covering pc, by binary search in an .eh_frame_hdr section's
 * table; NULL if there is none or the header has no table of the usual
 * (sorted, 4-byte, section-relative) form, or one that does not fit in. */
const uint8_t *cfi_find_fde(const uint8_t *eh_frame_hdr, uintptr_t pc, cfi_span in);

/* The rule in force at pc: the CIE's and then fde's instructions run up to
 * pc.  CFI_NO_FDE if pc is outside fde's range; CFI_MALFORMED if the FDE
 * or its CIE does not lie within in. */
int cfi_eval(const uint8_t *fde, uintptr_t pc, cfi_span in, cfi_rule *out);

/* Both, for an address in any loaded object. */
int cfi_rule_at(uintptr_t pc, cfi_rule *out);

/* Whether cfi_rule_at can work at all (built against a glibc with
 * _dl_find_object, 2.35 or later). */
bool cfi_available(void);

#endif

/*
 * test_unwind.c - heapprof's own unwinder (src/cfi.c, src/unwind.c).
 *
 * The CFI interpreter on hand-made .eh_frame entries (each rule GCC, Clang
 * and glibc's assembly use, and the ones it must refuse), then the walker
 * against libunwind on real stacks of this program: recursion through
 * frames of every shape (frame pointer or not, alloca, large frames,
 * through libc's qsort), on threads, in a signal handler, after the cache
 * is forgotten, and from several threads at once.  The walker must give
 * exactly libunwind's return addresses, or hand the stack to libunwind;
 * and with wrong rules in its cache it must hand the stack over, never
 * read outside the stack.
 */
#define _GNU_SOURCE
/* The walker's source itself, not its header: test_wrong_rules writes the
 * cache directly, as a stale entry would be. */
#include "../../src/unwind.c"

#include <dlfcn.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "cfi.h"

#include <sys/syscall.h>

/* The library's pipe2 (shim_process.c) is not linked in here: this one
 * does what it does, so that libunwind's pipe, made through it, is moved
 * high as in a profiled program. */
int pipe2(int fds[2], int flags)
{
    int rc = (int)syscall(SYS_pipe2, fds, flags);
    if (rc == 0)
        unwind_pipe_made(fds, flags);
    return rc;
}

/* ---- hand-made CFI -------------------------------------------------------- */

/* No bounds but the address space's: for CFI made here, in buffers. */
static const cfi_span ANY = {0, UINTPTR_MAX};

/* A CIE and one FDE in a buffer, the FDE's location pc-relative as GCC
 * writes it ("zR", FDE encoding pcrel|sdata4), for a function at `func`
 * of `len` bytes with the given instructions. */
typedef struct {
    uint8_t buf[512];
    size_t n;
    const uint8_t *fde;
} frame_info;

static void put(frame_info *f, const void *p, size_t n)
{
    assert_true(f->n + n <= sizeof f->buf);
    if (n) /* p may be NULL then */
        memcpy(f->buf + f->n, p, n);
    f->n += n;
}
static void put8(frame_info *f, uint8_t v) { put(f, &v, 1); }
static void put32(frame_info *f, uint32_t v) { put(f, &v, 4); }

/* aug: "zR" or "zRS"; cie_insns: the CIE's initial instructions. */
static void build(frame_info *f, const char *aug, const uint8_t *cie_insns, size_t ncie,
                  uintptr_t func, uint32_t len, const uint8_t *insns, size_t ninsns)
{
    memset(f, 0, sizeof *f);
    /* CIE */
    size_t cie_at = f->n;
    put32(f, 0); /* length, patched */
    put32(f, 0); /* CIE id */
    put8(f, 1);  /* version */
    put(f, aug, strlen(aug) + 1);
    put8(f, 1);    /* code alignment */
    put8(f, 0x78); /* data alignment -8 (sleb) */
    put8(f, 16);   /* return address register */
    /* Augmentation data: 'P' (C++ and glibc's cleanups: a personality
     * routine, indirect | pcrel | sdata4), 'L' (an LSDA encoding, so each
     * FDE carries an LSDA pointer), 'R' (the FDE encoding); 'S' has none. */
    bool lsda = strchr(aug, 'L') != NULL;
    put8(f, (uint8_t)((strchr(aug, 'P') ? 5 : 0) + (lsda ? 1 : 0) + 1));
    for (const char *c = aug + 1; *c; c++) {
        if (*c == 'P') {
            put8(f, 0x9b);
            put32(f, 0x1234);
        } else if (*c == 'L') {
            put8(f, 0x1b);
        } else if (*c == 'R') {
            put8(f, 0x1b); /* FDE encoding: pcrel | sdata4 */
        }
    }
    put(f, cie_insns, ncie);
    while ((f->n - cie_at) % 8)
        put8(f, 0); /* DW_CFA_nop */
    uint32_t cie_len = (uint32_t)(f->n - cie_at - 4);
    memcpy(f->buf + cie_at, &cie_len, 4);
    /* FDE */
    size_t fde_at = f->n;
    put32(f, 0);
    put32(f, (uint32_t)(f->n - cie_at)); /* CIE pointer: back to the CIE */
    int32_t rel = (int32_t)((intptr_t)func - (intptr_t)(f->buf + f->n));
    put32(f, (uint32_t)rel);
    put32(f, len);
    put8(f, lsda ? 4 : 0); /* augmentation data length */
    if (lsda)
        put32(f, 0); /* no LSDA */
    put(f, insns, ninsns);
    while ((f->n - fde_at) % 8)
        put8(f, 0);
    uint32_t fde_len = (uint32_t)(f->n - fde_at - 4);
    memcpy(f->buf + fde_at, &fde_len, 4);
    put32(f, 0); /* terminator */
    f->fde = f->buf + fde_at;
}

/* A made-up function's address, near the buffer so that its pc-relative
 * 4-byte location can reach it; never executed. */
static uintptr_t fake_code(const frame_info *f) { return (uintptr_t)f->buf + 4096; }

/* def_cfa rsp+8; offset r16 at cfa-8: every x86-64 CIE. */
static const uint8_t std_cie[] = {0x0c, 7, 8, 0x90, 1};

/* push rbp; mov rbp, rsp; ...; pop rbp; ret, as GCC's CFI says it:
 *   +1: def_cfa_offset 16; offset r6 at cfa-16
 *   +4: def_cfa_register r6
 *   +40: def_cfa rsp+8 (after the pop) */
static const uint8_t fp_insns[] = {
    0x41, 0x0e, 16, 0x86, 2, /* advance 1; def_cfa_offset 16; offset r6, 2*-8 */
    0x43, 0x0d, 6,           /* advance 3; def_cfa_register r6 */
    0x64, 0x0c, 7, 8,        /* advance 36; def_cfa rsp+8 */
};

static void test_cfi_frame_pointer_prologue(void **state)
{
    (void)state;
    frame_info f;
    uintptr_t fn = fake_code(&f);
    build(&f, "zR", std_cie, sizeof std_cie, fn, 48, fp_insns, sizeof fp_insns);
    cfi_rule r;
    /* At entry: CFA = rsp+8, return address at CFA-8, rbp untouched. */
    assert_int_equal(cfi_eval(f.fde, fn, ANY, &r), CFI_OK);
    assert_false(r.cfa_rbp);
    assert_int_equal(r.cfa_off, 8);
    assert_int_equal(r.ra_off, -8);
    assert_false(r.rbp_saved);
    assert_false(r.end);
    /* After push rbp. */
    assert_int_equal(cfi_eval(f.fde, fn + 1, ANY, &r), CFI_OK);
    assert_false(r.cfa_rbp);
    assert_int_equal(r.cfa_off, 16);
    assert_true(r.rbp_saved);
    assert_int_equal(r.rbp_off, -16);
    /* In the body. */
    assert_int_equal(cfi_eval(f.fde, fn + 20, ANY, &r), CFI_OK);
    assert_true(r.cfa_rbp);
    assert_int_equal(r.cfa_off, 16);
    assert_true(r.rbp_saved);
    /* After pop rbp: the CFA is rsp-based again, rbp still recorded as
     * saved (GCC emits no restore for it before ret). */
    assert_int_equal(cfi_eval(f.fde, fn + 40, ANY, &r), CFI_OK);
    assert_false(r.cfa_rbp);
    assert_int_equal(r.cfa_off, 8);
    /* Outside the function. */
    assert_int_equal(cfi_eval(f.fde, fn + 48, ANY, &r), CFI_NO_FDE);
    assert_int_equal(cfi_eval(f.fde, fn - 1, ANY, &r), CFI_NO_FDE);

    /* The same function in C++'s CIE ("zPLR": personality, LSDA), and with
     * a version 3 CIE (its return address register a ULEB, here 1 byte). */
    build(&f, "zPLR", std_cie, sizeof std_cie, fn, 48, fp_insns, sizeof fp_insns);
    for (int version = 1; version <= 3; version += 2) {
        uint32_t cie_ptr;
        memcpy(&cie_ptr, f.fde + 4, 4);
        f.buf[(size_t)(f.fde + 4 - cie_ptr - f.buf) + 8] = (uint8_t)version;
        assert_int_equal(cfi_eval(f.fde, fn + 20, ANY, &r), CFI_OK);
        assert_true(r.cfa_rbp);
        assert_int_equal(r.cfa_off, 16);
        assert_true(r.rbp_saved);
        assert_int_equal(r.rbp_off, -16);
        assert_int_equal(cfi_eval(f.fde, fn + 48, ANY, &r), CFI_NO_FDE);
    }
}

static void test_cfi_remember_restore(void **state)
{
    (void)state;
    /* An early return in the middle of a function: GCC remembers the body's
     * state, describes the epilogue, then restores the body's state. */
    static const uint8_t insns[] = {
        0x41, 0x0e, 16, 0x86, 2, /* +1: cfa rsp+16, rbp at cfa-16 */
        0x41, 0x0e, 48,          /* +2: cfa rsp+48 (sub rsp, 32) */
        0x48, 0x0a,              /* +10: remember_state */
        0x0e, 8,                 /*      cfa rsp+8 (epilogue), */
        0xc6,                    /*      restore r6 */
        0x41, 0x0b,              /* +11: restore_state */
    };
    frame_info f;
    uintptr_t fn = fake_code(&f);
    build(&f, "zR", std_cie, sizeof std_cie, fn, 64, insns, sizeof insns);
    cfi_rule r;
    assert_int_equal(cfi_eval(f.fde, fn + 10, ANY, &r), CFI_OK);
    assert_int_equal(r.cfa_off, 8);
    assert_false(r.rbp_saved);
    assert_int_equal(cfi_eval(f.fde, fn + 11, ANY, &r), CFI_OK);
    assert_int_equal(r.cfa_off, 48);
    assert_true(r.rbp_saved);
    assert_int_equal(r.rbp_off, -16);
    assert_int_equal(cfi_eval(f.fde, fn + 5, ANY, &r), CFI_OK);
    assert_int_equal(r.cfa_off, 48);
    /* advance_loc1/2/4 and def_cfa_sf / offset_extended_sf. */
    static const uint8_t wide[] = {
        0x02, 200,             /* advance_loc1 200 */
        0x12, 7, 0x7e,         /* def_cfa_sf rsp, -2 * -8 = 16 */
        0x03, 0x00, 0x01,      /* advance_loc2 256 */
        0x11, 6, 0x7d,         /* offset_extended_sf r6, -3 * -8 = 24 */
        0x04, 0, 0, 1, 0,      /* advance_loc4 65536 */
        0x13, 0x7c,            /* def_cfa_offset_sf -4 * -8 = 32 */
    };
    build(&f, "zR", std_cie, sizeof std_cie, fn, 1 << 20, wide, sizeof wide);
    assert_int_equal(cfi_eval(f.fde, fn + 199, ANY, &r), CFI_OK);
    assert_int_equal(r.cfa_off, 8);
    assert_int_equal(cfi_eval(f.fde, fn + 200, ANY, &r), CFI_OK);
    assert_int_equal(r.cfa_off, 16);
    assert_false(r.rbp_saved);
    assert_int_equal(cfi_eval(f.fde, fn + 456, ANY, &r), CFI_OK);
    assert_true(r.rbp_saved);
    assert_int_equal(r.rbp_off, 24);
    assert_int_equal(r.cfa_off, 16);
    assert_int_equal(cfi_eval(f.fde, fn + 456 + 65536, ANY, &r), CFI_OK);
    assert_int_equal(r.cfa_off, 32);
}

static void test_cfi_refusals(void **state)
{
    (void)state;
    frame_info f;
    uintptr_t fn = fake_code(&f);
    cfi_rule r;
    /* A CFA given by an expression (stack realignment, PLT entries). */
    static const uint8_t expr[] = {0x41, 0x0f, 2, 0x77, 8}; /* def_cfa_expression breg7+8 */
    build(&f, "zR", std_cie, sizeof std_cie, fn, 16, expr, sizeof expr);
    assert_int_equal(cfi_eval(f.fde, fn, ANY, &r), CFI_OK);
    assert_int_equal(cfi_eval(f.fde, fn + 1, ANY, &r), CFI_UNSUPPORTED);
    /* The CFA in a register the walker does not track (DRAP: r10). */
    static const uint8_t drap[] = {0x41, 0x0c, 10, 0};
    build(&f, "zR", std_cie, sizeof std_cie, fn, 16, drap, sizeof drap);
    assert_int_equal(cfi_eval(f.fde, fn + 1, ANY, &r), CFI_UNSUPPORTED);
    /* rbp kept in another register. */
    static const uint8_t reg[] = {0x41, 0x09, 6, 3};
    build(&f, "zR", std_cie, sizeof std_cie, fn, 16, reg, sizeof reg);
    assert_int_equal(cfi_eval(f.fde, fn + 1, ANY, &r), CFI_UNSUPPORTED);
    /* A signal frame ('S'). */
    build(&f, "zRS", std_cie, sizeof std_cie, fn, 16, NULL, 0);
    assert_int_equal(cfi_eval(f.fde, fn, ANY, &r), CFI_UNSUPPORTED);
    /* An opcode DWARF does not define. */
    static const uint8_t bad[] = {0x41, 0x3f};
    build(&f, "zR", std_cie, sizeof std_cie, fn, 16, bad, sizeof bad);
    assert_int_equal(cfi_eval(f.fde, fn + 1, ANY, &r), CFI_UNSUPPORTED);
    /* restore_state with nothing remembered; a truncated operand. */
    static const uint8_t pop[] = {0x0b};
    build(&f, "zR", std_cie, sizeof std_cie, fn, 16, pop, sizeof pop);
    assert_int_equal(cfi_eval(f.fde, fn, ANY, &r), CFI_MALFORMED);
    static const uint8_t trunc[] = {0x0c, 7, 0x80};
    frame_info g;
    build(&g, "zR", std_cie, sizeof std_cie, fn, 16, trunc, sizeof trunc);
    /* build() pads the entry with nops after the operand: cut it there
     * (CIE pointer, location, range, augmentation length: 13 bytes). */
    uint32_t len = 13 + sizeof trunc; /* build() gave "zR" no LSDA */
    memcpy(g.buf + (g.fde - g.buf), &len, 4);
    assert_int_equal(cfi_eval(g.fde, fn, ANY, &r), CFI_MALFORMED);
    /* The outermost frame: return address undefined. */
    static const uint8_t undef[] = {0x07, 16};
    build(&f, "zR", std_cie, sizeof std_cie, fn, 16, undef, sizeof undef);
    assert_int_equal(cfi_eval(f.fde, fn, ANY, &r), CFI_OK);
    assert_true(r.end);
    assert_int_equal(cfi_eval(NULL, fn, ANY, &r), CFI_MALFORMED);
}

static void test_cfi_find_fde(void **state)
{
    (void)state;
    /* An .eh_frame_hdr with three entries at 0x100, 0x200, 0x300 bytes past
     * the header (datarel), pointing at fake FDE offsets 0x1000.. */
    uint8_t hdr[4 + 4 + 4 + 3 * 8];
    hdr[0] = 1;
    hdr[1] = 0x1b; /* eh_frame_ptr: pcrel sdata4 */
    hdr[2] = 0x03; /* fde_count: udata4 */
    hdr[3] = 0x3b; /* table: datarel sdata4 */
    int32_t zero = 0;
    uint32_t count = 3;
    memcpy(hdr + 4, &zero, 4);
    memcpy(hdr + 8, &count, 4);
    for (int i = 0; i < 3; i++) {
        int32_t loc = 0x100 * (i + 1), fde = 0x1000 * (i + 1);
        memcpy(hdr + 12 + 8 * i, &loc, 4);
        memcpy(hdr + 16 + 8 * i, &fde, 4);
    }
    uintptr_t base = (uintptr_t)hdr;
    assert_null(cfi_find_fde(hdr, base + 0xff, ANY));
    assert_ptr_equal(cfi_find_fde(hdr, base + 0x100, ANY), hdr + 0x1000);
    assert_ptr_equal(cfi_find_fde(hdr, base + 0x1ff, ANY), hdr + 0x1000);
    assert_ptr_equal(cfi_find_fde(hdr, base + 0x200, ANY), hdr + 0x2000);
    assert_ptr_equal(cfi_find_fde(hdr, base + 0x2ff, ANY), hdr + 0x2000);
    assert_ptr_equal(cfi_find_fde(hdr, base + 0x300, ANY), hdr + 0x3000);
    assert_ptr_equal(cfi_find_fde(hdr, base + 0x100000, ANY), hdr + 0x3000);
    hdr[3] = 0x03; /* a table encoding the search does not read */
    assert_null(cfi_find_fde(hdr, base + 0x200, ANY));
    assert_null(cfi_find_fde(NULL, base, ANY));
}

/* CFI whose counts, offsets or lengths point outside its object (a
 * library's .eh_frame written over): refused, never read there.  The
 * object here is a buffer that ends at a PROT_NONE page, so a read past
 * it faults, as it did in a library whose FDE's CIE pointer or whose
 * .eh_frame_hdr's count was patched. */
static void test_cfi_out_of_bounds(void **state)
{
    (void)state;
    long page = sysconf(_SC_PAGESIZE);
    uint8_t *m = mmap(NULL, (size_t)page * 3, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(m != MAP_FAILED);
    assert_int_equal(mprotect(m, (size_t)page, PROT_NONE), 0);
    assert_int_equal(mprotect(m + 2 * page, (size_t)page, PROT_NONE), 0);
    uint8_t *obj = m + page;
    cfi_span in = {(uintptr_t)obj, (uintptr_t)obj + (uintptr_t)page};
    frame_info f;
    build(&f, "zR", std_cie, sizeof std_cie, fake_code(&f), 48, fp_insns, sizeof fp_insns);
    /* Moved into the object, with its (pc-relative) location made that
     * of a function just past the object, never executed. */
    size_t fde_at = (size_t)(f.fde - f.buf);
    memcpy(obj, f.buf, f.n);
    uintptr_t fn = (uintptr_t)obj + (uintptr_t)page;
    int32_t rel = (int32_t)(fn - (uintptr_t)(obj + fde_at + 8));
    memcpy(obj + fde_at + 8, &rel, 4);
    cfi_rule r;
    assert_int_equal(cfi_eval(obj + fde_at, fn + 20, in, &r), CFI_OK);
    /* The CIE pointer sent below the object, into the guard page. */
    uint32_t cie_ptr, bad = (uint32_t)(fde_at + 4 + 64);
    memcpy(&cie_ptr, obj + fde_at + 4, 4);
    memcpy(obj + fde_at + 4, &bad, 4);
    assert_int_equal(cfi_eval(obj + fde_at, fn + 20, in, &r), CFI_MALFORMED);
    memcpy(obj + fde_at + 4, &cie_ptr, 4);
    /* The FDE's length past the object's end. */
    uint32_t len, huge = (uint32_t)page;
    memcpy(&len, obj + fde_at, 4);
    memcpy(obj + fde_at, &huge, 4);
    assert_int_equal(cfi_eval(obj + fde_at, fn + 20, in, &r), CFI_MALFORMED);
    memcpy(obj + fde_at, &len, 4);
    /* An FDE that starts in the object's last 4 bytes, and one past it. */
    assert_int_equal(cfi_eval(obj + page - 2, fn, in, &r), CFI_MALFORMED);
    assert_int_equal(cfi_eval(obj + page + 16, fn, in, &r), CFI_MALFORMED);

    /* An .eh_frame_hdr at the object's end whose count claims more
     * entries than fit, and one whose header runs off the end. */
    uint8_t *hdr = obj + page - 20;
    hdr[0] = 1;
    hdr[1] = 0x1b;
    hdr[2] = 0x03;
    hdr[3] = 0x3b;
    int32_t zero = 0, loc = 0, off = 0;
    uint32_t count = 1;
    memcpy(hdr + 4, &zero, 4);
    memcpy(hdr + 8, &count, 4);
    memcpy(hdr + 12, &loc, 4);
    memcpy(hdr + 16, &off, 4);
    assert_ptr_equal(cfi_find_fde(hdr, (uintptr_t)hdr, in), hdr);
    count = 0x10000000;
    memcpy(hdr + 8, &count, 4);
    assert_null(cfi_find_fde(hdr, (uintptr_t)hdr, in));
    assert_null(cfi_find_fde(obj + page - 2, (uintptr_t)hdr, in));
    munmap(m, (size_t)page * 3);
}

/* This program's own CFI: every function's entry has CFA = rsp+8. */
static void test_cfi_real_entry(void **state)
{
    (void)state;
    if (!cfi_available())
        skip();
    cfi_rule r;
    /* From dlsym, not &qsort: in a non-PIE build that would be the PLT
     * entry, whose CFA is an expression. */
    uintptr_t fns[] = {(uintptr_t)&test_cfi_find_fde, (uintptr_t)dlsym(RTLD_DEFAULT, "qsort"),
                       (uintptr_t)dlsym(RTLD_DEFAULT, "memcpy"),
                       (uintptr_t)dlsym(RTLD_DEFAULT, "pthread_create")};
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        int rc = cfi_rule_at(fns[i], &r);
        assert_int_equal(rc, CFI_OK);
        assert_false(r.cfa_rbp);
        assert_int_equal(r.cfa_off, 8);
        assert_int_equal(r.ra_off, -8);
    }
    assert_int_equal(cfi_rule_at(16, &r), CFI_NO_FDE);
}

/* ---- the walker against libunwind ------------------------------------------ */

enum { MAXPCS = 256 };

/* Each thread's walker memo and replay, as the profiler keeps them. */
static __thread unwind_memo memo;
static __thread unwind_replay replay;
/* What the thread's last walk returned, which an UNWIND_REPEAT stands for,
 * and how many walks were answered that way. */
static __thread void *last_walk[MAXPCS];
static __thread int last_n, repeats;

/* A replay that holds nothing: the walk is a walk. */
static unwind_replay *no_replay(void)
{
    static __thread unwind_replay none;
    none.n = 0;
    return &none;
}

/* Both unwinders from the same frame; the walker's list must be
 * libunwind's from the return address into our caller on, to the end.
 * Returns how many frames were compared, or 0 if the walker left the
 * stack to libunwind. */
static __thread bool walker_only; /* see test_walker_threads */

static __attribute__((noinline)) int compare_here(void)
{
    void *fast[MAXPCS], *slow[MAXPCS];
    int nf = unwind_fast(fast, MAXPCS, &memo, &replay);
    /* A repeat is checked below as the stack it stands for, the last
     * walk's, against libunwind's of this one: a false one fails. */
    if (nf == UNWIND_REPEAT) {
        repeats++;
        nf = last_n;
        memcpy(fast, last_walk, (size_t)nf * sizeof fast[0]);
    } else if (nf >= 0) {
        last_n = nf;
        memcpy(last_walk, fast, (size_t)nf * sizeof fast[0]);
    }
    if (walker_only)
        return nf < 0 ? 0 : nf;
    int ns = unw_backtrace(slow, MAXPCS);
    __asm__ volatile("" ::: "memory");
    if (nf < 0)
        return 0;
    /* fast[0] is the return address into this function, fast[1] into its
     * caller: find the latter in libunwind's list (it has this function's
     * own ip first, or unw_backtrace's). */
    assert_true(nf >= 2);
    int k = 0;
    while (k < ns && slow[k] != fast[1])
        k++;
    if (k == ns) {
        print_error("the walker's frame 1 (%p) is not in libunwind's stack\n", fast[1]);
        fail();
    }
    /* Frame 0 is this function in both lists (libunwind's entry just before
     * fast[1]): a walker that lost a frame at the top would fail here. */
    assert_true(k >= 1);
    uintptr_t f0 = (uintptr_t)fast[0], s0 = (uintptr_t)slow[k - 1];
    assert_true((f0 > s0 ? f0 - s0 : s0 - f0) < 4096);
    if (ns - k != nf - 1) {
        print_error("the walker found %d frames above this one, libunwind %d\n", nf - 1, ns - k);
        for (int i = 1; i < nf || k + i - 1 < ns; i++)
            print_error("  %2d  %18p  %18p\n", i, i < nf ? fast[i] : NULL,
                        k + i - 1 < ns ? slow[k + i - 1] : NULL);
        fail();
    }
    for (int i = 1; i < nf; i++)
        assert_ptr_equal(fast[i], slow[k + i - 1]);
    return nf;
}

typedef int (*step_fn)(int depth, int shape);
static step_fn steps[5];

static int next_step(int depth, int shape)
{
    if (depth == 0)
        return compare_here();
    step_fn f = steps[(shape + depth) % 5];
    int r = f(depth - 1, shape);
    __asm__ volatile("" ::: "memory"); /* no tail call */
    return r;
}

static __attribute__((noinline)) int step_plain(int depth, int shape)
{
    return next_step(depth, shape) + 0 * depth;
}

static __attribute__((noinline, optimize("no-omit-frame-pointer"))) int step_fp(int depth,
                                                                                 int shape)
{
    volatile int x = depth;
    int r = next_step(x, shape);
    __asm__ volatile("" ::: "memory");
    return r;
}

static __attribute__((noinline)) int step_alloca(int depth, int shape)
{
    /* A variable-length frame: the CFA is rbp-based. */
    volatile char *buf = alloca((size_t)(depth * 37 % 300 + 16));
    buf[0] = (char)depth;
    int r = next_step(depth, shape);
    __asm__ volatile("" ::: "memory");
    return r + buf[0] - (char)depth;
}

static __attribute__((noinline)) int step_big(int depth, int shape)
{
    volatile char big[20000];
    big[depth] = 1;
    int r = next_step(depth, shape);
    __asm__ volatile("" ::: "memory");
    return r + big[depth] - 1;
}

/* Through libc: qsort calls back into this program. */
static __thread int qs_depth, qs_shape, qs_result; /* per thread: test_walker_threads */
static int cmp_ints(const void *a, const void *b)
{
    if (qs_depth >= 0) {
        int d = qs_depth;
        qs_depth = -1;
        qs_result = next_step(d, qs_shape);
    }
    return *(const int *)a - *(const int *)b;
}
static __attribute__((noinline)) int step_qsort(int depth, int shape)
{
    int v[3] = {3, 1, 2};
    int saved_depth = qs_depth, saved_shape = qs_shape, saved_result = qs_result;
    qs_depth = depth;
    qs_shape = shape;
    qsort(v, 3, sizeof v[0], cmp_ints);
    int r = qs_result;
    qs_depth = saved_depth;
    qs_shape = saved_shape;
    qs_result = saved_result;
    __asm__ volatile("" ::: "memory");
    return r;
}

static void setup_steps(void)
{
    steps[0] = step_plain;
    steps[1] = step_fp;
    steps[2] = step_alloca;
    steps[3] = step_big;
    steps[4] = step_qsort;
}

static void test_walker_matches_libunwind(void **state)
{
    (void)state;
    if (!cfi_available())
        skip();
    setup_steps();
    int walked = 0;
    for (int shape = 0; shape < 5; shape++)
        for (int depth = 0; depth < 40; depth++)
            walked += next_step(depth, shape) > 0;
    /* Every one of these stacks is the walker's to walk. */
    assert_int_equal(walked, 5 * 40);
    /* Again with the cache forgotten (a new generation: walked, not
     * repeated), then warm (a repeat, if the stack fits the replay). */
    unwind_forget();
    for (int pass = 0; pass < 2; pass++)
        assert_true(next_step(12, 3) > 0);
}

static int threads_done;

static void *thread_body(void *arg)
{
    int shape = (int)(intptr_t)arg;
    int walked = 0;
#if defined(__SANITIZE_THREAD__)
    /* libunwind's per-thread trace cache is freed by a thread-specific
     * data destructor at thread exit, which crashes inside TSan's
     * pthread_mutex_lock: under TSan the threads walk without comparing
     * (the main thread's test compares), for what TSan checks here, the
     * shared cache. */
    walker_only = true;
#endif
    for (int i = 0; i < 300; i++)
        walked += next_step(i % 30, shape + i) > 0;
    __atomic_add_fetch(&threads_done, 1, __ATOMIC_RELEASE);
    return (void *)(intptr_t)walked;
}

/* Threads: the outermost frame is the thread's start (clone3), and several
 * threads fill and read the shared cache at once; unwind_forget runs
 * meanwhile. */
static void test_walker_threads(void **state)
{
    (void)state;
    if (!cfi_available())
        skip();
    setup_steps();
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, thread_body, (void *)(intptr_t)i), 0);
    /* Forget the cache under the walkers until they are done: new
     * generations, and every 2^16 of them the table emptied (salt_of). */
    while (__atomic_load_n(&threads_done, __ATOMIC_ACQUIRE) < 4)
        unwind_forget();
    for (int i = 0; i < 4; i++) {
        void *walked;
        assert_int_equal(pthread_join(t[i], &walked), 0);
        assert_int_equal((int)(intptr_t)walked, 300);
    }
}

/* In a signal handler the walker meets the kernel's signal frame, which it
 * leaves to libunwind: unwind_capture's answer is libunwind's either way. */
static volatile int handler_ran, handler_fast_rc;
static uint64_t handler_fast[MAXPCS + UNWIND_SLACK], handler_slow[MAXPCS + UNWIND_SLACK];
static volatile size_t handler_nf, handler_ns;

static void on_signal(int sig)
{
    (void)sig;
    void *probe[MAXPCS];
    handler_fast_rc = unwind_fast(probe, MAXPCS, &memo, &replay);
    handler_nf = (size_t)unwind_capture(handler_fast, MAXPCS, true, &memo, &replay);
    handler_ns = (size_t)unwind_capture(handler_slow, MAXPCS, false, &memo, &replay);
    handler_ran = 1;
}

static void test_walker_signal_frame(void **state)
{
    (void)state;
    if (!cfi_available())
        skip();
    uint64_t before = unwind_fallbacks();
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);
    raise(SIGUSR1);
    assert_true(handler_ran);
    assert_true(handler_fast_rc <= UNWIND_FELL_BACK);
    assert_int_equal(replay.n, 0); /* nothing to repeat: libunwind's walk */
    assert_true(unwind_fallbacks() > before);
    /* unwind_capture then took libunwind's stack, through the handler. */
    assert_true(handler_nf > 3);
    assert_int_equal(handler_nf, handler_ns);
    signal(SIGUSR1, SIG_DFL);
}

/* Wrong rules in the cache, as a stale entry for unloaded code would be:
 * the walk must end (-1, or a short stack), never read outside the stack
 * it runs on. */
static __attribute__((noinline)) int walk_here(void **pcs)
{
    /* No replay: every call walks, through whatever the cache holds. */
    int n = unwind_fast(pcs, MAXPCS, &memo, no_replay());
    __asm__ volatile("" ::: "memory");
    return n;
}

static __attribute__((noinline)) int walk_caller(void **pcs)
{
    int n = walk_here(pcs);
    __asm__ volatile("" ::: "memory");
    return n;
}

/* The walk leaves in the memo the rule-cache slot of each frame it looked
 * up (its own first, then one per return address), at most UNWIND_MEMO;
 * the next walk only prefetches them, so a memo of unrelated slots gives
 * the same stack. */
static void test_walker_memo(void **state)
{
    (void)state;
    if (!cfi_available())
        skip();
    void *pcs[2][MAXPCS];
    int n[2];
    memo = (unwind_memo){0};
    for (int round = 0; round < 2; round++) {
        n[round] = walk_caller(pcs[round]);
        if (round > 0)
            break;
        assert_true(n[0] >= 3);
        unsigned looked_up = (unsigned)n[0] + 1;
        assert_int_equal(memo.n, looked_up < UNWIND_MEMO ? looked_up : UNWIND_MEMO);
        for (unsigned i = 1; i < memo.n; i++)
            assert_int_equal(memo.slot[i], set_index((uintptr_t)pcs[0][i - 1]));
        for (unsigned i = 0; i < UNWIND_MEMO; i++)
            memo.slot[i] = (uint16_t)(0xffff - i * 977);
    }
    /* The same stack but for frame 2, the return address into this
     * function: GCC may unroll the loop into two calls. */
    assert_int_equal(n[1], n[0]);
    assert_memory_equal(pcs[1], pcs[0], 2 * sizeof pcs[0][0]);
    assert_memory_equal(pcs[1] + 3, pcs[0] + 3, (size_t)(n[0] - 3) * sizeof pcs[0][0]);
}

static __attribute__((noinline)) int walk_with(void **pcs, int max)
{
    int n = unwind_fast(pcs, max, &memo, &replay);
    __asm__ volatile("" ::: "memory");
    return n;
}

/* Two call sites of next_step in one frame: the same stack but for one
 * return address in its middle. */
static __thread int site;
static __attribute__((noinline)) int step_sites(int depth, int shape)
{
    int r;
    if (site) {
        r = next_step(depth, shape);
        __asm__ volatile("# site 1" ::: "memory");
    } else {
        r = next_step(depth, shape);
        __asm__ volatile("# site 0" ::: "memory");
    }
    return r;
}

/* The replay (unwind_memo.h): a walk that starts where the thread's last
 * one did and would read the same words is answered UNWIND_REPEAT, and
 * any other is walked.  compare_here checks every answer against
 * libunwind's stack, a repeat as the stack of the walk it repeats.  A
 * random sequence that repeats a stack, changes its depth, its frames'
 * kinds (rbp-based, alloca, qsort's), or one call site in its middle. */
static void test_walker_replay(void **state)
{
    (void)state;
    if (!cfi_available())
        skip();
    setup_steps();
    steps[0] = step_sites; /* step_plain's place: every stack 5 deep meets it */
    replay.n = 0;
    repeats = 0;
    uint64_t x = 42;
    int d = 3, sh = 0, same = 0;
    for (int i = 0; i < 4000; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        int pd = d, psh = sh, psite = site;
        switch ((x >> 33) % 5) {
        case 0: d = (int)((x >> 40) % 9); break;
        case 1: sh = (int)((x >> 44) % 5); break;
        case 2: site = !site; break;
        default: break; /* the same call again */
        }
        /* The same call as the last, whose walk the replay kept (it had
         * at most UNWIND_REPLAY_MAX words: frame pointers, as in ASan
         * builds, make each frame two). */
        bool again = d == pd && sh == psh && site == psite && replay.n != 0;
        int before = repeats;
        assert_true(next_step(d, sh) > 0);
        if (i > 0 && again) {
            same++;
            assert_int_equal(repeats, before + 1);
        }
    }
    assert_true(same > 1000);
    /* A replay is of one generation of the rule cache.  One call site (a
     * loop GCC cannot unroll): the first walk from it, a repeat, a walk
     * after unwind_forget, a repeat. */
    const int expect[4] = {0, 1, 0, 1};
    for (volatile int k = 0; k < 4; k++) {
        if (k == 2)
            unwind_forget();
        int before = repeats;
        assert_true(next_step(2, 1) > 0);
        assert_int_equal(repeats, before + expect[k]);
    }
    /* A walk deeper than the replay holds is not kept: walked each time. */
    for (volatile int k = 0; k < 2; k++) {
        int before = repeats;
        assert_true(next_step(120, 0) > 120);
        assert_int_equal(repeats, before);
        assert_int_equal(replay.n, 0);
    }
    /* The frame limit is part of a walk: one to 2 frames is no repeat of
     * one to MAXPCS, nor the other way round. */
    void *pcs[MAXPCS];
    const int max[5] = {MAXPCS, MAXPCS, 2, 2, MAXPCS};
    for (volatile int k = 0; k < 5; k++) {
        int n = walk_with(pcs, max[k]);
        if (k == 1 || k == 3)
            assert_int_equal(n, UNWIND_REPEAT);
        else
            assert_true(n >= 2 && n <= max[k]);
    }
    setup_steps();
}

static void poison(uintptr_t pc, uint64_t rule)
{
    /* First in its set: found before the right rule, which may be there. */
    cache_put(&cache[set_index(pc)], pc ^ salt_of(__atomic_load_n(&rules_gen, __ATOMIC_RELAXED)),
              rule);
}

static uint64_t bad_rule(int64_t cfa_off, bool rbp_based)
{
    return (rbp_based ? R_CFA_RBP : 0) | (uint64_t)(uint8_t)(int8_t)-1 << 8 |
           (uint64_t)(uint32_t)(int32_t)cfa_off << 32;
}

/* The cache's sets: four addresses of one set are all kept, a fifth
 * pushes the oldest out; another generation's slots are not hits; and the
 * table is emptied half a turn of the salt on, so that a salt that comes
 * round finds none of its old slots. */
static void test_cache_sets(void **state)
{
    (void)state;
    uintptr_t pcs[WAYS + 1];
    uint32_t want = set_index(0x401000);
    int n = 0;
    for (uintptr_t pc = 0x401000; n < WAYS + 1; pc++)
        if (set_index(pc) == want)
            pcs[n++] = pc;
    set *st = &cache[want];
    uint64_t salt = salt_of(__atomic_load_n(&rules_gen, __ATOMIC_RELAXED)), r;
    for (int i = 0; i < WAYS + 1; i++)
        cache_put(st, pcs[i] ^ salt, 0x100 + (uint64_t)i);
    assert_false(cache_get(st, pcs[0] ^ salt, &r));
    for (int i = 1; i < WAYS + 1; i++) {
        assert_true(cache_get(st, pcs[i] ^ salt, &r));
        assert_int_equal(r, 0x100 + (uint64_t)i);
    }
    unwind_forget();
    uint64_t salt2 = salt_of(__atomic_load_n(&rules_gen, __ATOMIC_RELAXED));
    for (int i = 0; i < WAYS + 1; i++)
        assert_false(cache_get(st, pcs[i] ^ salt2, &r));
    /* Round the salt: at half a turn the table is emptied. */
    cache_put(st, pcs[1] ^ salt2, 0x200);
    uint32_t gen = __atomic_load_n(&rules_gen, __ATOMIC_RELAXED);
    uint32_t to_half = ((1u << (GEN_BITS - 1)) - (gen & ((1u << GEN_BITS) - 1))) &
                       ((1u << GEN_BITS) - 1);
    if (!to_half)
        to_half = 1u << GEN_BITS; /* at half a turn now: to the next */
    for (uint32_t i = 0; i < to_half; i++)
        unwind_forget();
    assert_int_equal(__atomic_load_n(&rules_gen, __ATOMIC_RELAXED) & ((1u << GEN_BITS) - 1),
                     1u << (GEN_BITS - 1));
    assert_false(cache_get(st, pcs[1] ^ salt2, &r));
    assert_int_equal(st->way[0].check, 0);
    assert_int_equal(st->way[0].rule, 0);
}

static void test_wrong_rules(void **state)
{
    (void)state;
    if (!cfi_available())
        skip();
    void *good[MAXPCS], *got[MAXPCS];
    unwind_forget();
    int n = walk_caller(good);
    assert_true(n >= 3);
    /* Whatever it then reads (padding, dead locals: anything this stack
     * holds) the walk branches on, which valgrind's memcheck rightly calls
     * uninitialised: the cases that read are skipped under valgrind. */
    const char *preload = getenv("LD_PRELOAD");
    bool valgrind = preload && strstr(preload, "vgpreload");
    /* good[0] returns into walk_here, good[1] into walk_caller: make the
     * rule of good[1] say the caller's frame is far away, above the stack
     * or below the frame: refused before any read. */
    const int64_t offs[] = {1 << 30, 0x7fffffff, -(1 << 20), -8, 0};
    for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
        uint64_t before = unwind_fallbacks();
        poison((uintptr_t)good[1], bad_rule(offs[i], false));
        /* The two frames below the refused one are kept, for where
         * libunwind may not run (unwind_pipe.h). */
        assert_int_equal(walk_caller(got), UNWIND_FELL_BACK - 2);
        assert_ptr_equal(got[0], good[0]);
        assert_ptr_equal(got[1], good[1]);
        assert_int_equal(unwind_fallbacks(), before + 1);
        /* From rbp, whatever walk_caller left in it: the walk may find
         * frames in this stack, or give up; it must not fault. */
        poison((uintptr_t)good[1], bad_rule(offs[i], true));
        if (!valgrind) {
            int m = walk_caller(got);
            assert_true(m >= UNWIND_FELL_BACK - MAXPCS && m <= MAXPCS);
        }
    }
    /* A plausible offset that lands on other data of this stack: whatever
     * the walk then finds, it ends, and no read leaves the stack. */
    for (int64_t off = 16; off <= 4096 && !valgrind; off += 8) {
        poison((uintptr_t)good[1], bad_rule(off, false));
        int m = walk_caller(got);
        assert_true(m >= UNWIND_FELL_BACK - MAXPCS && m <= MAXPCS);
    }
    /* Marked "not followed": straight to libunwind. */
    poison((uintptr_t)good[1], R_FALLBACK);
    assert_int_equal(walk_caller(got), UNWIND_FELL_BACK - 2);
    /* Forgotten, the cache gives the right stack again. */
    unwind_forget();
    assert_int_equal(walk_caller(got), n);
    for (int i = 0; i < n; i++)
        if (i != 2) /* the return into this function, from another call */
            assert_ptr_equal(got[i], good[i]);
}

/* Code without CFI, as ld.so's entry code is: calls fn(arg) with rbp
 * cleared, the ABI's mark of the outermost frame, or as it was when
 * keep_rbp is set. */
__asm__(".text\n"
        ".globl nocfi_call\n"
        ".type nocfi_call, @function\n"
        "nocfi_call:\n"
        "    push %rbp\n"
        "    test %edx, %edx\n"
        "    jnz 1f\n"
        "    xor %ebp, %ebp\n"
        "1:  mov %rdi, %rax\n"
        "    mov %rsi, %rdi\n"
        "    call *%rax\n"
        "    pop %rbp\n"
        "    ret\n"
        ".globl nocfi_call_end\n"
        "nocfi_call_end:\n"
        ".size nocfi_call, .-nocfi_call\n");
void nocfi_call(void (*fn)(void *), void *arg, int keep_rbp);
extern const char nocfi_call_end[];

typedef struct outer_walk {
    uint64_t fast[MAXPCS + UNWIND_SLACK], slow[MAXPCS + UNWIND_SLACK];
    size_t nf, ns;
    uint64_t fallbacks; /* unwind_fallbacks() added by the fast walk */
} outer_walk;

static __attribute__((noinline)) void walk_outer(void *arg)
{
    outer_walk *w = arg;
    uint64_t before = unwind_fallbacks();
    w->nf = (size_t)unwind_capture(w->fast, MAXPCS, true, &memo, no_replay());
    w->fallbacks = unwind_fallbacks() - before;
    w->ns = (size_t)unwind_capture(w->slow, MAXPCS, false, &memo, no_replay());
    __asm__ volatile("" ::: "memory");
}

static __attribute__((noinline)) void walk_again(void *arg)
{
    void *pcs[MAXPCS];
    *(int *)arg = unwind_fast(pcs, MAXPCS, &memo, &replay);
    __asm__ volatile("" ::: "memory");
}

/* A return address into code without CFI, under rbp 0, ends the stack
 * there, where libunwind ends it, without handing the walk to libunwind;
 * under any other rbp the walk is libunwind's, as before. */
static void test_walker_outermost_frame(void **state)
{
    (void)state;
    if (!cfi_available())
        skip();
    static outer_walk w;
    for (int keep = 0; keep < 2; keep++) {
        memset(&w, 0, sizeof w);
        nocfi_call(walk_outer, &w, keep);
        assert_true(w.nf >= 2);
        assert_int_equal(w.nf, w.ns);
        /* Frame 0 returns into walk_outer, from its two calls. */
        for (size_t i = 1; i < w.nf; i++)
            assert_int_equal(w.fast[i], w.slow[i]);
        if (!keep) {
            /* Its last frame is the return into nocfi_call. */
            assert_true(w.fast[w.nf - 1] > (uintptr_t)nocfi_call &&
                        w.fast[w.nf - 1] < (uintptr_t)nocfi_call_end);
            assert_int_equal(w.fallbacks, 0);
        } else {
            assert_int_equal(w.fallbacks, 1);
        }
        /* The same walk again, from one call site: a repeat where the
         * walker ended it, not where libunwind took over. */
        int n[2];
        replay.n = 0;
        for (volatile int k = 0; k < 2; k++)
            nocfi_call(walk_again, &n[k], keep);
        if (!keep) {
            assert_true(n[0] >= 2);
            assert_int_equal(n[1], UNWIND_REPEAT);
        } else {
            assert_true(n[0] <= UNWIND_FELL_BACK && n[1] <= UNWIND_FELL_BACK);
        }
    }
}

/* A walk ended at code without CFI under rbp 0 is no repeat under another rbp. */
static void test_walker_outermost_rbp_noted(void **state)
{
    (void)state;
    if (!cfi_available())
        skip();
    int n[2];
    replay.n = 0;
    for (volatile int k = 0; k < 2; k++)
        nocfi_call(walk_again, &n[k], k);
    assert_true(n[0] >= 2);
    assert_true(n[1] != UNWIND_REPEAT);
}

/* What the profiler calls: unwind_capture, with the library's own frames
 * (here: this program's, once unwind_init has found the object it is in)
 * left out and the depth limit applied, by the walker as by
 * unwind_trim after libunwind.  Last: unwind_init cannot be undone. */
static __attribute__((noinline)) void capture_both(size_t max)
{
    uint64_t fast[MAXPCS + UNWIND_SLACK], slow[MAXPCS + UNWIND_SLACK];
    size_t nf = (size_t)unwind_capture(fast, max, true, &memo, no_replay());
    size_t ns = (size_t)unwind_capture(slow, max, false, &memo, no_replay());
    assert_int_equal(nf, ns);
    for (size_t i = 0; i < nf; i++)
        assert_int_equal(fast[i], slow[i]);
}

static void test_capture_trims_like_libunwind(void **state)
{
    (void)state;
    if (!cfi_available())
        skip();
    unwind_init();
    uint64_t before = unwind_fallbacks();
    uint64_t pcs[MAXPCS + UNWIND_SLACK];
    /* This program's frames at the top are now "the library's": what is
     * left starts in cmocka, which called the test. */
    size_t n = (size_t)unwind_capture(pcs, MAXPCS, true, &memo, no_replay());
    assert_true(n >= 2);
    Dl_info leaf;
    assert_true(dladdr((void *)(uintptr_t)pcs[0], &leaf) && leaf.dli_fname);
    assert_non_null(strstr(leaf.dli_fname, "cmocka"));
    capture_both(MAXPCS);
    capture_both(1);
    assert_int_equal(unwind_fallbacks(), before);
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    unwind_pipe_init(); /* as unwind_init does first: libunwind's pipe placed high */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cfi_frame_pointer_prologue),
        cmocka_unit_test(test_cfi_remember_restore),
        cmocka_unit_test(test_cfi_refusals),
        cmocka_unit_test(test_cfi_find_fde),
        cmocka_unit_test(test_cfi_out_of_bounds),
        cmocka_unit_test(test_cfi_real_entry),
        cmocka_unit_test(test_walker_matches_libunwind),
        cmocka_unit_test(test_walker_threads),
        cmocka_unit_test(test_walker_signal_frame),
        cmocka_unit_test(test_walker_memo),
        cmocka_unit_test(test_walker_replay),
        cmocka_unit_test(test_cache_sets),
        cmocka_unit_test(test_wrong_rules),
        cmocka_unit_test(test_walker_outermost_frame),
        cmocka_unit_test(test_walker_outermost_rbp_noted),
        cmocka_unit_test(test_capture_trims_like_libunwind),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * seccomp.c - see seccomp.h: can a seccomp filter answer a system call of
 * this process with anything worse than an error?
 *
 * A filter is classic BPF over struct seccomp_data, its jumps forward only,
 * so one pass in order of instructions sees every path.  It runs here once
 * per system call number, with the number and the architecture known (this
 * process's calls are native) and the arguments and instruction pointer
 * not: a test of an unknown value takes both ways, a value that differs
 * between the paths that meet becomes unknown.  Every filter's first lines
 * then settle as they do for our calls: the check of the architecture
 * (libseccomp's default kills any other) and of x32's bit in the number.
 * The answer errs one way only: a return that cannot be told, or anything
 * not understood, counts as a kill.
 */
#define _GNU_SOURCE /* process_vm_readv */
#include "seccomp.h"

#include "mem.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#if defined(__x86_64__)
#define SECCOMP_NATIVE AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SECCOMP_NATIVE AUDIT_ARCH_AARCH64
#else
#define SECCOMP_NATIVE 0 /* not known: the architecture's tests go both ways */
#endif

/* System call numbers tried: past every native one (x86-64 and arm64 have
 * fewer than 512). */
enum { NR_TRIED = 512 };

typedef struct {
    uint32_t v;
    uint8_t known;
} val;

typedef struct {
    uint8_t reached;
    val a, x, m[BPF_MEMWORDS];
} state;

static val join(val p, val q) { return p.known && q.known && p.v == q.v ? p : (val){0, 0}; }

/* Flows `s` into the instruction at `to` (already checked to be in range). */
static void flow(state *st, unsigned to, const state *s)
{
    state *t = &st[to];
    if (!t->reached) {
        *t = *s;
        return;
    }
    t->a = join(t->a, s->a);
    t->x = join(t->x, s->x);
    for (int i = 0; i < BPF_MEMWORDS; i++)
        t->m[i] = join(t->m[i], s->m[i]);
}

/* A word of struct seccomp_data, as the filter loads it. */
static val load(uint32_t off, uint32_t nr)
{
    if (off == offsetof(struct seccomp_data, nr))
        return (val){nr, 1};
    if (off == offsetof(struct seccomp_data, arch) && SECCOMP_NATIVE != 0)
        return (val){SECCOMP_NATIVE, 1};
    return (val){0, 0};
}

static bool alu(uint16_t op, uint32_t a, uint32_t b, uint32_t *out)
{
    switch (op) {
    case BPF_ADD: *out = a + b; return true;
    case BPF_SUB: *out = a - b; return true;
    case BPF_MUL: *out = a * b; return true;
    case BPF_DIV: *out = b ? a / b : 0; return true;
    case BPF_MOD: *out = b ? a % b : 0; return true;
    case BPF_OR: *out = a | b; return true;
    case BPF_AND: *out = a & b; return true;
    case BPF_XOR: *out = a ^ b; return true;
    case BPF_LSH: *out = b < 32 ? a << b : 0; return true;
    case BPF_RSH: *out = b < 32 ? a >> b : 0; return true;
    case BPF_NEG: *out = (uint32_t)-a; return true;
    default: return false;
    }
}

static bool safe_action(uint32_t ret)
{
    uint32_t action = ret & SECCOMP_RET_ACTION_FULL;
    return action == SECCOMP_RET_ALLOW || action == SECCOMP_RET_LOG ||
           action == SECCOMP_RET_ERRNO;
}

/* Whether, for system call nr, some path reaches a return that may be
 * worse than an error.  -1: not understood. */
static int may_kill_nr(const struct sock_filter *f, unsigned len, uint32_t nr, state *st)
{
    memset(st, 0, len * sizeof *st);
    st[0].reached = 1; /* A, X and M start at 0 (the kernel clears them) */
    for (int i = 0; i < BPF_MEMWORDS; i++)
        st[0].m[i] = (val){0, 1};
    st[0].a = st[0].x = (val){0, 1};
    for (unsigned pc = 0; pc < len; pc++) {
        if (!st[pc].reached)
            continue;
        state s = st[pc];
        const struct sock_filter *in = &f[pc];
        uint16_t code = in->code;
        switch (BPF_CLASS(code)) {
        case BPF_LD:
        case BPF_LDX: {
            val v;
            if (BPF_MODE(code) == BPF_ABS && BPF_SIZE(code) == BPF_W)
                v = load(in->k, nr);
            else if (BPF_MODE(code) == BPF_IMM)
                v = (val){in->k, 1};
            else if (BPF_MODE(code) == BPF_MEM && in->k < BPF_MEMWORDS)
                v = s.m[in->k];
            else if (BPF_MODE(code) == BPF_LEN)
                v = (val){sizeof(struct seccomp_data), 1};
            else
                return -1;
            if (BPF_CLASS(code) == BPF_LD)
                s.a = v;
            else
                s.x = v;
            break;
        }
        case BPF_ST:
        case BPF_STX:
            if (in->k >= BPF_MEMWORDS)
                return -1;
            s.m[in->k] = BPF_CLASS(code) == BPF_ST ? s.a : s.x;
            break;
        case BPF_ALU: {
            val b = BPF_SRC(code) == BPF_X ? s.x : (val){in->k, 1};
            uint32_t out;
            if (!s.a.known || !b.known)
                s.a = (val){0, 0};
            else if (alu(BPF_OP(code), s.a.v, b.v, &out))
                s.a = (val){out, 1};
            else
                return -1;
            break;
        }
        case BPF_JMP: {
            if (BPF_OP(code) == BPF_JA) {
                if (in->k >= len - pc - 1)
                    return -1;
                flow(st, pc + 1 + in->k, &s);
                continue;
            }
            if (pc + 1u + in->jt >= len || pc + 1u + in->jf >= len)
                return -1;
            val b = BPF_SRC(code) == BPF_X ? s.x : (val){in->k, 1};
            int taken = -1; /* both ways */
            if (s.a.known && b.known) {
                switch (BPF_OP(code)) {
                case BPF_JEQ: taken = s.a.v == b.v; break;
                case BPF_JGT: taken = s.a.v > b.v; break;
                case BPF_JGE: taken = s.a.v >= b.v; break;
                case BPF_JSET: taken = (s.a.v & b.v) != 0; break;
                default: return -1;
                }
            }
            if (taken != 0)
                flow(st, pc + 1u + in->jt, &s);
            if (taken != 1)
                flow(st, pc + 1u + in->jf, &s);
            continue;
        }
        case BPF_RET: {
            val r = BPF_RVAL(code) == BPF_K ? (val){in->k, 1}
                    : BPF_RVAL(code) == BPF_A ? s.a
                                              : (val){0, 0};
            if (!r.known || !safe_action(r.v))
                return 1;
            continue;
        }
        case BPF_MISC:
            if (BPF_MISCOP(code) == BPF_TAX)
                s.x = s.a;
            else
                s.a = s.x;
            break;
        default:
            return -1;
        }
        if (pc + 1 >= len)
            return -1; /* falls off the end: the kernel refuses such a filter */
        flow(st, pc + 1, &s);
    }
    return 0;
}

bool seccomp_may_kill(const struct sock_fprog *prog)
{
    if (!prog || !prog->filter || prog->len == 0 || prog->len > BPF_MAXINSNS)
        return true;
    state *st = mem_alloc(prog->len * sizeof *st);
    if (!st)
        return true;
    int saved = errno;
    bool kill = false;
    for (uint32_t nr = 0; nr < NR_TRIED && !kill; nr++)
        kill = may_kill_nr(prog->filter, prog->len, nr, st) != 0;
    mem_free(st);
    errno = saved;
    return kill;
}

/* Copies n bytes at addr of this process as the kernel's copy_from_user
 * does: 0, or EFAULT where the kernel would answer so. */
static int copy_in(pid_t self, void *out, const void *addr, size_t n)
{
    struct iovec local = {out, n}, remote = {(void *)addr, n};
    int saved = errno;
    ssize_t r = process_vm_readv(self, &local, 1, &remote, 1, 0);
    int err = errno;
    errno = saved;
    if (r == (ssize_t)n)
        return 0;
    if (r >= 0 || err == EFAULT || !addr)
        return EFAULT;
    /* No process_vm_readv here (ENOSYS, or EPERM from a filter already in
     * force): read it directly, as the kernel is about to. */
    memcpy(out, addr, n);
    return 0;
}

seccomp_verdict seccomp_judge(pid_t self, const struct sock_fprog *user)
{
    /* Zeroed though copy_in fills it before any read: cppcheck took
     * process_vm_readv's destination for a use of the bytes (ctuuninitvar). */
    struct sock_fprog prog = {0};
    if (copy_in(self, &prog, user, sizeof prog) || prog.len == 0 || prog.len > BPF_MAXINSNS)
        return SECCOMP_REFUSED;
    struct sock_filter *copy = mem_alloc(prog.len * sizeof *copy);
    if (!copy)
        return SECCOMP_MAY_KILL; /* not known: the answer errs one way */
    seccomp_verdict v = SECCOMP_REFUSED;
    if (!copy_in(self, copy, prog.filter, prog.len * sizeof *copy)) {
        prog.filter = copy;
        v = seccomp_may_kill(&prog) ? SECCOMP_MAY_KILL : SECCOMP_COPES;
    }
    mem_free(copy);
    return v;
}

/*
 * unwind.c - see unwind.h.
 *
 * The walker.  On x86-64 a caller's frame follows from three registers:
 * rsp, rbp and the instruction pointer.  The .eh_frame rule of a code
 * address says how (cfi.h); rules are cached by return address in one
 * table shared by all threads, so after the first samples a frame costs a
 * hash, a load of its set's line (a compare per way), usually a hit in
 * some cache level, and two loads from the stack.  libunwind's unw_backtrace does the same in
 * principle, but first saves the whole register file and initialises its
 * ~2 KiB cursor (unw_getcontext, unw_init_local), and looks frames up in a
 * per-thread cache: ~740 of the ~1760 instructions of a sample, ~19 of its
 * ~63 cache lines (docs/benchmarks.md finding 12).  It stays behind the
 * walker for the stacks the walker leaves (unwind_fast returns
 * UNWIND_FELL_BACK or less), with UNW_CACHE_PER_THREAD: its default global cache serialises every thread
 * behind one lock and masks signals around it.
 *
 * The cache.  8192 sets of four slots, a set to a cache line (512 KiB of
 * .bss, resident only where return addresses land), each slot
 * {pc ^ rule ^ salt, rule}, written and read as two relaxed 64-bit atomics
 * and no lock: a reader takes a slot as a hit only if the two words agree
 * with each other, with its pc and with the generation's salt, so a slot
 * torn by concurrent writers reads as a miss (the "lockless transposition
 * table" of chess programs) unless two code addresses of the same set
 * differ exactly as their rules do, which for real rules takes addresses
 * 4 GiB apart with the same low bits.  A miss costs a _dl_find_object and
 * the CFI evaluation, ~1500 instructions (callgrind), and puts the rule
 * first in its set, pushing the set's last out.  Why sets, and so many:
 * a sample's walk looks up every frame it walks (but for a repeat), so a
 * program whose samples return through more addresses than the cache
 * holds misses on most frames.  The first cache, 4096 slots mapped
 * directly, did on the `sites` workload (~10 000 return addresses, 24
 * frames of them a sample): 20 misses of a sample's ~27 lookups
 * (docs/benchmarks.md finding 19).
 * Whatever the cache says, no read of a walk leaves the stack it started
 * on (stack_top).
 *
 * The replay.  Before walking, the walker checks whether the walk would
 * repeat the thread's last one (unwind_memo.h): then the stack is known
 * without a single rule lookup.  A loop that allocates samples the same
 * stack again and again; checked, it costs ~140 instructions and the few
 * lines of the words it reads, walked ~450 and a rule-cache line per frame
 * (churn, 15 frames; finding 16 in docs/benchmarks.md).
 */
#define _GNU_SOURCE
#include "unwind.h"

#include <link.h>
#include <signal.h>
#include <stdbool.h>
#include <libunwind.h>
#include <string.h>

#include "cfi.h"
#include "common.h"

static uintptr_t self_lo HP_SAMPLE_DATA, self_hi HP_SAMPLE_DATA;

static inline bool in_self(const void *ip)
{
    return (uintptr_t)ip >= self_lo && (uintptr_t)ip < self_hi;
}

static int find_self(struct dl_phdr_info *info, size_t size, void *data)
{
    uintptr_t me = (uintptr_t)data;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
        if (me >= lo && me < hi) {
            self_lo = lo;
            self_hi = hi;
            return 1;
        }
    }
    return 0;
}

/* A rule in 64 bits: flags, then the return address's and rbp's offsets
 * from the CFA in 8-byte words, then the CFA's offset.  R_FALLBACK marks an
 * address the walker does not follow (no CFI, a rule it refuses, or one
 * whose offsets do not fit here): cached too, so that a stack through JIT
 * code or a realigned frame goes to libunwind after one lookup, not after
 * a _dl_find_object and a CFI run on every sample.  A stale R_FALLBACK
 * costs only a walk by libunwind. */
enum { R_CFA_RBP = 1, R_RBP_SAVED = 2, R_END = 4, R_FALLBACK = 8, R_NO_CFI = 16 };

/* Saved registers lie below the CFA, where the function pushed or stored
 * them: at most this far below, or the rule is not cached (R_FALLBACK).
 * This is what lets the walker check the CFA alone against the stack's
 * bounds: a slot it reads is then within SLOT_REACH below a CFA that lies
 * above the frame just walked. */
#define SLOT_REACH 512

static bool slot_fits(int64_t off) { return off < 0 && off >= -SLOT_REACH && !(off & 7); }

static uint64_t pack(const cfi_rule *r)
{
    if (r->end)
        return R_END;
    if (!slot_fits(r->ra_off) || (r->rbp_saved && !slot_fits(r->rbp_off)) ||
        r->cfa_off != (int32_t)r->cfa_off)
        return R_FALLBACK;
    return (r->cfa_rbp ? R_CFA_RBP : 0) | (r->rbp_saved ? R_RBP_SAVED : 0) |
           (uint64_t)(uint8_t)(int8_t)(r->ra_off / 8) << 8 |
           (uint64_t)(uint16_t)(int16_t)(r->rbp_saved ? r->rbp_off / 8 : 0) << 16 |
           (uint64_t)(uint32_t)(int32_t)r->cfa_off << 32;
}

enum { SET_BITS = 13, WAYS = 4 };
typedef struct slot {
    uint64_t check; /* pc ^ rule ^ salt */
    uint64_t rule;
} slot;
typedef struct set {
    slot way[WAYS];
} __attribute__((aligned(64))) set;
_Static_assert(sizeof(set) == 64, "a set is one cache line");
static set cache[1u << SET_BITS];
/* Bumped by unwind_forget: a replay made under other rules is not one, and
 * a slot written under other rules is not a hit (salt_of). */
static uint32_t rules_gen;
static uint64_t fallbacks;

/* Bits 32 and up of the product, not its top bits: code addresses come
 * in near-progressions (call sites at fixed offsets in functions laid out
 * one after another), and the top bits of a product with the golden
 * ratio's constant put a progression of step 32 into a quarter of the sets.
 * On `sites`, 10 151 return addresses fell into 1 873 of 8192 sets by the
 * top bits, 6 566 by these (5 819 for random ones). */
static inline uint32_t set_index(uintptr_t pc)
{
    return (uint32_t)((pc * 0x9e3779b97f4a7c15u) >> 32) & ((1u << SET_BITS) - 1);
}
_Static_assert(SET_BITS <= 16, "unwind_memo holds set indices in 16 bits");

/* The generation in the bits above any user-space address: a slot written
 * under an older generation fails its check (pc ^ pc' < 2^47 for any two
 * code addresses, which the walk makes sure of, and salts differ at bit 47
 * or above), so unwind_forget forgets by moving the generation on and
 * writes the table only once a turn of the salt (2^GEN_BITS generations),
 * not on every dlclose: each write makes all 512 KiB of it resident. */
enum { GEN_BITS = 64 - 47 };
static inline uint64_t salt_of(uint32_t gen) { return (uint64_t)gen << 47; }

/* The rule cached for key (pc ^ salt) in st, if any. */
static inline bool cache_get(const set *st, uint64_t key, uint64_t *rule)
{
    for (int w = 0; w < WAYS; w++) {
        uint64_t check = __atomic_load_n(&st->way[w].check, __ATOMIC_RELAXED);
        uint64_t r = __atomic_load_n(&st->way[w].rule, __ATOMIC_RELAXED);
        if (hp_likely((check ^ r) == key)) {
            *rule = r;
            return true;
        }
    }
    return false;
}

/* Two relaxed stores: a reader between them sees one word of the old slot
 * and one of the new, which checks as a miss unless the rules are the
 * same or the keys differ exactly as the rules do (the cache's comment
 * above), in either order. */
static inline void slot_put(slot *s, uint64_t check, uint64_t rule)
{
    __atomic_store_n(&s->rule, rule, __ATOMIC_RELAXED);
    __atomic_store_n(&s->check, check, __ATOMIC_RELAXED);
}

/* A rule first in its set (pc's key is pc ^ salt), the others one way
 * down and the last out: the set's order is that of insertion, so a rule
 * every walk needs is pushed out only by four newer ones of its set.  Two
 * threads that insert at once may lose or repeat a slot; each slot still
 * checks as a whole. */
static __attribute__((noinline)) void cache_put(set *st, uint64_t key, uint64_t r)
{
    for (int w = WAYS - 1; w > 0; w--) {
        uint64_t c = __atomic_load_n(&st->way[w - 1].check, __ATOMIC_RELAXED);
        uint64_t q = __atomic_load_n(&st->way[w - 1].rule, __ATOMIC_RELAXED);
        slot_put(&st->way[w], c, q);
    }
    slot_put(&st->way[0], key ^ r, r);
}

/* The rule for the frame whose instruction pointer is pc; at is the
 * address whose row applies (pc in the walker's own frame, the call
 * instruction in the others).  A frame's rule is cached under pc alone:
 * the walker's pc follows a lea, never a call, so it is no return address
 * and cannot share a key with one. */
static inline uint64_t rule_of(uint32_t index, uintptr_t pc, uintptr_t at, uint64_t salt)
{
    set *st = &cache[index];
    uint64_t key = pc ^ salt, r;
    if (cache_get(st, key, &r))
        return r;
    cfi_rule c;
    int rc = cfi_rule_at(at, &c);
    /* Malformed CFI ends the stack rather than going to libunwind, which
     * reads the same CFI without checking it against the object's bounds
     * (and faults on a pointer written over). */
    if (rc == CFI_OK)
        r = pack(&c);
    else if (rc == CFI_NO_FDE)
        r = R_FALLBACK | R_NO_CFI;
    else
        r = rc == CFI_MALFORMED ? R_END : R_FALLBACK;
    cache_put(st, key, r);
    return r;
}

/* The top of the stack sp is on, or 0 if it is on no stack the walker
 * knows; no read of the walk goes above it.  glibc maps a thread's stack
 * with the thread's descriptor at the top of the same block, the static
 * TLS between (allocatestack.c: the descriptor is what %fs:0 points to on
 * x86-64), so everything from sp up to the thread pointer is one readable
 * mapping.  The main thread's descriptor is elsewhere; its stack ends at
 * __libc_stack_end, where the kernel's argument block begins.  A stack of
 * any other kind (a coroutine's, an alternate signal stack) is libunwind's
 * when it lies outside both ranges.  The bound is what keeps a wrong rule
 * (code without CFI that a stale cache entry still describes, say) from
 * reading outside the stack: such a read fails over to libunwind instead
 * of faulting.  Its limit: a coroutine's stack mapped within 256 MiB
 * below a thread's own block passes as that thread's, and there only the
 * CFI's being right keeps the walk on it, as it keeps libunwind's. */
#if defined(__x86_64__)
extern void *__libc_stack_end;
#define MAX_THREAD_STACK ((uintptr_t)256 << 20)
#define MAX_MAIN_STACK ((uintptr_t)1 << 30)

static bool altstack_of(uintptr_t sp, uintptr_t *lo, uintptr_t *hi);

static inline uintptr_t stack_top(uintptr_t sp)
{
    uintptr_t tp;
    __asm__("movq %%fs:0, %0" : "=r"(tp));
    if (sp < tp && tp - sp <= MAX_THREAD_STACK)
        return tp;
    uintptr_t end = (uintptr_t)__libc_stack_end;
    if (sp < end && end - sp <= MAX_MAIN_STACK)
        return end;
    /* A signal handler's alternate stack (often malloc'd, far from both):
     * its bounds are the kernel's, so the walker follows the handler's
     * frames, up to the signal frame, without libunwind (which may not
     * have the room there: unwind_room_ok). */
    uintptr_t lo, hi;
    return altstack_of(sp, &lo, &hi) ? hi : 0;
}

/* Offsets from the starting sp fit the replay's 32 bits (stack_top). */
_Static_assert(MAX_MAIN_STACK < INT32_MAX && MAX_THREAD_STACK < INT32_MAX,
               "a walk's words lie within 2 GiB of its start");

/* Whether the walk from (sp, bp) would repeat the one rp describes
 * (unwind_memo.h): same start, same rules, every word it read unchanged.
 *
 * The words are compared in the order the walk read them, stopping at the
 * first that differs: each word's address follows from the start and the
 * words before it, so this reads only what a walk from here would read,
 * never more.  Comparing all of them regardless would not be safe: on a
 * stack that stack_top takes for the thread's own but is not (a fiber's
 * just below the thread's block), a different stack at the same sp may
 * end below words the old walk read.  The loads still overlap: the
 * branches are predicted to match, and the CPU loads ahead of them.
 * Inlined, and like unwind_fast not instrumented by ASan (the same reads
 * of other frames). */
static inline __attribute__((always_inline, no_sanitize_address)) bool
replay_holds(const unwind_replay *rp, uintptr_t sp, uintptr_t bp, int max, uint32_t gen)
{
    unsigned n = rp->n;
    if (!n || rp->sp != sp || rp->max != (unsigned)max ||
        (rp->bp_used && rp->bp != bp) || rp->gen != gen)
        return false;
    for (unsigned i = 0; i < n && i < UNWIND_REPLAY_MAX; i++)
        if (*(const uint64_t *)(sp + (uintptr_t)(intptr_t)rp->off[i]) != rp->val[i])
            return false;
    return true;
}

/* Note one word the walk read at addr (unwind_memo.h), in the order the
 * walk depends on them (replay_holds); past UNWIND_REPLAY_MAX words the
 * walk is not kept (see the end of the walk). */
static inline __attribute__((always_inline)) void replay_note(unwind_replay *rp, unsigned *nr,
                                                              uintptr_t sp0, uintptr_t addr,
                                                              uint64_t v)
{
    if (*nr < UNWIND_REPLAY_MAX) {
        rp->off[*nr] = (int32_t)(intptr_t)(addr - sp0);
        rp->val[*nr] = v;
    }
    ++*nr;
}

/* no_sanitize_address: the walker reads other frames' saved registers,
 * which ASan's stack instrumentation does not expect a function to do. */
__attribute__((noinline, no_sanitize_address)) int unwind_fast(void **pcs, int max,
                                                               unwind_memo *memo,
                                                               unwind_replay *replay)
{
    uintptr_t pc, sp, bp;
    /* Early-clobber outputs: no operand may share rbp, which is read last. */
    __asm__ volatile("leaq 0(%%rip), %0\n\tmovq %%rsp, %1\n\tmovq %%rbp, %2"
                     : "=&r"(pc), "=&r"(sp), "=&r"(bp));
    unsigned walked = 0; /* frames looked up, ours included: memo->slot */
    int n = 0;           /* frames stored in pcs */
    uintptr_t hi = stack_top(sp);
    if (!hi)
        goto fallback;
    /* Read before any rule is: the walk takes only rules cached under
     * this generation (salt_of), or newer ones of a walk that began before
     * an unwind_forget, and a replay only of a walk of this generation. */
    uint32_t gen = __atomic_load_n(&rules_gen, __ATOMIC_ACQUIRE);
    if (replay_holds(replay, sp, bp, max, gen))
        return UNWIND_REPEAT;
    const uint64_t salt = salt_of(gen);
    /* Masked: only this function writes the memo, but an index out of the
     * table must not even be formed. */
    for (unsigned i = 0; i < memo->n && i < UNWIND_MEMO; i++)
        __builtin_prefetch(&cache[memo->slot[i] & ((1u << SET_BITS) - 1)]);
    const uintptr_t sp0 = sp, bp0 = bp;
    unsigned nr = 0;      /* words read: replay->off, replay->val */
    bool bp_used = false; /* the walk's cfa came from bp0 */
    /* Where bp came from: bp0 (bp_at == 0), or a word read at bp_at, which
     * is noted for the replay only once a cfa comes from it: a saved rbp
     * that no rule uses (rbp as a general register, in code without frame
     * pointers) need not be unchanged for the walk to repeat. */
    uintptr_t bp_at = 0;
    bool bp_noted = false;
    uintptr_t at = pc;
    bool ours = true; /* still in heapprof's own frames, which are not kept */
    while (n < max) {
        uint32_t index = set_index(pc);
        if (walked < UNWIND_MEMO)
            memo->slot[walked++] = (uint16_t)index;
        uint64_t r = rule_of(index, pc, at, salt);
        if (r & (R_CFA_RBP | R_FALLBACK)) {
            /* What follows reads rbp: a replay must find it unchanged. */
            if (!bp_at)
                bp_used = true;
            else if (!bp_noted) {
                replay_note(replay, &nr, sp0, bp_at, bp);
                bp_noted = true;
            }
        }
        if (r & R_FALLBACK) {
            /* Code without CFI whose rbp is 0 is the outermost frame, as the
             * ABI marks it: ld.so's entry code, which calls the program's
             * and its libraries' constructors with rbp cleared, so a C++
             * program's static constructors allocate from here.  libunwind,
             * with no CFI either, follows rbp and stops there too: the walk
             * ends as its would (realprogs_unwind, cmake) rather than
             * handing it every such stack (1 293 of cmake's). */
            if ((r & R_NO_CFI) && !bp)
                break;
            goto fallback;
        }
        if (r & R_END)
            break;
        uintptr_t cfa = ((r & R_CFA_RBP) ? bp : sp) + (uintptr_t)(int64_t)(int32_t)(r >> 32);
        /* The caller's frame lies above this one, on the same stack; the
         * slots read lie below cfa by at most SLOT_REACH, in this frame or
         * in one already walked (pack). */
        if (cfa <= sp || cfa > hi)
            goto fallback;
        uintptr_t ra_at = cfa + (uintptr_t)(int64_t)(int8_t)(r >> 8) * 8;
        uintptr_t ra = *(const uintptr_t *)ra_at;
        replay_note(replay, &nr, sp0, ra_at, ra);
        if (r & R_RBP_SAVED) {
            bp_at = cfa + (uintptr_t)(int64_t)(int16_t)(r >> 16) * 8;
            bp = *(const uintptr_t *)bp_at;
            bp_noted = false;
        }
        sp = cfa;
        if (!ra)
            break; /* a zeroed return address also ends a stack */
        if (ra >> 47)
            goto fallback; /* no user-space code here (salt_of needs it) */
        pc = ra;
        at = ra - 1; /* the call, which a noreturn callee may end the function with */
        if (ours && in_self((void *)ra))
            continue;
        ours = false;
        pcs[n++] = (void *)ra;
    }
    memo->n = (uint16_t)walked;
    replay->sp = sp0;
    replay->bp = bp0;
    replay->bp_used = bp_used;
    replay->max = (uint16_t)max;
    replay->gen = gen;
    replay->n = (uint16_t)(nr <= UNWIND_REPLAY_MAX && (unsigned)max <= UINT16_MAX ? nr : 0);
    return n;
fallback:
    memo->n = (uint16_t)walked;
    replay->n = 0;
    __atomic_add_fetch(&fallbacks, 1, __ATOMIC_RELAXED);
    return UNWIND_FELL_BACK - n;
}

#else
/* The walker knows x86-64's registers only: elsewhere every stack is
 * libunwind's. */
int unwind_fast(void **pcs, int max, unwind_memo *memo, unwind_replay *replay)
{
    (void)pcs;
    (void)max;
    (void)memo;
    replay->n = 0;
    __atomic_add_fetch(&fallbacks, 1, __ATOMIC_RELAXED);
    return UNWIND_FELL_BACK;
}
#endif

/* The alternate signal stack in force, [*lo, *hi), if sp is on it: the
 * kernel says so (SS_ONSTACK), a system call that costs less than the
 * libunwind walk that follows it. */
static bool altstack_of(uintptr_t sp, uintptr_t *lo, uintptr_t *hi)
{
    stack_t ss;
    if (sigaltstack(NULL, &ss) != 0 || !(ss.ss_flags & SS_ONSTACK))
        return false;
    uintptr_t b = (uintptr_t)ss.ss_sp;
    if (sp < b || sp - b >= ss.ss_size)
        return false;
    *lo = b;
    *hi = b + ss.ss_size;
    return true;
}

/* What libunwind takes of the stack below its caller: ~6 KiB walking,
 * ~7.5 KiB the first time on a thread (lifecycle_altstack_malloc), with
 * room to spare. */
enum { LIBUNWIND_ROOM = 12 << 10 };

bool unwind_room_ok(void)
{
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0), lo, hi;
    return !altstack_of(sp, &lo, &hi) || sp - lo >= LIBUNWIND_ROOM;
}

void unwind_forget(void)
{
    /* Every slot written before now fails its check from the next walk on
     * (salt_of); a walk under way finishes with the rules it began with, as
     * it would have if it had begun a moment earlier.  The salt comes round
     * every 2^GEN_BITS generations, so half a turn before, the table is
     * emptied (an all-zero slot is no address's): when a salt comes round,
     * no slot holds it from the turn before, unless a walk lasted 2^16
     * dlcloses.  Half a turn rather than at the turn, so that two threads
     * forgetting at once cannot step past it unemptied. */
    uint32_t gen = __atomic_add_fetch(&rules_gen, 1, __ATOMIC_RELEASE);
    if ((gen & ((1u << GEN_BITS) - 1)) == 1u << (GEN_BITS - 1))
        for (size_t i = 0; i < sizeof cache / sizeof cache[0]; i++)
            for (int w = 0; w < WAYS; w++)
                slot_put(&cache[i].way[w], 0, 0);
}

uint64_t unwind_fallbacks(void) { return __atomic_load_n(&fallbacks, __ATOMIC_RELAXED); }

void unwind_init(void)
{
    unwind_pipe_init(); /* libunwind's first use */
    dl_iterate_phdr(find_self, (void *)(uintptr_t)&unwind_init);
}


size_t unwind_trim(uint64_t *pcs, int n, size_t max)
{
    void **raw = (void **)pcs;
    /* First libunwind's own frames, then the profiler's down to the
     * exported entry point; the program starts after that run.  Only the
     * leading run: a program frame below one of ours (an atexit handler
     * called from our exit(), say) is the program's. */
    int i = 0;
    while (i < n && i < UNWIND_SLACK && !in_self(raw[i]))
        i++;
    if (i == n || i == UNWIND_SLACK)
        i = 0; /* none of ours near the top: keep everything */
    while (i < n && in_self(raw[i]))
        i++;
    size_t out = (size_t)(n - i) < max ? (size_t)(n - i) : max;
    memmove(pcs, raw + i, out * sizeof *pcs);
    return out;
}

/*
 * mem.c - see mem.h.  A fault-injection countdown (SQLite style) lets tests
 * fail the Nth table mapping or heap block, to prove every caller survives
 * it.
 */
#include "mem.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "common.h"
#include "fault.h"

typedef struct pages {
    uint64_t now;
} pages;

/* Pages mapped now: for the tables (mem_map), and apart, for the heap's
 * large blocks and its runs (below), so that mem_mapped_bytes() stays the
 * tables' (it is reported as such). */
static pages tables, big_blocks, runs;
static unsigned long mem_fail_countdown;

unsigned long mem_fail_after(unsigned long n)
{
    return __atomic_exchange_n(&mem_fail_countdown, n, __ATOMIC_RELAXED);
}

static void *map_pages(size_t bytes, pages *c)
{
    int saved = errno;
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    errno = saved;
    if (p == MAP_FAILED)
        return NULL;
    __atomic_add_fetch(&c->now, bytes, __ATOMIC_RELAXED);
    return p;
}

static void unmap_pages(void *p, size_t bytes, pages *c)
{
    if (!p)
        return;
    int saved = errno;
    munmap(p, bytes);
    errno = saved;
    __atomic_sub_fetch(&c->now, bytes, __ATOMIC_RELAXED);
}

static bool fail_now(void)
{
    return __atomic_load_n(&mem_fail_countdown, __ATOMIC_RELAXED) &&
           __atomic_sub_fetch(&mem_fail_countdown, 1, __ATOMIC_RELAXED) == 0;
}

void *mem_map(size_t bytes)
{
    if (fail_now() || fault_point(FAULT_MEM)) /* fault_point: libheapprof_fault.so only */
        return NULL;
    return map_pages(bytes, &tables);
}

void mem_unmap(void *p, size_t bytes) { unmap_pages(p, bytes, &tables); }

uint64_t mem_mapped_bytes(void) { return __atomic_load_n(&tables.now, __ATOMIC_RELAXED); }

uint64_t mem_heap_mapped_bytes(void)
{
    return __atomic_load_n(&big_blocks.now, __ATOMIC_RELAXED) +
           __atomic_load_n(&runs.now, __ATOMIC_RELAXED);
}

/* ---- the profiler's heap (mem.h) ---------------------------------------- */

/* Before every block: 16 bytes, so the block keeps malloc's alignment.  A
 * large block's tag is the size of its own pages (a multiple of 4096); a
 * small block's is the address of its run with the low bit set. */
typedef struct mem_head {
    uintptr_t tag;
    size_t size; /* bytes asked for */
} mem_head;

_Static_assert(sizeof(mem_head) == 16, "a block must keep malloc's 16-byte alignment");

static size_t page_round(size_t n) { return (n + 4095) & ~(size_t)4095; }

/* What the heap holds (blocks, and bytes asked for): for the tests, and
 * the encoder's measured peak. */
static uint64_t heap_blocks, heap_bytes, heap_bytes_peak;

static void held(size_t bytes, int sign)
{
    __atomic_add_fetch(&heap_blocks, (uint64_t)(int64_t)sign, __ATOMIC_RELAXED);
    uint64_t now = __atomic_add_fetch(&heap_bytes, (uint64_t)(int64_t)sign * bytes, __ATOMIC_RELAXED);
    uint64_t peak = __atomic_load_n(&heap_bytes_peak, __ATOMIC_RELAXED);
    while (now > peak && !__atomic_compare_exchange_n(&heap_bytes_peak, &peak, now, true,
                                                      __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
}

uint64_t mem_heap_blocks(void) { return __atomic_load_n(&heap_blocks, __ATOMIC_RELAXED); }
uint64_t mem_heap_bytes(void) { return __atomic_load_n(&heap_bytes, __ATOMIC_RELAXED); }
uint64_t mem_heap_peak(void) { return __atomic_load_n(&heap_bytes_peak, __ATOMIC_RELAXED); }
void mem_heap_peak_reset(void) { __atomic_store_n(&heap_bytes_peak, mem_heap_bytes(), __ATOMIC_RELAXED); }

/* ---- small blocks: runs of our own pages -------------------------------- */

/* Blocks up to SMALL_MAX bytes, header included, come from runs: pages
 * mapped for one size class, carved into its blocks (mimalloc's pages, in
 * miniature).  Classes step by 16 bytes to 128, then by a quarter of each
 * power of two, so that a block over 128 bytes wastes at most a fifth of
 * its class.  A run holds at least RUN_BLOCKS of its blocks and takes at
 * least RUN_MIN bytes; a run whose last block is freed is unmapped unless
 * it is the only one its class has with room (the one an alloc-free cycle
 * would map again at once).
 *
 * Why not the program's malloc: glibc gives each thread that first calls
 * it an arena of its own, up to eight per core, each 64 MiB of address
 * space (HEAP_MAX_SIZE).  The writer's and the HTTP server's blocks made
 * arenas in the program that its own malloc_info() and malloc_stats()
 * then listed, and 64 MiB more of VmSize each (7 to 71 MiB for a small
 * program with a profile every 100 ms), which mlockall() under
 * RLIMIT_MEMLOCK and an RLIMIT_AS set to fit the program both count
 * (lifecycle_host_malloc_tuning).  With every block of ours from our own
 * pages, no thread of ours ever calls malloc.
 *
 * The sanitizer and valgrind builds (HEAPPROF_MEM_MALLOC) take small
 * blocks from malloc instead, where those tools see each block's bounds
 * and first write; in runs they would see only pages.
 *
 * One spinlock guards the runs: its holders never block, allocate or call
 * out (common.h).  fork() never copies it held (lifecycle.c's handlers take
 * it after every other lock: none is taken under it); a child made without
 * handlers takes it over (spin.c), and then leaves the runs alone
 * (runs_torn). */
enum { SMALL_MAX = 64 << 10, RUN_MIN = 64 << 10, RUN_BLOCKS = 4, NCLASSES = 43 };

typedef struct run {
    struct run *prev, *next; /* in its class's list of runs with room */
    void *free;              /* freed blocks, each linked through its first word */
    char *fresh, *end;       /* blocks never handed out: [fresh, end) */
    size_t mapped;           /* bytes of the run's pages */
    uint32_t live, cls;
} run;

enum { RUN_HEAD = 64 }; /* sizeof(run), rounded up: the first block stays 16-aligned */
_Static_assert(sizeof(run) <= RUN_HEAD, "a run's header must fit before its first block");

static run *with_room[NCLASSES];
static int heap_lock;

/* A child made without fork handlers (_Fork, a raw clone) takes a lock
 * held by a thread of its parent over (spin.c).  That thread may have been
 * halfway through a list update here, unlike the tables' holders, which
 * only read.  So once the heap's lock was taken over the runs are left
 * alone: small blocks get pages of their own, and a block of a run is not
 * given back (such a child writes no profile; its few allocations are a
 * seccomp filter's judgement). */
static bool runs_torn;
static bool held_for_fork;

/* Take the runs' lock: false, not held, when the runs are not to be used. */
static bool lock_runs(void)
{
    if (__atomic_load_n(&runs_torn, __ATOMIC_RELAXED))
        return false;
    while (__atomic_exchange_n(&heap_lock, 1, __ATOMIC_ACQUIRE))
        if (spin_wait(&heap_lock)) {
            __atomic_store_n(&runs_torn, true, __ATOMIC_RELAXED);
            spin_unlock(&heap_lock);
            return false;
        }
    return true;
}

/* The class of a block of `total` bytes, header included (16 to SMALL_MAX). */
static unsigned class_of(size_t total)
{
    if (total <= 128)
        return total <= 32 ? 0 : (unsigned)((total + 15) / 16 - 2);
    size_t t = total - 1;
    unsigned b = 63 - (unsigned)__builtin_clzll(t); /* 7 or more */
    return 7 + (b - 7) * 4 + (unsigned)((t >> (b - 2)) & 3);
}

static size_t class_size(unsigned c)
{
    if (c < 7)
        return 32 + 16 * (size_t)c;
    unsigned b = 7 + (c - 7) / 4, k = (c - 7) % 4;
    return ((size_t)1 << b) + (k + 1) * ((size_t)1 << (b - 2));
}

_Static_assert(NCLASSES == 7 + (15 - 7) * 4 + 3 + 1, "the last class is SMALL_MAX's");

static void link_run(run *r)
{
    r->prev = NULL;
    r->next = with_room[r->cls];
    if (r->next)
        r->next->prev = r;
    with_room[r->cls] = r;
}

static void unlink_run(run *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else
        with_room[r->cls] = r->next;
    if (r->next)
        r->next->prev = r->prev;
    r->prev = r->next = NULL;
}

/* A run of class c, mapped outside the lock (mmap may take long). */
static run *new_run(unsigned c)
{
    size_t size = class_size(c);
    size_t bytes = page_round(RUN_HEAD + RUN_BLOCKS * size);
    if (bytes < RUN_MIN)
        bytes = RUN_MIN;
    run *r = map_pages(bytes, &runs);
    if (!r)
        return NULL;
    r->mapped = bytes;
    r->cls = c;
    r->fresh = (char *)r + RUN_HEAD;
    r->end = r->fresh + (bytes - RUN_HEAD) / size * size;
    return r;
}

static mem_head *small_alloc(size_t total)
{
    unsigned c = class_of(total);
    run *spare = NULL;
    for (;;) {
        if (!lock_runs()) {
            if (spare)
                unmap_pages(spare, spare->mapped, &runs);
            size_t mapped = page_round(total);
            mem_head *h = map_pages(mapped, &big_blocks);
            if (h)
                h->tag = mapped;
            return h;
        }
        run *r = with_room[c];
        if (!r && spare) {
            link_run(spare);
            r = spare;
            spare = NULL;
        }
        if (r) {
            mem_head *h;
            if (r->free) {
                h = r->free;
                r->free = *(void **)h;
            } else {
                h = (mem_head *)r->fresh;
                r->fresh += class_size(c);
            }
            r->live++;
            if (!r->free && r->fresh == r->end)
                unlink_run(r); /* full */
            spin_unlock(&heap_lock);
            if (spare) /* another thread mapped one first */
                unmap_pages(spare, spare->mapped, &runs);
            h->tag = (uintptr_t)r | 1;
            return h;
        }
        spin_unlock(&heap_lock);
        if (!(spare = new_run(c)))
            return NULL;
    }
}

static void small_free(mem_head *h)
{
    run *r = (run *)(h->tag & ~(uintptr_t)1), *drop = NULL;
    if (!lock_runs())
        return; /* left where it is: see runs_torn */
    bool was_full = !r->free && r->fresh == r->end;
    *(void **)h = r->free;
    r->free = h;
    if (was_full)
        link_run(r);
    if (--r->live == 0 && (with_room[r->cls] != r || r->next)) {
        unlink_run(r);
        drop = r;
    }
    spin_unlock(&heap_lock);
    if (drop)
        unmap_pages(drop, drop->mapped, &runs);
}

void mem_lock_all(void) { held_for_fork = lock_runs(); }

void mem_unlock_all(void)
{
    if (held_for_fork)
        spin_unlock(&heap_lock);
    held_for_fork = false;
}

/* ---- blocks -------------------------------------------------------------- */

/* zero: the block must be zeroed (fresh pages are, reused blocks not). */
static void *alloc_block(size_t bytes, bool zero)
{
    mem_head *h;
    if (bytes > SIZE_MAX / 2 || fail_now()) {
        errno = ENOMEM;
        return NULL;
    }
    if (fault_point(FAULT_MEM)) { /* libheapprof_fault.so only, see fault.h */
        errno = ENOMEM;
        return NULL;
    }
    size_t total = bytes + sizeof *h;
    if (total > SMALL_MAX) {
        size_t mapped = page_round(total);
        if (!(h = map_pages(mapped, &big_blocks))) {
            errno = ENOMEM;
            return NULL;
        }
        h->tag = mapped;
    } else {
#if HEAPPROF_MEM_MALLOC
        (void)small_alloc;
        if (!(h = zero ? calloc(1, total) : malloc(total)))
            return NULL;
        h->tag = 0;
#else
        if (!(h = small_alloc(total))) {
            errno = ENOMEM;
            return NULL;
        }
        if (zero)
            memset(h + 1, 0, bytes);
#endif
    }
    h->size = bytes;
    held(bytes, 1);
    return h + 1;
}

void *mem_alloc(size_t bytes) { return alloc_block(bytes, false); }

void *mem_calloc(size_t n, size_t size)
{
    size_t bytes;
    if (__builtin_mul_overflow(n, size, &bytes)) {
        errno = ENOMEM;
        return NULL;
    }
    return alloc_block(bytes, true);
}

void mem_free(void *p)
{
    if (!p)
        return;
    mem_head *h = (mem_head *)p - 1;
    held(h->size, -1);
    if (h->tag & 1)
        small_free(h);
    else if (h->tag)
        unmap_pages(h, h->tag, &big_blocks);
    else
        free(h); /* HEAPPROF_MEM_MALLOC */
}

void *mem_realloc(void *p, size_t bytes)
{
    if (!p)
        return mem_alloc(bytes);
    mem_head *h = (mem_head *)p - 1;
    size_t total = bytes + sizeof *h;
    /* In place while it stays in its class, or within its own pages. */
    bool fits = bytes <= SIZE_MAX / 2 && h->tag &&
                ((h->tag & 1) ? total <= SMALL_MAX &&
                                    class_of(total) == ((run *)(h->tag & ~(uintptr_t)1))->cls
                              : total > SMALL_MAX && total <= h->tag);
    if (fits) {
        held(h->size, -1);
        held(bytes, 1);
        h->size = bytes;
        return p;
    }
    /* A new block and a copy.  Arrays grow by doubling, so the copies cost
     * no more than the growth itself. */
    void *q = mem_alloc(bytes);
    if (!q)
        return NULL;
    memcpy(q, p, h->size < bytes ? h->size : bytes);
    mem_free(p);
    return q;
}

char *mem_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = mem_alloc(n);
    return d ? memcpy(d, s, n) : NULL;
}

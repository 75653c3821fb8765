/*
 * mem.c - see mem.h.  A fault-injection countdown (SQLite style) lets tests
 * fail the Nth mapping, a table's or a large block's, to prove every caller
 * survives it.
 */
#include "mem.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fault.h"

/* Pages mapped now, and the most at once since the last reset: for the
 * tables (mem_map) and, apart, for the heap's large blocks, so that
 * mem_mapped_bytes() stays the tables' (it is reported as such). */
typedef struct pages {
    uint64_t now, peak;
} pages;

static pages tables, big_blocks;
static unsigned long mem_fail_countdown;

void mem_fail_after(unsigned long n) { __atomic_store_n(&mem_fail_countdown, n, __ATOMIC_RELAXED); }

static void *map_pages(size_t bytes, pages *c)
{
    if (__atomic_load_n(&mem_fail_countdown, __ATOMIC_RELAXED) &&
        __atomic_sub_fetch(&mem_fail_countdown, 1, __ATOMIC_RELAXED) == 0)
        return NULL;
    if (fault_point(FAULT_MEM)) /* libheapprof_fault.so only, see fault.h */
        return NULL;
    int saved = errno;
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    errno = saved;
    if (p == MAP_FAILED)
        return NULL;
    uint64_t now = __atomic_add_fetch(&c->now, bytes, __ATOMIC_RELAXED);
    uint64_t peak = __atomic_load_n(&c->peak, __ATOMIC_RELAXED);
    while (now > peak && !__atomic_compare_exchange_n(&c->peak, &peak, now, true,
                                                      __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
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

void *mem_map(size_t bytes) { return map_pages(bytes, &tables); }

void mem_unmap(void *p, size_t bytes) { unmap_pages(p, bytes, &tables); }

uint64_t mem_mapped_bytes(void) { return __atomic_load_n(&tables.now, __ATOMIC_RELAXED); }

uint64_t mem_heap_mapped_bytes(void) { return __atomic_load_n(&big_blocks.now, __ATOMIC_RELAXED); }

uint64_t mem_heap_mapped_peak(void) { return __atomic_load_n(&big_blocks.peak, __ATOMIC_RELAXED); }

void mem_heap_mapped_peak_reset(void)
{
    __atomic_store_n(&big_blocks.peak, mem_heap_mapped_bytes(), __ATOMIC_RELAXED);
}

/* ---- the profiler's heap (mem.h) ---------------------------------------- */

/* Before every block: 16 bytes, so the block keeps malloc's alignment. */
typedef struct mem_head {
    size_t mapped; /* bytes of the block's own pages, 0 when from malloc */
    size_t size;   /* bytes asked for */
} mem_head;

_Static_assert(sizeof(mem_head) == 16, "a block must keep malloc's 16-byte alignment");

static size_t page_round(size_t n) { return (n + 4095) & ~(size_t)4095; }

static void *block_of(mem_head *h, size_t mapped, size_t size)
{
    h->mapped = mapped;
    h->size = size;
    return h + 1;
}

/* zero: the block must be zeroed (mem_map's always are). */
static void *alloc_block(size_t bytes, bool zero)
{
    mem_head *h;
    if (bytes > SIZE_MAX / 2) {
        errno = ENOMEM;
        return NULL;
    }
    size_t total = bytes + sizeof *h;
    if (bytes >= MEM_BIG) {
        size_t mapped = page_round(total);
        if (!(h = map_pages(mapped, &big_blocks))) {
            errno = ENOMEM;
            return NULL;
        }
        return block_of(h, mapped, bytes);
    }
    if (fault_point(FAULT_MEM)) { /* libheapprof_fault.so only, see fault.h */
        errno = ENOMEM;
        return NULL;
    }
    if (!(h = zero ? calloc(1, total) : malloc(total)))
        return NULL;
    return block_of(h, 0, bytes);
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
    if (h->mapped)
        unmap_pages(h, h->mapped, &big_blocks);
    else
        free(h);
}

void *mem_realloc(void *p, size_t bytes)
{
    if (!p)
        return mem_alloc(bytes);
    mem_head *h = (mem_head *)p - 1;
    if (!h->mapped && bytes < MEM_BIG) {
        if (fault_point(FAULT_MEM)) {
            errno = ENOMEM;
            return NULL;
        }
        mem_head *grown = realloc(h, bytes + sizeof *h);
        return grown ? block_of(grown, 0, bytes) : NULL;
    }
    if (h->mapped && bytes >= MEM_BIG && bytes <= h->mapped - sizeof *h) {
        h->size = bytes; /* still fits its pages */
        return p;
    }
    /* To or from pages of its own: a new block and a copy.  Arrays grow by
     * doubling, so the copies cost no more than the growth itself. */
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

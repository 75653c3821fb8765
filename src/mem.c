/*
 * mem.c - see mem.h.  A fault-injection countdown (SQLite style) lets tests
 * fail the Nth mapping to prove every caller survives it.
 */
#include "mem.h"

#include <errno.h>
#include <sys/mman.h>

#include "fault.h"

static uint64_t mem_mapped;
static unsigned long mem_fail_countdown;

void mem_fail_after(unsigned long n) { __atomic_store_n(&mem_fail_countdown, n, __ATOMIC_RELAXED); }

void *mem_map(size_t bytes)
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
    __atomic_add_fetch(&mem_mapped, bytes, __ATOMIC_RELAXED);
    return p;
}

void mem_unmap(void *p, size_t bytes)
{
    if (!p)
        return;
    int saved = errno;
    munmap(p, bytes);
    errno = saved;
    __atomic_sub_fetch(&mem_mapped, bytes, __ATOMIC_RELAXED);
}

uint64_t mem_mapped_bytes(void) { return __atomic_load_n(&mem_mapped, __ATOMIC_RELAXED); }

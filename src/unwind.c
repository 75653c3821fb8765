/*
 * unwind.c - see unwind.h.
 *
 * unw_backtrace is libunwind's fast path: on x86_64 it caches the frame
 * layout of each return address and only falls back to full DWARF
 * interpretation for new ones.  UNW_CACHE_PER_THREAD keeps that cache in
 * thread-local storage; the default global cache serialises every thread
 * behind one lock and masks signals around it.
 */
#define _GNU_SOURCE
#include "unwind.h"

#include <link.h>
#include <stdbool.h>
#include <libunwind.h>
#include <string.h>

#include "common.h"

static uintptr_t self_lo HP_SAMPLE_DATA, self_hi HP_SAMPLE_DATA;

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

void unwind_init(void)
{
    unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
    dl_iterate_phdr(find_self, (void *)(uintptr_t)&unwind_init);
}

static bool in_self(void *ip) { return (uintptr_t)ip >= self_lo && (uintptr_t)ip < self_hi; }

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

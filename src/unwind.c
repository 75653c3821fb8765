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
#define UNW_LOCAL_ONLY
#include "unwind.h"

#include <link.h>
#include <libunwind.h>
#include <string.h>

enum { SKIP_MAX = 32 };

static uintptr_t self_lo, self_hi;

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

size_t unwind_capture(uint64_t *pcs, size_t max)
{
    void *raw[256 + SKIP_MAX];
    size_t want = max + SKIP_MAX < sizeof raw / sizeof raw[0] ? max + SKIP_MAX
                                                              : sizeof raw / sizeof raw[0];
    int n = unw_backtrace(raw, (int)want);
    /* The first frames are libunwind's, then the profiler's own down to the
     * exported entry point; the program starts after the last of ours. */
    int skip = 0;
    for (int i = 0; i < n && i < SKIP_MAX; i++)
        if ((uintptr_t)raw[i] >= self_lo && (uintptr_t)raw[i] < self_hi)
            skip = i + 1;
    size_t out = 0;
    for (int i = skip; i < n && out < max; i++)
        pcs[out++] = (uint64_t)(uintptr_t)raw[i];
    return out;
}

/*
 * allocstats.c - see allocstats.h.
 *
 * Each allocator is a row of `allocators`: the symbol that names it, and a
 * reader that fills the figures of its `stats` rows.  Adding one is a row
 * and a reader.
 */
#define _GNU_SOURCE
#include "allocstats.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "common.h"
#include "real.h"

/* ---- glibc -------------------------------------------------------------------- */

/* glibc's struct mallinfo2 (2.33+), spelled out so the code builds against
 * any header. */
typedef struct mallinfo2_t {
    size_t arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
} mallinfo2_t;

static const struct {
    const char *name, *help;
    size_t off;
} glibc_rows[] = {
    {"heapprof_malloc_arena_bytes",
     "glibc mallinfo2 arena: bytes of heap obtained with brk/mmap for arenas (exact)",
     offsetof(mallinfo2_t, arena)},
    {"heapprof_malloc_in_use_bytes",
     "glibc mallinfo2 uordblks: bytes in chunks in use in the arenas (exact)",
     offsetof(mallinfo2_t, uordblks)},
    {"heapprof_malloc_free_bytes",
     "glibc mallinfo2 fordblks: bytes in free chunks in the arenas (exact)",
     offsetof(mallinfo2_t, fordblks)},
    {"heapprof_malloc_mmap_bytes",
     "glibc mallinfo2 hblkhd: bytes in chunks allocated with mmap (exact)",
     offsetof(mallinfo2_t, hblkhd)},
    {"heapprof_malloc_releasable_bytes",
     "glibc mallinfo2 keepcost: free bytes at the top of the heap that could be released (exact)",
     offsetof(mallinfo2_t, keepcost)},
};

static size_t read_glibc(void *fn, allocstat *out)
{
    mallinfo2_t (*mallinfo2)(void);
    memcpy(&mallinfo2, &fn, sizeof fn);
    mallinfo2_t mi = mallinfo2();
    size_t n = 0;
    for (; n < sizeof glibc_rows / sizeof glibc_rows[0]; n++) {
        out[n].name = glibc_rows[n].name;
        out[n].help = glibc_rows[n].help;
        memcpy(&out[n].value, (const char *)&mi + glibc_rows[n].off, sizeof out[n].value);
    }
    return n;
}

/* ---- jemalloc ----------------------------------------------------------------- */

static const struct {
    const char *name, *help, *ctl;
} jemalloc_rows[] = {
    {"heapprof_jemalloc_allocated_bytes",
     "jemalloc stats.allocated: bytes allocated by the application (exact)", "stats.allocated"},
    {"heapprof_jemalloc_active_bytes",
     "jemalloc stats.active: bytes in active pages, a multiple of the page size (exact)",
     "stats.active"},
    {"heapprof_jemalloc_metadata_bytes",
     "jemalloc stats.metadata: bytes of jemalloc's own metadata (exact)", "stats.metadata"},
    {"heapprof_jemalloc_resident_bytes",
     "jemalloc stats.resident: bytes in physically resident data pages mapped by jemalloc "
     "(exact)",
     "stats.resident"},
    {"heapprof_jemalloc_mapped_bytes",
     "jemalloc stats.mapped: bytes in active extents mapped by jemalloc (exact)", "stats.mapped"},
    {"heapprof_jemalloc_retained_bytes",
     "jemalloc stats.retained: bytes in virtual memory retained for reuse, not returned to the "
     "system (exact)",
     "stats.retained"},
};

static size_t read_jemalloc(void *fn, allocstat *out)
{
    int (*mallctl)(const char *, void *, size_t *, void *, size_t);
    memcpy(&mallctl, &fn, sizeof fn);
    /* The statistics are a snapshot taken when the epoch advances. */
    uint64_t epoch = 1;
    size_t len = sizeof epoch;
    if (mallctl("epoch", &epoch, &len, &epoch, len))
        return 0;
    size_t n = 0;
    for (size_t i = 0; i < sizeof jemalloc_rows / sizeof jemalloc_rows[0]; i++) {
        size_t v;
        len = sizeof v;
        if (mallctl(jemalloc_rows[i].ctl, &v, &len, NULL, 0) || len != sizeof v)
            continue; /* built without --enable-stats: no figure rather than a wrong one */
        out[n++] = (allocstat){jemalloc_rows[i].name, jemalloc_rows[i].help, v};
    }
    return n;
}

/* ---- gperftools tcmalloc ---------------------------------------------------------- */

static const struct {
    const char *name, *help, *property;
} tcmalloc_rows[] = {
    {"heapprof_tcmalloc_allocated_bytes",
     "tcmalloc generic.current_allocated_bytes: bytes allocated by the application (exact)",
     "generic.current_allocated_bytes"},
    {"heapprof_tcmalloc_heap_bytes",
     "tcmalloc generic.heap_size: bytes of heap reserved from the system, free and in use "
     "(exact)",
     "generic.heap_size"},
    {"heapprof_tcmalloc_pageheap_free_bytes",
     "tcmalloc tcmalloc.pageheap_free_bytes: free bytes in the page heap, still mapped (exact)",
     "tcmalloc.pageheap_free_bytes"},
    {"heapprof_tcmalloc_pageheap_unmapped_bytes",
     "tcmalloc tcmalloc.pageheap_unmapped_bytes: free bytes in the page heap returned to the "
     "system (exact)",
     "tcmalloc.pageheap_unmapped_bytes"},
    {"heapprof_tcmalloc_thread_cache_free_bytes",
     "tcmalloc tcmalloc.current_total_thread_cache_bytes: free bytes in the threads' caches "
     "(exact)",
     "tcmalloc.current_total_thread_cache_bytes"},
};

static size_t read_tcmalloc(void *fn, allocstat *out)
{
    int (*get)(const char *, size_t *);
    memcpy(&get, &fn, sizeof fn);
    size_t n = 0;
    for (size_t i = 0; i < sizeof tcmalloc_rows / sizeof tcmalloc_rows[0]; i++) {
        size_t v;
        if (get(tcmalloc_rows[i].property, &v)) /* 1: the property exists */
            out[n++] = (allocstat){tcmalloc_rows[i].name, tcmalloc_rows[i].help, v};
    }
    return n;
}

/* ---- which one ------------------------------------------------------------------ */

static const struct {
    const char *symbol;
    size_t (*read)(void *fn, allocstat *out);
} allocators[] = {
    /* glibc last: tcmalloc defines a mallinfo of its own, and may a mallinfo2 */
    {"mallctl", read_jemalloc},
    {"MallocExtension_GetNumericProperty", read_tcmalloc},
    {"mallinfo2", read_glibc},
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static void *found_fn;
static size_t (*found_read)(void *, allocstat *);

/* The first allocator whose symbol the object of real.malloc defines.
 * Each failed lookup leaves a message for dlerror(), which glibc allocates
 * with malloc: taken back at once, so that the program's next dlerror()
 * answers as it would without heapprof. */
static void find(void)
{
    int saved = errno;
    void *m;
    Dl_info in_malloc, in_fn;
    /* POSIX guarantees data and function pointers convert; memcpy keeps
     * -Wpedantic quiet about it. */
    memcpy(&m, &real.malloc, sizeof m);
    if (!m || !dladdr(m, &in_malloc)) {
        errno = saved;
        return;
    }
    for (size_t i = 0; i < sizeof allocators / sizeof allocators[0]; i++) {
        void *f = dlsym(RTLD_DEFAULT, allocators[i].symbol);
        if (!f)
            (void)dlerror();
        if (f && dladdr(f, &in_fn) && in_fn.dli_fbase == in_malloc.dli_fbase) {
            found_fn = f;
            found_read = allocators[i].read;
            break;
        }
    }
    errno = saved;
}

/* Called by the thread that starts the HTTP server (a program thread: in
 * the constructor, as a rule), never by the HTTP thread, the only reader:
 * dlsym's messages come from malloc, and glibc gives a thread its own
 * arena at its first call (64 MiB of address space; mem.c), which the
 * HTTP thread's first /metrics added to the program
 * (lifecycle_host_malloc_tuning). */
void allocstats_find(void) { pthread_once(&once, find); }

size_t allocstats_read(allocstat *out)
{
    pthread_once(&once, find);
    if (!found_read)
        return 0;
    static allocstat last[ALLOCSTATS_MAX];
    static size_t nlast;
    static double taken = -1e9;
    double now = clock_mono_s();
    if (now - taken >= ALLOCSTATS_EVERY_S) {
        nlast = found_read(found_fn, last);
        taken = now;
    }
    memcpy(out, last, nlast * sizeof *out);
    return nlast;
}

/*
 * real.h - the allocator heapprof sits on: the next definition of each
 * entry point in link order (glibc, or jemalloc/tcmalloc preloaded after
 * heapprof), found once with dlsym(RTLD_NEXT).
 *
 * Before it is resolved, every pointer in `real` leads to a bootstrap
 * function that resolves first, so the shim can call through `real`
 * unconditionally.  dlsym itself calls calloc (for its error buffer) while
 * resolving; on the resolving thread such calls are served from a small
 * static arena whose blocks are pinned in the live filter, so free(),
 * realloc() and malloc_usable_size() route them back here.
 */
#ifndef HEAPPROF_REAL_H
#define HEAPPROF_REAL_H

#include <stdbool.h>
#include <stddef.h>

typedef struct real_allocator {
    void *(*malloc)(size_t);
    void (*free)(void *);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    void *(*reallocarray)(void *, size_t, size_t);
    int (*posix_memalign)(void **, size_t, size_t);
    void *(*aligned_alloc)(size_t, size_t);
    void *(*memalign)(size_t, size_t);
    void *(*valloc)(size_t);
    void *(*pvalloc)(size_t);
    size_t (*malloc_usable_size)(void *);
    /* C++ operator new and new[], plain (`_Znwm`, `_Znam`) and nothrow,
     * and delete and delete[], plain (`_ZdlPv`, `_ZdaPv`) and sized
     * (`_ZdlPvm`, `_ZdaPvm`): the allocator's own when it defines them, as
     * jemalloc and tcmalloc do.  Their new has the allocator's fast path
     * inlined and handles failure itself (new-handler, bad_alloc); the size
     * spares their delete a lookup: under jemalloc, heapprof's cost on the
     * cxx workload went from 96 to 36 instructions per step (cachegrind,
     * docs/benchmarks.md finding 7).  New and delete come as a set: a
     * debugging allocator (tcmalloc_debug) checks that what its new
     * allocated its delete frees, and aborts the program on a free() of it
     * (finding 27 in docs/benchmarks.md).  Otherwise (glibc) new is malloc with libstdc++'s
     * operator new on failure, and delete is free: libstdc++'s own would
     * call malloc and free, through heapprof's shim a second time.  The
     * aligned forms are memalign and free everywhere. */
    void *(*cxx_new)(size_t);
    void *(*cxx_new_array)(size_t);
    void *(*cxx_new_nothrow)(size_t, const void *);
    void *(*cxx_new_array_nothrow)(size_t, const void *);
    void (*cxx_delete)(void *);
    void (*cxx_delete_array)(void *);
    void (*cxx_delete_sized)(void *, size_t);
    void (*cxx_delete_array_sized)(void *, size_t);
    /* jemalloc's own API, which programs call when they find jemalloc
     * (folly frees with sdallocx and resizes with rallocx): jemalloc's
     * wherever it is loaded, else equivalents over the functions above
     * (real.c).  C23's sized frees (glibc 2.43): the allocator's own, else
     * free. */
    void *(*mallocx)(size_t, int);
    void *(*rallocx)(void *, size_t, int);
    size_t (*xallocx)(void *, size_t, size_t, int);
    size_t (*sallocx)(const void *, int);
    void (*dallocx)(void *, int);
    void (*sdallocx)(void *, size_t, int);
    void (*free_sized)(void *, size_t);
    void (*free_aligned_sized)(void *, size_t, size_t);
} real_allocator;

/* Hidden: inside the library a direct RIP-relative load, not a GOT lookup
 * (-fvisibility=hidden covers definitions only, not extern declarations). */
extern real_allocator real __attribute__((visibility("hidden")));

/* Resolve `real` (idempotent, thread-safe).  Returns false only on the
 * thread that is resolving, while it resolves: the caller must then use the
 * arena. */
bool real_resolve(void);

/* The bootstrap arena. */
bool real_arena_owns(const void *p);
size_t real_arena_size(const void *p);

/* Move an arena block to the real heap: realloc's answer for it, and (x)
 * rallocx's, from mallocx with its flags. */
void *real_arena_move(void *p, size_t n, bool x, int flags);

/* When the program's malloc is not heapprof's (another allocator
 * listed before it in LD_PRELOAD, or, with *program set, one linked into
 * the program): the file that defines it, else NULL.  From a constructor,
 * not inside an allocator call (it calls dlsym). */
const char *real_bypassed_by(bool *program);

/* The next definition of a function heapprof interposes besides the
 * allocator (the set*id calls), or NULL. */
typedef void (*real_fn)(void);
real_fn real_next(const char *name);

/* The C++ runtime's operator new of that (mangled) name, for the failure
 * path of heapprof's: it calls the new-handler and throws std::bad_alloc.
 * Also where the runtime is not in the search after heapprof (real.c);
 * NULL where no C++ runtime is loaded. */
real_fn real_next_cxx(const char *name);

#endif

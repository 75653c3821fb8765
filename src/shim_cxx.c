/*
 * shim_cxx.c - C++ operator new and delete, every form, under their
 * Itanium-ABI mangled names (x86_64: size_t is 'm').
 *
 * Why heapprof defines them instead of relying on libstdc++'s, which call
 * malloc: an allocator preloaded after heapprof (jemalloc, tcmalloc) defines
 * its own operator new that never calls malloc, and it would win over
 * libstdc++'s, hiding every C++ allocation.
 *
 * Success path: the same as malloc/free, so new and malloc share one heap
 * and one set of samples.  Plain and nothrow new and new[], and plain,
 * nothrow and sized delete and delete[], go to the allocator's own
 * operators when it defines them (real.h): what its new allocated, its
 * delete frees, which a debugging allocator checks.  The aligned forms go
 * to memalign and free.  Failure path: the allocator's own new, or else
 * the next operator new of the same form, calls the new-handler and
 * throws std::bad_alloc (or returns NULL for nothrow) exactly as the
 * program expects; this file needs no C++ runtime of its own.
 */
#define _GNU_SOURCE
#include <stddef.h>

#include "shim.h"

typedef void *(*new_aligned_fn)(size_t, size_t);
typedef void *(*new_aligned_nothrow_fn)(size_t, size_t, const void *);

#define NEW_ALIGNED(name)                                            \
    EXPORT void *name(size_t n, size_t align)                        \
    {                                                                \
        void *p = shim_memalign(align, n);                           \
        if (hp_likely(p != NULL))                                    \
            return p;                                                \
        new_aligned_fn next = (new_aligned_fn)real_next_cxx(#name);   \
        return next ? next(n, align) : NULL;                         \
    }
#define NEW_ALIGNED_NOTHROW(name)                                              \
    EXPORT void *name(size_t n, size_t align, const void *tag)                 \
    {                                                                          \
        void *p = shim_memalign(align, n);                                     \
        if (hp_likely(p != NULL))                                              \
            return p;                                                          \
        new_aligned_nothrow_fn next = (new_aligned_nothrow_fn)real_next_cxx(#name); \
        return next ? next(n, align, tag) : NULL;                              \
    }
/* The deletes drop what else they are given (the nothrow tag; an aligned
 * delete's size and alignment, as its new was memalign): hints, which
 * ignoring is always correct.  The plain sized ones hand the size on to the
 * allocator's own sized delete when it has one (real.h): it saves the
 * allocator a lookup of its own. */
#define DELETE(name, body, ...) \
    EXPORT void name(void *p, ##__VA_ARGS__) { body(p); }
#define DELETE_SIZED(name, body) \
    EXPORT void name(void *p, size_t n) { body(p, n); }

/* operator new(size_t), new[](size_t): the allocator's own when it has one
 * (real.h), which also handles failure */
EXPORT void *_Znwm(size_t n) { return shim_new(n); }
EXPORT void *_Znam(size_t n) { return shim_new_array(n); }
/* operator new(size_t, const std::nothrow_t&), and [] */
EXPORT void *_ZnwmRKSt9nothrow_t(size_t n, const void *tag) { return shim_new_nothrow(n, tag); }
EXPORT void *_ZnamRKSt9nothrow_t(size_t n, const void *tag) { return shim_new_array_nothrow(n, tag); }
/* operator new(size_t, std::align_val_t), and [] */
NEW_ALIGNED(_ZnwmSt11align_val_t)
NEW_ALIGNED(_ZnamSt11align_val_t)
/* operator new(size_t, std::align_val_t, const std::nothrow_t&), and [] */
NEW_ALIGNED_NOTHROW(_ZnwmSt11align_val_tRKSt9nothrow_t)
NEW_ALIGNED_NOTHROW(_ZnamSt11align_val_tRKSt9nothrow_t)

/* operator delete(void*), and [] */
DELETE(_ZdlPv, shim_delete)
DELETE(_ZdaPv, shim_delete_array)
/* operator delete(void*, size_t), and [] */
DELETE_SIZED(_ZdlPvm, shim_delete_sized)
DELETE_SIZED(_ZdaPvm, shim_delete_array_sized)
/* operator delete(void*, const std::nothrow_t&), and [] */
DELETE(_ZdlPvRKSt9nothrow_t, shim_delete, const void *tag)
DELETE(_ZdaPvRKSt9nothrow_t, shim_delete_array, const void *tag)
/* operator delete(void*, std::align_val_t), and [] */
DELETE(_ZdlPvSt11align_val_t, shim_free, size_t align)
DELETE(_ZdaPvSt11align_val_t, shim_free, size_t align)
/* operator delete(void*, size_t, std::align_val_t), and [] */
DELETE(_ZdlPvmSt11align_val_t, shim_free, size_t n, size_t align)
DELETE(_ZdaPvmSt11align_val_t, shim_free, size_t n, size_t align)
/* operator delete(void*, std::align_val_t, const std::nothrow_t&), and [] */
DELETE(_ZdlPvSt11align_val_tRKSt9nothrow_t, shim_free, size_t align, const void *tag)
DELETE(_ZdaPvSt11align_val_tRKSt9nothrow_t, shim_free, size_t align, const void *tag)

/*
 * real.c - see real.h.
 *
 * Resolution is a three-state once: 0 unresolved, 1 resolving, 2 done.  The
 * resolving thread is recognised by a thread-local flag; any other thread
 * that arrives meanwhile yields until it is done (this happens at most
 * once per process, during the first allocation).
 *
 * Arena blocks carry their size in the 16 bytes before them; the arena is
 * never reused (dlsym's few allocations are all it ever serves).
 */
#define _GNU_SOURCE
#include "real.h"

#include <dlfcn.h>
#include <errno.h>
#include <gnu/libc-version.h>
#include <link.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "live.h"
#include "log.h"
#include "profiler.h"

enum { ARENA_BYTES = 64 * 1024 };

static void *boot_malloc(size_t n);
static void boot_free(void *p);
static void *boot_calloc(size_t n, size_t m);
static void *boot_realloc(void *p, size_t n);
static void *boot_reallocarray(void *p, size_t n, size_t m);
static int boot_posix_memalign(void **out, size_t align, size_t n);
static void *boot_aligned_alloc(size_t align, size_t n);
static void *boot_memalign(size_t align, size_t n);
static void *boot_valloc(size_t n);
static void *boot_pvalloc(size_t n);
static size_t boot_malloc_usable_size(void *p);
static void *boot_new(size_t n);
static void *boot_new_array(size_t n);
static void *boot_new_nothrow(size_t n, const void *tag);
static void *boot_new_array_nothrow(size_t n, const void *tag);
static void boot_delete_sized(void *p, size_t n);
static void *new_via_malloc(size_t n);
static void *new_array_via_malloc(size_t n);
static void *new_nothrow_via_malloc(size_t n, const void *tag);
static void *new_array_nothrow_via_malloc(size_t n, const void *tag);
static void free_unsized(void *p, size_t n);
static void *mallocx_over_malloc(size_t n, int flags);
static void *rallocx_over_realloc(void *p, size_t n, int flags);
static size_t xallocx_over_usable(void *p, size_t n, size_t extra, int flags);
static size_t sallocx_over_usable(const void *p, int flags);
static void dallocx_over_free(void *p, int flags);
static void sdallocx_over_free(void *p, size_t n, int flags);
static void free_sized_over_free(void *p, size_t n);
static void free_aligned_over_free(void *p, size_t align, size_t n);
static void *boot_mallocx(size_t n, int flags);
static void *boot_rallocx(void *p, size_t n, int flags);
static size_t boot_xallocx(void *p, size_t n, size_t extra, int flags);
static size_t boot_sallocx(const void *p, int flags);
static void boot_dallocx(void *p, int flags);
static void boot_sdallocx(void *p, size_t n, int flags);
static void boot_free_sized(void *p, size_t n);
static void boot_free_aligned_sized(void *p, size_t align, size_t n);

real_allocator real = {
    boot_malloc,  boot_free,          boot_calloc,   boot_realloc,
    boot_reallocarray, boot_posix_memalign, boot_aligned_alloc, boot_memalign,
    boot_valloc,  boot_pvalloc,       boot_malloc_usable_size,
    boot_new,     boot_new_array,     boot_new_nothrow, boot_new_array_nothrow,
    boot_free,    boot_free,          boot_delete_sized, boot_delete_sized,
    boot_mallocx, boot_rallocx, boot_xallocx, boot_sallocx, boot_dallocx, boot_sdallocx,
    boot_free_sized, boot_free_aligned_sized,
};

/* What a program's own call to each reaches (host_definition), where that
 * is not heapprof's, else the next one; NULL where the program's malloc is
 * another allocator's that lacks the function.  The equivalents of
 * jemalloc's API (below) serve blocks from these, so that the program can
 * give them to its free.  Through a non-PIE program's canonical PLT entry
 * they may reach heapprof's own entry points again (mallocx_over_malloc
 * keeps those from counting the block twice) rather than a block going to
 * the wrong allocator. */
static struct {
    void *(*malloc)(size_t);
    void (*free)(void *);
    void *(*realloc)(void *, size_t);
    void *(*memalign)(size_t, size_t);
    size_t (*malloc_usable_size)(void *);
} host;

static int state;
static __thread int resolving;
static _Alignas(4096) char arena[ARENA_BYTES];
static size_t arena_used;

bool real_arena_owns(const void *p)
{
    return (const char *)p >= arena && (const char *)p < arena + ARENA_BYTES;
}

size_t real_arena_size(const void *p)
{
    size_t n;
    memcpy(&n, (const char *)p - 16, sizeof n);
    return n;
}

static void *real_arena_alloc(size_t size, size_t align)
{
    if (align < 16)
        align = 16;
    if (align > 4096 || (align & (align - 1)) || size > ARENA_BYTES)
        return NULL;
    size_t cur = __atomic_load_n(&arena_used, __ATOMIC_RELAXED), start, end;
    do {
        start = (cur + 16 + align - 1) & ~(align - 1);
        end = start + size;
        if (end > ARENA_BYTES)
            return NULL;
    } while (!__atomic_compare_exchange_n(&arena_used, &cur, end, true, __ATOMIC_RELAXED,
                                          __ATOMIC_RELAXED));
    char *p = arena + start;
    memcpy(p - 16, &size, sizeof size);
    live_pin(p);
    return p;
}

/* The version of glibc's malloc family that programs bind to, where this
 * platform's is known.  An allocator can define its entry points under that
 * version only, as non-default symbols (glibc's own libc_malloc_debug.so
 * does: malloc@GLIBC_2.2.5), which the program's references reach but an
 * unversioned dlsym skips: heapprof would then take libc's malloc past the
 * debugging allocator the user preloaded, and its checks (MALLOC_CHECK_=3)
 * would see nothing. */
static const char *glibc_version(const char *name)
{
#if defined(__x86_64__)
    const char *base = "GLIBC_2.2.5", *aligned = "GLIBC_2.16", *array = "GLIBC_2.26";
#elif defined(__aarch64__)
    const char *base = "GLIBC_2.17", *aligned = "GLIBC_2.17", *array = "GLIBC_2.26";
#else
    const char *base = NULL, *aligned = NULL, *array = NULL;
#endif
    static const char *const same[] = {"malloc", "free", "calloc", "realloc", "posix_memalign",
                                       "memalign", "valloc", "pvalloc", "malloc_usable_size"};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++)
        if (!strcmp(name, same[i]))
            return base;
    if (!strcmp(name, "aligned_alloc"))
        return aligned;
    if (!strcmp(name, "reallocarray"))
        return array;
    return NULL;
}

/* The object that address a is in, or NULL.  _dl_find_object (glibc 2.35)
 * is a binary search over the loaded objects' ranges, where dladdr scans
 * the object's whole symbol table for the nearest symbol: real_resolve's
 * two dozen dladdr calls were 1.2 million of the 2.2 million instructions
 * a profiled /bin/true ran, every process paying them at its start. */
static struct link_map *object_of(const void *a)
{
#ifdef DLFO_EH_SEGMENT_TYPE
    struct dl_find_object o;
    if (_dl_find_object((void *)a, &o) == 0)
        return o.dlfo_link_map;
#endif
    Dl_info info;
    struct link_map *l = NULL;
    return dladdr1(a, &info, (void **)&l, RTLD_DL_LINKMAP) ? l : NULL;
}

/* Whether the object defining a comes before the one defining b in load
 * order, which is the order the search after heapprof takes for the
 * objects loaded at start (the allocators' libraries). */
static bool loaded_before(void *a, void *b)
{
    struct link_map *la = object_of(a), *lb = object_of(b);
    if (!la || !lb)
        return false;
    for (const struct link_map *l = la->l_next; l; l = l->l_next)
        if (l == lb)
            return true;
    return false;
}

/* The definition of name that a program's call reaches, searching handle
 * (RTLD_NEXT: after heapprof; RTLD_DEFAULT: from the program on): the first,
 * in search order, of the default one (dlsym) and the one under glibc's
 * version (dlvsym). */
static void *first_definition(void *handle, const char *name)
{
    void *any = dlsym(handle, name);
    const char *v = glibc_version(name);
    void *versioned = v ? dlvsym(handle, name, v) : NULL;
    if (!versioned || versioned == any)
        return any;
    if (!any)
        return versioned;
    return loaded_before(versioned, any) ? versioned : any;
}

static void *next(const char *name) { return first_definition(RTLD_NEXT, name); }

/* What a program's call to name reaches, when that is not heapprof's own
 * definition: the first from the program on.  A non-PIE program that takes
 * the function's address (python3 takes malloc's) has a canonical PLT entry
 * for it, which dlsym returns too (*stub): not a definition (its symbol is
 * undefined), but a jump to the next one, which this cannot see from here.
 * (Walking the preloads before heapprof instead needs dlopen(RTLD_NOLOAD)
 * of each, which would run their constructors early, from inside ours; a
 * link map used as a handle has no search list yet.)  *in: the object it is
 * in. */
static void *host_definition(const char *name, struct link_map **in, bool *stub)
{
    Dl_info fi;
    struct link_map *me = object_of(&state), *fl; /* an object of ours */
    const ElfW(Sym) *sym = NULL;
    *stub = false;
    if (!me)
        return NULL;
    void *f = first_definition(RTLD_DEFAULT, name);
    if (!f || !(fl = object_of(f)) || fl == me)
        return NULL;
    *stub = !fl->l_prev && !(dladdr1(f, &fi, (void **)&sym, RTLD_DL_SYMENT) && sym &&
                             sym->st_shndx != SHN_UNDEF && fi.dli_saddr == f);
    *in = fl;
    return f;
}

/* What host_definition("malloc") answered in real_resolve, kept for
 * real_bypassed_by, which the constructor calls next: the same two lookups
 * (dlsym and dlvsym, over every object) again at every start. */
static struct {
    void *f;
    struct link_map *in;
    bool stub;
} host_malloc;

const char *real_bypassed_by(bool *program)
{
    struct link_map *fl = host_malloc.in;
    Dl_info fi;
    bool stub = host_malloc.stub;
    void *f = host_malloc.f;
    if (__atomic_load_n(&state, __ATOMIC_ACQUIRE) != 2)
        f = host_definition("malloc", &fl, &stub);
    *program = f && !stub && !fl->l_prev;
    if (!f || stub || !dladdr(f, &fi))
        return NULL; /* heapprof's, or cannot tell */
    return fi.dli_fname && fi.dli_fname[0] ? fi.dli_fname : fl->l_name;
}

static void die_unresolved(const char *name)
{
    /* Without the real allocator there is nothing to forward to; carrying on
     * would crash the program in a less explicable place. */
    static const char msg[] = "cannot find the next definition of ";
    char prefix[LOG_PREFIX_MAX];
    (void)!write(2, prefix, log_prefix(prefix));
    (void)!write(2, msg, sizeof msg - 1);
    (void)!write(2, name, strlen(name));
    (void)!write(2, "; remove libheapprof.so from LD_PRELOAD\n", 40);
    _exit(127);
}

bool real_resolve(void)
{
    if (__atomic_load_n(&state, __ATOMIC_ACQUIRE) == 2)
        return true;
    if (resolving)
        return false;
    int expect = 0;
    if (!__atomic_compare_exchange_n(&state, &expect, 1, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        while (__atomic_load_n(&state, __ATOMIC_ACQUIRE) != 2)
            sched_yield();
        return true;
    }
    resolving = 1;
    int saved = errno;
    real_allocator r;
#define RESOLVE(field, required)                        \
    do {                                                \
        *(void **)&r.field = next(#field);              \
        if (!r.field && (required))                     \
            die_unresolved(#field);                     \
    } while (0)
    RESOLVE(malloc, 1);
    RESOLVE(free, 1);
    RESOLVE(calloc, 1);
    RESOLVE(realloc, 1);
    RESOLVE(reallocarray, 0);
    RESOLVE(posix_memalign, 1);
    RESOLVE(aligned_alloc, 0);
    RESOLVE(memalign, 0);
    RESOLVE(valloc, 0);
    RESOLVE(pvalloc, 0);
    RESOLVE(malloc_usable_size, 0);
#undef RESOLVE
    /* Optional entry points missing from the next allocator keep their
     * bootstrap function, which implements them over the required ones.
     * "Missing" includes found further down the chain: jemalloc has no
     * pvalloc, so RTLD_NEXT finds glibc's, whose block jemalloc's free
     * would then be handed; only a definition from the same object as the
     * next malloc belongs to that allocator. */
    struct link_map *malloc_obj = object_of(*(void **)&r.malloc);
#define KEEP_BOOT(field)                                                            \
    do {                                                                            \
        if (r.field && (!malloc_obj || object_of(*(void **)&r.field) == malloc_obj)) \
            real.field = r.field;                                                   \
    } while (0)
    real.malloc = r.malloc;
    real.free = r.free;
    real.calloc = r.calloc;
    real.realloc = r.realloc;
    real.posix_memalign = r.posix_memalign;
    KEEP_BOOT(reallocarray);
    KEEP_BOOT(aligned_alloc);
    KEEP_BOOT(memalign);
    KEEP_BOOT(valloc);
    KEEP_BOOT(pvalloc);
    KEEP_BOOT(malloc_usable_size);
#undef KEEP_BOOT
    /* C++ and the sized frees: the allocator's own, else the fallbacks
     * over malloc and free (real.h). */
    /* Not looked up where no object can own it: each lookup that fails
     * walks every object and formats a message for dlerror (six for
     * jemalloc's API in a process without jemalloc). */
#define FROM_OR(obj, field, name, fallback)          \
    do {                                             \
        void *f = (obj) ? next(name) : NULL;         \
        if (f && object_of(f) == (obj))              \
            *(void **)&real.field = f;               \
        else                                         \
            real.field = fallback;                   \
    } while (0)
#define OWN_OR(field, name, fallback) FROM_OR(malloc_obj, field, name, fallback)
    /* The C library defines no operator new or delete: where its malloc is
     * the allocator (the rule), the eight lookups, all failing, are
     * skipped.  An allocator's library (jemalloc, tcmalloc,
     * libc_malloc_debug.so) is asked as before. */
    const char *(*in_libc)(void) = gnu_get_libc_version;
    struct link_map *cxx_obj = malloc_obj == object_of(*(void **)&in_libc) ? NULL : malloc_obj;
#define CXX_OR(field, name, fallback) FROM_OR(cxx_obj, field, name, fallback)
    CXX_OR(cxx_new, "_Znwm", new_via_malloc);
    CXX_OR(cxx_new_array, "_Znam", new_array_via_malloc);
    CXX_OR(cxx_new_nothrow, "_ZnwmRKSt9nothrow_t", new_nothrow_via_malloc);
    CXX_OR(cxx_new_array_nothrow, "_ZnamRKSt9nothrow_t", new_array_nothrow_via_malloc);
    CXX_OR(cxx_delete, "_ZdlPv", r.free);
    CXX_OR(cxx_delete_array, "_ZdaPv", r.free);
    CXX_OR(cxx_delete_sized, "_ZdlPvm", free_unsized);
    CXX_OR(cxx_delete_array_sized, "_ZdaPvm", free_unsized);
#undef CXX_OR
    OWN_OR(free_sized, "free_sized", free_sized_over_free);
    OWN_OR(free_aligned_sized, "free_aligned_sized", free_aligned_over_free);
    /* jemalloc's API from jemalloc wherever it is loaded, even when it is
     * not the malloc: a library linked to jemalloc and loaded after libc
     * (by a program that needs only that library) calls it for its own
     * blocks.  The equivalents only when no object in the search defines
     * mallocx; a library that brings jemalloc in later (dlopen) then gets
     * them too, sallocx included, so that it never hands an equivalent's
     * block to jemalloc. */
    void *jm = next("mallocx");
    struct link_map *je_obj = jm ? object_of(jm) : NULL;
    FROM_OR(je_obj, mallocx, "mallocx", mallocx_over_malloc);
    FROM_OR(je_obj, rallocx, "rallocx", rallocx_over_realloc);
    FROM_OR(je_obj, xallocx, "xallocx", xallocx_over_usable);
    FROM_OR(je_obj, sallocx, "sallocx", sallocx_over_usable);
    FROM_OR(je_obj, dallocx, "dallocx", dallocx_over_free);
    FROM_OR(je_obj, sdallocx, "sdallocx", sdallocx_over_free);
#undef OWN_OR
#undef FROM_OR
    struct link_map *in;
    bool stub, bypassed;
#define HOST(field)                                                \
    do {                                                           \
        void *h = host_definition(#field, &in, &stub);             \
        *(void **)&host.field = h ? h : *(void **)&real.field;     \
    } while (0)
    host_malloc.f = host_definition("malloc", &host_malloc.in, &host_malloc.stub);
    *(void **)&host.malloc = host_malloc.f ? host_malloc.f : *(void **)&real.malloc;
    stub = host_malloc.stub;
    bypassed = host.malloc != real.malloc && !stub;
    HOST(free);
    HOST(realloc);
    HOST(memalign);
    HOST(malloc_usable_size);
#undef HOST
    /* The program's malloc is another allocator's (listed before heapprof,
     * or the program's own): what that allocator lacks cannot come from
     * the next one, whose blocks its free would be handed: the equivalents
     * then fail. */
    if (bypassed) {
        if (host.realloc == real.realloc)
            host.realloc = NULL;
        if (host.memalign == real.memalign)
            host.memalign = NULL;
        if (host.malloc_usable_size == real.malloc_usable_size)
            host.malloc_usable_size = NULL;
    }
    if (host.malloc_usable_size == boot_malloc_usable_size)
        host.malloc_usable_size = NULL;
    errno = saved;
    resolving = 0;
    __atomic_store_n(&state, 2, __ATOMIC_RELEASE);
    return true;
}

real_fn real_next(const char *name)
{
    real_resolve();
    real_fn f;
    *(void **)&f = next(name); /* the conversion POSIX's dlsym page prescribes */
    return f;
}

real_fn real_next_cxx(const char *name)
{
    real_fn f = real_next(name);
    if (f)
        return f;
    /* A C program that opens a C++ library with dlopen (an interpreter's
     * extension module) has the C++ runtime come in with that library, in
     * its local scope unless RTLD_GLOBAL: not in the search after heapprof,
     * whose operator new still serves the library's calls.  It returned
     * NULL when it could not allocate, where the program's catch of
     * std::bad_alloc expected the throw, and called no new-handler
     * (integ_dlopen_cxx).  So ask the runtimes by name, if they are
     * loaded (RTLD_NOLOAD); a handle's search is the library and its own
     * dependencies, which heapprof is not one of.  The handle goes back
     * through the next dlclose: heapprof's would record the library as
     * unloaded (retired.c). */
    static const char *const runtimes[] = {"libstdc++.so.6", "libc++.so.1"};
    int (*close_next)(void *);
    *(void **)&close_next = next("dlclose");
    for (size_t i = 0; !f && i < sizeof runtimes / sizeof runtimes[0]; i++) {
        void *h = dlopen(runtimes[i], RTLD_LAZY | RTLD_NOLOAD);
        if (!h)
            continue;
        *(void **)&f = dlsym(h, name);
        if (close_next)
            close_next(h);
    }
    /* The lookups that failed (RTLD_NEXT's, a runtime not loaded) left
     * their messages for this thread's next dlerror(), which the program
     * would then read as its own: cleared, as allocstats.c does. */
    dlerror();
    return f;
}

/* operator new over malloc.  On failure the next operator new (libstdc++'s)
 * runs: it calls the new-handler and throws std::bad_alloc, so this file
 * needs no C++ runtime of its own. */
typedef void *(*new_fn)(size_t);

static void *new_over_malloc(size_t n, const char *next_name)
{
    void *p = real.malloc(n);
    if (p)
        return p;
    new_fn then = (new_fn)real_next_cxx(next_name);
    return then ? then(n) : NULL;
}

static void *new_via_malloc(size_t n) { return new_over_malloc(n, "_Znwm"); }

static void *new_array_via_malloc(size_t n) { return new_over_malloc(n, "_Znam"); }

/* The nothrow forms the same way: on failure the next one (libstdc++'s)
 * calls the new-handler and returns NULL. */
typedef void *(*new_nothrow_fn)(size_t, const void *);
static void *new_nothrow_over_malloc(size_t n, const void *tag, const char *next_name)
{
    void *p = real.malloc(n);
    if (p)
        return p;
    new_nothrow_fn then = (new_nothrow_fn)real_next_cxx(next_name);
    return then ? then(n, tag) : NULL;
}

static void *new_nothrow_via_malloc(size_t n, const void *tag)
{
    return new_nothrow_over_malloc(n, tag, "_ZnwmRKSt9nothrow_t");
}

static void *new_array_nothrow_via_malloc(size_t n, const void *tag)
{
    return new_nothrow_over_malloc(n, tag, "_ZnamRKSt9nothrow_t");
}

static void free_unsized(void *p, size_t n)
{
    (void)n;
    real.free(p);
}

/* jemalloc's API over the standard one, where no jemalloc is loaded
 * (glibc, tcmalloc): heapprof exports these names so that it sees the calls
 * when jemalloc is there, and then a program that finds them must get what
 * jemalloc would give.  The flags that matter outside jemalloc are the
 * alignment (MALLOCX_LG_ALIGN, the low six bits) and MALLOCX_ZERO; the
 * arena and thread-cache ones name jemalloc's own structures, which only a
 * library that opened jemalloc itself can have made (README), and are
 * ignored. */
enum { MALLOCX_LG_ALIGN_BITS = 0x3f, MALLOCX_ZERO_FLAG = 0x40 };

static size_t mallocx_align(int flags)
{
    int lg = flags & MALLOCX_LG_ALIGN_BITS;
    return lg ? (size_t)1 << lg : 0;
}

static size_t host_usable(const void *p)
{
    return host.malloc_usable_size ? host.malloc_usable_size((void *)p) : 0;
}

static void *host_mallocx(size_t n, int flags)
{
    size_t align = mallocx_align(flags);
    /* Any alignment asked for goes to memalign: malloc's can be less than
     * 16 bytes (tcmalloc's 8-byte size class). */
    if (align && !host.memalign) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = align ? host.memalign(align, n) : host.malloc(n);
    /* MALLOCX_ZERO zeroes all of the block, as far as its usable size: a
     * zeroing rallocx zeroes only what lies beyond that. */
    if (p && (flags & MALLOCX_ZERO_FLAG)) {
        size_t u = host_usable(p);
        memset(p, 0, u > n ? u : n);
    }
    return p;
}

/* rallocx never frees: NULL means the block is as it was.  An alignment is
 * kept by taking the aligned block first, so that a failure leaves p alone,
 * and moving realloc's result there by hand if realloc lost it.
 * MALLOCX_ZERO zeroes what lies past the old usable size up to the new
 * one (past what was copied, for a block that moved), which an allocator
 * without malloc_usable_size cannot tell: then it fails. */
static void *host_rallocx(void *p, size_t n, int flags)
{
    size_t align = mallocx_align(flags), old = 0;
    bool zero = flags & MALLOCX_ZERO_FLAG;
    if (!n)
        return NULL; /* jemalloc's rallocx takes no 0; realloc would free */
    if (!host.realloc || (zero && !host.malloc_usable_size) || (align && !host.memalign)) {
        errno = ENOMEM;
        return NULL;
    }
    if (zero)
        old = host_usable(p);
    void *aligned = NULL;
    if (align && !(aligned = host.memalign(align, n)))
        return NULL;
    uintptr_t was = (uintptr_t)p;
    void *q = host.realloc(p, n);
    if (aligned) {
        if (q && ((uintptr_t)q & (align - 1))) {
            memcpy(aligned, q, n);
            host.free(q);
            q = aligned;
        } else {
            host.free(aligned);
        }
    }
    if (q && zero) {
        /* As far as the usable size, as host_mallocx.  A block that moved
         * holds only what was copied, up to n, of the old one. */
        size_t u = host_usable(q), end = u > n ? u : n;
        size_t from = (uintptr_t)q == was || old < n ? old : n;
        if (end > from)
            memset((char *)q + from, 0, end - from);
    }
    return q;
}

/* Through a canonical PLT entry (host_definition) a host function may be
 * heapprof's own entry point again, whose countdown would count the block a
 * second time: the profiler's guard keeps it out of that (and restores the
 * countdown), and the caller's shim counts it once. */
static void *mallocx_over_malloc(size_t n, int flags)
{
    int64_t g = profiler_guard_enter();
    void *p = host_mallocx(n, flags);
    profiler_guard_exit(g);
    return p;
}

static void *rallocx_over_realloc(void *p, size_t n, int flags)
{
    int64_t g = profiler_guard_enter();
    void *q = host_rallocx(p, n, flags);
    profiler_guard_exit(g);
    return q;
}

/* xallocx resizes in place or not at all, and answers the block's size
 * then, which may be less than n (a failure).  Over another allocator it
 * cannot grow a block, but a block is already as large as its usable size;
 * 0 where that is unknown. */
static size_t xallocx_over_usable(void *p, size_t n, size_t extra, int flags)
{
    (void)n;
    (void)extra;
    (void)flags;
    return host_usable(p);
}

static size_t sallocx_over_usable(const void *p, int flags)
{
    (void)flags;
    return host_usable(p);
}

static void dallocx_over_free(void *p, int flags)
{
    (void)flags;
    host.free(p);
}

static void sdallocx_over_free(void *p, size_t n, int flags)
{
    (void)n;
    (void)flags;
    host.free(p);
}

static void free_sized_over_free(void *p, size_t n)
{
    (void)n;
    host.free(p);
}

static void free_aligned_over_free(void *p, size_t align, size_t n)
{
    (void)align;
    (void)n;
    host.free(p);
}

/* Bootstrap versions: resolve, then forward; on the resolving thread, use
 * the arena.  The optional ones stay in place when the next allocator lacks
 * them, so they must also work after resolution. */
static void *boot_malloc(size_t n)
{
    return real_resolve() ? real.malloc(n) : real_arena_alloc(n, 16);
}

static void boot_free(void *p)
{
    if (real_arena_owns(p))
        return;
    if (real_resolve())
        real.free(p);
}

/* The C++ ones only until resolution, which replaces them. */
static void *boot_new(size_t n)
{
    return real_resolve() ? real.cxx_new(n) : real_arena_alloc(n, 16);
}

static void *boot_new_array(size_t n)
{
    return real_resolve() ? real.cxx_new_array(n) : real_arena_alloc(n, 16);
}

static void *boot_new_nothrow(size_t n, const void *tag)
{
    return real_resolve() ? real.cxx_new_nothrow(n, tag) : real_arena_alloc(n, 16);
}

static void *boot_new_array_nothrow(size_t n, const void *tag)
{
    return real_resolve() ? real.cxx_new_array_nothrow(n, tag) : real_arena_alloc(n, 16);
}

static void boot_delete_sized(void *p, size_t n)
{
    (void)n;
    boot_free(p);
}

static void *boot_calloc(size_t n, size_t m)
{
    if (real_resolve())
        return real.calloc(n, m);
    size_t t;
    return __builtin_mul_overflow(n, m, &t) ? NULL : real_arena_alloc(t, 16);
}

void *real_arena_move(void *p, size_t n, bool x, int flags)
{
    void *q = !real_resolve() ? real_arena_alloc(n, 16) : x ? real.mallocx(n, flags)
                                                            : real.malloc(n);
    if (q && p) {
        size_t old = real_arena_size(p);
        memcpy(q, p, old < n ? old : n);
    }
    return q;
}

static void *boot_realloc(void *p, size_t n)
{
    if (real_resolve() && !real_arena_owns(p))
        return real.realloc(p, n);
    return real_arena_move(p, n, false, 0);
}

static void *boot_reallocarray(void *p, size_t n, size_t m)
{
    size_t t;
    if (__builtin_mul_overflow(n, m, &t)) {
        errno = ENOMEM;
        return NULL;
    }
    return real.realloc(p, t);
}

static int boot_posix_memalign(void **out, size_t align, size_t n)
{
    if (real_resolve())
        return real.posix_memalign(out, align, n);
    void *p = real_arena_alloc(n, align);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

static void *boot_memalign(size_t align, size_t n)
{
    void *p = NULL;
    int err = real.posix_memalign(&p, align < sizeof(void *) ? sizeof(void *) : align, n);
    if (err)
        errno = err;
    return err ? NULL : p;
}

static void *boot_aligned_alloc(size_t align, size_t n) { return boot_memalign(align, n); }

static void *boot_valloc(size_t n) { return boot_memalign((size_t)sysconf(_SC_PAGESIZE), n); }

static void *boot_pvalloc(size_t n)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (n > SIZE_MAX - (page - 1)) { /* rounded up, it would wrap to 0 */
        errno = ENOMEM;
        return NULL;
    }
    return boot_memalign(page, (n + page - 1) & ~(page - 1));
}

static size_t boot_malloc_usable_size(void *p)
{
    /* Without the next allocator's answer, the requested size is the only
     * safe one to give. */
    return p && real_arena_owns(p) ? real_arena_size(p) : 0;
}

/* jemalloc's API and the sized frees before resolution: resolve, then
 * forward, so that a block never comes from an equivalent when jemalloc's
 * own functions are there (a library's constructor can make the process's
 * first allocation with mallocx).  Only blocks of the arena exist before
 * resolution, and the shim keeps those from these (profiler.c); on the
 * resolving thread these only fail. */
static void *boot_mallocx(size_t n, int flags)
{
    return real_resolve() ? real.mallocx(n, flags) : real_arena_alloc(n, mallocx_align(flags));
}

static void *boot_rallocx(void *p, size_t n, int flags)
{
    return real_resolve() ? real.rallocx(p, n, flags) : NULL;
}

static size_t boot_xallocx(void *p, size_t n, size_t extra, int flags)
{
    return real_resolve() ? real.xallocx(p, n, extra, flags) : 0;
}

static size_t boot_sallocx(const void *p, int flags)
{
    return real_resolve() ? real.sallocx(p, flags) : 0;
}

static void boot_dallocx(void *p, int flags)
{
    if (real_resolve())
        real.dallocx(p, flags);
}

static void boot_sdallocx(void *p, size_t n, int flags)
{
    if (real_resolve())
        real.sdallocx(p, n, flags);
}

static void boot_free_sized(void *p, size_t n)
{
    if (real_resolve())
        real.free_sized(p, n);
}

static void boot_free_aligned_sized(void *p, size_t align, size_t n)
{
    if (real_resolve())
        real.free_aligned_sized(p, align, n);
}

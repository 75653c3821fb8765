/*
 * wrappers.c - see wrappers.h.
 *
 * Exact names, then prefixes.  A runtime's allocation API counts where a
 * site would otherwise read the same for every object the program makes:
 * without CPython's, a Python program's every leak read
 * "_PyObject_Malloc <- _PyObject_Malloc" (an inlined copy of itself), and
 * a Rust program's "alloc::raw_vec::finish_grow <- alloc::raw_vec::...".
 * The standard libraries' functions all count (std::, Rust's alloc:: and
 * its HashMap's hashbrown::): a std::string or a Vec that grows allocates
 * for the code that made it grow, and a leak's site read
 * std::__cxx11::basic_string::_M_mutate <- std::__cxx11::basic_string::_M_append
 * where the code that kept the strings was a caller further down.  Names
 * a program could plausibly give a function of its own that is not an
 * allocator stay out (CPython's static gc_alloc, say): a wrong skip hides
 * the real site, and --wrapper adds what a program needs.
 */
#include "wrappers.h"

#include <fnmatch.h>
#include <stdbool.h>
#include <string.h>

#include "diag.h"

static const char *const exact[] = {
    /* C */
    "malloc", "calloc", "realloc", "reallocarray", "free", "memalign", "aligned_alloc",
    "posix_memalign", "valloc", "pvalloc", "strdup", "strndup", "__strdup", "__strndup",
    "wcsdup", "asprintf", "vasprintf", "__asprintf", "__vasprintf", "xmalloc", "xcalloc",
    "xrealloc", "xstrdup", "xstrndup",
    /* GLib */
    "g_malloc", "g_malloc0", "g_realloc", "g_malloc_n", "g_malloc0_n", "g_realloc_n",
    "g_try_malloc", "g_try_malloc0", "g_try_realloc", "g_strdup", "g_strndup",
    "g_strdup_printf", "g_strdup_vprintf", "g_memdup", "g_memdup2", "g_slice_alloc",
    "g_slice_alloc0",
    /* CPython's allocator domains, and its generic object allocation */
    "PyMem_RawMalloc", "PyMem_RawCalloc", "PyMem_RawRealloc", "PyMem_Malloc", "PyMem_Calloc",
    "PyMem_Realloc", "PyObject_Malloc", "PyObject_Calloc", "PyObject_Realloc",
    "_PyObject_Malloc", "_PyObject_Calloc", "_PyObject_Realloc", "_PyObject_New",
    "_PyObject_NewVar", "_PyObject_GC_New", "_PyObject_GC_NewVar", "_PyObject_GC_Resize",
    "_PyObject_GC_Malloc", "_PyObject_GC_Calloc", "PyType_GenericAlloc",
    "_PyType_AllocNoTrack",
    /* Perl, Ruby */
    "Perl_safesysmalloc", "Perl_safesyscalloc", "Perl_safesysrealloc", "ruby_xmalloc",
    "ruby_xmalloc2", "ruby_xcalloc", "ruby_xrealloc", "ruby_xrealloc2",
    /* Go */
    "runtime.mallocgc", "runtime.newobject", "runtime.makeslice", "runtime.growslice",
    "runtime.makemap", "runtime.makemap_small", "runtime.newarray", "runtime.rawstring",
    "runtime.rawbyteslice", "runtime.rawruneslice",
};

static const char *const prefix[] = {
    "operator new", "_Znw", "_Zna", "__libc_", "std::", "__gnu_cxx::",
    /* CPython's internal allocators (_PyMem_RawMalloc, _PyMem_DebugMalloc, pymalloc_alloc) */
    "_PyMem_", "pymalloc_",
};

/* Rust: the global allocator's shims, the alloc crate and std's HashMap
 * (hashbrown).  Once a stack's leaf frames are Rust's, core:: counts too
 * (a format! reaches the allocator through core::fmt); not before, as a
 * C++ program may well have a namespace core of its own. */
static const char *const rust_prefix[] = {"__rust_", "__rdl_", "__rg_", "alloc::", "hashbrown::"};
static const char *const rust_crates[] = {"alloc::", "core::", "std::", "hashbrown::"};

static bool starts(const char *s, size_t len, const char *p)
{
    size_t n = strlen(p);
    return len >= n && !memcmp(s, p, n);
}

static bool any_prefix(const char *s, size_t len, const char *const *ps, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (starts(s, len, ps[i]))
            return true;
    return false;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* A type of the standard library or a primitive one, behind any
 * references, pointers, dyn, slices or tuples: "&mut [u8]",
 * "alloc::string::String", "u64". */
static bool rust_lib_type(const char *t, size_t len)
{
    static const char *const wrap[] = {"&", "mut ", "*const ", "*mut ", "dyn ", "[", "("};
    for (bool more = true; more;) {
        more = false;
        for (size_t i = 0; i < COUNT(wrap); i++)
            if (starts(t, len, wrap[i])) {
                t += strlen(wrap[i]);
                len -= strlen(wrap[i]);
                more = true;
            }
    }
    if (any_prefix(t, len, rust_crates, COUNT(rust_crates)))
        return true;
    static const char *const prim[] = {"u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16",
                                       "i32", "i64", "i128", "isize", "f32", "f64", "bool",
                                       "char", "str"};
    for (size_t i = 0; i < COUNT(prim); i++) {
        size_t n = strlen(prim[i]);
        if (starts(t, len, prim[i]) && (n == len || !(t[n] == '_' || t[n] == ':' ||
                                                       (t[n] >= 'a' && t[n] <= 'z') ||
                                                       (t[n] >= 'A' && t[n] <= 'Z') ||
                                                       (t[n] >= '0' && t[n] <= '9'))))
            return true;
    }
    return false;
}

/* "<TYPE as TRAIT>::f" or "<TYPE>::f" (Rust's impls, as the demangler
 * names them): the standard library's when TYPE is its or a primitive
 * and TRAIT, if any, is its too.  A program's own impl of a standard trait
 * ("<app::Row as core::fmt::Display>::fmt") or of its own trait for a
 * standard type ("<u64 as app::Encode>::encode") is the program's code. */
static bool rust_lib_impl(const char *f)
{
    if (f[0] != '<')
        return false;
    const char *as = NULL;
    int depth = 1;
    size_t i = 1;
    for (; f[i] && depth; i++) {
        if (f[i] == '<')
            depth++;
        else if (f[i] == '>' && f[i - 1] != '-') /* not the arrow of "Fn() -> T" */
            depth--;
        else if (depth == 1 && !as && !strncmp(f + i, " as ", 4))
            as = f + i;
    }
    if (depth)
        return false;
    const char *close = f + i - 1;
    if (!as)
        return rust_lib_type(f + 1, (size_t)(close - f - 1));
    return rust_lib_type(f + 1, (size_t)(as - f - 1)) &&
           any_prefix(as + 4, (size_t)(close - as - 4), rust_crates, COUNT(rust_crates));
}

static const char *globs[WRAPPERS_MAX];
static size_t nglobs;

int wrappers_opt(const char *glob)
{
    if (!*glob)
        return diag_usage("--wrapper wants a function name or a shell pattern of names "
                          "(arena_alloc, 'pool_*')");
    if (nglobs == WRAPPERS_MAX)
        return diag_usage("at most %d --wrapper options", WRAPPERS_MAX);
    globs[nglobs++] = glob;
    return DIAG_OK;
}

/* A pattern matches the name, with the " file:line" --lines adds
 * (profile_read.h, PROFILE_READ_LINES) or without it. */
static bool glob_matches(const char *g, const char *frame)
{
    if (!fnmatch(g, frame, 0))
        return true;
    const char *sp = strrchr(frame, ' ');
    char name[512];
    size_t n = sp ? (size_t)(sp - frame) : 0;
    if (!sp || !strchr(sp, ':') || n >= sizeof name)
        return false;
    memcpy(name, frame, n);
    name[n] = '\0';
    return !fnmatch(g, name, 0);
}

/* Whether frame is a wrapper; *rust: the frames so far were Rust's. */
static bool is_wrapper(const char *frame, bool *rust)
{
    size_t len = strlen(frame);
    /* An exact name may be followed by its source line, " file:line": a
     * name holds no space after any of these. */
    for (size_t i = 0; i < COUNT(exact); i++) {
        size_t n = strlen(exact[i]);
        if (!strncmp(frame, exact[i], n) && (frame[n] == '\0' || frame[n] == ' '))
            return true;
    }
    if (any_prefix(frame, len, prefix, COUNT(prefix)))
        return true;
    if (any_prefix(frame, len, rust_prefix, COUNT(rust_prefix)) || rust_lib_impl(frame) ||
        (*rust && starts(frame, len, "core::")))
        return *rust = true;
    for (size_t i = 0; i < nglobs; i++)
        if (glob_matches(globs[i], frame))
            return true;
    return false;
}

size_t wrappers_skip(const char *const *frames, size_t n)
{
    bool rust = false;
    size_t k = 0;
    while (k + 1 < n && is_wrapper(frames[k], &rust))
        k++;
    return k;
}

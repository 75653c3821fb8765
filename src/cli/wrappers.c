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
    /* Rust: the global allocator's shims, the alloc crate, std's HashMap,
     * and their impls ("<alloc::vec::Vec<T> as core::clone::Clone>::clone") */
    "__rust_", "__rdl_", "__rg_", "alloc::", "hashbrown::", "<alloc::", "<std::", "<hashbrown::",
};

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

bool wrappers_is(const char *frame)
{
    /* An exact name may be followed by its source line, " file:line": a
     * name holds no space after any of these. */
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++) {
        size_t n = strlen(exact[i]);
        if (!strncmp(frame, exact[i], n) && (frame[n] == '\0' || frame[n] == ' '))
            return true;
    }
    for (size_t i = 0; i < sizeof prefix / sizeof prefix[0]; i++)
        if (!strncmp(frame, prefix[i], strlen(prefix[i])))
            return true;
    for (size_t i = 0; i < nglobs; i++)
        if (glob_matches(globs[i], frame))
            return true;
    return false;
}

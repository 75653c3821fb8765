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
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "ptrmap.h"

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

static bool ident_char(char c)
{
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* A type of the standard library, or a bare name (a primitive, u64, or a
 * generic parameter, T: the demangler names a program's types by their
 * paths, app::Row), behind any references, pointers, dyn, slices or
 * tuples: "&mut [u8]", "alloc::string::String", "[T]". */
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
    size_t n = 0;
    while (n < len && ident_char(t[n]))
        n++;
    return n > 0 && (n == len || t[n] != ':');
}

static bool rust_lib_impl(const char *f, int nest);

/* A trait of the standard library: its path, or an impl of its own
 * ("<[_]>::to_vec_in::ConvertVec", as v0 names it). */
static bool rust_lib_trait(const char *t, size_t len, int nest)
{
    return any_prefix(t, len, rust_crates, COUNT(rust_crates)) ||
           (len && t[0] == '<' && rust_lib_impl(t, nest + 1));
}

/* "<TYPE as TRAIT>::f" or "<TYPE>::f" (Rust's impls, as the demangler
 * names them): the standard library's when TYPE is its, a primitive or a
 * generic parameter, and TRAIT, if any, is its too.  A program's own impl
 * of a standard trait ("<app::Row as core::fmt::Display>::fmt") or of its
 * own trait for a standard type ("<alloc::vec::Vec<u8> as app::Journal>::
 * record", "<u64 as app::Encode>::encode") is the program's code.  nest
 * bounds the recursion through a trait that is itself an impl: a crafted
 * name of a million '<' must not exhaust the stack. */
static bool rust_lib_impl(const char *f, int nest)
{
    if (f[0] != '<' || nest > 4)
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
           rust_lib_trait(as + 4, (size_t)(close - as - 4), nest);
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

static bool lines_mode;

void wrappers_lines(void) { lines_mode = true; }

/* A pattern matches the frame's function name.  Under --lines a frame is
 * "name file:line" (or "name file" for line 0; linenames.h), and names
 * and paths may both hold spaces ("operator new", "<T as
 * core::fmt::Display>::fmt", "/home/me/my proj/a.c"): the pattern is
 * tried on each part of the frame that ends before a space as well. */
static bool glob_matches(const char *g, const char *frame)
{
    if (!fnmatch(g, frame, 0))
        return true;
    if (!lines_mode || !strchr(frame, ' '))
        return false;
    static char *buf;
    static size_t cap;
    size_t len = strlen(frame);
    if (len + 1 > cap) {
        char *nb = realloc(buf, len + 1);
        if (!nb)
            return false; /* no memory for the copy: the frame is a site */
        buf = nb;
        cap = len + 1;
    }
    memcpy(buf, frame, len + 1);
    for (char *sp = strchr(buf, ' '); sp; sp = strchr(sp + 1, ' ')) {
        *sp = '\0';
        bool hit = !fnmatch(g, buf, 0);
        *sp = ' ';
        if (hit)
            return true;
    }
    return false;
}

/* What a name is on its own, whatever frames come before it: no wrapper,
 * a wrapper, one that also makes the frames so far Rust's, or core::,
 * a wrapper only once they are.  A stack's frames read in order give
 * each its kind in context (wrappers_site), so this part can be
 * remembered per name for a whole profile. */
enum kind { NOT, OWN, RUST, CORE };

/* name's kind.  Globs come before core::'s context, so that a --wrapper
 * 'core::*' makes it a wrapper on its own. */
static enum kind kind_of(const char *name)
{
    size_t len = strlen(name);
    /* An exact name may be followed by its source line, " file:line": a
     * name holds no space after any of these. */
    for (size_t i = 0; i < COUNT(exact); i++) {
        size_t n = strlen(exact[i]);
        if (!strncmp(name, exact[i], n) && (name[n] == '\0' || name[n] == ' '))
            return OWN;
    }
    if (any_prefix(name, len, prefix, COUNT(prefix)))
        return OWN;
    if (any_prefix(name, len, rust_prefix, COUNT(rust_prefix)) || rust_lib_impl(name, 0))
        return RUST;
    for (size_t i = 0; i < nglobs; i++)
        if (glob_matches(globs[i], name))
            return OWN;
    return starts(name, len, "core::") ? CORE : NOT;
}

/* The kinds of the names of one stack, so that each name is read once
 * however often it comes back: a recursion of a wrapper (std::, core::
 * past Rust's frames, or --wrapper) repeats its names, one pointer each
 * (profile_read.h).  Read at each level, a million levels of a 400 KB
 * "std::..." name took 8 s; with only the last 8 names remembered, 100k
 * levels cycling through 9 of 400 KB of core:: with --wrapper '*zz*'
 * took 44 s (fnmatch over each name at each level; 0.7 s before that,
 * when core:: frames skipped the patterns), and take 3 ms now.
 * The first FEW are in an array of the call's, as most stacks have no
 * more; the rest in a map kept from stack to stack, so that a stack does
 * not allocate, and emptied after each: a pointer is one name only as
 * long as the caller's frames live.  A map that grew past KEEP slots
 * (the size ptrmap starts at, 16 KB) is freed instead, so that one deep
 * stack does not make every later one clear its room.
 * This is all a stack has when its caller gives no map of names, or
 * that map has no room for one more. */
enum { FEW = 8, KEEP = 1024 };
typedef struct memo {
    const char *few[FEW];
    enum kind kinds[FEW];
    size_t nfew;
} memo;

static ptrmap more; /* name -> its kind, for the names past the first FEW */

/* Whether name was read in this stack, its kind in *c if so. */
static bool memo_get(const memo *m, const char *name, enum kind *c)
{
    for (size_t i = 0; i < m->nfew; i++)
        if (m->few[i] == name) {
            *c = m->kinds[i];
            return true;
        }
    uint64_t v;
    if (!ptrmap_get(&more, name, &v))
        return false;
    *c = (enum kind)v;
    return true;
}

static void memo_put(memo *m, const char *name, enum kind c)
{
    if (m->nfew < FEW) {
        m->few[m->nfew] = name;
        m->kinds[m->nfew++] = c;
        return;
    }
    /* Without memory for it, the name is read again where it repeats. */
    (void)ptrmap_put(&more, name, (uint64_t)c);
}

static void memo_done(void)
{
    if (more.cap > KEEP)
        ptrmap_free(&more);
    else
        ptrmap_clear(&more);
}

/* name's kind: from the profile's names, else from this stack's.  Read
 * once per stack, a crafted profile of 1000 small samples repeating one
 * stack of __rust_alloc and nine 400 KB core:: names took 7.7 s with
 * --wrapper '*zz*' under --lines (fnmatch over every name of every
 * stack); once per profile, 4000 of them take 0.14 s. */
static enum kind kind_at(memo *m, ptrmap *names, const char *name)
{
    uint64_t v;
    if (names && ptrmap_get(names, name, &v))
        return (enum kind)v;
    enum kind c;
    if (memo_get(m, name, &c))
        return c;
    c = kind_of(name);
    /* Without memory for the profile's entry, the stack's memo keeps it:
     * the name is read again in the next stack, once. */
    if (!names || ptrmap_put(names, name, (uint64_t)c))
        memo_put(m, name, c);
    return c;
}

size_t wrappers_site(const char *const *frames, size_t n, ptrmap *names, size_t *via)
{
    memo m = {.nfew = 0};
    bool rust = false; /* the frames so far were Rust's */
    size_t k = 0;
    *via = 0;
    for (; k + 1 < n; k++) {
        enum kind c = kind_at(&m, names, frames[k]);
        if (c == RUST)
            rust = true;
        /* core:: is a wrapper only past Rust's frames, and then not the
         * one the site allocates through (wrappers.h). */
        if (c == NOT || (c == CORE && !rust))
            break;
        if (c != CORE)
            *via = k;
    }
    memo_done();
    return k;
}

size_t wrappers_skip(const char *const *frames, size_t n, ptrmap *names)
{
    size_t via;
    return wrappers_site(frames, n, names, &via);
}

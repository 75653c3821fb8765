/*
 * test_wrappers.c - which leaf frames an allocation site skips
 * (src/cli/wrappers.c): each stack below is leaf first, and the number is
 * how many of its frames are wrappers.  Rust's standard library is told
 * from a program's code by its paths and impls ("<u64 as core::fmt::
 * Display>::fmt" is the library's, "<app::Row as core::fmt::Display>::fmt"
 * the program's), core:: only above Rust's allocator frames (a C++
 * namespace core is the program's); --wrapper patterns match a name with
 * or without the " file:line" of --lines; a frame met again (a
 * recursion's) answers as it did the first time; the wrapper a site is
 * said to allocate through is one whatever came before it; a recursion
 * through many distinct wrappers reads each name once, and, given its
 * profile's map of names, each stack of a profile too.
 */
#define _GNU_SOURCE /* RTLD_NEXT */
#include <dlfcn.h>
#include <fnmatch.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "diag.h"
#include "ptrmap.h"
#include "wrappers.h"

/* fnmatch, counted: how many times a --wrapper pattern was tried on a
 * name, the work of reading one.  This definition is the one wrappers.c
 * calls; libc's, next, does the matching. */
static unsigned long fnmatch_calls;

int fnmatch(const char *pattern, const char *name, int flags)
{
    static int (*real)(const char *, const char *, int);
    if (!real) {
        void *sym = dlsym(RTLD_NEXT, "fnmatch");
        assert_non_null(sym);
        memcpy(&real, &sym, sizeof real);
    }
    fnmatch_calls++;
    return real(pattern, name, flags);
}

#define SKIP(want, ...)                                                        \
    do {                                                                       \
        const char *const f_[] = {__VA_ARGS__};                                \
        assert_int_equal(wrappers_skip(f_, sizeof f_ / sizeof f_[0], NULL), want); \
    } while (0)

static void c_and_cxx(void **state)
{
    (void)state;
    SKIP(1, "malloc", "leak", "main");
    SKIP(2, "strdup", "xstrdup", "save", "main");
    SKIP(1, "malloc file.c:10", "leak a.c:3", "main a.c:1"); /* --lines */
    SKIP(2, "operator new", "std::vector::_M_realloc_insert", "app::add", "main");
    SKIP(1, "operator new", "core::Buffer::grow", "main"); /* C++'s own namespace core */
    SKIP(1, "malloc", "main");                             /* never all of them */
    SKIP(0, "leak", "main");
    SKIP(0, "mallocate", "main"); /* a prefix of an exact name is not it */
}

/* Frames met again (one pointer, as a profile's equal names are) answer
 * as they did: a recursion of wrappers, a cycle of more of them than the
 * first few remembered (the rest are in a map), Rust's core:: after its allocator, and a site that
 * repeats. */
static void repeats(void **state)
{
    (void)state;
    const char *x = "std::a", *y = "std::b", *m = "main";
    SKIP(5, "malloc", x, x, y, x, m);
    SKIP(12, x, "std::1", "std::2", "std::3", "std::4", "std::5", "std::6", "std::7", "std::8",
         y, x, y, m); /* y, the 10th, is past the first 8 */
    const char *c = "core::fmt::write";
    SKIP(4, "__rust_alloc", c, c, c, m);
    SKIP(0, c, c, m); /* core:: before Rust's allocator is a program's */
    SKIP(1, x, m, m, x);
}

static void python(void **state)
{
    (void)state;
    SKIP(2, "_PyObject_Malloc", "_PyObject_Malloc", "PyByteArray_Resize", "bytearray_init");
    SKIP(3, "_PyMem_RawMalloc", "PyMem_RawMalloc", "PyType_GenericAlloc", "type_new_alloc");
}

static void rust(void **state)
{
    (void)state;
    SKIP(4, "alloc::alloc::alloc", "<alloc::alloc::Global as core::alloc::Allocator>::allocate",
         "<u8 as alloc::vec::spec_from_elem::SpecFromElem>::from_elem", "alloc::vec::from_elem",
         "app::add_entry", "app::main");
    /* format!: through core::fmt, above the allocator's frames */
    SKIP(5, "<alloc::string::String as core::fmt::Write>::write_str",
         "<u64 as core::fmt::Display>::fmt", "<core::fmt::rt::Argument>::fmt", "core::fmt::write",
         "alloc::fmt::format", "app::grow", "app::main");
    SKIP(3, "__rust_alloc", "hashbrown::raw::RawTable<T,A>::reserve_rehash",
         "std::collections::hash::map::HashMap<K,V,S,A>::insert", "app::index", "app::main");
    SKIP(1, "__rust_alloc", "<app::Row as core::fmt::Display>::fmt", "app::show");
    SKIP(1, "__rust_alloc", "<u64 as app::Encode>::encode", "app::save");
    SKIP(1, "__rust_alloc", "<alloc::string::String as app::Pretty>::pretty", "app::show");
    SKIP(2, "__rust_alloc", "<&mut [u8] as std::io::Write>::write_all", "app::dump");
    SKIP(2, "__rust_alloc", "<alloc::boxed::Box<dyn core::ops::function::Fn() -> u8>>::new",
         "app::make");
    SKIP(1, "__rust_alloc", "<u64 as core::fmt::Display", "app::x"); /* unclosed: not an impl */
    /* A program's own trait on a standard type is its code. */
    SKIP(1, "__rust_alloc", "<alloc::vec::Vec<alloc::string::String> as ext::Journal>::record",
         "ext::serve");
    /* v0's names of inherent impls, and the standard library's generic
     * impls (a generic parameter, an impl as the trait's path) */
    SKIP(2, "__rust_alloc", "<alloc::vec::Vec<u64>>::push", "app::add");
    SKIP(2, "__rust_alloc", "<std::collections::hash::map::HashMap<u64, u64>>::insert", "app::add");
    SKIP(3, "__rust_alloc", "<T as alloc::slice::<impl [T]>::to_vec_in::ConvertVec>::to_vec",
         "alloc::slice::<impl [T]>::to_vec", "app::copy_recs");
    SKIP(3, "__rust_alloc", "<u8 as <[_]>::to_vec_in::ConvertVec>::to_vec::<alloc::alloc::Global>",
         "<[u8]>::to_vec_in::<alloc::alloc::Global>", "app::copy");
    SKIP(1, "__rust_alloc", "<T as app::Encode>::encode", "app::save");
    /* nested far past the bound: no deeper recursion, no crash */
    SKIP(1, "__rust_alloc",
         "<u8 as <u8 as <u8 as <u8 as <u8 as <u8 as <u8 as core::A>::B>::C>::D>::E>::F>::G>::h",
         "app::x");
    SKIP(0, "core::iter::adapters::map::Map<I,F>::next", "app::main"); /* core:: alone */
}

#define VIA(want_skip, want_via, ...)                                          \
    do {                                                                       \
        const char *const f_[] = {__VA_ARGS__};                                \
        size_t via_ = 99;                                                      \
        assert_int_equal(wrappers_site(f_, sizeof f_ / sizeof f_[0], NULL, &via_), want_skip); \
        assert_int_equal(via_, want_via);                                      \
    } while (0)

/* The wrapper a site allocates through: the nearest one that is a wrapper
 * whatever came before it, so that next to the site but for Rust's
 * core::, which only the frames before it make one. */
static void via(void **state)
{
    (void)state;
    VIA(1, 0, "malloc", "leak", "main");
    VIA(2, 1, "strdup", "xstrdup", "save", "main");
    VIA(3, 2, "operator new", "std::vector::_M_realloc_insert", "std::vector::push_back",
        "app::f", "app::g");
    VIA(2, 0, "alloc::raw_vec::grow", "core::ptr::write", "app::f", "app::g");
    const char *c = "core::fmt::write";
    VIA(5, 1, "__rust_alloc", "alloc::fmt::format", c, "core::ptr::write", c, "app::f");
    VIA(3, 2, "__rust_alloc", "core::ptr::write", "alloc::vec::Vec::push", "app::f");
    VIA(0, 0, "leak", "main");
    /* A wrapper met again (one pointer, as a profile's names are) is the
     * one next to the site as the first time: malloc here, not the
     * xstrdup between its two frames, which a kind remembered from the
     * first malloc would leave named. */
    const char *m = "malloc", *a = "std::allocator_traits::allocate";
    VIA(3, 2, m, "xstrdup", m, "A", "main");
    VIA(4, 3, "operator new", a, "std::vector::_M_realloc_insert", a, "app::f");
}

static void patterns(void **state)
{
    (void)state;
    SKIP(0, "arena_alloc_node", "parse_tree", "main");
    assert_int_equal(wrappers_opt("arena_*"), DIAG_OK);
    SKIP(1, "arena_alloc_node", "parse_tree", "main");
    SKIP(1, "arena_alloc_node /src/arena.c:40", "parse_tree /src/p.c:9", "main /src/m.c:1");
    SKIP(0, "my_arena_alloc", "main");
    assert_int_equal(wrappers_opt(""), DIAG_USAGE);
    /* Only under --lines is a pattern tried on a frame's part before a
     * space: a name may hold spaces of its own. */
    assert_int_equal(wrappers_opt("*Pool"), DIAG_OK);
    SKIP(0, "<app::Pool as core::ops::Drop>::drop", "main");
    assert_int_equal(wrappers_opt("pool_get"), DIAG_OK);
    SKIP(0, "pool_get /src/pool.c", "main /src/m.c:1");
    wrappers_lines();
    SKIP(1, "pool_get /src/pool.c", "main /src/m.c:1"); /* line 0: "func file" */
    SKIP(1, "pool_get /home/me/my proj/pool.c:12", "main /src/m.c:1");
    SKIP(2, "operator new /usr/include/c++/12/new:10", "pool_get /src/p.c:3", "main /src/m.c:1");
    /* A pattern makes core:: a wrapper on its own: the one named. */
    assert_int_equal(wrappers_opt("core::ptr::*"), DIAG_OK);
    VIA(2, 1, "alloc::raw_vec::grow", "core::ptr::write", "app::f");
    /* At most WRAPPERS_MAX patterns: four given above. */
    for (int i = 4; i < WRAPPERS_MAX; i++)
        assert_int_equal(wrappers_opt("more_*"), DIAG_OK);
    assert_int_equal(wrappers_opt("one_too_many"), DIAG_USAGE);
}

/* A recursion through more distinct wrappers than the first few
 * remembered reads each name once: 1000 levels cycling through 9 core::
 * names try the patterns on as many names as a stack of each once does
 * (read at each level, 100k levels of 9 names of 400 KB took 44 s with
 * --wrapper '*zz*', against 3 ms: wrappers.c).  What is remembered is one stack's: in
 * the next, core:: with no Rust frame before it is the program's.  The
 * patterns tried are the test before's, under --lines. */
static void each_name_once(void **state)
{
    (void)state;
    enum { NAMES = 9, DEPTH = 1000 };
    static char names[NAMES][32];
    static const char *deep[DEPTH + 2], *once[NAMES + 2];
    deep[0] = once[0] = "alloc::raw_vec::grow";
    for (int i = 0; i < NAMES; i++) {
        snprintf(names[i], sizeof names[i], "core::f%d r.rs:%d", i, i + 1);
        once[i + 1] = names[i];
    }
    for (size_t i = 1; i <= DEPTH; i++)
        deep[i] = names[i % NAMES];
    deep[DEPTH + 1] = once[NAMES + 1] = "main m.c:1";
    size_t via = 99;
    unsigned long at = fnmatch_calls;
    assert_int_equal(wrappers_site(once, NAMES + 2, NULL, &via), NAMES + 1);
    unsigned long one = fnmatch_calls - at;
    assert_true(one >= NAMES + 1);
    for (int again = 0; again < 2; again++) { /* the second with the map's room kept */
        at = fnmatch_calls;
        assert_int_equal(wrappers_site(deep, DEPTH + 2, NULL, &via), DEPTH + 1);
        assert_int_equal(via, 0);
        assert_int_equal(fnmatch_calls - at, one);
        /* names[8] and names[0] came 9th and 10th: in the map */
        SKIP(0, names[0], "main m.c:1");
        SKIP(0, names[NAMES - 1], "main m.c:1");
    }
}

/* Given a profile's map of its names (profile_sample.kinds), a name is
 * read once for the whole profile, not once per stack: a crafted profile
 * of a few thousand samples repeating a stack of ten 400 KB names took a
 * minute with --wrapper '*zz*' under --lines, each stack trying the
 * patterns on every name again.  What is remembered is the name's kind
 * alone: core:: stays a wrapper only past Rust's frames, in each stack.
 * Another profile's map (its names are other pointers) reads them anew.
 * As in each_name_once, the patterns tried are the test `patterns`'s,
 * which runs before: without them no fnmatch call is there to count. */
static void each_name_once_per_profile(void **state)
{
    (void)state;
    enum { NAMES = 9, STACKS = 100 };
    static char names[NAMES][32];
    static const char *stack[NAMES + 2];
    stack[0] = "__rust_alloc r.rs:1";
    for (int i = 0; i < NAMES; i++) {
        snprintf(names[i], sizeof names[i], "core::g%d r.rs:%d", i, i + 1);
        stack[i + 1] = names[i];
    }
    stack[NAMES + 1] = "main m.c:1";
    ptrmap kinds = PTRMAP_INIT;
    size_t via = 99;
    unsigned long at = fnmatch_calls;
    assert_int_equal(wrappers_site(stack, NAMES + 2, &kinds, &via), NAMES + 1);
    unsigned long one = fnmatch_calls - at;
    assert_true(one >= NAMES + 1);
    at = fnmatch_calls;
    for (int i = 1; i < STACKS; i++) {
        via = 99;
        assert_int_equal(wrappers_site(stack, NAMES + 2, &kinds, &via), NAMES + 1);
        assert_int_equal(via, 0);
    }
    assert_int_equal(fnmatch_calls - at, 0);
    /* core:: with no Rust frame before it is the program's, as before */
    const char *const bare[] = {names[0], "main m.c:1"};
    assert_int_equal(wrappers_skip(bare, 2, &kinds), 0);
    assert_int_equal(fnmatch_calls - at, 0);
    ptrmap other = PTRMAP_INIT;
    at = fnmatch_calls;
    assert_int_equal(wrappers_site(stack, NAMES + 2, &other, &via), NAMES + 1);
    assert_int_equal(fnmatch_calls - at, one);
    ptrmap_free(&other);
    ptrmap_free(&kinds);
}

int main(void)
{
    diag_quiet(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(c_and_cxx),
        cmocka_unit_test(repeats),
        cmocka_unit_test(python),
        cmocka_unit_test(rust),
        cmocka_unit_test(via),
        cmocka_unit_test(patterns),
        cmocka_unit_test(each_name_once), /* with patterns' patterns */
        cmocka_unit_test(each_name_once_per_profile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

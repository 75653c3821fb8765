/*
 * cxxplugin.cc - a C++ library that a C program opens with dlopen
 * (dlthrow.c): it throws and catches an exception of its own, and asks
 * operator new, in each form, for more than can be had, with and without
 * a new-handler.  What it prints must be the same with and without the
 * preload (integ_dlopen_cxx).
 *
 * A library opened after start-up is mapped where the kernel finds room,
 * and that may be inside the address range of a library loaded at start
 * (a part it unmapped).  The unwinder finds a frame's unwind information
 * with _dl_find_object (glibc 2.35, libgcc 12), by address range: an
 * object mapped inside another's range has its frames looked up in the
 * wrong object, and every exception it throws ends in std::terminate.
 */
#include <cstdint>
#include <cstdio>
#include <new>
#include <stdexcept>

static volatile size_t huge = SIZE_MAX / 2; /* opaque to the compiler */
static int handler_calls;

/* Called by a failing operator new; on its second call it removes itself,
 * so that the third attempt throws (or returns NULL, nothrow). */
static void handler()
{
    if (++handler_calls == 2)
        std::set_new_handler(nullptr);
}

/* noinline, and the result through a volatile: the compiler may assume
 * that a throwing operator new never returns NULL. */
template <typename F> __attribute__((noinline)) static void attempt(const char *what, F f)
{
    for (int with_handler = 0; with_handler < 2; with_handler++) {
        handler_calls = 0;
        std::set_new_handler(with_handler ? handler : nullptr);
        const char *result;
        try {
            void *volatile p = f();
            result = p ? "a block" : "NULL";
        } catch (const std::bad_alloc &) {
            result = "std::bad_alloc";
        }
        std::set_new_handler(nullptr);
        std::printf("%s%s: %s, new-handler called %d times\n", what,
                    with_handler ? " (new-handler)" : "", result, handler_calls);
    }
}

__attribute__((noinline)) static int thrower(int i)
{
    if (i >= 0)
        throw std::runtime_error("thrown in the library");
    return i;
}

extern "C" int cxxplugin_run(void)
{
    try {
        thrower(1);
        std::printf("no exception\n");
    } catch (const std::exception &e) {
        std::printf("caught: %s\n", e.what());
    }
    attempt("new", [] { return ::operator new(huge); });
    attempt("new[]", [] { return ::operator new[](huge); });
    attempt("new nothrow", [] { return ::operator new(huge, std::nothrow); });
    attempt("new[] nothrow", [] { return ::operator new[](huge, std::nothrow); });
    attempt("new aligned", [] { return ::operator new(huge, std::align_val_t(64)); });
    attempt("new[] aligned", [] { return ::operator new[](huge, std::align_val_t(64)); });
    attempt("new aligned nothrow",
            [] { return ::operator new(huge, std::align_val_t(64), std::nothrow); });
    attempt("new[] aligned nothrow",
            [] { return ::operator new[](huge, std::align_val_t(64), std::nothrow); });
    return 0;
}

/* Unit tests: C++ names as go tool pprof shows them (src/cli/demangle.h).
 * The expected names are pprof's own (go tool pprof -top) for the mangled
 * ones, read from profiles of a C++ test program. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demangle.h"
#include "demangle_rust.h"

static void mangled(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out; /* out NULL: left as it is */
    } cases[] = {
        {"_ZN3app8Registry3addEi", "app::Registry::add"},
        {"_ZNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE9_M_mutateEmmPKcm",
         "std::__cxx11::basic_string::_M_mutate"},
        {"_ZNSt6vectorIiSaIiEE17_M_default_appendEm", "std::vector::_M_default_append"},
        {"_Znwm", "operator new"},
        {"_Znam", "operator new[]"},
        {"_ZdlPvm", "operator delete"},
        {"_ZN12_GLOBAL__N_14Anon4makeEi", "(anonymous namespace)::Anon::make"},
        {"_ZN5outer5inner3BoxISt3mapIilSt4lessIiESaISt4pairIKilEEELi8EEpLEi",
         "outer::inner::Box::operator+="},
        {"_ZNK5outer5inner3BoxISt3mapIilSt4lessIiESaISt4pairIKilEEELi8EEcvNSt7__cxx1112basic_"
         "stringIcSt11char_traitsIcESaIcEEEEv",
         "outer::inner::Box::operator std::__cxx11::basic_string"},
        {"_Z4callIZ4mainEUlvE_EDTclfp_EET_", "call"},
        {"_Z2mkB5cxx11i", "mk[abi:cxx11]"},
        {"_ZZ4mainENKUlvE_clEv", "main::{lambda()#1}::operator()"},
        {"malloc", NULL},
        {"runtime.mallocgc", NULL},
        {"_Z", NULL},
        {"_Zgarbage!", NULL},
        {"", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = demangle(cases[i].in);
        if (cases[i].out) {
            assert_non_null(got);
            assert_string_equal(got, cases[i].out);
        } else {
            assert_null(got);
        }
        free(got);
    }
    /* Longer than DEMANGLE_IN_MAX: not demangled (a profile is untrusted
     * input, and __cxa_demangle recurses over a name without a bound). */
    char *big = malloc(DEMANGLE_IN_MAX + 16);
    assert_non_null(big);
    strcpy(big, "_ZN");
    size_t n = 3;
    while (n + 5 < DEMANGLE_IN_MAX + 8) {
        memcpy(big + n, "3abc", 4);
        n += 4;
    }
    strcpy(big + n, "Ev");
    assert_null(demangle(big));
    free(big);
}

/* S_ = X, S0_ = A, S1_ = A<X, X>, and each "S0_I" Sk Sk "E" after it an
 * A of two of the one before (S<k+1>_): n of them demangle to about 2^n
 * times the name's length. */
static char *doubling(int n)
{
    static const char digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    char *s = malloc(32 + 16 * (size_t)n), *o = s;
    assert_non_null(s);
    o += sprintf(o, "_Z1f1X1AIS_S_E");
    for (int k = 1; k <= n; k++) /* Sk: the substitution of index k, "S<k-1 in base 36>_" */
        o += sprintf(o, "S0_IS%c%c_S%c%c_E", digits[k / 36], digits[k % 36], digits[k / 36],
                     digits[k % 36]);
    return s;
}

/* A name whose demangled text doubles with each of its 40 components
 * (464 bytes, 2^40 characters): __cxa_demangle ran for ever, and
 * `heapprof top` with it; nested pack expansions likewise.  Now shown as
 * it is, in a bounded time; a name with as many references that
 * demangles to little is still demangled. */
static void exponential(void **state)
{
    (void)state;
    /* 24 references, each to a plain class, app::f(X, X, ...): in this
     * process, always answered. */
    char many[256] = "_ZN3app1fE1X";
    for (int i = 0; i < 24; i++)
        strcat(many, "S_");
    char *got = demangle(many);
    assert_non_null(got);
    assert_string_equal(got, "app::f");
    free(got);
    /* 30: in a child, given here all the time it needs (the test is
     * not to race CHILD_MS on a loaded machine or under valgrind); the
     * answer is kept, the same on every ask. */
    for (int i = 24; i < 30; i++)
        strcat(many, "S_");
    demangle_child_ms = 60000;
    for (int i = 0; i < 3; i++) {
        got = demangle(many);
        assert_non_null(got);
        assert_string_equal(got, "app::f");
        free(got);
    }
    demangle_child_ms = 500;
    /* No timing here (a hang is what fails, at ctest's timeout): the
     * answer is kept, so 20 asks cost one child's 500 ms. */
    char *bomb = doubling(40);
    for (int i = 0; i < 20; i++)
        assert_null(demangle(bomb));
    free(bomb);
    /* Pack expansions nested 6 deep over a pack of 40: 40^6 copies. */
    char packs[512] = "_Z1fIJ";
    for (int i = 0; i < 40; i++)
        strcat(packs, "i");
    strcat(packs, "EEv");
    for (int i = 0; i < 6; i++)
        strcat(packs, "DpFT_");
    strcat(packs, "T_EEEEEE");
    assert_null(demangle(packs));
}

/* Words of a program's names that hold "sp" or "Dp" (display, response)
 * are no pack expansions: 20 000 such names were each sent to a child
 * process, the children's 3 s ran out, and the rest were shown mangled. */
static void words(void **state)
{
    (void)state;
    for (int i = 0; i < 20000; i++) {
        char fn[16], name[96], want[96];
        snprintf(fn, sizeof fn, "f%d", i);
        snprintf(name, sizeof name, "_ZN7display8response%zu%sEPNS_7DpStackEi", strlen(fn), fn);
        snprintf(want, sizeof want, "display::response::%s", fn);
        char *got = demangle(name);
        assert_non_null(got);
        assert_string_equal(got, want);
        free(got);
    }
}

static void simplified(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"void app::churn<std::string>(std::vector<std::string, std::allocator<std::string> >&, int)",
         "app::churn"},
        {"std::basic_ostream<char, std::char_traits<char> >& std::operator<< <std::char_traits<char> "
         ">(std::basic_ostream<char, std::char_traits<char> >&, char const*)",
         "std::operator<<"},
        {"foo(int)::{lambda(int)#1}::operator()(int) const", "foo::{lambda(int)#1}::operator()"},
        {"non-virtual thunk to Derived::get2(int)", "non-virtual thunk to Derived::get2"},
        {"foo() [clone .cold]", "foo"},
        {"A::operator unsigned long() const", "A::operator unsigned long"},
        {"A::operator->() const", "A::operator->"},
        {"A::operator<(A const&) const", "A::operator<"},
        {"a::b<c->d>::e()", "a::b::e"},
        {"unsigned long (anonymous namespace)::f(int)", "(anonymous namespace)::f"},
        {"plain", "plain"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[512];
        strcpy(buf, cases[i].in);
        demangle_simplify(buf);
        assert_string_equal(buf, cases[i].out);
    }
}

/* Rust's legacy names, as go tool pprof showed them for a profile of a
 * Rust 1.95 program (tests run on their mangled names, read with -raw). */
static void rust_legacy(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"_ZN1r4main17h086b0cfd890a8ea9E", "r::main"},
        {"_ZN5alloc7raw_vec19RawVec$LT$T$C$A$GT$8grow_one17hb04607b8f4dfc3a2E",
         "alloc::raw_vec::RawVec<T,A>::grow_one"},
        {"_ZN3std2rt10lang_start28_$u7b$$u7b$closure$u7d$$u7d$17ha86af84d9cc65291E",
         "std::rt::lang_start::{{closure}}"},
        /* pprof takes the underscore after a length as a separator. */
        {"_ZN3std3sys9backtrace28__rust_begin_short_backtrace17hb8e0473d96dacc95E",
         "std::sys::backtrace::_rust_begin_short_backtrace"},
        {"_ZN9hashbrown3raw21RawTable$LT$T$C$A$GT$14reserve_rehash17ha6fb902b3de1a71aE"
         ".llvm.9455215975941241718",
         "hashbrown::raw::RawTable<T,A>::reserve_rehash"},
        {"_ZN4core3ptr85drop_in_place$LT$std..rt..lang_start$LT$$LP$$RP$$GT$..$u7b$$u7b$closure"
         "$u7d$$u7d$$GT$17h0123456789abcdefE",
         "core::ptr::drop_in_place<std::rt::lang_start<()>::{{closure}}>"},
        /* An escape pprof does not know: the rest of the identifier as is. */
        {"_ZN1a8b$XX$c$d17h0123456789abcdefE", "a::b$XX$c$d"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = demangle_rust_legacy(cases[i].in);
        assert_non_null(got);
        assert_string_equal(got, cases[i].out);
        free(got);
        got = demangle(cases[i].in); /* what the commands show */
        assert_non_null(got);
        assert_string_equal(got, cases[i].out);
        free(got);
    }
    /* Not Rust's: C++ names, a hash of fewer than 5 distinct digits, a
     * length past the end. */
    static const char *const not_rust[] = {
        "_ZN3app8Registry3addEi", "_ZN1r4main17h0000000000000000E", "_ZN1r4main17h01234567890abcdeXE",
        "_ZN9r17h0123456789abcdefE", "_ZN17h0123456789abcdefE", "_ZN1r4main17h0123456789abcdgfE",
    };
    for (size_t i = 0; i < sizeof not_rust / sizeof not_rust[0]; i++)
        assert_null(demangle_rust_legacy(not_rust[i]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mangled),
        cmocka_unit_test(simplified),
        cmocka_unit_test(exponential),
        cmocka_unit_test(words),
        cmocka_unit_test(rust_legacy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

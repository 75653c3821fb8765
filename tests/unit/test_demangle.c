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
#include "demangle_rust_v0.h"

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
/* in reads as out through the Rust demangler fn and through demangle(),
 * which is what the commands show. */
static void expect_both(char *(*fn)(const char *), const char *in, const char *out)
{
    char *got = fn(in);
    assert_non_null(got);
    assert_string_equal(got, out);
    free(got);
    got = demangle(in);
    assert_non_null(got);
    assert_string_equal(got, out);
    free(got);
}

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
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_both(demangle_rust_legacy, cases[i].in, cases[i].out);
    /* Not Rust's: C++ names, a hash of fewer than 5 distinct digits, a
     * length past the end. */
    static const char *const not_rust[] = {
        "_ZN3app8Registry3addEi", "_ZN1r4main17h0000000000000000E", "_ZN1r4main17h01234567890abcdeXE",
        "_ZN9r17h0123456789abcdefE", "_ZN17h0123456789abcdefE", "_ZN1r4main17h0123456789abcdgfE",
    };
    for (size_t i = 0; i < sizeof not_rust / sizeof not_rust[0]; i++)
        assert_null(demangle_rust_legacy(not_rust[i]));
}

/* Rust's v0 names (rustc -C symbol-mangling-version=v0; the standard
 * library of Rust 1.9x uses them), as go tool pprof (1.19, its vendored
 * ianlancetaylor/demangle) showed them: crate hashes, the instantiating
 * crate and LLVM's suffix dropped, generic arguments kept. */
static void rust_v0(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"_RNvCskK7mfDs1mzF_1m4main", "m::main"},
        {"_RNvMs4_NtCslNYArtu3iFV_5alloc7raw_vecNtB5_11RawVecInner11finish_growCsjrHSEGnQ3l9_3std",
         "<alloc::raw_vec::RawVecInner>::finish_grow"},
        {"_RNvMs4_NtCslNYArtu3iFV_5alloc7raw_vecINtB5_11RawVecInnerNtNtCsjrHSEGnQ3l9_3std5alloc6Sy"
         "stemE11finish_growBW_",
         "<alloc::raw_vec::RawVecInner<std::alloc::System>>::finish_grow"},
        {"_RINvYNtNtNtCsjrHSEGnQ3l9_3std4hash6random11RandomStateNtNtCsgEmfK2I1SDS_4core4hash11Buil"
         "dHasher8hash_oneRNtNtCslNYArtu3iFV_5alloc6string6StringECskK7mfDs1mzF_1m",
         "<std::hash::random::RandomState as core::hash::BuildHasher>::hash_one::<&alloc::string::"
         "String>"},
        {"_RNvXCsjMaewn57Afh_1tNtB2_1SINtB2_2TrtE1m", "<t::S as t::Tr<u16>>::m"},
        {"_RNSNvYNCINvNtCsjrHSEGnQ3l9_3std2rt10lang_startuE0INtNtNtCsgEmfK2I1SDS_4core3ops8functio"
         "n6FnOnceuE9call_once6vtableCskK7mfDs1mzF_1m.llvm.14034029421399697217",
         "<std::rt::lang_start<()>::{closure#0} as core::ops::function::FnOnce<()>>::call_once::"
         "{shim:vtable#0}"},
        {"_RINvNtNtCsjrHSEGnQ3l9_3std6thread9lifecycle15spawn_uncheckedNCNvCskK7mfDs1mzF_1m4mains_"
         "0INtNtCslNYArtu3iFV_5alloc3vec3VecmEEB10_",
         "std::thread::lifecycle::spawn_unchecked::<m::main::{closure#1}, alloc::vec::Vec<u32>>"},
        /* pprof reads "00" as one number, 0: nested closures named its way */
        {"_RNCNCNCNvNtCsjrHSEGnQ3l9_3std2rt19lang_start_internal00s_0B9_",
         "std::rt::lang_start_internal::{closure#0}::{closure#1}::{closure#0}"},
        {"_RINvNtCsgEmfK2I1SDS_4core3ptr13drop_in_placeINtNtCslNYArtu3iFV_5alloc5boxed3BoxDINtNtNtB"
         "4_3ops8function6FnOnceuEp6OutputuNtNtB4_6marker4SendEL_EECskK7mfDs1mzF_1m",
         "core::ptr::drop_in_place::<alloc::boxed::Box<dyn core::ops::function::FnOnce<(), Output "
         "= ()> + core::marker::Send>>"},
        {"_RINvNtCsgEmfK2I1SDS_4core3ptr13drop_in_placeSINtNtCslNYArtu3iFV_5alloc5boxed3BoxDINtNtNt"
         "B4_3ops8function6FnOnceuEp6OutputuNtNtB4_6marker4SendEL_EECsjrHSEGnQ3l9_3std",
         "core::ptr::drop_in_place::<[alloc::boxed::Box<dyn core::ops::function::FnOnce<(), "
         "Output = ()> + core::marker::Send>]>"},
        {"_RNvNtCskK7mfDs1mzF_1mu8nave_6pau9gre_6ka8l", "m::naïve::grüße"}, /* punycode */
        {"_RINvCsjMaewn57Afh_1t1gAAhj2_j10_EB2_", "t::g::<[[u8; 2]; 16]>"},
        {"_RINvCsjMaewn57Afh_1t1gDG_INtNtNtCsgEmfK2I1SDS_4core3ops8function2FnTRL0_hEEp6OutputRL0_"
         "hEL_EB2_",
         "t::g::<dyn for<'a> core::ops::function::Fn<(&'a u8,), Output = &'a u8>>"},
        {"_RINvCsjMaewn57Afh_1t1gDNtNtNtNtCsgEmfK2I1SDS_4core4iter6traits8iterator8Iteratorp4Itemh"
         "NtNtBt_6marker4SendEL_EB2_",
         "t::g::<dyn core::iter::traits::iterator::Iterator<Item = u8> + core::marker::Send>"},
        /* as many lifetimes as pprof allows there */
        {"_RINvC1a1fFG5_RL1_hEuE", "a::f::<for<'a, 'b, 'c, 'd, 'e, 'f, 'g> fn(&'f u8)>"},
        {"_RINvCsjMaewn57Afh_1t1gFG0_RL1_hQL0_tERL0_hEB2_",
         "t::g::<for<'a, 'b> fn(&'a u8, &'b mut u16) -> &'b u8>"},
        {"_RINvCsjMaewn57Afh_1t1gFUKChvEuEB2_", "t::g::<unsafe extern \"C\" fn(u8, ...)>"},
        {"_RINvCsjMaewn57Afh_1t1gFlElEB2_", "t::g::<fn(i32) -> i32>"},
        {"_RINvCsjMaewn57Afh_1t1gOhEB2_", "t::g::<*mut u8>"},
        {"_RINvCsjMaewn57Afh_1t1gPShEB2_", "t::g::<*const [u8]>"},
        {"_RINvCsjMaewn57Afh_1t1gTfdijynobcuEEB2_",
         "t::g::<(f32, f64, isize, usize, u64, i128, u128, bool, char, ())>"},
        {"_RINvCsjMaewn57Afh_1t1gThEEB2_", "t::g::<(u8,)>"},
        {"_RINvCsjMaewn57Afh_1t1kKln5_Kxn8000000000000000_Koffffffffffffffffffffffffffffffff_Kc27_"
         "Kb1_Kan80_EB2_",
         "t::k::<-5, -9223372036854775808, 0xffffffffffffffffffffffffffffffff, '\\'', true, -128>"},
        {"_RINvCsjMaewn57Afh_1t1kKl7_Kx8_Ko9_Kca_Kb0_Ka0_EB2_", "t::k::<7, 8, 9, '\\n', false, 0>"},
        {"_RINvCsjMaewn57Afh_1t1kKl7_Kx8_Ko9_Kc1f600_Kb0_Ka0_EB2_",
         "t::k::<7, 8, 9, '\\u{1f600}', false, 0>"},
        {"_RINvCskK7mfDs1mzF_1m3genhKb0_Kce4_EB2_", "m::gen::<u8, false, '\\u{e4}'>"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_both(demangle_rust_v0, cases[i].in, cases[i].out);
}

/* Appends s to b at *n, within cap. */
static void add(char *b, size_t *n, size_t cap, const char *s)
{
    size_t k = strlen(s);
    assert_true(*n + k < cap);
    memcpy(b + *n, s, k + 1);
    *n += k;
}

/* What pprof does not demangle, what is malformed, truncated or built to
 * explode: shown as it is (NULL), quickly, never a crash. */
static void rust_v0_hostile(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "_R", "_RC", "_R0NvC1a1f", /* a later version */
        "_RNvC1a1f_", "_RNvC1a2f", "_RNvC1a1fX", /* trailing, short, unparsed */
        "_RB_", "_RNvB_1a", "_RNvB0_1a", "_RNvB4_1a", /* backrefs forward, to self */
        "_RINvC1a1fBZZZZZZZZZZZ_E", "_RINvC1a1fhB8_E", /* past the end, to itself */
        "_RINvC1a1fKb2_E", "_RINvC1a1fKb_E", "_RINvC1a1fKh01_E", "_RINvC1a1fKc1000000_E",
        "_RINvC1a1fKe0_E", "_RINvC1a1fKjn1_E", "_RINvC1a1fL0_E", "_RINvC1a1fFG_RL2_hEuE",
        "_RNvC1au3a_b", "_RNvC1au2__", "_RINvC1a1fDNvC1a1TE_E",
        /* bytes pprof refuses in an identifier, shown or skipped ("a::$",
         * "t::$::<*const [u8]>", "a::f" before) */
        "_RNvC1a1$", "_RINvCsjMaewn57Afh_1t1$PShEB2_", "_RNvC1au2_$_", "_RNvC1a1fC2b$",
        "_RINvC1a1fFUK3a$bEuE",
        /* more lifetimes bound than the rest of the name could use: pprof
         * refuses them (127 and 8 of them written before) */
        "_RINvC1a1fFG21_RL2_hEuE", "_RINvC1a1fFG6_RL1_hEuE",
        /* pprof reads "0023" as 23: this K-namespace static is shown mangled */
        "_RNvNCNKNvNtNtCsjrHSEGnQ3l9_3std2io5stdio14OUTPUT_CAPTURE0023___RUST_STD_INTERNAL_VAL",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *got = demangle_rust_v0(bad[i]);
        if (got)
            fail_msg("%s demangled to %s", bad[i], got);
    }

    /* Every prefix of a real name: read safely (under the sanitizers);
     * cut before its instantiating crate ("Csk...", not shown) none is
     * the whole name's rendering, cut within it none is another. */
    const char *real = "_RINvNtCsgEmfK2I1SDS_4core3ptr13drop_in_placeINtNtCslNYArtu3iFV_5alloc5boxe"
                       "d3BoxDINtNtNtB4_3ops8function6FnOnceuEp6OutputuNtNtB4_6marker4SendEL_EECsk"
                       "K7mfDs1mzF_1m";
    char *whole = demangle_rust_v0(real);
    assert_non_null(whole);
    char buf[256];
    for (size_t k = 0; k < strlen(real); k++) {
        memcpy(buf, real, k);
        buf[k] = '\0';
        char *got = demangle_rust_v0(buf);
        if (got && k < strlen(real) - strlen("CskK7mfDs1mzF_1m"))
            assert_string_not_equal(got, whole);
        else if (got)
            assert_string_equal(got, whole);
        free(got);
    }
    free(whole);

    /* Nesting past the depth limit, in paths, generic arguments, types. */
    static char deep[40000];
    size_t n = 0;
    add(deep, &n, sizeof deep, "_R");
    for (int i = 0; i < 5000; i++)
        add(deep, &n, sizeof deep, "Nv");
    add(deep, &n, sizeof deep, "C1a");
    for (int i = 0; i < 5000; i++)
        add(deep, &n, sizeof deep, "1b");
    assert_null(demangle_rust_v0(deep));
    n = 0;
    add(deep, &n, sizeof deep, "_RINvC1a1f");
    for (int i = 0; i < 5000; i++)
        add(deep, &n, sizeof deep, "R");
    add(deep, &n, sizeof deep, "hE");
    assert_null(demangle_rust_v0(deep));
    n = 0;
    add(deep, &n, sizeof deep, "_R");
    for (int i = 0; i < 3000; i++)
        add(deep, &n, sizeof deep, "INv");
    add(deep, &n, sizeof deep, "C1a1f");
    for (int i = 0; i < 3000; i++)
        add(deep, &n, sizeof deep, "E");
    assert_null(demangle_rust_v0(deep));

    /* Each tuple names the one before it twice: 60 of them describe 2^60
     * types.  The output bound stops it, at once. */
    n = 0;
    add(deep, &n, sizeof deep, "_RINvC1a1fThhE");
    size_t prev = strlen("INvC1a1f"), pos = n - 2;
    for (int i = 0; i < 60; i++) {
        char ref[16], t[48];
        size_t v = prev - 1, r = sizeof ref;
        ref[--r] = '\0';
        ref[--r] = '_';
        do
            ref[--r] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"[v % 62];
        while (v /= 62);
        snprintf(t, sizeof t, "TB%sB%sE", ref + r, ref + r);
        add(deep, &n, sizeof deep, t);
        prev = pos;
        pos += strlen(t);
    }
    add(deep, &n, sizeof deep, "E");
    assert_null(demangle_rust_v0(deep));
    /* The same with 3 levels is a plain name: the backrefs are right. */
    char *three = NULL;
    for (size_t i = 0, e = 0; deep[i]; i++)
        if (deep[i] == 'E' && ++e == 3) {
            memcpy(buf, deep, i + 1);
            memcpy(buf + i + 1, "E", 2);
            three = demangle_rust_v0(buf);
            break;
        }
    assert_non_null(three);
    assert_string_equal(three, "a::f::<(u8, u8), ((u8, u8), (u8, u8)), (((u8, u8), (u8, u8)), "
                               "((u8, u8), (u8, u8)))>");
    free(three);

    /* Longer than DEMANGLE_IN_MAX: not read at all by the commands. */
    assert_null(demangle(deep));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mangled),
        cmocka_unit_test(simplified),
        cmocka_unit_test(exponential),
        cmocka_unit_test(words),
        cmocka_unit_test(rust_legacy),
        cmocka_unit_test(rust_v0),
        cmocka_unit_test(rust_v0_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

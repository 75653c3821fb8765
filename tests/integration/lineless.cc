// lineless.cc - calls hp_lineless_pair (lineless_x86_64.S), one of whose
// two calls to malloc has no source line, for pprof_names.sh (part 4): the
// profile must give that call the function's file, so that pprof
// -filefunctions shows one function, not two.  C++ built -g, so that
// heapprof keeps the binary's names and writes its lines (symbols.h).
//
// `lineless entry0` calls hp_lineless_entry(p, 0) instead
// (lineless_entry_x86_64.S: only its call of line 0), `lineless entry1`
// hp_lineless_entry(p, 1) (that call and one with a line): the profiles
// an early and a late profile of a leak would be, whose line-less frame
// must read the same in both.  `lineless inl0` and `lineless inl1` do the
// same with hp_lineless_inl (lineless_inline_x86_64.S), whose line-less
// call lies in a function inlined into it (part 5).

#include <cstdlib>
#include <cstring>

extern "C" void hp_lineless_pair(void **out);
extern "C" void hp_lineless_entry(void **out, int both);
extern "C" void hp_lineless_inl(void **out, int both);

__attribute__((noinline)) void hp_lineless_run(int n)
{
    for (int i = 0; i < n; i++) {
        void *p[2];
        hp_lineless_pair(p);
        std::free(p[0]);
        std::free(p[1]);
    }
}

__attribute__((noinline)) void hp_lineless_entry_run(int n, int both,
                                                     void (*fn)(void **, int))
{
    for (int i = 0; i < n; i++) {
        void *p[2];
        fn(p, both);
        std::free(p[0]);
        std::free(p[1]);
    }
}

int main(int argc, char **argv)
{
    if (argc > 1)
        hp_lineless_entry_run(100, argv[1][std::strlen(argv[1]) - 1] == '1',
                              std::strncmp(argv[1], "inl", 3) == 0 ? hp_lineless_inl
                                                                   : hp_lineless_entry);
    else
        hp_lineless_run(100);
    return 0;
}

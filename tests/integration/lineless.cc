// lineless.cc - calls hp_lineless_pair (lineless_x86_64.S), one of whose
// two calls to malloc has no source line, for pprof_names.sh (part 4): the
// profile must give that call the function's file, so that pprof
// -filefunctions shows one function, not two.  C++ built -g, so that
// heapprof keeps the binary's names and writes its lines (symbols.h).

#include <cstdlib>

extern "C" void hp_lineless_pair(void **out);

__attribute__((noinline)) void hp_lineless_run(int n)
{
    for (int i = 0; i < n; i++) {
        void *p[2];
        hp_lineless_pair(p);
        std::free(p[0]);
        std::free(p[1]);
    }
}

int main()
{
    hp_lineless_run(100);
    return 0;
}

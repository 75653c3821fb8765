// The second dwz test program (dwz_shared.h): it shares the first's
// header, and adds code of its own.
#include <cstdio>

#include "dwz_shared.h"

static int total(dwz_registry &r)
{
    int t = 0;
    for (auto &kv : r.blocks)
        t += kv.second[0] + static_cast<int>(kv.first.size());
    return t;
}

int main(int argc, char **argv)
{
    dwz_registry r;
    dwz_fill(r, argc);
    for (int i = 0; i < 50 + argc; i++)
        r.add("b", i);
    long *l = dwz_make<long>(argc * 3);
    std::printf("%d %ld\n", total(r), l[0]);
    delete[] l;
}

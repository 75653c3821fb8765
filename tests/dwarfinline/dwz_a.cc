// The first dwz test program (dwz_shared.h).
#include <cstdio>

#include "dwz_shared.h"

int main(int argc, char **argv)
{
    dwz_registry r;
    dwz_fill(r, argc);
    for (int i = 0; i < 100 + argc; i++)
        r.add(argv[0], i);
    double *d = dwz_make<double>(argc * 10);
    std::printf("%zu %f\n", r.names.size(), d[0]);
    delete[] d;
}

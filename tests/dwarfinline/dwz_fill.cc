// Linked into both dwz test programs (dwz_shared.h).
#include "dwz_shared.h"

int dwz_fill(dwz_registry &r, int n)
{
    for (int i = 0; i < n; i++)
        r.add("fill", i);
    int *v = dwz_make<int>(n);
    int s = v[0];
    delete[] v;
    return s + static_cast<int>(r.names.size());
}

/* The inline oracle's program (oracle.sh): static inline helpers that
 * call each other, so inlined copies nest two and three deep, from a
 * header into functions of three files.  Cold paths split some copies
 * into several ranges (DW_AT_ranges). */
#include <stddef.h>

int inl_a(int n);
int inl_b(const int *v, int n);
extern int (*volatile inl_fn)(int);
void inl_fail(int code);

static inline int inl_leaf(int x)
{
    int y = x * 31;
    if (__builtin_expect(y == 12345, 0))
        inl_fail(y);
    return y ^ (x >> 3);
}

static inline int inl_mid(int x)
{
    int r = inl_leaf(x) + inl_leaf(x + 1);
    return r * 3 + inl_fn(r);
}

static inline int inl_top(const int *v, int n)
{
    int s = 0;
    for (int i = 0; i < n; i++)
        s += inl_mid(v[i]) - inl_leaf(i);
    return s;
}

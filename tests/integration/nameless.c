/*
 * nameless.c - a function that go tool pprof finds without a name in
 * the DWARF of a program built -O2 -g (pprof_names.sh): hp_nameless_alloc
 * is inlined into main at one call and also kept out of line for the call
 * through a pointer, so GCC describes the out-of-line copy by an entry with
 * DW_AT_abstract_origin and no DW_AT_name of its own.
 */
#include <stdio.h>
#include <stdlib.h>

void *hp_nameless_alloc(size_t n);

void *hp_nameless_alloc(size_t n)
{
    void *p = malloc(n);
    if (!p)
        abort();
    return p;
}

/* volatile: the compiler cannot see which function is called, so this
 * call goes to the out-of-line copy. */
void *(*volatile hp_nameless_fn)(size_t) = hp_nameless_alloc;

static void *keep[2000];

int main(void)
{
    for (int i = 0; i < 1000; i++)
        keep[i] = hp_nameless_fn(1000);  /* the out-of-line copy */
    for (int i = 1000; i < 2000; i++)
        keep[i] = hp_nameless_alloc(10); /* inlined */
    printf("%d\n", keep[1999] != NULL);
    return 0;
}

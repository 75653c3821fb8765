/*
 * cli_lines.c - a program built -O2 -g, as users build theirs, whose
 * profile carries heapprof's own file:line (cli_lines.sh): lines_alloc is
 * inlined into main at one call and also kept out of line for the call
 * through a pointer, so GCC describes the out-of-line copy by a DWARF entry
 * without a name, which go tool pprof cannot name; heapprof then marks the
 * binary's mapping as symbolized and writes each frame's file and line
 * (README, "file:line").
 *
 * two_sites allocates at two lines of one function, 1000 times each, with
 * sizes that tell them apart; the lines are marked SITE_A and SITE_B for
 * the test to find.  Everything is kept, so every byte is live at exit.
 */
#include <stdio.h>
#include <stdlib.h>

void *lines_alloc(size_t n);
void two_sites(int i);

void *lines_alloc(size_t n)
{
    void *p = malloc(n); /* OUT_OF_LINE */
    if (!p)
        abort();
    return p;
}

/* volatile: the compiler cannot see which function is called, so this
 * call goes to the out-of-line copy. */
void *(*volatile lines_fn)(size_t) = lines_alloc;

static void *keep[4000];

__attribute__((noinline)) void two_sites(int i)
{
    keep[2000 + i] = malloc(3000); /* SITE_A */
    if (!keep[2000 + i])
        abort();
    keep[3000 + i] = malloc(5000); /* SITE_B */
    if (!keep[3000 + i])
        abort();
}

int main(void)
{
    for (int i = 0; i < 1000; i++)
        keep[i] = lines_fn(1000); /* the out-of-line copy */
    for (int i = 1000; i < 2000; i++)
        keep[i] = lines_alloc(10); /* inlined */
    for (int i = 0; i < 1000; i++)
        two_sites(i);
    printf("%d\n", keep[3999] != NULL);
    return 0;
}

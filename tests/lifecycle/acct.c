/*
 * acct.c - the profiler's bounded tables (run in exact mode).
 *
 *   acct maxlive N    N x ac_keep(32) kept live; a SIGUSR2 profile (waits for
 *                     0001); all freed; prints a checksum of the program's
 *                     own work (the same with and without the preload).
 *   acct maxstacks B  2^B distinct stacks (ms_go), each allocating 24 bytes,
 *                     every second one freed; then 64 more allocation sites
 *                     (fo_leaf0..63, 40 bytes each, kept); prints a checksum.
 */
#include <signal.h>

#include "lc.h"

LC_MANY_STACKS_IMPL

NOINLINE void *ac_keep(size_t n) { return malloc(n); }

static int maxlive(long n, int profiled)
{
    unsigned char **v = malloc((size_t)n * sizeof *v);
    unsigned long h = 5381;
    for (long i = 0; i < n; i++) {
        v[i] = ac_keep(32);
        memset(v[i], (int)(i & 0xff), 32);
    }
    if (profiled) {
        raise(SIGUSR2);
        lc_wait_seq(1);
    }
    for (long i = 0; i < n; i++) {
        h = h * 33 + v[i][i % 32];
        free(v[i]);
    }
    free(v);
    printf("maxlive %ld checksum %lx\n", n, h);
    return 0;
}

/* 64 allocation sites whose 4 innermost frames differ (the leaf itself):
 * past HEAPPROF_MAX_STACKS even their merged forms do not fit, and they are
 * counted under [other stacks] alone.  The store of a distinct constant
 * keeps GCC's identical-code folding from making them one function. */
static volatile int fo_sink;
#define FO_LEAF(i) \
    static NOINLINE void *fo_leaf##i(size_t n) { fo_sink = i; return malloc(n); }
#define FO_8(a) FO_LEAF(a##0) FO_LEAF(a##1) FO_LEAF(a##2) FO_LEAF(a##3) \
                FO_LEAF(a##4) FO_LEAF(a##5) FO_LEAF(a##6) FO_LEAF(a##7)
FO_LEAF(0) FO_LEAF(1) FO_LEAF(2) FO_LEAF(3) FO_LEAF(4) FO_LEAF(5) FO_LEAF(6) FO_LEAF(7)
FO_8(1) FO_8(2) FO_8(3) FO_8(4) FO_8(5) FO_8(6) FO_8(7)
#define FO_REF8(a) fo_leaf##a##0, fo_leaf##a##1, fo_leaf##a##2, fo_leaf##a##3, \
                   fo_leaf##a##4, fo_leaf##a##5, fo_leaf##a##6, fo_leaf##a##7
static void *(*const fo_leaves[64])(size_t) = {
    fo_leaf0, fo_leaf1, fo_leaf2, fo_leaf3, fo_leaf4, fo_leaf5, fo_leaf6, fo_leaf7,
    FO_REF8(1), FO_REF8(2), FO_REF8(3), FO_REF8(4), FO_REF8(5), FO_REF8(6), FO_REF8(7),
};

static int maxstacks(int bits)
{
    unsigned n = 1u << bits;
    unsigned char **v = malloc(n * sizeof *v);
    unsigned long h = 5381;
    for (unsigned k = 0; k < n; k++) {
        v[k] = ms_go(k, bits, 24);
        memset(v[k], (int)(k & 0xff), 24);
    }
    for (unsigned k = 0; k < n; k++) {
        h = h * 33 + v[k][k % 24];
        if (k & 1)
            free(v[k]);
    }
    for (unsigned i = 0; i < 64; i++) {
        unsigned char *p = fo_leaves[i](40);
        memset(p, (int)i, 40);
        h = h * 33 + p[i % 40]; /* kept: live in the exit profile */
    }
    printf("maxstacks %u checksum %lx\n", n, h);
    return 0;
}

int main(int argc, char **argv)
{
    int profiled = getenv("LD_PRELOAD") != NULL;
    if (argc >= 3 && !strcmp(argv[1], "maxlive"))
        return maxlive(atol(argv[2]), profiled);
    if (argc >= 3 && !strcmp(argv[1], "maxstacks"))
        return maxstacks(atoi(argv[2]));
    fprintf(stderr, "usage: acct maxlive N | acct maxstacks BITS\n");
    return 2;
}

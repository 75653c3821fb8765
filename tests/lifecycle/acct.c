/*
 * acct.c - the profiler's bounded tables (run in exact mode).
 *
 *   acct maxlive N    N x ac_keep(32) kept live; a SIGUSR2 profile (waits for
 *                     0001); all freed; prints a checksum of the program's
 *                     own work (the same with and without the preload).
 *   acct maxstacks B  2^B distinct stacks (ms_go), each allocating 24 bytes,
 *                     every second one freed; prints a checksum.
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

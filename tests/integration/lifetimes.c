/*
 * lifetimes.c - objects of known lifetimes from three call sites, for
 * integ_lifetimes.
 *
 * temp() allocates and frees at once, TEMP times (a temporary
 * allocation); later() allocates LATER objects and frees them WAIT_S
 * seconds later; keep_all() allocates KEEP and never frees them.  The exit
 * profile must put temp's allocations in the lifetime band under 1 s,
 * later's in the band of WAIT_S, and keep_all's in none.
 * Usage: lifetimes [WAIT_S]
 */
#include "integ.h"

#define TEMP 200
#define LATER 50
#define KEEP 30
#define SIZE 1000

static void *kept[KEEP];

NOINLINE static void temp(void)
{
    for (int i = 0; i < TEMP; i++) {
        void *p = malloc(SIZE);
        if (!p)
            exit(1);
        free(p);
    }
}

NOINLINE static void later(void **out)
{
    for (int i = 0; i < LATER; i++)
        out[i] = malloc(SIZE);
}

NOINLINE static void keep_all(void)
{
    for (int i = 0; i < KEEP; i++)
        kept[i] = malloc(SIZE);
}

int main(int argc, char **argv)
{
    unsigned wait_s = argc > 1 ? (unsigned)atoi(argv[1]) : 3;
    void *l[LATER];
    later(l);
    keep_all();
    temp();
    sleep(wait_s);
    for (int i = 0; i < LATER; i++)
        free(l[i]);
    printf("kept %d\n", KEEP);
    return kept[0] ? 0 : 1;
}

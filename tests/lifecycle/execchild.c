/*
 * execchild.c - the program exec.c runs: prints its pid and the LD_PRELOAD
 * it was given, allocates 10 x ec_child_alloc (live), exits.
 */
#include "lc.h"

NOINLINE void *ec_child_alloc(void) { return malloc(1000); }

static void *keep[10];

int main(void)
{
    const char *pre = getenv("LD_PRELOAD");
    for (int i = 0; i < 10; i++)
        keep[i] = ec_child_alloc();
    printf("child pid %d\n", (int)getpid());
    printf("child LD_PRELOAD=[%s]\n", pre ? pre : "(unset)");
    return 0;
}

/*
 * ages.c - live objects of known ages from one call site, for integ_ages.
 *
 * keep_some() allocates from the same stack twice, 3 s apart: the exit profile
 * must split that stack's in-use values into two age bands and count its
 * allocations once.  temp()'s objects are freed before the end: no age.
 * Usage: ages [WAIT_S]
 */
#include <sys/wait.h>

#include "integ.h"

#define OLD 100
#define NEW 60
#define SIZE 1000

static void *kept[OLD + NEW];

NOINLINE static void keep_some(int from, int n)
{
    for (int i = from; i < from + n; i++)
        kept[i] = malloc(SIZE);
}

NOINLINE static void temp(void **out, int n)
{
    for (int i = 0; i < n; i++)
        out[i] = malloc(SIZE);
}

int main(int argc, char **argv)
{
    unsigned wait_s = argc > 1 ? (unsigned)atoi(argv[1]) : 3;
    void *t[40];
    temp(t, 40);
    for (int round = 0; round < 2; round++) {
        keep_some(round ? OLD : 0, round ? NEW : OLD);
        if (!round)
            sleep(wait_s);
    }
    for (int i = 0; i < 40; i++)
        free(t[i]);
    if (argc > 2 && !strcmp(argv[2], "fork")) {
        pid_t pid = fork();
        if (pid < 0)
            return 2;
        if (pid == 0)
            return 0; /* the child's exit profile: the same objects, as old */
        int st;
        if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
            return 3;
    }
    printf("kept %d\n", OLD + NEW);
    return kept[0] ? 0 : 1;
}

/*
 * exec.c - a parent that runs another program.
 *
 *   exec forkexec CHILD   5 x ex_parent live, fork, the child execs CHILD;
 *                         waits for it and prints "parent PID child PID STATUS".
 *   exec exec CHILD       5 x ex_parent live, a SIGUSR2 profile (waits for its
 *                         0001), then execs CHILD in place (same pid).
 */
#include <signal.h>
#include <sys/wait.h>

#include "lc.h"

NOINLINE void *ex_parent(void) { return malloc(1000); }

static void *keep[5];

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 3) {
        fprintf(stderr, "usage: exec forkexec|exec CHILD\n");
        return 2;
    }
    for (int i = 0; i < 5; i++)
        keep[i] = ex_parent();
    char *cargv[] = {argv[2], NULL};
    if (!strcmp(argv[1], "exec")) {
        raise(SIGUSR2);
        lc_wait_seq(1);
        printf("parent %d execs\n", (int)getpid());
        execv(argv[2], cargv);
        perror("execv");
        return 3;
    }
    pid_t c = fork();
    if (c < 0)
        return 3;
    if (c == 0) {
        execv(argv[2], cargv);
        perror("execv");
        _exit(127);
    }
    int st;
    if (waitpid(c, &st, 0) != c)
        return 4;
    printf("parent %d child %d %d\n", (int)getpid(), (int)c,
           WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    return 0;
}

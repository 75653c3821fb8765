/*
 * forkhandlers.c - fork(2) in a program linked to a library whose fork
 * handlers allocate (atforklib.c).
 *
 *   forkhandlers N   forks N children, one after the other.  Each child
 *                    allocates and frees; the odd ones leave with exit()
 *                    (an exit profile), the even ones with _exit().  A child
 *                    not finished within LC_WAIT_S is reported as hung.
 *                    Prints "forked N hung H bad B dump D", D being what
 *                    heapprof_dump() answered in the last parent handler
 *                    (an errno name; "none" without the preload).
 */
#include <signal.h>
#include <sys/wait.h>

#include "lc.h"

extern int atfork_dump_result;

NOINLINE void *fh_child(size_t n) { return malloc(n); }

static const char *errname(int e)
{
    switch (e) {
    case -1: return "none";
    case 0: return "0";
    case EDEADLK: return "EDEADLK";
    default: return "other";
    }
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 20, hung = 0, bad = 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 0; i < n && !hung; i++) {
        pid_t c = fork();
        if (c < 0) {
            perror("fork");
            return 2;
        }
        if (c == 0) {
            void *p[50];
            for (int j = 0; j < 50; j++)
                p[j] = fh_child(100 + (size_t)j);
            for (int j = 0; j < 50; j++)
                free(p[j]);
            if (i % 2)
                exit(0);
            _exit(0);
        }
        int st = 0;
        if (!testlib_wait_child(c, LC_WAIT_S, &st)) {
            fprintf(stderr, "child %d (fork %d of %d) hung: not finished after %.0f s\n", (int)c,
                    i + 1, n, LC_WAIT_S);
            hung++;
        } else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "child %d (fork %d of %d) ended with status 0x%x\n", (int)c, i + 1, n,
                    st);
            bad++;
        }
    }
    printf("forked %d hung %d bad %d dump %s\n", n, hung, bad, errname(atfork_dump_result));
    return hung || bad ? 1 : 0;
}

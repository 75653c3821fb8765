/*
 * ctorvforklib.c - a library linked by the program (not preloaded) whose
 * constructor runs a program with vfork() and execl(), as a library may to
 * start a helper.  Constructors of the program's libraries run before
 * those of a preloaded library, so the profiler's own has not run yet, and
 * the vfork child, which shares the parent's memory, calls heapprof's
 * execl.  ctorvfork_status is the child's wait status.
 */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int ctorvfork_status = -1;

__attribute__((constructor)) static void spawn(void)
{
    const char *prog = getenv("CTORVFORK_PROG");
    if (!prog)
        return;
    pid_t c = vfork();
    if (c == 0) {
        execl(prog, prog, (char *)NULL);
        _exit(127);
    }
    int st;
    if (c > 0 && waitpid(c, &st, 0) == c)
        ctorvfork_status = st;
}

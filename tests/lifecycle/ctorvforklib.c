/*
 * ctorvforklib.c - a library linked by the program (not preloaded) whose
 * constructor runs a program with vfork() and execl(), as a library may to
 * start a helper.  Constructors of the program's libraries run before
 * those of a preloaded library, so the profiler's own has not run yet, and
 * the vfork child, which shares the parent's memory, calls heapprof's
 * execl.  ctorvfork_status is the child's wait status.  With
 * CTORVFORK_PIPE2 set it also makes a pipe with pipe2() first, reaching
 * heapprof's pipe2 before heapprof's constructor: ctorvfork_pipe2 is what
 * pipe2 returned (-2: not called).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int ctorvfork_status = -1;
int ctorvfork_pipe2 = -2;

__attribute__((constructor)) static void spawn(void)
{
    if (getenv("CTORVFORK_PIPE2")) {
        int fds[2];
        ctorvfork_pipe2 = pipe2(fds, O_CLOEXEC);
        if (ctorvfork_pipe2 == 0) {
            close(fds[0]);
            close(fds[1]);
        }
    }
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

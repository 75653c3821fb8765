/*
 * cli_static.c - a statically linked program (no PT_INTERP: LD_PRELOAD
 * cannot load libheapprof.so into it) that runs the program its arguments
 * name, as busybox sh would, and exits with that program's status; with
 * no arguments, exits 0.  Linked -static (cli_run: `heapprof run` says so
 * before it starts, and the dynamically linked child is profiled).
 */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2)
        return 0;
    pid_t c = fork();
    if (c < 0)
        return 125;
    if (c == 0) {
        execv(argv[1], argv + 1);
        perror("cli_static: execv");
        _exit(127);
    }
    int st;
    if (waitpid(c, &st, 0) != c)
        return 125;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

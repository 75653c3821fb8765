/*
 * runstat - run a command and report its wall time and peak RSS.
 *
 *   runstat OUTFILE [-e NAME=VALUE]... [--] PROGRAM [ARG]...
 *
 * Forks, sets the -e variables in the child only (so an LD_PRELOAD meant
 * for the program is not loaded into runstat itself), execs PROGRAM, waits
 * for it with wait4 and writes one line to OUTFILE:
 *   wall_ns=<n> cpu_ns=<user+system> maxrss_kb=<n> status=<exit code, or 128+signal>
 * runstat's own exit status is the child's.
 *
 * Why not the driver's own fork: a child forked from python starts with
 * python's resident set, and the kernel keeps that high-water mark across
 * exec (ru_maxrss), so small programs would all read ~16 MiB.  This
 * process is small, so what is measured is the program's own peak.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: runstat OUTFILE [-e NAME=VALUE]... [--] PROGRAM [ARG]...\n");
        return 2;
    }
    const char *out = argv[1];
    int i = 2;
    int first_env = i;
    while (i < argc && !strcmp(argv[i], "-e") && i + 1 < argc)
        i += 2;
    int last_env = i;
    if (i < argc && !strcmp(argv[i], "--"))
        i++;
    if (i >= argc) {
        fprintf(stderr, "runstat: no program\n");
        return 2;
    }
    long long t0 = now_ns();
    pid_t pid = fork();
    if (pid < 0) {
        perror("runstat: fork");
        return 2;
    }
    if (pid == 0) {
        for (int k = first_env; k < last_env; k += 2)
            if (putenv(argv[k + 1])) {
                perror("runstat: putenv");
                _exit(127);
            }
        execvp(argv[i], argv + i);
        perror("runstat: exec");
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) {
        perror("runstat: wait4");
        return 2;
    }
    long long wall = now_ns() - t0;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    FILE *f = fopen(out, "w");
    if (!f) {
        perror("runstat: OUTFILE");
        return 2;
    }
    long long cpu = ((long long)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 +
                    ((long long)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
    fprintf(f, "wall_ns=%lld cpu_ns=%lld maxrss_kb=%ld status=%d\n", wall, cpu, ru.ru_maxrss, code);
    fclose(f);
    return code;
}

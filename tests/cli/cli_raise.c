/*
 * cli_raise.c - preloaded into the heapprof command by the CLI tests to
 * deliver a signal at a known moment of writing an output file, which no
 * timing from outside can hit reliably: with CLI_RAISE=N, the first
 * fclose raises signal N before closing (the SVG is then written, still
 * under its temporary name).  Every other call goes to glibc's fclose.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

int fclose(FILE *f)
{
    static int done;
    static int (*real)(FILE *);
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "fclose"); /* POSIX dlsym's idiom */
    const char *s = getenv("CLI_RAISE");
    if (s && !done) {
        done = 1;
        (void)raise(atoi(s));
    }
    return real(f);
}

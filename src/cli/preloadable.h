/*
 * preloadable.h - whether the loader will load libheapprof.so into a
 * program that `heapprof run` is about to start, read from the program's
 * file before it runs.
 *
 * LD_PRELOAD is the dynamic loader's: a statically linked program (no
 * PT_INTERP) has none, and runs without the library; a set-user-ID or
 * set-group-ID program run by another user runs in the loader's secure
 * mode, which ignores a preload path with a slash and drops LD_PRELOAD
 * from the environment of what the program starts (ld.so(8)); so does a
 * program given capabilities by its file (setcap) that a user other than
 * root gains by running it.  Either way the program writes no profile,
 * and neither a signal nor a period can change that.
 */
#ifndef HEAPPROF_CLI_PRELOADABLE_H
#define HEAPPROF_CLI_PRELOADABLE_H

typedef enum preloadable {
    PRELOAD_OK,     /* loads it, or cannot be told (a script, not found) */
    PRELOAD_STATIC, /* statically linked (static-pie too) */
    PRELOAD_SETUID, /* set-user-ID, to another user: secure mode */
    PRELOAD_SETGID, /* set-group-ID, to another group: secure mode */
    PRELOAD_CAPS,   /* file capabilities gained, by a user other than root: secure mode */
} preloadable;

/* What the program that execvp(program) would run makes of LD_PRELOAD:
 * program as given, looked for in PATH as execvp does when it has no '/'.
 * One that cannot be found, or is not an ELF file of this machine's, is
 * PRELOAD_OK: exec says what is wrong with it, or its interpreter runs.
 * One that cannot be read is taken for a binary: its set-ID bits count. */
preloadable preloadable_check(const char *program);

#endif

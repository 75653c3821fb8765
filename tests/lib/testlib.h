/*
 * testlib.h - what the test programs run with libheapprof.so preloaded
 * share (tests/integration/integ.h and tests/lifecycle/lc.h include it).
 *
 * The programs are built at -O0 without builtins, inlining or sibling calls,
 * and every allocating function is NOINLINE, so each malloc stays where the
 * source puts it and the profile's leaf is the named function.  Nothing here
 * allocates.
 *
 * Waiting is polling with a generous deadline: a profile appears atomically
 * (the profiler's writer renames it into place), and a test never passes or
 * fails on how long something took.
 */
#ifndef TESTLIB_H
#define TESTLIB_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noclone, used))

static inline double testlib_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Sleep ms milliseconds, whatever signals arrive meanwhile. */
static inline void testlib_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) && errno == EINTR)
        ;
}

/* HEAPPROF_OUT as the profiler sees it (its default is "heapprof"). */
static inline const char *testlib_prefix(void)
{
    const char *p = getenv("HEAPPROF_OUT");
    return p && *p ? p : "heapprof";
}

/* The path of profile number seq of process pid: PREFIX.<pid>.<seq>.pb.gz */
static inline void testlib_profile_path(char *buf, size_t len, pid_t pid, unsigned seq)
{
    snprintf(buf, len, "%s.%d.%04u.pb.gz", testlib_prefix(), (int)pid, seq);
}

static inline int testlib_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Poll until path exists: 1 when it does, 0 after timeout_s seconds. */
static inline int testlib_wait_file(const char *path, double timeout_s)
{
    double end = testlib_now() + timeout_s;
    while (!testlib_exists(path)) {
        if (testlib_now() > end)
            return 0;
        testlib_sleep_ms(5);
    }
    return 1;
}

/* Wait for child c at most timeout_s seconds: 1 with its status in *st, or
 * 0 when it hung (it is then killed and reaped, for the next test). */
static inline int testlib_wait_child(pid_t c, double timeout_s, int *st)
{
    double end = testlib_now() + timeout_s;
    pid_t w;
    while ((w = waitpid(c, st, WNOHANG)) == 0 && testlib_now() < end)
        testlib_sleep_ms(2);
    if (w != 0)
        return 1;
    kill(c, SIGKILL);
    waitpid(c, st, 0);
    return 0;
}

#endif

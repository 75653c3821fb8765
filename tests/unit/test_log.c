/* Unit tests: the profiler's stderr lines (src/log.h): "heapprof[PID]: "
 * with the pid of the process writing, a fork child's its own; errno kept;
 * one line whatever the message holds;
 * a line cut at LOG_MAX still ends in a newline; the count of suppressed
 * lines still reported.  fd 2 is a pipe only while a line is written, so
 * that cmocka's own messages reach the real stderr. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

enum { LINE_MAX_BYTES = 4096 }; /* log.c's LOG_MAX: a line with its newline is shorter */

static int pipe_r = -1, pipe_w = -1, real_err = -1;

static void to_pipe(void) { assert_int_equal(dup2(pipe_w, 2), 2); }
static void to_stderr(void) { assert_int_equal(dup2(real_err, 2), 2); }

/* Everything written to the pipe so far, NUL-terminated, in buf. */
static size_t drain(char *buf, size_t size)
{
    size_t n = 0;
    ssize_t r;
    while (n < size - 1 && (r = read(pipe_r, buf + n, size - 1 - n)) > 0)
        n += (size_t)r;
    buf[n] = '\0';
    return n;
}

static int setup(void **state)
{
    (void)state;
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return -1;
    pipe_r = p[0];
    pipe_w = p[1];
    (void)fcntl(pipe_r, F_SETFL, O_NONBLOCK);
    real_err = dup(2);
    if (real_err < 0 || dup2(pipe_w, 2) != 2)
        return -1;
    log_start(); /* fd 2 is the pipe: lines go out while it is */
    return dup2(real_err, 2) == 2 ? 0 : -1;
}

static void prefix_has_the_pid(void **state)
{
    (void)state;
    char buf[LOG_PREFIX_MAX], want[64];
    int n = snprintf(want, sizeof want, "heapprof[%d]: ", (int)getpid());
    errno = 4242;
    assert_int_equal(log_prefix(buf), n);
    assert_string_equal(buf, want);
    assert_int_equal(errno, 4242);
}

static void line_has_the_pid_and_keeps_errno(void **state)
{
    (void)state;
    char got[256], want[64];
    snprintf(want, sizeof want, "heapprof[%d]: hello 7\n", (int)getpid());
    to_pipe();
    errno = 4242;
    int r = log_line("hello %d", 7);
    int e = errno;
    to_stderr();
    assert_int_equal(r, 1);
    assert_int_equal(e, 4242);
    drain(got, sizeof got);
    assert_string_equal(got, want);
}

/* A value with control characters in it (a HEAPPROF_* variable, a path
 * with a newline) stays on the one line, each such byte shown as '?', as
 * ls(1) shows them: its "\nheapprof[1]: ..." was a second line, untagged
 * or with another process's tag. */
static void control_characters_stay_on_one_line(void **state)
{
    (void)state;
    char got[256], want[128];
    snprintf(want, sizeof want, "heapprof[%d]: HEAPPROF_OUT=\"a?heapprof[1]: b?c?d\te\" 1\n",
             (int)getpid());
    to_pipe();
    int r = log_line("HEAPPROF_OUT=\"%s\" %d", "a\nheapprof[1]: b\rc\x1b" "d\te", 1);
    to_stderr();
    assert_int_equal(r, 1);
    drain(got, sizeof got);
    assert_string_equal(got, want);
}

/* The child's line carries the child's pid, the parent's after it the
 * parent's: nothing the parent computed before the fork is reused. */
static void fork_child_line_has_the_child_pid(void **state)
{
    (void)state;
    char got[256], want[128];
    pid_t c = fork();
    assert_true(c >= 0);
    if (c == 0) {
        to_pipe();
        _exit(log_line("from the child") == 1 ? 0 : 1);
    }
    int st;
    assert_int_equal(waitpid(c, &st, 0), c);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    to_pipe();
    int r = log_line("from the parent");
    to_stderr();
    assert_int_equal(r, 1);
    snprintf(want, sizeof want, "heapprof[%d]: from the child\nheapprof[%d]: from the parent\n",
             (int)c, (int)getpid());
    drain(got, sizeof got);
    assert_string_equal(got, want);
}

/* A message longer than the buffer: the line is cut, after the whole
 * prefix, to LOG_MAX - 1 bytes, newline included. */
static void long_line_is_cut_and_ends_in_newline(void **state)
{
    (void)state;
    static char msg[LINE_MAX_BYTES + 1000], got[2 * LINE_MAX_BYTES];
    memset(msg, 'a', sizeof msg - 1);
    char prefix[LOG_PREFIX_MAX];
    size_t np = log_prefix(prefix);
    to_pipe();
    int r = log_line("%s", msg);
    to_stderr();
    assert_int_equal(r, 1);
    size_t n = drain(got, sizeof got);
    assert_int_equal(n, LINE_MAX_BYTES - 1);
    assert_memory_equal(got, prefix, np);
    assert_int_equal(got[n - 1], '\n');
    assert_int_equal(strspn(got + np, "a"), n - 1 - np);
}

/* Past the burst, lines are suppressed and counted; the next line that gets
 * through after a refill says how many. */
static void suppressed_lines_are_counted(void **state)
{
    (void)state;
    static char got[64 * 1024];
    unsigned since_ok = 0, suppressed = 0;
    to_pipe();
    for (int i = 0; i < 30; i++) {
        if (log_line("storm %d", i)) {
            since_ok = 0;
        } else {
            since_ok++;
            suppressed++;
        }
    }
    to_stderr();
    assert_true(suppressed > 0);
    assert_true(since_ok > 0);
    nanosleep(&(struct timespec){1, 100000000}, NULL); /* a token back */
    to_pipe();
    int r = log_line("after");
    to_stderr();
    assert_int_equal(r, 1);
    drain(got, sizeof got);
    char want[128];
    snprintf(want, sizeof want, "heapprof[%d]: after (%u earlier messages suppressed)\n",
             (int)getpid(), since_ok);
    size_t n = strlen(got), nw = strlen(want);
    assert_true(n >= nw);
    assert_string_equal(got + n - nw, want);
}

/* log_first_line: said once per (what, path), even when the bucket is
 * empty: before, the bucket dropped it after a burst of other lines, its
 * slot spent, so it was never said at all. */
static void first_line_not_rate_limited(void **state)
{
    (void)state;
    static char got[64 * 1024];
    char want[128];
    int i = 0;
    to_pipe();
    while (i < 1000 && log_line("burst %d", i))
        i++;
    int r = log_first_line("altlink", "/r/prog.debug", "%s: said %d", "/r/prog.debug", 1);
    int again = log_first_line("altlink", "/r/prog.debug", "%s: said %d", "/r/prog.debug", 2);
    to_stderr();
    assert_true(i < 1000); /* the bucket ran dry */
    assert_int_equal(r, 1);
    assert_int_equal(again, 0);
    drain(got, sizeof got);
    /* (with the count of the burst's lines the bucket dropped) */
    snprintf(want, sizeof want, "heapprof[%d]: /r/prog.debug: said 1 (", (int)getpid());
    assert_non_null(strstr(got, want));
    assert_null(strstr(got, "said 2"));
}

/* Once per (what, path), in this process, and no more than LOG_FIRST_MAX
 * files in all (a process meeting thousands of broken files says a
 * bounded number of lines); the first refused says so, once (before,
 * nothing did). */
static void first_once_per_file(void **state)
{
    (void)state;
    static char got[64 * 1024];
    to_pipe();
    int yes = 1; /* first_line_not_rate_limited's */
    yes += log_first_line("altlink", "/a/prog.debug", "a %d", 1);
    assert_int_equal(log_first_line("altlink", "/a/prog.debug", "a %d", 2), 0);
    yes += log_first_line("compression", "/a/prog.debug", "c %d", 1);
    assert_int_equal(log_first_line("compression", "/a/prog.debug", "c %d", 2), 0);
    yes += log_first_line("altlink", "/b/lib.so.debug", "b %d", 1);
    assert_int_equal(log_first_line("altlink", "/a/prog.debug", "a %d", 3), 0);
    assert_int_equal(yes, 4);
    char path[64];
    int notes = 0;
    for (int i = 0; i < 2 * LOG_FIRST_MAX; i++) {
        snprintf(path, sizeof path, "/many/%d", i);
        int r = log_first_line("altlink", path, "many %d", i);
        yes += r && i < LOG_FIRST_MAX - 4;
        notes += r && i >= LOG_FIRST_MAX - 4;
        assert_int_equal(log_first_line("altlink", path, "many again %d", i), 0);
    }
    assert_int_equal(log_first_line("altlink", "/b/lib.so.debug", "b %d", 2), 0);
    to_stderr();
    assert_int_equal(yes, LOG_FIRST_MAX);
    assert_int_equal(notes, 1);
    drain(got, sizeof got);
    char want[256];
    snprintf(want, sizeof want, "heapprof[%d]: /many/%d: no more lines said once per file, such "
             "as this one's (altlink), in this process: %d files have had one\n",
             (int)getpid(), LOG_FIRST_MAX - 4, LOG_FIRST_MAX);
    assert_non_null(strstr(got, want));
    assert_null(strstr(got, "again"));
    assert_null(strstr(got, "a 2"));
    assert_null(strstr(got, "b 2"));
    snprintf(want, sizeof want, "many %d\n", LOG_FIRST_MAX - 4);
    assert_null(strstr(got, want));
}

/* A line whose write fails (a full pipe; a reader gone, a full disk
 * alike) went out for log_line, whose callers that try again on 0 would
 * try at every call and fail alike (a dropped sample's line, behind a dead
 * pipe, on every sample); log_line_always says it was not written, so no
 * mark says the file was told (parent.h). */
static void failed_write(void **state)
{
    (void)state;
    static char got[256 * 1024];
    nanosleep(&(struct timespec){1, 100000000}, NULL); /* a token back */
    int flags = fcntl(pipe_w, F_GETFL);
    assert_int_equal(fcntl(pipe_w, F_SETFL, flags | O_NONBLOCK), 0);
    char block[4096];
    memset(block, 'x', sizeof block);
    while (write(pipe_w, block, sizeof block) > 0)
        ;
    to_pipe();
    errno = 0;
    int went = log_line("into a full pipe");
    int told = log_line_always("into a full pipe, always");
    int saved = errno;
    to_stderr();
    assert_int_equal(fcntl(pipe_w, F_SETFL, flags), 0);
    drain(got, sizeof got);
    assert_int_equal(went, 1);
    assert_int_equal(told, 0);
    assert_int_equal(saved, 0);
    to_pipe();
    told = log_line_always("room again");
    to_stderr();
    assert_int_equal(told, 1);
    drain(got, sizeof got);
    assert_non_null(strstr(got, "room again"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(prefix_has_the_pid),
        cmocka_unit_test(line_has_the_pid_and_keeps_errno),
        cmocka_unit_test(control_characters_stay_on_one_line),
        cmocka_unit_test(fork_child_line_has_the_child_pid),
        cmocka_unit_test(long_line_is_cut_and_ends_in_newline),
        cmocka_unit_test(suppressed_lines_are_counted),
        cmocka_unit_test(first_line_not_rate_limited),
        cmocka_unit_test(first_once_per_file),
        cmocka_unit_test(failed_write),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}

/*
 * unwind_pipe.c - see unwind_pipe.h.
 */
#define _GNU_SOURCE
#include "unwind_pipe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "unwind.h" /* <libunwind.h>, local only */

/* Where the pipe goes: far above the descriptors a program opens at start
 * and in its first steps, below the 1024 of select() and of the usual
 * soft limit.  Where the limit is lower, just under it. */
enum { PIPE_FLOOR = 512, PIPE_SEARCH = 64 };

static int pipe_fd[2] = {-1, -1}; /* read end, write end */
static dev_t pipe_dev;
static ino_t pipe_ino;
static int usable; /* 1: libunwind may run; written by init, then only lowered */
/* The descriptors held while libunwind makes its pipe: static, as init may
 * run inside the program's first malloc, on a small stack. */
static int held[PIPE_FLOOR];

static bool is_open(int fd) { return fcntl(fd, F_GETFD) != -1; }

/* Hold every free descriptor below floor; true if the lowest free one is
 * then at floor or above.  held[0 .. *n) are to be closed by the caller. */
static bool hold_below(long floor, int *n)
{
    *n = 0;
    /* O_PATH on "/": no access check, no file system it could keep busy. */
    int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    while (fd >= 0 && fd < floor && *n < PIPE_FLOOR) {
        held[(*n)++] = fd;
        fd = fcntl(held[0], F_DUPFD_CLOEXEC, 0); /* the lowest free one */
    }
    if (fd < 0)
        return false;
    close(fd); /* at floor or above: free again, and now the lowest free */
    return true;
}

/* Close held[0 .. n), which hold_below took in increasing order: each
 * run of consecutive numbers with one close_range (Linux 5.9), as a
 * system call costs a microsecond or more here and every process pays
 * this at its start: 509 close calls took 0.5 ms, the one close_range
 * 10 us (held[] in a fresh process is 3 to 511).  One at a time where the
 * kernel or a seccomp filter refuses it. */
static void close_held(int n)
{
    for (int i = 0; i < n;) {
        int j = i + 1;
        while (j < n && held[j] == held[j - 1] + 1)
            j++;
        if (j - i == 1 || close_range((unsigned)held[i], (unsigned)held[j - 1], 0))
            for (int k = i; k < j; k++)
                close(held[k]);
        i = j;
    }
}

/* libunwind's pipe among descriptors [lo, hi): a read end and a write end
 * of one FIFO, both non-blocking and close-on-exec, the only such pair
 * there, and (if before is given: hi - lo <= 64) neither open before. */
static bool find_pipe(long lo, long hi, const uint64_t *before)
{
    int found[2] = {-1, -1};
    struct stat st[2] = {0}; /* read only where found[] is set; cppcheck cannot tell */
    for (long fd = lo; fd < hi; fd++) {
        struct stat s;
        if ((before && (*before >> (fd - lo) & 1)) || fstat((int)fd, &s) || !S_ISFIFO(s.st_mode))
            continue;
        int fl = fcntl((int)fd, F_GETFL), fd_fl = fcntl((int)fd, F_GETFD);
        if (fl < 0 || !(fl & O_NONBLOCK) || fd_fl < 0 || !(fd_fl & FD_CLOEXEC))
            continue;
        int end = (fl & O_ACCMODE) == O_WRONLY;
        if (found[end] != -1)
            return false; /* two candidates: not ours to guess */
        found[end] = (int)fd;
        st[end] = s;
    }
    if (found[0] < 0 || found[1] < 0 || st[0].st_ino != st[1].st_ino ||
        st[0].st_dev != st[1].st_dev)
        return false;
    pipe_fd[0] = found[0];
    pipe_fd[1] = found[1];
    pipe_dev = st[0].st_dev;
    pipe_ino = st[0].st_ino;
    return true;
}

void unwind_pipe_init(void)
{
    static bool done; /* init runs once (profiler.c); a test may call it early */
    if (done)
        return;
    done = true;
    int saved = errno;
    long floor = PIPE_FLOOR;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur < (rlim_t)PIPE_FLOOR + PIPE_SEARCH)
        floor = (long)rl.rlim_cur - PIPE_SEARCH;
    const char *why = NULL;
    if (floor < 3) {
        why = "the descriptor limit is too low";
    } else {
        uint64_t before = 0;
        for (int i = 0; i < PIPE_SEARCH; i++)
            before |= (uint64_t)is_open((int)floor + i) << i;
        int n;
        bool placed = hold_below(floor, &n);
        if (placed) /* libunwind's first use: its pipe2() lands at floor or above */
            unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
        close_held(n);
        /* Where libunwind has run before (gperftools' debugging allocator
         * unwinds with it before heapprof's first sample), its pipe is
         * wherever it was made; heapprof then only keeps to the checks. */
        if (!placed)
            why = "no descriptors to spare";
        else if (!find_pipe(floor, floor + PIPE_SEARCH, &before) &&
                 !find_pipe(0, floor + PIPE_SEARCH, NULL))
            why = "its pipe was not found (libunwind works differently, or the program "
                  "has pipes like it)";
    }
    if (why)
        log_line("libunwind will not be used (%s): stacks are cut where heapprof's own walker "
                 "stops (HEAPPROF_FAST_UNWIND)",
                 why);
    __atomic_store_n(&usable, !why, __ATOMIC_RELEASE);
    errno = saved;
}

bool unwind_pipe_usable(void) { return __atomic_load_n(&usable, __ATOMIC_ACQUIRE) != 0; }

static bool still_ours(int fd)
{
    struct stat s;
    return fstat(fd, &s) == 0 && S_ISFIFO(s.st_mode) && s.st_ino == pipe_ino &&
           s.st_dev == pipe_dev;
}

bool unwind_pipe_ok(void)
{
    if (!unwind_pipe_usable())
        return false;
    int saved = errno;
    bool ok = still_ours(pipe_fd[0]) && still_ours(pipe_fd[1]);
    errno = saved;
    if (!ok && __atomic_exchange_n(&usable, 0, __ATOMIC_ACQ_REL))
        log_line("the program closed or reused descriptors %d and %d, libunwind's pipe: "
                 "libunwind is not used from now on, and stacks are cut where heapprof's own "
                 "walker stops",
                 pipe_fd[0], pipe_fd[1]);
    return ok;
}

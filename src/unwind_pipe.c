/*
 * unwind_pipe.c - see unwind_pipe.h.
 */
#define _GNU_SOURCE
#include "unwind_pipe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdid.h"
#include "log.h"
#include "unwind.h" /* <libunwind.h>, local only */

/* Where the pipe goes: far above the descriptors a program opens at start
 * and in its first steps, below the 1024 of select() and of the usual
 * soft limit.  Where the limit is lower, just under it, as fdid_move_high
 * puts a profile's file (PIPE_UNDER_LIMIT): PIPE_SEARCH under it, as it
 * was, put the pipe on a program's first descriptors under a limit of 67
 * to 100 or so (4 and 5 at 67).  find_pipe looks below floor +
 * PIPE_SEARCH. */
enum { PIPE_FLOOR = 512, PIPE_SEARCH = 64, PIPE_UNDER_LIMIT = 16 };

static int pipe_fd[2] = {-1, -1}; /* read end, write end */
static fdid pipe_id; /* the FIFO both ends are */
static int usable; /* 1: libunwind may run; written by init, then only lowered */

/* While init makes libunwind's first call, on init's thread only (a pipe
 * another thread makes meanwhile is the program's): the two descriptors at
 * the floor or above that the pipe goes onto, and whether it went. */
static __thread bool placing __attribute__((tls_model("initial-exec")));
static int spot[2] = {-1, -1};
static bool moved;

/* The lowest free descriptor just before libunwind's first call: where a
 * pipe it made then, without going through heapprof's pipe2, would have
 * its read end.  (A poll() over every lower descriptor told the same, but
 * it calls each device's poll, which a driver may act on.) */
static int lowest_free = -1;

/* Two descriptors at floor or above (the lowest free there), held open
 * until the pipe replaces them; false if there are not two free. */
static bool reserve(long floor)
{
    /* O_PATH on "/": no access check, no file system it could keep busy. */
    int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return false;
    lowest_free = fd; /* free again once closed below */
    spot[0] = fcntl(fd, F_DUPFD_CLOEXEC, (int)floor);
    spot[1] = spot[0] < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, (int)floor);
    close(fd);
    if (spot[1] < 0) {
        if (spot[0] >= 0)
            close(spot[0]);
        spot[0] = -1;
        return false;
    }
    return true;
}

/* fd copied onto *at, a held spot: dup3 replaces it in one step, no
 * moment where another thread's open() could take the number.  Where dup3
 * is refused (a seccomp filter that allows fcntl), the spot is freed and
 * the lowest free number from it taken, as reserve took it; another thread
 * gets that one first only if every number below it is taken.  *at is
 * then the copy, or -1. */
static bool copy_onto(int fd, int *at)
{
    if (dup3(fd, *at, O_CLOEXEC) == *at)
        return true;
    close(*at);
    *at = fcntl(fd, F_DUPFD_CLOEXEC, *at);
    return *at >= 0;
}

void unwind_pipe_made(int fds[2], int flags)
{
    /* libunwind's flags: a pipe of a signal handler that ran on this
     * thread before libunwind blocked signals is not taken for its. */
    if (!placing || flags != (O_CLOEXEC | O_NONBLOCK))
        return;
    placing = false; /* libunwind makes one pipe */
    int saved = errno;
    if (copy_onto(fds[0], &spot[0]) && copy_onto(fds[1], &spot[1])) {
        close(fds[0]);
        close(fds[1]);
        fds[0] = spot[0]; /* libunwind keeps these numbers */
        fds[1] = spot[1];
        moved = true;
    }
    errno = saved;
}

/* fd's identity if it is a FIFO. */
static bool fifo_at(int fd, struct stat *st)
{
    return fd >= 0 && fstat(fd, st) == 0 && S_ISFIFO(st->st_mode);
}

static bool take(int r, int w)
{
    struct stat st[2];
    if (!fifo_at(r, &st[0]) || !fifo_at(w, &st[1]) || st[0].st_ino != st[1].st_ino ||
        st[0].st_dev != st[1].st_dev)
        return false;
    pipe_fd[0] = r;
    pipe_fd[1] = w;
    pipe_id = (fdid){st[0].st_dev, st[0].st_ino};
    return true;
}

/* Where libunwind ran before init (gperftools' debugging allocator
 * unwinds with it before heapprof's first sample), its pipe is wherever it
 * was made: a read end and a write end of one FIFO among [0, hi), both
 * non-blocking and close-on-exec, the only such pair there, and open
 * before libunwind's call in init (a pipe it made then without going
 * through pipe2, at the lowest free numbers, is in the program's way). */
static const char *find_pipe(long hi)
{
    int found[2] = {-1, -1};
    for (long fd = 0; fd < hi; fd++) {
        struct stat s;
        if (!fifo_at((int)fd, &s))
            continue;
        int fl = fcntl((int)fd, F_GETFL), fd_fl = fcntl((int)fd, F_GETFD);
        if (fl < 0 || !(fl & O_NONBLOCK) || fd_fl < 0 || !(fd_fl & FD_CLOEXEC))
            continue;
        int end = (fl & O_ACCMODE) == O_WRONLY;
        if (found[end] != -1)
            return "its pipe was not found (the program has pipes like it)";
        found[end] = (int)fd;
    }
    if (!take(found[0], found[1]))
        return "its pipe was not found (libunwind works differently, or the program has pipes "
               "like it)";
    if (found[0] == lowest_free || found[1] == lowest_free)
        return "it made its pipe where the program would find it";
    return NULL;
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
        rl.rlim_cur < (rlim_t)PIPE_FLOOR + PIPE_UNDER_LIMIT)
        floor = rl.rlim_cur > (rlim_t)PIPE_UNDER_LIMIT * 2 ? (long)rl.rlim_cur - PIPE_UNDER_LIMIT
                                                           : 0;
    const char *why = NULL;
    if (floor < 3) {
        why = "the descriptor limit is too low";
    } else if (!reserve(floor)) {
        why = "no descriptors to spare";
    } else {
        /* libunwind's first use: its pipe2() comes back to heapprof's
         * (shim_process.c), which moves the pipe onto the spots. */
        placing = true;
        unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
        placing = false;
        if (moved) {
            if (!take(spot[0], spot[1]))
                why = "its pipe was not found (libunwind works differently)";
        } else {
            for (int i = 0; i < 2; i++)
                if (spot[i] >= 0)
                    close(spot[i]);
            why = find_pipe(floor + PIPE_SEARCH);
        }
    }
    if (why)
        log_line("libunwind will not be used (%s): stacks are cut where heapprof's own walker "
                 "stops (HEAPPROF_FAST_UNWIND)",
                 why);
    __atomic_store_n(&usable, !why, __ATOMIC_RELEASE);
    errno = saved;
}

bool unwind_pipe_usable(void) { return __atomic_load_n(&usable, __ATOMIC_ACQUIRE) != 0; }

bool unwind_pipe_ok(void)
{
    if (!unwind_pipe_usable())
        return false;
    int saved = errno;
    bool ok = fdid_same(pipe_fd[0], &pipe_id) && fdid_same(pipe_fd[1], &pipe_id);
    errno = saved;
    if (!ok && __atomic_exchange_n(&usable, 0, __ATOMIC_ACQ_REL))
        log_line("the program closed or reused descriptors %d and %d, libunwind's pipe: "
                 "libunwind is not used from now on, and stacks are cut where heapprof's own "
                 "walker stops",
                 pipe_fd[0], pipe_fd[1]);
    return ok;
}

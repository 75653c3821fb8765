/*
 * log.c - see log.h.  Each line opens with log_prefix's "heapprof[PID]: ".
 * The bucket holds LOG_BURST lines and refills one line per second; a
 * suppressed line is counted and the count reported with the next line that
 * gets through.  Formatting uses vsnprintf, which in glibc does not
 * allocate for the plain conversions used here (%s %d %u %zu %llu).
 *
 * Where a line goes: fd 2, but only while it is the file it was when the
 * profiler started (log_start), and without SIGPIPE or SIGXFSZ (write_line).
 */
#define _GNU_SOURCE
#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "fdid.h"
#include "quietsig.h"

/* LOG_MAX: room for the longest HEAPPROF_OUT path plus its message. */
enum { LOG_BURST = 10, LOG_MAX = 4096 };

static const int log_fd = 2;
static long log_tokens = LOG_BURST;
static time_t log_last_refill;
static unsigned long log_suppressed;
/* Set for good once heapprof stands down under a seccomp filter
 * (lifecycle.c): a line's getpid, fstat and sigprocmask could kill. */
static int log_muted;

void log_mute(void) { __atomic_store_n(&log_muted, 1, __ATOMIC_RELEASE); }

/* fd 2 at start-up: a program that closes its stderr may open a file of its
 * own that gets number 2 (a daemon detaching; fd2file in the tests), and a
 * line written there would corrupt the program's data.  So lines go out only
 * while fd 2 is still the file it was; a program that points stderr
 * elsewhere on purpose (freopen onto a log file) loses them, which README
 * states.  Not open at start-up: nothing is ever written. */
enum { ERR_UNKNOWN, ERR_OPEN, ERR_CLOSED };
static int err_state = ERR_UNKNOWN;
static fdid err_id;

void log_start(void)
{
    if (__atomic_load_n(&err_state, __ATOMIC_ACQUIRE) != ERR_UNKNOWN)
        return;
    int saved = errno;
    fdid id;
    int state = fdid_take(log_fd, &id) ? ERR_OPEN : ERR_CLOSED;
    err_id = id; /* two threads racing here take the same identity */
    __atomic_store_n(&err_state, state, __ATOMIC_RELEASE);
    errno = saved;
}

/* On a thread with a descriptor table of its own (the writer's,
 * threads.c), fd 2 is none of the program's.  A line goes to a copy of
 * the program's fd 2 instead, taken through a pidfd of the process in
 * that table (the same open file: same offset, O_APPEND, pipe) and closed
 * after the line: one held would keep a pipe the program closed open for
 * its reader.  The pidfd + 1; 0: the thread shares the program's table;
 * -1: no pidfd, so no line. */
static __thread int log_pidfd __attribute__((tls_model("initial-exec")));

void log_private_fds(int pidfd) { log_pidfd = pidfd < 0 ? -1 : pidfd + 1; }

/* A pidfd of one thread (Linux 6.9; glibc 2.36 does not name the flag). */
#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

/* Once the main thread has ended (pthread_exit() while the program's other
 * threads work on), a pidfd of the process reaches no table: pidfd_getfd
 * answers ESRCH, and every line of the writer was lost.  Every other
 * thread of the process but the writer shares the program's table: a
 * pidfd of one of them, found in /proc/self/task, stands in for the
 * process's from then on (and is replaced the same way when that thread
 * ends).  -1 when none is found (Linux before 6.9, no /proc). */
static int other_thread_pidfd(void)
{
    int dir = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC), found = -1;
    if (dir < 0)
        return -1;
    pid_t me = gettid();
    char buf[2048] __attribute__((aligned(8))); /* getdents64, as dump.c's each_name: no malloc */
    ssize_t n;
    while (found < 0 && (n = getdents64(dir, buf, sizeof buf)) > 0) {
        for (ssize_t off = 0; off < n && found < 0;) {
            const struct dirent64 *d = (const void *)(buf + off);
            off += d->d_reclen;
            long tid = 0;
            for (const char *c = d->d_name; *c >= '0' && *c <= '9' && tid < 1L << 31; c++)
                tid = tid * 10 + (*c - '0');
            if (tid <= 0 || tid == me)
                continue;
            int p = pidfd_open((pid_t)tid, PIDFD_THREAD);
            if (p < 0)
                continue;
            int fd = pidfd_getfd(p, log_fd, 0);
            if (fd >= 0 || errno == EBADF) { /* EBADF: the table is there, fd 2 is not */
                found = p;
                if (fd >= 0)
                    close(fd);
            } else {
                close(p);
            }
        }
    }
    close(dir);
    return found;
}

/* A copy is closed by the mode, not by its number: in the thread's own
 * table it may well be 2. */
static void line_fd_done(int fd)
{
    if (fd >= 0 && log_pidfd > 0)
        close(fd);
}

/* The descriptor a line goes to now, while fd 2 is still the program's
 * stderr of start-up, or -1; line_fd_done after the line. */
static int line_fd(void)
{
    int state = __atomic_load_n(&err_state, __ATOMIC_ACQUIRE);
    if (state == ERR_CLOSED || log_pidfd < 0)
        return -1;
    int fd = log_pidfd ? pidfd_getfd(log_pidfd - 1, log_fd, 0) : log_fd;
    if (fd < 0 && log_pidfd > 0 && errno == ESRCH) {
        int other = other_thread_pidfd();
        if (other >= 0) {
            close(log_pidfd - 1);
            log_pidfd = other + 1;
            fd = pidfd_getfd(other, log_fd, 0);
        }
    }
    if (state == ERR_UNKNOWN) /* before start-up (never, as profiler_init starts here) */
        return fd;
    if (fd >= 0 && !fdid_same(fd, &err_id)) {
        line_fd_done(fd);
        fd = -1;
    }
    return fd;
}

/* write(2) of the whole line without the signals a failed write raises
 * (quietsig.h): stderr may be a pipe whose reader has gone (a supervisor
 * that exited), or a log file past RLIMIT_FSIZE, and either signal's
 * default action would kill a program that never writes to stderr itself,
 * perhaps from inside its malloc. */
static bool write_line(int fd, const char *buf, size_t n)
{
    /* write() is a cancellation point, and this may run inside the
     * program's malloc on a thread with a cancel pending. */
    int cancel;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
    quietsig q;
    quietsig_begin(&q);
    int failed = 0;
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(fd, buf + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        failed = w < 0 ? errno : 0;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    quietsig_end(&q, failed);
    pthread_setcancelstate(cancel, NULL);
    return off == n;
}

/* The syslog convention, so that the lines of processes sharing one stderr
 * (a pre-forking server's workers, the programs of a pipeline) can be told
 * apart.  getpid() is asked for every line rather than cached: a fork
 * child's lines must carry the child's pid from its first one, and glibc
 * has had no pid cache to go stale since 2.25 (before, a raw clone kept the
 * parent's), so it is one system call on a path already making several.
 * Digits by hand rather than snprintf: this is async-signal-safe, and
 * real.c's last words, written while no allocator is resolved, use it too. */
size_t log_prefix(char buf[static LOG_PREFIX_MAX])
{
    static const char head[] = "heapprof[", tail[] = "]: ";
    char digits[24];
    size_t nd = 0;
    /* Negative only when a seccomp filter refuses getpid() (its errno):
     * "?" then, where the line once named pid 18446744073709551615. */
    long got = getpid();
    unsigned long pid = got > 0 ? (unsigned long)got : 0;
    if (got <= 0)
        digits[nd++] = '?';
    else
        do {
            digits[nd++] = (char)('0' + pid % 10);
            pid /= 10;
        } while (pid);
    size_t n = sizeof head - 1;
    memcpy(buf, head, n);
    while (nd)
        buf[n++] = digits[--nd];
    memcpy(buf + n, tail, sizeof tail); /* with its NUL */
    return n + sizeof tail - 1;
}

/* Returns nonzero if a line may be written now.  The bucket state is shared
 * by threads without a lock: a race can let one extra line through, which is
 * harmless, and taking a lock here could deadlock a caller inside malloc. */
static int log_take_token(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    time_t last = __atomic_load_n(&log_last_refill, __ATOMIC_RELAXED);
    if (ts.tv_sec > last) {
        long refill = (long)(ts.tv_sec - last);
        long t = __atomic_load_n(&log_tokens, __ATOMIC_RELAXED) + refill;
        __atomic_store_n(&log_tokens, t > LOG_BURST ? LOG_BURST : t, __ATOMIC_RELAXED);
        __atomic_store_n(&log_last_refill, ts.tv_sec, __ATOMIC_RELAXED);
    }
    if (__atomic_sub_fetch(&log_tokens, 1, __ATOMIC_RELAXED) >= 0)
        return 1;
    __atomic_store_n(&log_tokens, 0, __ATOMIC_RELAXED);
    __atomic_add_fetch(&log_suppressed, 1, __ATOMIC_RELAXED);
    return 0;
}

/* What became of a line: held back (by the bucket, or no stderr to write
 * it to), written whole, or its write failed (a full pipe or disk, a
 * reader gone). */
enum { LINE_HELD, LINE_WRITTEN, LINE_FAILED };

/* log_line's work; bucket: the line needs a token. */
static int log_vline(bool bucket, const char *fmt, va_list ap)
{
    int saved = errno;
    int fd = -1;
    if (__atomic_load_n(&log_muted, __ATOMIC_ACQUIRE) || (fd = line_fd()) < 0 ||
        (bucket && !log_take_token())) {
        line_fd_done(fd);
        errno = saved;
        return LINE_HELD;
    }
    char buf[LOG_MAX];
    size_t start = log_prefix(buf), n = start; /* at most LOG_PREFIX_MAX - 1 of LOG_MAX */
    int m = vsnprintf(buf + n, sizeof buf - n, fmt, ap);
    n = m < 0 ? n : (n + (size_t)m >= sizeof buf - 1 ? sizeof buf - 2 : n + (size_t)m);
    /* Messages quote what the user gave (a HEAPPROF_* value, a path): a
     * newline there made a second line, untagged or tagged as it liked.
     * Control characters show as '?', as ls(1) shows them; a tab stays. */
    for (size_t i = start; i < n; i++)
        if (((unsigned char)buf[i] < 0x20 && buf[i] != '\t') || buf[i] == 0x7f)
            buf[i] = '?';
    unsigned long lost = __atomic_exchange_n(&log_suppressed, 0, __ATOMIC_RELAXED);
    if (lost && n < sizeof buf - 40)
        n += (size_t)snprintf(buf + n, sizeof buf - n, " (%lu earlier messages suppressed)", lost);
    if (n > sizeof buf - 2)
        n = sizeof buf - 2;
    buf[n++] = '\n';
    bool whole = write_line(fd, buf, n);
    line_fd_done(fd);
    errno = saved;
    return whole ? LINE_WRITTEN : LINE_FAILED;
}

int log_line(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = log_vline(true, fmt, ap);
    va_end(ap);
    return r != LINE_HELD; /* a failed write is not tried again: it would fail alike */
}

int log_line_always(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = log_vline(false, fmt, ap);
    va_end(ap);
    return r == LINE_WRITTEN;
}

/* The keys of the lines log_first_line has said (0: a free slot), taken
 * with a compare-and-swap: the profiler's threads may ask at once, and a
 * lock held here could be one a fork child never gets back.  first_full:
 * the table was full, and that was said. */
static uint64_t first_said[LOG_FIRST_MAX];
static int first_full;

/* 1: the line is yet to be said, and its slot is now taken; 0: it was said
 * (or the table is full); -1: the table is full, for the first time. */
static int first_take(const char *what, const char *path)
{
    uint64_t key = hp_mix64(hp_hash_str(what) ^ hp_hash_str(path)) | 1;
    for (size_t i = 0; i < LOG_FIRST_MAX; i++) {
        uint64_t seen = __atomic_load_n(&first_said[i], __ATOMIC_ACQUIRE);
        if (!seen && __atomic_compare_exchange_n(&first_said[i], &seen, key, false,
                                                 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            return 1;
        if (seen == key)
            return 0;
    }
    return __atomic_exchange_n(&first_full, 1, __ATOMIC_ACQ_REL) ? 0 : -1;
}

/* Not rate-limited: the bucket is for lines that repeat (a dump failing
 * every second), and these cannot, LOG_FIRST_MAX + 1 in a process at
 * most; a line the bucket dropped had spent its slot, and was never said
 * (one about a missing supplementary file, after a burst of others).  A
 * line not written otherwise (fd 2 closed or no longer the program's,
 * log_mute) keeps its slot: no line goes out then, and a retry would not
 * mend that. */
int log_first_line(const char *what, const char *path, const char *fmt, ...)
{
    int took = first_take(what, path);
    if (took < 0)
        return log_line_always("%s: no more lines said once per file, such as this one's (%s), "
                               "in this process: %d files have had one",
                               path, what, (int)LOG_FIRST_MAX);
    if (!took)
        return 0;
    va_list ap;
    va_start(ap, fmt);
    int r = log_vline(false, fmt, ap);
    va_end(ap);
    return r == LINE_WRITTEN;
}

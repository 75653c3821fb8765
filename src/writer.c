/*
 * writer.c - see writer.h.
 *
 * Triggers that fire by time are rows of `timed[]`: a function that says
 * whether the trigger is due now and when it should be asked again.  Event
 * triggers (signal, API, exit, a high-water crossing noticed by a sampling
 * thread) set a bit in `pending` and wake the thread.  Adding a trigger is
 * one row or one bit.
 *
 * File names: PREFIX.<pid>.<seq>.pb.gz, seq from 0001, counting profiles of
 * the sequence written successfully, so a failed attempt leaves no gap.
 * One dump at a time (dump_lock); it is held by the profiler's own writer,
 * by the exiting thread, by a heapprof_dump() caller, and across fork(),
 * never by a thread inside malloc.
 */
#define _GNU_SOURCE
#include "writer.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dump.h"
#include "log.h"
#include "stacks.h"

static int wake[2] = {-1, -1};
static unsigned pending;
static pthread_mutex_t dump_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t seq;       /* profiles of the sequence written (under dump_lock) */
static double last_ms;     /* how long the last one took */
static int exited;

uint64_t writer_hw_threshold = UINT64_MAX;
static uint64_t hw_mark;      /* highest live estimate written so far */
static int hw_wanted;         /* a crossing waits for its profile */
static double hw_last;        /* when the last high-water profile was written */

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- time-based triggers ------------------------------------------------ */

typedef struct timed_trigger {
    unsigned why;
    /* Due at `now`?  Sets *next to when it should be asked again (seconds,
     * monotonic), or leaves it alone if it needs no timer. */
    int (*due)(double now, double *next);
} timed_trigger;

static double period_next;

static int period_due(double now, double *next)
{
    double p = profiler_config()->period;
    if (p <= 0)
        return 0;
    if (period_next == 0)
        period_next = now + p;
    int due = now >= period_next;
    if (due) /* skip missed periods rather than dumping in a burst */
        while (period_next <= now)
            period_next += p;
    *next = period_next;
    return due;
}

/* A crossing was noticed; it is due once the minimum spacing has passed. */
static int highwater_due(double now, double *next)
{
    if (!__atomic_load_n(&hw_wanted, __ATOMIC_ACQUIRE))
        return 0;
    double at = hw_last + profiler_config()->highwater_min_s;
    if (hw_last == 0 || now >= at)
        return 1;
    *next = at;
    return 0;
}

static const timed_trigger timed[] = {
    {WHY_PERIOD, period_due},
    {WHY_HIGHWATER, highwater_due},
};

static const char *why_name(unsigned why)
{
    static const struct { unsigned bit; const char *name; } names[] = {
        {WHY_EXIT, "exit"},     {WHY_API, "api"},           {WHY_SIGNAL, "signal"},
        {WHY_PERIOD, "period"}, {WHY_HIGHWATER, "highwater"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (why & names[i].bit)
            return names[i].name;
    return "request";
}

static void wake_writer(void)
{
    if (wake[1] >= 0) /* nonblocking: a full pipe already holds a wake-up */
        (void)!write(wake[1], "", 1);
}

void writer_request(unsigned why)
{
    int saved = errno;
    __atomic_or_fetch(&pending, why, __ATOMIC_RELEASE);
    wake_writer();
    errno = saved;
}

void writer_highwater_crossed(uint64_t inuse)
{
    /* Only the first thread to see the crossing wakes the writer; the
     * threshold stays parked at UINT64_MAX until the profile is written. */
    if (__atomic_exchange_n(&writer_hw_threshold, UINT64_MAX, __ATOMIC_RELAXED) == UINT64_MAX)
        return;
    int saved = errno;
    __atomic_store_n(&hw_wanted, 1, __ATOMIC_RELEASE);
    wake_writer();
    errno = saved;
}

/* After any profile: it recorded the live heap at `level`; arm the next
 * crossing above the highest level written. */
static void highwater_rearm(uint64_t level, unsigned why)
{
    uint64_t step = profiler_config()->highwater;
    if (!step)
        return;
    if (level > hw_mark)
        hw_mark = level;
    if (why & WHY_HIGHWATER) {
        hw_last = mono_s();
        __atomic_store_n(&hw_wanted, 0, __ATOMIC_RELEASE);
    }
    if (!__atomic_load_n(&hw_wanted, __ATOMIC_ACQUIRE))
        __atomic_store_n(&writer_hw_threshold, hw_mark + step, __ATOMIC_RELAXED);
}

/* ---- writing ------------------------------------------------------------ */

static void seq_path(char *buf, size_t len, uint64_t n)
{
    snprintf(buf, len, "%s.%d.%04llu.pb.gz", profiler_config()->out, (int)getpid(),
             (unsigned long long)n);
}

/* HEAPPROF_KEEP: with n written, the one that just fell out of the newest
 * `keep` goes, unless it is the first (the baseline of every diff). */
static void retire(uint64_t n)
{
    uint64_t keep = profiler_config()->keep;
    if (!keep || n <= keep || n - keep == 1)
        return;
    char old[CONFIG_PATH_MAX + 64];
    seq_path(old, sizeof old, n - keep);
    if (unlink(old) && errno != ENOENT)
        log_line("cannot remove old profile %s: %s", old, strerror(errno));
}

int writer_dump_now(const char *path, unsigned why)
{
    int64_t g = profiler_guard_enter();
    int saved_errno = errno;
    pthread_mutex_lock(&dump_lock);
    int err = 0;
    if (__atomic_load_n(&exited, __ATOMIC_ACQUIRE) && !(why & WHY_EXIT))
        goto out; /* the exit profile is the last word */
    char buf[CONFIG_PATH_MAX + 64];
    bool in_sequence = path == NULL;
    if (in_sequence) {
        seq_path(buf, sizeof buf, seq + 1);
        path = buf;
    }
    dump_info info = {why_name(why), seq + 1, seq, last_ms};
    uint64_t level = stacks_inuse_total();
    double t0 = mono_s();
    err = dump_to_path(path, &info);
    if (err) {
        log_line("cannot write profile %s: %s (the program continues; the next profile will "
                 "try again)", path, strerror(err));
        goto out;
    }
    last_ms = (mono_s() - t0) * 1e3;
    highwater_rearm(level, why);
    if (in_sequence)
        retire(++seq);
out:
    if (why & WHY_EXIT)
        __atomic_store_n(&exited, 1, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&dump_lock);
    errno = saved_errno;
    profiler_guard_exit(g);
    return err;
}

int writer_dump_to_fd(int fd, const char *reason, const dump_options *opt)
{
    int64_t g = profiler_guard_enter();
    int saved_errno = errno;
    pthread_mutex_lock(&dump_lock);
    dump_info info = {reason, seq, seq, last_ms};
    int err = dump_to_fd(fd, &info, opt);
    pthread_mutex_unlock(&dump_lock);
    errno = saved_errno;
    profiler_guard_exit(g);
    return err;
}

static void on_signal(int sig) { writer_request(WHY_SIGNAL); }

static void *writer_main(void *arg)
{
    profiler_guard_enter(); /* for the thread's whole life */
    for (;;) {
        double now = mono_s(), next = -1;
        unsigned why = 0;
        for (size_t i = 0; i < sizeof timed / sizeof timed[0]; i++) {
            double n = -1;
            if (timed[i].due(now, &n))
                why |= timed[i].why;
            if (n >= 0 && (next < 0 || n < next))
                next = n;
        }
        why |= __atomic_exchange_n(&pending, 0, __ATOMIC_ACQUIRE);
        if (why) {
            writer_dump_now(NULL, why);
            continue; /* time passed while writing: look again */
        }
        int timeout = next < 0 ? -1 : (int)((next - now) * 1e3) + 1;
        struct pollfd pfd = {wake[0], POLLIN, 0};
        if (poll(&pfd, 1, timeout) > 0) {
            char drain[64];
            while (read(wake[0], drain, sizeof drain) > 0)
                ;
        }
    }
    return NULL;
}

static void start_thread(void)
{
    if (pipe2(wake, O_CLOEXEC | O_NONBLOCK)) {
        log_line("cannot create its wake-up pipe (%s); only the exit profile will be written",
                 strerror(errno));
        wake[0] = wake[1] = -1;
        return;
    }
    /* The thread inherits this mask: signals are for the program's threads. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int err = pthread_create(&t, &attr, writer_main, NULL);
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err) {
        log_line("cannot start its writer thread (%s); only the exit profile will be written",
                 strerror(err));
        close(wake[0]);
        close(wake[1]);
        wake[0] = wake[1] = -1;
        return;
    }
    pthread_setname_np(t, "heapprof-writer");
}

void writer_start(void)
{
    const hp_config *cfg = profiler_config();
    if (cfg->highwater)
        writer_hw_threshold = cfg->highwater;
    start_thread();
    if (cfg->signal) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sa.sa_flags = SA_RESTART;
        sigemptyset(&sa.sa_mask);
        if (sigaction((int)cfg->signal, &sa, NULL))
            log_line("cannot install the handler for signal %d: %s", (int)cfg->signal,
                     strerror(errno));
    }
}

void writer_atfork_prepare(void) { pthread_mutex_lock(&dump_lock); }

void writer_atfork_parent(void) { pthread_mutex_unlock(&dump_lock); }

void writer_atfork_child(void)
{
    /* The child has no writer thread and shares the parent's pipe: make its
     * own of both.  Its files carry its own pid and count from 0001. */
    pthread_mutex_unlock(&dump_lock);
    if (wake[0] >= 0) {
        close(wake[0]);
        close(wake[1]);
        wake[0] = wake[1] = -1;
    }
    seq = 0;
    last_ms = 0;
    period_next = 0;
    hw_last = 0;
    pending = 0;
    if (!__atomic_load_n(&exited, __ATOMIC_ACQUIRE))
        start_thread();
}

void writer_at_exit(void)
{
    /* exit() may be called by several threads at once: one exit profile. */
    static int once;
    if (__atomic_exchange_n(&once, 1, __ATOMIC_ACQ_REL))
        return;
    if (profiler_config()->on_exit) {
        writer_dump_now(NULL, WHY_EXIT);
    } else {
        pthread_mutex_lock(&dump_lock);
        __atomic_store_n(&exited, 1, __ATOMIC_RELEASE);
        pthread_mutex_unlock(&dump_lock);
    }
}

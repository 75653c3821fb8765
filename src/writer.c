/*
 * writer.c - see writer.h.
 *
 * Triggers that fire by time are rows of `timed[]`: a function that says
 * whether the trigger is due now and when it next could be.  Adding one is
 * one row (and one bit in writer.h).
 *
 * File names: PREFIX.<pid>.<seq>.pb.gz, seq from 0001, counting profiles
 * written successfully, so a failed attempt leaves no gap.  One dump at a
 * time (dump_lock); it is held only by the profiler's own writer and by the
 * exiting thread, never by a thread inside malloc.
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
#include "profiler.h"

static int wake[2] = {-1, -1};
static unsigned pending;
static pthread_mutex_t dump_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t seq;       /* profiles written (under dump_lock) */
static double last_ms;     /* duration of the last one */
static int exited;

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
     * monotonic), or leaves it alone if it never will. */
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

static const timed_trigger timed[] = {
    {WHY_PERIOD, period_due},
};

static const char *why_name(unsigned why)
{
    static const struct { unsigned bit; const char *name; } names[] = {
        {WHY_EXIT, "exit"}, {WHY_API, "api"}, {WHY_SIGNAL, "signal"}, {WHY_PERIOD, "period"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (why & names[i].bit)
            return names[i].name;
    return "request";
}

/* ---- writing ------------------------------------------------------------ */

int writer_dump_now(const char *path, unsigned why)
{
    int64_t g = profiler_guard_enter();
    int saved_errno = errno;
    pthread_mutex_lock(&dump_lock);
    char buf[CONFIG_PATH_MAX + 64];
    if (!path) {
        snprintf(buf, sizeof buf, "%s.%d.%04llu.pb.gz", profiler_config()->out, (int)getpid(),
                 (unsigned long long)(seq + 1));
        path = buf;
    }
    dump_info info = {why_name(why), seq + 1, seq, last_ms};
    double t0 = mono_s();
    int err = dump_to_path(path, &info);
    if (err) {
        log_line("cannot write profile %s: %s (the program continues; the next profile will try again)",
                 path, strerror(err));
    } else {
        seq++;
        last_ms = (mono_s() - t0) * 1e3;
    }
    pthread_mutex_unlock(&dump_lock);
    errno = saved_errno;
    profiler_guard_exit(g);
    return err;
}

void writer_request(unsigned why)
{
    int saved = errno;
    __atomic_or_fetch(&pending, why, __ATOMIC_RELEASE);
    if (wake[1] >= 0) /* nonblocking: a full pipe already holds a wake-up */
        (void)!write(wake[1], "", 1);
    errno = saved;
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
        if (why && !__atomic_load_n(&exited, __ATOMIC_ACQUIRE)) {
            writer_dump_now(NULL, why);
            continue; /* re-evaluate: time passed while writing */
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

void writer_start(void)
{
    const hp_config *cfg = profiler_config();
    if (pipe2(wake, O_CLOEXEC | O_NONBLOCK)) {
        log_line("cannot create its wake-up pipe (%s); only the exit profile will be written",
                 strerror(errno));
        wake[0] = wake[1] = -1;
        return;
    }
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* the thread inherits this mask */
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
        return;
    }
    pthread_setname_np(t, "heapprof-writer");
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

__attribute__((constructor)) static void writer_ctor(void)
{
    if (!profiler_init())
        return;
    writer_start();
}

__attribute__((destructor)) static void writer_dtor(void)
{
    /* exit() may be called by several threads at once; one profile. */
    if (__atomic_exchange_n(&exited, 1, __ATOMIC_ACQ_REL))
        return;
    if (profiler_config()->on_exit)
        writer_dump_now(NULL, WHY_EXIT);
}

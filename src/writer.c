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
 * the sequence written successfully, so a failed attempt leaves no gap;
 * PREFIX is HEAPPROF_OUT with its codes expanded, and a name already taken
 * (by a process of another pid namespace) is skipped, never overwritten.
 * One dump at a time (dump_lock); it is held by the profiler's own writer,
 * by the exiting thread and by a heapprof_dump() caller, never by a thread
 * inside malloc, and not across fork(): a child starts it afresh
 * (writer_atfork_child), and a child made without fork handlers writes no
 * profile (lifecycle_orphaned).
 */
#define _GNU_SOURCE
#include "writer.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <fcntl.h>
#include <semaphore.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "common.h"
#include "dump.h"
#include "http.h"
#include "lifecycle.h"
#include "log.h"
#include "outname.h"
#include "parent.h"
#include "stacks.h"
#include "threads.h"

/* The writer sleeps on a semaphore, not a pipe: sem_post is async-signal-
 * safe, and a semaphore is no file descriptor that a daemon closing every
 * inherited descriptor (closefrom) could close and then reuse for a file of
 * its own, which the writer would then read from and write into. */
static sem_t wake_sem;
static int wake_ready;
static unsigned pending;
static pthread_mutex_t dump_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t dump_lock_once = PTHREAD_ONCE_INIT;
static uint64_t seq;       /* the sequence's last number on disk (under dump_lock) */
static uint64_t written;   /* profiles of the sequence this process wrote (metrics) */
static double last_ms;     /* how long the last one took */
static int exited;
static int exit_writing; /* the exit profile is being written now */

/* dump_lock inherits priority: a program thread of real-time priority
 * that waits in heapprof_dump() or exit() for the profile the writer (of
 * normal priority) is writing lends it that priority, so a real-time
 * thread of the program's in between, computing on the same CPU, no
 * longer holds both back: such a heapprof_dump() waited 0.95 s, until the
 * kernel's real-time throttling let the writer finish
 * (lifecycle_host_rt_dump).  Made on first use, as heapprof_dump() may be
 * called before our constructor (by a library's); where the system has
 * no priority-inheriting futexes, the plain mutex stays. */
static void dump_lock_init(void)
{
    pthread_mutexattr_t a;
    if (pthread_mutexattr_init(&a))
        return;
    if (!pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT))
        pthread_mutex_init(&dump_lock, &a);
    else
        pthread_mutex_init(&dump_lock, NULL);
    pthread_mutexattr_destroy(&a);
}

static void dump_lock_take(void)
{
    pthread_once(&dump_lock_once, dump_lock_init);
    pthread_mutex_lock(&dump_lock);
}

uint64_t writer_hw_threshold HP_SAMPLE_DATA = UINT64_MAX;
static uint64_t hw_mark;      /* highest live estimate written so far */
static int hw_wanted;         /* a crossing waits for its profile */
static double hw_last;        /* when the last high-water profile was attempted */
static int hw_failed;         /* ...and it could not be written */


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
    if (due) {
        /* Skip missed periods rather than dumping in a burst: one step
         * past now, not a loop of them (a loop of steps below the clock's
         * rounding would never end). */
        period_next += p * (floor((now - period_next) / p) + 1);
        if (period_next <= now)
            period_next = now + p;
    }
    *next = period_next;
    return due;
}

/* A crossing was noticed; it is due once the minimum spacing has passed. */
static int highwater_due(double now, double *next)
{
    if (!__atomic_load_n(&hw_wanted, __ATOMIC_ACQUIRE))
        return 0;
    /* After a failed attempt, at least a second before the next, whatever
     * HEAPPROF_HIGHWATER_MIN_S says: an unwritable directory must not turn
     * the writer into a busy loop. */
    double spacing = profiler_config()->highwater_min_s;
    if (hw_failed && spacing < 1)
        spacing = 1;
    double at = hw_last + spacing;
    if (hw_last == 0 || now >= at)
        return 1;
    *next = at;
    return 0;
}

static const timed_trigger timed[] = {
    {WHY_PERIOD, period_due},
    {WHY_HIGHWATER, highwater_due},
    {WHY_LIMIT, cgroup_limit_due},
};

static const char *why_name(unsigned why)
{
    static const struct { unsigned bit; const char *name; } names[] = {
        {WHY_EXIT, "exit"},     {WHY_API, "api"},           {WHY_SIGNAL, "signal"},
        {WHY_PERIOD, "period"}, {WHY_HIGHWATER, "highwater"}, {WHY_LIMIT, "limit"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (why & names[i].bit)
            return names[i].name;
    return "request";
}

static void wake_writer(void)
{
    if (__atomic_load_n(&wake_ready, __ATOMIC_ACQUIRE))
        sem_post(&wake_sem);
}

/* Sleep until woken or until `until` (monotonic seconds; < 0: no limit),
 * then take every wake-up that piled up: they coalesce into one look. */
static void sleep_until(double until)
{
    if (until < 0) {
        while (sem_wait(&wake_sem) && errno == EINTR)
            ;
    } else {
        struct timespec ts = {(time_t)until, (long)((until - (double)(time_t)until) * 1e9)};
        while (sem_clockwait(&wake_sem, CLOCK_MONOTONIC, &ts) && errno == EINTR)
            ;
    }
    while (sem_trywait(&wake_sem) == 0)
        ;
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
    if (why & WHY_HIGHWATER)
        __atomic_store_n(&hw_wanted, 0, __ATOMIC_RELEASE);
    if (!__atomic_load_n(&hw_wanted, __ATOMIC_ACQUIRE)) {
        __atomic_store_n(&writer_hw_threshold, hw_mark + step, __ATOMIC_RELAXED);
        /* A sample taken since the profile went under its final name found
         * the threshold still parked and let its crossing pass; a program
         * that waits for that profile and then grows takes no further
         * sample to notice it.  So look once more, now that it is armed. */
        writer_check_highwater();
    }
}

/* ---- writing ------------------------------------------------------------ */

/* HEAPPROF_OUT with its codes expanded (outname.h): at the start (or at
 * a profile asked for before it, writer_dump_now), and again in a fork
 * child, whose pid differs.  Under dump_lock once set; "" until then. */
static char prefix[CONFIG_PATH_MAX];
/* A profile of ours found its name taken (dump.c, publish): another
 * process writes the same names, so HEAPPROF_KEEP stands down, as the
 * name it would remove may be that process's. */
static int names_shared;

/* The output directory is read (and a directory named by a code made) at
 * the first profile of a fork child (and of a process that could not make
 * it at start but told nobody, check_dir), not in its fork handler: that runs on
 * the stack of whatever thread forked, a signal handler's alternate stack
 * of SIGSTKSZ bytes among them, and the directory's path and entries are
 * arrays of kilobytes there (lifecycle_fork_altstack); a directory of
 * thousands of profiles would also be read at every fork.  Under
 * dump_lock. */
static int dir_unread;

static int prefix_make_dirs(void);
static int say_make_failure(int err);

/* The host's and the executable's names, read once (prefix_expand(true)):
 * a fork child has the parent's, and its handler has no stack to spare for
 * a path (dir_unread). */
static char host_name[65], exe_name[256];

static void prefix_expand(bool read_names)
{
    const char *pattern = profiler_config()->out;
    outname_vals v = {lifecycle_pid(), host_name, 0, exe_name};
    if (read_names && outname_uses(pattern, "he")) { /* no system calls for a plain prefix */
        struct utsname u;
        char link[CONFIG_PATH_MAX];
        snprintf(host_name, sizeof host_name, "%s", uname(&u) ? "" : u.nodename);
        /* readlink, not program_invocation_short_name: the link is what
         * `heapprof dump` reads of a running process, and no program can
         * rewrite it as some rewrite their argv */
        ssize_t n = readlink("/proc/self/exe", link, sizeof link - 1);
        link[n > 0 ? n : 0] = '\0';
        outname_exe(link, exe_name, sizeof exe_name);
    }
    /* a fork child's may differ: unshare(CLONE_NEWPID) before the fork */
    if (outname_uses(pattern, "n"))
        v.pidns = dump_pid_ns();
    /* config.c took only patterns whose longest expansion fits */
    if (outname_expand(pattern, &v, prefix, sizeof prefix)) {
        log_line("HEAPPROF_OUT=%s cannot be expanded; profiles go to heapprof.<pid>.<seq>.pb.gz "
                 "in the current directory", pattern);
        strcpy(prefix, "heapprof");
    }
    /* The room config.c keeps for .<pid>.<seq>.pb.gz.tmp stays kept. */
    if (outname_dir(prefix, sizeof prefix - 64) < 0)
        log_line("HEAPPROF_OUT=%s names a directory, but a file's path in it would be too long: "
                 "profiles go beside it, %s.<pid>.<seq>.pb.gz", pattern, prefix);
}

/* 0, or the errno of a directory named by a code that cannot be made. */
static int prefix_make_dirs(void)
{
    const char *pattern = profiler_config()->out;
    /* A directory named by a code (/profiles/%h/app) cannot be made
     * before the process runs: it is made here, with whatever it lacks. */
    const char *slash = strrchr(pattern, '/');
    char dir[CONFIG_PATH_MAX];
    if (!slash || (size_t)(slash - pattern) >= sizeof dir)
        return 0;
    memcpy(dir, pattern, (size_t)(slash - pattern));
    dir[slash - pattern] = '\0';
    return outname_uses(dir, "hnpe") ? dump_make_dirs(prefix) : 0;
}

static int say_make_failure(int err)
{
    /* Said once per error (make_said) and per tree: not held back (log.h) */
    return log_line_always("cannot make the directory %.*s (HEAPPROF_OUT=%s): %s; profiles "
                           "cannot be written until it exists",
                           (int)(strrchr(prefix, '/') - prefix), prefix, profiler_config()->out,
                           strerror(err));
}

/* A directory the profiles cannot go to (missing, not a directory, not
 * writable, read-only, or named by a code and impossible to make) is said
 * when the process starts, not first by its exit profile hours later,
 * and a process tree says it once: a process started by one that said it,
 * of the same directory and error, to the file that is this process's
 * stderr, is quiet (parent.h's marks; the file's identity is in the
 * mark's name), and so are its own profiles that fail with that error
 * unasked (exit, period, high-water, limit: a signal's or an API call's
 * failure is said every time); a fork child is told by its parent.  The
 * process that said it still says each failure of its own: a single
 * process reads the directory's line and then what each profile lost.
 * The first profile written there unsays it: the mark is dropped, and
 * whatever fails after that is said anew.  Said only where a profile
 * would go there unasked: an HTTP-only process (HEAPPROF_ON_EXIT=0, no
 * period) has nothing to be told of its directory at start; one it could
 * not make is made again by the first profile asked for, which says why
 * it cannot be.  Without this, a build run with a missing HEAPPROF_OUT
 * said "cannot write profile" once per process: 33 lines for one
 * `python3 -c` of pyenv, whose shims run commands; 8 now, one per image
 * of its chain of execs in place (an exec keeps the parent, and drops
 * the mark). */
static uint64_t told_dir; /* a hash of the directory said (or told of), 0: none */
static int told_err;      /* ...the error said: mkdir's, or else the probe's */
static int told_open_err; /* ...and the probe's, which a profile then meets (ENOENT where
                           * mkdir's EACCES left no directory) */
static bool told_here;    /* ...said by this process, not by its parent */
static void *told_map;    /* the mark this process has, parent_drop_mark's */
static int make_said;     /* mkdir's error, said before check_dir (a profile asked for by a
                           * library's constructor, before ours ran): not said twice */

static uint64_t dir_hash(void)
{
    char dir[CONFIG_PATH_MAX];
    dump_prefix_dir(prefix, dir);
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a: a mark's name is short, a path need not be */
    for (const char *c = dir; *c; c++)
        h = (h ^ (unsigned char)*c) * 0x100000001b3u;
    return h | 1;
}

/* 0, or why a file cannot be made in dir: "/." makes a file where the
 * directory should be ENOTDIR, not EACCES for its missing x bits. */
static int dir_probe(const char *dir)
{
    char probe[CONFIG_PATH_MAX + 2];
    snprintf(probe, sizeof probe, "%s/.", dir);
    return faccessat(AT_FDCWD, probe, W_OK | X_OK, AT_EACCESS) ? errno : 0;
}

static void check_dir(int make_err)
{
    const hp_config *cfg = profiler_config();
    if (!cfg->on_exit && !(cfg->period > 0) && !cfg->highwater && !cfg->limit_dump) {
        dir_unread = make_err != 0; /* made (and said) at the first profile asked for */
        return;
    }
    /* The mark's name: the prefix, 16 hex digits and an errno (Linux's
     * are below 1000); a longer one would be cut here and refused there. */
    _Static_assert(sizeof "heapprof-outdir-" - 1 + 16 + 1 + 3 <= PARENT_MARK_MAX,
                   "heapprof-outdir- marks must fit PARENT_MARK_MAX");
    char dir[CONFIG_PATH_MAX], mark[PARENT_MARK_MAX + 1];
    dump_prefix_dir(prefix, dir);
    int open_err = dir_probe(dir), err = make_err ? make_err : open_err;
    /* Others (a seccomp filter's EPERM, ENOSYS) say nothing of it. */
    if (!make_err && err != ENOENT && err != ENOTDIR && err != EACCES && err != EROFS)
        return;
    told_dir = dir_hash();
    told_err = err;
    told_open_err = open_err;
    snprintf(mark, sizeof mark, "heapprof-outdir-%016llx-%d", (unsigned long long)told_dir, err);
    told_here = !parent_has_mark(mark);
    int said = !told_here;
    if (!said && make_err)
        said = make_err == make_said || say_make_failure(err);
    else if (!said) /* once per process: the bucket does not hold it back (log.h) */
        said = log_line_always("profiles cannot be written in %s (HEAPPROF_OUT): %s; each "
                               "profile will try again, and its failure is said by this "
                               "process only, not by the processes it starts",
                               dir, strerror(err));
    if (!said) { /* held back, or stderr is another file: nobody was told */
        told_dir = 0;
        return;
    }
    told_map = parent_leave_mark(mark); /* said here or by the parent: for the children */
}

/* A profile of the sequence failed unasked (or its directory could not
 * be made) with an error the tree was told of, and not by this process. */
static bool told_already(int err, unsigned why)
{
    return told_dir && !told_here && (err == told_err || err == told_open_err) &&
           !(why & (WHY_SIGNAL | WHY_API)) && dir_hash() == told_dir;
}

/* A profile was written in the directory: what was said of it is past. */
static void told_over(void)
{
    told_dir = 0;
    parent_drop_mark(told_map);
    told_map = NULL;
}

static void seq_path(char *buf, size_t len, uint64_t n)
{
    snprintf(buf, len, "%s.%d.%04llu.pb.gz", prefix, (int)lifecycle_pid(), (unsigned long long)n);
}

/* The name for profile seq + 1 was taken; the next free one is after the
 * highest on disk. */
static void name_taken(const char *path)
{
    if (!names_shared)
        log_line("profile %s already exists, written by another process with pid %d (of another "
                 "pid namespace?): continuing after it%s; give each process its own "
                 "HEAPPROF_OUT, for example with %%n or %%h in it",
                 path, (int)lifecycle_pid(), profiler_config()->keep ? ", and HEAPPROF_KEEP removes no "
                 "more profiles" : "");
    names_shared = 1;
    uint64_t last = dump_last_seq(prefix);
    seq = last > seq + 1 ? last : seq + 1;
}

/* HEAPPROF_KEEP: with n written, the one that just fell out of the newest
 * `keep` goes, unless it is the first (the baseline of every diff).  Only
 * this process's own: a sequence that continues after files already there
 * (an old process that had our pid, one of another pid namespace, the
 * image before an exec) leaves theirs alone, so own_first, not 0001, is
 * the first. */
static uint64_t own_first; /* the first number this process wrote; 0: none yet */

static void retire(uint64_t n)
{
    uint64_t keep = profiler_config()->keep;
    if (!own_first)
        own_first = n;
    if (!keep || n < keep || n - keep <= own_first || names_shared)
        return;
    char old[CONFIG_PATH_MAX + 64];
    seq_path(old, sizeof old, n - keep);
    if (unlink(old) && errno != ENOENT)
        log_line("cannot remove old profile %s: %s", old, strerror(errno));
}

/* A period's profiles that keep failing alike (a full disk, a directory
 * gone, for hours) said so one line each, held back only by the log's
 * rate: with HEAPPROF_PERIOD=10, 8640 lines a day.  Now a periodic
 * profile that fails with the error of the failure before it is not said
 * for REMIND_S after the last line that was; the next line says how many
 * were not, and so does the first profile written after them.  So is a
 * high-water profile tried again after a failure (highwater_due: each
 * second, as its crossing waits for a profile), which said the same line
 * every second for as long as the directory was gone.  A profile asked
 * for (a signal, heapprof_dump(), the exit profile) or triggered (a new
 * high-water crossing, a limit) says its failure every time.  Under
 * dump_lock. */
enum { REMIND_S = 600 };
static int fail_err;             /* the last profile's failure, 0: it was written */
static unsigned long fail_quiet; /* repeated failures not said since the last line */
static double fail_said = -1e9;  /* when that line was */

/* repeats: the profile is periodic, or a high-water one tried again. */
static void say_failure(const char *path, int err, unsigned why, bool repeats)
{
    double now = clock_mono_s();
    if (repeats && err == fail_err && now - fail_said < REMIND_S) {
        fail_quiet++;
        return;
    }
    char more[96] = "";
    if (fail_quiet)
        snprintf(more, sizeof more, "; %lu periodic or high-water profiles failed as the last "
                 "such line said", fail_quiet);
    /* The exit profile has no next one to try again: it was the last. */
    log_line("cannot write profile %s: %s (%s%s%s)", path, strerror(err),
             why & WHY_EXIT ? "no profile at exit; the program ends as it would"
                            : "the program continues; the next profile will try again",
             more,
             why == WHY_PERIOD || why == WHY_HIGHWATER
                 ? "; a periodic or high-water profile failing the same way is said again in 10 "
                   "minutes at the latest"
                 : "");
    fail_err = err;
    fail_quiet = 0;
    fail_said = now;
}

static void say_written(const char *path)
{
    if (fail_quiet)
        log_line("profile %s written; the %lu periodic or high-water profiles before it failed "
                 "as the last line about them said", path, fail_quiet);
    fail_err = 0;
    fail_quiet = 0;
}

int writer_dump_now(const char *path, unsigned why)
{
    /* No handler of the program's runs inside a profile on its thread (a
     * heapprof_dump() call, the exit profile); they run when it ends.  One
     * that forks left a child that returned into this dump and wrote into
     * our file (lifecycle_fork_sigdump), one that calls exit() waited for
     * dump_lock, held here.  glibc keeps its own two signals unblocked
     * (setuid from another thread still works), and the fault signals stay
     * open: a fault blocked is fatal without its handler, and a program's
     * crash handler should still see one.  On the writer's thread every
     * signal is blocked already. */
    static const int faults[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS};
    sigset_t all, mask;
    sigfillset(&all);
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++)
        sigdelset(&all, faults[i]);
    pthread_sigmask(SIG_BLOCK, &all, &mask);
    int64_t g = profiler_guard_enter();
    int saved_errno = errno;
    /* open, write, fsync, rename are cancellation points: a program thread
     * cancelled in heapprof_dump() or exit() would leave dump_lock held
     * and a temporary file behind. */
    int cancel;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
    dump_lock_take();
    int err = 0;
    if (__atomic_load_n(&exited, __ATOMIC_ACQUIRE) && !(why & WHY_EXIT)) {
        err = ECANCELED; /* the exit profile is the last word */
        goto out;
    }
    if (lifecycle_sandboxed()) {
        err = ENOTSUP; /* under a seccomp filter that may kill (writer_stand_down) */
        goto out;
    }
    char buf[CONFIG_PATH_MAX + 64];
    bool in_sequence = path == NULL;
    /* Before writer_start: heapprof_dump() in the constructor of a library
     * the program links, which runs before ours.  The prefix was "" then,
     * and the profile went to .<pid>.0001.pb.gz in the current directory
     * (lifecycle_ctor_dump). */
    if (in_sequence && !prefix[0]) {
        prefix_expand(true);
        dir_unread = 1;
    }
    if (in_sequence && dir_unread) { /* a fork child's first, or the above */
        dir_unread = 0;
        int make_err = prefix_make_dirs(); /* a fork child's told of it by its parent */
        if (make_err && make_err != make_said && !told_already(make_err, 0) &&
            say_make_failure(make_err))
            make_said = make_err;
        seq = dump_start_scan(prefix, false); /* 0, unless an old process had our pid */
    }
    dump_info info = {why_name(why), 0, written, last_ms};
    uint64_t level = stacks_inuse_total();
    double t0 = clock_mono_s();
    /* A name taken is tried again, after the highest on disk: a few times,
     * as the process that took it may take the next one meanwhile. */
    for (int tries = 0;; tries++) {
        if (in_sequence) {
            seq_path(buf, sizeof buf, seq + 1);
            path = buf;
            info.seq = seq + 1;
        }
        err = dump_to_path(path, &info, in_sequence);
        if (err != EEXIST || !in_sequence || tries == 3)
            break;
        name_taken(buf);
    }
    /* A high-water crossing whose profile failed is tried again; a new
     * crossing needs a written profile, so every later high-water
     * profile is that retry until one is written. */
    bool repeats = why == WHY_PERIOD || (why == WHY_HIGHWATER && hw_failed);
    if (why & WHY_HIGHWATER) {
        hw_last = clock_mono_s();
        hw_failed = err != 0;
    }
    if (err) {
        if (!in_sequence || !told_already(err, why))
            say_failure(path, err, why, repeats);
        goto out;
    }
    say_written(path);
    last_ms = (clock_mono_s() - t0) * 1e3;
    highwater_rearm(level, why);
    if (in_sequence) {
        __atomic_store_n(&written, written + 1, __ATOMIC_RELAXED);
        retire(++seq);
        if (told_dir)
            told_over();
    }
out:
    if (why & WHY_EXIT)
        __atomic_store_n(&exited, 1, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&dump_lock);
    pthread_setcancelstate(cancel, NULL);
    profiler_guard_exit(g);
    pthread_sigmask(SIG_SETMASK, &mask, NULL);
    errno = saved_errno;
    return err;
}

uint64_t writer_dumps_written(void) { return __atomic_load_n(&written, __ATOMIC_RELAXED); }

int writer_dump_to_fd(int fd, const char *reason, const dump_options *opt)
{
    int64_t g = profiler_guard_enter();
    int saved_errno = errno;
    int cancel; /* as writer_dump_now */
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
    dump_lock_take();
    dump_info info = {reason, seq, written, last_ms};
    int err = dump_to_fd(fd, &info, opt);
    pthread_mutex_unlock(&dump_lock);
    pthread_setcancelstate(cancel, NULL);
    errno = saved_errno;
    profiler_guard_exit(g);
    return err;
}

static void on_signal(int sig) { writer_request(WHY_SIGNAL); }

/* The thread, while it runs; writer_pause() asks it to leave. */
static pthread_t writer_tid;
static int writer_running;
static int writer_stop;

/* The thread leaves once the exit profile is written: every profile after
 * it is refused (writer_dump_now), and a trigger still due then (a
 * high-water crossing, which only a written profile clears) made the loop
 * ask again at once, a CPU spent for as long as the process took to end
 * (lifecycle_exit_after). */
static pid_t writer_kernel_tid; /* for threads_join */

static void *writer_main(void *arg)
{
    __atomic_store_n(&writer_kernel_tid, gettid(), __ATOMIC_RELEASE);
    profiler_guard_enter(); /* for the thread's whole life */
    threads_private_fds();
    while (!__atomic_load_n(&writer_stop, __ATOMIC_ACQUIRE) &&
           !__atomic_load_n(&exited, __ATOMIC_ACQUIRE)) {
        double now = clock_mono_s(), next = -1;
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
        sleep_until(next);
    }
    return NULL;
}

static int spawn_thread(void)
{
    __atomic_store_n(&writer_stop, 0, __ATOMIC_RELEASE);
    static const threads_kind writer_kind = {writer_main, "heapprof-writer"};
    int err = threads_start(&writer_tid, &writer_kind);
    writer_running = !err;
    return err;
}

static void start_thread(void)
{
    if (!wake_ready) {
        sem_init(&wake_sem, 0, 0);
        __atomic_store_n(&wake_ready, 1, __ATOMIC_RELEASE);
    }
    int err = spawn_thread();
    if (err)
        log_line("cannot start its writer thread (%s); only the exit profile will be written",
                 strerror(err));
}

void writer_pause(void)
{
    if (!writer_running)
        return;
    __atomic_store_n(&writer_stop, 1, __ATOMIC_RELEASE);
    wake_writer();
    threads_join(writer_tid, &writer_kernel_tid); /* waits for a dump in progress to finish */
    writer_running = 0;
}

void writer_stand_down(void)
{
    writer_pause();
    /* A profile being written on a program's thread (heapprof_dump(), the
     * exit profile) ends first; later ones find lifecycle_sandboxed(). */
    dump_lock_take();
    pthread_mutex_unlock(&dump_lock);
}

void writer_resume(void)
{
    if (writer_running || !wake_ready)
        return;
    /* The program may now be a user at its process limit (a daemon that
     * dropped root): then say so (lifecycle_host_nproc).  The next
     * quiesced call tries again. */
    int err = spawn_thread();
    if (err)
        log_line("cannot restart its writer thread after the program changed its credentials "
                 "or namespaces (%s); only the exit profile and heapprof_dump() will be written",
                 strerror(err));
    else
        wake_writer(); /* requests that arrived meanwhile are still in `pending` */
}

/* Does any trigger need the thread?  The exit profile and heapprof_dump()
 * are written by the calling thread, the HTTP endpoint's by its own.
 * Without the thread a single-threaded program stays single-threaded, and
 * glibc's malloc keeps its single-thread path (no arena lock): 4 % of a
 * malloc-bound loop (churn threads=1, side by side, docs/benchmarks.md). */
static bool signal_on; /* the dump signal's handler is ours (set before main) */

static bool thread_needed(void)
{
    const hp_config *cfg = profiler_config();
    return signal_on || cfg->period > 0 || cfg->highwater || cfg->limit_dump;
}

/* The dump signal's handler goes in only over the default action.  An
 * ignored signal (nohup, `trap '' USR2`, a supervisor) stays ignored: a
 * handler would make it interrupt the program's blocking calls (EINTR), and
 * as exec resets a handler to the default but keeps SIG_IGN, the program's
 * children would die of the signal they were started to ignore.  A handler
 * already there belongs to a library whose constructor ran before ours; it
 * keeps its signal.  (heapprof run does the same for the signals it
 * forwards, src/cli/cmd_run.c.)  An ignored signal is said once per process
 * tree: a child whose parent said it on the same stderr (every process a
 * program under nohup starts) says nothing more; one whose profiled parent
 * began ignoring it after start (`trap '' USR2` in a profiled shell) said
 * nothing, so the child says it (parent.h). */
static void install_signal(int sig)
{
    struct sigaction old;
    char name[32];
    const char *abbrev = sigabbrev_np(sig); /* none for real-time signals */
    if (abbrev)
        snprintf(name, sizeof name, "SIG%s", abbrev);
    else
        snprintf(name, sizeof name, "signal %d", sig);
    if (sigaction(sig, NULL, &old)) {
        log_line("cannot read the action of %s: %s", name, strerror(errno));
        return;
    }
    /* sa_handler shares its storage with an SA_SIGINFO handler. */
    if (old.sa_handler != SIG_DFL) {
        bool ign = old.sa_handler == SIG_IGN;
        bool said = ign && parent_said_ignoring(sig);
        if (!said)
            said = log_line_always("the program %s %s, so profiles on that signal are off "
                                   "(HEAPPROF_SIGNAL chooses another signal)",
                                   ign ? "ignores" : "already handles", name);
        if (said && ign)
            parent_mark_ignoring(sig); /* said here, or by the parent: for the children */
        return;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL))
        log_line("cannot install the handler for %s: %s", name, strerror(errno));
    else
        signal_on = true;
}

void writer_start(void)
{
    const hp_config *cfg = profiler_config();
    int saved_errno = errno; /* from the constructor: main() must see none of ours */
    prefix_expand(true);
    check_dir(prefix_make_dirs());
    seq = dump_start_scan(prefix, true); /* continue after an exec in place */
    if (cfg->highwater)
        writer_hw_threshold = cfg->highwater;
    cgroup_start();
    /* A signal that arrives before the thread runs waits in `pending`. */
    if (cfg->signal)
        install_signal((int)cfg->signal);
    if (thread_needed())
        start_thread();
    http_start();
    errno = saved_errno;
}

void writer_atfork_child(void)
{
    /* fork does not wait for a dump in progress (that could take a quarter
     * of a second, and the dump may need locks that other fork handlers
     * hold); so in the child the dump lock may be a copy of a held one, and
     * the dump's state half-updated: both start afresh.  The child has no
     * writer thread: it gets its own.  Its files carry its own pid and
     * count from 0001. */
    pthread_once(&dump_lock_once, dump_lock_init); /* so that no later take makes it again */
    dump_lock_init();
    dump_atfork_child();
    if (wake_ready)
        sem_init(&wake_sem, 0, 0); /* whatever count the parent's had */
    writer_running = 0; /* the parent's thread does not exist here */
    prefix_expand(false); /* %p is ours now; the names are the parent's */
    names_shared = 0;
    written = 0;
    own_first = 0;
    seq = 0;
    dir_unread = 1; /* read at the first profile */
    last_ms = 0;
    period_next = 0;
    hw_last = 0;
    pending = 0;
    fail_err = 0; /* the child's first failure is its own to say */
    fail_quiet = 0;
    fail_said = -1e9;
    told_here = false; /* a directory said by the parent is told (check_dir) */
    make_said = 0;
    /* A fork from a thread while another wrote the exit profile: that
     * thread is not in the child, where a later exit() waited 10 s for
     * it. */
    exit_writing = 0;
    if (!__atomic_load_n(&exited, __ATOMIC_ACQUIRE) && thread_needed())
        start_thread();
}


void writer_wait_exit_profile(double start_s, double seconds)
{
    struct timespec tick = {0, 1000000};
    double t0 = clock_mono_s();
    while (!__atomic_load_n(&exited, __ATOMIC_ACQUIRE)) {
        double waited = clock_mono_s() - t0;
        if (waited >= seconds ||
            (!__atomic_load_n(&exit_writing, __ATOMIC_ACQUIRE) && waited >= start_s))
            return;
        nanosleep(&tick, NULL);
    }
}

/* Whether the calling thread's stack has room for a profile: the main
 * thread's (it grows on demand), or a thread's own with EXIT_ROOM left.
 * Not a coroutine's or fiber's stack, nor a signal handler's alternate
 * one: exit() called on a fiber of 16 or 32 KiB crashed in the exit
 * profile, which takes more (lifecycle_exit_threads, fiberexit).  Can't tell: yes, as
 * before. */
enum { EXIT_ROOM = 128 << 10 };
extern void *__libc_stack_end;

static bool stack_roomy(void)
{
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    uintptr_t end = (uintptr_t)__libc_stack_end;
    if (sp < end && end - sp <= ((uintptr_t)1 << 30))
        return true;
    pthread_attr_t a;
    void *lo;
    size_t size;
    if (pthread_getattr_np(pthread_self(), &a))
        return true;
    int err = pthread_attr_getstack(&a, &lo, &size);
    pthread_attr_destroy(&a);
    return err || (sp >= (uintptr_t)lo && sp - (uintptr_t)lo >= EXIT_ROOM &&
                   sp - (uintptr_t)lo < size);
}

/* exec replaces the process's image at once, whatever its threads are
 * doing: a profile being written when it came was lost and its .tmp left
 * for good (the pid lives on in the new image, so no later sweep takes
 * it; lifecycle_exec).  So an exec waits for the profile, as long as a
 * profile may take (10 s, as an exit does), and none begins until the
 * image is gone.  A profile that takes longer (a hung NFS server) is
 * given up. */
enum { EXEC_WAIT_S = 10 };

bool writer_exec_hold(void)
{
    pthread_once(&dump_lock_once, dump_lock_init);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += EXEC_WAIT_S;
    int err = pthread_mutex_timedlock(&dump_lock, &until);
    if (err == ETIMEDOUT)
        log_line("exec while a profile was being written: it did not end within %d s and is "
                 "given up", EXEC_WAIT_S);
    else if (err)
        log_line("exec while a profile may be being written: cannot wait for it (%s)",
                 strerror(err));
    return !err;
}

void writer_exec_release(void) { pthread_mutex_unlock(&dump_lock); }

static void *exit_profile_thread(void *arg)
{
    (void)arg;
    writer_dump_now(NULL, WHY_EXIT);
    return NULL;
}

void writer_at_exit(void)
{
    /* exit() may be called by several threads at once: one exit profile. */
    static int once;
    if (__atomic_exchange_n(&once, 1, __ATOMIC_ACQ_REL))
        return;
    if (profiler_config()->on_exit) {
        __atomic_store_n(&exit_writing, 1, __ATOMIC_RELEASE);
        /* On a small or foreign stack, on a thread of heapprof's with a
         * stack of its own measured size (threads.c), the caller waiting;
         * on the caller's if no thread can be had. */
        pthread_t t;
        int64_t g = profiler_guard_enter();
        static const threads_kind exit_kind = {exit_profile_thread, "heapprof-exit"};
        bool here = stack_roomy() || threads_start(&t, &exit_kind);
        profiler_guard_exit(g);
        if (here)
            writer_dump_now(NULL, WHY_EXIT);
        else
            pthread_join(t, NULL);
    } else {
        dump_lock_take();
        __atomic_store_n(&exited, 1, __ATOMIC_RELEASE);
        pthread_mutex_unlock(&dump_lock);
    }
}

/*
 * threads.c - see threads.h.
 */
#define _GNU_SOURCE
#include "threads.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/* The profiler's threads' stack, in place of glibc's default (RLIMIT_STACK,
 * 8 MiB as a rule).  That default was never touched, but it counted: in
 * the process's VmSize, where a non-root mlockall(MCL_CURRENT) under
 * RLIMIT_MEMLOCK compares the whole address space with the limit and
 * failed for a program that succeeds without the profiler; and in its
 * resident memory once mlockall faulted it in (docs/evidence.md).
 *
 * Measured high-water marks (stacks filled with zeros, the lowest written
 * byte found at exit; TLS and thread descriptor, which glibc carves from
 * the same block, included): the writer 38 KiB writing profiles of 100k
 * distinct stacks at HEAPPROF_DEPTH=256 (symbolizing, encoding, gzip, its
 * comments' cgroup figures) and 19 KiB when the file cannot be written
 * (log_line); the HTTP thread 33 KiB serving every page; both 9.5 KiB
 * before their first piece of work.  Nothing on either path recurses, so
 * the peak does not grow with the data.  256 KiB is over six times that: room for a CPU whose
 * lazy-binding trampoline saves a large XSAVE area (AMX tiles are 8 KiB)
 * and a libc whose printf or locale code is deeper than this one's. */
enum { THREAD_STACK = 256 * 1024, TLS_SLACK = 16 * 1024 };

/* glibc carves the static TLS of every module loaded at start (the
 * program's own __thread variables included) out of the stack size asked
 * for, not on top of it: a program with 230 KiB of them left the writer
 * 20 KiB and it overflowed into the guard page (SIGSEGV, the program
 * killed); with 300 KiB pthread_create refused the size (EINVAL) where
 * RLIMIT_STACK's default had room (lifecycle_host_bigtls).  So the stack
 * is THREAD_STACK on top of those blocks, summed from the program headers
 * (each PT_TLS's size, and its alignment for the padding), plus TLS_SLACK
 * for glibc's surplus (modules dlopen'd later with initial-exec TLS). */
static int add_tls(struct dl_phdr_info *info, size_t size, void *ctx)
{
    (void)size;
    size_t *sum = ctx;
    for (int i = 0; i < info->dlpi_phnum; i++)
        if (info->dlpi_phdr[i].p_type == PT_TLS)
            *sum += info->dlpi_phdr[i].p_memsz + info->dlpi_phdr[i].p_align;
    return 0;
}

/* Measured once, at the first thread's start (in the constructor as a
 * rule): a fork child's writer, started in a fork handler, reuses it. */
static size_t stack_size(void)
{
    static size_t cached;
    size_t s = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (!s) {
        size_t tls = 0;
        dl_iterate_phdr(add_tls, &tls);
        s = THREAD_STACK + TLS_SLACK + tls;
        __atomic_store_n(&cached, s, __ATOMIC_RELAXED);
    }
    return s;
}

/* open() takes the lowest free number (POSIX), and programs count on it:
 * a daemon closes stdin and opens /dev/null as its new fd 0.  A file the
 * writer opened (a profile, its directory, a /proc text, an ELF file, a
 * cgroup figure) took such a number for the microseconds until
 * fdid_move_high moved it (fdid.h), and the program's open() meanwhile got
 * another: 1599 of a million, with a profile every 10 ms
 * (lifecycle_host_lowfd_period).  No call opens a file above a given
 * number, so the writer opens its files in a table of its own: close_range
 * with CLOSE_RANGE_UNSHARE over every number gives the thread an empty one
 * (Linux 5.9), copying none of the program's descriptors, a copy of which
 * would keep a pipe the program closed open for its reader.  fd 2 is then
 * reached through a pidfd of the process (log.c).  Whether pidfd_getfd
 * works is found once per process image, by the first of our threads to
 * move, before it moves (after, a refusal would have silenced it): on
 * that thread, not on the program's thread that starts it, where the
 * probe's five system calls were paid at every start.  Running alongside
 * the program, the probe makes no descriptor: a pidfd and a copy of fd 2
 * took the program's lowest free numbers for those microseconds, and its
 * open() got another (one run in eleven, lifecycle_host_lowfd_start).
 * Each call is made with an argument it refuses before it would make one
 * (EINVAL, EBADF): an answer other than that is the kernel's or a seccomp
 * filter's refusal of the call itself.  A process may always take its own
 * descriptors (ptrace's check passes the same thread group), so nothing
 * else could refuse the real calls but a missing main thread, which
 * log.c handles. */
enum { PRIVATE_UNKNOWN, PRIVATE_OK, PRIVATE_NO };
static int private_fds = PRIVATE_UNKNOWN;

static void probe_private_fds(void)
{
    if (__atomic_load_n(&private_fds, __ATOMIC_RELAXED) != PRIVATE_UNKNOWN)
        return;
    int saved = errno, ok = PRIVATE_NO;
    if (pidfd_open(0, 0) < 0 && errno == EINVAL && pidfd_getfd(-1, 2, 0) < 0 && errno == EBADF)
        ok = PRIVATE_OK;
    __atomic_store_n(&private_fds, ok, __ATOMIC_RELAXED);
    errno = saved;
}

bool threads_private_fds(void)
{
    probe_private_fds();
    if (__atomic_load_n(&private_fds, __ATOMIC_RELAXED) != PRIVATE_OK)
        return false;
    pid_t pid = getpid();
    if (close_range(0, ~0U, CLOSE_RANGE_UNSHARE))
        return false;
    log_private_fds(pid > 0 ? pidfd_open(pid, 0) : -1);
    return true;
}

/* glibc ends the process when its count of threads drops to zero: the
 * last thread to end calls exit(0), and a main thread that ends with
 * pthread_exit() only takes itself off the count.  heapprof's threads were
 * on it, so a program whose main thread had called pthread_exit() never
 * ended after its last thread did (heapprof's block every signal: only
 * SIGKILL ended it).  The count is glibc's __nptl_nthreads (GLIBC_PRIVATE,
 * read by libthread_db since glibc 2.0); each thread of ours is taken off
 * it by the thread that started it, right after pthread_create (which put
 * it on), and puts itself back just before glibc's start_thread takes it
 * off again as it returns.  So glibc counts the program's threads only,
 * its last thread calls exit(0) as without heapprof, and heapprof's exit
 * profile is written then, as at any exit.  Neither step can reach zero
 * in the program's stead: the starter is one of the program's threads and
 * still on the count; putting back is skipped at zero, which is a process
 * in exit() from its last thread (a second exit, from our thread's return,
 * would run concurrently with it), so that return leaves the count below
 * zero as the process ends.  A thread of ours ends while the program runs
 * only with a thread of the program waiting for it (around setuid() or
 * unshare(), shim_process.c; the seccomp stand-down), so still on the
 * count, with one exception: the HTTP server's, once the program closed
 * its descriptors.  Should that happen at the instant the program's last
 * thread ends, the count reaches zero on our thread, and the process exits
 * with status 0 there rather than on the program's thread.  Without the
 * symbol (another libc) our threads count, as before. */
static unsigned *nthreads_lookup(void)
{
    static unsigned *count;
    static int looked;
    if (!__atomic_load_n(&looked, __ATOMIC_ACQUIRE)) {
        int saved = errno;
        __atomic_store_n(&count, dlvsym(RTLD_DEFAULT, "__nptl_nthreads", "GLIBC_PRIVATE"),
                         __ATOMIC_RELAXED);
        errno = saved;
        __atomic_store_n(&looked, 1, __ATOMIC_RELEASE);
    }
    return __atomic_load_n(&count, __ATOMIC_RELAXED);
}

static void nthreads_put_back(void)
{
    unsigned *count = nthreads_lookup();
    if (!count)
        return;
    unsigned v = __atomic_load_n(count, __ATOMIC_RELAXED);
    do {
        if (v == 0)
            return;
    } while (!__atomic_compare_exchange_n(count, &v, v + 1, 1, __ATOMIC_ACQ_REL,
                                          __ATOMIC_RELAXED));
}

/* The thread names itself: pthread_setname_np of another thread opens,
 * writes and closes /proc/self/task/TID/comm, three system calls on the
 * program's thread at every start; of the calling thread it is one
 * prctl, made on ours.  The system call itself, which is all glibc's
 * prctl is: the pthread_setname_np and prctl heapprof interposes
 * (shim_process.c) would count it as a rename of the program's, and
 * every program thread would read its own name again at its next sample
 * for a thread whose samples are never taken. */
static void *thread_entry(void *arg)
{
    const threads_kind *k = arg;
    int saved = errno;
    syscall(SYS_prctl, PR_SET_NAME, (unsigned long)k->name, 0UL, 0UL, 0UL);
    errno = saved;
    void *r = k->fn(NULL);
    nthreads_put_back();
    return r;
}

int threads_start(pthread_t *t, const threads_kind *k)
{
    pthread_attr_t attr;
    int err = pthread_attr_init(&attr);
    if (err)
        return err;
    /* Default scheduling, set explicitly only where the starter has
     * another policy (a program thread of real-time priority calling
     * setuid or fork): with explicit scheduling, glibc's new thread waits
     * on a lock until its starter has set its policy, two context switches
     * and three system calls (sched_get_priority_min and _max, then
     * sched_setscheduler) more on the program's thread, at every start
     * for nothing, as the constructor's thread has SCHED_OTHER as a rule.
     * Inheriting SCHED_OTHER is the same thing: the nice value is the
     * starter's either way.  A policy that cannot be read (a seccomp
     * filter's errno) is taken for another. */
    int saved = errno;
    bool other = sched_getscheduler(0) == SCHED_OTHER;
    errno = saved;
    if (!other) {
        struct sched_param sp = {0};
        pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
        pthread_attr_setschedpolicy(&attr, SCHED_OTHER);
        pthread_attr_setschedparam(&attr, &sp);
    }
    /* PTHREAD_STACK_MIN may be a sysconf call (glibc 2.34+); if the size is
     * refused all the same, the default stays. */
    long min = PTHREAD_STACK_MIN;
    size_t want = stack_size();
    pthread_attr_setstacksize(&attr, want < (size_t)min ? (size_t)min : want);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* the new thread inherits this mask */
    unsigned *count = nthreads_lookup();
    void *arg = (void *)k; /* read-only on the thread */
    err = pthread_create(t, &attr, thread_entry, arg);
    /* SCHED_OTHER is above SCHED_IDLE, and an unprivileged thread may not
     * raise its policy: under `chrt --idle` the writer and the HTTP thread
     * were refused (EPERM), and no profile but the exit one was written
     * (lifecycle_host_sched_idle).  Then they run as the program does. */
    if (err == EPERM) {
        pthread_attr_setinheritsched(&attr, PTHREAD_INHERIT_SCHED);
        err = pthread_create(t, &attr, thread_entry, arg);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    if (!err && count)
        __atomic_fetch_sub(count, 1, __ATOMIC_ACQ_REL);
    return err;
}

void threads_join(pthread_t t, const pid_t *tid)
{
    pthread_join(t, NULL);
    /* tgkill's signal 0 finds the thread until it is out of the group;
     * any error (ESRCH: gone; a seccomp filter's errno) ends the wait. */
    pid_t me = getpid(), id = __atomic_load_n(tid, __ATOMIC_ACQUIRE);
    struct timespec pause = {0, 50000}; /* 50 us */
    for (int i = 0; i < 2000 && me > 0 && id > 0 && tgkill(me, id, 0) == 0; i++)
        nanosleep(&pause, NULL);
}

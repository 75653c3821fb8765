/*
 * lifecycle.c - the process events the profiler follows: load, fork, the
 * environment it hands to exec'd children, and exit.
 *
 * Load: the constructor brings the profiler up (if no allocation has done
 * so already) and starts the writer; it runs before main, outside any
 * allocator call, which is why thread creation and signal handling live
 * here rather than in the first malloc.
 *
 * fork: the prepare handler takes the profiler's short locks (the table
 * spinlocks, the HTTP table lock, the quiesce lock) so the child never
 * inherits one held by a thread that does not exist there.  It does not
 * wait for a dump in progress: the child re-creates the dump lock instead
 * (writer.c).  The child keeps its tables: the objects they
 * describe are really alive in its copy of the heap.  Its cumulative
 * alloc_* totals therefore include what the parent allocated before the
 * fork, as its address space does.
 *
 * The forking thread holds its guard from prepare to the end of parent or
 * child.  Other libraries' fork handlers run in between (glibc runs the
 * prepare handlers in reverse order of registration and the others in
 * order, and libraries the program links register theirs before our
 * constructor runs), and they may allocate and free: with the locks held
 * by this very thread, a sample there would wait for itself forever.
 * Under the guard their allocations are not sampled, and a free of a
 * sampled object leaves its entry to be replaced later as an unseen free
 * (profiler.c, may_track), as a signal handler's does.  Each handler keeps
 * errno: fork() succeeded, and the program must see what it set.
 *
 * A child made without handlers (_Fork, a raw clone) is "orphaned": the
 * profiler's threads and whatever they held are its parent's.  Its pid is
 * not owner_pid, and there it stands down rather than wait for locks no
 * thread of its will release: no exit profile, no heapprof_dump(), and
 * the tables' spinlocks are taken over after a long wait (spin.c).
 *
 * exit: the destructor writes the exit profile.  It runs for exit() and a
 * return from main, not for _exit(), abort() or a fatal signal: those leave
 * whatever earlier profiles were written, each complete.  Nor when exit()
 * is called on a thread inside the profiler's own work (a signal handler's
 * exit() that interrupted a sample): the locks that work holds are the
 * ones a profile takes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "labels.h"
#include "lifecycle.h"
#include "live.h"
#include "mem.h"
#include "log.h"
#include "profiler.h"
#include "real.h"
#include "retired.h"
#include "seccomp.h"
#include "stacks.h"
#include "timing.h"
#include "writer.h"

extern char **environ;

/* Serialises quiesce/resume pairs (shim_process.c) from different program
 * threads; taken across fork so that a child never inherits it held. */
static pthread_mutex_t quiesce_lock = PTHREAD_MUTEX_INITIALIZER;
/* The process the profiler's threads belong to: a vfork child, which
 * shares our memory but not our threads, must not stop or start them. */
static pid_t owner_pid;
/* The thread that began the process's exit (exit() or a return from main). */
static pid_t exit_tid;
/* The thread that ran our destructor, which writes the exit profile; in
 * a fork child of a process already there, -1: glibc's exit handlers
 * that run the destructors were taken by the parent, so this process
 * writes no exit profile, and exit_gate has none to wait for. */
static pid_t unload_tid;
/* The forking thread's budget, parked by prepare until parent or child,
 * and whether the fork began in an orphaned process (below).  Per thread:
 * in an orphan, quiesce_lock is not taken, and two of its threads may fork
 * at once. */
static __thread int64_t fork_budget __attribute__((tls_model("initial-exec")));
static __thread bool fork_in_orphan __attribute__((tls_model("initial-exec")));
/* The fork began on a thread inside the profiler's own work: a signal
 * handler's fork() that interrupted a sample or a sampled free (fork() is
 * async-signal-safe), whose thread may hold a table's lock, or retired.c's,
 * that prepare would wait for forever (lifecycle_fork_sighandler).  Then
 * the handlers take nothing and leave the child orphaned, as a _Fork child
 * is (its copies of locks the parent's threads held are taken over, it
 * writes no profile); the parent goes on as it was.  The thread's own
 * lock, if any, is released in each process when the handler returns to
 * the work it interrupted. */
static __thread bool fork_inside __attribute__((tls_model("initial-exec")));
/* This process is such a child (its line at exit says so). */
static bool forked_inside;
/* The program installs a seccomp filter that may kill or trap a system
 * call (lifecycle_seccomp): heapprof has stood down for good, and from
 * then on makes no system call of its own beyond the allocator's (a
 * getpid() killed a program at its exit), so the orphan test is the one
 * made before the filter. */
static int sandboxed;
static bool sandboxed_orphan;

/* An orphaned process (a _Fork child) that forks: its copies of the
 * mutexes below may be held by threads of its parent that do not exist in
 * it (a program thread inside a quiesced setgid, the writer in
 * retired_snapshot, the HTTP thread), and prepare would wait for them
 * forever (lifecycle_fork_orphan).  No thread of an orphan takes them
 * (lifecycle_quiesce, retired_record and http.c's entry points all return
 * at once there), so prepare leaves them alone and the child starts them
 * afresh.  The tables' spinlocks are still taken: the orphan's own threads
 * sample, and a copy left held by its parent is taken over (spin.c). */
static void prepare(void)
{
    if (hp_tls.guard) {
        fork_inside = true;
        return;
    }
    int saved_errno = errno;
    bool orphan = lifecycle_orphaned();
    int64_t g = profiler_guard_enter(); /* left by parent() or child() */
    if (!orphan) {
        pthread_mutex_lock(&quiesce_lock);
        retired_atfork_prepare(); /* before the tables: a free() under its lock may reach them */
        http_atfork_prepare();
    }
    fork_budget = g;
    fork_in_orphan = orphan;
    stacks_lock_all();
    live_lock_all();
    mem_lock_all(); /* last: a block may be allocated under the others */
    errno = saved_errno;
}

static void parent(void)
{
    if (fork_inside) {
        fork_inside = false;
        return;
    }
    int saved_errno = errno;
    int64_t g = fork_budget;
    mem_unlock_all();
    live_unlock_all();
    stacks_unlock_all();
    if (!fork_in_orphan) {
        http_atfork_parent();
        retired_atfork_parent();
        pthread_mutex_unlock(&quiesce_lock);
    }
    profiler_guard_exit(g);
    errno = saved_errno;
}

static void child(void)
{
    int saved_errno = errno;
    labels_atfork_child(); /* whatever the fork: a label table half mapped */
    if (fork_inside) {
        fork_inside = false;
        forked_inside = true; /* owner_pid stays the parent's: orphaned */
        http_atfork_child_inside();
        errno = saved_errno;
        return;
    }
    int64_t g = fork_budget;
    /* A normal child of such a child is profiled: its own _Fork children
     * are orphans of the ordinary kind, and say so (on_unload). */
    forked_inside = false;
    bool quiet = __atomic_load_n(&sandboxed, __ATOMIC_ACQUIRE);
    if (!quiet) { /* under the filter a fork child stays as quiet as its parent */
        owner_pid = getpid();
        spin_set_owner(owner_pid);
    }
    exit_tid = 0;
    if (__atomic_load_n(&unload_tid, __ATOMIC_ACQUIRE))
        __atomic_store_n(&unload_tid, -1, __ATOMIC_RELEASE);
    mem_unlock_all();
    live_unlock_all();
    stacks_unlock_all();
    if (fork_in_orphan) {
        /* New locks, held as prepare would have left them. */
        pthread_mutex_init(&quiesce_lock, NULL);
        pthread_mutex_lock(&quiesce_lock);
        retired_atfork_renew();
        http_atfork_renew();
    }
    retired_atfork_child();
    pthread_mutex_unlock(&quiesce_lock);
    http_atfork_child(); /* the child does not serve: see http.h */
    if (!quiet)
        writer_atfork_child(); /* may fail to read the output directory: errno above */
    profiler_guard_exit(g);
    errno = saved_errno;
}

pid_t lifecycle_pid(void)
{
    pid_t me = getpid();
    return me > 0 ? me : owner_pid;
}

/* A getpid() that a seccomp filter refuses (SECCOMP_RET_ERRNO) answers -1
 * or -errno: no answer, not another process.  Taken for one, it made the
 * program's own process an orphan: no exit profile, and a line naming
 * process -1 (lifecycle_host_seccomp_errno). */
bool lifecycle_orphaned(void)
{
    if (__atomic_load_n(&sandboxed, __ATOMIC_ACQUIRE))
        return sandboxed_orphan;
    pid_t me = getpid();
    return owner_pid && me > 0 && me != owner_pid;
}

/* HEAPPROF_CHILDREN=0: take libheapprof out of LD_PRELOAD, in place (the
 * string is the process's own; setenv would allocate and could race with
 * the program's getenv).  Entries are separated by spaces or colons. */
static void unpreload_children(void)
{
    for (char **e = environ; e && *e; e++) {
        if (strncmp(*e, "LD_PRELOAD=", 11))
            continue;
        char *src = *e + 11, *dst = src;
        while (*src) {
            size_t sep = strspn(src, " :");
            size_t len = strcspn(src + sep, " :");
            const char *tok = src + sep, *base = memrchr(tok, '/', len);
            base = base ? base + 1 : tok;
            if (!(len && strncmp(base, "libheapprof", 11) == 0)) {
                if (dst != *e + 11 && len)
                    *dst++ = ' ';
                memmove(dst, tok, len);
                dst += len;
            }
            src += sep + len;
        }
        *dst = '\0';
    }
}

static void exit_gate(void);

__attribute__((constructor)) static void on_load(void)
{
    if (!profiler_init())
        return;
    owner_pid = getpid();
    spin_set_owner(owner_pid);
    int64_t g = profiler_guard_enter();
    bool program;
    const char *other = real_bypassed_by(&program);
    if (program)
        log_line("this program defines malloc itself: the calls to its own malloc are not "
                 "profiled");
    else if (other)
        log_line("this process's malloc is %s's, found before libheapprof.so's: list "
                 "libheapprof.so first in LD_PRELOAD; the calls that do not reach it are not "
                 "profiled",
                 other);
    if (!profiler_config()->children)
        unpreload_children();
    int err = pthread_atfork(prepare, parent, child);
    if (err)
        log_line("cannot register fork handlers (%s); a child that forks while a profile is "
                 "written may hang", strerror(err));
    /* A return from main reaches glibc's exit() inside libc, not the one
     * of shim_process.c: a main that returned while another thread's
     * exit() was writing the exit profile found the exit handlers taken
     * and ended the process halfway through it (no exit profile, a .tmp
     * left; lifecycle_exit_mainret).  glibc registers _dl_fini, which runs
     * our destructor, only after the preloaded libraries' constructors
     * have run, so a handler registered here is the last of all: a
     * second thread in exit, however it got there, finds it and waits for
     * the exit profile in it (exit_gate). */
    if (atexit(exit_gate))
        log_line("cannot register an exit handler; a return from main while another thread "
                 "calls exit() may cut the exit profile short");
    writer_start();
    profiler_guard_exit(g);
}


/* True for the first thread to claim the exit, or the same one again. */
static bool claim_exit(void)
{
    pid_t me = gettid(), first = 0;
    return __atomic_compare_exchange_n(&exit_tid, &first, me, false, __ATOMIC_ACQ_REL,
                                       __ATOMIC_ACQUIRE) ||
           first == me;
}

void lifecycle_before_exit(void)
{
    /* The first exit() runs the atexit handlers before the exit profile is
     * written, and one of them may be joining this very thread: so wait at
     * most half a second for the writing to begin, then for it to end.  An
     * orphaned child writes none (on_unload). */
    if (__atomic_load_n(&sandboxed, __ATOMIC_ACQUIRE) || lifecycle_orphaned())
        return;
    if (!claim_exit())
        writer_wait_exit_profile(0.5, 10.0);
}

/* The last exit handler (on_load): a thread other than the one that ran
 * our destructor waits there for the exit profile, as a later exit()
 * does (at most 0.5 s for it to begin, 10 s in all), whoever claimed the
 * exit first: a thread whose exit() came first finds the handlers taken
 * by a main that returned, which may be writing the profile. */
static void exit_gate(void)
{
    pid_t ran = __atomic_load_n(&unload_tid, __ATOMIC_ACQUIRE);
    if (__atomic_load_n(&sandboxed, __ATOMIC_ACQUIRE) || lifecycle_orphaned() || ran == -1 ||
        ran == gettid())
        return;
    writer_wait_exit_profile(0.5, 10.0);
}

__attribute__((destructor)) static void on_unload(void)
{
    if (__atomic_load_n(&sandboxed, __ATOMIC_ACQUIRE))
        return; /* said when the filter went in (lifecycle_seccomp) */
    __atomic_store_n(&unload_tid, gettid(), __ATOMIC_RELEASE);
    if (lifecycle_orphaned()) {
        /* The dump lock may be a copy of one the parent's writer held at
         * _Fork, and no thread here will release it: stand down. */
        if (profiler_config()->on_exit && forked_inside)
            log_line("process %d was forked by a signal handler that interrupted heapprof's own "
                     "work, which may hold the locks a profile needs: it writes no exit profile",
                     (int)getpid());
        else if (profiler_config()->on_exit)
            log_line("process %d was created without fork handlers (_Fork or clone): it writes "
                     "no exit profile", (int)getpid());
    } else if (hp_tls.guard) {
        /* exit() from a signal handler (or another library's fork handler)
         * that interrupted the profiler's own work on this thread, which
         * may hold a table's lock or the dump lock: the exit profile would
         * wait for it forever, where the program exits without heapprof
         * (lifecycle_host_sigexit).  As heapprof_dump() answers EDEADLK
         * there. */
        claim_exit();
        if (profiler_config()->on_exit)
            log_line("exit() was called while this thread was inside heapprof (from a signal "
                     "handler?), which may hold the locks a profile needs: no exit profile");
    } else {
        claim_exit(); /* a return from main does not pass through exit() above */
        writer_at_exit();
    }
    timing_report(); /* libheapprof_timing.so only (timing.h) */
}

/* Not in a vfork child (posix_spawn's runs no exec of ours; a program's
 * vfork() does): the lock it took would stay held in the parent's memory,
 * whose writer and exit would wait on it forever.  Nor before our
 * constructor (owner_pid 0): a vfork child is not told from its parent
 * then, and a library's constructor, which runs before ours, that vforked
 * and exec'd left the lock held and the program's exit hung for good, its
 * signals blocked (lifecycle_ctor_vfork); no writer thread runs yet whose
 * profile an exec could cut.  Not under the guard: a signal handler that
 * interrupted heapprof's work on this thread. */
/* This thread holds the lock for an exec of its own, which may call
 * another exec function of ours: another preloaded library's exec
 * (listed after ours, so its is next) that calls execve, found first
 * in ours; or a signal handler's.  That one goes on under the lock the
 * outer one took: it waited the full 10 s for itself, and said a profile
 * was being written (lifecycle_exec 6). */
static __thread bool exec_holding __attribute__((tls_model("initial-exec")));

bool lifecycle_before_exec(void)
{
    if (__atomic_load_n(&sandboxed, __ATOMIC_ACQUIRE) || hp_tls.guard || !owner_pid ||
        exec_holding || lifecycle_orphaned())
        return false;
    int saved_errno = errno;
    int64_t g = profiler_guard_enter();
    bool held = writer_exec_hold();
    exec_holding = held;
    profiler_guard_exit(g);
    errno = saved_errno;
    return held;
}

void lifecycle_exec_failed(void)
{
    exec_holding = false;
    writer_exec_release();
}

void lifecycle_quiesce(void)
{
    /* Under the guard this thread may hold quiesce_lock already: a fork
     * handler of another library, between prepare and parent. */
    if (__atomic_load_n(&sandboxed, __ATOMIC_ACQUIRE) || getpid() != owner_pid || hp_tls.guard)
        return;
    int64_t g = profiler_guard_enter();
    pthread_mutex_lock(&quiesce_lock);
    http_pause();
    writer_pause();
    profiler_guard_exit(g);
}

void lifecycle_resume(void)
{
    if (__atomic_load_n(&sandboxed, __ATOMIC_ACQUIRE) || getpid() != owner_pid || hp_tls.guard)
        return;
    int64_t g = profiler_guard_enter();
    writer_resume();
    http_resume();
    pthread_mutex_unlock(&quiesce_lock);
    profiler_guard_exit(g);
}

bool lifecycle_sandboxed(void) { return __atomic_load_n(&sandboxed, __ATOMIC_ACQUIRE); }

void lifecycle_seccomp(bool strict, const struct sock_fprog *filter)
{
    /* A filter covers the profiler's threads as well as the program's
     * (SECCOMP_FILTER_FLAG_TSYNC, or any thread started after it), and
     * what a sandbox allows is what the program calls itself: the exit
     * profile's getpid(), the writer's openat, the HTTP server's poll
     * killed programs that allowed all they needed.  A filter that at
     * worst refuses a call with an errno leaves heapprof at work, as each
     * of its calls copes with a failure (a profile it cannot write is one
     * line).  One that may kill or trap (seccomp.h) makes it stop before
     * the filter goes in, while its line can still be written: its threads
     * end, once a profile being written is done, the HTTP server's sockets
     * close, sampling pauses, no profile is written any more
     * (heapprof_dump() answers ENOTSUP) and no line either.  Under the
     * guard (a signal handler inside heapprof) nothing is stopped: the
     * locks it would take may be this thread's.  The filter is read as the
     * kernel reads it (seccomp_judge): one at a bad address installs
     * nothing, and the program gets its EFAULT, not a crash in here. */
    if (hp_tls.guard || __atomic_load_n(&sandboxed, __ATOMIC_ACQUIRE) || !profiler_init())
        return;
    int saved_errno = errno;
    int64_t g = profiler_guard_enter();
    if (strict || seccomp_judge(lifecycle_pid(), filter) == SECCOMP_MAY_KILL) {
        bool orphan = lifecycle_orphaned(); /* whose threads are its parent's */
        if (!orphan) {
            log_line("the program installs a seccomp filter that can kill or trap a system call: "
                     "heapprof stops here, as a call of its own could kill the program (no more "
                     "samples or profiles, no exit profile, the HTTP server closes)");
            pthread_mutex_lock(&quiesce_lock);
        }
        sandboxed_orphan = orphan;
        __atomic_store_n(&sandboxed, 1, __ATOMIC_RELEASE); /* later dumps find it */
        if (!orphan) {
            http_stand_down();
            writer_stand_down();
            pthread_mutex_unlock(&quiesce_lock);
        }
        profiler_set_mean(0);
        log_mute();
        spin_set_owner(0); /* a contended lock never asks getpid() again */
    }
    profiler_guard_exit(g);
    errno = saved_errno;
}

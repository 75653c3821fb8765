/*
 * host.c - what the host program sees of the process it shares with the
 * profiler: signal dispositions, namespace calls, its stderr, its current
 * directory.  One mode per scenario (tests/lifecycle/host_*.sh); each prints
 * "key=value" lines and exits 0 when the program saw what it would have seen
 * without the profiler (checked in the program where it can be, else by the
 * script comparing a run without the preload).
 *
 *   host sigign run         started with SIGUSR2 ignored (as by nohup or
 *                           `trap '' USR2`): must see SIG_IGN, survive
 *                           raise(SIGUSR2), and pass SIG_IGN on to its own
 *                           exec'd child ("host sigign" alone re-execs
 *                           itself so, for a run by hand)
 *   host sigign late        the same, but SIGUSR2 is ignored by the program
 *                           itself once started (a profiled shell's
 *                           `trap '' USR2`), before its exec'd child
 *   host ns                 setns into its own time namespace and unshare
 *                           of CLONE_THREAD/SIGHAND/VM/NEWUSER: one line
 *                           per call, "NAME=0" or "NAME=<errno name>"
 *   host pipe_stderr        re-execs itself ("run") with fd 2 a pipe whose
 *                           reader is gone, so that it is the stderr the
 *                           profiler starts with; with SIGPIPE blocked, then
 *                           at its default action, asks for profiles that
 *                           cannot be written (the profiler then writes a
 *                           line to fd 2)
 *   host fd2file PATH       closes fd 2, opens PATH (gets fd 2), writes
 *                           "DATA\n" to it, asks for a profile that cannot
 *                           be written; the script checks PATH
 *   host chdir BASE         works in a directory made under BASE, asks for
 *                           a profile there, leaves and removes it
 *   host nproc              as root: RLIMIT_NPROC 0, then setuid(65534),
 *                           after which no thread can be started; prints
 *                           the threads and sockets of the process before
 *                           and after ("threads_after=N sockets_after=N")
 *   host fsize BYTES        sets RLIMIT_FSIZE to BYTES, then asks for
 *                           profiles that do not fit, with SIGXFSZ blocked,
 *                           handled by the program, then at its default
 *                           action: each must fail (EFBIG) with no SIGXFSZ
 *                           left pending, none for the program's handler,
 *                           and the program must not be killed
 *   host sigexit            allocates in a loop, and calls exit(3) from a
 *                           SIGPROF handler (a CPU timer) that interrupted
 *                           the code of libheapprof.so, where a sample may
 *                           hold a table's lock: it must exit with 3, as
 *                           programs whose handlers call exit() do
 *   host sigfork N          the same timer, whose handler forks where it
 *                           interrupted libheapprof.so (fork() is
 *                           async-signal-safe); the child exits with 7
 *                           (exit(), not _exit); after N forks prints
 *                           "forks=N children_ok=K" and returns; a child
 *                           that holds a socket (HEAPPROF_HTTP's) exits 8
 *   host sigforkchain       the same timer forks once; that child returns
 *                           from the handler, forks normally, and its
 *                           child _Forks; every one exits 0; the first
 *                           prints "parent" (and the child "ordinary fork"
 *                           when the tick was in heapprof's unguarded
 *                           code, where the fork was an ordinary one)
 *   host sigforkdump R      asks for R profiles in a row (heapprof_dump,
 *                           on this thread), with a SIGPROF handler that
 *                           forks (50 times at most) where it interrupted
 *                           libheapprof.so during a request; the child
 *                           returns from the handler into the interrupted
 *                           profile, as a handler that forks and lets the
 *                           child go on does, and exits when it is done;
 *                           prints "forks=K children_ok=K ticks=T" (T
 *                           the timer's ticks during requests)
 *   host closefrom PATH S   for S seconds, while the profiler writes
 *                           profiles (HEAPPROF_PERIOD), closes every
 *                           descriptor from 3 up as a daemon does, opens
 *                           PATH (it gets fd 3), writes "DATA" to it and
 *                           checks that the file still holds those 4 bytes
 *                           and that fd 3 is still its own to close
 *   host lowfd S            the descriptor numbers the program's open()
 *                           gets, which POSIX makes the lowest free one:
 *                           prints "first=N", its first open's number;
 *                           closes fd 0 as a daemon does, holds a
 *                           connection to the profiler's HTTP server if
 *                           there is one (the server's end accepted), then
 *                           for S seconds opens /dev/null, which must be
 *                           fd 0 every time, and closes it, allocating as
 *                           it goes; prints "opens=N elsewhere=K" and
 *                           exits 1 when K > 0
 *   host seccomp_errno      allocates, then installs a seccomp filter on
 *                           every thread (TSYNC) that refuses getpid() with
 *                           EPERM, allocates on, in a thread too, and calls
 *                           exit(0); prints "pid=N" before the filter and
 *                           "sum=S" at the end
 *   host seccomp_kill ACT   the same with the filter of a sandbox: what the
 *                           program itself calls is allowed (memory,
 *                           threads, read, write, sleeping, exit), opening
 *                           a file is refused with EPERM, and anything
 *                           else kills the process (ACT kill) or raises
 *                           SIGSYS (ACT trap); also prints "dump=E", what
 *                           heapprof_dump() answered under the filter
 *                           (both exit 77 where no filter can be installed)
 *   host seccomp_fstat      installs a filter that refuses fstat
 *                           (newfstatat) with EPERM, as one written before
 *                           glibc 2.33 made fstat() that call does; asks
 *                           for three profiles (heapprof_dump), which
 *                           cannot check their file; prints what they
 *                           answered and "fds_before=N fds_after=M", the
 *                           descriptors open before and after them
 *   host leader_exit        the main thread calls pthread_exit() while a
 *                           thread allocates on, prints "worker sum=S" and
 *                           ends the process (exit status 0)
 *   host leader_exit alone  the same with no other thread: the main
 *                           thread's pthread_exit() ends the process
 *   host leader_exit slow   the thread first sleeps 0.5 s
 *   host rt_dump DIR GO     a real-time thread's heapprof_dump() waits for
 *                           the writer's profile (see rt_dump)
 *   host seccomp_refused    hands the kernel filters it refuses (at bad
 *                           addresses, EFAULT; empty, EINVAL): prints what
 *                           each call answered, then "dump=E", what
 *                           heapprof_dump() answers after them
 *
 * The profile requests use heapprof_dump (weak: absent without the
 * preload), which writes on the calling thread, so the profiler's line on
 * failure comes from this thread, deterministically.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <heapprof.h>
#include <link.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <ucontext.h>

#include "lc.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static int dump(void) { return heapprof_dump ? heapprof_dump(NULL) : -1; }

static const char *disposition(int sig)
{
    struct sigaction sa;
    sigaction(sig, NULL, &sa);
    return sa.sa_handler == SIG_IGN ? "SIG_IGN" : sa.sa_handler == SIG_DFL ? "SIG_DFL" : "handler";
}

/* ---- sigign ------------------------------------------------------------- */

static int sigign(char **argv, const char *stage)
{
    if (!stage) {
        signal(SIGUSR2, SIG_IGN);
        execl("/proc/self/exe", argv[0], "sigign", "run", (char *)NULL);
        perror("exec");
        return 2;
    }
    if (!strcmp(stage, "late")) /* ignored only now, after the profiler's start */
        signal(SIGUSR2, SIG_IGN);
    printf("%s_disposition=%s\n", stage, disposition(SIGUSR2));
    fflush(stdout);
    raise(SIGUSR2); /* ignored: nothing happens */
    printf("%s_survived=1\n", stage);
    fflush(stdout);
    if (!strcmp(stage, "grandchild"))
        return 0;
    pid_t c = fork();
    if (c == 0) {
        execl("/proc/self/exe", argv[0], "sigign", "grandchild", (char *)NULL);
        _exit(127);
    }
    int st;
    waitpid(c, &st, 0);
    if (WIFSIGNALED(st))
        printf("grandchild_signal=%d\n", WTERMSIG(st));
    else
        printf("grandchild_exit=%d\n", WEXITSTATUS(st));
    return 0;
}

/* ---- ns ----------------------------------------------------------------- */

static void report(const char *name, int rc)
{
    printf("%s=%s\n", name, rc == 0 ? "0" : strerrorname_np(errno));
}

/* How many threads the process has. */
static int count_threads(void)
{
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static int ns(void)
{
    printf("threads=%d\n", count_threads());
    int fd = open("/proc/self/ns/time", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        printf("setns_time=%s\n", strerrorname_np(errno));
    else
        report("setns_time", setns(fd, CLONE_NEWTIME));
    if (fd >= 0)
        report("setns_time_any", setns(fd, 0)); /* nstype 0: any type */
    static const struct { int flag; const char *name; } calls[] = {
        {CLONE_THREAD, "unshare_thread"},
        {CLONE_SIGHAND, "unshare_sighand"},
        {CLONE_VM, "unshare_vm"},
        {CLONE_NEWUSER, "unshare_newuser"},
    };
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
        report(calls[i].name, unshare(calls[i].flag));
    return 0;
}

/* ---- pipe_stderr -------------------------------------------------------- */

static int pipe_stderr(char **argv, const char *stage)
{
    if (!stage) {
        int p[2];
        if (pipe(p))
            return 2;
        close(p[0]); /* the reader is gone */
        dup2(p[1], 2);
        close(p[1]);
        execl("/proc/self/exe", argv[0], "pipe_stderr", "run", (char *)NULL);
        return 2;
    }
    sigset_t pipe_only, pending;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    /* Blocked by the program: the profiler's write must leave no SIGPIPE
     * pending for the program to receive later. */
    sigprocmask(SIG_BLOCK, &pipe_only, NULL);
    errno = 1234;
    int rc = dump();
    printf("blocked_dump=%d errno_kept=%d\n", rc, errno == 1234);
    sigpending(&pending);
    printf("blocked_pending=%d\n", sigismember(&pending, SIGPIPE));
    sigprocmask(SIG_UNBLOCK, &pipe_only, NULL);
    /* The default action: the profiler's write must not kill us. */
    errno = 1234;
    rc = dump();
    printf("default_dump=%d errno_kept=%d\n", rc, errno == 1234);
    printf("survived=1\n");
    fflush(stdout);
    return 0; /* the exit profile cannot be written either: one more line */
}

/* ---- fd2file ------------------------------------------------------------ */

static int fd2file(const char *path)
{
    close(2);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd != 2) {
        printf("fd=%d (expected 2)\n", fd);
        return 3;
    }
    if (write(fd, "DATA\n", 5) != 5)
        return 3;
    printf("dump=%d\n", dump());
    return 0; /* the exit profile's line would go here too */
}

/* ---- fsize -------------------------------------------------------------- */

static volatile sig_atomic_t xfsz_hits;

static void on_xfsz(int sig)
{
    (void)sig;
    xfsz_hits++;
}

static const char *errname(int rc) { return rc > 0 ? strerrorname_np(rc) : rc ? "none" : "0"; }

static int fsize(long long bytes)
{
    struct rlimit rl = {(rlim_t)bytes, RLIM_INFINITY};
    if (setrlimit(RLIMIT_FSIZE, &rl)) {
        printf("setrlimit(RLIMIT_FSIZE): %s\n", strerrorname_np(errno));
        return 2;
    }
    sigset_t xfsz, pending;
    sigemptyset(&xfsz);
    sigaddset(&xfsz, SIGXFSZ);
    /* Blocked by the program: the profiler's write must leave no SIGXFSZ
     * pending for the program to receive later. */
    sigprocmask(SIG_BLOCK, &xfsz, NULL);
    errno = 1234;
    int rc = dump();
    printf("blocked_dump=%s errno_kept=%d\n", errname(rc), errno == 1234);
    sigpending(&pending);
    printf("blocked_pending=%d\n", sigismember(&pending, SIGXFSZ));
    sigprocmask(SIG_UNBLOCK, &xfsz, NULL);
    /* The program's own handler is not the profiler's to run. */
    signal(SIGXFSZ, on_xfsz);
    rc = dump();
    printf("handler_dump=%s handler_hits=%d\n", errname(rc), (int)xfsz_hits);
    /* The default action: the profiler's write must not kill us. */
    signal(SIGXFSZ, SIG_DFL);
    rc = dump();
    printf("default_dump=%s\n", errname(rc));
    printf("survived=1\n");
    fflush(stdout);
    return 0; /* the exit profile does not fit either */
}

/* ---- sigexit ------------------------------------------------------------ */

static uintptr_t hp_lo, hp_hi; /* libheapprof.so's code, found at start */

static int find_heapprof(struct dl_phdr_info *info, size_t size, void *ctx)
{
    (void)size;
    (void)ctx;
    if (!info->dlpi_name || !strstr(info->dlpi_name, "libheapprof"))
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
            hp_lo = info->dlpi_addr + ph->p_vaddr;
            hp_hi = hp_lo + ph->p_memsz;
        }
    }
    return 1;
}

/* Whether the timer interrupted heapprof: the program's own code and
 * glibc's malloc (whose state exit() and a child's allocations would see
 * half-changed, with or without heapprof) are left to go on. */
static bool in_heapprof(const void *ucv)
{
    const ucontext_t *uc = ucv;
#if defined(__x86_64__)
    uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
    uintptr_t pc = (uintptr_t)uc->uc_mcontext.pc;
#else
    uintptr_t pc = 0;
#endif
    return pc >= hp_lo && pc < hp_hi;
}

static void exit_in_heapprof(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)si;
    if (in_heapprof(uc))
        exit(3);
}

static volatile sig_atomic_t forks, children_ok;
static int fork_limit;

/* Whether the process holds a socket: the program opens none, so one is
 * the profiler's HTTP server's.  fstat only: async-signal-safe. */
static int holds_socket(void)
{
    struct stat st;
    for (int fd = 3; fd < 1024; fd++)
        if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode))
            return 1;
    return 0;
}

static void fork_in_heapprof(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)si;
    if (!in_heapprof(uc) || forks >= fork_limit) /* a tick after the last one */
        return;
    pid_t c = fork();
    if (c == 0)
        exit(holds_socket() ? 8 : 7); /* the parent's listening socket */
    int st;
    if (c > 0 && waitpid(c, &st, 0) == c) {
        forks++;
        children_ok += WIFEXITED(st) && WEXITSTATUS(st) == 7;
    }
}

/* Allocates until *stop says so, with handler run on a SIGPROF every
 * millisecond of CPU time; 77 where it cannot tell heapprof's code. */
static int alloc_under_timer(void (*handler)(int, siginfo_t *, void *),
                             volatile sig_atomic_t *counter, int stop)
{
#if !defined(__x86_64__) && !defined(__aarch64__)
    printf("skip: no program counter in the signal context on this architecture\n");
    return 77;
#endif
    dl_iterate_phdr(find_heapprof, NULL);
    if (!hp_lo) {
        printf("libheapprof.so is not loaded\n");
        return 2;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGPROF, &sa, NULL);
    struct itimerval every_ms = {{0, 1000}, {0, 1000}};
    setitimer(ITIMER_PROF, &every_ms, NULL);
    static void *keep[4096];
    for (unsigned i = 0; !counter || *counter < stop; i++) {
        void *p = malloc(64 + i % 100);
        free(keep[i % 4096]);
        keep[i % 4096] = p;
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_PROF, &off, NULL);
    return 0;
}

static int sigexit(void) { return alloc_under_timer(exit_in_heapprof, NULL, 0); }

static int sigfork(int n)
{
    fork_limit = n;
    int rc = alloc_under_timer(fork_in_heapprof, &forks, n);
    if (rc)
        return rc;
    printf("forks=%d children_ok=%d\n", (int)forks, (int)children_ok);
    return 0;
}

/* sigforkchain: the handler's child returns from the handler, then forks
 * normally; that grandchild _Forks, and the last one exits. */
static volatile sig_atomic_t chain_child;

static void fork_chain(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)si;
    if (!in_heapprof(uc) || forks || chain_child)
        return;
    pid_t c = fork();
    if (c == 0)
        chain_child = forks = 1; /* returns into the work the signal interrupted */
    else if (c > 0)
        forks = 1;
}

pid_t _Fork(void); /* glibc 2.34: fork without the fork handlers */

static int wait_ok(pid_t c)
{
    int st;
    return c > 0 && waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static int sigforkchain(void)
{
    int rc = alloc_under_timer(fork_chain, &forks, 1);
    if (rc)
        return rc;
    if (!chain_child) {
        int st;
        if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
            printf("the chain's first child failed\n");
            return 2;
        }
        printf("parent\n");
        return 0;
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_PROF, &off, NULL);
    /* The tick may have fallen in libheapprof.so's code outside its
     * guarded work (the allocation fast path), where the fork was an
     * ordinary one: this child is then profiled as any other (its
     * heapprof_dump() works, where a child forked inside answers ENOTSUP),
     * and the chain shows nothing; the script runs it again. */
    if (dump() != ENOTSUP) {
        printf("ordinary fork\n");
        exit(0);
    }
    /* The child of the handler's fork: a normal fork of it is profiled. */
    pid_t g = fork();
    if (g == 0) {
        pid_t gg = _Fork();
        if (gg == 0)
            exit(0); /* its line must call it a _Fork child */
        exit(wait_ok(gg) ? 0 : 1);
    }
    exit(wait_ok(g) ? 0 : 1);
}

static volatile sig_atomic_t in_dump, dump_ticks;
static pid_t dump_parent;

static void fork_in_dump(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)si;
    dump_ticks += in_dump; /* the timer did fire during the requests */
    /* Only in libheapprof.so's own code: glibc's fork() in a process with
     * threads takes malloc's locks, which the profile's own allocations
     * may hold (README, Unusual situations). */
    if (!in_dump || !in_heapprof(uc) || forks >= fork_limit || getpid() != dump_parent)
        return;
    if (fork() > 0)
        forks++;
    /* the child returns to the profile it interrupted */
}

static int sigforkdump(int n)
{
#if !defined(__x86_64__) && !defined(__aarch64__)
    printf("skip: no program counter in the signal context on this architecture\n");
    return 77;
#endif
    dl_iterate_phdr(find_heapprof, NULL);
    if (!heapprof_dump || !hp_lo) {
        printf("libheapprof.so is not loaded\n");
        return 2;
    }
    fork_limit = 50;
    dump_parent = getpid();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fork_in_dump;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGPROF, &sa, NULL);
    struct itimerval every_ms = {{0, 1000}, {0, 1000}};
    setitimer(ITIMER_PROF, &every_ms, NULL);
    /* Stacks enough for each profile to take a while to encode. */
    static void *volatile keep[2000];
    for (int i = 0; i < 2000; i++)
        keep[i] = malloc(16 + (size_t)i);
    (void)keep[0];
    for (int round = 0; round < n; round++) {
        in_dump = 1;
        heapprof_dump(NULL);
        in_dump = 0;
        if (getpid() != dump_parent)
            exit(0); /* a child, its interrupted profile left behind */
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_PROF, &off, NULL);
    int st, ok = 0;
    for (pid_t c; (c = wait(&st)) > 0;)
        ok += WIFEXITED(st) && WEXITSTATUS(st) == 0;
    printf("forks=%d children_ok=%d ticks=%d\n", (int)forks, ok, (int)dump_ticks);
    return 0;
}

/* ---- nproc -------------------------------------------------------------- */


/* How many sockets the process holds: distinct ones in the descriptor
 * tables of all its threads (heapprof's HTTP thread has a table of its
 * own), each named by its link, socket:[INODE]. */
enum { SOCKETS_MAX = 64 };
static int socket_links(char seen[SOCKETS_MAX][32])
{
    int n = 0;
    DIR *t = opendir("/proc/self/task");
    for (struct dirent *te; t && (te = readdir(t));) {
        if (te->d_name[0] == '.')
            continue;
        char path[300];
        snprintf(path, sizeof path, "/proc/self/task/%s/fd", te->d_name);
        DIR *d = opendir(path);
        for (struct dirent *e; d && (e = readdir(d));) {
            char p[600], link[32];
            snprintf(p, sizeof p, "%s/%s", path, e->d_name);
            ssize_t l = readlink(p, link, sizeof link - 1);
            if (l < 0 || (link[l] = '\0', strncmp(link, "socket:", 7)))
                continue;
            int known = 0;
            for (int i = 0; i < n && !known; i++)
                known = !strcmp(seen[i], link);
            if (!known && n < SOCKETS_MAX)
                strcpy(seen[n++], link);
        }
        if (d)
            closedir(d);
    }
    if (t)
        closedir(t);
    return n;
}

static int count_sockets(void)
{
    static char seen[SOCKETS_MAX][32];
    return socket_links(seen);
}

static int nproc(void)
{
    struct rlimit none = {0, 0};
    printf("threads_before=%d sockets_before=%d\n", count_threads(), count_sockets());
    if (setrlimit(RLIMIT_NPROC, &none) || setuid(65534)) {
        printf("cannot drop to uid 65534: %s\n", strerrorname_np(errno));
        return 2;
    }
    testlib_sleep_ms(100);
    printf("threads_after=%d sockets_after=%d\n", count_threads(), count_sockets());
    return 0;
}

/* ---- closefrom ---------------------------------------------------------- */

static int closefrom_loop(const char *path, double seconds)
{
    double end = testlib_now() + seconds;
    long rounds = 0, bad = 0;
    while (testlib_now() < end && bad < 5) {
        close_range(3, ~0U, 0);
        int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
            perror(path);
            return 2;
        }
        if (write(fd, "DATA", 4) != 4) {
            printf("round %ld: write to fd %d: %s\n", rounds, fd, strerrorname_np(errno));
            bad++;
        }
        testlib_sleep_ms(1); /* the profiler's writer runs meanwhile */
        struct stat st;
        if (fstat(fd, &st)) {
            printf("round %ld: fd %d was closed under the program: %s\n", rounds, fd,
                   strerrorname_np(errno));
            bad++;
            continue;
        }
        if (st.st_size != 4) {
            printf("round %ld: the program's file has %lld bytes, not its 4\n", rounds,
                   (long long)st.st_size);
            bad++;
        }
        if (close(fd)) {
            printf("round %ld: close(%d): %s\n", rounds, fd, strerrorname_np(errno));
            bad++;
        }
        rounds++;
    }
    printf("rounds=%ld bad=%ld\n", rounds, bad);
    return bad != 0;
}

/* ---- lowfd -------------------------------------------------------------- */

/* The address of an IPv4 socket of the process's listening (the
 * profiler's HTTP server: the program listens on nothing of its own),
 * found in /proc/self/net/tcp by the inode of a socket that one of its
 * threads holds.  Not by scanning the program's descriptors: the server's
 * are in a table of its thread's own.  0, or -1 when there is none. */
static int find_listener(struct sockaddr_in *a)
{
    static char seen[SOCKETS_MAX][32];
    int n = socket_links(seen), found = -1;
    FILE *f = fopen("/proc/self/net/tcp", "re");
    char line[512];
    while (f && found < 0 && fgets(line, sizeof line, f)) {
        unsigned ip, port, st;
        unsigned long inode;
        char link[32];
        if (sscanf(line, " %*u: %x:%x %*x:%*x %x %*x:%*x %*x:%*x %*x %*u %*u %lu", &ip, &port,
                   &st, &inode) != 4 || st != 0x0A)
            continue;
        snprintf(link, sizeof link, "socket:[%lu]", inode);
        for (int i = 0; i < n && found < 0; i++)
            if (!strcmp(seen[i], link)) {
                *a = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                          .sin_addr.s_addr = ip}; /* /proc prints it as stored */
                found = 0;
            }
    }
    if (f)
        fclose(f);
    return found;
}

/* A connection to the profiler's HTTP server, if the process has one,
 * made after fd 0 is closed: a partial request head, so that the server
 * holds its end for a while (5 s).  The program's end is at fd 900, out
 * of the way.  0 when there is no server. */
static int hold_http_connection(void)
{
    struct sockaddr_in ss;
    if (find_listener(&ss)) {
        close(0);
        return 0;
    }
    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int high = c < 0 ? -1 : fcntl(c, F_DUPFD_CLOEXEC, 900);
    close(c);
    close(0);
    static const char head[] = "GET /metrics HTTP/1.1\r\n";
    if (high < 0 || connect(high, (struct sockaddr *)&ss, sizeof ss) ||
        write(high, head, sizeof head - 1) != (ssize_t)(sizeof head - 1))
        return -1;
    testlib_sleep_ms(200); /* for the server to accept it */
    return 1;
}

static int lowest_fd(double seconds)
{
    int first = open("/dev/null", O_RDONLY | O_CLOEXEC);
    printf("first=%d\n", first);
    close(first);
    int held = hold_http_connection();
    if (held < 0) {
        perror("connecting to the profiler's HTTP server");
        return 2;
    }
    double end = testlib_now() + seconds;
    long opens = 0, elsewhere = 0;
    while (testlib_now() < end)
        for (int i = 0; i < 100; i++, opens++) {
            free(malloc(64 + (size_t)i)); /* samples, and their stacks' files */
            int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
            if (fd != 0 && elsewhere++ < 3)
                printf("open %ld: fd %d, where fd 0 was free\n", opens, fd);
            close(fd);
        }
    printf("http=%d opens=%ld elsewhere=%ld\n", held, opens, elsewhere);
    return elsewhere != 0;
}

/* ---- chdir -------------------------------------------------------------- */

static int in_scratch(const char *base)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/scratchXXXXXX", base);
    if (!mkdtemp(dir) || chdir(dir)) {
        perror(dir);
        return 2;
    }
    printf("dump=%d\n", dump()); /* into HEAPPROF_OUT, not into dir */
    if (chdir("/"))
        return 2;
    if (rmdir(dir)) {
        printf("rmdir=%s\n", strerrorname_np(errno));
        return 1;
    }
    printf("rmdir=0\n");
    return 0;
}

/* ---- seccomp ------------------------------------------------------------- */

/* A filter on every thread (SECCOMP_FILTER_FLAG_TSYNC), as sandboxes
 * install theirs once started.  only >= 0: that call gets `other`, the
 * rest is allowed.  Else the allow-list of a program that allocates,
 * starts threads, reads, writes, sleeps and exits, with openat refused by
 * EPERM (glibc's malloc reads /proc/sys/vm/overcommit_memory for a new
 * thread's arena, and copes) and `other` for every other call.  Another
 * architecture is killed, as filters do.  0 or an errno. */
static int seccomp_install(unsigned other, int only)
{
    static const unsigned allowed[] = {
        SYS_read, SYS_write, SYS_exit, SYS_exit_group, SYS_brk, SYS_mmap, SYS_munmap,
        SYS_mremap, SYS_mprotect, SYS_madvise, SYS_futex, SYS_rt_sigreturn,
        SYS_rt_sigprocmask, SYS_rt_sigaction, SYS_clone, SYS_clone3, SYS_set_robust_list,
        SYS_rseq, SYS_newfstatat, SYS_fstat, SYS_getrandom, SYS_nanosleep,
        SYS_clock_nanosleep,
    };
    enum { N = sizeof allowed / sizeof allowed[0] };
    struct sock_filter f[8 + N];
    unsigned short k = 0;
    f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
    f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
    f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
    f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
    if (only >= 0) {
        f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)only, 0, 1);
    } else {
        f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat, 0, 1);
        f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
        for (unsigned i = 0; i < N; i++)
            f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, allowed[i],
                                                  (unsigned char)(N - i), 0);
    }
    f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, other);
    f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    struct sock_fprog prog = {.len = k, .filter = f};
#if !defined(__x86_64__)
    return ENOSYS; /* the filter above names x86-64's calls */
#endif
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
        syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog))
        return errno;
    return 0;
}

/* Allocations of every size up to 5000 bytes, with reallocs, all freed:
 * their sizes added up, the same with or without the profiler. */
static void *sc_churn(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    unsigned long sum = 0;
    void *v[64];
    for (unsigned r = 0; r < 200; r++) {
        for (unsigned i = 0; i < 64; i++) {
            size_t n = 16 + (seed * 7919u + (r * 64 + i) * 104729u) % 5000;
            v[i] = malloc(n);
            memset(v[i], (int)i, n);
            sum += n;
        }
        for (unsigned i = 0; i < 64; i += 2)
            v[i] = realloc(v[i], 7000 + i);
        for (unsigned i = 0; i < 64; i++)
            free(v[i]);
    }
    return (void *)(uintptr_t)sum;
}

static int sandboxed(unsigned other, int only)
{
    unsigned long sum = (unsigned long)(uintptr_t)sc_churn((void *)1);
    printf("pid=%d\n", (int)getpid());
    fflush(stdout);
    int err = seccomp_install(other, only);
    if (err) {
        printf("seccomp=%s\n", strerrorname_np(err));
        return 77;
    }
    sum += (unsigned long)(uintptr_t)sc_churn((void *)2);
    pthread_t t;
    void *r;
    if (pthread_create(&t, NULL, sc_churn, (void *)3) || pthread_join(t, &r))
        return 2;
    sum += (unsigned long)(uintptr_t)r;
    testlib_sleep_ms(200); /* HEAPPROF_PERIOD's profiles, the HTTP server's poll */
    if (only < 0)
        printf("dump=%s\n", errname(dump()));
    printf("sum=%lu\n", sum);
    fflush(stdout);
    exit(0);
}

/* Open descriptors below 1024, without /proc (opendir calls fstat). */
static int open_fds(void)
{
    int n = 0;
    for (int fd = 0; fd < 1024; fd++)
        n += fcntl(fd, F_GETFD) != -1;
    return n;
}

static int fstat_refused(void)
{
    int err = seccomp_install(SECCOMP_RET_ERRNO | EPERM, SYS_newfstatat);
    if (err) {
        printf("seccomp=%s\n", strerrorname_np(err));
        return 77;
    }
    int before = open_fds();
    for (int i = 0; i < 3; i++)
        printf("dump=%s\n", errname(dump()));
    printf("fds_before=%d fds_after=%d\n", before, open_fds());
    return 0;
}

/* leader_exit: the main thread ends with pthread_exit() while a thread of
 * the program allocates on; the process ends with that thread (glibc's
 * exit(0) from the last thread).  pthread_exit unwinds the main thread
 * through libgcc_s, which glibc dlopens then. */
static bool leader_slow;

static void *leader_worker(void *arg)
{
    unsigned long sum = 0;
    /* 2 s: room for the writer's periodic profiles on a loaded machine */
    for (int i = 0; leader_slow && i < 40; i++)
        usleep(50000); /* the main thread long gone: the profiler's lines go on */
    for (unsigned i = 0; i < 2000; i++) {
        char *p = malloc(64 + i % 512);
        p[0] = (char)i;
        sum += (unsigned char)p[0];
        free(p);
    }
    printf("worker sum=%lu\n", sum);
    fflush(stdout);
    return arg;
}

static int leader_exit(const char *how)
{
    leader_slow = how && !strcmp(how, "slow");
    if (how && !strcmp(how, "alone")) {
        leader_worker(NULL);
        pthread_exit(NULL);
    }
    pthread_t t;
    if (pthread_create(&t, NULL, leader_worker, NULL))
        return 2;
    pthread_exit(NULL);
}

/* rt_dump: a thread of real-time priority (SCHED_FIFO 20) calls
 * heapprof_dump() while the writer, of normal priority, holds the dump
 * lock for a profile asked for by SIGUSR2 (holdsync.c keeps it in its
 * fdatasync until GO exists).  The lock inherits priority: the writer
 * runs at the waiter's meanwhile, so that a real-time thread of the
 * program computing on its CPU does not hold both back (0.95 s, until
 * the kernel's real-time throttling).  Prints "writer_prio=P", the
 * writer's priority as /proc shows it once the waiter waits (negative:
 * real-time; 20 is normal, found still so after 30 s of waiting), then
 * "dump=R" once GO is made.  77 where real-time priority is refused. */
static const char *rt_path;

static void *rt_waiter(void *arg)
{
    (void)arg;
    int r = heapprof_dump ? heapprof_dump(rt_path) : -1;
    return (void *)(intptr_t)r;
}

static int writer_prio(void)
{
    DIR *d = opendir("/proc/self/task");
    int prio = 1000;
    if (!d)
        return prio;
    for (struct dirent *e; (e = readdir(d));) {
        char path[300], text[512] = "";
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        bool writer = fgets(text, sizeof text, f) && !strncmp(text, "heapprof-writer", 15);
        fclose(f);
        if (!writer)
            continue;
        snprintf(path, sizeof path, "/proc/self/task/%s/stat", e->d_name);
        if ((f = fopen(path, "r")) && fgets(text, sizeof text, f)) {
            const char *p = strrchr(text, ')'); /* fields after the name: 3 (state) on */
            int field = 2;
            for (; p && *p; p++)
                if (*p == ' ' && ++field == 18) {
                    prio = atoi(p + 1);
                    break;
                }
        }
        if (f)
            fclose(f);
    }
    closedir(d);
    return prio;
}

static int rt_dump(const char *dir, const char *go)
{
    static char path[4096], held[4096];
    snprintf(path, sizeof path, "%s/api.pb.gz", dir);
    snprintf(held, sizeof held, "%s.held", go);
    rt_path = path;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setinheritsched(&a, PTHREAD_EXPLICIT_SCHED);
    pthread_attr_setschedpolicy(&a, SCHED_FIFO);
    struct sched_param sp = {.sched_priority = 20};
    pthread_attr_setschedparam(&a, &sp);
    raise(SIGUSR2);
    for (int i = 0; i < 60000 && access(held, F_OK) != 0; i++)
        usleep(1000);
    if (access(held, F_OK) != 0) {
        printf("the writer never reached its fdatasync\n");
        return 2;
    }
    pthread_t t;
    int err = pthread_create(&t, &a, rt_waiter, NULL);
    if (err == EPERM) {
        printf("no_rt\n");
        int fd = open(go, O_WRONLY | O_CREAT, 0644);
        if (fd >= 0)
            close(fd);
        return 77;
    }
    if (err)
        return 2;
    int prio = 20;
    for (int i = 0; i < 3000 && (prio = writer_prio()) >= 0; i++)
        usleep(10000);
    printf("writer_prio=%d\n", prio);
    fflush(stdout);
    int fd = open(go, O_WRONLY | O_CREAT, 0644);
    if (fd >= 0)
        close(fd);
    void *r;
    pthread_join(t, &r);
    printf("dump=%d\n", (int)(intptr_t)r);
    return 0;
}

/* Filters the kernel refuses, so that nothing is installed: at an address
 * unmapped, NULL, with its instructions unmapped (EFAULT), of no
 * instructions (EINVAL).  One line per call, "NAME=RESULT ERRNO", then
 * "dump=E", what heapprof_dump() answers after them. */
static int seccomp_refused(void)
{
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
        printf("no_new_privs=%s\n", strerrorname_np(errno));
        return 77;
    }
    void *gone = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (gone == MAP_FAILED || munmap(gone, 4096))
        return 2;
    struct sock_fprog bad_insns = {.len = 4, .filter = gone}, empty = {.len = 0, .filter = NULL};
    long r;
#define REFUSED(name, call)                                                                        \
    errno = 0;                                                                                     \
    r = (call);                                                                                    \
    printf("%s=%ld %s\n", name, r, errno ? strerrorname_np(errno) : "0")
    REFUSED("prctl_unmapped", prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, gone, 0, 0));
    REFUSED("prctl_null", prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, NULL, 0, 0));
    REFUSED("seccomp_unmapped", syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, gone));
    REFUSED("seccomp_insns_unmapped", syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &bad_insns));
    REFUSED("seccomp_empty", syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &empty));
#undef REFUSED
    printf("dump=%s\n", errname(dump()));
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "sigign"))
        return sigign(argv, argc > 2 ? argv[2] : NULL);
    if (!strcmp(mode, "ns"))
        return ns();
    if (!strcmp(mode, "pipe_stderr"))
        return pipe_stderr(argv, argc > 2 ? argv[2] : NULL);
    if (!strcmp(mode, "fd2file") && argc > 2)
        return fd2file(argv[2]);
    if (!strcmp(mode, "chdir") && argc > 2)
        return in_scratch(argv[2]);
    if (!strcmp(mode, "nproc"))
        return nproc();
    if (!strcmp(mode, "sigexit"))
        return sigexit();
    if (!strcmp(mode, "sigfork") && argc > 2)
        return sigfork(atoi(argv[2]));
    if (!strcmp(mode, "sigforkchain"))
        return sigforkchain();
    if (!strcmp(mode, "sigforkdump") && argc > 2)
        return sigforkdump(atoi(argv[2]));
    if (!strcmp(mode, "fsize") && argc > 2)
        return fsize(atoll(argv[2]));
    if (!strcmp(mode, "closefrom") && argc > 3)
        return closefrom_loop(argv[2], atof(argv[3]));
    if (!strcmp(mode, "lowfd") && argc > 2)
        return lowest_fd(atof(argv[2]));
    if (!strcmp(mode, "seccomp_refused"))
        return seccomp_refused();
    if (!strcmp(mode, "rt_dump") && argc > 3)
        return rt_dump(argv[2], argv[3]);
    if (!strcmp(mode, "leader_exit"))
        return leader_exit(argc > 2 ? argv[2] : NULL);
    if (!strcmp(mode, "seccomp_fstat"))
        return fstat_refused();
    if (!strcmp(mode, "seccomp_errno"))
        return sandboxed(SECCOMP_RET_ERRNO | EPERM, SYS_getpid);
    if (!strcmp(mode, "seccomp_kill") && argc > 2)
        return sandboxed(strcmp(argv[2], "trap") ? SECCOMP_RET_KILL_PROCESS : SECCOMP_RET_TRAP, -1);
    fprintf(stderr, "usage: host sigign|ns|pipe_stderr|fd2file PATH|chdir BASE|nproc|fsize BYTES|"
                    "sigexit|sigfork N|sigforkchain|sigforkdump R|closefrom PATH S|lowfd S|seccomp_errno|"
                    "seccomp_kill kill|trap|seccomp_fstat|seccomp_refused|leader_exit [alone|slow]|rt_dump DIR GO\n");
    return 2;
}

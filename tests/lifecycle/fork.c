/*
 * fork.c - fork(2) under the profiler (run in exact mode).
 *
 *   fork basic    parent: 50 x fk_parent_before (live), a SIGUSR2 profile
 *                 (0001), fork.  Child: 70 x fk_child_only, 30 of them freed,
 *                 10 of the parent's objects freed, a SIGUSR2 profile of its
 *                 own (waits for its 0001), exit (0002).  Parent: waits for
 *                 the child, 5 x fk_parent_after, exit (0002).
 *                 Prints "parent PID" and "child PID STATUS".
 *   fork storm N  the parent holds 2^12 distinct live stacks (slow dumps), a
 *                 thread signals it every millisecond and two threads
 *                 allocate and free all the time (64 per millisecond); the main thread forks N
 *                 children, one after the other.  Each child allocates,
 *                 every 4th asks for a profile of its own and waits for it,
 *                 every 3rd leaves with exit() (an exit profile), the others
 *                 with _exit().  A child that does not finish within 30 s is
 *                 reported as hung (exit status 1).
 *   fork errno    errno is 4242 before a fork: prints "child errno E" and
 *                 "parent errno E" as each sees it after the fork.
 *   fork pids [PATH]
 *                 single-threaded: fork; the child asks for a profile to
 *                 PATH, if given (heapprof_dump, looked up at run time),
 *                 and leaves with exit(0) (its exit profile), the parent
 *                 waits for it and returns (its own).  Prints "parent PID"
 *                 and "child PID STATUS".
 *   fork nohandlers [dump]
 *                 single-threaded: a SIGUSR2 profile (0001), and as soon as
 *                 it is under its final name, _Fork() (no fork handlers).
 *                 Run behind slowrename.c, the writer thread then still
 *                 holds the dump lock.  The child allocates and frees, with
 *                 "dump" asks for a profile (heapprof_dump, looked up at run
 *                 time; prints "child dump D", an errno name), and leaves
 *                 with exit(3).  Prints "child PID exited S", or "child PID
 *                 hung" when it has not finished within LC_WAIT_S.
 *   fork orphan   a thread calls setgid(getgid()), which heapprof makes under
 *                 its quiesce lock and slowsetgid.c (listed after it) makes
 *                 last 3 s; meanwhile the main thread _Forks.  That child
 *                 forks (with handlers): the grandchild allocates, frees and
 *                 leaves with exit(4); the child waits for it and leaves
 *                 with exit(3).  Prints "grandchild PID exited S" (or
 *                 "grandchild PID hung", or "fork failed"), and "child PID
 *                 exited S" or "child PID hung".
 *   fork altstack a signal handler running on an alternate stack of
 *                 sysconf(_SC_SIGSTKSZ) bytes (glibc's advice for this CPU),
 *                 with a guard page below it, forks; the child leaves with
 *                 _exit(5).  Prints "child exited S used U" (U: the bytes
 *                 of the alternate stack written by then, the kernel's signal
 *                 frame and the fork handlers among them) or "child killed
 *                 by signal N".
 *   fork vforkpipe
 *                 writes "vfork pipe2 now" to stderr, then a vfork() child
 *                 makes a pipe with pipe2(), the process's first, and
 *                 leaves with _exit(0), or _exit(1) if pipe2 failed.
 *                 Prints "vfork pipe2 S" (the child's exit status).
 *   fork vforkids writes "vfork ids now" to stderr, then a vfork() child
 *                 calls every set*id function with its ids as they are,
 *                 unshare(0) and setns(-1, 0), as a launcher dropping
 *                 privileges before its exec does, and leaves with
 *                 _exit(0), or _exit(1) if a call that cannot fail did
 *                 (setgroups and setns are not checked: EPERM as non-root,
 *                 EBADF).  Prints "vfork ids S" (the child's exit status).
 *   fork dirs     HEAPPROF_OUT has %p in its directory: each process makes
 *                 its own.  The parent marks its directory for tmpfileshim.c
 *                 (.notmpfile: no O_TMPFILE there), asks for a profile
 *                 (0001) and waits for it, forks; the child asks for one in
 *                 its directory, waits for it, and leaves with _exit(0).
 *                 Prints "parent PID" and "child PID STATUS".
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "lc.h"

LC_MANY_STACKS_IMPL

enum { SZ = 1000 };

NOINLINE void *fk_parent_before(void) { return malloc(SZ); }
NOINLINE void *fk_parent_after(void) { return malloc(SZ); }
NOINLINE void *fk_child_only(void) { return malloc(SZ); }
NOINLINE void *fk_busy(size_t n) { return malloc(n); }

static void *before[50], *child_objs[70], *after[5];

static int basic(void)
{
    for (int i = 0; i < 50; i++)
        before[i] = fk_parent_before();
    raise(SIGUSR2);
    lc_wait_seq(1);
    fflush(stdout);
    pid_t c = fork();
    if (c < 0)
        return 3;
    if (c == 0) {
        for (int i = 0; i < 70; i++)
            child_objs[i] = fk_child_only();
        for (int i = 40; i < 70; i++)
            free(child_objs[i]);
        for (int i = 0; i < 10; i++)
            free(before[i]);
        raise(SIGUSR2);
        lc_wait_seq(1);
        exit(0);
    }
    int st;
    if (waitpid(c, &st, 0) != c)
        return 4;
    for (int i = 0; i < 5; i++)
        after[i] = fk_parent_after();
    printf("parent %d\n", (int)getpid());
    printf("child %d %d\n", (int)c, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    return 0;
}

static volatile int stop;

static void *signaller(void *arg)
{
    while (!stop) {
        kill(getpid(), SIGUSR2);
        testlib_sleep_ms(1);
    }
    return NULL;
}

static void *churn(void *arg)
{
    void *keep[16] = {0};
    for (unsigned i = 0; !stop; i++) {
        free(keep[i & 15]);
        keep[i & 15] = fk_busy(64 + (i & 255));
        if ((i & 63) == 0)
            testlib_sleep_ms(1);
    }
    for (int i = 0; i < 16; i++)
        free(keep[i]);
    return NULL;
}

enum { BITS = 12 };
static void *stacks[1 << BITS];

static int storm(int n)
{
    for (unsigned k = 0; k < (1u << BITS); k++)
        stacks[k] = ms_go(k, BITS, 32);
    pthread_t ts[3];
    pthread_create(&ts[0], NULL, signaller, NULL);
    pthread_create(&ts[1], NULL, churn, NULL);
    pthread_create(&ts[2], NULL, churn, NULL);
    lc_wait_seq(1); /* the parent is dumping from now on */
    int hung = 0, bad = 0;
    for (int i = 0; i < n && !hung; i++) {
        pid_t c = fork();
        if (c < 0) {
            perror("fork");
            bad++;
            break;
        }
        if (c == 0) {
            void *p[100];
            for (int j = 0; j < 100; j++)
                p[j] = fk_busy(100 + (size_t)j);
            for (int j = 0; j < 100; j += 2)
                free(p[j]);
            if (i % 4 == 0) {
                raise(SIGUSR2);
                lc_wait_seq(1);
            }
            if (i % 3 == 0)
                exit(0);
            _exit(0);
        }
        int st = 0;
        if (!testlib_wait_child(c, LC_WAIT_S, &st)) {
            fprintf(stderr, "child %d (fork %d of %d) hung: not finished after %.0f s\n", (int)c, i + 1,
                    n, LC_WAIT_S);
            hung++;
        } else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "child %d (fork %d of %d) ended with status 0x%x\n", (int)c, i + 1, n, st);
            bad++;
        }
    }
    stop = 1;
    for (int i = 0; i < 3; i++)
        pthread_join(ts[i], NULL);
    printf("forked %d hung %d bad %d\n", n, hung, bad);
    return hung || bad ? 1 : 0;
}

static int errno_across(void)
{
    errno = 4242;
    pid_t c = fork();
    int e = errno;
    if (c < 0)
        return 3;
    if (c == 0) {
        printf("child errno %d\n", e);
        fflush(stdout);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    printf("parent errno %d\n", e);
    return 0;
}

/* Waits for child c and prints "parent PID" and "child PID STATUS"; 4 if
 * the wait fails. */
static int say_pids(pid_t c)
{
    int st;
    if (waitpid(c, &st, 0) != c)
        return 4;
    printf("parent %d\n", (int)getpid());
    printf("child %d %d\n", (int)c, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    return 0;
}

static int pids(const char *path)
{
    fflush(stdout);
    pid_t c = fork();
    if (c < 0)
        return 3;
    if (c == 0) {
        int (*dump)(const char *) = (int (*)(const char *))dlsym(RTLD_DEFAULT, "heapprof_dump");
        if (path && dump)
            dump(path);
        exit(0);
    }
    return say_pids(c);
}

static unsigned char *alt;
static size_t alt_size;
static volatile int alt_status = -1;
static int alt_pipe[2];

static void alt_handler(int sig)
{
    pid_t c = fork();
    if (c == 0) {
        size_t i = 0;
        while (i < alt_size && alt[i] == 0x5a)
            i++;
        size_t used = alt_size - i;
        (void)!write(alt_pipe[1], &used, sizeof used);
        _exit(5);
    }
    int st = -1;
    if (c > 0)
        waitpid(c, &st, 0);
    alt_status = st;
}

static int altstack(void)
{
    long page = sysconf(_SC_PAGESIZE), want = sysconf(_SC_SIGSTKSZ);
    alt_size = want > 0 ? (size_t)want : SIGSTKSZ;
    unsigned char *m = mmap(NULL, alt_size + (size_t)page, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED || mprotect(m, (size_t)page, PROT_NONE) || pipe(alt_pipe))
        return 3;
    alt = m + page;
    memset(alt, 0x5a, alt_size);
    stack_t ss = {.ss_sp = alt, .ss_size = alt_size};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = alt_handler;
    sa.sa_flags = SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    if (sigaltstack(&ss, NULL) || sigaction(SIGUSR1, &sa, NULL))
        return 4;
    fflush(stdout);
    raise(SIGUSR1);
    close(alt_pipe[1]);
    size_t used = 0;
    if (read(alt_pipe[0], &used, sizeof used) != (ssize_t)sizeof used)
        used = 0;
    if (alt_status >= 0 && WIFEXITED(alt_status))
        printf("child exited %d used %zu\n", WEXITSTATUS(alt_status), used);
    else if (alt_status >= 0)
        printf("child killed by signal %d\n", WTERMSIG(alt_status));
    else
        printf("fork failed\n");
    return 0;
}

pid_t _Fork(void); /* glibc 2.34: fork without the fork handlers */

static int nohandlers(bool ask_dump)
{
    void *keep = fk_parent_before();
    raise(SIGUSR2);
    lc_wait_seq(1);
    fflush(stdout);
    pid_t c = _Fork();
    if (c < 0)
        return 3;
    if (c == 0) {
        for (int i = 0; i < 100; i++)
            free(fk_child_only());
        if (ask_dump) {
            int (*dump)(const char *) =
                (int (*)(const char *))dlsym(RTLD_DEFAULT, "heapprof_dump");
            int r = dump ? dump(NULL) : -1;
            printf("child dump %s\n",
                   r == ENOTSUP ? "ENOTSUP" : r == 0 ? "0" : r < 0 ? "none" : "other");
        }
        exit(3);
    }
    int st = 0;
    if (!testlib_wait_child(c, LC_WAIT_S, &st)) {
        printf("child %d hung\n", (int)c);
        return 1;
    }
    printf("child %d exited %d\n", (int)c, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    free(keep);
    return 0;
}

static void *slow_setgid(void *arg)
{
    (void)arg;
    setgid(getgid());
    return NULL;
}

static int orphan(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, slow_setgid, NULL))
        return 5;
    struct timespec ts = {0, 500000000}; /* setgid is under way: 3 s of it */
    nanosleep(&ts, NULL);
    fflush(stdout);
    pid_t c = _Fork();
    if (c < 0)
        return 3;
    if (c == 0) {
        free(fk_child_only());
        pid_t g = fork();
        if (g < 0) {
            printf("fork failed\n");
            exit(3);
        }
        if (g == 0) {
            for (int i = 0; i < 100; i++)
                free(fk_child_only());
            exit(4);
        }
        int st = 0;
        if (!testlib_wait_child(g, LC_WAIT_S, &st))
            printf("grandchild %d hung\n", (int)g);
        else
            printf("grandchild %d exited %d\n", (int)g,
                   WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
        fflush(stdout);
        exit(3);
    }
    int st = 0;
    bool done = testlib_wait_child(c, LC_WAIT_S + 5, &st);
    pthread_join(t, NULL);
    if (!done) {
        printf("child %d hung\n", (int)c);
        return 1;
    }
    printf("child %d exited %d\n", (int)c, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    return 0;
}

/* This process's directory of HEAPPROF_OUT (%p, the only code, its pid)
 * made, marked for tmpfileshim.c when asked, and a profile asked for there
 * and waited for. */
static void profile_in_own_dir(bool mark)
{
    char pre[4096], path[4200];
    const char *out = testlib_prefix(), *p = strstr(out, "%p");
    if (p)
        snprintf(pre, sizeof pre, "%.*s%d%s", (int)(p - out), out, (int)getpid(), p + 2);
    else
        snprintf(pre, sizeof pre, "%s", out);
    char *slash = strrchr(pre, '/');
    if (slash) {
        *slash = 0;
        mkdir(pre, 0755);
        if (mark) {
            snprintf(path, sizeof path, "%s/.notmpfile", pre);
            close(open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
        }
        *slash = '/';
    }
    raise(SIGUSR2);
    snprintf(path, sizeof path, "%s.%d.0001.pb.gz", pre, (int)getpid());
    if (!testlib_wait_file(path, LC_WAIT_S)) {
        fprintf(stderr, "lc: timed out after %.0f s waiting for %s\n", LC_WAIT_S, path);
        exit(90);
    }
}

static int vforkpipe(void)
{
    fputs("vfork pipe2 now\n", stderr);
    pid_t c = vfork();
    if (c == 0) {
        int fds[2];
        _exit(pipe2(fds, O_CLOEXEC) ? 1 : 0);
    }
    int st;
    if (c < 0 || waitpid(c, &st, 0) != c)
        return 3;
    printf("vfork pipe2 %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    return 0;
}

static int vforkids(void)
{
    fputs("vfork ids now\n", stderr);
    uid_t u = getuid(), eu = geteuid();
    gid_t g = getgid(), eg = getegid();
    gid_t groups[64];
    int n = getgroups(64, groups);
    pid_t c = vfork();
    if (c == 0) {
        int bad = setgid(g) | setegid(eg) | setregid(-1, -1) | setresgid(-1, -1, -1);
        bad |= setuid(u) | seteuid(eu) | setreuid(-1, -1) | setresuid(-1, -1, -1);
        bad |= unshare(0);
        (void)setgroups(n < 0 ? 0 : (size_t)n, groups);
        (void)setns(-1, 0);
        _exit(bad ? 1 : 0);
    }
    int st;
    if (c < 0 || waitpid(c, &st, 0) != c)
        return 3;
    printf("vfork ids %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    return 0;
}

static int dirs(void)
{
    profile_in_own_dir(true);
    fflush(stdout);
    pid_t c = fork();
    if (c < 0)
        return 3;
    if (c == 0) {
        profile_in_own_dir(false);
        _exit(0);
    }
    return say_pids(c);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 2 && !strcmp(argv[1], "basic"))
        return basic();
    if (argc >= 3 && !strcmp(argv[1], "storm"))
        return storm(atoi(argv[2]));
    if (argc >= 2 && !strcmp(argv[1], "errno"))
        return errno_across();
    if (argc >= 2 && !strcmp(argv[1], "pids"))
        return pids(argc >= 3 ? argv[2] : NULL);
    if (argc >= 2 && !strcmp(argv[1], "nohandlers"))
        return nohandlers(argc >= 3 && !strcmp(argv[2], "dump"));
    if (argc >= 2 && !strcmp(argv[1], "orphan"))
        return orphan();
    if (argc >= 2 && !strcmp(argv[1], "altstack"))
        return altstack();
    if (argc >= 2 && !strcmp(argv[1], "dirs"))
        return dirs();
    if (argc >= 2 && !strcmp(argv[1], "vforkpipe"))
        return vforkpipe();
    if (argc >= 2 && !strcmp(argv[1], "vforkids"))
        return vforkids();
    fprintf(stderr, "usage: fork basic | fork storm N | fork errno | fork pids [PATH] | fork nohandlers | fork orphan | fork altstack | fork dirs | fork vforkpipe | fork vforkids\n");
    return 2;
}

/*
 * live_prog.c - the program the live-view tests run under the preload.
 *
 *   live_prog labels [weird]  component-labelled allocations (see below),
 *                             then wait
 *   live_prog churn           allocate and free 4 KiB blocks steadily
 *                             (a ring of 64 live), until told to stop
 *   live_prog grow MB MS      allocate and touch 1 MiB every MS ms up to
 *                             MB MiB, then wait
 *   live_prog fork            fork a child; both wait; prints "child PID"
 *   live_prog forkloop        fork children again and again, each of
 *                             which exits at once, printing "forked N"
 *                             (flushed) as each fork() returns, until
 *                             told to stop
 *   live_prog forkscan        forkloop, each child first looking through
 *                             its descriptors for heapprof's HTTP body
 *                             files: "inherited FD TARGET" for each one
 *   live_prog parkedorphan    once $TMPFILE_SHIM_PARKED exists (the HTTP
 *                             server held by tmpfileshim.c after a
 *                             profile file's open), a child made with
 *                             _Fork (no fork handlers) closes every
 *                             descriptor from 3, opens /dev/null at
 *                             3 to 63 and forks: "grandchild 3-63 open",
 *                             or "grandchild FD closed" for each of its
 *                             own files heapprof's fork handler closed;
 *                             then waits
 *   live_prog parkedorphan keep  the same, the _Fork child closing and
 *                             opening nothing: the grandchild says the
 *                             profile files it inherited ("grandchild
 *                             inherited FD TARGET"), or "grandchild holds
 *                             none"
 *   live_prog parkedfork      once $TMPFILE_SHIM_PARKED exists, a child
 *                             (fork) says the profile files it inherited
 *                             ("inherited FD TARGET", then "scanned"),
 *                             waits for the file $PARKEDFORK_DONE, and
 *                             says each one's size once it is 0 or 10 s
 *                             later ("size FD BYTES"); "child done" as it
 *                             ends; then waits
 *   live_prog known           known allocations, some freed (below), then
 *                             wait
 *   live_prog bands           six sites whose objects lived and live for
 *                             different times (below), then wait
 *   live_prog forklabel       a thread makes the process's first label
 *                             push, whose table mapping slowmap.so (also
 *                             preloaded) holds; meanwhile the main thread
 *                             forks, and the child pushes a label of its
 *                             own (killed by SIGALRM after 10 s); exits 0
 *                             when the child did, else 1
 *   live_prog adopt           20 x 4096 from adopt_alloc under "sink",
 *                             2000 under "source"; prints "ready"; once
 *                             the file $LIVE_ADOPT exists, the sink adopts
 *                             the source's 2000 and it prints "adopted";
 *                             then waits
 *   live_prog fdsteal PHASE   the program's mistake of taking heapprof's
 *                             descriptor numbers with dup2, in a loop
 *                             while the server waits in poll: a
 *                             connection's (the client then sends its
 *                             request) and the listening socket's (a
 *                             client then connects), then the wake
 *                             pipe's (then setgid stops the server);
 *                             prints one line per
 *                             harm (its data read, bytes written to it,
 *                             its descriptor closed, its client
 *                             accepted) and exits 1 if any, else 0
 *   live_prog daemon          a daemon's life once started: once the file
 *                             $LIVE_GO.1 exists it closes every
 *                             descriptor but 0, 1 and 2 (close_range(3,
 *                             ~0U, 0), as closefrom(3)) and prints
 *                             "closed"; from then on it opens /dev/null
 *                             again and again, expecting 3 each time; once
 *                             $LIVE_GO.2 exists it calls setgid(getgid())
 *                             (heapprof's threads stop and start again)
 *                             and prints "setgid MS"; at the end
 *                             "opens=N elsewhere=M", exit 1 if any open
 *                             got another number than 3; with
 *                             $LIVE_FORKCHILD set, a child made first
 *                             with _Fork (no fork handlers) holds copies
 *                             of its descriptors meanwhile
 *   live_prog latefilter [tsync]
 *                             the filter of nopidfd installed after
 *                             heapprof started (tsync: on every thread at
 *                             once, heapprof's too), then setgid() five
 *                             times; prints "ready"; exit 77 when no
 *                             filter can be installed
 *   live_prog nopidfd CMD...  CMD (execvp) under a seccomp filter that
 *                             refuses pidfd_getfd with EPERM, as container
 *                             runtimes' default profiles do, with
 *                             $LIVE_PRELOAD as its LD_PRELOAD (run without
 *                             the preload itself); exit 77 when no filter
 *                             can be installed
 *
 * Waiting ends when the file named by $LIVE_STOP exists, or after
 * $LIVE_WAIT seconds (default 0: no wait; at most 120), so the program
 * always ends by itself.  It prints "ready" (flushed) once its allocations
 * are in place.
 *
 * labels: in exact mode (HEAPPROF_SAMPLE=1) these are the live bytes per
 * component, which the tests compare with /metrics and the profile:
 *   parser  10 x 1000 from parse_alloc
 *   sink     5 x 2000 from sink_alloc, plus the 4 x 3000 that source_alloc
 *           allocated under "source" and the sink adopted (alloc stays with
 *           source: allocated_total{source}=12000, live{source}=0)
 *   even, odd  3 x 700 each from turn_alloc, one call site taking turns
 *           under the two: every sample's stack is the one before it (the
 *           walker's replay answers it) but its labels are not
 *   weird   (with "weird") 3 x 100 under a component name that needs
 *           escaping: quote, backslash, newline and an invalid UTF-8 byte
 *
 * known: 10 x 1000 from keep_alloc, kept; 8 x 500 from drop_alloc, 6 of
 * them freed; 1 x 100000 from big_alloc, kept.  In exact mode a stack's
 * in-use values are then 10: 10000, 2: 1000 and 1: 100000, its allocated
 * ones 10: 10000, 8: 4000 and 1: 100000 (live_debugtext).
 *
 * bands: six sites (bands1_alloc to bands6_alloc, of six sizes) each
 * allocate 300 objects, free every third at once and keep the rest; 1.1 s
 * later each frees a second third (a lifetime of 1 s or 2 s) and
 * allocates 300 more, of which it frees every third at once.  So each
 * site's allocations fall in two lifetime bands and the objects it still
 * holds in two age bands, a second apart, on one stack (live_debugtext).
 *
 * Built without optimisation and inlining so each allocating function is
 * its own frame.  Uses the weak declarations of <heapprof.h>.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <heapprof.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void *keep[64];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int should_stop(double end)
{
    const char *stop = getenv("LIVE_STOP");
    struct stat st;
    return now_s() >= end || (stop && stat(stop, &st) == 0);
}

static double wait_limit(void)
{
    const char *w = getenv("LIVE_WAIT");
    double s = w ? atof(w) : 0;
    return now_s() + (s < 0 ? 0 : s > 120 ? 120 : s);
}

static void wait_stop(void)
{
    double end = wait_limit();
    while (!should_stop(end))
        usleep(20000);
}

static void *parse_alloc(size_t n) { return memset(malloc(n), 'p', n); }
static void *sink_alloc(size_t n) { return memset(malloc(n), 's', n); }
static void *source_alloc(size_t n) { return memset(malloc(n), 'o', n); }
static void *weird_alloc(size_t n) { return memset(malloc(n), 'w', n); }
static void *churn_alloc(size_t n) { return memset(malloc(n), 'c', n); }
static void *grow_alloc(size_t n) { return memset(malloc(n), 'g', n); }
static void *turn_alloc(size_t n) { return memset(malloc(n), 't', n); }
static void *keep_alloc(size_t n) { return memset(malloc(n), 'k', n); }
static void *drop_alloc(size_t n) { return memset(malloc(n), 'd', n); }
static void *big_alloc(size_t n) { return memset(malloc(n), 'b', n); }

static void push(const char *v)
{
    if (heapprof_loaded() && heapprof_label_push("component", v))
        fprintf(stderr, "live_prog: heapprof_label_push(%s) failed\n", v);
}

static void pop(void)
{
    if (heapprof_loaded())
        heapprof_label_pop();
}

static int labels(int weird)
{
    int k = 0;
    push("parser");
    for (int i = 0; i < 10; i++)
        keep[k++] = parse_alloc(1000);
    pop();
    push("sink");
    for (int i = 0; i < 5; i++)
        keep[k++] = sink_alloc(2000);
    pop();
    void *moved[4];
    push("source");
    for (int i = 0; i < 4; i++)
        moved[i] = source_alloc(3000);
    pop();
    push("sink"); /* the sink takes ownership of what the source made */
    for (int i = 0; i < 4; i++) {
        if (heapprof_loaded())
            heapprof_label_adopt(moved[i]);
        keep[k++] = moved[i];
    }
    pop();
    for (int i = 0; i < 6; i++) {
        push(i % 2 ? "odd" : "even");
        keep[k++] = turn_alloc(700);
        pop();
    }
    if (weird) {
        push("q\"b\\s\nn\xff");
        for (int i = 0; i < 3; i++)
            keep[k++] = weird_alloc(100);
        pop();
    }
    printf("ready\n");
    fflush(stdout);
    wait_stop();
    for (int i = 0; i < k; i++)
        free(keep[i]);
    return 0;
}

static int churn(void)
{
    printf("ready\n");
    fflush(stdout);
    double end = wait_limit();
    for (unsigned i = 0; !should_stop(end); i++) {
        free(keep[i % 64]);
        keep[i % 64] = churn_alloc(4096);
        if (i % 8 == 0)
            usleep(1000);
    }
    for (int i = 0; i < 64; i++)
        free(keep[i]);
    return 0;
}

static int grow(long mb, long ms)
{
    for (long i = 0; i < mb; i++) {
        grow_alloc(1 << 20); /* kept: this is the growth being watched */
        usleep((useconds_t)ms * 1000);
    }
    printf("ready\n");
    fflush(stdout);
    wait_stop();
    return 0;
}

static int known(void)
{
    int k = 0;
    for (int i = 0; i < 10; i++)
        keep[k++] = keep_alloc(1000);
    void *d[8];
    for (int i = 0; i < 8; i++)
        d[i] = drop_alloc(500);
    for (int i = 0; i < 6; i++)
        free(d[i]);
    keep[k++] = d[6];
    keep[k++] = d[7];
    keep[k++] = big_alloc(100000);
    printf("ready\n");
    fflush(stdout);
    wait_stop();
    for (int i = 0; i < k; i++)
        free(keep[i]);
    return 0;
}

static void *bands1_alloc(size_t n) { return memset(malloc(n), '1', n); }
static void *bands2_alloc(size_t n) { return memset(malloc(n), '2', n); }
static void *bands3_alloc(size_t n) { return memset(malloc(n), '3', n); }
static void *bands4_alloc(size_t n) { return memset(malloc(n), '4', n); }
static void *bands5_alloc(size_t n) { return memset(malloc(n), '5', n); }
static void *bands6_alloc(size_t n) { return memset(malloc(n), '6', n); }

enum { BANDS_SITES = 6, BANDS_N = 300 };

/* Site s's n objects into out, every third freed at once. */
static void bands_round(int s, void **out, int n)
{
    static void *(*const site[BANDS_SITES])(size_t) = {bands1_alloc, bands2_alloc, bands3_alloc,
                                                      bands4_alloc, bands5_alloc, bands6_alloc};
    static const size_t size[BANDS_SITES] = {300, 700, 1100, 1900, 2600, 3500};
    for (int i = 0; i < n; i++) {
        out[i] = site[s](size[s]);
        if (i % 3 == 0) {
            free(out[i]);
            out[i] = NULL;
        }
    }
}

static int bands(void)
{
    static void *held[2][BANDS_SITES][BANDS_N];
    for (int r = 0; r < 2; r++) {
        if (r == 1) {
            usleep(1100000); /* past the next second of the coarse clock (ages.h) */
            for (int s = 0; s < BANDS_SITES; s++)
                for (int i = 1; i < BANDS_N; i += 3) {
                    free(held[0][s][i]);
                    held[0][s][i] = NULL;
                }
        }
        /* One call site for both rounds: one stack per site. */
        for (int s = 0; s < BANDS_SITES; s++)
            bands_round(s, held[r][s], BANDS_N);
    }
    printf("ready\n");
    fflush(stdout);
    wait_stop();
    for (int r = 0; r < 2; r++)
        for (int s = 0; s < BANDS_SITES; s++)
            for (int i = 0; i < BANDS_N; i++)
                free(held[r][s][i]);
    return 0;
}

static void *adopt_alloc(size_t n) { return memset(malloc(n), 'a', n); }

static int adopt(void)
{
    enum { SINK = 20, SOURCE = 2000 };
    static void *src[SOURCE];
    static void *sink[SINK];
    push("sink");
    for (int i = 0; i < SINK; i++)
        sink[i] = adopt_alloc(4096);
    pop();
    push("source");
    for (int i = 0; i < SOURCE; i++)
        src[i] = adopt_alloc(4096);
    pop();
    printf("ready\n");
    fflush(stdout);
    const char *go = getenv("LIVE_ADOPT");
    struct stat st;
    double end = wait_limit();
    while (!should_stop(end) && !(go && stat(go, &st) == 0))
        usleep(20000);
    push("sink");
    for (int i = 0; i < SOURCE; i++)
        if (heapprof_loaded())
            heapprof_label_adopt(src[i]);
    pop();
    printf("adopted\n");
    fflush(stdout);
    wait_stop();
    for (int i = 0; i < SOURCE; i++)
        free(src[i]);
    for (int i = 0; i < SINK; i++)
        free(sink[i]);
    return 0;
}

static int forker(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        keep[0] = churn_alloc(100);
        wait_stop();
        _exit(0);
    }
    printf("child %d\nready\n", (int)pid);
    fflush(stdout);
    wait_stop();
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

static int forkloop(void)
{
    printf("ready\n");
    fflush(stdout);
    double end = wait_limit();
    for (unsigned n = 1; !should_stop(end); n++) {
        free(keep[n % 64]);
        keep[n % 64] = churn_alloc(4096); /* something to profile */
        pid_t pid = fork();
        if (pid < 0)
            return 1;
        if (pid == 0)
            _exit(0);
        printf("forked %u\n", n);
        fflush(stdout);
        int st;
        waitpid(pid, &st, 0);
        usleep(5000);
    }
    return 0;
}

/* The child's descriptors that are heapprof's profile files (a memfd
 * "/memfd:heapprof-http", a named one "heapprof-http-*", an unnamed one
 * "/DIR/#INODE (deleted)"), each said on stdout ("WHO inherited FD
 * TARGET"; WHO "" for none) and the first `max` of them into fds; how many
 * were found. */
static int scan_body_fds(const char *who, int *fds, int max)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return 0;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        char path[64], to[512];
        snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
        ssize_t k = readlink(path, to, sizeof to - 1);
        if (k <= 0)
            continue;
        to[k] = '\0';
        if (!strstr(to, "heapprof-http") && !(strstr(to, "/#") && strstr(to, "(deleted)")))
            continue;
        dprintf(1, "%s%sinherited %s %s\n", who, *who ? " " : "", e->d_name, to);
        if (n < max)
            fds[n] = atoi(e->d_name);
        n++;
    }
    closedir(d);
    return n;
}

static int forkscan(void)
{
    printf("ready\n");
    fflush(stdout);
    double end = wait_limit();
    for (unsigned n = 1; !should_stop(end); n++) {
        free(keep[n % 64]);
        keep[n % 64] = churn_alloc(4096);
        pid_t pid = fork();
        if (pid < 0)
            return 1;
        if (pid == 0) {
            scan_body_fds("", NULL, 0);
            _exit(0);
        }
        int st;
        waitpid(pid, &st, 0);
        printf("forked %u\n", n); /* after the child's lines */
        fflush(stdout);
        usleep(5000);
    }
    return 0;
}

/* Whether the file $PARKEDFORK_DONE exists, waited for up to 60 s. */
static bool await_done(void)
{
    const char *done = getenv("PARKEDFORK_DONE");
    for (int i = 0; done && i < 6000 && access(done, F_OK); i++)
        usleep(10000);
    return done && !access(done, F_OK);
}

/* Once $TMPFILE_SHIM_PARKED exists (or stop): true when it does. */
static bool await_parked(double end)
{
    const char *parked = getenv("TMPFILE_SHIM_PARKED");
    while (parked && access(parked, F_OK) && !should_stop(end))
        usleep(10000);
    return parked && !access(parked, F_OK);
}

static int parkedfork(void)
{
    printf("ready\n");
    fflush(stdout);
    double end = wait_limit();
    if (!await_parked(end))
        return 2;
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        int fds[16];
        int n = scan_body_fds("", fds, 16);
        dprintf(1, "scanned\n");
        if (!await_done())
            _exit(1);
        /* The server's close follows the response's last byte: 10 s for it. */
        for (int i = 0; i < n && i < 16; i++) {
            struct stat st;
            for (int k = 0; k < 1000 && !fstat(fds[i], &st) && st.st_size; k++)
                usleep(10000);
            if (fstat(fds[i], &st))
                dprintf(1, "size %d fstat: %s\n", fds[i], strerror(errno));
            else
                dprintf(1, "size %d %lld\n", fds[i], (long long)st.st_size);
        }
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("child done\n");
    fflush(stdout);
    while (!should_stop(end))
        usleep(10000);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

static int parkedorphan(bool keep)
{
    printf("ready\n");
    fflush(stdout);
    double end = wait_limit();
    if (!await_parked(end))
        return 2;
    pid_t orphan = _Fork();
    if (orphan < 0)
        return 1;
    if (orphan == 0) {
        /* Unless keep: files of its own at every low number, whichever
         * the server's was. */
        if (!keep)
            syscall(SYS_close_range, 3U, ~0U, 0U);
        for (int k = 3; !keep && k < 64; k++)
            if (open("/dev/null", O_RDONLY) < 0)
                _exit(1);
        pid_t pid = fork();
        if (pid == 0 && keep) {
            if (!scan_body_fds("grandchild", NULL, 0))
                dprintf(1, "grandchild holds none\n");
            _exit(0);
        }
        if (pid == 0) {
            int closed = 0;
            for (int k = 3; k < 64; k++)
                if (fcntl(k, F_GETFD) < 0) {
                    dprintf(1, "grandchild %d closed\n", k);
                    closed++;
                }
            if (!closed)
                dprintf(1, "grandchild 3-63 open\n");
            _exit(0);
        }
        if (pid > 0)
            waitpid(pid, NULL, 0);
        _exit(pid > 0 ? 0 : 1);
    }
    int st;
    waitpid(orphan, &st, 0);
    while (!should_stop(end))
        usleep(10000);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

static void *first_push(void *arg)
{
    push("first");
    pop();
    return NULL;
}

static int forklabel(void)
{
    int *armed = dlsym(RTLD_DEFAULT, "slowmap_armed");
    const int *busy = dlsym(RTLD_DEFAULT, "slowmap_busy");
    pthread_t t;
    if (!armed || !busy || !heapprof_loaded())
        return 2;
    __atomic_store_n(armed, 1, __ATOMIC_RELEASE);
    if (pthread_create(&t, NULL, first_push, NULL))
        return 2;
    for (int i = 0; i < 500 && !__atomic_load_n(busy, __ATOMIC_ACQUIRE); i++)
        usleep(10000);
    if (!__atomic_load_n(busy, __ATOMIC_ACQUIRE))
        return 2; /* the first push never reached the mapping */
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return 2;
    if (pid == 0) {
        alarm(10);
        int err = heapprof_label_push("component", "child");
        heapprof_label_pop();
        _exit(err ? 3 : 0);
    }
    int st;
    waitpid(pid, &st, 0);
    pthread_join(t, NULL);
    if (WIFSIGNALED(st))
        printf("child killed by signal %d\n", WTERMSIG(st));
    else
        printf("child exited %d\n", WEXITSTATUS(st));
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}

/* ---- fdsteal ---------------------------------------------------------------- */

/* heapprof's listening socket: the one socket listening; -1 if none. */
static int find_listener(void)
{
    for (int fd = 3; fd < 4096; fd++) {
        int on = 0;
        socklen_t len = sizeof on;
        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 && on)
            return fd;
    }
    return -1;
}

/* The server's end of the client socket c (its peer is c's address), or
 * -1 if it did not appear within 2 s. */
static int find_server_end(int c)
{
    struct sockaddr_in me, peer;
    socklen_t len = sizeof me;
    getsockname(c, (struct sockaddr *)&me, &len);
    for (int tries = 0; tries < 200; tries++) {
        for (int fd = 3; fd < 4096; fd++) {
            len = sizeof peer;
            if (fd != c && getpeername(fd, (struct sockaddr *)&peer, &len) == 0 &&
                peer.sin_family == AF_INET && peer.sin_port == me.sin_port)
                return fd;
        }
        usleep(10000);
    }
    return -1;
}

static int connect_to(const struct sockaddr_in *a)
{
    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c >= 0 && connect(c, (const struct sockaddr *)a, sizeof *a)) {
        close(c);
        return -1;
    }
    return c;
}

/* Whether fd is still the file `want` was, and open. */
static int same_file(int fd, const struct stat *want)
{
    struct stat st;
    return fstat(fd, &st) == 0 && st.st_ino == want->st_ino && st.st_dev == want->st_dev;
}

static int fdsteal(const char *phase)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    int lfd = find_listener(), harm = 0;
    struct sockaddr_in srv;
    socklen_t len = sizeof srv;
    if (lfd < 0 || getsockname(lfd, (struct sockaddr *)&srv, &len)) {
        printf("no listening socket of heapprof's\n");
        return 2;
    }
    /* A connection's number, taken while the server polls it: the request
     * then arrives on heapprof's socket, which poll still holds. */
    for (int i = 0; i < 10 && !strcmp(phase, "conn"); i++) {
        int sp[2], c = connect_to(&srv), n;
        char buf[64];
        if (c < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) ||
            (n = find_server_end(c)) < 0) {
            printf("setup failed: %s\n", strerror(errno));
            return 2;
        }
        usleep(100000); /* the server is in poll(2) by now */
        (void)!write(sp[1], "HOSTDATA", 8);
        struct stat mine;
        fstat(sp[0], &mine);
        dup2(sp[0], n); /* the mistake: n is heapprof's */
        (void)!write(c, "GET /metrics HTTP/1.1\r\n\r\n", 25);
        usleep(200000);
        ssize_t r = recv(n, buf, sizeof buf, MSG_DONTWAIT);
        if (r != 8) {
            printf("round %d: the program's data was read from its descriptor %d (%zd left)\n", i,
                   n, r);
            harm = 1;
        }
        if ((r = recv(sp[1], buf, sizeof buf - 1, MSG_DONTWAIT)) > 0) {
            buf[r] = 0;
            printf("round %d: heapprof wrote to the program's descriptor %d: %.20s\n", i, n, buf);
            harm = 1;
        }
        if (!same_file(n, &mine)) {
            printf("round %d: the program's descriptor %d was closed\n", i, n);
            harm = 1;
        }
        close(n);
        close(sp[0]);
        close(sp[1]);
        close(c);
    }
    struct stat mine;
    if (!strcmp(phase, "listen")) {
    /* The listening socket's number: a client of heapprof's port then
     * wakes the server, whose accept must not take the program's client. */
    int h = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
    struct sockaddr_in ha = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    len = sizeof ha;
    setsockopt(h, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(h, (struct sockaddr *)&ha, sizeof ha) || listen(h, 4) ||
        getsockname(h, (struct sockaddr *)&ha, &len)) {
        printf("setup failed: %s\n", strerror(errno));
        return 2;
    }
    int hc = connect_to(&ha); /* the program's own client, waiting in its backlog */
    usleep(100000);
    fstat(h, &mine);
    dup2(h, lfd);
    int c = connect_to(&srv);
    usleep(300000);
    int got = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (got < 0) {
        printf("the program's client was accepted by heapprof\n");
        harm = 1;
    }
    if (!same_file(lfd, &mine)) {
        printf("the program's listening descriptor %d was closed\n", lfd);
        harm = 1;
    }
    if (got >= 0)
        close(got);
    if (c >= 0)
        close(c);
    close(hc);
    close(h);
    close(lfd);
    }
    /* The read end of the server's wake pipe: setgid() stops heapprof's
     * threads (shim_process.c), and the server, woken through the old
     * pipe that poll holds, drains its wake pipe by number. */
    if (!strcmp(phase, "wake")) {
    int wfd = -1, hp[2];
    for (int fd = lfd + 1; fd < 4096 && wfd < 0; fd++) { /* made after the socket */
        struct stat st;
        int fl = fcntl(fd, F_GETFL);
        if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) && fl >= 0 &&
            (fl & O_ACCMODE) == O_RDONLY)
            wfd = fd;
    }
    if (wfd < 0 || pipe2(hp, O_CLOEXEC | O_NONBLOCK)) {
        printf("no wake pipe of heapprof's\n");
        return 2;
    }
    (void)!write(hp[1], "HOSTDATA", 8);
    fstat(hp[0], &mine);
    dup2(hp[0], wfd);
    usleep(100000);
    if (setgid(getgid()))
        printf("setgid: %s\n", strerror(errno));
    char buf[16];
    if (read(wfd, buf, sizeof buf) != 8) {
        printf("the program's pipe was read by heapprof\n");
        harm = 1;
    }
    if (!same_file(wfd, &mine)) {
        printf("the program's pipe descriptor %d was closed\n", wfd);
        harm = 1;
    }
    }
    printf("%s\n", harm ? "harmed" : "unharmed");
    return harm;
}

/* ---- daemon ----------------------------------------------------------------- */

static int daemon_like(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *go = getenv("LIVE_GO");
    char go1[4096], go2[4096];
    snprintf(go1, sizeof go1, "%s.1", go ? go : "/nonexistent");
    snprintf(go2, sizeof go2, "%s.2", go ? go : "/nonexistent");
    pid_t helper = -1;
    if (getenv("LIVE_FORKCHILD") && (helper = _Fork()) == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        for (;;)
            pause();
    }
    printf("ready\n");
    double end = wait_limit();
    int step = 0;
    long opens = 0, elsewhere = 0;
    struct stat st;
    while (!should_stop(end)) {
        if (step == 0 && stat(go1, &st) == 0) {
            if (syscall(SYS_close_range, 3, ~0U, 0)) {
                printf("close_range: %s\n", strerror(errno));
                return 2;
            }
            step = 1;
            printf("closed\n");
        } else if (step == 1 && stat(go2, &st) == 0) {
            double t = now_s();
            if (setgid(getgid()))
                printf("setgid: %s\n", strerror(errno));
            step = 2;
            printf("setgid %.0f ms\n", (now_s() - t) * 1e3);
        }
        for (int i = 0; i < 100; i++) {
            free(churn_alloc(64 + (size_t)i));
            if (!step)
                continue;
            int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
            opens++;
            if (fd != 3 && elsewhere++ < 3)
                printf("open %ld: fd %d, where 3 was free\n", opens, fd);
            close(fd);
        }
        usleep(1000);
    }
    if (helper > 0) {
        kill(helper, SIGKILL);
        waitpid(helper, NULL, 0);
    }
    printf("opens=%ld elsewhere=%ld\n", opens, elsewhere);
    return elsewhere != 0;
}

/* ---- nopidfd ---------------------------------------------------------------- */

#if defined(__x86_64__) && defined(SYS_pidfd_getfd)
/* A seccomp filter that refuses pidfd_getfd with EPERM, as container
 * runtimes' default profiles do: 0, or -1 with errno set. */
static int refuse_pidfd_getfd(unsigned flags)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_pidfd_getfd, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {.len = sizeof f / sizeof f[0], .filter = f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
        syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog))
        return -1;
    return 0;
}
#endif

static int nopidfd(char **argv)
{
#if defined(__x86_64__) && defined(SYS_pidfd_getfd)
    const char *lib = getenv("LIVE_PRELOAD");
    if (refuse_pidfd_getfd(0)) {
        printf("no seccomp filter: %s\n", strerror(errno));
        return 77;
    }
    if (lib)
        setenv("LD_PRELOAD", lib, 1);
    execvp(argv[0], argv);
    printf("execvp %s: %s\n", argv[0], strerror(errno));
    return 2;
#else
    (void)argv;
    printf("no seccomp filter for this architecture\n");
    return 77;
#endif
}

/* ---- latefilter ------------------------------------------------------------ */

/* The filter installed after heapprof started (its threads then run
 * unfiltered, and the ones started after it, filtered; with tsync, every
 * thread at once, heapprof's running server thread among them), then five
 * setgid() calls, each of which stops and restarts heapprof's threads. */
static int latefilter(bool tsync)
{
#if defined(__x86_64__) && defined(SYS_pidfd_getfd)
    if (refuse_pidfd_getfd(tsync ? SECCOMP_FILTER_FLAG_TSYNC : 0)) {
        printf("no seccomp filter: %s\n", strerror(errno));
        return 77;
    }
    for (int i = 0; i < 5; i++)
        if (setgid(getgid())) {
            printf("setgid: %s\n", strerror(errno));
            return 2;
        }
    printf("ready\n");
    fflush(stdout);
    wait_stop();
    return 0;
#else
    (void)tsync;
    printf("no seccomp filter for this architecture\n");
    return 77;
#endif
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "labels"))
        return labels(argc > 2 && !strcmp(argv[2], "weird"));
    if (!strcmp(mode, "churn"))
        return churn();
    if (!strcmp(mode, "grow") && argc == 4)
        return grow(atol(argv[2]), atol(argv[3]));
    if (!strcmp(mode, "fork"))
        return forker();
    if (!strcmp(mode, "forkloop"))
        return forkloop();
    if (!strcmp(mode, "forkscan"))
        return forkscan();
    if (!strcmp(mode, "parkedorphan"))
        return parkedorphan(argc > 2 && !strcmp(argv[2], "keep"));
    if (!strcmp(mode, "parkedfork"))
        return parkedfork();
    if (!strcmp(mode, "known"))
        return known();
    if (!strcmp(mode, "bands"))
        return bands();
    if (!strcmp(mode, "adopt"))
        return adopt();
    if (!strcmp(mode, "forklabel"))
        return forklabel();
    if (!strcmp(mode, "fdsteal") && argc == 3)
        return fdsteal(argv[2]);
    if (!strcmp(mode, "daemon"))
        return daemon_like();
    if (!strcmp(mode, "latefilter"))
        return latefilter(argc > 2 && !strcmp(argv[2], "tsync"));
    if (!strcmp(mode, "nopidfd") && argc > 2)
        return nopidfd(argv + 2);
    fprintf(stderr, "usage: live_prog labels [weird] | churn | grow MB MS | fork | forkloop | forkscan | parkedorphan [keep] | parkedfork | known | bands | "
                    "adopt | forklabel | fdsteal conn|listen|wake | daemon | latefilter [tsync] | nopidfd CMD...\n");
    return 2;
}

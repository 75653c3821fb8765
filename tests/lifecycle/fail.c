/*
 * fail.c - programs for the unusual situations of README.md ("What it does
 * in unusual situations").  One mode per situation:
 *
 *   fail serve READY STOP [BITS]  hold 2^BITS distinct live stacks (default
 *                                 none), touch READY, allocate a little every
 *                                 5 ms until STOP exists; print "served".
 *   fail logstorm N PATH          N x heapprof_dump(PATH) (found with dlsym),
 *                                 each must fail with ENOENT; then 1.1 s of
 *                                 sleep and one more.  Prints the counts and
 *                                 how long the N took.
 *   fail threads N                N short-lived threads, 50 at a time, each
 *                                 3 x th_alloc(64) with 2 freed: the process
 *                                 keeps N objects of 64 bytes live.
 *   fail ownhandler READY STOP    installs its own SIGUSR2 handler (counting),
 *                                 raises SIGUSR2 5 times, touches READY, waits
 *                                 for STOP, prints "handled N".
 *   fail exitrace T BITS [ret]    2^BITS live stacks, then T threads and the
 *                                 main thread call exit(0) at the same moment
 *                                 (with ret, main returns 0 instead).
 *   fail exitfork DIR PIDFILE BITS  2^BITS live stacks; main calls exit(0),
 *                                 and a thread forks once a file in DIR is
 *                                 open (the exit profile being written); the
 *                                 child writes its pid to PIDFILE, exit(0).
 *   fail quickexit                a SIGUSR2 profile (waits for 0001), _exit(3).
 *   fail sigterm                  a SIGUSR2 profile (waits for 0001), then
 *                                 raise(SIGTERM) without a handler.
 *   fail dumploop READY BITS      2^BITS live stacks, touch READY, allocate
 *                                 forever (the script kills it).
 *   fail dlopen LIB CYCLES        CYCLES x dlopen LIB, 20 x lcdl_alloc(1000),
 *                                 dlclose; in the first cycle, while LIB is
 *                                 loaded, heapprof_dump(NULL) (0001); after
 *                                 the last, another (0002).  The first
 *                                 cycle's 20 objects stay live.
 */
#include <dlfcn.h>
#include <glob.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "lc.h"

LC_MANY_STACKS_IMPL

NOINLINE void *fl_small(size_t n) { return malloc(n); }
NOINLINE void *th_alloc(size_t n) { return malloc(n); }

static void **hold_stacks(int bits)
{
    if (bits <= 0)
        return NULL;
    void **v = calloc((size_t)1 << bits, sizeof *v);
    for (unsigned k = 0; k < (1u << bits); k++)
        v[k] = ms_go(k, bits, 24);
    return v;
}

typedef int (*dump_fn)(const char *);

static dump_fn find_dump(void)
{
    dump_fn d = (dump_fn)dlsym(RTLD_DEFAULT, "heapprof_dump");
    if (!d) {
        fprintf(stderr, "heapprof_dump not found: run with the preload\n");
        exit(2);
    }
    return d;
}

/* ---- serve ---------------------------------------------------------------- */

static int serve(const char *ready, const char *stop, int bits)
{
    void **held = hold_stacks(bits);
    lc_touch(ready);
    void *keep[16] = {0};
    for (unsigned i = 0; !testlib_exists(stop); i++) {
        free(keep[i & 15]);
        keep[i & 15] = fl_small(32 + (i & 63));
        testlib_sleep_ms(5);
    }
    printf("served\n");
    (void)held;
    return 0;
}

/* ---- logstorm --------------------------------------------------------------- */

static int logstorm(int n, const char *path)
{
    dump_fn dump = find_dump();
    int enoent = 0;
    double t0 = testlib_now();
    for (int i = 0; i < n; i++)
        enoent += dump(path) == ENOENT;
    double ms = (testlib_now() - t0) * 1e3;
    testlib_sleep_ms(1100);
    int last = dump(path) == ENOENT;
    printf("failures %d of %d elapsed_ms %.0f last %d\n", enoent, n, ms, last);
    return 0;
}

/* ---- threads ----------------------------------------------------------------- */

static void **slots;

static void *th_main(void *arg)
{
    long i = (long)arg;
    void *a = th_alloc(64), *b = th_alloc(64), *c = th_alloc(64);
    free(a);
    free(c);
    slots[i] = b;
    return NULL;
}

static int threads(long n)
{
    slots = calloc((size_t)n, sizeof *slots);
    pthread_t t[50];
    long done = 0;
    while (done < n) {
        int k = 0;
        for (; k < 50 && done + k < n; k++)
            if (pthread_create(&t[k], NULL, th_main, (void *)(done + k))) {
                fprintf(stderr, "pthread_create failed at %ld\n", done + k);
                return 3;
            }
        for (int j = 0; j < k; j++)
            pthread_join(t[j], NULL);
        done += k;
    }
    long live = 0;
    for (long i = 0; i < n; i++)
        live += slots[i] != NULL;
    printf("threads %ld live %ld\n", n, live);
    return 0;
}

/* ---- ownhandler ----------------------------------------------------------------- */

static volatile sig_atomic_t handled;
static void on_usr2(int sig) { handled++; }

static int ownhandler(const char *ready, const char *stop)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr2;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGUSR2, &sa, NULL))
        return 3;
    for (int i = 0; i < 5; i++)
        raise(SIGUSR2);
    lc_touch(ready);
    void *keep[16] = {0};
    for (unsigned i = 0; !testlib_exists(stop); i++) {
        free(keep[i & 15]);
        keep[i & 15] = fl_small(32);
        testlib_sleep_ms(5);
    }
    printf("handled %d\n", (int)handled);
    return 0;
}

/* ---- exitrace --------------------------------------------------------------------- */

static pthread_barrier_t bar;

static void *exit_thread(void *arg)
{
    pthread_barrier_wait(&bar);
    exit(0);
}

static int exitrace(int t, int bits, int ret)
{
    hold_stacks(bits);
    pthread_barrier_init(&bar, NULL, (unsigned)t + 1);
    pthread_t th;
    for (int i = 0; i < t; i++)
        pthread_create(&th, NULL, exit_thread, NULL);
    printf("racing %d exits\n", t + 1);
    fflush(stdout);
    pthread_barrier_wait(&bar);
    if (ret)
        return 0; /* glibc's exit() from inside libc, not through the PLT */
    exit(0);
}

/* ---- fiberexit ------------------------------------------------------------------ */

/* exit() called on a fiber's stack of `kib` KiB (makecontext; mmap'd,
 * with a guard page below it), the process holding 2^bits stacks: the
 * exit profile, written on that stack, overran it (16 and 32 KiB). */
static ucontext_t fiber_main, fiber_ctx;

static void fiber_exit(void)
{
    printf("exit on the fiber\n");
    fflush(stdout);
    exit(0);
}

static int fiberexit(int kib, int bits)
{
    hold_stacks(bits);
    size_t size = (size_t)kib << 10, page = (size_t)sysconf(_SC_PAGESIZE);
    char *m = mmap(NULL, size + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED || mprotect(m, page, PROT_NONE))
        return 3;
    getcontext(&fiber_ctx);
    fiber_ctx.uc_stack.ss_sp = m + page;
    fiber_ctx.uc_stack.ss_size = size;
    fiber_ctx.uc_link = &fiber_main;
    makecontext(&fiber_ctx, fiber_exit, 0);
    swapcontext(&fiber_main, &fiber_ctx);
    return 4; /* the fiber returned: exit() did not end the process */
}

/* ---- exitfork ------------------------------------------------------------------- */

static const char *fork_dir, *fork_pidfile;

/* A profile being written in dir: a file open there without a name yet
 * (O_TMPFILE, which /proc shows as "DIR/#INODE (deleted)"), or a .tmp
 * file there (where O_TMPFILE is refused).  Each thread's table: the
 * writer's thread has one of its own. */
static bool tmp_in(const char *dir)
{
    glob_t g;
    bool found = false;
    size_t dlen = strlen(dir);
    if (glob("/proc/self/task/*/fd/*", 0, NULL, &g))
        return false;
    for (size_t i = 0; i < g.gl_pathc && !found; i++) {
        char to[4096];
        ssize_t n = readlink(g.gl_pathv[i], to, sizeof to - 1);
        if (n <= 0)
            continue;
        to[n] = '\0';
        found = !strncmp(to, dir, dlen) && to[dlen] == '/' &&
                (to[dlen + 1] == '#' || (n > 4 && !strcmp(to + n - 4, ".tmp")));
    }
    globfree(&g);
    return found;
}

static void *fork_thread(void *arg)
{
    while (!tmp_in(fork_dir))
        testlib_sleep_ms(1);
    if (fork() == 0) {
        FILE *f = fopen(fork_pidfile, "w");
        if (f) {
            fprintf(f, "%d\n", (int)getpid());
            fclose(f);
        }
        exit(0); /* the process it was forked from is in exit() */
    }
    pause(); /* until the exit ends the process */
    return NULL;
}

static int exitfork(const char *dir, const char *pidfile, int bits)
{
    hold_stacks(bits);
    char *real = realpath(dir, NULL); /* as /proc/self/fd shows it */
    fork_dir = real ? real : dir;
    fork_pidfile = pidfile;
    pthread_t th;
    pthread_create(&th, NULL, fork_thread, NULL);
    exit(0);
}

/* ---- quickexit, sigterm, dumploop ------------------------------------------------------ */

static int quickexit(void)
{
    fl_small(100);
    raise(SIGUSR2);
    lc_wait_seq(1);
    printf("_exit now\n");
    fflush(stdout);
    _exit(3);
}

static int sigterm(void)
{
    fl_small(100);
    raise(SIGUSR2);
    lc_wait_seq(1);
    printf("SIGTERM now\n");
    fflush(stdout);
    raise(SIGTERM);
    testlib_sleep_ms(10000);
    printf("still alive after SIGTERM\n");
    return 4;
}

static int dumploop(const char *ready, int bits)
{
    hold_stacks(bits);
    lc_touch(ready);
    void *keep[16] = {0};
    for (unsigned i = 0;; i++) {
        free(keep[i & 15]);
        keep[i & 15] = fl_small(32 + (i & 63));
        testlib_sleep_ms(1);
    }
    return 0;
}

/* ---- dlopen ------------------------------------------------------------------------------- */

static int dlcycle(const char *lib, int cycles)
{
    dump_fn dump = find_dump();
    static void *first[20];
    for (int c = 0; c < cycles; c++) {
        void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            fprintf(stderr, "dlopen %s: %s\n", lib, dlerror());
            return 3;
        }
        void *(*alloc)(size_t) = (void *(*)(size_t))dlsym(h, "lcdl_alloc");
        if (!alloc) {
            fprintf(stderr, "dlsym lcdl_alloc: %s\n", dlerror());
            return 3;
        }
        void *objs[20];
        for (int i = 0; i < 20; i++)
            objs[i] = alloc(1000);
        if (c == 0) {
            memcpy(first, objs, sizeof objs);
            int r = dump(NULL);
            printf("dump while loaded %d\n", r);
        } else {
            for (int i = 0; i < 20; i++)
                free(objs[i]);
        }
        if (dlclose(h)) {
            fprintf(stderr, "dlclose: %s\n", dlerror());
            return 3;
        }
    }
    int r = dump(NULL);
    printf("dump after %d cycles %d\n", cycles, r);
    return 0;
}

int main(int argc, char **argv)
{
    const char *m = argc > 1 ? argv[1] : "";
    if (!strcmp(m, "serve") && argc >= 4)
        return serve(argv[2], argv[3], argc > 4 ? atoi(argv[4]) : 0);
    if (!strcmp(m, "logstorm") && argc >= 4)
        return logstorm(atoi(argv[2]), argv[3]);
    if (!strcmp(m, "threads") && argc >= 3)
        return threads(atol(argv[2]));
    if (!strcmp(m, "ownhandler") && argc >= 4)
        return ownhandler(argv[2], argv[3]);
    if (!strcmp(m, "exitrace") && argc >= 4)
        return exitrace(atoi(argv[2]), atoi(argv[3]), argc > 4 && !strcmp(argv[4], "ret"));
    if (!strcmp(m, "fiberexit") && argc >= 4)
        return fiberexit(atoi(argv[2]), atoi(argv[3]));
    if (!strcmp(m, "exitfork") && argc >= 5)
        return exitfork(argv[2], argv[3], atoi(argv[4]));
    if (!strcmp(m, "quickexit"))
        return quickexit();
    if (!strcmp(m, "sigterm"))
        return sigterm();
    if (!strcmp(m, "dumploop") && argc >= 4)
        return dumploop(argv[2], atoi(argv[3]));
    if (!strcmp(m, "dlopen") && argc >= 4)
        return dlcycle(argv[2], atoi(argv[3]));
    fprintf(stderr, "usage: see fail.c\n");
    return 2;
}

/*
 * cli_prog.c - the program the heapprof command's tests profile.  It is
 * run with libheapprof.so preloaded (never linked against it) and has one
 * mode per scenario:
 *
 *   sites           known allocations per function, then exit; prints the
 *                   ground truth as "expect FUNC alloc_objects alloc_space
 *                   inuse_objects inuse_space" (what an exact profile's flat
 *                   numbers must be; realloc and the like are avoided so that
 *                   every byte is charged to the function that called malloc)
 *   sleep [block|default|nodump]
 *                   allocate a little, write "ready" to $CLI_READY (if set),
 *                   then sleep until killed; with "block", SIGUSR2 is blocked
 *                   first, so a dump request stays pending for ever; with
 *                   "default", SIGUSR2 is set back to its default action
 *                   (which ends the process); with "nodump", the process
 *                   makes itself not dumpable (its /proc files are then
 *                   root's to read)
 *   series N        N phases; in phase k the leaking site holds (k+1) * 2 MiB
 *                   (never freed) and the working-set site holds
 *                   [0, 4, 8, 4, 0, ...] MiB; after each phase the program
 *                   asks for a profile with SIGUSR2 and waits (up to 60 s)
 *                   until PREFIX.<pid>.<seq>.pb.gz exists
 *   spawn           fork and exec itself in mode "sites"; wait for it
 *   stacks D        2^D distinct stacks (D + 2 frames deep): the bits of i
 *                   choose stack_a or stack_b at each level, and the leaf
 *                   allocates 24 bytes, kept; prints the count
 *   aged S          aged_early keeps 20 x 1000 B, S seconds pass, then
 *                   aged_late keeps 30 x 500 B: live objects of two ages
 *   births S        born_site keeps 20 x 1000 B; after S seconds profile
 *                   1; after S more, born_site keeps 30 x 500 B more and
 *                   born_temp holds 10 x 800 B for the moment; profile 2;
 *                   born_temp frees them (profile 3 at exit): 20000 B born
 *                   before profile 1, 15000 B between 1 and 2
 *   _exit           allocate a little, then end with _exit(0): no exit
 *                   profile
 *   via             via_site keeps 20 x 1000 B from malloc and 30 x 500 B
 *                   from strdup: one site, two allocator wrappers
 *   switch          switch_sampled keeps 200 x 10000 B at the interval
 *                   heapprof starts with, then heapprof_set_sample(1)
 *                   (found with dlsym) and switch_exact keeps 10 x 1000 B:
 *                   a profile at exit of estimates and exact counts mixed
 *
 * Built at -O0 with no inlining and no sibling calls: each allocating
 * function must be the leaf of its stacks, called from the same caller.
 */
#define _GNU_SOURCE /* RTLD_DEFAULT */
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noclone, used))

static void die(const char *what)
{
    fprintf(stderr, "cli_prog: %s\n", what);
    exit(1);
}

/* ---- sites ------------------------------------------------------------------ */

static void *kept[4096];
static size_t nkept;

static void keep(void *p)
{
    if (!p || nkept == sizeof kept / sizeof kept[0])
        die("out of memory or too many blocks");
    kept[nkept++] = p;
}

NOINLINE static void alloc_alpha(void) /* 10 x 1000 B, all kept */
{
    for (int i = 0; i < 10; i++)
        keep(malloc(1000));
}

NOINLINE static void alloc_beta(void) /* 6 x 3000 B, 2 freed */
{
    for (int i = 0; i < 6; i++) {
        void *p = malloc(3000);
        if (i < 2)
            free(p);
        else
            keep(p);
    }
}

NOINLINE static void alloc_gamma(void) /* 4 x 250 B (calloc 5 x 50), all freed */
{
    void *v[4];
    for (int i = 0; i < 4; i++)
        v[i] = calloc(5, 50);
    for (int i = 0; i < 4; i++)
        free(v[i]);
}

NOINLINE static void alloc_delta_leaf(int n) /* 3 x 777 B per call, kept */
{
    for (int i = 0; i < 3; i++)
        keep(malloc((size_t)n));
}

NOINLINE static void alloc_delta(void) /* calls the leaf twice: 6 x 777 B */
{
    alloc_delta_leaf(777);
    alloc_delta_leaf(777);
}

static int sites(void)
{
    alloc_alpha();
    alloc_beta();
    alloc_gamma();
    alloc_delta();
    printf("expect alloc_alpha 10 10000 10 10000\n");
    printf("expect alloc_beta 6 18000 4 12000\n");
    printf("expect alloc_gamma 4 1000 0 0\n");
    printf("expect alloc_delta_leaf 6 4662 6 4662\n");
    printf("expect alloc_delta 0 0 0 0\n");
    printf("cum alloc_delta 6 4662 6 4662\n");
    fflush(stdout);
    return 0;
}

/* ---- sleep ------------------------------------------------------------------ */

NOINLINE static void sleeper_alloc(void)
{
    for (int i = 0; i < 8; i++)
        keep(malloc(65536));
}

static void ready(void)
{
    const char *path = getenv("CLI_READY");
    if (!path)
        return;
    /* Written under another name and renamed: the script reads the file
     * as soon as it exists, and an empty one (created, not yet written)
     * gave it no pid under load. */
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "ready %d\n", (int)getpid()) < 0 || fclose(f) || rename(tmp, path))
        die("cannot write the ready file");
}

static int sleep_forever(int block, int dfl, int nodump)
{
    if (nodump && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
        die("prctl(PR_SET_DUMPABLE)");
    if (dfl) /* heapprof's handler replaced by the default action */
        signal(SIGUSR2, SIG_DFL);
    if (block) {
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, SIGUSR2);
        sigprocmask(SIG_BLOCK, &s, NULL);
    }
    sleeper_alloc();
    ready();
    for (;;)
        pause();
    return 0;
}

/* ---- series ----------------------------------------------------------------- */

enum { LEAK_BLOCK = 16384, WS_BLOCK = 32768, MIB = 1 << 20 };

static void *ws[1024];
static size_t nws;

NOINLINE static void leak_site(size_t bytes)
{
    for (size_t i = 0; i < bytes / LEAK_BLOCK; i++) {
        char *p = malloc(LEAK_BLOCK);
        if (!p)
            die("out of memory");
        p[0] = 1;
        keep(p);
    }
}

NOINLINE static void working_set_site(size_t bytes)
{
    while (nws * WS_BLOCK < bytes) {
        char *p = malloc(WS_BLOCK);
        if (!p || nws == sizeof ws / sizeof ws[0])
            die("out of memory");
        p[0] = 1;
        ws[nws++] = p;
    }
}

NOINLINE static void working_set_release(size_t bytes)
{
    while (nws * WS_BLOCK > bytes)
        free(ws[--nws]);
}

/* Ask for profile number seq and wait until it is in place. */
static void profile_now(unsigned seq)
{
    const char *prefix = getenv("HEAPPROF_OUT");
    char path[4096];
    snprintf(path, sizeof path, "%s.%d.%04u.pb.gz", prefix ? prefix : "heapprof", (int)getpid(),
             seq);
    raise(SIGUSR2);
    struct timespec nap = {0, 10 * 1000 * 1000};
    struct stat st;
    for (int i = 0; i < 6000; i++) {
        if (stat(path, &st) == 0)
            return;
        nanosleep(&nap, NULL);
    }
    die("the profile did not appear within 60 s");
}

static int series(int phases)
{
    static const int shape[] = {0, 4, 8, 4, 0};
    for (int k = 0; k < phases; k++) {
        leak_site(2 * MIB);
        size_t want = (size_t)shape[k % 5] * MIB;
        working_set_site(want);
        working_set_release(want);
        profile_now((unsigned)k + 1);
    }
    return 0;
}

/* ---- stacks ----------------------------------------------------------------- */

static void **stack_blocks;
static size_t nstack_blocks;

NOINLINE void stack_leaf(void) { stack_blocks[nstack_blocks++] = malloc(24); }
NOINLINE void stack_a(int d, unsigned bits);
NOINLINE void stack_b(int d, unsigned bits);

NOINLINE void stack_a(int d, unsigned bits)
{
    if (!d)
        stack_leaf();
    else if (bits & 1)
        stack_a(d - 1, bits >> 1);
    else
        stack_b(d - 1, bits >> 1);
}

NOINLINE void stack_b(int d, unsigned bits)
{
    if (!d)
        stack_leaf();
    else if (bits & 1)
        stack_a(d - 1, bits >> 1);
    else
        stack_b(d - 1, bits >> 1);
}

static int stacks(int depth)
{
    if (depth < 1 || depth > 20)
        die("stacks: depth 1 to 20");
    if (!(stack_blocks = malloc(sizeof *stack_blocks << depth)))
        die("out of memory");
    for (unsigned i = 0; i < 1u << depth; i++)
        stack_a(depth, i);
    printf("stacks %zu\n", nstack_blocks);
    return 0;
}

/* ---- spawn ------------------------------------------------------------------ */

static int spawn(const char *self)
{
    pid_t pid = fork();
    if (pid < 0)
        die("fork failed");
    if (pid == 0) {
        execl(self, self, "sites", (char *)NULL);
        _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
        die("the child failed");
    printf("child %d\n", (int)pid);
    return 0;
}

/* ---- aged ------------------------------------------------------------------- */

NOINLINE static void aged_early(void)
{
    for (int i = 0; i < 20; i++)
        keep(malloc(1000));
}

NOINLINE static void aged_late(void)
{
    for (int i = 0; i < 30; i++)
        keep(malloc(500));
}

static int aged(unsigned seconds)
{
    aged_early();
    sleep(seconds);
    aged_late();
    printf("kept %zu\n", nkept);
    return 0;
}

/* ---- via -------------------------------------------------------------------- */

NOINLINE static void via_site(void)
{
    char text[500];
    memset(text, 'v', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    for (int i = 0; i < 20; i++)
        keep(malloc(1000));
    for (int i = 0; i < 30; i++)
        keep(strdup(text));
}

/* ---- births ----------------------------------------------------------------- */

NOINLINE static void born_site(int n, size_t size)
{
    for (int i = 0; i < n; i++)
        keep(malloc(size));
}

NOINLINE static void born_temp(void **v, int n, size_t size)
{
    for (int i = 0; i < n; i++)
        if (!(v[i] = malloc(size)))
            die("out of memory");
}

static int births(unsigned seconds)
{
    void *temp[10];
    born_site(20, 1000);
    sleep(seconds);
    profile_now(1);
    sleep(seconds);
    born_site(30, 500);
    born_temp(temp, 10, 800);
    profile_now(2);
    for (int i = 0; i < 10; i++)
        free(temp[i]);
    printf("kept %zu\n", nkept);
    return 0;
}

/* ---- switch ----------------------------------------------------------------- */

NOINLINE static void switch_sampled(void)
{
    for (int i = 0; i < 200; i++)
        keep(malloc(10000));
}

NOINLINE static void switch_exact(void)
{
    for (int i = 0; i < 10; i++)
        keep(malloc(1000));
}

static int switch_to_exact(void)
{
    int (*set_sample)(size_t) = (int (*)(size_t))dlsym(RTLD_DEFAULT, "heapprof_set_sample");
    if (!set_sample)
        die("heapprof_set_sample not found: run under the preload");
    switch_sampled();
    if (set_sample(1))
        die("heapprof_set_sample(1) failed");
    switch_exact();
    printf("kept %zu\n", nkept);
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "sites"))
        return sites();
    if (!strcmp(mode, "sleep"))
        return sleep_forever(argc > 2 && !strcmp(argv[2], "block"),
                             argc > 2 && !strcmp(argv[2], "default"),
                             argc > 2 && !strcmp(argv[2], "nodump"));
    if (!strcmp(mode, "series"))
        return series(argc > 2 ? atoi(argv[2]) : 5);
    if (!strcmp(mode, "spawn"))
        return spawn("/proc/self/exe");
    if (!strcmp(mode, "stacks"))
        return stacks(argc > 2 ? atoi(argv[2]) : 17);
    if (!strcmp(mode, "aged"))
        return aged(argc > 2 ? (unsigned)atoi(argv[2]) : 2);
    if (!strcmp(mode, "births"))
        return births(argc > 2 ? (unsigned)atoi(argv[2]) : 3);
    if (!strcmp(mode, "switch"))
        return switch_to_exact();
    if (!strcmp(mode, "_exit")) {
        keep(malloc(1000));
        _exit(0);
    }
    if (!strcmp(mode, "via")) {
        via_site();
        printf("kept %zu\n", nkept);
        return 0;
    }
    fprintf(stderr, "usage: cli_prog sites | sleep [block] | series N | spawn | stacks D | aged S"
                    " | births S | switch | via | _exit\n");
    return 2;
}

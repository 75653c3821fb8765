/*
 * trigger.c - a program for the dump triggers (signal, period).
 *
 * Modes:
 *   trigger probe SIG
 *       print "disposition SIG default|ignore|handler" for signal number SIG
 *       as found at the start of main (what the preload installed).
 *   trigger raise SIG
 *       phase 1 allocates (tr_phase1), raises SIG, waits until profile 0001
 *       exists, phase 2 allocates (tr_phase2), exits: 0002 is the exit
 *       profile.  Prints expect lines for both phases.
 *   trigger raise-n SIG N
 *       N rounds of: allocate in tr_round, raise SIG, wait for profile
 *       number round; then exit.
 *   trigger wait SEQ
 *       allocates in tr_phase1, prints "ready" (flushed), then waits until
 *       profile SEQ exists (someone else sends the signal), allocates in
 *       tr_phase2, exits.
 *   trigger threads
 *       allocates in tr_phase1, prints "threads N" (the process's threads,
 *       from /proc/self/status), exits.
 *   trigger run SECONDS SEQ
 *       allocate in tr_tick every millisecond for at least SECONDS and until
 *       profile number SEQ exists (SEQ 0: just SECONDS); then exit.
 * Waiting times out after 60 s: exit status 3 with a message.
 * Profile paths follow HEAPPROF_OUT: PREFIX.<pid>.<seq>.pb.gz.
 */
#define _GNU_SOURCE
#include "integ.h"

static site s_phase1 = SITE(tr_phase1);
static site s_phase2 = SITE(tr_phase2);
static site s_round = SITE(tr_round);
static site s_tick = SITE(tr_tick);

static void *held[100000];
static size_t nheld;

NOINLINE static void tr_phase1(void)
{
    for (int i = 0; i < 100; i++) {
        size_t n = 1000 + (size_t)i;
        void *p = malloc(n);
        CHECK(p, "malloc");
        site_alloc(&s_phase1, n);
        if (i % 2) {
            free(p);
            site_free(&s_phase1, n);
        } else {
            held[nheld++] = p;
        }
    }
}

NOINLINE static void tr_phase2(void)
{
    for (int i = 0; i < 300; i++) {
        size_t n = 2000 + (size_t)i;
        void *p = malloc(n);
        CHECK(p, "malloc");
        site_alloc(&s_phase2, n);
        held[nheld++] = p;
    }
}

NOINLINE static void tr_round(int r)
{
    size_t n = 10000 * (size_t)r;
    void *p = malloc(n);
    CHECK(p, "malloc");
    site_alloc(&s_round, n);
    held[nheld++] = p;
}

NOINLINE static void tr_tick(int i)
{
    size_t n = 64 + (size_t)(i % 1000);
    void *p = malloc(n);
    CHECK(p, "malloc");
    site_alloc(&s_tick, n);
    if (i % 10 == 0 && nheld < sizeof held / sizeof held[0]) {
        held[nheld++] = p;
    } else {
        free(p);
        site_free(&s_tick, n);
    }
}

static void wait_or_die(int seq)
{
    char path[4096];
    testlib_profile_path(path, sizeof path, getpid(), (unsigned)seq);
    if (!testlib_wait_file(path, 60)) {
        fprintf(stderr, "trigger: timed out after 60 s waiting for %s\n", path);
        exit(3);
    }
}

int main(int argc, char **argv)
{
    struct sigaction old;
    if (argc < 2) {
        fprintf(stderr, "usage: trigger probe|raise|raise-n|wait|threads|run ...\n");
        return 64;
    }
    const char *mode = argv[1];
    if (!strcmp(mode, "probe") && argc == 3) {
        int sig = atoi(argv[2]);
        CHECK(sigaction(sig, NULL, &old) == 0, "sigaction(%d)", sig);
        const char *d = old.sa_handler == SIG_DFL ? "default"
                        : old.sa_handler == SIG_IGN ? "ignore" : "handler";
        printf("disposition %d %s\n", sig, d);
        return 0;
    }
    if (!strcmp(mode, "raise") && argc == 3) {
        int sig = atoi(argv[2]);
        tr_phase1();
        raise(sig);
        wait_or_die(1);
        tr_phase2();
        site_print(&s_phase1);
        site_print(&s_phase2);
        return 0;
    }
    if (!strcmp(mode, "raise-n") && argc == 4) {
        int sig = atoi(argv[2]), n = atoi(argv[3]);
        for (int r = 1; r <= n; r++) {
            tr_round(r);
            /* kill(getpid()) rather than raise: another thread may take it. */
            kill(getpid(), sig);
            wait_or_die(r);
            printf("round %d alloc_space %lld\n", r, s_round.as);
            fflush(stdout);
        }
        site_print(&s_round);
        return 0;
    }
    if (!strcmp(mode, "threads") && argc == 2) {
        tr_phase1();
        FILE *f = fopen("/proc/self/status", "r");
        CHECK(f, "/proc/self/status");
        char line[256];
        while (fgets(line, sizeof line, f))
            if (!strncmp(line, "Threads:", 8))
                printf("threads %d\n", atoi(line + 8));
        fclose(f);
        site_print(&s_phase1);
        return 0;
    }
    if (!strcmp(mode, "wait") && argc == 3) {
        int seq = atoi(argv[2]);
        tr_phase1();
        printf("ready\n");
        fflush(stdout);
        wait_or_die(seq);
        tr_phase2();
        site_print(&s_phase1);
        site_print(&s_phase2);
        return 0;
    }
    if (!strcmp(mode, "run") && argc == 4) {
        double secs = atof(argv[2]);
        int seq = atoi(argv[3]);
        char path[4096];
        testlib_profile_path(path, sizeof path, getpid(), (unsigned)seq);
        double start = testlib_now();
        int i = 0;
        while (testlib_now() - start < secs || (seq > 0 && !testlib_exists(path))) {
            if (testlib_now() - start > 60) {
                fprintf(stderr, "trigger: timed out after 60 s waiting for %s\n", path);
                return 3;
            }
            tr_tick(i++);
            testlib_sleep_ms(1);
        }
        site_print(&s_tick);
        return 0;
    }
    fprintf(stderr, "trigger: bad arguments\n");
    return 64;
}

/*
 * fault.c - the countdown behind fault_point(), linked only into the test
 * library libheapprof_fault.so (see fault.h for the variables it reads).
 *
 * Configuration is read at the first fault point, which can be inside the
 * process's first malloc, before main and before any constructor of ours:
 * so nothing here allocates (getenv, open, mmap only), and initialisation
 * is a compare-and-swap state machine rather than a constructor.
 *
 * Counters are atomics in a MAP_SHARED mapping of HEAPPROF_FAULT_LOG.<pid>
 * when that variable is set (in private memory otherwise), so a test reads
 * how many points each kind passed and how many failed after the process
 * has gone, even if it ended with _exit or a signal.  A forked child keeps
 * counting into its parent's file; an exec'd one opens its own.
 */
#define _GNU_SOURCE
#include "fault.h"

#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "log.h"

#ifdef HEAPPROF_FAULT_INJECTION

typedef struct rule {
    uint64_t n;   /* the call (1-based) that fails; 0: none */
    bool onward;  /* and every later one */
} rule;

enum { NCOUNTS = 2 * FAULT_NKINDS };

static rule rules[FAULT_NKINDS];
static uint64_t private_counts[NCOUNTS];
static uint64_t *counts = private_counts; /* per kind: calls, failures */
static int state;                         /* 0 new, 1 being set up, 2 ready */

static const char *const kind_names[FAULT_NKINDS] = {"mem", "io"};

/* With the library's own prefix and pid (log.h), as a fork's child may
 * complain too; "fault injection: " says which part. */
static void complain(const char *what)
{
    static const char head[] = "fault injection: ";
    char prefix[LOG_PREFIX_MAX];
    (void)!write(2, prefix, log_prefix(prefix));
    (void)!write(2, head, sizeof head - 1);
    (void)!write(2, what, strlen(what));
    (void)!write(2, "\n", 1);
}

/* "mem:3,io:7+": unknown text disarms everything (a test that cannot say
 * what it wants must not silently test something else). */
static void parse(const char *s)
{
    while (*s) {
        int k;
        size_t len = 0;
        for (k = 0; k < FAULT_NKINDS; k++) {
            len = strlen(kind_names[k]);
            if (!strncmp(s, kind_names[k], len) && s[len] == ':')
                break;
        }
        if (k == FAULT_NKINDS || s[len + 1] < '0' || s[len + 1] > '9')
            goto bad;
        s += len + 1;
        uint64_t n = 0;
        while (*s >= '0' && *s <= '9')
            n = n * 10 + (uint64_t)(*s++ - '0');
        rules[k] = (rule){n, *s == '+'};
        if (*s == '+')
            s++;
        if (*s == ',')
            s++;
        else if (*s)
            goto bad;
    }
    return;
bad:
    memset(rules, 0, sizeof rules);
    complain("HEAPPROF_FAULT not understood (want mem:N, io:N, N+ for every call from the Nth); "
             "no faults injected");
}

static void open_log(const char *prefix)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s.%d", prefix, (int)getpid()) >= sizeof path)
        return;
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        complain("cannot create HEAPPROF_FAULT_LOG; counting in memory only");
        return;
    }
    size_t size = NCOUNTS * sizeof(uint64_t);
    void *p = ftruncate(fd, (off_t)size) ? MAP_FAILED
                                          : mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p != MAP_FAILED)
        counts = p;
}

static void setup(void)
{
    int expect = 0;
    if (__atomic_compare_exchange_n(&state, &expect, 1, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        const char *spec = getenv("HEAPPROF_FAULT");
        const char *log = getenv("HEAPPROF_FAULT_LOG");
        if (spec)
            parse(spec);
        if (log && *log)
            open_log(log);
        __atomic_store_n(&state, 2, __ATOMIC_RELEASE);
        return;
    }
    while (__atomic_load_n(&state, __ATOMIC_ACQUIRE) != 2)
        sched_yield();
}

bool fault_point(fault_kind k)
{
    if (__atomic_load_n(&state, __ATOMIC_ACQUIRE) != 2) {
        int saved = errno;
        setup();
        errno = saved;
    }
    uint64_t i = __atomic_add_fetch(&counts[2 * (size_t)k], 1, __ATOMIC_RELAXED);
    const rule *r = &rules[k];
    if (!r->n || (i != r->n && !(r->onward && i > r->n)))
        return false;
    __atomic_add_fetch(&counts[2 * (size_t)k + 1], 1, __ATOMIC_RELAXED);
    return true;
}

#endif

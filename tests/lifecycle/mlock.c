/*
 * mlock - a program that locks its memory: mlockall(MCL_CURRENT) under a
 * RLIMIT_MEMLOCK it fits without the profiler (lifecycle_host_mlockall).
 *
 *   lc_mlock LIMIT_KB BLOCKS
 *
 * LIMIT_KB 0: no limit set, no capability dropped; else RLIMIT_MEMLOCK is
 * LIMIT_KB.  First it holds BLOCKS blocks of 128 KiB, from ml_hold, to the
 * end (the exit profile's in-use).  Then, with a limit, it sets
 * RLIMIT_MEMLOCK and drops every capability: the kernel lets a process with
 * CAP_IPC_LOCK (root) lock past the limit, and the test runs as root in CI.
 * Prints, one per line:
 *   vmsize_kb=N            VmSize just before mlockall (what the kernel
 *                          compares with the limit: total_vm)
 *   mlockall=0 | mlockall=-1 errno=N (its text)
 *   rss_kb=N vmlck_kb=N    after it
 * Exit 0 whatever mlockall returned (the script judges); 77 where the limit
 * cannot be set or the capabilities not dropped; 1 on a setup error.
 */
#include "lc.h"

#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>

enum { MAX_BLOCKS = 64, BLOCK = 128 << 10 };

static void *held[MAX_BLOCKS];

NOINLINE static void ml_hold(int n)
{
    for (int i = 0; i < n; i++)
        if (!(held[i] = malloc(BLOCK)))
            exit(1);
}

/* A line of /proc/self/status: its number in base (kB for the Vm* lines,
 * hex for Cap*); -1 if absent.  stdio allocates: the same with and
 * without the profiler. */
static long long status_field(const char *key, int base)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long long v = -1;
    size_t n = strlen(key);
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, key, n) && line[n] == ':')
            v = strtoll(line + n + 1, NULL, base);
    fclose(f);
    return v;
}

/* Drop every capability (effective, permitted, inheritable): no
 * privilege is needed to give them up. */
static int drop_caps(void)
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    memset(d, 0, sizeof d);
    return (int)syscall(SYS_capset, &h, d);
}

int main(int argc, char **argv)
{
    int blocks = argc == 3 ? atoi(argv[2]) : -1;
    if (blocks < 0 || blocks > MAX_BLOCKS) {
        fprintf(stderr, "usage: lc_mlock LIMIT_KB BLOCKS (at most %d)\n", MAX_BLOCKS);
        return 1;
    }
    long long limit_kb = strtoll(argv[1], NULL, 10);
    ml_hold(blocks);
    if (limit_kb > 0) {
        struct rlimit rl = {(rlim_t)limit_kb << 10, (rlim_t)limit_kb << 10};
        if (setrlimit(RLIMIT_MEMLOCK, &rl)) {
            printf("skip: setrlimit(RLIMIT_MEMLOCK, %lld kB): %s\n", limit_kb, strerror(errno));
            return 77;
        }
        if (drop_caps() || status_field("CapEff", 16) != 0) {
            printf("skip: cannot drop the capabilities (CapEff %llx)\n", status_field("CapEff", 16));
            return 77;
        }
    }
    printf("vmsize_kb=%lld\n", status_field("VmSize", 10));
    int r = mlockall(MCL_CURRENT);
    int e = errno;
    if (r)
        printf("mlockall=%d errno=%d (%s)\n", r, e, strerror(e));
    else
        printf("mlockall=0\n");
    printf("rss_kb=%lld vmlck_kb=%lld\n", status_field("VmRSS", 10), status_field("VmLck", 10));
    munlockall();
    return 0;
}

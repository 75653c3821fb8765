/*
 * cmd_dump.c - `heapprof dump PID [--wait SECONDS]`: ask a running,
 * profiled process for a profile and print the file's path.
 *
 * The target's own settings decide everything, as its library read them at
 * start-up: its initial environment (/proc/PID/environ) is run through the
 * library's config_parse, so HEAPPROF_SIGNAL and HEAPPROF_OUT (and their
 * defaults, and what a bad value falls back to) are exactly the target's.
 * A relative HEAPPROF_OUT is relative to the directory the target started
 * in (its library makes it absolute at start-up), which /proc does not
 * record; it is resolved here against the target's current directory
 * (/proc/PID/cwd), the same one unless the target has changed directory
 * since.  Then the wait ends without the file, and the help says to give
 * such a program an absolute HEAPPROF_OUT.
 *
 * Protocol: note the highest sequence number among PREFIX.PID.*.pb.gz,
 * send the signal, then poll until a file with a higher number exists.
 * Files only get their final name by an atomic rename, so one that exists
 * is complete.  The wait ends early when the process dies.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "commands.h"
#include "config.h"
#include "diag.h"
#include "seqfiles.h"

enum { POLL_MS = 20, ENV_MAX = 16 << 20 };

/* The target's environment: NUL-separated NAME=VALUE entries. */
static char *env_buf;
static size_t env_len;

void cmd_dump_usage(FILE *f)
{
    (void)fputs("Usage: heapprof dump PID [--wait SECONDS]\n"
                "\n"
                "Ask the running process PID, started with libheapprof.so preloaded (e.g. by\n"
                "`heapprof run`), to write a profile now; wait for the file and print its path.\n"
                "\n"
                "The signal and the file prefix are the target's own: HEAPPROF_SIGNAL (default\n"
                "USR2) and HEAPPROF_OUT (default \"heapprof\") as found in its environment.  The\n"
                "new file is the next of its sequence, PREFIX.PID.<seq>.pb.gz.  A relative\n"
                "HEAPPROF_OUT is relative to the directory the target started in; it is looked\n"
                "for in the target's current directory, so give a program that changes\n"
                "directory an absolute HEAPPROF_OUT (heapprof run makes it so).  The pid of a\n"
                "`heapprof run` ($! after `heapprof run ... &`) stands for the program it runs.\n"
                "\n"
                "Options:\n"
                "  --wait SECONDS  how long to wait for the file (default 10; decimals allowed)\n"
                "  -h, --help      this help\n"
                "\n"
                "Fails (exit status 1), saying why, when: there is no such process; it is not\n"
                "profiled (libheapprof is not loaded in it); it belongs to another user\n"
                "(permission denied: run as that user or root), or is not dumpable (root only);\n"
                "its HEAPPROF_SIGNAL is 0/off; it ignores the signal, or has no handler for it\n"
                "(its default action would end the process: not sent); the directory of its\n"
                "profiles does not exist (not sent); no new profile appeared in time (the\n"
                "program may block the signal, or its output directory may not be writable);\n"
                "it exited first.\n", f);
}

static const char *env_lookup(const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < env_len;) {
        const char *e = env_buf + i;
        size_t len = strnlen(e, env_len - i);
        if (len > n && !strncmp(e, name, n) && e[n] == '=' && i + len < env_len)
            return e + n + 1;
        i += len + 1;
    }
    return NULL;
}

/* Reads a /proc file whole (NUL-terminated); 0 or an errno value, never 0
 * on failure, as callers read *out after a 0 (errno is read once: clang's
 * analyzer takes each read of it for a new value, which may be 0). */
static int read_proc(const char *path, char **out, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return e ? e : EIO;
    }
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap + 1);
    int err = buf ? 0 : ENOMEM;
    while (!err) {
        if (n == cap) {
            char *b = cap >= ENV_MAX ? NULL : realloc(buf, cap * 2 + 1);
            if (!b) {
                err = E2BIG;
                break;
            }
            buf = b;
            cap *= 2;
        }
        ssize_t got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0 && !(err = errno))
            err = EIO;
        if (got <= 0)
            break;
        n += (size_t)got;
    }
    close(fd);
    if (err) {
        free(buf);
        return err;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

/* Whether process pid runs as this process's effective user: its real
 * and effective ids from /proc/PID/status, which any user may read (the
 * directory's owner would not do: it is root's for a process that is not
 * dumpable). */
static bool same_user(long pid)
{
    char path[48], line[256];
    (void)snprintf(path, sizeof path, "/proc/%ld/status", pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    bool same = false;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "Uid:", 4))
            continue;
        /* "Uid:\treal\teffective\tsaved\tfs" */
        char *end;
        errno = 0;
        unsigned long ruid = strtoul(line + 4, &end, 10);
        unsigned long euid = strtoul(end, &end, 10);
        same = !errno && ruid == (unsigned long)geteuid() && euid == (unsigned long)geteuid();
        break;
    }
    (void)fclose(f);
    return same;
}

/* A problem with /proc/PID/...: the messages for the usual errno values.
 * A refusal is the kernel's ptrace access check, which fails for another
 * user's process but also for one's own that is not dumpable (it called
 * prctl(PR_SET_DUMPABLE, 0), or changed its ids) or that Yama's
 * ptrace_scope keeps from this process. */
static int proc_error(long pid, const char *what, int err)
{
    if (err == ENOENT || err == ESRCH)
        diag_error("no such process: %ld", pid);
    else if ((err == EACCES || err == EPERM) && same_user(pid))
        diag_error("permission denied reading /proc/%ld/%s: process %ld is this user's, but the "
                   "kernel refuses to show it (it made itself not dumpable or changed its ids, "
                   "or Yama's ptrace_scope forbids it): run heapprof dump as root, or send it "
                   "HEAPPROF_SIGNAL (default USR2) yourself",
                   pid, what, pid);
    else if (err == EACCES || err == EPERM)
        diag_error("permission denied reading /proc/%ld/%s: process %ld belongs to another "
                   "user (run heapprof dump as that user, or as root)", pid, what, pid);
    else
        diag_error("cannot read /proc/%ld/%s: %s", pid, what, strerror(err));
    return DIAG_FAIL;
}

static bool has_library(const char *maps)
{
    for (const char *l = maps; l && *l;) {
        const char *nl = strchr(l, '\n');
        size_t len = nl ? (size_t)(nl - l) : strlen(l);
        const char *slash = memrchr(l, '/', len);
        if (slash && len - (size_t)(slash + 1 - l) >= 11 && !strncmp(slash + 1, "libheapprof", 11))
            return true;
        l = nl ? nl + 1 : NULL;
    }
    return false;
}

static void comm_of(long pid, char *buf, size_t len)
{
    char path[64], *c;
    size_t n;
    snprintf(path, sizeof path, "/proc/%ld/comm", pid);
    snprintf(buf, len, "?");
    if (read_proc(path, &c, &n) == 0) {
        c[strcspn(c, "\n")] = '\0';
        snprintf(buf, len, "%s", c);
        free(c);
    }
}

/* Highest sequence number of pid's files (0: none); -1 after a message. */
static long long highest(const char *prefix, long pid)
{
    seqfile *v;
    size_t n;
    int err = seqfiles_list(prefix, pid, &v, &n);
    const char *slash = strrchr(prefix, '/');
    if (err == ENOENT && slash) {
        /* Its HEAPPROF_OUT names a directory that is not there (a typo, or
         * one never made): no profile could be written, so none is asked
         * for.  "cannot list" said only the listing's error. */
        diag_error("its profiles go to %s.%ld.<seq>.pb.gz, but the directory %.*s does not "
                   "exist, so it cannot write one: make that directory, then ask again", prefix,
                   pid, (int)(slash - prefix + (slash == prefix)), prefix);
        return -1;
    }
    if (err) {
        diag_error("cannot list %s.%ld.*.pb.gz: %s", prefix, pid, strerror(err));
        return -1;
    }
    long long h = n ? (long long)v[n - 1].seq : 0;
    seqfiles_free(v, n);
    return h;
}

static bool alive(long pid)
{
    char path[64], *s;
    size_t n;
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    if (read_proc(path, &s, &n))
        return kill((pid_t)pid, 0) == 0 || errno == EPERM;
    const char *close_paren = strrchr(s, ')');
    bool zombie = close_paren && (close_paren[1] == ' ') && (close_paren[2] == 'Z' ||
                                                            close_paren[2] == 'X');
    free(s);
    return !zombie;
}

/* The pid the process has in its own pid namespace (the last of
 * /proc/PID/status's NSpid): its file names hold that one.  pid itself
 * where the kernel does not say (before 4.1). */
static long own_pid(long pid)
{
    char path[64], *s;
    size_t n;
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    if (read_proc(path, &s, &n))
        return pid;
    long v = pid;
    const char *line = strstr(s, "\nNSpid:");
    if (line) {
        char *end;
        for (const char *c = line + 7; *c && *c != '\n';) {
            long x = strtol(c, &end, 10);
            if (end == c)
                break;
            v = x;
            c = end;
        }
    }
    free(s);
    return v > 0 ? v : pid;
}

/* What the process does with signal sig, from /proc/PID/status: 'i' it
 * ignores it, 'c' it has a handler, 'd' its default action (for the dump
 * signals, the end of the process), 0 not known. */
static char disposition(long pid, int sig)
{
    char path[64], *s;
    size_t n;
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    if (read_proc(path, &s, &n))
        return 0;
    unsigned long long ign = 0, cgt = 0;
    const char *i = strstr(s, "\nSigIgn:"), *c = strstr(s, "\nSigCgt:");
    char *end_i = NULL, *end_c = NULL;
    if (i && c) {
        ign = strtoull(i + 8, &end_i, 16);
        cgt = strtoull(c + 8, &end_c, 16);
    }
    bool known = end_i && end_i != i + 8 && end_c && end_c != c + 8;
    free(s);
    if (!known || sig < 1 || sig > 64)
        return 0;
    unsigned long long bit = 1ULL << (sig - 1);
    return ign & bit ? 'i' : cgt & bit ? 'c' : 'd';
}

/* Whether the process sees another tree of mounts than ours (a container):
 * its paths are then reached through /proc/PID/root. */
static bool other_mounts(long pid)
{
    char path[64];
    struct stat theirs, ours;
    snprintf(path, sizeof path, "/proc/%ld/ns/mnt", pid);
    return !stat(path, &theirs) && !stat("/proc/self/ns/mnt", &ours) &&
           (theirs.st_ino != ours.st_ino || theirs.st_dev != ours.st_dev);
}

static const char *signame(int sig, char *buf, size_t len)
{
    const char *a = sigabbrev_np(sig);
    if (a)
        snprintf(buf, len, "SIG%s", a);
    else
        snprintf(buf, len, "signal %d", sig);
    return buf;
}

/* The target's prefix, absolute; -1 after a message. */
static int resolve_prefix(long pid, const char *out, char *buf, size_t len)
{
    if (other_mounts(pid)) {
        int n = snprintf(buf, len, "/proc/%ld/%s%s%s", pid, out[0] == '/' ? "root" : "cwd",
                         out[0] == '/' ? "" : "/", out);
        if (n < 0 || (size_t)n >= len) {
            diag_error("the profile prefix of process %ld is too long", pid);
            return -1;
        }
        return 0;
    }
    if (out[0] == '/') {
        snprintf(buf, len, "%s", out);
        return 0;
    }
    char link[64], cwd[PATH_MAX];
    snprintf(link, sizeof link, "/proc/%ld/cwd", pid);
    ssize_t n = readlink(link, cwd, sizeof cwd - 1);
    if (n < 0) {
        proc_error(pid, "cwd", errno);
        return -1;
    }
    cwd[n] = '\0';
    if ((size_t)snprintf(buf, len, "%s%s%s", cwd, strcmp(cwd, "/") ? "/" : "", out) >= len) {
        diag_error("the profile prefix of process %ld is too long", pid);
        return -1;
    }
    return 0;
}

static int wait_for_file(long pid, long own, const char *prefix, long long before, double wait_s,
                         int sig)
{
    struct timespec t0, now, nap = {0, POLL_MS * 1000000L};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        bool was_alive = alive(pid);
        seqfile *v;
        size_t n;
        if (seqfiles_list(prefix, own, &v, &n) == 0) {
            if (n && (long long)v[n - 1].seq > before) {
                printf("%s\n", v[n - 1].path);
                seqfiles_free(v, n);
                return DIAG_OK; /* main checks that stdout was written */
            }
            seqfiles_free(v, n);
        }
        if (!was_alive) {
            diag_error("process %ld exited before writing a new profile", pid);
            return DIAG_FAIL;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        double waited = (double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
        if (waited >= wait_s) {
            char sn[32];
            diag_error("timed out after %g s: no new profile %s.%ld.<seq>.pb.gz appeared (does "
                       "the program block or ignore %s? is the directory writable?)", wait_s,
                       prefix, own, signame(sig, sn, sizeof sn));
            return DIAG_FAIL;
        }
        nanosleep(&nap, NULL);
    }
}

static int parse_pid(const char *s, long *pid)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!(*s >= '0' && *s <= '9') || *end || errno || v <= 0 || v > INT_MAX)
        return diag_usage("'%s' is not a process id", s);
    *pid = v;
    return 0;
}

/* The program that `heapprof run` at pid runs, when pid is one (this very
 * executable, by device and inode) with one child: the pid a user has at
 * hand after `heapprof run ... &` ($!) is heapprof's, which is not
 * profiled, and the line that said so advised starting the program with
 * `heapprof run`, as it had been.  0 when pid is no `heapprof run`, or
 * has no child or several (/proc/PID/task/PID/children needs a kernel
 * option, so every /proc/N/stat is read for its parent pid). */
static long run_program(long pid)
{
    struct stat me, it;
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/exe", pid);
    if (stat("/proc/self/exe", &me) || stat(path, &it) || me.st_dev != it.st_dev ||
        me.st_ino != it.st_ino)
        return 0;
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    long child = 0;
    int found = 0;
    struct dirent *e;
    while ((e = readdir(d)) && found < 2) {
        char *end;
        long n = strtol(e->d_name, &end, 10);
        if (*end || n <= 0 || n == pid)
            continue;
        char *st;
        size_t len;
        snprintf(path, sizeof path, "/proc/%ld/stat", n);
        if (read_proc(path, &st, &len))
            continue;
        /* "PID (COMM) STATE PPID ...": COMM may hold spaces and ')'. */
        const char *close_paren = strrchr(st, ')');
        long ppid = 0;
        if (close_paren && close_paren[1] == ' ' && close_paren[2] && close_paren[3] == ' ')
            ppid = strtol(close_paren + 4, NULL, 10);
        if (ppid == pid) {
            child = n;
            found++;
        }
        free(st);
    }
    closedir(d);
    return found == 1 ? child : 0;
}

/* Asks pid for a profile; run is the `heapprof run` that pid is the
 * program of, when it was given in its place (else 0). */
static int dump(long pid, double wait_s, long run)
{
    char path[64], comm[64], prefix[PATH_MAX + CONFIG_PATH_MAX], *maps;
    size_t n;
    snprintf(path, sizeof path, "/proc/%ld/environ", pid);
    int err = read_proc(path, &env_buf, &env_len);
    if (err)
        return proc_error(pid, "environ", err);
    snprintf(path, sizeof path, "/proc/%ld/maps", pid);
    if ((err = read_proc(path, &maps, &n)))
        return proc_error(pid, "maps", err);
    bool profiled = has_library(maps);
    free(maps);
    comm_of(pid, comm, sizeof comm);
    long program = profiled ? 0 : run_program(pid);
    if (program) {
        diag_error("note: process %ld is `heapprof run`; asking the program it runs, process %ld",
                   pid, program);
        free(env_buf);
        env_buf = NULL;
        return dump(program, wait_s, pid);
    }
    if (!profiled && run) {
        /* Started by `heapprof run` already, which said why the loader
         * would not load the library (static, set-ID, file capabilities):
         * the advice below would send the user back to it. */
        diag_error("process %ld (%s), which `heapprof run` (process %ld) runs, is not profiled: "
                   "libheapprof is not loaded in it (heapprof run said why when it started it)",
                   pid, comm, run);
        return DIAG_FAIL;
    }
    if (!profiled) {
        diag_error("process %ld (%s) is not profiled: libheapprof is not loaded in it (start "
                   "it with `heapprof run -- PROGRAM` or LD_PRELOAD=libheapprof.so)", pid, comm);
        return DIAG_FAIL;
    }
    hp_config cfg;
    config_parse(&cfg, env_lookup, NULL, NULL);
    if (cfg.signal == 0) {
        diag_error("process %ld (%s) has profiling by signal turned off (HEAPPROF_SIGNAL=%s); "
                   "it writes profiles only at exit or on its other triggers", pid, comm,
                   env_lookup("HEAPPROF_SIGNAL") ? env_lookup("HEAPPROF_SIGNAL") : "0");
        return DIAG_FAIL;
    }
    /* Its names are as it sees them: its own pid (a container's), and
     * paths of its own mounts. */
    char expanded[CONFIG_PATH_MAX];
    long own = own_pid(pid);
    snprintf(path, sizeof path, "/proc/%ld", pid);
    if (seqfiles_prefix(cfg.out, own, path, expanded, sizeof expanded) ||
        resolve_prefix(pid, expanded, prefix, sizeof prefix))
        return DIAG_FAIL;
    if (other_mounts(pid))
        diag_error("note: process %ld has mounts of its own (a container?): the path printed "
                   "reaches its file through /proc/%ld/, while the process runs; inside it, the "
                   "file's name starts with %s", pid, pid, expanded);
    long long before = highest(prefix, own);
    if (before < 0)
        return DIAG_FAIL;
    /* Ignored, the signal would be waited on for --wait in vain (heapprof
     * leaves a program's ignored signal ignored, and said so at its
     * start); without a handler, its default action would end the process
     * (heapprof in it not started yet, or its handler replaced). */
    char sn[32];
    char how = disposition(pid, (int)cfg.signal);
    if (how == 'i' || how == 'd') {
        diag_error(how == 'i' ? "process %ld (%s) ignores %s, so heapprof in it writes no "
                                "profile on it (HEAPPROF_SIGNAL chooses another signal; "
                                "HEAPPROF_PERIOD and HEAPPROF_HTTP need none)"
                              : "process %ld (%s) has no handler for %s, whose default action "
                                "would end it: not sent (heapprof in it has not started, or "
                                "the program replaced its handler)",
                   pid, comm, signame((int)cfg.signal, sn, sizeof sn));
        return DIAG_FAIL;
    }
    if (kill((pid_t)pid, (int)cfg.signal)) {
        if (errno == ESRCH)
            diag_error("no such process: %ld (it exited)", pid);
        else if (errno == EPERM)
            diag_error("permission denied: cannot signal process %ld (%s), which belongs to "
                       "another user (run heapprof dump as that user, or as root)", pid, comm);
        else
            diag_error("cannot signal process %ld: %s", pid, strerror(errno));
        return DIAG_FAIL;
    }
    return wait_for_file(pid, own, prefix, before, wait_s, (int)cfg.signal);
}

int cmd_dump_main(int argc, char **argv)
{
    static const struct option longs[] = {
        {"wait", required_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    double wait_s = 10;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = args_getopt(argc, argv, ":h", longs)) != -1) {
        if (c == 'h') {
            cmd_dump_usage(stdout);
            return DIAG_OK;
        }
        if (c != 'w')
            return args_getopt_error(c, argv, optind, optopt, longs);
        if (args_seconds("--wait", optarg, 0, 1e6, &wait_s))
            return DIAG_USAGE;
    }
    if (optind >= argc)
        return diag_usage("which process? (heapprof dump PID)");
    if (argc - optind > 1)
        return diag_usage("one process id at a time (got '%s' and '%s')", argv[optind],
                          argv[optind + 1]);
    long pid = 0;
    if (parse_pid(argv[optind], &pid))
        return DIAG_USAGE;
    int r = dump(pid, wait_s, 0);
    free(env_buf);
    return r;
}

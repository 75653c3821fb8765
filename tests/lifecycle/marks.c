/*
 * marks.c - the marks a process leaves for its children (src/parent.c),
 * from outside the library:
 *
 *   marks nomemfd CMD [ARGS...]   runs CMD where memfd_create is refused
 *                                 with EPERM, as a container's seccomp
 *                                 profile may refuse it: a filter that
 *                                 CMD and all it starts inherit.  heapprof
 *                                 then names anonymous pages instead
 *                                 (PR_SET_VMA_ANON_NAME, Linux 5.17,
 *                                 CONFIG_ANON_VMA_NAME); where the kernel
 *                                 has no such names, or no filter can be
 *                                 installed, there is nothing to test: a
 *                                 skip (77)
 *   marks nomemfd-any CMD [ARGS...]
 *                                 the same filter, whatever names the
 *                                 kernel has: for what needs no mark (the
 *                                 HTTP endpoint's profiles, which go into
 *                                 files then, http_body.h); skipped only
 *                                 where no filter can be installed
 *   marks hold NAME CMD [ARGS...] runs CMD as its child while holding a
 *                                 mark named NAME-<dev>-<inode> of its
 *                                 stderr, as a profiled parent would (a
 *                                 memfd's, or where that is refused a
 *                                 named anonymous page's); exits as CMD did
 *
 * The scripts run the preloaded processes under these, which are not.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PR_SET_VMA /* <linux/prctl.h> before 5.17 */
#define PR_SET_VMA 0x53564d41
#define PR_SET_VMA_ANON_NAME 0
#endif

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#endif

/* A page of `name`, anonymous: 0 or an errno (EINVAL: no such names). */
static int anon_page(const char *name)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    void *p = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return errno;
    if (prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)p, page, (unsigned long)name)) {
        int err = errno;
        munmap(p, page);
        return err;
    }
    return 0;
}

/* memfd_create answers EPERM; every other call, and another architecture's,
 * is allowed.  0 or an errno. */
static int refuse_memfd(void)
{
    struct sock_filter f[] = {
#ifdef NATIVE_ARCH
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
#endif
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_memfd_create, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {.len = sizeof f / sizeof f[0], .filter = f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0))
        return errno;
    return 0;
}

/* What /proc/self/status says of seccomp: `Seccomp:` (the mode; absent:
 * no seccomp) and `Seccomp_filters:` (Linux 5.9 and later, with filters). */
typedef struct seccomp_status {
    bool present, filters_line;
    int mode;
} seccomp_status;

static seccomp_status seccomp_of_self(void)
{
    seccomp_status st = {false, false, 0};
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f)) {
        if (!strncmp(line, "Seccomp:", 8)) {
            st.present = true;
            st.mode = atoi(line + 8);
        }
        st.filters_line |= !strncmp(line, "Seccomp_filters:", 16);
    }
    if (f)
        fclose(f);
    return st;
}

/* Whether a refused filter says only that none can be installed here:
 * no seccomp; seccomp without filters (EINVAL, where the kernel would list
 * its filters otherwise); a sandbox whose own filter refuses ours (EPERM,
 * EACCES, under a filter already).  Else (EFAULT, or EINVAL where filters
 * exist) this starter built its filter wrong: a failure, not a skip. */
static bool seccomp_unavailable(int err)
{
    seccomp_status st = seccomp_of_self();
    return !st.present || err == ENOSYS || (err == EINVAL && !st.filters_line) ||
           ((err == EPERM || err == EACCES) && st.mode != 0);
}

/* Run cmd under refuse_memfd's filter; 77 where none can be installed. */
static int run_refused(char **cmd)
{
    int err = refuse_memfd();
    if (err && seccomp_unavailable(err)) {
        printf("SKIP: no seccomp filter can be installed here: %s\n", strerror(err));
        return 77;
    }
    if (err) { /* EFAULT and the like: a filter this starter built wrong */
        fprintf(stderr, "marks: the seccomp filter was refused: %s\n", strerror(err));
        return 1;
    }
    if (memfd_create("heapprof-test-probe", MFD_CLOEXEC) >= 0 || errno != EPERM) {
        fprintf(stderr, "marks: memfd_create is not refused with EPERM under the filter\n");
        return 1;
    }
    fflush(stdout);
    execvp(cmd[0], cmd);
    fprintf(stderr, "marks: cannot run %s: %s\n", cmd[0], strerror(errno));
    return 127;
}

static int nomemfd(char **cmd)
{
    int err = anon_page("heapprof-test-probe");
    if (err) {
        printf("SKIP: the kernel names no anonymous pages (PR_SET_VMA_ANON_NAME: %s), so "
               "heapprof has no mark where memfd_create is refused\n",
               strerror(err));
        return 77;
    }
    return run_refused(cmd);
}

static int hold(const char *name, char **cmd)
{
    struct stat st = {0};
    char full[256];
    if (fstat(2, &st))
        st.st_dev = st.st_ino = 0; /* parent.c's 0:0 for no stderr */
    snprintf(full, sizeof full, "%s-%llx-%llx", name, (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    int fd = memfd_create(full, MFD_CLOEXEC);
    if (fd >= 0) {
        if (mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_NONE, MAP_PRIVATE, fd, 0) == MAP_FAILED) {
            perror("marks: mmap");
            return 1;
        }
        close(fd);
    } else {
        int err = anon_page(full);
        if (err) {
            fprintf(stderr, "marks: no mark %s can be left: %s\n", full, strerror(err));
            return 1;
        }
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("marks: fork");
        return 1;
    }
    if (pid == 0) {
        execvp(cmd[0], cmd);
        fprintf(stderr, "marks: cannot run %s: %s\n", cmd[0], strerror(errno));
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return 1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
    if (argc > 2 && !strcmp(argv[1], "nomemfd"))
        return nomemfd(argv + 2);
    if (argc > 2 && !strcmp(argv[1], "nomemfd-any"))
        return run_refused(argv + 2);
    if (argc > 3 && !strcmp(argv[1], "hold"))
        return hold(argv[2], argv + 3);
    fprintf(stderr, "usage: marks nomemfd|nomemfd-any CMD [ARGS...] | "
                    "marks hold NAME CMD [ARGS...]\n");
    return 2;
}

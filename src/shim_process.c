/*
 * shim_process.c - process-wide calls heapprof must see: exit(), exec, the
 * calls that change a process's user or group ids, and dlclose().
 *
 * exit(): POSIX leaves a second concurrent exit() undefined, and glibc's
 * answer is to _exit at once when another thread is already running the
 * exit handlers.  The exit profile is written by one of those handlers, so
 * a second exit() would kill the process halfway through writing it.  A
 * later exit() therefore waits (bounded) for the exit profile first.
 *
 * set*id, unshare, setns: why heapprof interposes them: glibc applies setuid() and its relatives
 * to every thread of the process (Linux credentials are per thread) and
 * aborts the program if any thread's call fails where the caller's
 * succeeded.  A program that drops root the way setpriv(1) does keeps its
 * capabilities with PR_SET_KEEPCAPS and capset(2), both of which act on the
 * calling thread only; the profiler's writer thread loses its capabilities
 * at the setresuid, its setresgid then fails with EPERM, and glibc aborts
 * a correct program.  So around each of these calls the profiler's own
 * threads are stopped (a dump in progress finishes first), the call runs
 * in a process of program threads only, and the threads are started again
 * by the caller, inheriting its new credentials.
 *
 * prctl(PR_SET_SECCOMP) and syscall(SYS_seccomp): a seccomp filter the
 * program installs covers the profiler's own calls too; one that may kill
 * makes heapprof stand down before it goes in (lifecycle_seccomp).  These
 * are the ways in through libc: libseccomp's seccomp_load() calls
 * syscall(), then prctl(); a sandbox that makes the system call itself is
 * not seen.  x86-64 only (raw_syscall).
 *
 * exec*: a profile being written when the image is replaced was lost,
 * and its temporary file left; the call waits for it (lifecycle.c).
 *
 * pipe2: libunwind makes its validation pipe with it on its first use,
 * which heapprof then moves out of the program's way (unwind_pipe.h);
 * every other pipe is the program's and stays as made.
 *
 * pthread_setname_np and prctl(PR_SET_NAME): a thread's new name, which
 * the thread labels read again (labels.h).
 *
 * dlclose: the object's code mappings are recorded first (retired.c), so
 * profiles written after it is unmapped still name its frames, and the
 * unwinder's cached rules are forgotten after it (unwind.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <grp.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "common.h"
#include "labels.h"
#include "lifecycle.h"
#include "real.h"
#include "retired.h"
#include "unwind.h"
#include "unwind_pipe.h"


/* The exec functions: name, parameters, arguments. */
#define EXEC_FUNCS(X)                                                                         \
    X(execve, (const char *path, char *const argv[], char *const envp[]), (path, argv, envp)) \
    X(execv, (const char *path, char *const argv[]), (path, argv))                            \
    X(execvp, (const char *file, char *const argv[]), (file, argv))                           \
    X(execvpe, (const char *file, char *const argv[], char *const envp[]),                    \
      (file, argv, envp))                                                                     \
    X(fexecve, (int fd, char *const argv[], char *const envp[]), (fd, argv, envp))            \
    X(execveat, (int dirfd, const char *path, char *const argv[], char *const envp[], int flags), \
      (dirfd, path, argv, envp, flags))

/* The calls that change a process's user or group ids: name, parameters,
 * arguments.  Each runs with the profiler's threads stopped (above). */
#define SETXID_FUNCS(X)                                     \
    X(setuid, (uid_t u), (u))                               \
    X(setgid, (gid_t g), (g))                               \
    X(seteuid, (uid_t u), (u))                              \
    X(setegid, (gid_t g), (g))                              \
    X(setreuid, (uid_t r, uid_t e), (r, e))                 \
    X(setregid, (gid_t r, gid_t e), (r, e))                 \
    X(setresuid, (uid_t r, uid_t e, uid_t s), (r, e, s))    \
    X(setresgid, (gid_t r, gid_t e, gid_t s), (r, e, s))    \
    X(setgroups, (size_t n, const gid_t *list), (n, list))

/* unshare(2) and setns(2) calls that the kernel refuses in a process with
 * more than one thread (the sandboxes and rootless container tools that make
 * them, often in a child just forked where the profiler has already started
 * its writer, would fail only because of the profiler's threads).  Checked
 * on Linux 6.18 with one idle extra thread:
 *   unshare CLONE_NEWUSER, CLONE_THREAD, CLONE_SIGHAND, CLONE_VM: EINVAL
 *     (check_unshare_flags; CLONE_NEWUSER implies CLONE_THREAD);
 *   setns into a user or mount namespace: EINVAL; into a time namespace:
 *     EUSERS (timens_install);
 *   unshare of the other namespaces, CLONE_NEWPID and CLONE_NEWTIME among
 *     them (they apply to children only), CLONE_FILES, CLONE_SYSVSEM, and
 *     setns into uts, ipc, net, pid, cgroup namespaces: allowed.
 * unshare(CLONE_NEWNS) and CLONE_FS are allowed too, but move the caller
 * alone: with the threads stopped, the writer restarted by the caller lives
 * where the program does and writes its files there.  setns's nstype 0
 * accepts a namespace of any type, a time namespace among them. */
#define NS_FUNCS(X)                                                                     \
    X(unshare, (int flags), (flags),                                                    \
      flags & (CLONE_NEWUSER | CLONE_NEWNS | CLONE_FS | CLONE_THREAD | CLONE_SIGHAND | \
               CLONE_VM))                                                               \
    X(setns, (int fd, int nstype), (fd, nstype),                                        \
      nstype == 0 || (nstype & (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWTIME)))

/* The next definitions of every call here, found when the library is
 * loaded: a vfork() child, which shares its parent's memory, would
 * otherwise look them up with dlsym, which allocates and takes the
 * loader's lock, in the parent's heap (a child that drops privileges or
 * enters a namespace before its exec, as a sandbox's launcher does, makes
 * the set*id, unshare and setns calls there); and pipe2, unlike dlsym, may
 * be called from a signal handler.  pipe2's is usually found sooner, by
 * libunwind's pipe at init (unwind_pipe.h), but not where init made none
 * (a descriptor limit below 67, a libunwind that had made its pipe before
 * heapprof started).  Found on first use only by a program that calls
 * them before our constructor runs (from a library's). */
#define NEXT_PTR(name, params, ...) static int(*next_##name) params;
EXEC_FUNCS(NEXT_PTR)
SETXID_FUNCS(NEXT_PTR)
NS_FUNCS(NEXT_PTR)
static int (*next_pipe2)(int *, int);
static int (*next_pthread_setname_np)(pthread_t, const char *);
static int (*next_dlclose)(void *);
static void (*next_exit)(int);
#define NEXT_FIND(name, params, ...) \
    if (!next_##name)                \
        next_##name = (int(*) params)real_next(#name);
__attribute__((constructor)) static void find_next(void)
{
    EXEC_FUNCS(NEXT_FIND)
    SETXID_FUNCS(NEXT_FIND)
    NS_FUNCS(NEXT_FIND)
    NEXT_FIND(pipe2, (int *fds, int flags), (fds, flags))
    NEXT_FIND(dlclose, (void *handle), (handle))
    NEXT_FIND(pthread_setname_np, (pthread_t thread, const char *name), (thread, name))
    if (!next_exit)
        next_exit = (void (*)(int))real_next("exit");
}

/* The next definition, found now if the constructor has not run yet; a
 * call with none fails with ENOSYS. */
#define NEXT_OR_ENOSYS(name, params)                   \
    if (!next_##name)                                  \
        next_##name = (int(*) params)real_next(#name); \
    if (!next_##name) {                                \
        errno = ENOSYS;                                \
        return -1;                                     \
    }

/* Forward to the next definition with the profiler's threads stopped
 * when `when` holds. */
#define QUIESCED(name, params, args, when)                 \
    EXPORT int name params                                 \
    {                                                      \
        NEXT_OR_ENOSYS(name, params)                       \
        if (!(when))                                       \
            return next_##name args;                       \
        lifecycle_quiesce();                               \
        int rc = next_##name args;                         \
        int saved = errno;                                 \
        lifecycle_resume();                                \
        errno = saved;                                     \
        return rc;                                         \
    }
#define SETXID(name, params, args) QUIESCED(name, params, args, 1)
SETXID_FUNCS(SETXID)
NS_FUNCS(QUIESCED)

EXPORT void exit(int status)
{
    if (!next_exit)
        next_exit = (void (*)(int))real_next("exit");
    lifecycle_before_exit();
    if (next_exit)
        next_exit(status);
    _exit(status); /* no next exit(): cannot happen with glibc */
}

/* Forward to the next definition, no profile being written meanwhile. */
#define EXEC(name, params, args)                           \
    EXPORT int name params                                 \
    {                                                      \
        NEXT_OR_ENOSYS(name, params)                       \
        bool held = lifecycle_before_exec();               \
        int rc = next_##name args;                         \
        int saved = errno;                                 \
        if (held)                                          \
            lifecycle_exec_failed();                       \
        errno = saved;                                     \
        return rc;                                         \
    }
EXEC_FUNCS(EXEC)

/* The list forms gather their arguments into an array, as glibc's do, and
 * go on as the array forms: glibc's call its internal execve, which no
 * preload sees.  n counts the arguments up to the NULL. */
#define GATHER(first, last, argv, n)                      \
    va_list ap;                                           \
    size_t n = 0;                                         \
    va_start(ap, last);                                   \
    for (const char *a = first; a; a = va_arg(ap, char *)) \
        n++;                                              \
    va_end(ap);                                           \
    char *argv[n + 1];                                    \
    va_start(ap, last);                                   \
    argv[0] = (char *)first;                              \
    for (size_t i = 1; i <= n; i++)                       \
        argv[i] = va_arg(ap, char *)

EXPORT int execl(const char *path, const char *arg, ...)
{
    GATHER(arg, arg, argv, n);
    va_end(ap);
    return execv(path, argv);
}

EXPORT int execlp(const char *file, const char *arg, ...)
{
    GATHER(arg, arg, argv, n);
    va_end(ap);
    return execvp(file, argv);
}

EXPORT int execle(const char *path, const char *arg, ...)
{
    GATHER(arg, arg, argv, n);
    char *const *envp = va_arg(ap, char *const *);
    va_end(ap);
    return execve(path, argv, envp);
}

EXPORT int dlclose(void *handle)
{
    if (!next_dlclose)
        next_dlclose = (int (*)(void *))real_next("dlclose");
    retired_record(handle);
    if (!next_dlclose)
        return -1; /* no next dlclose(): cannot happen with glibc */
    int rc = next_dlclose(handle);
    if (rc == 0)
        unwind_forget(); /* the next object at its addresses has other unwind rules */
    return rc;
}

/* A thread's new name, for the thread labels (labels.h).  glibc's own
 * call for the calling thread is its internal prctl, which no preload
 * sees.  A call that failed (a name over 15 bytes, a thread gone) renamed
 * nothing, and costs the program's threads no new read of their names. */
EXPORT int pthread_setname_np(pthread_t thread, const char *name)
{
    if (!next_pthread_setname_np)
        next_pthread_setname_np =
            (int (*)(pthread_t, const char *))real_next("pthread_setname_np");
    if (!next_pthread_setname_np)
        return ENOSYS;
    int rc = next_pthread_setname_np(thread, name);
    if (rc == 0)
        labels_thread_renamed();
    return rc;
}

EXPORT int pipe2(int fds[2], int flags)
{
    NEXT_OR_ENOSYS(pipe2, (int *fds, int flags))
    int rc = next_pipe2(fds, flags);
    if (rc == 0)
        unwind_pipe_made(fds, flags);
    return rc;
}

#if defined(__x86_64__)
/* The system call itself, as glibc's syscall() makes it, rather than the
 * next definition: finding that takes dlsym, which may allocate, and the
 * allocator may be the caller.  jemalloc reads overcommit_memory with
 * syscall(SYS_open) inside its initialisation, under its init lock, and a
 * dlsym there waited for that lock forever (integ_stacked, heapprof listed
 * after jemalloc). */
static long raw_syscall(long nr, const long a[6])
{
    long ret;
    __asm__ volatile("mov %5, %%r10\n\tmov %6, %%r8\n\tmov %7, %%r9\n\tsyscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a[0]), "S"(a[1]), "d"(a[2]), "r"(a[3]), "r"(a[4]), "r"(a[5])
                     : "rcx", "r11", "r8", "r9", "r10", "memory");
    if ((unsigned long)ret > -4096UL) {
        errno = (int)-ret;
        return -1;
    }
    return ret;
}

/* Both take a fixed number of register arguments; the unused ones are
 * read as glibc's own syscall() reads them, and passed on unchanged.
 * glibc's prctl() is that system call and nothing more. */
EXPORT int prctl(int option, ...)
{
    va_list ap;
    va_start(ap, option);
    long a[6] = {option};
    for (int i = 1; i < 5; i++)
        a[i] = (long)va_arg(ap, unsigned long);
    va_end(ap);
    if (option == PR_SET_SECCOMP && (a[1] == SECCOMP_MODE_STRICT || a[1] == SECCOMP_MODE_FILTER))
        lifecycle_seccomp(a[1] == SECCOMP_MODE_STRICT, (const struct sock_fprog *)a[2]);
    int rc = (int)raw_syscall(SYS_prctl, a);
    if (option == PR_SET_NAME && rc == 0) {
        int saved = errno;
        labels_thread_renamed();
        errno = saved;
    }
    return rc;
}

EXPORT long syscall(long nr, ...)
{
    va_list ap;
    va_start(ap, nr);
    long a[6];
    for (int i = 0; i < 6; i++)
        a[i] = va_arg(ap, long);
    va_end(ap);
    if (nr == SYS_seccomp && (a[0] == SECCOMP_SET_MODE_STRICT || a[0] == SECCOMP_SET_MODE_FILTER))
        lifecycle_seccomp(a[0] == SECCOMP_SET_MODE_STRICT, (const struct sock_fprog *)a[2]);
    return raw_syscall(nr, a);
}
#endif

/*
 * shim_process.c - process-wide calls heapprof must see: exit(), and the
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
 * dlclose: the object's code mappings are recorded first (retired.c), so
 * profiles written after it is unmapped still name its frames, and the
 * unwinder's cached rules are forgotten after it (unwind.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <grp.h>
#include <sched.h>
#include <sys/types.h>
#include <unistd.h>

#include "common.h"
#include "lifecycle.h"
#include "real.h"
#include "retired.h"
#include "unwind.h"

/* Forward to the next definition with the profiler's threads stopped
 * when `when` holds. */
#define QUIESCED(name, params, args, when)           \
    EXPORT int name params                           \
    {                                                \
        static int(*next) params;                    \
        if (!next)                                   \
            next = (int(*) params)real_next(#name);  \
        if (!next) {                                 \
            errno = ENOSYS;                          \
            return -1;                               \
        }                                            \
        if (!(when))                                 \
            return next args;                        \
        lifecycle_quiesce();                         \
        int rc = next args;                          \
        int saved = errno;                           \
        lifecycle_resume();                          \
        errno = saved;                               \
        return rc;                                   \
    }
#define SETXID(name, params, args) QUIESCED(name, params, args, 1)

EXPORT void exit(int status)
{
    static void (*next)(int);
    if (!next)
        next = (void (*)(int))real_next("exit");
    lifecycle_before_exit();
    if (next)
        next(status);
    _exit(status); /* no next exit(): cannot happen with glibc */
}

EXPORT int dlclose(void *handle)
{
    static int (*next)(void *);
    if (!next)
        next = (int (*)(void *))real_next("dlclose");
    retired_record(handle);
    if (!next)
        return -1; /* no next dlclose(): cannot happen with glibc */
    int rc = next(handle);
    if (rc == 0)
        unwind_forget(); /* the next object at its addresses has other unwind rules */
    return rc;
}

SETXID(setuid, (uid_t u), (u))
SETXID(setgid, (gid_t g), (g))
SETXID(seteuid, (uid_t u), (u))
SETXID(setegid, (gid_t g), (g))
SETXID(setreuid, (uid_t r, uid_t e), (r, e))
SETXID(setregid, (gid_t r, gid_t e), (r, e))
SETXID(setresuid, (uid_t r, uid_t e, uid_t s), (r, e, s))
SETXID(setresgid, (gid_t r, gid_t e, gid_t s), (r, e, s))
SETXID(setgroups, (size_t n, const gid_t *list), (n, list))

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
QUIESCED(unshare, (int flags), (flags),
         flags & (CLONE_NEWUSER | CLONE_NEWNS | CLONE_FS | CLONE_THREAD | CLONE_SIGHAND |
                  CLONE_VM))
QUIESCED(setns, (int fd, int nstype), (fd, nstype),
         nstype == 0 || (nstype & (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWTIME)))

/*
 * spin.c - the contended wait of the tables' spinlocks (common.h), and the
 * one case where it ends without the holder letting go.
 *
 * fork() never copies one of these locks held: the fork handlers take them
 * all first (lifecycle.c).  _Fork() (glibc 2.34) and a raw clone() run no
 * handlers, and a program that is single-threaded in its own eyes may then
 * allocate in the child and call exit(), as POSIX allows it.  But the
 * profiler's own threads exist in the parent, and one of them may hold a
 * live table's lock at that instant (live_fold, while it writes a profile):
 * no thread of the child will ever release the child's copy.
 *
 * So a waiter that has waited ORPHAN_CHECK rounds in a row asks whether it
 * runs in the process the profiler's threads belong to (spin_owner, kept by
 * lifecycle.c).  getpid() is a system call, so it is asked only here, in a
 * wait already long, never on the uncontended path (one exchange).  In
 * another process the waiter takes the lock over: its holder is not there,
 * unless it is one of the child's own threads, preempted for all that
 * time.  What the profiler's threads hold a table's lock for only reads
 * (live_fold), so the copy they leave behind is whole; the profiler's
 * heap, whose lock they hold to write, is left alone once its lock was
 * taken over (mem.c).  A vfork() child shares the parent's locks and their
 * holders do exist; it may not allocate at all (POSIX), and one that does
 * would take a lock over only after the same long wait.
 */
#include "common.h"

#include <errno.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* A waiter yields SLEEP_AFTER times, then sleeps SLEEP_NS at a time.  A
 * waiter of real-time priority (SCHED_FIFO, SCHED_RR) yields only to
 * threads of its priority or above: a holder of normal priority on the
 * same CPU (the writer, folding a live table) never ran again, and the
 * program's thread stood in malloc until the kernel's real-time throttling
 * gave the other threads their 5 % (0.94 s, two runs in three: an RT
 * thread's malloc+free pairs, all threads on one CPU, a profile every
 * 10 ms).  A sleep leaves the CPU to any holder.  The sleep is the raw
 * system call: the library's clock_nanosleep is a cancellation point, and
 * this may run inside the program's malloc with a cancel pending.
 *
 * Every ORPHAN_CHECK rounds (about 60 ms) the wait asks whether the holder
 * is in this process at all: far longer than any critical section these
 * locks guard. */
enum { SLEEP_AFTER = 64, SLEEP_NS = 20000, ORPHAN_CHECK = 1024 };

static pid_t owner; /* 0: not known, never take a lock over */

void spin_set_owner(pid_t pid) { __atomic_store_n(&owner, pid, __ATOMIC_RELAXED); }

bool spin_wait(int *l)
{
    for (unsigned n = 1; __atomic_load_n(l, __ATOMIC_RELAXED); n++) {
        if (n <= SLEEP_AFTER) {
            sched_yield();
        } else {
            struct timespec ts = {0, SLEEP_NS};
            int saved = errno; /* EINTR, or a seccomp filter's errno: the program's errno stays */
            syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &ts, NULL);
            errno = saved;
        }
        if (hp_unlikely(n % ORPHAN_CHECK == 0)) {
            pid_t o = __atomic_load_n(&owner, __ATOMIC_RELAXED);
            pid_t me = getpid(); /* < 0 when a seccomp filter refuses it: no answer */
            if (o && me > 0 && me != o) {
                __atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE); /* held, whoever let go */
                return true;
            }
        }
    }
    return false;
}

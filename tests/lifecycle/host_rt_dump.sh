#!/usr/bin/env bash
# lifecycle_host_rt_dump: a program thread of real-time priority that calls
# heapprof_dump() while heapprof's writer (normal priority) writes a
# profile waits for the writer's dump lock.  A real-time thread of the
# program computing on the same CPU then held both back: the writer never
# ran, and heapprof_dump() took 0.95 s, until the kernel's real-time
# throttling.  The lock inherits priority: while the real-time thread
# waits, the writer runs at its priority.  holdsync.c, listed first, keeps
# the writer inside the lock (in its fdatasync) until the test has read the
# writer's priority.
source "$(dirname "$0")/lib.sh"
need_env LC_HOST LC_HOLDSYNC
HEAPPROF_LIB="$LC_HOLDSYNC $HEAPPROF_LIB"

mkdir "$W/out"
run rt HOLDSYNC_FILE="$W/go" HEAPPROF_OUT="$W/out/p" -- "$LC_HOST" rt_dump "$W/out" "$W/go"
[[ $RC -ne 77 ]] || skip "real-time priority is refused here (SCHED_FIFO needs CAP_SYS_NICE or RLIMIT_RTPRIO)"
expect_rc rt 0
prio=$(sed -n 's/^writer_prio=//p' "$W/rt.out")
[[ -n $prio ]] || fail "the program did not report the writer's priority: $(cat "$W/rt.out" "$W/rt.err")"
((prio < 0)) ||
    fail "while a SCHED_FIFO thread waited for the writer's dump lock, the writer ran at priority $prio (normal), not at the waiter's: the lock does not inherit priority"
grep -qx 'dump=0' "$W/rt.out" || fail "the real-time thread's heapprof_dump() failed: $(cat "$W/rt.out")"
gz_ok "$W/out/api.pb.gz"
no_heapprof_lines rt
note "ok: the writer ran at priority $prio while a SCHED_FIFO 20 thread waited for its lock"

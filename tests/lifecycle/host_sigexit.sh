#!/usr/bin/env bash
# lifecycle_host_sigexit: a program whose signal handler calls exit() (a
# SIGPROF timer here; SIGINT and SIGTERM handlers that do so are common),
# and the signal interrupts heapprof's own code in a sample, every
# allocation being one (HEAPPROF_SAMPLE=1).  The sample may hold a live or
# stack table's lock, which the exit profile then waited for forever: the
# program hung where without heapprof it exits.  It must exit with its
# status every time; where it interrupted heapprof's work, with one line
# saying why there is no exit profile.  Several runs, as where the timer
# lands differs from one to the next.
source "$(dirname "$0")/lib.sh"
need_env LC_HOST

RUNS=20
lines=0
for i in $(seq 1 "$RUNS"); do
    start "r$i" HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/p$i" -- "$LC_HOST" sigexit
    finish "$BGPID" 30
    grep -q '^skip: ' "$W/r$i.out" && skip "$(cat "$W/r$i.out")"
    expect_rc "r$i" 3
    bad=$(hp_msgs "$W/r$i.err" | grep -vxF "exit() was called while this thread was inside heapprof (from a signal handler?), which may hold the locks a profile needs: no exit profile" || true)
    [[ -z $bad ]] || fail "r$i: unexpected profiler lines: $bad"
    n=$(hp_count "$W/r$i.err")
    [[ $n -le 1 ]] || fail "r$i: expected one line at most, found $n: $(cat "$W/r$i.err")"
    lines=$((lines + n))
    no_tmp_left "$W"
done
note "ok: $RUNS runs exited from the handler with their status ($lines of them from inside heapprof, without an exit profile)"

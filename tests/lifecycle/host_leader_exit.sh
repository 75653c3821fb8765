#!/usr/bin/env bash
# lifecycle_host_leader_exit: a program whose main thread ends with
# pthread_exit() while another of its threads works on; the process ends
# with that thread.  glibc dlopens libgcc_s for the main thread's unwind,
# and libgcc_s, loaded after the libunwind that libheapprof.so needs, bound
# its own calls of the _Unwind_* functions to libunwind's, of another
# context: every such program aborted (exit status 134) in
# _Unwind_ForcedUnwind.  libheapprof.so now needs libgcc_s before
# libunwind.  Then with heapprof's threads running (the writer, started by
# the default HEAPPROF_SIGNAL, a period; the HTTP server's): glibc counted
# them among the process's threads, so the process lived on after the
# program's last thread ended, until SIGKILL (they block every signal).
# They are now off glibc's count (threads.c).  And a main thread that calls
# pthread_exit() as the only thread of the program.
source "$(dirname "$0")/lib.sh"
need_env LC_HOST

run_plain plain -- "$LC_HOST" leader_exit
expect_rc plain 0
mkdir "$W/out"
# The abort depended on where things were mapped (two runs in three): ten.
for i in 1 2 3 4 5 6 7 8 9 10; do
    run leader HEAPPROF_SIGNAL=off HEAPPROF_OUT="$W/out/p" -- "$LC_HOST" leader_exit
    [[ $RC -ne 134 ]] || fail "run $i: the program aborted when its main thread called pthread_exit (libgcc_s's unwind bound to libunwind's _Unwind_*)"
    expect_rc leader 0
    [[ $(cat "$W/leader.out") == "$(cat "$W/plain.out")" ]] ||
        fail "run $i: the program printed '$(cat "$W/leader.out")', without the profiler '$(cat "$W/plain.out")'"
    no_heapprof_lines leader
done
# Each run's exit profile, written by its last thread.
n=$(find "$W/out" -name '*.pb.gz' | wc -l)
[[ $n -eq 10 ]] || fail "expected the exit profiles of 10 runs, found $n"
for f in "$W"/out/*.pb.gz; do gz_ok "$f"; done
note "ok: pthread_exit() from main in 10 runs, the last thread ends the process as without the profiler"

# threads of heapprof's running: each run must end by itself, with the
# program's output and its exit profile.
check_ends() { # NAME HOW [VAR=VALUE...]
    local name=$1 how=$2; shift 2
    mkdir "$W/$name.d"
    start "$name" HEAPPROF_OUT="$W/$name.d/p" "$@" -- "$LC_HOST" leader_exit $how
    finish "$BGPID" 30
    expect_rc "$name" 0
    [[ $(cat "$W/$name.out") == "$(cat "$W/plain_$how.out")" ]] ||
        fail "$name: the program printed '$(cat "$W/$name.out")', without the profiler '$(cat "$W/plain_$how.out")'"
    local f hp
    # the HTTP server's address is its one line (the profiler's lines read
    # whole first: a grep that failed, or was cut short by grep -q's exit
    # under pipefail, passed the check)
    hp=$(grep -E -- "$HP_ANY" "$W/$name.err") || [[ $? -eq 1 ]] || fail "$name: cannot read $W/$name.err"
    if [[ -n $hp ]] && grep -qv 'serving http://' <<<"$hp"; then
        fail "$name: the profiler printed $(grep -v 'serving http://' <<<"$hp" | head -n 1)"
    fi
    f=$(find "$W/$name.d" -name '*.pb.gz' | sort | tail -n 1)
    [[ -n $f ]] || fail "$name: no exit profile was written"
    gz_ok "$f"
}
run_plain plain_worker -- "$LC_HOST" leader_exit worker
expect_rc plain_worker 0
run_plain plain_alone -- "$LC_HOST" leader_exit alone
expect_rc plain_alone 0
for i in 1 2 3; do
    check_ends "writer$i" worker
    check_ends "threads$i" worker HEAPPROF_PERIOD=0.05 HEAPPROF_HTTP=127.0.0.1:0
    check_ends "alone$i" alone HEAPPROF_PERIOD=0.05 HEAPPROF_HTTP=127.0.0.1:0
done
note "ok: with heapprof's writer and HTTP threads running, the process ends with the program's last thread"

# The writer's lines once the main thread has ended: they reach fd 2
# through a pidfd of the process, which reached no table then (ESRCH), and
# every one was lost; only the exit profile's line, written by the last
# thread, showed.  Profiles into a missing directory every 50 ms for the
# 2 s the thread sleeps: the first periodic failure is the writer's line
# (the later ones, failing alike, are not said: writer.c).
start slow HEAPPROF_PERIOD=0.05 HEAPPROF_OUT="$W/missing/p" -- "$LC_HOST" leader_exit slow
finish "$BGPID" 30
expect_rc slow 0
grep -q 'cannot write profile' "$W/slow.err" ||
    fail "not even the exit profile's failure was said: $(cat "$W/slow.err")"
if ! grep -q 'a periodic or high-water profile failing the same way' "$W/slow.err"; then
    if [[ $(uname -r | awk -F. '{print ($1 > 6 || ($1 == 6 && $2 >= 9))}') == 0 ]]; then
        note "skipped the writer's lines after the main thread's end: Linux $(uname -r) has no PIDFD_THREAD (6.9)"
    else
        fail "with the main thread ended, the writer's line about its periodic profile was lost: $(cat "$W/slow.err")"
    fi
fi

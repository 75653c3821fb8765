#!/usr/bin/env bash
# lifecycle_host_leader_exit: a program whose main thread ends with
# pthread_exit() while another of its threads works on; the process ends
# with that thread.  glibc dlopens libgcc_s for the main thread's unwind,
# and libgcc_s, loaded after the libunwind that libheapprof.so needs, bound
# its own calls of the _Unwind_* functions to libunwind's, of another
# context: every such program aborted (exit status 134) in
# _Unwind_ForcedUnwind.  libheapprof.so now needs libgcc_s before
# libunwind.  Run without a thread of heapprof's (HEAPPROF_SIGNAL=off, no
# other trigger): one of its threads, still running, would keep the process
# alive after the program's last thread (README, "Known limitations").
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

#!/usr/bin/env bash
# lifecycle_host_relative_out: a relative HEAPPROF_OUT (the default
# "heapprof" here) is relative to the directory the program started in,
# not to wherever it is when a profile is written: a program that works in
# a scratch directory, asks for a profile there, then leaves and removes it
# must succeed (ENOTEMPTY otherwise), and both profiles (the one asked for
# and the exit profile) are in the start directory.
source "$(dirname "$0")/lib.sh"
need_env LC_HOST

mkdir -p "$W/start" "$W/base"
cd "$W/start"
run chdir -- "$LC_HOST" chdir "$W/base"
expect_rc chdir 0
grep -qx dump=0 "$W/chdir.out" || fail "the profile asked for in the scratch directory was not written: $(cat "$W/chdir.out") $(cat "$W/chdir.err")"
grep -qx rmdir=0 "$W/chdir.out" || fail "the program could not remove its scratch directory: $(cat "$W/chdir.out")"
pid=$(pids_of "$W/start/heapprof")
[[ -n $pid ]] || fail "no profile under $W/start/heapprof: $(find "$W" -name '*.pb.gz')"
[[ $(expect_contiguous "$W/start/heapprof" "$pid") -eq 2 ]] ||
    fail "expected 2 profiles in the start directory, found: $(profiles "$W/start/heapprof" | xargs -rn1 basename | tr '\n' ' ')"
no_heapprof_lines chdir
note "ok: profiles stay in the start directory while the program works elsewhere"

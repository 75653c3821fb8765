#!/usr/bin/env bash
# lifecycle_ctor_dump: heapprof_dump(NULL) in the constructor of a library
# the program links, which runs before the profiler's own, writes
# PREFIX.<pid>.0001.pb.gz under HEAPPROF_OUT, and the exit profile follows
# it as 0002.  The prefix, expanded in the profiler's constructor, was still
# empty then: the profile went to .<pid>.0001.pb.gz in the current
# directory, and the exit profile took 0001 again.
source "$(dirname "$0")/lib.sh"
need_env LC_CTORDUMP

mkdir -p "$W/cwd" "$W/out"
cd "$W/cwd"
run r HEAPPROF_OUT="$W/out/prof" -- "$LC_CTORDUMP"
cd "$W"
expect_rc r 0
grep -qx "ctor dump 0" "$W/r.out" || fail "expected 'ctor dump 0', found: $(cat "$W/r.out")"
stray=$(ls -A "$W/cwd")
[[ -z $stray ]] || fail "expected nothing in the current directory, found: $stray"
pid=$(pids_of "$W/out/prof")
[[ -n $pid ]] || fail "no profile under $W/out/prof; $W/out holds: $(ls -A "$W/out")"
got=$(seqs_of "$W/out/prof" "$pid" | tr '\n' ' ')
[[ $got == "1 2 " ]] || fail "expected profiles 0001 (the constructor's) and 0002 (exit) of pid $pid, found: $got; $W/out holds: $(ls -A "$W/out")"
for f in $(profiles "$W/out/prof" "$pid"); do
    gzip -t "$f" || fail "$f is not a complete gzip file"
done
note "ok: the constructor's profile is $W/out/prof.$pid.0001.pb.gz, the exit profile 0002"

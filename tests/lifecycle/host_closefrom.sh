#!/usr/bin/env bash
# lifecycle_host_closefrom: a daemon closes every descriptor from 3 up
# (closefrom, close_range) and opens a file of its own, which gets fd 3,
# while the profiler's writer is writing a profile (HEAPPROF_PERIOD).  The
# profile's bytes must not go into the program's file, and the profiler must
# not close the program's descriptor when it finishes its own file.
source "$(dirname "$0")/lib.sh"
need_env LC_HOST

run cf HEAPPROF_OUT="$W/p" HEAPPROF_PERIOD=0.001 HEAPPROF_SAMPLE=1 -- \
    "$LC_HOST" closefrom "$W/data" 3
[[ $RC -eq 0 ]] || fail "the program's descriptor 3 was written or closed by the profiler (exit $RC): $(cat "$W/cf.out")"
grep -q '^rounds=[1-9]' "$W/cf.out" || fail "the program did not run its rounds: $(cat "$W/cf.out")"
for f in $(profiles "$W/p"); do
    gz_ok "$f"
done
note "ok: $(cat "$W/cf.out"); the profiles under final names are complete"

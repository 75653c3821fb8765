#!/usr/bin/env bash
# integ_cgroup_fifo: a HEAPPROF_CGROUP directory whose files are FIFOs
# (a wrong setting, or a file system that is not cgroupfs) must not block
# the program: the exit profile reads the cgroup figures for its comments,
# and an open() of a FIFO blocked it, and the program's exit with it.  The
# program's output and status are those of the run without the preload,
# the profile is written, without cgroup figures.
source "$(dirname "$0")/lib.sh"
need_env PROG_PLAIN

cg=$W/cg
mkdir -p "$cg"
for f in memory.current memory.max memory.high memory.events; do
    mkfifo "$cg/$f"
done
run_plain base -- "$PROG_PLAIN"
# timeout (preloaded too) neither reads the cgroup nor writes a profile.
run fifo HEAPPROF_ON_EXIT=0 HEAPPROF_OUT="$W/p" -- \
    timeout -s KILL 20 env HEAPPROF_ON_EXIT=1 HEAPPROF_CGROUP="$cg" "$PROG_PLAIN"
[[ $RC -ne 137 ]] || fail "the program hung at exit (killed after 20 s) with cgroup files that are FIFOs"
[[ $RC -eq 7 ]] && cmp -s "$W/base.out" "$W/fifo.out" ||
    fail "exit status $RC or output differs from the run without the preload: $(cat "$W/fifo.out")"
p=$(newest_profile "$W/p")
summarize "$p"
# The cgroup comments read whole first, and there: a grep that failed or
# found none passed the check.
cgc=$(grep '^comment .*cgroup' "$p.sum") || fail "no cgroup comments in $p.sum: $(grep '^comment' "$p.sum")"
grep -q '^comment cgroup memory\.current=' <<<"$cgc" || fail "the profile has no line of cgroup figures: $cgc"
if grep -q '[a-z]=[0-9]' <<<"$cgc"; then
    fail "the profile shows cgroup figures read from FIFOs: $cgc"
fi
note "ok"

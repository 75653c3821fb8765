#!/usr/bin/env bash
# lifecycle_start_scan: a process reads its output directory once at its
# start, for the sequence number to continue from (an exec in place) and
# the temporary files of dead processes to remove together.  It read it
# twice, and a build profiled as a whole (`heapprof run -- make`) fills
# one directory with a profile per process: with 20 000 files there, each
# start took 8 ms more CPU.  countdents.c, listed first, counts the passes.
source "$(dirname "$0")/lib.sh"
need_env LC_COUNTDENTS
HEAPPROF_LIB="$LC_COUNTDENTS $HEAPPROF_LIB"

mkdir "$W/d"
for i in $(seq 100); do : >"$W/d/p.$((100000 + i)).0001.pb.gz"; done
dead=$(bash -c 'echo $$')
echo partial >"$W/d/p.$dead.0001.pb.gz.$dead.tmp"
run start HEAPPROF_ON_EXIT=0 HEAPPROF_OUT="$W/d/p" -- /bin/true
expect_rc start 0
passes=$(sed -n 's/^dir_passes=//p' "$W/start.err")
[[ -n $passes ]] || fail "countdents.c printed no count: $(cat "$W/start.err")"
((passes == 1)) || fail "the process read its output directory $passes times at its start, not once"
[[ ! -e $W/d/p.$dead.0001.pb.gz.$dead.tmp ]] || fail "the stale temporary file of dead process $dead was not removed"
no_heapprof_lines start
note "ok: one pass over a directory of 101 files at start, the stale file removed"

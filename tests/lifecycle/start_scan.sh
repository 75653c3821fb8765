#!/usr/bin/env bash
# lifecycle_start_scan: what a process reads of its output directory when
# it starts (dump_start_scan).  A build run as a whole (`heapprof run -o
# prof/ -- make`) fills one directory with a profile per process, and each
# start read it all, twice: with 20 000 names there, 8 ms more CPU per
# start, and more the longer the build ran.  Now:
#  1. a small directory is read once: the temporary file of a dead process
#     is removed, and the sequence needs no pass (no .0001 of our pid);
#  2. an exec in place (the same pid, its .0001 there) continues the
#     sequence after the files of the image before;
#  3. a directory of 60 000 names is read by about one start in k (k >= 5
#     here), not by each: of 10 starts, fewer than 10 read it (all 10
#     sweep with probability below 1e-6).
#  4. so is one of 4 000 names (225 KiB on ext4, 80 KB on tmpfs), which
#     each start read while the sweep's share was 256 KiB: fewer than 6 of
#     10 starts read it now (k >= 5).
# countdents.c, listed first, counts the passes (getdents64 calls that
# return 0).
source "$(dirname "$0")/lib.sh"
need_env LC_COUNTDENTS
HEAPPROF_LIB="$LC_COUNTDENTS $HEAPPROF_LIB"

passes_of() {
    local p
    p=$(sed -n 's/^dir_passes=//p' "$W/$1.err")
    [[ -n $p ]] || fail "$1: countdents.c printed no count: $(cat "$W/$1.err")"
    echo "$p"
}

# 1.
mkdir "$W/d"
for i in $(seq 100); do : >"$W/d/p.$((100000 + i)).0001.pb.gz"; done
dead=$(bash -c 'echo $$')
echo partial >"$W/d/p.$dead.0001.pb.gz.$dead.tmp"
run small HEAPPROF_ON_EXIT=0 HEAPPROF_OUT="$W/d/p" -- /bin/true
expect_rc small 0
passes=$(passes_of small)
((passes == 1)) || fail "1: the process read its small output directory $passes times at its start, not once"
[[ ! -e $W/d/p.$dead.0001.pb.gz.$dead.tmp ]] || fail "1: the stale temporary file of dead process $dead was not removed"
no_heapprof_lines small

# 2. The shell writes its pid's .0001, then execs the profiled program.
set +e
env HEAPPROF_OUT="$W/d/q" LD_PRELOAD="$HEAPPROF_LIB" bash -c \
    ': >"$0.$$.0001.pb.gz"; echo $$; exec /bin/true' "$W/d/q" >"$W/inplace.out" 2>"$W/inplace.err"
RC=$?
set -e
expect_rc inplace 0
pid=$(head -n 1 "$W/inplace.out")
[[ -e $W/d/q.$pid.0002.pb.gz ]] ||
    fail "2: after an exec in place over q.$pid.0001.pb.gz, the exit profile is not q.$pid.0002.pb.gz: $(ls "$W/d" | grep '^q\.' | head)"
[[ ! -s $W/d/q.$pid.0001.pb.gz ]] || fail "2: q.$pid.0001.pb.gz of the image before the exec was overwritten"
gz_ok "$W/d/q.$pid.0002.pb.gz"

# ten_starts NAME NAMES: a directory $W/NAME of NAMES profiles' names,
# and 10 profiled starts with their prefix there; PASSES is how many read
# it (at most once each).
ten_starts() {
    local name=$1 names=$2 i p
    mkdir "$W/$name"
    (cd "$W/$name" && seq 100000 $((100000 + names - 1)) | sed 's/$/.0001.pb.gz/; s/^/p./' | xargs touch)
    PASSES=0
    for i in $(seq 10); do
        run "$name$i" HEAPPROF_ON_EXIT=0 HEAPPROF_OUT="$W/$name/p" -- /bin/true
        expect_rc "$name$i" 0
        p=$(passes_of "$name$i")
        ((p <= 1)) || fail "$name: a start read the directory of $names names $p times"
        PASSES=$((PASSES + p))
    done
}

# 3.
ten_starts big 60000
total=$PASSES
((total < 10)) || fail "3: each of 10 starts read the directory of 60 000 names ($(stat -c %s "$W/big") bytes)"

# 4.
ten_starts mid 4000
mid=$PASSES
((mid < 6)) || fail "4: $mid of 10 starts read the directory of 4 000 names ($(stat -c %s "$W/mid") bytes)"
note "ok: one pass over a small directory at start, the stale file removed; an exec in place continued at 0002; $total of 10 starts read a directory of 60 000 names, $mid of 10 one of 4 000"

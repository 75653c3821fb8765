#!/usr/bin/env bash
# live_limit: HEAPPROF_LIMIT_DUMP against cgroup files faked through
# HEAPPROF_CGROUP (a directory of memory.current/max/high/events files this
# script rewrites):
#  - one profile per crossing of PERCENT of memory.max, reason=limit and
#    the cgroup figures in its comments; none while usage stays above, none
#    for a dip that stays inside the hysteresis band, another after usage
#    really fell and rose again;
#  - memory.high, when set, is the limit used;
#  - /metrics shows the cgroup figures (+Inf for "max");
#  - with no cgroup limit, HEAPPROF_LIMIT_BYTES against RSS;
#  - unreadable cgroup files: one stderr line, no profile, no crash;
#  - a HEAPPROF_CGROUP that names no directory: one line says so, with or
#    without HEAPPROF_LIMIT_DUMP.
source "$(dirname "$0")/lib.sh"
need curl curl

cg=$W/cg
mkdir -p "$cg"
put() { printf '%s\n' "$2" >"$cg/$1.tmp" && mv -f "$cg/$1.tmp" "$cg/$1"; }
M=$((1 << 20))
put memory.max $((100 * M))
put memory.high max
put memory.current $((50 * M))
printf 'low 0\nhigh 7\nmax 2\noom 1\noom_kill 3\n' >"$cg/memory.events"

# count: N = the limit profiles written so far.  A profile it cannot read
# fails the test: it is not one fewer (which passed the checks that there
# is none, or no other), nor left to a $(...) whose failure is lost.
count() {
    local f c
    N=0
    for f in "$W"/lim.*.pb.gz; do
        [[ -e $f ]] || continue
        # (read whole before grep -q, whose early exit would SIGPIPE the pipe)
        c=$(comments "$f") || fail "cannot read the profile $f"
        if grep -q 'reason=limit' <<<"$c"; then N=$((N + 1)); fi
    done
}
wait_count() { # wait_count N SECONDS: until N limit profiles exist
    local i
    for ((i = 0; i < $2 * 20; i++)); do
        count
        ((N >= $1)) && break
        sleep 0.05
    done
    count
    [[ $N -eq $1 ]] || fail "expected $1 limit profiles, found $N"
}

start lim HEAPPROF_CGROUP="$cg" HEAPPROF_LIMIT_DUMP=80 HEAPPROF_OUT="$W/lim" HEAPPROF_ON_EXIT=0 -- labels
[[ -n $PORT ]] || fail "no serving line: $(cat "$W/lim.err")"
grep -qE "${HP_LINE}HEAPPROF_LIMIT_DUMP" "$W/lim.err" && fail "complained about the limit: $(cat "$W/lim.err")"

# /metrics: the cgroup's figures.
get /metrics >"$W/m.txt"
[[ $(metric "$W/m.txt" heapprof_cgroup_memory_max_bytes) == $((100 * M)) ]] || fail "memory.max in /metrics"
[[ $(metric "$W/m.txt" heapprof_cgroup_memory_high_bytes) == +Inf ]] || fail "memory.high=max should be +Inf"
[[ $(metric "$W/m.txt" heapprof_cgroup_memory_current_bytes) == $((50 * M)) ]] || fail "memory.current in /metrics"
[[ $(metric "$W/m.txt" 'heapprof_cgroup_memory_events_total{event="oom_kill"}') == 3 ]] || fail "oom_kill in /metrics"
[[ $(metric "$W/m.txt" 'heapprof_cgroup_memory_events_total{event="high"}') == 7 ]] || fail "high events in /metrics"

sleep 0.6
count
[[ $N -eq 0 ]] || fail "a limit profile below the threshold"
# Crossing 80% of memory.max: one profile.
put memory.current $((85 * M))
wait_count 1 30
first=$(ls "$W"/lim.*.pb.gz | head -n 1)
c=$(comments "$first")
grep -q 'reason=limit' <<<"$c" || fail "no reason=limit in $first"
grep -q "memory.current=$((85 * M)) memory.high=max memory.max=$((100 * M))" <<<"$c" ||
    fail "cgroup figures missing from the comments: $c"
grep -q 'memory.events high=7 max=2 oom=1 oom_kill=3' <<<"$c" || fail "memory.events missing from the comments: $c"
grep -q "limit_dump percent=80 threshold_bytes=$((80 * M)) of=memory.max" <<<"$c" || fail "limit line missing: $c"
grep -q "cgroup dir=$cg" <<<"$c" || fail "cgroup dir missing: $c"
grep -q 'process rss_bytes=[0-9]' <<<"$c" || fail "rss missing: $c"
# Staying above, even climbing: no more.  Each step lasts 1.5 s, past the
# 1 s that must part two limit profiles and a 0.2 s poll: a trigger wrongly
# re-armed has time to write its second one (two steps of 0.6 s left it a
# fifth of a second).
put memory.current $((90 * M))
sleep 1.5
put memory.current $((95 * M))
sleep 1.5
count
[[ $N -eq 1 ]] || fail "a second profile while usage stayed above the threshold"
# A dip inside the hysteresis band (80% - 5% of it = 76 MiB) does not re-arm.
put memory.current $((78 * M))
sleep 1.5
put memory.current $((85 * M))
sleep 1.5
count
[[ $N -eq 1 ]] || fail "a dip to 78 MiB re-armed the trigger"
# A real fall and rise: one more.  The fall lasts 1.5 s, over seven of the
# poller's 0.2 s rounds (src/cgroup.c): it must see it to re-arm.
put memory.current $((50 * M))
sleep 1.5
put memory.current $((82 * M))
wait_count 2 30
note "cgroup memory.max crossings ok"

# memory.high set: it is the limit (80% of 60 MiB = 48 MiB).
put memory.high $((60 * M))
put memory.current $((40 * M))
sleep 1.5
put memory.current $((50 * M))
wait_count 3 30
newest=$(ls "$W"/lim.*.pb.gz | sort -V | tail -n 1)
grep -q "threshold_bytes=$((48 * M)) of=memory.high" <<<"$(comments "$newest")" || fail "memory.high not used: $(comments "$newest" | grep limit_dump)"
stop lim
[[ $RC -eq 0 ]] || fail "exited $RC"
note "memory.high ok"

# No cgroup limit: HEAPPROF_LIMIT_BYTES against RSS (any process has more
# than 50% of 1 MiB resident).
put memory.max max
put memory.high max
rm -f "$W"/lim.*.pb.gz
start lb HEAPPROF_CGROUP="$cg" HEAPPROF_LIMIT_DUMP=50 HEAPPROF_LIMIT_BYTES=1m HEAPPROF_OUT="$W/lim" \
    HEAPPROF_ON_EXIT=0 -- labels
wait_count 1 30
sleep 1.2
count
[[ $N -eq 1 ]] || fail "LIMIT_BYTES: RSS stayed above, yet $N profiles"
grep -q "of=HEAPPROF_LIMIT_BYTES usage=[0-9]* (rss)" <<<"$(comments "$(ls "$W"/lim.*.pb.gz | head -n 1)")" ||
    fail "LIMIT_BYTES: $(comments "$(ls "$W"/lim.*.pb.gz | head -n 1)" | grep limit_dump)"
stop lb
note "HEAPPROF_LIMIT_BYTES ok"

# Nothing readable: one line, no profile, runs on.
rm -f "$W"/lim.*.pb.gz
start none HEAPPROF_CGROUP="$W/missing" HEAPPROF_LIMIT_DUMP=80 HEAPPROF_OUT="$W/lim" HEAPPROF_ON_EXIT=0 -- labels
grep -q 'HEAPPROF_LIMIT_DUMP=80 but no memory limit is known' "$W/none.err" || fail "no warning: $(cat "$W/none.err")"
# ... and it says why: the directory named is not there, in that one line.
grep -q "HEAPPROF_CGROUP=\"$W/missing\" cannot be read (No such file or directory)" "$W/none.err" ||
    fail "the missing HEAPPROF_CGROUP directory is not named: $(cat "$W/none.err")"
[[ $(grep -v ': serving http' "$W/none.err" | grep -c '^heapprof\[') -eq 1 ]] ||
    fail "not one line: $(cat "$W/none.err")"
get /metrics >"$W/m2.txt"
grep -q heapprof_cgroup "$W/m2.txt" && fail "cgroup metrics shown for a missing cgroup"
sleep 0.6
count
[[ $N -eq 0 ]] || fail "a limit profile without a limit"
stop none
[[ $RC -eq 0 ]] || fail "exited $RC"

# A HEAPPROF_CGROUP that is not a directory, without HEAPPROF_LIMIT_DUMP:
# one line says so (every cgroup figure would be unknown without a word).
start notdir HEAPPROF_CGROUP="$cg/memory.max" HEAPPROF_OUT="$W/lim" HEAPPROF_ON_EXIT=0 -- labels
stop notdir
[[ $RC -eq 0 ]] || fail "notdir: exited $RC"
grep -q "HEAPPROF_CGROUP=\"$cg/memory.max\" cannot be read (Not a directory): the cgroup's memory figures are unknown\$" \
    "$W/notdir.err" || fail "HEAPPROF_CGROUP naming a file: $(cat "$W/notdir.err")"
[[ $(grep -v ': serving http' "$W/notdir.err" | grep -c '^heapprof\[') -eq 1 ]] ||
    fail "notdir: $(cat "$W/notdir.err")"
# The directory of faked files, named: nothing said of it.
start named HEAPPROF_CGROUP="$cg" HEAPPROF_OUT="$W/lim" HEAPPROF_ON_EXIT=0 -- labels
stop named
grep -q HEAPPROF_CGROUP "$W/named.err" && fail "a good HEAPPROF_CGROUP: $(cat "$W/named.err")"
note "ok"

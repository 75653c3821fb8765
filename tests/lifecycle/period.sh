#!/usr/bin/env bash
# lifecycle_period: HEAPPROF_PERIOD and the coalescing of dump requests.
#  1. HEAPPROF_PERIOD=0.2 for >= 1.5 s (and until profile 0004 exists):
#     files 0001.. numbered without a gap, all readable, all reason=period
#     except the last (exit), at most one per period of the run.
#  2. A signal storm from inside: 500 SIGUSR2 in a few milliseconds while the
#     main thread is blocked in read(2): the program's output is the same as
#     without the preload and without signals, and far fewer profiles than
#     signals are written (requests during a dump merge into one), all
#     complete, numbered contiguously.
#  3. The same storm sent by this script (500 x kill -USR2) to a program
#     whose profiles take a while to write (2^12 stacks, exact mode).
source "$(dirname "$0")/lib.sh"
need_env LC_TRIGGER

check_sequence() { # PREFIX WHAT -> sets N, PID
    PID=$(pids_of "$1")
    [[ $(wc -w <<<"$PID") -eq 1 ]] || fail "$2: expected the profiles of one process, found pids: $PID"
    N=$(expect_contiguous "$1" "$PID")
    local k f
    for k in $(seq 1 "$N"); do
        f=$(printf '%s.%s.%04d.pb.gz' "$1" "$PID" "$k")
        decode "$f"
        if have_go; then
            [[ $(comment "$f.raw" seq) == "$k" ]] || fail "$f: comment seq=$(comment "$f.raw" seq), expected $k"
            [[ $(comment "$f.raw" pid) == "$PID" ]] || fail "$f: comment pid=$(comment "$f.raw" pid), expected $PID"
        fi
    done
}

# ---- 1. periodic ------------------------------------------------------------------
run per HEAPPROF_PERIOD=0.2 HEAPPROF_OUT="$W/per" -- "$LC_TRIGGER" period 1500 4
expect_rc per 0
no_heapprof_lines per
run_ms=$(awk '/run_ms/ {print $NF}' "$W/per.out")
check_sequence "$W/per" "HEAPPROF_PERIOD=0.2"
no_tmp_left "$W"
((N >= 5)) || fail "HEAPPROF_PERIOD=0.2: expected at least 4 periodic profiles and the exit profile, found $N"
if have_go; then
    for k in $(seq 1 "$N"); do
        f=$(printf '%s.%s.%04d.pb.gz' "$W/per" "$PID" "$k")
        want=period
        [[ $k -eq $N ]] && want="exit"
        [[ $(reason "$f.raw") == "$want" ]] || fail "$f: expected reason=$want, found reason=$(reason "$f.raw")"
    done
    decode_top "$(printf '%s.%s.%04d.pb.gz' "$W/per" "$PID" "$N")"
fi
max=$((run_ms / 200 + 1))
(((N - 1) <= max)) || fail "HEAPPROF_PERIOD=0.2: $((N - 1)) periodic profiles in a run of $run_ms ms, expected at most $max"
note "1: $((N - 1)) periodic profiles + exit in $run_ms ms, numbered 0001..$(printf %04d "$N")"

# ---- 2. storm from inside ----------------------------------------------------------
run_plain ref -- "$LC_TRIGGER" storm 0
expect_rc ref 0
run storm HEAPPROF_OUT="$W/storm" -- "$LC_TRIGGER" storm 500
expect_rc storm 0
no_heapprof_lines storm
grep -q 'sent 500 signals' "$W/storm.err" || fail "the storm program did not send its signals: $(cat "$W/storm.err")"
diff -u "$W/ref.out" "$W/storm.out" >&2 ||
    fail "the program's output under a storm of 500 SIGUSR2 differs from its output without preload and signals (diff above)"
check_sequence "$W/storm" "storm"
no_tmp_left "$W"
((N >= 2)) || fail "storm: expected at least one signal profile and the exit profile, found $N"
((N <= 50)) || fail "storm: 500 signals in a burst gave $N profiles, expected far fewer (at most 50): requests are not coalesced"
if have_go; then
    for k in $(seq 1 "$N"); do
        f=$(printf '%s.%s.%04d.pb.gz' "$W/storm" "$PID" "$k")
        want=signal
        [[ $k -eq $N ]] && want="exit"
        [[ $(reason "$f.raw") == "$want" ]] || fail "$f: expected reason=$want, found reason=$(reason "$f.raw")"
    done
fi
note "2: 500 signals from inside -> $N profiles (including the exit profile), output unchanged"

# ---- 3. storm from outside -------------------------------------------------------------
start wait HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/ext" -- "$LC_TRIGGER" wait "$W/ready" "$W/stop" 12
pid=$BGPID
wait_for_file "$W/ready"
t0=$(date +%s%N)
for ((i = 0; i < 500; i++)); do kill -USR2 "$pid"; done
t1=$(date +%s%N)
wait_for_file "$W/ext.$pid.0001.pb.gz"
touch "$W/stop"
finish "$pid" 60
expect_rc wait 0
no_heapprof_lines wait
grep -qx stopped "$W/wait.out" || fail "the program did not run to its end: $(cat "$W/wait.out")"
check_sequence "$W/ext" "external storm"
no_tmp_left "$W"
((N >= 2 && N <= 50)) || fail "external storm: 500 signals in $(((t1 - t0) / 1000000)) ms gave $N profiles, expected between 2 and 50"
(((t1 - t0) < 1000000000)) || note "WARNING: the machine is slow: the 500 kills took $(((t1 - t0) / 1000000)) ms, not under a second"
note "3: 500 x kill -USR2 in $(((t1 - t0) / 1000000)) ms -> $N profiles (including the exit profile)"
note "ok"

#!/usr/bin/env bash
# lifecycle_highwater: HEAPPROF_HIGHWATER=1m in exact mode.
#  A. HEAPPROF_HIGHWATER_MIN_S=0: five 3 MiB steps, each followed by its own
#     high-water profile (the program waits for it); each shows exactly the
#     steps taken and at least 1 MiB more than the previous one; after the
#     heap drops and regrows below the peak, no further high-water profile.
#  B. HEAPPROF_HIGHWATER_MIN_S=1: twenty steps 100 ms apart: high-water
#     profiles no closer than 1 s (their Time fields), each higher than the
#     previous by at least 1 MiB, at most one per second of the run.
#  C. As A, three steps, with the call that names each profile (linkat,
#     renameat2 or rename) slowed down by a preload listed first
#     (slowrename.c): each step then comes after its
#     profile is under its final name but before the writer has re-armed
#     the trigger, and must still get a profile of its own.  A crossing in
#     that window used to go unnoticed until the next sample, which a
#     program that waits never takes (seen once as a time-out of A under
#     load).
source "$(dirname "$0")/lib.sh"
need_env LC_HIGHWATER LC_SLOWRENAME

STEP=$((3 << 20))
MIB=$((1 << 20))

# ---- A ------------------------------------------------------------------------
run a HEAPPROF_SAMPLE=1 HEAPPROF_HIGHWATER=1m HEAPPROF_HIGHWATER_MIN_S=0 HEAPPROF_OUT="$W/a" \
    -- "$LC_HIGHWATER" steps 5 3
expect_rc a 0
no_heapprof_lines a
pid=$(pids_of "$W/a")
[[ $(wc -w <<<"$pid") -eq 1 ]] || fail "A: expected the profiles of one process, found pids: $pid"
n=$(expect_contiguous "$W/a" "$pid")
[[ $n -eq 6 ]] || fail "A: expected 6 profiles (5 high-water, 1 exit), found $n: $(profiles "$W/a" | xargs -n1 basename | tr '\n' ' ')"
no_tmp_left "$W"
prev_inuse=0
for k in 1 2 3 4 5; do
    f=$(printf '%s.%s.%04d.pb.gz' "$W/a" "$pid" "$k")
    decode "$f"
    have_go || continue
    r=$(reason "$f.raw")
    [[ $r == highwater ]] || fail "A: $f: expected reason=highwater, found reason=$r"
    values_eq "A: profile $k, leaf hw_step" "$(leaf "$f.raw" hw_step)" "$k $((k * STEP)) $k $((k * STEP))"
    inuse=$(totals "$f.raw" | awk '{print $4}')
    ((inuse >= prev_inuse + MIB)) ||
        fail "A: high-water profile $k: inuse_space $inuse, expected at least the previous one's $prev_inuse + 1 MiB"
    prev_inuse=$inuse
done
f=$(printf '%s.%s.%04d.pb.gz' "$W/a" "$pid" 6)
decode "$f"
if have_go; then
    r=$(reason "$f.raw")
    [[ $r == exit ]] || fail "A: after the drop and the regrowth below the peak, expected only the exit profile; profile 6 has reason=$r"
    values_eq "A: exit profile, leaf hw_step" "$(leaf "$f.raw" hw_step)" "5 $((5 * STEP)) 1 $STEP"
    values_eq "A: exit profile, leaf hw_regrow" "$(leaf "$f.raw" hw_regrow)" "3 $((3 * STEP)) 3 $((3 * STEP))"
    decode_top "$f"
fi
note "A: 5 high-water profiles, one per step, none after the regrowth below the peak"

# ---- B ------------------------------------------------------------------------
run b HEAPPROF_SAMPLE=1 HEAPPROF_HIGHWATER=1m HEAPPROF_HIGHWATER_MIN_S=1 HEAPPROF_OUT="$W/b" \
    -- "$LC_HIGHWATER" ramp 20
expect_rc b 0
no_heapprof_lines b
pid=$(pids_of "$W/b")
[[ $(wc -w <<<"$pid") -eq 1 ]] || fail "B: expected the profiles of one process, found pids: $pid"
n=$(expect_contiguous "$W/b" "$pid")
run_ms=$(awk '/run_ms/ {print $NF}' "$W/b.out")
[[ -n $run_ms ]] || fail "B: the program did not report its run time: $(cat "$W/b.out")"
no_tmp_left "$W"
hw=0 prev_t=0 prev_inuse=0 times=()
for k in $(seq 1 "$n"); do
    f=$(printf '%s.%s.%04d.pb.gz' "$W/b" "$pid" "$k")
    decode "$f"
    have_go || continue
    r=$(reason "$f.raw")
    if [[ $k -eq $n ]]; then
        [[ $r == exit ]] || fail "B: the last profile ($f) should be the exit profile, found reason=$r"
        continue
    fi
    [[ $r == highwater ]] || fail "B: $f: expected reason=highwater (no other trigger is on), found reason=$r"
    hw=$((hw + 1))
    t=$(time_ns "$f.raw")
    inuse=$(totals "$f.raw" | awk '{print $4}')
    if ((hw > 1)); then
        gap_ms=$(((t - prev_t) / 1000000))
        # 1 s apart at least (0.95 s: room for wall-clock slewing only).
        ((gap_ms >= 950)) ||
            fail "B: high-water profiles $((k - 1)) and $k are $gap_ms ms apart, expected >= 1000 ms with HEAPPROF_HIGHWATER_MIN_S=1"
        ((inuse >= prev_inuse + MIB)) ||
            fail "B: high-water profile $k: inuse_space $inuse, expected at least the previous one's $prev_inuse + 1 MiB"
        times+=("${gap_ms}ms")
    fi
    prev_t=$t prev_inuse=$inuse
done
if have_go; then
    ((hw >= 2)) || fail "B: expected at least 2 high-water profiles (the program waits for the second), found $hw"
    max=$(((run_ms + 999) / 1000 + 1))
    ((hw <= max)) || fail "B: $hw high-water profiles in a run of $run_ms ms, expected at most $max with HEAPPROF_HIGHWATER_MIN_S=1"
    note "B: $hw high-water profiles in $run_ms ms, gaps ${times[*]}"
fi
# ---- C ------------------------------------------------------------------------
lib=$HEAPPROF_LIB
HEAPPROF_LIB="$LC_SLOWRENAME $lib"
run c SLOWRENAME_MS=300 HEAPPROF_SAMPLE=1 HEAPPROF_HIGHWATER=1m HEAPPROF_HIGHWATER_MIN_S=0 \
    HEAPPROF_OUT="$W/c" -- "$LC_HIGHWATER" steps 3 0
HEAPPROF_LIB=$lib
expect_rc c 0
no_heapprof_lines c
pid=$(pids_of "$W/c")
n=$(expect_contiguous "$W/c" "$pid")
[[ $n -eq 4 ]] || fail "C: expected 4 profiles (3 high-water, 1 exit), found $n"
note "C: a crossing while the writer finished the last profile got its own"
note "ok"

#!/usr/bin/env bash
# integ_period: HEAPPROF_PERIOD=0.2 on a program running ~1.5 s writes
# several numbered profiles, all complete (each decodes and passes the
# integrity checks), numbered without gaps, cumulative, and not more of them
# than the elapsed time allows.  Exact mode: the exit profile matches the
# program's counts.
source "$(dirname "$0")/lib.sh"
need_env PROG_TRIGGER

t0=$(date +%s.%N)
# The program runs at least 1.5 s and until profile 0004 exists (60 s max).
run period HEAPPROF_SAMPLE=1 HEAPPROF_PERIOD=0.2 HEAPPROF_OUT="$W/pe" -- "$PROG_TRIGGER" run 1.5 4
t1=$(date +%s.%N)
expect_rc period 0
no_heapprof_lines period
pid=$(only_pid "$W/pe")
mapfile -t files < <(profiles "$W/pe")
n=${#files[@]}
[[ $n -ge 5 ]] || fail "expected at least 4 periodic profiles and the exit profile, found $n: ${files[*]}"
# At most one periodic profile per elapsed period (missed periods are
# skipped, never written in a burst), plus the exit profile.
max=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%d", (b - a) / 0.2 + 2}')
[[ $n -le $max ]] || fail "$n profiles in $(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}') s with a 0.2 s period: too many (at most $max)"

prev_alloc=-1 prev_time=0
for i in $(seq 1 "$n"); do
    seq4=$(printf '%04d' "$i")
    f="$W/pe.$pid.$seq4.pb.gz"
    [[ -f $f ]] || fail "profiles are not numbered without gaps: missing $f (have: ${files[*]##*/})"
    summarize "$f"
    check_header "$f.sum" 1
    if [[ $i -lt $n ]]; then
        grep -q "^comment .*reason=period seq=$i\$" "$f.sum" ||
            fail "$f: expected 'reason=period seq=$i' in the comments, found: $(grep '^comment heapprof' "$f.sum")"
    else
        grep -q "^comment .*reason=exit seq=$i\$" "$f.sum" ||
            fail "$f: expected 'reason=exit seq=$i' in the comments, found: $(grep '^comment heapprof' "$f.sum")"
    fi
    got=$(field "$f.sum" leaf tr_tick)
    a=${got:-0 0}
    a=$(cut -d' ' -f2 <<<"$a")
    [[ $a -ge $prev_alloc ]] || fail "$f: tr_tick alloc_space went down from $prev_alloc to $a (alloc_* are cumulative)"
    t=$(awk '$1=="time_nanos"{print $2}' "$f.sum")
    [[ $t -ge $prev_time ]] || fail "$f: time_nanos went backwards"
    prev_alloc=$a prev_time=$t
    pprof_quick "$f"
done
[[ $prev_alloc -gt 0 ]] || fail "tr_tick never appeared in the profiles"
compare_expect "$W/period.out" "$W/pe.$pid.$(printf '%04d' "$n").pb.gz.sum"
pprof_check "${files[0]}" tr_tick
no_tmp_left "$W"
note "ok ($n profiles)"

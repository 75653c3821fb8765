#!/usr/bin/env bash
# integ_dlopen: dlopen/dlclose of libraries on several threads while others
# malloc/free, in exact mode, with profiles written all along (every 20 ms
# and on SIGUSR2).  The program must finish (timeout 120 s), every profile
# must be complete and valid, and the churn site's totals exact.
source "$(dirname "$0")/lib.sh"
need_env PROG_DLSTRESS TINY_A TINY_B

set +e
timeout -k 5 120 env HEAPPROF_SAMPLE=1 HEAPPROF_PERIOD=0.02 HEAPPROF_OUT="$W/dl" LD_PRELOAD="$HEAPPROF_LIB" \
    "$PROG_DLSTRESS" "$TINY_A" "$TINY_B" 1000 >"$W/dl.out" 2>"$W/dl.err"
RC=$?
set -e
[[ $RC -ne 124 && $RC -ne 137 ]] || fail "the program did not finish within 120 s (deadlock?); stderr: $(tail -n 5 "$W/dl.err")"
expect_rc dl 0
no_heapprof_lines dl
pid=$(only_pid "$W/dl")
mapfile -t files < <(profiles "$W/dl")
n=${#files[@]}
[[ $n -ge 2 ]] || fail "expected several profiles (periodic, signal, exit), found $n"
for i in $(seq 1 "$n"); do
    f="$W/dl.$pid.$(printf '%04d' "$i").pb.gz"
    [[ -f $f ]] || fail "profiles are not numbered without gaps: missing $f"
    summarize "$f" --cum
    check_header "$f.sum" 1
done
last="${files[n - 1]}"
grep -q '^comment .*reason=exit' "$last.sum" || fail "$last: the last profile is not the exit profile"
compare_expect "$W/dl.out" "$last.sum"
# The allocations made by the loaded library are in the profile (by name
# when the library is mapped at dump time, else as an unnamed location).
kept=$(awk '$1=="kept_from_tiny"{print $2}' "$W/dl.out")
got=$(field "$last.sum" cum dl_thread)
[[ -n $got ]] || fail "$last: dl_thread (which calls tiny_alloc and dlopen) missing from the cumulative view"
set -- $got
[[ $3 -ge $kept ]] || fail "$last: dl_thread holds $3 objects in use, expected at least the $kept blocks kept from tiny_alloc"
no_tmp_left "$W"
# pprof opens ten profiles spread over the run (quickly), and the last one
# with symbols.  Not all: the run's length, and so the number of periodic
# profiles, grows with the machine's load (100 at a load of 11), and two
# pprof runs a profile then took the test past its timeout.  Every one was
# read whole by profile_summary above.
step=$(((n + 9) / 10))
for ((i = 0; i < n; i += step)); do
    pprof_quick "${files[i]}"
done
pprof_check "$last" dl_churn dl_thread
note "ok ($n profiles)"

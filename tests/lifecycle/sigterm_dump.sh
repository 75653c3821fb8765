#!/usr/bin/env bash
# lifecycle_sigterm_dump: SIGTERM (no handler) while profiles are being
# written back to back (HEAPPROF_PERIOD=0.001, 2^13 stacks, HEAPPROF_KEEP=3),
# at 8 different moments: never a torn file under a final name.  The dump
# the signal cut short leaves nothing where its file had no name yet
# (O_TMPFILE); a .tmp file where unnamed files are refused (README: no code
# runs).  How many did is reported.
source "$(dirname "$0")/lib.sh"
need_env LC_FAIL

tmps=0 checked=0
for i in 1 2 3 4 5 6 7 8; do
    rm -f "$W/ready"
    start loop$i HEAPPROF_SAMPLE=1 HEAPPROF_PERIOD=0.001 HEAPPROF_KEEP=3 HEAPPROF_OUT="$W/s$i" \
        -- "$LC_FAIL" dumploop "$W/ready" 13
    pid=$BGPID
    wait_for_file "$W/ready"
    wait_for_seq "$W/s$i" "$pid" 2
    sleep "0.$(printf '%03d' $((RANDOM % 150)))"
    kill -TERM "$pid"
    finish "$pid" 60
    expect_rc loop$i 143
    no_heapprof_lines loop$i
    for f in $(profiles "$W/s$i" "$pid"); do
        gz_ok "$f"
        checked=$((checked + 1))
    done
    decode "$(profiles "$W/s$i" "$pid" | tail -n 1)"
    t=$(find "$W" -maxdepth 1 -name "s$i.$pid.*.tmp" | wc -l)
    tmps=$((tmps + t))
done
note "ok: $checked files under final names, all complete; $tmps of 8 runs left a .tmp file (the dump SIGTERM cut short)"

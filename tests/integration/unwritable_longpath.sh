#!/usr/bin/env bash
# integ_unwritable_longpath: HEAPPROF_OUT accepts prefixes up to ~3000
# characters; when such a path cannot be written, each line printed (the
# directory's at start, the exit profile's) must still carry the whole path
# and the errno text.
source "$(dirname "$0")/lib.sh"
need_env PROG_PLAIN

a=$(printf 'a%.0s' $(seq 1 200))
prefix="$W/missing/$a/$a/$a/x" # ~650 characters, within HEAPPROF_OUT's limit
run long HEAPPROF_OUT="$prefix" -- "$PROG_PLAIN"
[[ $RC -eq 7 ]] || fail "exit status $RC, expected 7"
[[ $(hp_count "$W/long.err") -eq 2 ]] || fail "expected two 'heapprof[PID]:' lines: $(cat "$W/long.err")"
start=$(hp_lines "$W/long.err" | head -n 1)
[[ $start == *"profiles cannot be written in ${prefix%/x} (HEAPPROF_OUT): No such file or directory; "* ]] ||
    fail "the start line does not carry the whole directory and the errno text (${#start} characters): $start"
line=$(hp_lines "$W/long.err" | tail -n 1)
[[ $line == *"$prefix."*".0001.pb.gz"* ]] ||
    fail "the message does not carry the whole path (${#prefix} characters); it is ${#line} characters long: $line"
[[ $line == *"No such file or directory"* ]] ||
    fail "the message lost the errno text (line of ${#line} characters, truncated): ...${line: -80}"
note "ok"

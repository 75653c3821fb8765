#!/usr/bin/env bash
# integ_unwritable_longpath: HEAPPROF_OUT accepts prefixes up to ~3000
# characters; when such a path cannot be written, the one line printed must
# still carry the whole path and the errno text.
source "$(dirname "$0")/lib.sh"
need_env PROG_PLAIN

a=$(printf 'a%.0s' $(seq 1 200))
prefix="$W/missing/$a/$a/$a/x" # ~650 characters, within HEAPPROF_OUT's limit
run long HEAPPROF_OUT="$prefix" -- "$PROG_PLAIN"
[[ $RC -eq 7 ]] || fail "exit status $RC, expected 7"
[[ $(hp_count "$W/long.err") -eq 1 ]] || fail "expected one 'heapprof[PID]:' line: $(cat "$W/long.err")"
line=$(hp_lines "$W/long.err")
[[ $line == *"$prefix."*".0001.pb.gz"* ]] ||
    fail "the message does not carry the whole path (${#prefix} characters); it is ${#line} characters long: $line"
[[ $line == *"No such file or directory"* ]] ||
    fail "the message lost the errno text (line of ${#line} characters, truncated): ...${line: -80}"
note "ok"

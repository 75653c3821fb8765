#!/usr/bin/env bash
# integ_thread_labels: HEAPPROF_THREAD_LABEL puts each sample under its
# thread's name (pprof sample label `thread`), in exact mode: integ_threadnames
# (see its header) makes 10 objects in each of io-1, io-22 and db, 4 in
# early and 6 in late (one thread renamed with prctl, both inside
# component=cache), 5 in main and 2 in db before main named it (the
# program's name, as the kernel cuts it: integ_threadnam).  `pool` folds digits (io-* holds 20); `off`, the
# default, writes no thread label; a bad value is one line and off.
source "$(dirname "$0")/lib.sh"
need_env PROG_THREADNAMES
require_go

# The live bytes of tn_alloc in profile $1 under pprof options $2...
tn() {
    local p=$1
    shift
    go tool pprof -unit=B -top -sample_index=inuse_space "$@" "$p" 2>/dev/null |
        awk '$NF == "tn_alloc" {sub(/B$/, "", $1); print $1; f = 1} END {if (!f) print 0}'
}

check() { # MODE; then pairs of TAGFOCUS EXPECTED_BYTES
    local mode=$1
    shift
    run "$mode" HEAPPROF_SAMPLE=1 HEAPPROF_THREAD_LABEL="$mode" HEAPPROF_OUT="$W/$mode" -- "$PROG_THREADNAMES"
    [[ $RC -eq 0 && $(cat "$W/$mode.out") == ok ]] || fail "$mode: integ_threadnames: $RC $(cat "$W/$mode.out" "$W/$mode.err")"
    no_heapprof_lines "$mode"
    local p
    p=$(newest_profile "$W/$mode")
    [[ $(tn "$p") == 47000 ]] || fail "$mode: tn_alloc should hold 47000 B live in all: $(tn "$p")"
    while (($#)); do
        local got
        got=$(tn "$p" -tagfocus "$1")
        [[ $got == "$2" ]] || fail "$mode: -tagfocus $1: tn_alloc holds $got B, expected $2"
        shift 2
    done
    note "$mode ok"
}

check name 'thread=^io-1$' 10000 'thread=^io-22$' 10000 'thread=^db$' 10000 \
    'thread=^early$' 4000 'thread=^late$' 6000 'thread=^integ_threadnam$' 7000 \
    'component=cache' 10000 'thread=^io-\*$' 0
check pool 'thread=^io-\*$' 20000 'thread=^db$' 10000 'thread=^early$' 4000 'thread=^late$' 6000 \
    'thread=^io-1$' 0
check off 'thread=.' 0 'component=cache' 10000

# A bad value: one line naming the choices, and no thread labels.
run bad HEAPPROF_SAMPLE=1 HEAPPROF_THREAD_LABEL=threads HEAPPROF_OUT="$W/bad" -- "$PROG_THREADNAMES"
[[ $RC -eq 0 ]] || fail "bad value: integ_threadnames exited $RC"
grep -q 'HEAPPROF_THREAD_LABEL="threads" is not one of off|name|pool; using the default off' "$W/bad.err" ||
    fail "bad value: no line naming the choices: $(cat "$W/bad.err")"
[[ $(tn "$(newest_profile "$W/bad")" -tagfocus 'thread=.') == 0 ]] || fail "bad value: thread labels written"
note "ok"

#!/usr/bin/env bash
# integ_thread_labels: HEAPPROF_THREAD_LABEL puts each sample under its
# thread's name (pprof sample label `thread`), in exact mode: integ_threadnames
# (see its header) makes 10 objects in each of io-1, io-22 and db, 4 in
# early and 6 in late (one thread renamed with prctl, both inside
# component=cache), 5 in main and 2 in db before main named it (the
# program's name, as the kernel cuts it: integ_threadnam).  `pool` folds digits (io-* holds 20); `off`, the
# default, writes no thread label; a bad value is one line and off.
# `heapprof top`, `flame` and `leaks --tag KEY=PATTERN` select the same
# samples without Go.
source "$(dirname "$0")/lib.sh"
need_env PROG_THREADNAMES INTEG_CLI
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
    last=$p
}

check name 'thread=^io-1$' 10000 'thread=^io-22$' 10000 'thread=^db$' 10000 \
    'thread=^early$' 4000 'thread=^late$' 6000 'thread=^integ_threadnam$' 7000 \
    'component=cache' 10000 'thread=^io-\*$' 0
# The CLI's --tag on the name profile: flat bytes of tn_alloc (--raw).
cli_tn() {
    "$INTEG_CLI" top "$last" --raw -n 0 "$@" 2>"$W/cli.err" |
        awk '$NF == "tn_alloc" {print $1; f = 1} END {if (!f) print 0}'
}
cli_check() { # EXPECTED --tag ARGS...
    local want=$1 got
    shift
    got=$(cli_tn "$@")
    [[ $got == "$want" ]] || fail "heapprof top $*: tn_alloc $got B, expected $want: $(cat "$W/cli.err")"
}
cli_check 47000
cli_check 20000 --tag 'thread=io-*'
cli_check 10000 --tag 'thread=io-2?'
cli_check 6000 --tag component=cache --tag thread=late
# One key's patterns are alternatives (they were all required: nothing).
cli_check 20000 --tag 'thread=io-1' --tag 'thread=io-2?'
cli_check 6000 --tag thread=db --tag thread=late --tag component=cache
cli_check 0 --tag thread=db --tag thread=nosuch --tag component=cache
grep -q 'no sample of .* has thread=db or thread=nosuch and component=cache' "$W/cli.err" ||
    fail "heapprof top --tag: the note does not say which are alternatives: $(cat "$W/cli.err")"
cli_check 10000 --tag 'component=c*'
cli_check 0 --tag thread=nosuch
grep -q 'no sample of .* has thread=nosuch (the labels of its samples: thread, component)' "$W/cli.err" ||
    fail "heapprof top --tag thread=nosuch: no note naming the labels: $(cat "$W/cli.err")"
for bad in thread '=x' 'thread='; do
    rc=0
    "$INTEG_CLI" top "$last" --tag "$bad" >/dev/null 2>"$W/cli.err" || rc=$?
    [[ $rc -eq 2 ]] && grep -q -- '--tag wants KEY=PATTERN' "$W/cli.err" ||
        fail "heapprof top --tag '$bad': status $rc, expected 2 and a usage line: $(cat "$W/cli.err")"
done
# A key too long to keep is said to be that, not a malformed KEY=PATTERN.
long=$(printf 'k%.0s' {1..200})
rc=0
"$INTEG_CLI" top "$last" --tag "$long=x" >/dev/null 2>"$W/cli.err" || rc=$?
[[ $rc -eq 2 ]] && grep -q -- '--tag: a label key is at most 127 bytes, not 200' "$W/cli.err" ||
    fail "heapprof top --tag with a 200-byte key: status $rc, expected 2 and the key's limit: $(cat "$W/cli.err")"
"$INTEG_CLI" flame "$last" --tag thread=db -o "$W/db.svg" 2>"$W/cli.err" ||
    fail "heapprof flame --tag thread=db failed: $(cat "$W/cli.err")"
# db's 10 objects alone: the root is 9.77 KiB (10000 B), not the 47000 B of all.
grep -q '^all (9.77 KiB)' <(sed -n 's/.*<text[^>]*>\(all ([^)]*)\)<.*/\1/p' "$W/db.svg") ||
    fail "heapprof flame --tag thread=db: the root is not db's 9.77 KiB: $(grep -o '>all ([^)]*)' "$W/db.svg")"
# leaks filters each profile it reads: no sample of either has thread=nosuch.
"$INTEG_CLI" leaks "$last" "$last" --raw --tag 'thread=nosuch' >"$W/leaks.out" 2>"$W/cli.err" ||
    fail "heapprof leaks --tag failed: $(cat "$W/cli.err")"
[[ $(grep -c 'no sample of .* has thread=nosuch' "$W/cli.err") == 2 ]] ||
    fail "heapprof leaks --tag thread=nosuch: expected the note for both profiles: $(cat "$W/cli.err")"
note "cli --tag ok"

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

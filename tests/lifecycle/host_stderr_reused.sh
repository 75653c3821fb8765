#!/usr/bin/env bash
# lifecycle_host_stderr_reused: a program closes its stderr and opens a data
# file, which gets fd 2 (daemons do this).  heapprof's lines (here: an
# unwritable HEAPPROF_OUT, during main and at exit) must not go into that
# file: they are written only while fd 2 is the file it was at start-up.
# The same with fd 2 closed before the program starts.
source "$(dirname "$0")/lib.sh"
need_env LC_HOST

# check NAME: the run exited 0, its profile request failed, the data file
# holds the program's bytes only.
check() {
    expect_rc "$1" 0
    grep -qx dump=2 "$W/$1.out" || fail "$1: expected dump=2 (ENOENT), the program printed: $(cat "$W/$1.out")"
    [[ $(cat "$W/$1.data") == DATA ]] ||
        fail "$1: the program's data file (fd 2) should hold DATA only; it holds: $(head -c 300 "$W/$1.data")"
}

run reused HEAPPROF_OUT="$W/missing/p" -- "$LC_HOST" fd2file "$W/reused.data"
check reused

# fd 2 closed at start: run() cannot do that, so by hand.
set +e
env HEAPPROF_OUT="$W/missing/p" LD_PRELOAD="$HEAPPROF_LIB" "$LC_HOST" fd2file "$W/closed.data" \
    >"$W/closed.out" 2>&-
RC=$?
set -e
: >"$W/closed.err"
check closed
note "ok: heapprof's lines stay out of a file that took fd 2"

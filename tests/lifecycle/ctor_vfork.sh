#!/usr/bin/env bash
# lifecycle_ctor_vfork: a library the program links runs a helper with
# vfork() and execl() in its constructor, before the profiler's own
# constructor has run.  The vfork child shares the parent's memory and
# calls heapprof's exec wrapper: it must not take the dump lock there.
# Before, it did (the child was not yet told from its parent), the lock
# stayed held in the parent by a thread that no longer existed, and the
# program's first profile and its exit hung for good, with its signals
# blocked (SIGTERM did nothing).  Now the helper runs, the signal profile
# and the exit profile are written, and the program exits 0.
source "$(dirname "$0")/lib.sh"
need_env LC_CTORVFORK

start r HEAPPROF_OUT="$W/prof" CTORVFORK_PROG=/bin/true -- "$LC_CTORVFORK"
finish "$BGPID" 30
expect_rc r 0
no_heapprof_lines r
grep -qx "ctor vfork 0" "$W/r.out" || fail "expected 'ctor vfork 0' (the helper exited 0), found: $(cat "$W/r.out")"
pid=$BGPID
got=$(seqs_of "$W/prof" "$pid" | tr '\n' ' ')
[[ $got == "1 2 " ]] || fail "expected profiles 0001 (signal) and 0002 (exit) of pid $pid, found: $got"
for f in $(profiles "$W/prof" "$pid"); do
    gzip -t "$f" || fail "$f is not a complete gzip file"
done
note "ok: the constructor's vfork child exec'd, and both profiles of pid $pid were written"

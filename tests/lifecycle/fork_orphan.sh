#!/usr/bin/env bash
# lifecycle_fork_orphan: a child made by _Fork() (no fork handlers) that
# then forks.  heapprof's fork handlers took its mutexes (the quiesce lock,
# the retired-objects lock, the HTTP table's) in that child too; a copy
# held by one of the parent's threads at _Fork is never released there, and
# fork() waited for it forever.  slowsetgid.c, listed after libheapprof.so,
# keeps a thread of the parent inside heapprof's setgid, under the quiesce
# lock, for 3 s, and the program _Forks in that window every time.
# The child's fork must return, its child (the grandchild) run and exit
# with its own status, and the child exit with its own; the parent's exit
# profile is written as usual.
source "$(dirname "$0")/lib.sh"
need_env LC_FORK LC_SLOWSETGID
HEAPPROF_LIB="$HEAPPROF_LIB $LC_SLOWSETGID"

start r SLOWSETGID_MS=3000 HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/o" -- "$LC_FORK" orphan
finish "$BGPID" 80
! grep -q hung "$W/r.out" || fail "a process hung: $(cat "$W/r.out")"
grep -q 'fork failed' "$W/r.out" && fail "the _Fork child's fork() failed: $(cat "$W/r.out")"
expect_rc r 0
read -r gpid gst < <(awk '$1 == "grandchild" && $3 == "exited" {print $2, $4}' "$W/r.out")
[[ -n $gpid ]] || fail "the grandchild did not finish: $(cat "$W/r.out")"
[[ $gst -eq 4 ]] || fail "the grandchild exited with status $gst, expected 4"
read -r cpid cst < <(awk '$1 == "child" && $3 == "exited" {print $2, $4}' "$W/r.out")
[[ -n $cpid ]] || fail "the child did not finish: $(cat "$W/r.out")"
[[ $cst -eq 3 ]] || fail "the child exited with status $cst, expected 3"
# The parent's exit profile, whole; the _Fork child writes none (it says so).
want="heapprof[$cpid]: process $cpid was created without fork handlers (_Fork or clone): it writes no exit profile"
grep -qxF "$want" "$W/r.err" || fail "expected '$want' on stderr, found: $(cat "$W/r.err")"
[[ -z $(profiles "$W/o" "$cpid") ]] || fail "the _Fork child wrote a profile: $(profiles "$W/o" "$cpid")"
n=0
for f in $(profiles "$W/o"); do
    decode "$f"
    n=$((n + 1))
done
[[ $n -ge 1 ]] || fail "no profile at all (the parent's exit profile is missing)"
# The grandchild is a fork child like any other: its own exit profile.
[[ -n $(profiles "$W/o" "$gpid") ]] || fail "the grandchild $gpid wrote no exit profile: $(profiles "$W/o")"
no_tmp_left "$W"
note "ok: _Fork child $cpid forked grandchild $gpid (exit 4) and exited 3"

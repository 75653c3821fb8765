#!/usr/bin/env bash
# lifecycle_fork_nohandlers: _Fork() runs no fork handlers.  A program that
# is single-threaded in its own eyes may allocate in the child and call
# exit(); but heapprof's writer thread may hold the dump lock at _Fork, and
# then the child's copy stays held forever: its exit (and heapprof_dump())
# waited for it.  slowrename.c, listed first, keeps the writer inside the
# dump for 3 s after the profile is under its final name, and the program
# forks in that window every time.  The child stands down: it exits with
# its own status at once, says so in one line, writes no profile; the
# parent's profiles are untouched.
#  1. The child allocates, frees and calls exit(3).
#  2. The same, and heapprof_dump() in the child answers ENOTSUP.
source "$(dirname "$0")/lib.sh"
need_env LC_FORK LC_SLOWRENAME
HEAPPROF_LIB="$LC_SLOWRENAME $HEAPPROF_LIB"

i=0
for args in "" dump; do
    i=$((i + 1))
    # shellcheck disable=SC2086
    start "r$i" SLOWRENAME_MS=3000 HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/n$i" -- "$LC_FORK" nohandlers $args
    finish "$BGPID" 90
    ! grep -q hung "$W/r$i.out" || fail "$i: the _Fork child did not finish within 30 s: $(grep hung "$W/r$i.out")"
    expect_rc "r$i" 0
    read -r cpid cst < <(awk '$1 == "child" && $3 == "exited" {print $2, $4}' "$W/r$i.out")
    [[ -n $cpid ]] || fail "$i: the child did not finish: $(cat "$W/r$i.out")"
    [[ $cst -eq 3 ]] || fail "$i: the child exited with status $cst, expected 3"
    if [[ $args == dump ]]; then
        grep -qx 'child dump ENOTSUP' "$W/r$i.out" || fail "$i: expected heapprof_dump() in the child to answer ENOTSUP: $(cat "$W/r$i.out")"
    fi
    want="heapprof[$cpid]: process $cpid was created without fork handlers (_Fork or clone): it writes no exit profile"
    got=$(grep -E "$HP_ANY" "$W/r$i.err" || true)
    [[ $got == "$want" ]] || fail "$i: expected one line on stderr, '$want'; found: $got"
    pids=$(pids_of "$W/n$i" | tr '\n' ' ')
    [[ $pids != *"$cpid"* ]] || fail "$i: the child $cpid wrote a profile: $(profiles "$W/n$i" "$cpid")"
    [[ $(pids_of "$W/n$i" | wc -l) -eq 1 ]] || fail "$i: expected the parent's profiles only, found pids $pids"
    n=$(expect_contiguous "$W/n$i" "$(pids_of "$W/n$i")")
    [[ $n -eq 2 ]] || fail "$i: parent: expected 0001 (signal) and 0002 (exit), found $n"
    for f in "$W/n$i".*.pb.gz; do decode "$f"; done
    no_tmp_left "$W"
    note "$i: _Fork child $cpid exited 3 at once${args:+, heapprof_dump ENOTSUP}, no profile of its own"
done
note "ok"

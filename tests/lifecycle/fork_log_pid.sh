#!/usr/bin/env bash
# lifecycle_fork_log_pid: each line on stderr names the process that wrote
# it, "heapprof[PID]: ", so that the lines of a pre-forking server's
# workers, which share one stderr, can be told apart.  A fork child's line
# carries the child's pid, not the parent's it was forked with.  The parent
# says a line at start-up, before the fork (a misspelled setting), so that
# a pid kept from it would show; then the output directory is missing, and
# child and parent each say they cannot write their exit profile, whose
# name has the writer's pid too.
source "$(dirname "$0")/lib.sh"
need_env LC_FORK

run r HEAPPROF_SAMPEL=1 HEAPPROF_OUT="$W/missing/p" -- "$LC_FORK" pids
expect_rc r 0
ppid=$(awk '$1 == "parent" {print $2}' "$W/r.out")
read -r cpid cst < <(awk '$1 == "child" {print $2, $3}' "$W/r.out")
[[ -n $ppid && -n $cpid ]] || fail "the program did not report its pids: $(cat "$W/r.out")"
[[ $cst -eq 0 ]] || fail "the child exited with status $cst, expected 0"
[[ $(wc -l <"$W/r.err") -eq 3 ]] || fail "expected three lines on stderr (parent, child, parent), found: $(cat "$W/r.err")"
want="heapprof[$ppid]: HEAPPROF_SAMPEL is not a heapprof setting and is ignored; did you mean HEAPPROF_SAMPLE?"
[[ $(head -n 1 "$W/r.err") == "$want" ]] || fail "expected first the parent's line '$want', found: $(cat "$W/r.err")"
for who in "child:$cpid" "parent:$ppid"; do
    pid=${who#*:}
    want="heapprof[$pid]: cannot write profile $W/missing/p.$pid.0001.pb.gz: No such file or directory"
    awk -v w="$want" 'index($0, w) == 1 {n++} END {exit n != 1}' "$W/r.err" ||
        fail "${who%:*}: expected one line starting '$want', found: $(cat "$W/r.err")"
done
# The child's went before the parent's exit line (the parent waited for it).
[[ $(sed -n 2p "$W/r.err") == "heapprof[$cpid]: "* ]] || fail "the second line is not the child's: $(cat "$W/r.err")"
note "ok: the child's line carries its pid $cpid, the parent's its pid $ppid"

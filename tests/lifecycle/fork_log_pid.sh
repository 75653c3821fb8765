#!/usr/bin/env bash
# lifecycle_fork_log_pid: each line on stderr names the process that wrote
# it, "heapprof[PID]: ", so that the lines of a pre-forking server's
# workers, which share one stderr, can be told apart.  A fork child's line
# carries the child's pid, not the parent's it was forked with.  The parent
# says two lines at start-up, before the fork (a misspelled setting, and
# that the output directory is missing), so that a pid kept from it would
# show; then the child asks for a profile to a path in the missing
# directory, whose failure it says with its own pid.  The exit profiles
# fail too: the parent says its own, the child, told of the directory by
# its parent, does not (writer.c, check_dir).
source "$(dirname "$0")/lib.sh"
need_env LC_FORK

run r HEAPPROF_SAMPEL=1 HEAPPROF_OUT="$W/missing/p" -- "$LC_FORK" pids "$W/missing/asked.pb.gz"
expect_rc r 0
ppid=$(awk '$1 == "parent" {print $2}' "$W/r.out")
read -r cpid cst < <(awk '$1 == "child" {print $2, $3}' "$W/r.out")
[[ -n $ppid && -n $cpid ]] || fail "the program did not report its pids: $(cat "$W/r.out")"
[[ $cst -eq 0 ]] || fail "the child exited with status $cst, expected 0"
[[ $(wc -l <"$W/r.err") -eq 4 ]] || fail "expected four lines on stderr (parent, parent, child, parent), found: $(cat "$W/r.err")"
want="heapprof[$ppid]: HEAPPROF_SAMPEL is not a heapprof setting and is ignored; did you mean HEAPPROF_SAMPLE?"
[[ $(head -n 1 "$W/r.err") == "$want" ]] || fail "expected first the parent's line '$want', found: $(cat "$W/r.err")"
want="heapprof[$ppid]: profiles cannot be written in $W/missing (HEAPPROF_OUT): No such file or directory; "
[[ $(sed -n 2p "$W/r.err") == "$want"* ]] || fail "expected second the parent's line '$want...', found: $(cat "$W/r.err")"
want="heapprof[$cpid]: cannot write profile $W/missing/asked.pb.gz: No such file or directory"
[[ $(sed -n 3p "$W/r.err") == "$want"* ]] || fail "expected third the child's line '$want...', found: $(cat "$W/r.err")"
want="heapprof[$ppid]: cannot write profile $W/missing/p.$ppid.0001.pb.gz: No such file or directory"
[[ $(sed -n 4p "$W/r.err") == "$want"* ]] || fail "expected last the parent's exit line '$want...', found: $(cat "$W/r.err")"
note "ok: the child's line carries its pid $cpid, the parent's its pid $ppid"

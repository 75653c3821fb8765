#!/usr/bin/env bash
# lifecycle_own_handler: the program installs its own SIGUSR2 handler (after
# the profiler's, which is installed before main).  Its handler wins: it sees
# every signal (5 raised by itself, 3 sent by this script one at a time),
# no profile is written for them, nothing crashes; the exit profile is the
# only file.
source "$(dirname "$0")/lib.sh"
need_env LC_FAIL

start own HEAPPROF_OUT="$W/o" -- "$LC_FAIL" ownhandler "$W/ready" "$W/stop"
pid=$BGPID
wait_for_file "$W/ready"
for i in 1 2 3; do
    kill -USR2 "$pid"
    sleep 0.2
done
touch "$W/stop"
finish "$pid" 60
expect_rc own 0
no_heapprof_lines own
got=$(awk '$1=="handled" {print $2}' "$W/own.out")
[[ $got -ge 6 && $got -le 8 ]] || fail "the program's own handler counted $got signals, expected 8 (5 raised + 3 sent; at least 6 if the kernel merged some)"
[[ $(expect_contiguous "$W/o" "$pid") -eq 1 ]] || fail "expected only the exit profile, found: $(profiles "$W/o" | xargs -n1 basename | tr '\n' ' ')"
f="$W/o.$pid.0001.pb.gz"
decode "$f"
if have_go; then
    [[ $(reason "$f.raw") == exit ]] || fail "$f: expected reason=exit (no profile from the signals), found $(reason "$f.raw")"
fi
note "ok: the program's handler counted $got signals, only the exit profile was written"

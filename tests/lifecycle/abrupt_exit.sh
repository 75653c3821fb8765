#!/usr/bin/env bash
# lifecycle_abrupt_exit: the ends without exit handlers.
#  _exit(3): no exit profile (no code runs), the profile written before is
#  complete, the exit status is the program's.
#  SIGTERM without a handler: README says the process "dies the same way":
#  observed here as the same outcome, killed by signal 15, no exit profile,
#  the earlier profile complete, no .tmp left.
source "$(dirname "$0")/lib.sh"
need_env LC_FAIL

run q HEAPPROF_OUT="$W/q" -- "$LC_FAIL" quickexit
expect_rc q 3
no_heapprof_lines q
pid=$(pids_of "$W/q")
[[ $(expect_contiguous "$W/q" "$pid") -eq 1 ]] || fail "_exit: expected only the profile written before (0001), found: $(profiles "$W/q" | xargs -n1 basename | tr '\n' ' ')"
decode "$W/q.$pid.0001.pb.gz"
if have_go; then
    [[ $(reason "$W/q.$pid.0001.pb.gz.raw") == signal ]] || fail "_exit: 0001 should be the signal profile"
fi
no_tmp_left "$W"

run t HEAPPROF_OUT="$W/t" -- "$LC_FAIL" sigterm
expect_rc t 143
grep -q 'still alive' "$W/t.out" && fail "the program survived SIGTERM"
no_heapprof_lines t
pid=$(pids_of "$W/t")
[[ $(expect_contiguous "$W/t" "$pid") -eq 1 ]] || fail "SIGTERM: expected only the profile written before (0001), found: $(profiles "$W/t" | xargs -n1 basename | tr '\n' ' ')"
decode "$W/t.$pid.0001.pb.gz"
if have_go; then
    [[ $(reason "$W/t.$pid.0001.pb.gz.raw") == signal ]] || fail "SIGTERM: 0001 should be the signal profile"
fi
no_tmp_left "$W"
note "observed: _exit -> status 3, SIGTERM -> status 143 (killed by signal 15); in both only the earlier profile, complete; no exit profile, no .tmp"

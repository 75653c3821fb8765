#!/usr/bin/env bash
# lifecycle_period_failing: periodic profiles that keep failing alike (the
# output directory missing) said so one line each, held back only by the
# log's rate (10 lines, then one a second): with HEAPPROF_PERIOD=10, 8640
# lines a day.  The first failure is said, with when the same is said
# again (10 minutes); the next ones are not; the first profile written
# once the directory is there says how many failed meanwhile; and a
# profile asked for by signal says its own failure every time.
source "$(dirname "$0")/lib.sh"
need_env LC_FAIL

start serve HEAPPROF_PERIOD=0.02 HEAPPROF_OUT="$W/out/p" -- "$LC_FAIL" serve "$W/ready" "$W/stop"
pid=$BGPID
wait_for_file "$W/ready"
wait_for_line "$W/serve.err" "cannot write profile"
# A second of profiles every 20 ms into the missing directory; meanwhile a
# profile asked for by signal, whose failure is said.
sleep 0.5
kill -USR2 "$pid"
wait_for_count "$W/serve.err" "cannot write profile" 2
sleep 0.5
mkdir "$W/out"
wait_for_line "$W/serve.err" "written; the [0-9]+ periodic or high-water profiles before it failed"
touch "$W/stop"
finish "$pid" 60
expect_rc serve 0
grep -qx served "$W/serve.out" || fail "the program did not run to its end: $(cat "$W/serve.out")"

msgs=$(hp_msgs "$W/serve.err")
n=$(grep -c '^cannot write profile' <<<"$msgs" || true)
((n == 2)) || fail "expected 2 'cannot write profile' lines (the first periodic failure, the signal's), found $n: $msgs"
first=$(grep '^cannot write profile' <<<"$msgs" | head -n 1)
[[ $first == *"No such file or directory (the program continues; the next profile will try again; a periodic or high-water profile failing the same way is said again in 10 minutes at the latest)" ]] ||
    fail "the first line does not say when the failure is said again: $first"
# The signal's line counts the periodic failures unsaid before it (unless
# it came before the second periodic one, on a loaded machine).
second=$(grep '^cannot write profile' <<<"$msgs" | sed -n 2p)
quiet1=$(sed -n 's/.*; \([0-9]*\) periodic or high-water profiles failed as the last such line said.*/\1/p' <<<"$second")
back=$(grep 'written; the [0-9]* periodic or high-water profiles before it failed as the last line about them said' <<<"$msgs")
quiet2=$(sed -n 's/.* written; the \([0-9]*\) periodic or high-water profiles.*/\1/p' <<<"$back")
[[ -n $quiet2 && $quiet2 -ge 1 ]] || fail "the first profile written did not count the periodic failures before it: $msgs"
n=$(grep -c '^profiles cannot be written in .*: No such file or directory; ' <<<"$msgs" || true)
((n == 1)) || fail "expected the missing directory said once, at start, found $n: $msgs"
bad=$(grep -v '^cannot write profile\|^profile .* written; the\|^profiles cannot be written in ' <<<"$msgs" || true)
[[ -z $bad ]] || fail "unexpected profiler lines: $bad"
[[ $(grep -c 'earlier messages suppressed' <<<"$msgs" || true) -eq 0 ]] ||
    fail "the log's rate limit held lines back: the periodic failures were said: $msgs"
note "ok: $n failure lines; ${quiet1:-0} periodic failures before the signal's line and $quiet2 before the first profile written went unsaid"

#!/usr/bin/env bash
# lifecycle_fork_sighandler: a signal handler that calls fork()
# (async-signal-safe; crash handlers and supervisors do it) where the signal
# interrupted heapprof's own work: a sample or a sampled free, every
# allocation being sampled (HEAPPROF_SAMPLE=1), which may hold a live or
# stack table's lock.  heapprof's fork handler then waited for that lock
# forever, in the thread that held it: the program hung where without
# heapprof it runs on.  The program must make its N forks, each child
# exiting with its status through exit(); a child forked while its thread
# was inside heapprof writes no exit profile (the locks may be held there)
# and says so in one line; the parent's exit profile is written.
source "$(dirname "$0")/lib.sh"
need_env LC_HOST

N=50
start sigfork HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/p" -- "$LC_HOST" sigfork "$N"
pid=$BGPID
finish "$pid" 60
grep -q '^skip: ' "$W/sigfork.out" && skip "$(cat "$W/sigfork.out")"
expect_rc sigfork 0
grep -qx "forks=$N children_ok=$N" "$W/sigfork.out" ||
    fail "expected forks=$N children_ok=$N, the program printed: $(cat "$W/sigfork.out")"
want="was forked by a signal handler that interrupted heapprof's own work, which may hold the locks a profile needs: it writes no exit profile"
bad=$(hp_msgs "$W/sigfork.err" | sed -E 's/^process [0-9]+ //' | grep -vxF -- "$want" || true)
[[ -z $bad ]] || fail "unexpected profiler lines: $bad"
lines=$(hp_count "$W/sigfork.err")
[[ $(expect_contiguous "$W/p" "$pid") -eq 1 ]] ||
    fail "expected the parent's exit profile only, found: $(profiles "$W/p" | xargs -rn1 basename | tr '\n' ' ')"
decode "$W/p.$pid.0001.pb.gz"
no_tmp_left "$W"

# With the HTTP server on, such a child must not keep the parent's listening
# socket (it exits 8 if it holds a socket): the fork handler closed it in
# every child but these, and a client of one that outlived its parent waited
# unanswered in the backlog.
M=20
start sigforkhttp HEAPPROF_SAMPLE=1 HEAPPROF_HTTP=127.0.0.1:0 HEAPPROF_OUT="$W/h" -- \
    "$LC_HOST" sigfork "$M"
finish "$BGPID" 60
expect_rc sigforkhttp 0
grep -q '^serving http://' <(hp_msgs "$W/sigforkhttp.err") ||
    fail "the HTTP server did not start: $(cat "$W/sigforkhttp.err")"
grep -qx "forks=$M children_ok=$M" "$W/sigforkhttp.out" ||
    fail "expected forks=$M children_ok=$M (a child holding a socket exits 8), the program printed: $(cat "$W/sigforkhttp.out")"
note "ok: $N forks from a handler inside heapprof, each child exited with its status ($lines of them said they write no exit profile); $M more with the HTTP server on, no child kept its socket"

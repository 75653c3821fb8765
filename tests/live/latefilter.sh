#!/usr/bin/env bash
# live_latefilter: a program installs a seccomp filter that refuses
# pidfd_getfd (with EPERM, as container runtimes' default profiles do)
# after heapprof started, then changes its credentials again and again, as
# a daemon that sets its effective uid for each request does.  Each
# setgid stops and restarts heapprof's threads; the new HTTP thread
# inherits the filter and cannot copy the server's descriptors into a
# table of its own, so the server stays in the program's table.  That was
# tried again at every restart: one line each time ("cannot move the HTTP
# server's descriptors ...") and a thread started in vain.  Now once, and
# the server serves.
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || skip "no curl"

start lf -- latefilter
if grep -q 'no seccomp filter' "$W/lf.out" 2>/dev/null; then
    skip "$(cat "$W/lf.out")"
fi
[[ -n $PORT ]] || fail "no server: $(cat "$W/lf.out" "$W/lf.err")"
get /metrics >/dev/null
stop lf
[[ $RC == 0 ]] || fail "live_prog latefilter exited $RC: $(cat "$W/lf.out" "$W/lf.err")"
n=$(grep -c "cannot move the HTTP server's descriptors" "$W/lf.err" || true)
[[ $n == 1 ]] || fail "expected one line about the move over five setgid calls, got $n: $(cat "$W/lf.err")"
note "ok: serving after five setgid calls under the filter, said once: $(grep 'cannot move' "$W/lf.err")"

# The filter on every thread at once (SECCOMP_FILTER_FLAG_TSYNC), the
# running server thread's too: at the first setgid it cannot send its
# descriptors back (pidfd_getfd), and they went with its table: the server
# stopped for good.  It now listens again on the same port, from the
# program's table, and says so once.
start ts -- latefilter tsync
if grep -q 'no seccomp filter' "$W/ts.out" 2>/dev/null; then
    skip "$(cat "$W/ts.out")"
fi
[[ -n $PORT ]] || fail "tsync: no server: $(cat "$W/ts.out" "$W/ts.err")"
get /metrics >/dev/null # fails the test unless 200
stop ts
[[ $RC == 0 ]] || fail "live_prog latefilter tsync exited $RC: $(cat "$W/ts.out" "$W/ts.err")"
n=$(grep -c "listens again on the same address" "$W/ts.err" || true)
[[ $n == 1 ]] || fail "tsync: expected one line about listening again, got $n: $(cat "$W/ts.err")"
! grep -q "the server stops" "$W/ts.err" || fail "tsync: the server stopped: $(cat "$W/ts.err")"
note "ok: tsync: serving after five setgid calls, said once: $(grep 'listens again' "$W/ts.err")"

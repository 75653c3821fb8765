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

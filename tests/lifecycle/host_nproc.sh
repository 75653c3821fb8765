#!/usr/bin/env bash
# lifecycle_host_nproc: the profiler stops its threads around setuid() and
# starts them again after it (shim_process.c).  A daemon that drops to a
# user already at its process limit (here RLIMIT_NPROC 0) leaves no room
# for them: heapprof must say so, one line per thread, and the HTTP
# server, which can no longer answer, must close its socket rather than
# leave clients waiting in its backlog.  They stopped in silence, the
# socket left open.
source "$(dirname "$0")/lib.sh"
need_env LC_HOST
[[ $(id -u) -eq 0 ]] || skip "needs root to drop to another user"
chmod 0777 "$W"

run np HEAPPROF_OUT="$W/p" HEAPPROF_PERIOD=0.05 HEAPPROF_HTTP=127.0.0.1:0 -- "$LC_HOST" nproc
expect_rc np 0
grep -q '^threads_before=3 sockets_before=1$' "$W/np.out" ||
    fail "expected the program, the writer and the HTTP thread, and one listening socket, before setuid: $(cat "$W/np.out")"
grep -q '^threads_after=1 ' "$W/np.out" || fail "expected the profiler's threads gone after setuid: $(cat "$W/np.out")"
grep -q 'cannot restart its writer thread' "$W/np.err" ||
    fail "the writer thread could not be restarted and heapprof said nothing: $(cat "$W/np.err")"
grep -q 'cannot restart its HTTP thread' "$W/np.err" ||
    fail "the HTTP thread could not be restarted and heapprof said nothing: $(cat "$W/np.err")"
grep -q 'sockets_after=0$' "$W/np.out" ||
    fail "the HTTP server's listening socket stayed open with no thread to answer it: $(cat "$W/np.out")"
gz_ok "$(newest_profile "$W/p")"
note "ok: $(tr '\n' ' ' <"$W/np.out")"

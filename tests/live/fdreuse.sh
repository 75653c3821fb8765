#!/usr/bin/env bash
# live_fdreuse: the HTTP server's descriptors live in a table of its
# thread's own, out of the program's reach: the program's table holds no
# listening socket of heapprof's to take.  Where that table is refused (a
# seccomp profile that refuses pidfd_getfd, as container runtimes' default
# ones do: live_prog nopidfd) they live in the program's, and there the
# program may take the server's descriptor numbers by mistake (dup2 of its
# own files onto them) while the server waits in poll(2), which still
# holds heapprof's old files, and something then wakes it: a client's
# request on a connection (ten rounds), a new client on the listening
# socket, a setgid() that stops heapprof's threads through the wake pipe.
# The server checked its numbers only before poll, so it read the
# program's socket data from a connection's number, accepted the
# program's own client on the listening one, and drained the program's
# pipe from the wake pipe's.  It must touch none of them, and say once
# that it stops when its listening socket or wake pipe is gone: live_prog
# fdsteal PHASE reports each harm.
source "$(dirname "$0")/lib.sh"

run fs-private HEAPPROF_HTTP=127.0.0.1:0 HEAPPROF_OUT="$W/fs" HEAPPROF_ON_EXIT=0 -- \
    "$LIVE_PROG" fdsteal listen
grep -q "serving http://" "$W/fs-private.err" || fail "no server: $(cat "$W/fs-private.err")"
[[ $RC == 2 ]] && grep -q "^no listening socket of heapprof's$" "$W/fs-private.out" ||
    fail "the program's table holds the server's listening socket (exit $RC): $(cat "$W/fs-private.out")"
note "the program's table holds none of the server's descriptors"

for phase in conn listen wake; do
    run_plain "fs-$phase" LIVE_PRELOAD="$HEAPPROF_LIB" HEAPPROF_HTTP=127.0.0.1:0 \
        HEAPPROF_OUT="$W/fs" HEAPPROF_ON_EXIT=0 -- "$LIVE_PROG" nopidfd "$LIVE_PROG" fdsteal "$phase"
    [[ $RC == 77 ]] && skip "$(cat "$W/fs-$phase.out")"
    [[ $RC == 0 ]] || fail "$phase: live_prog fdsteal exited $RC: $(cat "$W/fs-$phase.out" "$W/fs-$phase.err")"
    grep -q '^unharmed$' "$W/fs-$phase.out" || fail "$phase: $(cat "$W/fs-$phase.out")"
    if [[ $phase != conn ]]; then
        n=$(grep -c "closed the HTTP server's descriptors; the server stops" "$W/fs-$phase.err" || true)
        [[ $n == 1 ]] || fail "$phase: expected the server to say once that it stops: $(cat "$W/fs-$phase.err")"
    fi
    note "$phase ok (descriptors in the program's table)"
done

#!/usr/bin/env bash
# live_fdreuse: the program takes the HTTP server's descriptor numbers by
# mistake (dup2 of its own files onto them) while the server waits in
# poll(2), which still holds heapprof's old files, and something then
# wakes it: a client's request on a connection (ten rounds), a new client
# on the listening socket, a setgid() that stops heapprof's threads
# through the wake pipe.  The server checked its numbers only before
# poll, so it read the program's socket data from a connection's number,
# accepted the program's own client on the listening one, and drained the
# program's pipe from the wake pipe's.  It must touch none of them, and
# say once that it stops when its listening socket or wake pipe is gone:
# live_prog fdsteal PHASE reports each harm.
source "$(dirname "$0")/lib.sh"

for phase in conn listen wake; do
    run "fs-$phase" HEAPPROF_HTTP=127.0.0.1:0 HEAPPROF_OUT="$W/fs" HEAPPROF_ON_EXIT=0 -- \
        "$LIVE_PROG" fdsteal "$phase"
    [[ $RC == 0 ]] || fail "$phase: live_prog fdsteal exited $RC: $(cat "$W/fs-$phase.out" "$W/fs-$phase.err")"
    grep -q '^unharmed$' "$W/fs-$phase.out" || fail "$phase: $(cat "$W/fs-$phase.out")"
    if [[ $phase != conn ]]; then
        n=$(grep -c "closed the HTTP server's descriptors; the server stops" "$W/fs-$phase.err" || true)
        [[ $n == 1 ]] || fail "$phase: expected the server to say once that it stops: $(cat "$W/fs-$phase.err")"
    fi
    note "$phase ok"
done

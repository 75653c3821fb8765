#!/usr/bin/env bash
# live_fdreuse: the program takes the HTTP server's descriptor numbers by
# mistake (dup2 of its own sockets onto them) while the server waits in
# poll(2), which still holds heapprof's old files: a client's request on a
# connection, and a new client on the listening socket, then wake it.  The
# server checked its descriptors only before poll, so it read the
# program's data from the number (and answered into the program's socket)
# and accepted the program's own client.  It must touch none of them: live_prog
# fdsteal reports each harm.
source "$(dirname "$0")/lib.sh"

run fs HEAPPROF_HTTP=127.0.0.1:0 HEAPPROF_OUT="$W/fs" HEAPPROF_ON_EXIT=0 -- "$LIVE_PROG" fdsteal
[[ $RC == 0 ]] || fail "live_prog fdsteal exited $RC: $(cat "$W/fs.out" "$W/fs.err")"
grep -q '^unharmed$' "$W/fs.out" || fail "$(cat "$W/fs.out")"
note "ok"

#!/usr/bin/env bash
# live_daemon: a daemon closes every descriptor it did not open
# (closefrom(3), close_range(3, ~0U, 0)), opens files of its own and later
# drops privileges (setgid), while clients keep scraping.  The HTTP
# server's descriptors lived in the program's table (at 512 and above,
# checked before each use): the server found them gone and stopped ("the
# program closed the HTTP server's descriptors; the server stops"), and
# every later scrape was refused.  They now live in the server thread's
# own table: it keeps serving, through the setgid too (which stops and
# restarts heapprof's threads; ?seconds= requests parked across it are
# answered), and every open() of the program's gets 3, as without heapprof.
# The second run has a child made with _Fork (no fork handlers) hold a
# copy of the wake pipe's write end, the one descriptor of the server's
# left in the program's table: closing the program's own copy then says
# nothing to the server, and the setgid waited for ever to stop it (with
# no request parked, whose deadline would have woken the server).
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || skip "no curl"

# daemon_run NAME PARK [VAR=VALUE...]: the scenario; with PARK=park,
# requests parked across the setgid too.
daemon_run() {
    local name=$1 park=$2; shift 2
    rm -f "$W/go.1" "$W/go.2"
    start "$name" LIVE_GO="$W/go" "$@" -- daemon
    [[ -n $PORT ]] || fail "$name: no server: $(cat "$W/$name.err")"
    get /metrics >/dev/null

    touch "$W/go.1"
    wait_for_line "$W/$name.out" '^closed' 10 "$PID"
    for i in 1 2 3 4 5; do
        get /metrics >"$W/m$i.txt"
        get /debug/pprof/heap >"$W/heap$i.pb.gz"
        gzip -t "$W/heap$i.pb.gz" || fail "$name: the heap profile of scrape $i is not gzip"
    done
    note "$name: serving after the program closed every descriptor from 3 up"

    # Requests parked over the setgid: their connections move out of the
    # thread's table and into the next thread's, through the program's,
    # where one of them may get the number the wake pipe's write end had
    # before the program closed it; closing that end by number must not
    # close the connection.
    local cpid=() k
    for k in 1 2 3; do
        [[ $park == park ]] || break
        curl -sS --max-time 20 -o "$W/park$k.pb.gz" -w '%{http_code}' \
            "http://127.0.0.1:$PORT/debug/pprof/allocs?seconds=2" >"$W/park$k.code" 2>"$W/park$k.err" &
        cpid+=($!)
    done
    sleep 0.5
    touch "$W/go.2"
    wait_for_line "$W/$name.out" '^setgid' 10 "$PID"
    grep -q '^setgid [0-9]* ms$' "$W/$name.out" || fail "$name: setgid failed: $(cat "$W/$name.out")"
    for i in 6 7 8; do
        get /metrics >"$W/m$i.txt"
    done
    for k in 1 2 3; do
        [[ $park == park ]] || break
        wait "${cpid[k - 1]}" || fail "$name: request $k parked across setgid failed: $(cat "$W/park$k.err")"
        [[ $(cat "$W/park$k.code") == 200 ]] ||
            fail "$name: request $k parked across setgid: status $(cat "$W/park$k.code")"
        gzip -t "$W/park$k.pb.gz" || fail "$name: the profile of request $k parked across setgid is not gzip"
    done
    note "$name: serving after setgid ($(grep '^setgid' "$W/$name.out")); the parked requests answered"

    stop "$name"
    [[ $RC == 0 ]] || fail "$name: the program's open() got another number than without heapprof (exit $RC): $(cat "$W/$name.out")"
    grep -q '^opens=[1-9][0-9]* elsewhere=0$' "$W/$name.out" || fail "$name: $(cat "$W/$name.out")"
    # (stderr read whole first, and its serving line there: a grep of a file
    # that was not there passed the check)
    local err
    err=$(cat "$W/$name.err") || fail "$name: cannot read $W/$name.err"
    grep -q "^heapprof\[$PID\]: serving http://" <<<"$err" || fail "$name: no serving line in its stderr: $err"
    if grep -q "closed the HTTP server's descriptors\|cannot keep\|cannot move" <<<"$err"; then
        fail "$name: the server stopped or gave up its table: $err"
    fi
    note "$name ok: $(tail -n 1 "$W/$name.out")"
}

daemon_run dm park
# No request parked, whose deadline would wake the server.
daemon_run forkchild none LIVE_FORKCHILD=1

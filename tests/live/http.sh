#!/usr/bin/env bash
# live_http: the endpoint's routes as clients use them.
#  - /debug/pprof/heap read over HTTP by `go tool pprof -top URL`;
#    /debug/pprof/allocs with alloc_space as the default type;
#    ?seconds=1 a delta of the next second, answered after it, its duration
#    that second, while other requests are served meanwhile; a client that gives up while parked
#    does not hurt the server; a path that is not clean is moved (301) to
#    the clean one, which go tool pprof and curl -L follow;
#  - /, /metrics content types; HEAPPROF_HTTP address forms (":0",
#    "[::1]:0", bad values: one stderr line and no server);
#  - fork: the child holds none of the server's sockets and does not serve.
source "$(dirname "$0")/lib.sh"
need curl curl
require_go

start srv HEAPPROF_SAMPLE=4096 HEAPPROF_OUT="$W/srv" -- churn
[[ -n $PORT ]] || fail "no serving line on stderr: $(cat "$W/srv.err")"
note "serving on port $PORT"

# 1. Index and headers.
get / >"$W/index.html"
for l in /debug/pprof/heap /debug/pprof/allocs /metrics; do
    grep -q "href=\"$l\"" "$W/index.html" || fail "/ does not link $l"
done
curl -sS --max-time 20 -D "$W/heap.hdr" -o "$W/heap.pb.gz" "http://127.0.0.1:$PORT/debug/pprof/heap"
grep -qi '^HTTP/1.1 200' "$W/heap.hdr" || fail "heap: $(head -1 "$W/heap.hdr")"
grep -qi '^Content-Type: application/octet-stream' "$W/heap.hdr" || fail "heap content type: $(cat "$W/heap.hdr")"
grep -qi '^Content-Disposition: attachment' "$W/heap.hdr" || fail "heap: no Content-Disposition attachment"
grep -qi '^Connection: close' "$W/heap.hdr" || fail "heap: no Connection: close"
[[ $(head -c 2 "$W/heap.pb.gz" | od -An -tx1 | tr -d ' ') == 1f8b ]] || fail "heap body is not gzip"
grep -q 'reason=http' <<<"$(comments "$W/heap.pb.gz")" || fail "heap profile comments lack reason=http"
curl -sS --max-time 20 -D "$W/m.hdr" -o /dev/null "http://127.0.0.1:$PORT/metrics"
grep -qi '^Content-Type: text/plain; version=0.0.4' "$W/m.hdr" || fail "metrics content type: $(cat "$W/m.hdr")"

# 2. go tool pprof over HTTP.
out=$(go tool pprof -top "http://127.0.0.1:$PORT/debug/pprof/heap" 2>"$W/pprof.err") ||
    { cat "$W/pprof.err" >&2; fail "go tool pprof -top http://127.0.0.1:$PORT/debug/pprof/heap failed"; }
grep -q 'Type: inuse_space' <<<"$out" || fail "heap: default type is not inuse_space: $out"
grep -q churn_alloc <<<"$out" || fail "heap: churn_alloc missing: $out"
out=$(go tool pprof -top "http://127.0.0.1:$PORT/debug/pprof/allocs" 2>"$W/pprof.err") ||
    { cat "$W/pprof.err" >&2; fail "go tool pprof on /debug/pprof/allocs failed"; }
grep -q 'Type: alloc_space' <<<"$out" || fail "allocs: default type is not alloc_space: $out"
# A path that is not clean is moved to the clean one (301), as Go's
# ServeMux moves it, and pprof's client follows.  (pprof posts unnamed
# addresses to /debug/pprof/symbol when the URL it was given holds
# "/debug/pprof/", else to /symbolz, which Go serves no more than we do.)
out=$(go tool pprof -top "http://127.0.0.1:$PORT//x/../debug/pprof//./allocs" 2>"$W/pprof.err") ||
    { cat "$W/pprof.err" >&2; fail "go tool pprof on //x/../debug/pprof//./allocs failed"; }
grep -q 'Type: alloc_space' <<<"$out" || fail "//x/../debug/pprof//./allocs: not the allocs profile: $out"
code=$(curl -sS --max-time 20 --path-as-is -L -o "$W/moved.txt" -w '%{http_code} %{num_redirects}' \
    "http://127.0.0.1:$PORT/a/b/../../metrics")
[[ $code == "200 1" ]] || fail "curl -L /a/b/../../metrics: $code (expected 200 after 1 redirect)"
grep -q '^heapprof_samples_total ' "$W/moved.txt" || fail "/a/b/../../metrics moved, not to the metrics"
note "pprof over HTTP ok"

# 3. ?seconds=1: a delta, answered after a second, not blocking others.
total() { # alloc_space bytes of a profile
    go tool pprof -unit=B -top -sample_index=alloc_space "$1" 2>/dev/null |
        sed -n 's/^Showing nodes accounting for [0-9]*B, [0-9.]*% of \([0-9]*\)B total$/\1/p'
}
sleep 1
t0=$(date +%s%N)
curl -sS --max-time 20 -o "$W/delta.pb.gz" "http://127.0.0.1:$PORT/debug/pprof/allocs?seconds=1" &
cpid=$!
# Not blocking others: /metrics is answered while a ?seconds=4 request is
# still parked (told by that request, not by a timing).
curl -sS --max-time 30 -o "$W/parked.pb.gz" "http://127.0.0.1:$PORT/debug/pprof/heap?seconds=4" &
ppid=$!
sleep 0.2
get /metrics >/dev/null
kill -0 "$ppid" 2>/dev/null || fail "/metrics was answered only after a parked ?seconds=4 request"
wait $cpid || fail "allocs?seconds=1: curl failed"
t1=$(date +%s%N)
((t1 - t0 >= 1000000000)) || fail "allocs?seconds=1 answered after $(((t1 - t0) / 1000000)) ms, before the second was over"
wait $ppid || fail "heap?seconds=4: curl failed"
get /debug/pprof/allocs >"$W/full.pb.gz"
d=$(total "$W/delta.pb.gz")
f=$(total "$W/full.pb.gz")
[[ -n $d && -n $f ]] || fail "cannot read the totals of the delta ($d) and full ($f) profiles"
((d > 0 && d * 10 < f * 8)) || fail "delta of one second allocated $d B, full profile $f B after 2+ s: not a delta"
go tool pprof -top "$W/delta.pb.gz" >/dev/null 2>&1 || fail "go tool pprof cannot read the delta profile"
# Its duration is the second it covers, as in Go's deltas (net/http/pprof's
# serveDeltaProfile), not the process's age: so within the request's life.
dur=$("$PROFILE_SUMMARY" "$W/delta.pb.gz" | sed -n 's/^duration_nanos //p')
[[ -n $dur ]] && ((dur >= 1000000000 && dur <= t1 - t0)) ||
    fail "allocs?seconds=1: duration_nanos=$dur, expected the second it covers (at least 1e9, at most the request's $((t1 - t0)) ns)"
note "allocs?seconds=1 delta ok ($d B of $f B)"
# A heap delta's standard error.  The churn's 64 live blocks turn over many
# times a second, so all it holds now came within the second and all it held
# then went: each set's error counts, and the difference's variance is now's
# plus then's, about twice now's alone.  It was now's less then's (0 where
# that was negative): the delta's error was never above a whole profile's.
sd() { "$LIVE_CLI" top --raw "$1" | sed -n 's/^Total: -\{0,1\}[0-9]* ± \([0-9]*\) in .*/\1/p'; }
get "/debug/pprof/heap?seconds=1" >"$W/hdelta.pb.gz"
get /debug/pprof/heap >"$W/hfull.pb.gz"
hd=$(sd "$W/hdelta.pb.gz")
hf=$(sd "$W/hfull.pb.gz")
[[ -n $hd && -n $hf ]] && ((hf > 0 && hd * 100 > hf * 115)) ||
    fail "heap?seconds=1: the delta's ± is ${hd:-?} B against ${hf:-?} B for the whole heap now, expected about 1.4 times: $("$LIVE_CLI" top --raw "$W/hdelta.pb.gz" 2>&1 | grep Total)"
note "heap?seconds=1 delta's ± $hd B, the whole heap's $hf B"
# A client that gives up while parked.
curl -s --max-time 0.5 -o /dev/null "http://127.0.0.1:$PORT/debug/pprof/heap?seconds=3" || true
[[ $(status /metrics) == 200 ]] || fail "/metrics after a client gave up while parked"

stop srv
[[ $RC -eq 0 ]] || fail "live_prog churn exited $RC"

# 4. Address forms.
start colon HEAPPROF_HTTP=:0 -- labels
[[ $PORT =~ ^[0-9]+$ ]] && grep -qF "heapprof[$PID]: serving http://127.0.0.1:" "$W/colon.err" ||
    fail "HEAPPROF_HTTP=:0 should serve on 127.0.0.1: $(cat "$W/colon.err")"
[[ $(status /) == 200 ]] || fail ":0 server does not answer"
stop colon
start v6 'HEAPPROF_HTTP=[::1]:0' -- labels
if grep -qF "heapprof[$PID]: serving http://[::1]:" "$W/v6.err"; then
    code=$(curl -s --max-time 20 -o /dev/null -w '%{http_code}' "http://[::1]:$PORT/metrics" || true)
    [[ $code == 200 ]] || fail "[::1] server: /metrics status $code"
    note "[::1] ok"
else
    grep -q 'cannot serve HTTP on \[::1\]:0' "$W/v6.err" || fail "[::1]:0: $(cat "$W/v6.err")"
    note "no IPv6 loopback here: [::1] not checked"
fi
stop v6
for bad in nonsense 127.0.0.1:99999 example.com:80 '127.0.0.1:' '[::1]' '::1:80' '1.2.3.4.5:80'; do
    start bad HEAPPROF_HTTP="$bad" -- labels
    [[ -z $PORT ]] || fail "HEAPPROF_HTTP=$bad should not serve"
    n=$(hp_count "$W/bad.err")
    [[ $n -eq 1 ]] && grep -qF "HEAPPROF_HTTP=\"$bad\" is not understood" "$W/bad.err" ||
        fail "HEAPPROF_HTTP=$bad: expected one line naming it, got: $(cat "$W/bad.err")"
    stop bad
    [[ $RC -eq 0 ]] || fail "HEAPPROF_HTTP=$bad: program exited $RC"
done
# off, and 0 alone as for the other settings (docs/live.md), are no server
# and no word; :0 is the kernel's choice of port (above).
for off in off 0; do
    start off HEAPPROF_HTTP="$off" -- labels
    [[ -z $PORT && $(hp_count "$W/off.err") -eq 0 ]] ||
        fail "HEAPPROF_HTTP=$off should be off, in silence: $(cat "$W/off.err")"
    stop off
    [[ $RC -eq 0 ]] || fail "HEAPPROF_HTTP=$off: program exited $RC"
done
note "address forms ok"

# 5. fork: the child holds none of the server's sockets.  The server's
# thread has a descriptor table of its own: the tables of all threads count.
start fk -- fork
child=$(sed -n 's/^child //p' "$W/fk.out")
[[ -n $child && -d /proc/$child ]] || fail "fork: no child"
socks=$(find /proc/"$child"/task/*/fd -lname 'socket:*' 2>/dev/null | wc -l)
[[ $socks -eq 0 ]] || fail "fork: the child holds $socks sockets (the server's must be closed there)"
psocks=$(find /proc/"$PID"/task/*/fd -lname 'socket:*' 2>/dev/null | wc -l)
[[ $psocks -ge 1 ]] || fail "fork: the parent holds no listening socket"
[[ $(status /metrics) == 200 ]] || fail "fork: parent does not serve after the fork"
[[ $(grep -cE "${HP_LINE}serving" "$W/fk.err") -eq 1 ]] || fail "fork: the child started a server too"
stop fk
[[ $RC -eq 0 ]] || fail "fork: exited $RC"
note "ok"

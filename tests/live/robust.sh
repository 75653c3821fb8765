#!/usr/bin/env bash
# live_robust: clients that misbehave get a 4xx (or a 503 when too many) and
# never stop the server from answering the next one:
#  - malformed requests, an oversized head (over 1 MiB; a 300 KiB Cookie
#    line is served), wrong methods, unknown paths, bad ?seconds=, NUL
#    bytes, a bad %-escape in the path, a huge Content-Length (the body is
#    never waited for), random bytes;
#  - what Go's net/http/pprof accepts: empty lines before the request line;
#    paths %-decoded before routing (%2F a '/'; %00 a NUL, no route's);
#    paths that are not clean moved (301) to the clean one, its Location
#    escaped (a decoded CR LF cannot inject a header);
#    ?seconds= percent-decoded, the first one counting, empty as absent;
#  - a client that sends nothing and one that sends a byte a second do not
#    delay another client, and get 408 once their 5 s are up;
#  - with 8 idle connections open, the next client gets 503; once they
#    close, requests are served again.
# Raw requests go through bash's /dev/tcp; the program must be unharmed at
# the end (exit status 0).
source "$(dirname "$0")/lib.sh"
need curl curl

start srv HEAPPROF_OUT="$W/srv" HEAPPROF_ON_EXIT=0 -- churn
[[ -n $PORT ]] || fail "no serving line on stderr: $(cat "$W/srv.err")"

# raw FORMAT [ARGS]: send printf FORMAT ARGS on a new connection, print the
# status code of the answer (empty when none within 10 s).
raw() {
    local fd line
    exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
    # shellcheck disable=SC2059
    printf "$@" >&"$fd" 2>/dev/null || true
    IFS= read -r -t 10 line <&"$fd" || line=
    exec {fd}>&-
    line=${line%$'\r'}
    [[ $line =~ ^HTTP/1\.1\ ([0-9]{3})\  ]] && echo "${BASH_REMATCH[1]}" || echo "none:$line"
}

alive() { [[ $(status /metrics) == 200 ]] || fail "server stopped answering after: $1"; }

check() { # check WANT DESCRIPTION FORMAT [ARGS]
    local want=$1 what=$2 got
    shift 2
    got=$(raw "$@")
    [[ $got == "$want" ]] || fail "$what: expected status $want, got $got"
    alive "$what"
}

long=$(head -c 9000 /dev/zero | tr '\0' a)
check 400 "garbage line" 'garbage\r\n\r\n'
check 400 "binary bytes" '\x00\x01\x02\xff\xfe\r\n\r\n'
check 400 "no version" 'GET /metrics\r\n\r\n'
check 400 "no slash" 'GET metrics HTTP/1.1\r\n\r\n'
check 400 "absolute form" 'GET http://x/metrics HTTP/1.1\r\n\r\n'
check 400 "bad header line" 'GET /metrics HTTP/1.1\r\nNo colon here\r\n\r\n'
check 400 "folded header" 'GET /metrics HTTP/1.1\r\nA: b\r\n continued\r\n\r\n'
check 400 "control byte in header" 'GET /metrics HTTP/1.1\r\nA: b\x01c\r\n\r\n'
check 400 "request line over 8 KiB" 'GET /%s HTTP/1.1\r\n\r\n' "$long"
# A browser sends every cookie of localhost, whatever the port: Go takes
# 1 MiB of head, and so do we, in a buffer of 12 KiB.
cookie=$(head -c $((300 * 1024)) /dev/zero | tr '\0' c)
check 200 "a 300 KiB Cookie line" 'GET /metrics HTTP/1.1\r\nCookie: a=%s\r\n\r\n' "$cookie"
check 200 "2000 header lines" 'GET / HTTP/1.1\r\n%b\r\n' "$(for i in $(seq 2000); do printf 'X-%d: v\\r\\n' "$i"; done)"
huge=$(head -c $((1024 * 1024)) /dev/zero | tr '\0' h)
check 431 "head over 1 MiB" 'GET /metrics HTTP/1.1\r\nX-Long: %s\r\n\r\n' "$huge"
check 200 "empty lines before the request line" '\r\n\nGET /metrics HTTP/1.1\r\n\r\n'
check 505 "HTTP/9.9" 'GET /metrics HTTP/9.9\r\n\r\n'
check 405 "POST" 'POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc'
check 405 "DELETE" 'DELETE /debug/pprof/heap HTTP/1.1\r\n\r\n'
check 404 "unknown path" 'GET /nope HTTP/1.1\r\n\r\n'
check 404 "near path" 'GET /metrics/ HTTP/1.1\r\n\r\n'
for s in 0 301 abc -1 1x 99999999999999999999 %2D1 +1 %2B; do
    check 400 "seconds=$s" 'GET /debug/pprof/allocs?seconds=%s HTTP/1.1\r\n\r\n' "$s"
done
check 200 "bare LF line ends" 'GET /metrics HTTP/1.0\n\n'
check 400 "NUL in the target" 'GET /met\x00rics HTTP/1.1\r\n\r\n'
check 400 "NUL in a header" 'GET /metrics HTTP/1.1\r\nA: b\x00c\r\n\r\n'
check 200 "percent-encoded path" 'GET /%%6detrics HTTP/1.1\r\n\r\n'
check 200 "percent-encoded path, lower and upper hex" 'GET /debug/pprof/%%68e%%61p HTTP/1.1\r\n\r\n'
check 200 "an encoded slash, which Go decodes too" 'GET /debug/pprof%%2Fallocs HTTP/1.1\r\n\r\n'
check 404 "an encoded NUL" 'GET /metrics%%00 HTTP/1.1\r\n\r\n'
check 404 "an encoded '?' stays in the path" 'GET /metrics%%3F HTTP/1.1\r\n\r\n'
for e in '%%' '%%4' '%%zz' '%%4g' '%%?x=1'; do
    check 400 "bad escape $e in the path" "GET /metrics$e HTTP/1.1\r\n\r\n"
done
body=$(curl -s --max-time 10 "http://127.0.0.1:$PORT/m%zz")
[[ $body == *'malformed %-escape in the path'* ]] || fail "bad escape: the answer does not say why: $body"
check 400 "a bad seconds before a good one" 'GET /debug/pprof/heap?seconds=0&seconds=1 HTTP/1.1\r\n\r\n'
check 200 "huge Content-Length, body never sent" \
    'POST /debug/pprof/symbol HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\nabc'
# A request arriving in pieces, split at every awkward place.
for split in 'G|ET /metrics HTTP/1.1\r\n\r\n' 'GET /metrics HTTP/1.1\r|\n\r\n' \
             'GET /metrics HTTP/1.1\r\nHost: x\r\n\r|\n' 'GET /metrics HT|TP/1.1\r\n\r\n'; do
    exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
    printf "${split%%|*}" >&"$fd"
    sleep 0.2
    printf "${split#*|}" >&"$fd"
    IFS= read -r -t 10 line <&"$fd" || line=
    exec {fd}>&-
    [[ $line == "HTTP/1.1 200 "* ]] || fail "request split as '$split': got '$line'"
done
# ?seconds= as Go reads it; how long the answer takes says which value
# counted: about 1 s for 1, at once for none.
timed() { # timed WANT MIN_MS MAX_MS DESCRIPTION FORMAT [ARGS]
    local want=$1 lo=$2 hi=$3 what=$4 t0 t1 got
    shift 4
    t0=$(date +%s%N)
    got=$(raw "$@")
    t1=$(date +%s%N)
    [[ $got == "$want" ]] || fail "$what: expected status $want, got $got"
    (((t1 - t0) / 1000000 >= lo && (t1 - t0) / 1000000 <= hi)) ||
        fail "$what: answered in $(((t1 - t0) / 1000000)) ms, expected $lo..$hi"
    alive "$what"
}
timed 200 900 8000 "percent-encoded seconds=%31" 'GET /debug/pprof/allocs?seconds=%%31 HTTP/1.1\r\n\r\n'
timed 200 900 8000 "seconds=1&seconds=0: the first counts" \
    'GET /debug/pprof/heap?seconds=1&seconds=0 HTTP/1.1\r\n\r\n'
timed 200 0 4000 "seconds=&seconds=5: empty first, no delta" \
    'GET /debug/pprof/allocs?seconds=&seconds=5 HTTP/1.1\r\n\r\n'
timed 200 0 4000 "seconds=: no delta" 'GET /debug/pprof/heap?seconds= HTTP/1.1\r\n\r\n'
# Paths that are not clean: 301 to the clean path, as Go's ServeMux
# answers (cleaned after %-decoding, escaped again in Location, the query
# as sent), for every method but CONNECT, before any 404 or 405.
# answer FORMAT [ARGS]: "STATUS LOCATION NHEADERS BODY" of the answer.
answer() {
    local fd line st= loc=- n=0 body
    exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
    # shellcheck disable=SC2059
    printf "$@" >&"$fd" 2>/dev/null || true
    while IFS= read -r -t 10 line <&"$fd"; do
        line=${line%$'\r'}
        [[ -z $line ]] && break
        n=$((n + 1))
        [[ $line =~ ^HTTP/1\.1\ ([0-9]{3})\  ]] && st=${BASH_REMATCH[1]}
        [[ $line =~ ^Location:\ (.*)$ ]] && loc=${BASH_REMATCH[1]}
    done
    body=$(timeout 10 cat <&"$fd" | tr '\n' '|')
    exec {fd}>&-
    echo "$st $loc $n $body"
}
moved() { # moved WANT_LOCATION FORMAT [ARGS]: a 301 there, with Go's headers and body
    # (WANT_LOCATION as it is, not a printf format)
    local want=$1 got
    shift
    got=$(answer "$@")
    [[ $got == "301 $want 7 <a href=\""* ]] || fail "$1: expected 301 to $want (7 header lines), got '$got'"
    alive "$1"
}
moved /debug/pprof/heap 'GET //debug//pprof/heap HTTP/1.1\r\n\r\n'
moved /debug/pprof/heap 'GET /debug/pprof/./heap HTTP/1.1\r\n\r\n'
moved /metrics 'GET /a/../metrics HTTP/1.1\r\n\r\n'
moved /metrics 'GET /../../metrics HTTP/1.0\r\n\r\n'
moved /debug/pprof/ 'GET /debug/pprof// HTTP/1.1\r\n\r\n'
moved /nope/ 'GET //nope/./ HTTP/1.1\r\n\r\n'
moved '/debug/pprof/allocs?seconds=0&debug=%31' 'GET //debug/pprof/allocs?seconds=0&debug=%%31 HTTP/1.1\r\n\r\n'
moved /metrics 'GET /%%2e%%2E/metrics HTTP/1.1\r\n\r\n'
moved /metrics 'GET /debug%%2F..%%2Fmetrics HTTP/1.1\r\n\r\n'
moved /metrics 'GET //metrics? HTTP/1.1\r\n\r\n'
# A decoded CR LF, NUL or '?' is escaped again: no header can be injected.
moved /%0D%0ASet-Cookie:%20a=b/ 'GET /%%0d%%0aSet-Cookie:%%20a=b// HTTP/1.1\r\n\r\n'
moved /%0A%00%3F 'GET /%%0a%%00%%3f/. HTTP/1.1\r\n\r\n'
got=$(answer 'GET /a/../metrics?x="<>\047& HTTP/1.1\r\n\r\n')
[[ $got == '301 /metrics?x="<>'"'"'& 7 <a href="/metrics?x=&#34;&lt;&gt;&#39;&amp;">Moved Permanently</a>.||' ]] ||
    fail "redirect body: '$got'"
# Every method but CONNECT; a body for GET only (HEAD is told its length).
got=$(answer 'HEAD //metrics HTTP/1.1\r\n\r\n')
[[ $got == "301 /metrics 7 " ]] || fail "HEAD //metrics: '$got'"
got=$(answer 'POST /debug/pprof/./symbol HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc')
[[ $got == "301 /debug/pprof/symbol 6 " ]] || fail "POST /debug/pprof/./symbol: '$got'"
check 301 "DELETE a path not clean" 'DELETE //debug/pprof/heap HTTP/1.1\r\n\r\n'
check 404 "CONNECT is not cleaned" 'CONNECT //metrics HTTP/1.1\r\n\r\n'
check 400 "a bad escape in a path not clean" 'GET //metrics%%zz HTTP/1.1\r\n\r\n'
check 200 "an escaped path that is clean is served" 'GET /%%6detrics HTTP/1.1\r\n\r\n'
code=$(curl -s --max-time 10 --path-as-is -L -o /dev/null -w '%{http_code} %{num_redirects}' \
    "http://127.0.0.1:$PORT//debug/pprof/./heap?debug=1")
[[ $code == "200 1" ]] || fail "curl -L //debug/pprof/./heap?debug=1: $code"
note "redirects to clean paths ok"

# HEAD is GET without the body, on every path and for every answer, as in
# Go: the headers and Content-Length a GET gets, then nothing.
# head_answer PATH: "STATUS CONTENT-LENGTH BYTES-AFTER-THE-HEADERS".
head_answer() {
    local fd line st= len=-
    exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
    printf 'HEAD %s HTTP/1.1\r\n\r\n' "$1" >&"$fd" 2>/dev/null || true
    while IFS= read -r -t 10 line <&"$fd"; do
        line=${line%$'\r'}
        [[ -z $line ]] && break
        [[ $line =~ ^HTTP/1\.1\ ([0-9]{3})\  ]] && st=${BASH_REMATCH[1]}
        [[ $line =~ ^Content-Length:\ ([0-9]+)$ ]] && len=${BASH_REMATCH[1]}
    done
    echo "$st $len $(timeout 10 cat <&"$fd" | wc -c)"
    exec {fd}>&-
}
for p in / /metrics /debug/pprof/heap '/debug/pprof/allocs?debug=1' /nope \
    '/debug/pprof/heap?seconds=x'; do
    read -r st len after <<<"$(head_answer "$p")"
    case $p in
    /nope) want=404 ;;
    *seconds=x) want=400 ;;
    *) want=200 ;;
    esac
    [[ $st == "$want" && $len =~ ^[0-9]+$ && $len -gt 0 && $after == 0 ]] ||
        fail "HEAD $p: status $st (expected $want), Content-Length $len, $after bytes of body (expected none)"
    alive "HEAD $p"
done
# The length told is a GET's: the index is always the same page.
index_len=$(curl -s --max-time 10 "http://127.0.0.1:$PORT/" | wc -c)
read -r st len after <<<"$(head_answer /)"
[[ $len == "$index_len" ]] || fail "HEAD / says Content-Length $len, GET / sends $index_len bytes"
note "HEAD ok"

# The answer to a 4xx is one line of text saying why.
body=$(curl -s --max-time 10 -X PUT "http://127.0.0.1:$PORT/metrics")
[[ $body == "405 Method Not Allowed: only GET and HEAD are served" ]] || fail "405 body: '$body'"
allow=$(curl -s --max-time 10 -o /dev/null -D - -X PUT "http://127.0.0.1:$PORT/metrics" | tr -d '\r' | sed -n 's/^Allow: //p')
[[ $allow == "GET, HEAD" ]] || fail "405 Allow: '$allow'"
note "malformed requests ok"

# Random bytes, then closing at once or after a moment.
for i in $(seq 1 40); do
    n=$((RANDOM % 3000 + 1))
    exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
    head -c "$n" /dev/urandom >&"$fd" 2>/dev/null || true
    ((i % 4 == 0)) && sleep 0.05
    exec {fd}>&-
done
alive "random bytes"
# Half a request, then the client goes away.
exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
printf 'GET /metr' >&"$fd"
exec {fd}>&-
alive "half a request"
note "random input ok"

# Slow clients: one silent, one sending a byte a second.
exec {idle}<>"/dev/tcp/127.0.0.1/$PORT"
exec {drip}<>"/dev/tcp/127.0.0.1/$PORT"
(
    exec {idle}>&-
    req='GET /metrics HTTP/1.1\r\n'
    for ((i = 0; i < ${#req} && i < 8; i++)); do
        printf '%s' "${req:i:1}" >&"$drip" 2>/dev/null || exit 0
        sleep 1
    done
) &
dripper=$!
KILL_AT_EXIT+=("$dripper")
sleep 0.3
t0=$(date +%s%N)
[[ $(status /metrics) == 200 ]] || fail "a request while slow clients are connected"
t1=$(date +%s%N)
# Blocked by them, it would wait for their 5 s deadline: 4 s is room for a
# loaded machine, not a measure of speed.
((t1 - t0 < 4000000000)) || fail "a request took $(((t1 - t0) / 1000000)) ms next to slow clients (held until their 5 s deadline?)"
IFS= read -r -t 10 line <&"$idle" || line=
[[ $line == "HTTP/1.1 408 "* ]] || fail "silent client: expected 408 after 5 s, got '$line'"
IFS= read -r -t 10 line <&"$drip" || line=
[[ $line == "HTTP/1.1 408 "* ]] || fail "dripping client: expected 408 after 5 s, got '$line'"
exec {idle}>&- {drip}>&-
kill "$dripper" 2>/dev/null || true
wait "$dripper" 2>/dev/null || true
alive "slow clients"
note "slow clients ok"

# Too many connections: 8 idle ones, then a ninth gets 503.
fds=()
for i in $(seq 1 8); do
    exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
    fds+=("$fd")
done
sleep 0.3
code=$(status /metrics)
[[ $code == 503 ]] || fail "a ninth connection: expected 503, got $code"
curl -s --max-time 10 -D "$W/503.hdr" -o /dev/null "http://127.0.0.1:$PORT/" || true
grep -qi '^Retry-After:' "$W/503.hdr" || fail "503 without Retry-After: $(cat "$W/503.hdr")"
for fd in "${fds[@]}"; do exec {fd}>&-; done
ok=
for i in $(seq 1 50); do
    [[ $(status /metrics) == 200 ]] && { ok=1; break; }
    sleep 0.1
done
[[ -n $ok ]] || fail "not serving again after the idle connections closed"
note "connection limit ok"

stop srv
[[ $RC -eq 0 ]] || fail "live_prog exited $RC: $(tail -5 "$W/srv.err")"
[[ $(hp_count "$W/srv.err") -eq 1 ]] || fail "unexpected profiler messages: $(cat "$W/srv.err")"
note "ok"

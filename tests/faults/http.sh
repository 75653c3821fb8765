#!/usr/bin/env bash
# faults_http: every allocation of heapprof's fails (HEAPPROF_FAULT=mem:1+)
# while its HTTP server answers requests.  The server closed such a
# connection without a word (curl: "Empty reply from server") and said
# nothing on stderr; now each request gets a 503 saying heapprof is out of
# memory (a HEAD its headers only), stderr gets one line for the whole
# shortage, and the program is unharmed.
TEST_TAG=faults_http
# shellcheck source=../lib/common.sh
source "$(dirname "$0")/../lib/common.sh"
need_env FAULT_LIB LIVE_PROG FAULT_WORK
work_init "$FAULT_WORK"
scrub_env
export no_proxy='*' NO_PROXY='*'
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
command -v curl >/dev/null || skip "no curl"

HEAPPROF_LIB=$FAULT_LIB run_bg srv HEAPPROF_FAULT=mem:1+ HEAPPROF_HTTP=127.0.0.1:0 \
    HEAPPROF_ON_EXIT=0 HEAPPROF_OUT="$W/srv" LIVE_WAIT=60 LIVE_STOP="$W/stop" -- "$LIVE_PROG" known
pid=$BGPID
wait_for_line "$W/srv.err" "serving http://" 10 "$pid"
port=$(sed -n 's|.*serving http://127\.0\.0\.1:\([0-9]*\)/$|\1|p' "$W/srv.err")

for p in /metrics /debug/pprof/heap '/debug/pprof/heap?debug=1' '/debug/pprof/allocs?seconds=1' / /nope; do
    out=$(curl -s -i --max-time 10 "http://127.0.0.1:$port$p" | tr -d '\r') || true
    [[ $(head -n 1 <<<"$out") == "HTTP/1.1 503 Service Unavailable" ]] ||
        fail "GET $p with no memory: expected a 503, got '$out'"
    [[ $(tail -n 1 <<<"$out") == "503 Service Unavailable: heapprof is out of memory" ]] ||
        fail "GET $p: the 503 does not say why: '$out'"
done
out=$(curl -s -I --max-time 10 "http://127.0.0.1:$port/metrics" | tr -d '\r') || true
[[ $(head -n 1 <<<"$out") == "HTTP/1.1 503 Service Unavailable" && $out != *"out of memory"* ]] ||
    fail "HEAD with no memory: '$out'"
note "503 with its reason ok"

touch "$W/stop"
finish "$pid" 20
[[ $RC == 0 ]] || fail "live_prog exited $RC: $(cat "$W/srv.err")"
n=$(grep -c 'the HTTP server has no memory' "$W/srv.err" || true)
[[ $n == 1 ]] || fail "expected one line on stderr for the shortage, got $n: $(cat "$W/srv.err")"
note "ok"

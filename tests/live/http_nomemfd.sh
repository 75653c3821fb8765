#!/usr/bin/env bash
# live_http_nomemfd: the endpoint where memfd_create is refused, as a
# container's seccomp profile may refuse it.  ctest runs this script under
# tests/lifecycle/marks.c (nomemfd-any), whose filter every process here
# inherits.  Every profile request was answered 500 "cannot create a memory
# file for the profile"; now (src/http_body.h):
#  1. /debug/pprof/heap (read by go tool pprof -top), its ?debug=1 text,
#     /allocs and a parked ?seconds=1 are answered 200 from unnamed files
#     in /dev/shm, and stderr says so in one line for all the requests;
#  2. on a file system without unnamed files (tmpfileshim.c notmpfile), from
#     files unlinked as soon as made, O_TMPFILE asked once, none left behind.
source "$(dirname "$0")/lib.sh"
need curl curl
need_env LIVE_TMPFILESHIM
require_go
[[ $(sed -n 's/^Seccomp:[[:space:]]*//p' /proc/self/status) == 2 ]] ||
    fail "not under marks.c's filter: run as ctest's live_http_nomemfd (marks nomemfd-any)"

# Where the profiles should go: /dev/shm, where this machine has it.
shm=/dev/shm
[[ -d $shm && -w $shm ]] || shm=

# requests NAME: the profile requests, each checked; go tool pprof reads them.
requests() {
    local i out
    for i in 1 2 3; do
        get /debug/pprof/heap >"$W/$1-heap$i.pb.gz"
        [[ $(head -c 2 "$W/$1-heap$i.pb.gz" | od -An -tx1 | tr -d ' ') == 1f8b ]] ||
            fail "$1: heap profile $i is not gzip"
    done
    out=$(go tool pprof -top "http://127.0.0.1:$PORT/debug/pprof/heap" 2>"$W/pprof.err") ||
        { cat "$W/pprof.err" >&2; fail "$1: go tool pprof -top on /debug/pprof/heap failed"; }
    grep -q 'Type: inuse_space' <<<"$out" && grep -q churn_alloc <<<"$out" ||
        fail "$1: go tool pprof -top: not the churn's heap: $out"
    go tool pprof -top "$W/$1-heap1.pb.gz" >/dev/null 2>&1 || fail "$1: go tool pprof cannot read the heap profile"
    get '/debug/pprof/heap?debug=1' >"$W/$1-heap.txt"
    head -1 "$W/$1-heap.txt" | grep -Eq '^heap profile: [0-9]+: [0-9]+ \[[0-9]+: [0-9]+\] @ heap/2$' ||
        fail "$1: heap?debug=1 is not the text profile: $(head -3 "$W/$1-heap.txt")"
    grep -q churn_alloc "$W/$1-heap.txt" || fail "$1: heap?debug=1 lacks churn_alloc"
    out=$(go tool pprof -top "http://127.0.0.1:$PORT/debug/pprof/allocs?seconds=1" 2>"$W/pprof.err") ||
        { cat "$W/pprof.err" >&2; fail "$1: go tool pprof on allocs?seconds=1 failed"; }
    grep -q 'Type: alloc_space' <<<"$out" || fail "$1: allocs?seconds=1: $out"
}

# said NAME TEXT: the run's stderr says TEXT about memfd_create once.
said() {
    local n
    n=$(grep -c 'memfd_create' "$W/$1.err" || true)
    [[ $n == 1 ]] && grep -qF -- "$2" "$W/$1.err" ||
        fail "$1: expected one line on memfd_create saying '$2', got $n: $(hp_lines "$W/$1.err")"
}

# 1. Unnamed files.
start srv HEAPPROF_SAMPLE=4096 -- churn
[[ -n $PORT ]] || fail "no serving line on stderr: $(cat "$W/srv.err")"
requests srv
stop srv
[[ $RC -eq 0 ]] || fail "live_prog churn exited $RC"
said srv "memfd_create is refused (Operation not permitted); the HTTP server renders profiles into unnamed files in ${shm:-/}"
note "unnamed files ok: $(hp_msgs "$W/srv.err" | grep memfd_create)"

# 2. No unnamed files: named ones, unlinked at once.
HEAPPROF_LIB="$LIVE_TMPFILESHIM $HEAPPROF_LIB" start named HEAPPROF_SAMPLE=4096 \
    TMPFILE_SHIM=notmpfile TMPFILE_SHIM_LOG="$W/shim.log" -- churn
[[ -n $PORT ]] || fail "named: no serving line on stderr: $(cat "$W/named.err")"
requests named
if [[ -n $shm ]]; then
    left=$(find "$shm" -maxdepth 1 -name 'heapprof-http-*' -user "$(id -u)" 2>/dev/null | head -3)
    [[ -z $left ]] || fail "named: files left in $shm: $left"
fi
stop named
[[ $RC -eq 0 ]] || fail "live_prog churn (notmpfile) exited $RC"
said named "the HTTP server renders profiles into files unlinked as soon as made in ${shm:-/}"
n=$(grep -c "^tmpfile ${shm:-/}[^ ]* refused$" "$W/shim.log" || true)
[[ $n == 1 ]] || fail "named: O_TMPFILE asked $n times in ${shm:-/} (once: it is remembered): $(cat "$W/shim.log")"
note "named files ok"
note "ok"

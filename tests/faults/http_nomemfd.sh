#!/usr/bin/env bash
# faults_http_nomemfd: the HTTP server's profiles where memfd_create is
# refused (ctest runs this under tests/lifecycle/marks.c nomemfd-any) and
# the files it falls back to fail too (src/http_body.h; HEAPPROF_FAULT io
# covers their open, mkostemp and write):
#  1. the first write into /dev/shm's file fails with ENOSPC (a full
#     /dev/shm: a container's is 64 MiB by default): the profile is
#     rendered again in the next directory, the client gets it whole, and
#     stderr names that directory, where it was written (it named /dev/shm);
#  2. no file can be made anywhere (io:1+): each request gets a 500 that
#     says why for each directory, stderr says it once, and the program is
#     unharmed;
#  3. every directory full or failing (io:2+): the 500 says /dev/shm is
#     full and /tmp failing, and so does stderr, once (it said nothing, or
#     that profiles went to /dev/shm).
TEST_TAG=faults_http_nomemfd
# shellcheck source=../lib/common.sh
source "$(dirname "$0")/../lib/common.sh"
need_env FAULT_LIB LIVE_PROG PBCHECK FAULT_WORK
work_init "$FAULT_WORK"
scrub_env
export no_proxy='*' NO_PROXY='*'
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY TMPDIR
command -v curl >/dev/null || skip "no curl"
[[ $(sed -n 's/^Seccomp:[[:space:]]*//p' /proc/self/status) == 2 ]] ||
    fail "not under marks.c's filter: run as ctest's faults_http_nomemfd (marks nomemfd-any)"
[[ -d /dev/shm && -w /dev/shm ]] || skip "no writable /dev/shm: the first directory is not there to fill"

# serve NAME FAULT: live_prog with the fault library, its server's port in PORT.
serve() {
    HEAPPROF_LIB=$FAULT_LIB run_bg "$1" HEAPPROF_FAULT="$2" HEAPPROF_FAULT_LOG="$W/$1.log" \
        HEAPPROF_HTTP=127.0.0.1:0 HEAPPROF_ON_EXIT=0 HEAPPROF_OUT="$W/$1" LIVE_WAIT=60 \
        LIVE_STOP="$W/$1.stop" -- "$LIVE_PROG" known
    PID=$BGPID
    wait_for_line "$W/$1.err" "serving http://" 10 "$PID"
    PORT=$(sed -n 's|.*serving http://127\.0\.0\.1:\([0-9]*\)/$|\1|p' "$W/$1.err")
}

# done_with NAME: the program ends as it would without heapprof.
done_with() {
    touch "$W/$1.stop"
    finish "$PID" 20
    [[ $RC == 0 ]] || fail "$1: live_prog exited $RC: $(cat "$W/$1.err")"
}

# fetch PATH: the status line and the last line of the answer.
fetch() {
    local out
    out=$(curl -s -i --max-time 10 "http://127.0.0.1:$PORT$1" | tr -d '\r') || true
    STATUS=$(head -n 1 <<<"$out")
    LAST=$(tail -n 1 <<<"$out")
}

# said NAME MESSAGE: the run's stderr has one line on memfd_create, MESSAGE.
said() {
    local n
    n=$(grep -c 'memfd_create' "$W/$1.err" || true)
    [[ $n == 1 ]] && grep -qxF -- "$2" <(hp_msgs "$W/$1.err") ||
        fail "$1: expected one line on memfd_create, '$2'; got $n: $(hp_lines "$W/$1.err")"
}

# 1. /dev/shm full at the first write: /tmp's file serves.
serve full io:2
curl -sS --max-time 10 -o "$W/full.pb.gz" -w '%{http_code}' "http://127.0.0.1:$PORT/debug/pprof/heap" >"$W/full.code" ||
    fail "full: curl failed"
[[ $(cat "$W/full.code") == 200 ]] || fail "full: status $(cat "$W/full.code"): $(head -c 300 "$W/full.pb.gz")"
"$PBCHECK" "$W/full.pb.gz" >"$W/full.check" 2>&1 || fail "full: the profile is not whole: $(cat "$W/full.check")"
read -r _ _ calls_io failed_io <<<"$(od -An -tu8 -v "$W/full.log.$PID" | tr -s ' \n' ' ')"
[[ $failed_io == 1 && $calls_io -gt 3 ]] ||
    fail "full: expected the one write to fail and the profile written again ($calls_io I/O calls, $failed_io failed)"
done_with full
said full "memfd_create is refused (Operation not permitted); the HTTP server renders profiles into unnamed files in /tmp"
note "a full /dev/shm: rendered again in /tmp, 200"

# 2. No file anywhere.
serve none io:1+
for p in /debug/pprof/heap '/debug/pprof/heap?debug=1' /debug/pprof/allocs; do
    fetch "$p"
    [[ $STATUS == "HTTP/1.1 500 Internal Server Error" ]] || fail "none: GET $p: expected a 500, got '$STATUS'"
    [[ $LAST == "500 Internal Server Error: cannot write the profile (memfd_create: Operation not permitted; /dev/shm: Input/output error; /tmp: Input/output error)" ]] ||
        fail "none: GET $p: the 500 does not say why: '$LAST'"
done
fetch /metrics
[[ $STATUS == "HTTP/1.1 200 OK" ]] || fail "none: /metrics: '$STATUS'"
done_with none
said none "memfd_create is refused (Operation not permitted), and no file in /dev/shm, \$TMPDIR or /tmp takes a profile either (/dev/shm: Input/output error; /tmp: Input/output error); the HTTP server answers profile requests 500 while that lasts"
note "no file anywhere: 500 with the reason, one line"

# 3. Full, then nothing else: the 500 and stderr say /dev/shm is full.
serve nospace io:2+
fetch /debug/pprof/heap
[[ $STATUS == "HTTP/1.1 500 Internal Server Error" && $LAST == "500 Internal Server Error: cannot write the profile (memfd_create: Operation not permitted; /dev/shm: No space left on device; /tmp: Input/output error)" ]] ||
    fail "nospace: expected a 500 saying /dev/shm is full, got '$STATUS' '$LAST'"
done_with nospace
said nospace "memfd_create is refused (Operation not permitted), and no file in /dev/shm, \$TMPDIR or /tmp takes a profile either (/dev/shm: No space left on device; /tmp: Input/output error); the HTTP server answers profile requests 500 while that lasts"
note "ok"

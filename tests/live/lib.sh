# lib.sh - helpers shared by the live-view tests (sourced, bash).
#
# Environment (set by tests/live/CMakeLists.txt):
#   HEAPPROF_LIB   libheapprof.so to preload
#   LIVE_PROG      tests/live/live_prog
#   LIVE_WORK      a private work directory (recreated; removed on success)
#
# Every server the tests start listens on loopback only, on a port the
# kernel picks (HEAPPROF_HTTP=127.0.0.1:0; the port is read from the
# "heapprof: serving http://...:PORT/" line).  Every wait is bounded and
# every process started here is killed on exit.

set -euo pipefail

LIVE_NAME=$(basename "${BASH_SOURCE[1]:-live}" .sh)

fail() {
    echo "FAIL [live_$LIVE_NAME]: $*" >&2
    exit 1
}

skip() {
    echo "SKIP [live_$LIVE_NAME]: $*"
    exit 77
}

note() { echo "[live_$LIVE_NAME] $*"; }

for v in HEAPPROF_LIB LIVE_PROG LIVE_WORK; do
    [[ -n "${!v:-}" ]] || fail "environment variable $v is not set (run this through ctest)"
done
[[ -f "$HEAPPROF_LIB" ]] || fail "HEAPPROF_LIB=$HEAPPROF_LIB does not exist"

W=$LIVE_WORK
rm -rf "$W"
mkdir -p "$W"
LIVE_PIDS=()

live_cleanup() {
    local rc=$?
    local p
    for p in "${LIVE_PIDS[@]:-}"; do
        [[ -n "$p" ]] && kill -KILL "$p" 2>/dev/null || true
    done
    if [[ $rc -eq 0 ]]; then
        rm -rf "$W"
    elif [[ $rc -ne 77 ]]; then
        echo "[live_$LIVE_NAME] work directory kept for inspection: $W" >&2
    fi
    return $rc
}
trap live_cleanup EXIT

unset LD_PRELOAD HEAPPROF_SAMPLE HEAPPROF_DEPTH HEAPPROF_OUT HEAPPROF_SIGNAL HEAPPROF_PERIOD \
      HEAPPROF_ON_EXIT HEAPPROF_MAX_LIVE HEAPPROF_MAX_STACKS HEAPPROF_HIGHWATER HEAPPROF_KEEP \
      HEAPPROF_HTTP HEAPPROF_CGROUP HEAPPROF_LIMIT_DUMP HEAPPROF_LIMIT_BYTES
# curl must never go through a proxy to reach loopback.
export no_proxy='*' NO_PROXY='*'
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export PPROF_TMPDIR=$W/pprof

# need CMD PACKAGE: CMD must exist; installed from Debian when missing and
# running as root, otherwise the test is skipped.
need() {
    command -v "$1" >/dev/null 2>&1 && return 0
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        note "installing $2 for $1"
        local opts=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=300)
        DEBIAN_FRONTEND=noninteractive apt-get install "${opts[@]}" "$2" >"$W/apt-$2.log" 2>&1 ||
            { apt-get update -q -o DPkg::Lock::Timeout=300 >>"$W/apt-$2.log" 2>&1 &&
              DEBIAN_FRONTEND=noninteractive apt-get install "${opts[@]}" "$2" >>"$W/apt-$2.log" 2>&1; } ||
            true
    fi
    command -v "$1" >/dev/null 2>&1 || skip "$1 is not installed (Debian package $2) and cannot be installed here"
}

# start NAME [VAR=VALUE...] -- ARGS...: live_prog ARGS in the background with
# the preload, the HTTP server on a kernel-chosen loopback port unless the
# variables set HEAPPROF_HTTP, LIVE_STOP=$W/NAME.stop and LIVE_WAIT=60.
# Waits (10 s at most) for "ready" and, when serving, the port.  Sets PID
# and PORT (empty when not serving).
start() {
    local name=$1; shift
    local vars=()
    while [[ $# -gt 0 && $1 != -- ]]; do vars+=("$1"); shift; done
    shift
    rm -f "$W/$name.stop" "$W/$name.out" "$W/$name.err"
    env HEAPPROF_HTTP=127.0.0.1:0 LIVE_STOP="$W/$name.stop" LIVE_WAIT=60 "${vars[@]}" \
        LD_PRELOAD="$HEAPPROF_LIB" "$LIVE_PROG" "$@" >"$W/$name.out" 2>"$W/$name.err" &
    PID=$!
    LIVE_PIDS+=("$PID")
    local i
    for ((i = 0; i < 500; i++)); do
        grep -q '^ready' "$W/$name.out" 2>/dev/null && break
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.02
    done
    grep -q '^ready' "$W/$name.out" || { cat "$W/$name.err" >&2; fail "$name: live_prog did not get ready"; }
    PORT=$(sed -n 's|^heapprof: serving http://.*:\([0-9][0-9]*\)/$|\1|p' "$W/$name.err" | head -n 1)
}

# stop NAME: ask the program to end and wait for it (10 s at most); sets RC.
stop() {
    touch "$W/$1.stop"
    local i
    for ((i = 0; i < 500; i++)); do
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.02
    done
    kill -0 "$PID" 2>/dev/null && fail "$1: live_prog did not stop within 10 s"
    set +e
    wait "$PID"
    RC=$?
    set -e
}

# get PATH [CURL ARGS]: the body of GET http://127.0.0.1:$PORT/PATH on
# stdout; fails the test unless the status is 200.
get() {
    local path=$1; shift
    local code
    code=$(curl -sS --max-time 20 -o "$W/get.body" -w '%{http_code}' "$@" "http://127.0.0.1:$PORT$path") ||
        fail "GET $path: curl failed"
    [[ $code == 200 ]] || fail "GET $path: status $code, body: $(head -c 300 "$W/get.body")"
    cat "$W/get.body"
}

# status PATH [CURL ARGS]: only the status code of a request.
status() {
    local path=$1; shift
    curl -s --max-time 20 -o /dev/null -w '%{http_code}' "$@" "http://127.0.0.1:$PORT$path" || true
}

# metric TEXTFILE 'NAME{LABELS}': the value of that exact series, or fails.
metric() {
    local v
    v=$(awk -v s="$2" '$1==s {print $2}' "$1")
    [[ -n $v ]] || fail "metric $2 not found in $1"
    echo "$v"
}

# comments PROFILE: the strings of a profile (its comments among them),
# without go: gunzip and strings.
comments() { gzip -dc "$1" | strings -n 6; }

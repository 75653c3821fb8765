# shellcheck shell=bash
# lib.sh - helpers of the live-view tests (sourced, bash); what every suite
# shares is in ../lib/common.sh.
#
# Environment (set by tests/live/CMakeLists.txt):
#   HEAPPROF_LIB   libheapprof.so to preload
#   LIVE_PROG      tests/live/live_prog
#   PROFILE_SUMMARY tests/tools/profile_summary built (profile fields
#                  go tool pprof does not print whole: duration_nanos)
#   LIVE_CLI       the heapprof command (its top's ± of a whole profile)
#   LIVE_WORK      a private work directory (recreated; removed on success)
#
# Every server the tests start listens on loopback only, on a port the
# kernel picks (HEAPPROF_HTTP=127.0.0.1:0; the port is read from the
# "heapprof[PID]: serving http://...:PORT/" line).  Every wait is bounded and
# every process started here is killed on exit.

TEST_TAG=live_$(basename "${BASH_SOURCE[1]:-live}" .sh)
# shellcheck source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

need_env LIVE_PROG PROFILE_SUMMARY LIVE_CLI LIVE_WORK
need_lib
work_init "$LIVE_WORK"
scrub_env
# curl must never go through a proxy to reach loopback.
export no_proxy='*' NO_PROXY='*'
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

# start NAME [VAR=VALUE...] -- ARGS...: live_prog ARGS in the background with
# the preload, the HTTP server on a kernel-chosen loopback port unless the
# variables set HEAPPROF_HTTP, LIVE_STOP=$W/NAME.stop and LIVE_WAIT=60.
# Waits (10 s at most) for "ready" and, when serving, the port.  Sets PID
# and PORT (empty when not serving).
start() {
    local name=$1; shift
    split_cmd start "$@"
    rm -f "$W/$name.stop" "$W/$name.out" "$W/$name.err"
    # Exit profiles in the work directory, not in ctest's (a test's own
    # HEAPPROF_OUT, later in the list, wins).
    run_bg "$name" HEAPPROF_HTTP=127.0.0.1:0 HEAPPROF_OUT="$W/$name" LIVE_STOP="$W/$name.stop" \
        LIVE_WAIT=60 "${CMD_VARS[@]}" -- "$LIVE_PROG" "${CMD_ARGV[@]}"
    PID=$BGPID
    local i
    for ((i = 0; i < 500; i++)); do
        grep -q '^ready' "$W/$name.out" 2>/dev/null && break
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.02
    done
    grep -q '^ready' "$W/$name.out" || { cat "$W/$name.err" >&2; fail "$name: live_prog did not get ready"; }
    PORT=$(sed -n "s|^heapprof\\[$PID\\]: serving http://.*:\\([0-9][0-9]*\\)/\$|\\1|p" "$W/$name.err" | head -n 1)
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

# prom_start CONFIG: a real Prometheus server (Debian's /usr/bin/prometheus)
# with CONFIG, its storage in $W/tsdb, on a random free loopback port (tried
# five times, as another process may take the port first); waits (10 s at
# most) until it answers /-/ready.  Sets PP (its port) and PROM_PID; the
# server is killed at exit, or by prom_stop.
prom_start() {
    local config=$1 p i attempt
    promtool check config "$config" >"$W/promtool-config.out" 2>&1 ||
        fail "promtool rejects the test's Prometheus config: $(cat "$W/promtool-config.out")"
    PP=
    for ((attempt = 0; attempt < 5; attempt++)); do
        p=$((20000 + RANDOM % 40000))
        ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || continue
        rm -rf "$W/tsdb"
        prometheus --config.file="$config" --storage.tsdb.path="$W/tsdb" \
            --web.listen-address="127.0.0.1:$p" --log.level=warn >"$W/prom.log" 2>&1 &
        PROM_PID=$!
        KILL_AT_EXIT+=("$PROM_PID")
        for ((i = 0; i < 100; i++)); do
            curl -s --max-time 1 -o /dev/null "http://127.0.0.1:$p/-/ready" && { PP=$p; break; }
            kill -0 "$PROM_PID" 2>/dev/null || break
            sleep 0.1
        done
        [[ -n $PP ]] && break
        kill "$PROM_PID" 2>/dev/null || true
        wait "$PROM_PID" 2>/dev/null || true
    done
    [[ -n $PP ]] || { tail -20 "$W/prom.log" >&2; fail "Prometheus did not start"; }
    note "prometheus on 127.0.0.1:$PP"
}

# prom_stop: end the server prom_start started.
prom_stop() {
    kill "$PROM_PID" 2>/dev/null || true
    wait "$PROM_PID" 2>/dev/null || true
}

# prom_query PROMQL: the first value of the instant query's result vector,
# or empty.
prom_query() {
    curl -s --max-time 5 "http://127.0.0.1:$PP/api/v1/query" --data-urlencode "query=$1" |
        sed -n 's/.*"value":\[[0-9.]*,"\([^"]*\)"\].*/\1/p'
}

# prom_wait_up JOB: poll (30 s at most) until Prometheus has scraped JOB
# successfully.
prom_wait_up() {
    local up= i
    for ((i = 0; i < 60; i++)); do
        up=$(prom_query "up{job=\"$1\"}")
        [[ $up == 1 ]] && return 0
        sleep 0.5
    done
    curl -s "http://127.0.0.1:$PP/api/v1/targets" >&2
    fail "Prometheus: up{job=\"$1\"} is '$up', expected 1"
}

# shellcheck shell=bash
# common.sh - what the shell test suites share (sourced, bash): by
# tests/integration/lib.sh, tests/lifecycle/lib.sh, tests/cli/cli_lib.sh,
# tests/live/lib.sh, tests/faults/run.sh and tests/realprogs/run.sh, each
# with the path relative to its own directory.
#
# The suite sets TEST_TAG (the test's name in messages; it may change as a
# script goes on), sources this file, then calls what applies of:
#   need_env VAR...   the variables ctest sets are there
#   need_lib          HEAPPROF_LIB is an existing file
#   work_init DIR     W=DIR, recreated; removed at exit after a pass or a
#                     skip (77), kept for inspection after a failure
#   scrub_env [VAR]   no LD_PRELOAD and no HEAPPROF_* variable inherited,
#                     but HEAPPROF_LIB, HEAPPROF_SKIP_GO and the VARs
#
# Conventions: a check that fails calls `fail` with what was expected and
# what was found.  Waiting is polling with a generous deadline, never a
# pass/fail on timing.  `go tool pprof` is needed: a missing `go` is a
# failure, not a skip, unless HEAPPROF_SKIP_GO=1 asks to skip those checks.

set -euo pipefail

TEST_TAG=${TEST_TAG:-test}

fail() {
    echo "FAIL [$TEST_TAG]: $*" >&2
    exit 1
}

note() { echo "[$TEST_TAG] $*"; }

# skip WHY: this test cannot run here; ctest reports it as skipped
# (SKIP_RETURN_CODE 77).
skip() {
    echo "SKIP [$TEST_TAG]: $*"
    exit 77
}

need_env() {
    local v
    for v in "$@"; do
        [[ -n "${!v:-}" ]] || fail "environment variable $v is not set (run this through ctest)"
    done
}

need_lib() {
    need_env HEAPPROF_LIB
    [[ -f "$HEAPPROF_LIB" ]] || fail "HEAPPROF_LIB=$HEAPPROF_LIB does not exist (build the library first)"
}

# need CMD PACKAGE: CMD must be installed.  Missing, it is installed from
# Debian when running as root with apt-get (CI), and a failed installation
# fails the test; otherwise the test is skipped.
need() {
    command -v "$1" >/dev/null 2>&1 && return 0
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        note "installing $2 for $1"
        local log=${W:-/tmp}/apt-$2.log opts=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=300)
        DEBIAN_FRONTEND=noninteractive apt-get install "${opts[@]}" "$2" >"$log" 2>&1 ||
            { apt-get update -q -o DPkg::Lock::Timeout=300 >>"$log" 2>&1 &&
              DEBIAN_FRONTEND=noninteractive apt-get install "${opts[@]}" "$2" >>"$log" 2>&1; } ||
            fail "apt-get install $2 failed: $(tail -n 5 "$log")"
        command -v "$1" >/dev/null 2>&1 || fail "$1 still missing after installing $2"
        return 0
    fi
    skip "$1 is not installed (Debian package $2) and we are not root to install it"
}

# ---- work directory and exit ----------------------------------------------

KILL_AT_EXIT=()   # background processes still running at exit
UMOUNT_AT_EXIT=() # mounts made by the test (before $W is removed)
RM_AT_EXIT=()     # paths outside $W to remove at exit, whatever happens

common_cleanup() {
    local rc=$?
    local p
    for p in "${KILL_AT_EXIT[@]:-}"; do
        if [[ -n "$p" ]]; then kill -KILL "$p" 2>/dev/null || true; fi
    done
    for p in "${UMOUNT_AT_EXIT[@]:-}"; do
        if [[ -n "$p" ]]; then umount "$p" 2>/dev/null || umount -l "$p" 2>/dev/null || true; fi
    done
    for p in "${RM_AT_EXIT[@]:-}"; do
        if [[ -n "$p" ]]; then rm -rf "$p" || true; fi
    done
    if [[ -n ${W:-} ]]; then
        if [[ $rc -eq 0 || $rc -eq 77 ]]; then
            rm -rf "$W"
        else
            echo "[$TEST_TAG] work directory kept for inspection: $W" >&2
        fi
    fi
    return $rc
}

# work_init DIR: the test's private work directory, W, empty.
work_init() {
    W=$1
    # A mount left behind by an earlier killed run would survive rm -rf.
    if [[ -d "$W" ]]; then
        local m
        while read -r m; do umount -l "$m" 2>/dev/null || true; done < <(awk -v w="$W" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r)
    fi
    rm -rf "$W"
    mkdir -p "$W"
    trap common_cleanup EXIT
}

# scrub_env [VAR...]: start every run from a clean slate: settings inherited
# from the caller would change what the profiler does.  Every HEAPPROF_*
# variable goes but the two that configure the tests and the VARs.
scrub_env() {
    local v k keep
    unset LD_PRELOAD
    for v in $(compgen -e | grep '^HEAPPROF_' || true); do
        keep=0
        for k in HEAPPROF_LIB HEAPPROF_SKIP_GO "$@"; do
            if [[ $v == "$k" ]]; then keep=1; fi
        done
        [[ $keep -eq 1 ]] || unset "$v"
    done
}

# ---- running programs -------------------------------------------------------

# split_cmd WHO [VAR=VALUE...] -- CMD [ARGS...]: CMD_VARS=(the assignments),
# CMD_ARGV=(CMD and its arguments).
split_cmd() {
    local who=$1; shift
    CMD_VARS=()
    while [[ $# -gt 0 && $1 != -- ]]; do CMD_VARS+=("$1"); shift; done
    [[ ${1:-} == -- ]] || fail "$who: missing -- before the command"
    shift
    CMD_ARGV=("$@")
}

# run NAME [VAR=VALUE...] -- CMD [ARGS...]
#   CMD with libheapprof.so preloaded and the variables, stdout to $W/NAME.out,
#   stderr to $W/NAME.err; RC is its exit status (the script goes on whatever
#   it is).
run() {
    local name=$1; shift
    split_cmd run "$@"
    set +e
    env "${CMD_VARS[@]}" LD_PRELOAD="$HEAPPROF_LIB" "${CMD_ARGV[@]}" >"$W/$name.out" 2>"$W/$name.err"
    RC=$?
    set -e
}

# run_plain NAME [VAR=VALUE...] -- CMD [ARGS...]: the same without the preload.
run_plain() {
    local name=$1; shift
    split_cmd run_plain "$@"
    set +e
    env "${CMD_VARS[@]}" "${CMD_ARGV[@]}" >"$W/$name.out" 2>"$W/$name.err"
    RC=$?
    set -e
}

# run_bg NAME [VAR=VALUE...] -- CMD [ARGS...]: like run, in the background
# (killed at exit if still running); sets BGPID.  Collect it with `finish`.
run_bg() {
    local name=$1; shift
    split_cmd run_bg "$@"
    env "${CMD_VARS[@]}" LD_PRELOAD="$HEAPPROF_LIB" "${CMD_ARGV[@]}" >"$W/$name.out" 2>"$W/$name.err" &
    BGPID=$!
    KILL_AT_EXIT+=("$BGPID")
}

# pid_running PID: the process exists and is not a zombie (a child of this
# shell stays one until `wait`).
pid_running() {
    kill -0 "$1" 2>/dev/null && [[ -d /proc/$1 && $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) != Z ]]
}

# finish PID [SECONDS]: wait for a background run (killed after SECONDS,
# default 60, which fails the test); RC is its exit status.
finish() {
    local pid=$1 limit=${2:-60}
    local deadline=$((SECONDS + limit))
    while pid_running "$pid"; do
        if ((SECONDS > deadline)); then
            kill -KILL "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
            fail "process $pid did not finish within $limit s (hung?)"
        fi
        sleep 0.02
    done
    set +e
    wait "$pid"
    RC=$?
    set -e
    local keep=() p
    for p in "${KILL_AT_EXIT[@]:-}"; do [[ -n $p && $p != "$pid" ]] && keep+=("$p"); done
    KILL_AT_EXIT=("${keep[@]:-}")
}

# expect_rc NAME WANT: the run NAME exited with WANT.
expect_rc() {
    if [[ $RC -ne $2 ]]; then
        echo "--- stderr of $1 (last 20 lines):" >&2
        tail -n 20 "$W/$1.err" >&2 || true
        fail "$1: expected exit status $2, got $RC"
    fi
}

# ---- the profiler's lines on stderr ------------------------------------------
# libheapprof.so writes "heapprof[PID]: MESSAGE", PID that of the process
# writing the line (src/log.h); the CLI's own errors are "heapprof: ..." and
# "heapprof CMD: ...".  HP_LINE is the prefix's ERE, for grep -E; HP_ANY
# the same anywhere in a line, for checks that there is none (the program's
# own unfinished line may precede one).  Where a test knows the pid it
# matches "heapprof[$pid]: " exactly instead.
HP_ANY='heapprof\[[0-9]+\]: '
HP_LINE="^$HP_ANY"

# hp_lines FILE: the profiler's lines in FILE (nothing if none).
hp_lines() { grep -E -- "$HP_LINE" "$1" || true; }

# hp_count FILE: how many lines of FILE are the profiler's.
hp_count() { grep -cE -- "$HP_LINE" "$1" || true; }

# hp_msgs FILE: the messages of the profiler's lines in FILE, prefix removed
# (for grep -F of a whole message: `grep -qxF -- "$want" <(hp_msgs FILE)`).
hp_msgs() { sed -nE "s/$HP_LINE//p" "$1"; }

# not_hp FILE: the lines of FILE that are not the profiler's.
not_hp() { grep -vE -- "$HP_LINE" "$1" || true; }

# no_heapprof_lines NAME: the run's stderr has no message from the profiler
# (and is there: grep's error on a missing file passed the check).
no_heapprof_lines() {
    [[ -f $W/$1.err ]] || fail "$1: no stderr file $W/$1.err to look for the profiler's lines in"
    if grep -qE -- "$HP_ANY" "$W/$1.err"; then
        grep -E -- "$HP_ANY" "$W/$1.err" | head -n 5 >&2
        fail "$1: the profiler printed messages on stderr, expected none"
    fi
}

# wait_for_file PATH [SECONDS]: poll until PATH exists (default 30 s).
wait_for_file() {
    local deadline=$((SECONDS + ${2:-30}))
    while [[ ! -e "$1" ]]; do
        ((SECONDS <= deadline)) || fail "timed out after ${2:-30} s waiting for $1"
        sleep 0.01
    done
}

# wait_for_line FILE REGEX [SECONDS [PID]]: poll until FILE has a line
# matching (default 30 s); with PID, fail as soon as that process is gone
# without having printed it.
wait_for_line() {
    local deadline=$((SECONDS + ${3:-30}))
    while ! grep -qE -- "$2" "$1" 2>/dev/null; do
        ((SECONDS <= deadline)) || fail "timed out after ${3:-30} s waiting for a line matching /$2/ in $1; it has: $(tail -n 5 "$1" 2>/dev/null)"
        if [[ -n ${4:-} ]] && ! pid_running "$4" && ! grep -qE -- "$2" "$1" 2>/dev/null; then
            fail "process $4 ended before printing a line matching /$2/ in $1; its stderr: $(tail -n 5 "${1%.out}.err" 2>/dev/null)"
        fi
        sleep 0.01
    done
}

# ---- profile files ----------------------------------------------------------

# profiles PREFIX [PID]: the files PREFIX.<pid>.<seq>.pb.gz in sequence order.
profiles() {
    local f pat=${2:-*}
    for f in "$1".$pat.*.pb.gz; do
        if [[ -e "$f" ]]; then echo "$f"; fi
    done | sort -V
}

# pids_of PREFIX: the pids that wrote profiles under PREFIX.
pids_of() {
    profiles "$1" | sed -E 's/.*\.([0-9]+)\.[0-9]{4,}\.pb\.gz$/\1/' | sort -un
}

# newest_profile PREFIX: the profile with the highest sequence number.
newest_profile() {
    local last
    last=$(profiles "$1" | tail -n 1)
    [[ -n "$last" ]] || fail "no profile was written under $1 (expected $1.<pid>.0001.pb.gz)"
    echo "$last"
}

# no_tmp_left DIR [--recursive]: no PATH.tmp file (a profile being written)
# in DIR, or anywhere under it.
no_tmp_left() {
    local t depth=(-maxdepth 1)
    [[ ${2:-} == --recursive ]] && depth=()
    t=$(find "$1" "${depth[@]}" -name '*.tmp' | head -n 5)
    [[ -z "$t" ]] || fail "temporary files left behind in $1: $t"
}

# comment_value FILE KEY [LINE]: the value of KEY=VALUE in the comments of a
# profile's text form: the lines of FILE that start with LINE, "comment "
# (profile_summary and pbcheck) unless told ("Comment: " for pprof -raw).
comment_value() {
    grep "^${3:-comment }" "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1
}

# comments PROFILE: the strings of a profile (its comments among them),
# without go: gunzip and strings.
comments() { gzip -dc "$1" | strings -n 6; }

# ---- go tool pprof ------------------------------------------------------------

# go_env: `go` runs in any environment ctest gives: a HOME it can write, a
# build cache, pprof's downloads in $W, the installed toolchain only (no
# download), no telemetry.
go_env() {
    mkdir -p "$W/.gohome"
    if [[ -z ${HOME:-} || ! -w ${HOME:-/nonexistent} ]]; then export HOME=$W/.gohome; fi
    export GOCACHE=${GOCACHE:-$W/.gohome/cache}
    export PPROF_TMPDIR=$W/pprof
    export GOTOOLCHAIN=local GOTELEMETRY=off
}

# go_setup: GO_OK=yes when go tool pprof is usable, GO_OK=skip when
# HEAPPROF_SKIP_GO=1 (the suite's GO_SKIP_NOTE says what is not checked
# then); a missing `go` fails the test.
GO_OK=
GO_SKIP_NOTE=${GO_SKIP_NOTE:-go tool pprof checks skipped}
go_setup() {
    [[ -n $GO_OK ]] && return 0
    if [[ ${HEAPPROF_SKIP_GO:-} == 1 ]]; then
        GO_OK=skip
        note "HEAPPROF_SKIP_GO=1: $GO_SKIP_NOTE"
        return 0
    fi
    command -v go >/dev/null 2>&1 ||
        fail "'go' is not installed: go tool pprof is needed to read the profiles (install golang-go, or set HEAPPROF_SKIP_GO=1 to skip those checks)"
    go_env
    GO_OK=yes
}

# have_go: true when the go tool pprof checks can run.
have_go() { go_setup; [[ $GO_OK == yes ]]; }

# require_go: for a test that is nothing without go: skipped (77) when
# HEAPPROF_SKIP_GO=1, failed when go is missing.
require_go() { have_go || skip "this test needs go (HEAPPROF_SKIP_GO=1)"; }

# pprof_to FILE OUT ARGS...: `go tool pprof ARGS FILE` into OUT (stderr in
# OUT.err); fails the test when pprof cannot read FILE.
pprof_to() {
    local f=$1 out=$2; shift 2
    if ! go tool pprof "$@" "$f" >"$out" 2>"$out.err"; then
        head -c 2000 "$out.err" >&2
        fail "go tool pprof $* could not read $f"
    fi
}

# pprof_top FILE OUT [ARGS]: `go tool pprof -top ARGS FILE` into OUT; it
# must succeed and print a table.
pprof_top() {
    local f=$1 out=$2; shift 2
    pprof_to "$f" "$out" -top "$@"
    grep -q 'flat%' "$out" || fail "go tool pprof -top $* $f printed no table: $(head -c 400 "$out")"
}

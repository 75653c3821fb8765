# cli_lib.sh - helpers shared by the heapprof command's tests (sourced, bash).
#
# Environment (set by tests/cli/CMakeLists.txt):
#   HEAPPROF_CLI   the heapprof executable (next to libheapprof.so)
#   HEAPPROF_LIB   libheapprof.so, for preloading by hand
#   CLI_PROG       tests/cli/cli_prog.c built
#   CLI_SRC        tests/cli (corpus/, goheap.go)
#   CLI_MAN        docs/heapprof.1
#   CLI_WORK       a private work directory (recreated; removed on success)
#
# Every check that fails calls `fail` with what was expected and what was
# found; the work directory is kept on failure for inspection.

set -euo pipefail

CLI_NAME=$(basename "${BASH_SOURCE[1]:-cli}" .sh)

fail() {
    echo "FAIL [$CLI_NAME]: $*" >&2
    exit 1
}

note() { echo "[$CLI_NAME] $*"; }

for v in HEAPPROF_CLI HEAPPROF_LIB CLI_PROG CLI_SRC CLI_WORK; do
    [[ -n "${!v:-}" ]] || fail "environment variable $v is not set (run this through ctest)"
done

W=$CLI_WORK
rm -rf "$W"
mkdir -p "$W"
CLI_PIDS=()

cli_cleanup() {
    local rc=$?
    local p
    for p in "${CLI_PIDS[@]:-}"; do
        [[ -n "$p" ]] && kill -KILL "$p" 2>/dev/null || true
    done
    if [[ $rc -eq 0 ]]; then
        rm -rf "$W"
    else
        echo "[$CLI_NAME] work directory kept for inspection: $W" >&2
    fi
    return $rc
}
trap cli_cleanup EXIT

# Start from a clean slate: inherited settings would change what is tested.
unset LD_PRELOAD HEAPPROF_SAMPLE HEAPPROF_DEPTH HEAPPROF_OUT HEAPPROF_SIGNAL \
      HEAPPROF_PERIOD HEAPPROF_ON_EXIT HEAPPROF_MAX_LIVE HEAPPROF_MAX_STACKS \
      HEAPPROF_HIGHWATER HEAPPROF_HIGHWATER_MIN_S HEAPPROF_KEEP HEAPPROF_CHILDREN \
      HEAPPROF_MAX_INPUT
export LC_ALL=C.UTF-8 TZ=UTC

hp() { "$HEAPPROF_CLI" "$@"; }

# run_rc VAR CMD...: run CMD, store its exit status in VAR, stdout in $W/out,
# stderr in $W/err (never aborts the script).
run_rc() {
    local __var=$1
    shift
    local __rc=0
    "$@" >"$W/out" 2>"$W/err" || __rc=$?
    printf -v "$__var" '%s' "$__rc"
}

# expect_rc WANT CMD...: CMD must exit with WANT.
expect_rc() {
    local want=$1 got
    shift
    run_rc got "$@"
    [[ "$got" == "$want" ]] ||
        fail "'$*' exited with $got, expected $want; stdout: $(head -c 2000 "$W/out"); stderr: $(head -c 2000 "$W/err")"
}

# expect_in FILE PATTERN [WHAT]: an extended regex must match a line of FILE.
expect_in() {
    grep -Eq -- "$2" "$1" || fail "${3:-expected /$2/} not found in $1: $(head -c 3000 "$1")"
}

expect_not_in() {
    if grep -Eq -- "$2" "$1"; then
        fail "${3:-unexpected /$2/} found in $1: $(head -c 3000 "$1")"
    fi
}

# wait_for PATH [SECONDS]: until PATH exists (a generous bound, never a
# pass/fail on timing: not appearing at all is the failure).
wait_for() {
    local path=$1 limit=${2:-60} i
    for ((i = 0; i < limit * 20; i++)); do
        [[ -e "$path" ]] && return 0
        sleep 0.05
    done
    fail "$path did not appear within $limit s"
}

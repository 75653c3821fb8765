# shellcheck shell=bash
# cli_lib.sh - helpers of the heapprof command's tests (sourced, bash); what
# every suite shares is in ../lib/common.sh.
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

TEST_TAG=$(basename "${BASH_SOURCE[1]:-cli}" .sh)
# shellcheck source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

need_env HEAPPROF_CLI CLI_PROG CLI_SRC CLI_WORK
need_lib
work_init "$CLI_WORK"
scrub_env HEAPPROF_CLI
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

# expect_rc WANT CMD...: CMD must exit with WANT.  (This suite runs the
# command directly: it replaces common.sh's expect_rc NAME WANT.)
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

# expect_not_in FILE PATTERN [WHAT]: no line of FILE matches; FILE must be
# there (grep's error on a missing file passed the check).
expect_not_in() {
    [[ -f $1 ]] || fail "$1 is not there, to look for ${3:-/$2/} in"
    if grep -Eq -- "$2" "$1"; then
        fail "${3:-unexpected /$2/} found in $1: $(head -c 3000 "$1")"
    fi
}

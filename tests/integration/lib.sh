# shellcheck shell=bash
# lib.sh - helpers shared by the integration scenarios (sourced, bash).
#
# Environment (set by tests/integration/CMakeLists.txt):
#   HEAPPROF_LIB       libheapprof.so to preload
#   PROFILE_SUMMARY    tests/tools/profile_summary
#   PROFILE_CORRUPT    tests/tools/profile_corrupt
#   PROG_*             the test programs
#   INTEG_WORK         a private work directory (recreated, removed on success)
#   HEAPPROF_SKIP_GO=1 skip the `go tool pprof` checks (otherwise a missing
#                      `go` is a failure, not a skip)
#
# Conventions: every check that fails calls `fail` with what was expected and
# what was found; the work directory is kept on failure for inspection.

set -euo pipefail

INTEG_NAME=$(basename "${BASH_SOURCE[1]:-integ}" .sh)

fail() {
    echo "FAIL [$INTEG_NAME]: $*" >&2
    exit 1
}

note() { echo "[$INTEG_NAME] $*"; }

need_env() {
    local v
    for v in "$@"; do
        [[ -n "${!v:-}" ]] || fail "environment variable $v is not set (run this through ctest)"
    done
}

need_env HEAPPROF_LIB PROFILE_SUMMARY INTEG_WORK
[[ -f "$HEAPPROF_LIB" ]] || fail "HEAPPROF_LIB=$HEAPPROF_LIB does not exist"

W=$INTEG_WORK
rm -rf "$W"
mkdir -p "$W"
INTEG_PIDS=()
INTEG_CLEAN=() # paths outside $W to remove at exit, whatever happens

integ_cleanup() {
    local rc=$?
    local p
    for p in "${INTEG_PIDS[@]:-}"; do
        [[ -n "$p" ]] && kill -KILL "$p" 2>/dev/null || true
    done
    for p in "${INTEG_CLEAN[@]:-}"; do
        [[ -n "$p" ]] && rm -rf "$p" || true
    done
    if [[ $rc -eq 0 ]]; then
        rm -rf "$W"
    else
        echo "[$INTEG_NAME] work directory kept for inspection: $W" >&2
    fi
    return $rc
}
trap integ_cleanup EXIT

# The variables a test run may inherit from the caller's environment would
# change what the profiler does: start every run from a clean slate (every
# HEAPPROF_* variable but the two that configure these tests).
unset LD_PRELOAD
for v in $(compgen -e | grep '^HEAPPROF_' || true); do
    [[ $v == HEAPPROF_LIB || $v == HEAPPROF_SKIP_GO ]] || unset "$v"
done

# run NAME [VAR=VALUE...] -- CMD [ARGS...]
#   Runs CMD with libheapprof.so preloaded and the given variables, stdout to
#   $W/NAME.out, stderr to $W/NAME.err; sets RC to its exit status (the script
#   goes on whatever it is).
run() {
    local name=$1; shift
    local vars=()
    while [[ $# -gt 0 && $1 != -- ]]; do vars+=("$1"); shift; done
    [[ ${1:-} == -- ]] || fail "run: missing -- before the command"
    shift
    set +e
    env "${vars[@]}" LD_PRELOAD="$HEAPPROF_LIB" "$@" >"$W/$name.out" 2>"$W/$name.err"
    RC=$?
    set -e
}

# run_plain NAME [VAR=VALUE...] -- CMD [ARGS...]: the same without the preload.
run_plain() {
    local name=$1; shift
    local vars=()
    while [[ $# -gt 0 && $1 != -- ]]; do vars+=("$1"); shift; done
    [[ ${1:-} == -- ]] || fail "run_plain: missing -- before the command"
    shift
    set +e
    env "${vars[@]}" "$@" >"$W/$name.out" 2>"$W/$name.err"
    RC=$?
    set -e
}

# expect_rc NAME WANT: the run NAME must have exited with WANT.
expect_rc() {
    if [[ $RC -ne $2 ]]; then
        echo "--- stderr of $1 (last 20 lines):" >&2
        tail -n 20 "$W/$1.err" >&2 || true
        fail "$1: expected exit status $2, got $RC"
    fi
}

# no_heapprof_lines NAME: the run's stderr has no line from the profiler.
no_heapprof_lines() {
    if grep -q '^heapprof:' "$W/$1.err"; then
        grep '^heapprof:' "$W/$1.err" >&2
        fail "$1: the profiler printed messages on stderr, expected none"
    fi
}

# profiles PREFIX: the profile files PREFIX.<pid>.<seq>.pb.gz, one per line,
# in sequence order.
profiles() {
    local f
    for f in "$1".*.pb.gz; do
        [[ -e "$f" ]] && echo "$f"
    done | sort -V
}

# only_pid PREFIX: the single pid that wrote profiles under PREFIX.
only_pid() {
    local pids
    pids=$(profiles "$1" | sed -E 's/.*\.([0-9]+)\.[0-9]{4}\.pb\.gz$/\1/' | sort -u)
    [[ -n "$pids" ]] || fail "no profile was written under $1 (expected $1.<pid>.0001.pb.gz)"
    [[ $(wc -l <<<"$pids") -eq 1 ]] || fail "profiles from several processes under $1: $pids"
    echo "$pids"
}

# newest_profile PREFIX: the profile with the highest sequence number.
newest_profile() {
    local last
    last=$(profiles "$1" | tail -n 1)
    [[ -n "$last" ]] || fail "no profile was written under $1 (expected $1.<pid>.0001.pb.gz)"
    echo "$last"
}

# wait_for_file PATH SECONDS: poll until PATH exists.
wait_for_file() {
    local deadline=$((SECONDS + $2))
    while [[ ! -e "$1" ]]; do
        ((SECONDS <= deadline)) || fail "timed out after $2 s waiting for $1"
        sleep 0.02
    done
}

# no_tmp_left DIR: no PATH.tmp file remains in DIR.
no_tmp_left() {
    local t
    t=$(find "$1" -maxdepth 1 -name '*.tmp' | head -n 5)
    [[ -z "$t" ]] || fail "temporary files left behind in $1: $t"
}

# summarize FILE [ARGS]: run profile_summary on FILE into FILE.sum (with ARGS
# such as --cum); fails the test if the tool rejects the profile.
summarize() {
    local f=$1; shift
    if ! "$PROFILE_SUMMARY" "$@" "$f" >"$f.sum" 2>"$f.sumerr"; then
        cat "$f.sumerr" >&2
        fail "profile_summary rejected $f"
    fi
}

# check_header SUMFILE PERIOD: the four heap sample types in order, the
# period type and value, the default sample type.
check_header() {
    local s=$1 period=$2 got
    got=$(grep '^sample_type ' "$s" | tr '\n' ';')
    [[ $got == "sample_type 0 alloc_objects count;sample_type 1 alloc_space bytes;sample_type 2 inuse_objects count;sample_type 3 inuse_space bytes;" ]] ||
        fail "$s: sample types: expected alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes, found: $got"
    grep -qx 'period_type space bytes' "$s" ||
        fail "$s: expected 'period_type space bytes', found '$(grep '^period_type' "$s")'"
    grep -qx "period $period" "$s" ||
        fail "$s: expected 'period $period', found '$(grep '^period ' "$s")'"
    grep -qx 'default_sample_type inuse_space' "$s" ||
        fail "$s: expected default sample type inuse_space, found '$(grep '^default_sample_type' "$s")'"
    local t
    t=$(awk '$1=="time_nanos"{print $2}' "$s")
    [[ $t -gt 1000000000000000000 ]] || fail "$s: time_nanos=$t is not a plausible wall-clock time"
    t=$(awk '$1=="duration_nanos"{print $2}' "$s")
    [[ $t -gt 0 ]] || fail "$s: duration_nanos=$t, expected > 0"
    grep -q '^comment .*samples=' "$s" || fail "$s: no 'samples=' counter in the comments"
    grep -q '^comment .*dropped_samples' "$s" || fail "$s: no 'dropped_samples' counter in the comments"
}

# field SUMFILE KIND NAME: the four values of line "KIND NAME ..." (empty if
# absent).
field() {
    awk -v k="$2" -v n="$3" '$1==k && $2==n {print $3, $4, $5, $6}' "$1"
}

# compare_expect EXPECTFILE SUMFILE: every "expect SITE AO AS IO IS" line of
# the program's output must match "leaf SITE AO AS IO IS" exactly; a site
# expected to be all zero must be absent or all zero.
compare_expect() {
    local exp=$1 sum=$2 n=0 bad=0 kw site v1 v2 v3 v4 want got
    while read -r kw site v1 v2 v3 v4 _; do
        [[ $kw == expect ]] || continue
        want="$v1 $v2 $v3 $v4"
        got=$(field "$sum" leaf "$site")
        n=$((n + 1))
        if [[ $want == "0 0 0 0" ]]; then
            if [[ -n $got && $got != "0 0 0 0" ]]; then
                echo "  $site: expected no allocations, profile has $got" >&2
                bad=$((bad + 1))
            fi
        elif [[ $got != "$want" ]]; then
            echo "  $site: expected (alloc_objects alloc_space inuse_objects inuse_space) = ($want), profile has (${got:-no such leaf})" >&2
            bad=$((bad + 1))
        fi
    done <"$exp"
    [[ $n -gt 0 ]] || fail "$exp has no expect lines: the program did not report its ground truth"
    [[ $bad -eq 0 ]] || fail "$bad of $n sites differ between $exp and $sum"
    note "all $n sites of $(basename "$exp") match $(basename "$sum") exactly"
}

# no_drops SUMFILE: the 'dropped_samples ...' comment shows only zeros.
no_drops() {
    local line
    line=$(grep '^comment .*dropped_samples' "$1" | head -n 1)
    [[ -n $line ]] || fail "$1: no 'dropped_samples' comment"
    if grep -oE '=[0-9]+' <<<"$line" | grep -qv '^=0$'; then
        fail "$1: samples were dropped: $line"
    fi
}

# comment_value SUMFILE KEY: the value of KEY=VALUE in the comments.
comment_value() {
    grep '^comment ' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1
}

# ---- go tool pprof --------------------------------------------------------

GO_OK=
go_setup() {
    [[ -n $GO_OK ]] && return 0
    if [[ ${HEAPPROF_SKIP_GO:-} == 1 ]]; then
        GO_OK=skip
        note "HEAPPROF_SKIP_GO=1: go tool pprof checks skipped"
        return 0
    fi
    command -v go >/dev/null 2>&1 ||
        fail "'go' is not installed: the go tool pprof checks cannot run (install golang, or set HEAPPROF_SKIP_GO=1 to skip them)"
    mkdir -p "$W/gohome"
    export HOME=${HOME:-$W/gohome}
    [[ -w $HOME ]] || export HOME=$W/gohome
    export GOCACHE=${GOCACHE:-$W/gohome/cache}
    export GOTOOLCHAIN=local
    GO_OK=yes
}

# pprof_top FILE OUT [EXTRA ARGS]: `go tool pprof -top` into OUT, must succeed.
pprof_top() {
    local f=$1 out=$2; shift 2
    if ! go tool pprof -top "$@" "$f" >"$out" 2>"$out.err"; then
        cat "$out.err" >&2
        fail "go tool pprof -top $* $f failed"
    fi
    grep -q 'flat%' "$out" || fail "go tool pprof -top $* $f printed no table: $(head -c 400 "$out")"
}

# pprof_check FILE NAME...: pprof opens FILE (-top, and -top with
# -sample_index=alloc_space); every NAME (a fixed string, e.g. a function
# name) appears in the alloc_space table.
pprof_check() {
    go_setup
    [[ $GO_OK == skip ]] && return 0
    local f=$1; shift
    pprof_top "$f" "$f.top"
    pprof_top "$f" "$f.top_alloc" -sample_index=alloc_space -nodecount=100000 -nodefraction=0
    grep -q 'Type: inuse_space' "$f.top" || fail "pprof -top $f: default sample type is not inuse_space: $(head -n 12 "$f.top")"
    grep -q 'Type: alloc_space' "$f.top_alloc" || fail "pprof -top -sample_index=alloc_space $f: wrong type"
    local name
    for name in "$@"; do
        grep -qwF -- "$name" "$f.top_alloc" ||
            fail "go tool pprof -top -sample_index=alloc_space $f: expected function '$name' in the table, found:
$(head -n 40 "$f.top_alloc")"
    done
}

# pprof_quick FILE: pprof decodes FILE (-top, and -top with
# -sample_index=alloc_space), without symbolization: for bulk files.
pprof_quick() {
    go_setup
    [[ $GO_OK == skip ]] && return 0
    pprof_top "$1" "$1.qtop" -symbolize=none
    pprof_top "$1" "$1.qtop_alloc" -symbolize=none -sample_index=alloc_space
}

# demangle_summary SUMFILE: SUMFILE.dem, the leaf and cum lines with C++
# names demangled without parameters (c++filt -p), spaces in names as '_'.
demangle_summary() {
    command -v c++filt >/dev/null 2>&1 || fail "c++filt (binutils) is needed to demangle C++ names"
    grep -E '^(leaf|cum) ' "$1" >"$1.lc" || true
    paste -d' ' <(cut -d' ' -f1 "$1.lc") \
                <(cut -d' ' -f2 "$1.lc" | c++filt -p | tr ' ' '_') \
                <(cut -d' ' -f3- "$1.lc") >"$1.dem"
}

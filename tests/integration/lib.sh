# shellcheck shell=bash
# lib.sh - helpers of the integration scenarios (sourced, bash); what every
# suite shares is in ../lib/common.sh.
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

TEST_TAG=$(basename "${BASH_SOURCE[1]:-integ}" .sh)
# shellcheck source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

need_env PROFILE_SUMMARY INTEG_WORK
need_lib
work_init "$INTEG_WORK"
scrub_env

# only_pid PREFIX: the single pid that wrote profiles under PREFIX.
only_pid() {
    local pids
    pids=$(pids_of "$1")
    [[ -n "$pids" ]] || fail "no profile was written under $1 (expected $1.<pid>.0001.pb.gz)"
    [[ $(wc -l <<<"$pids") -eq 1 ]] || fail "profiles from several processes under $1: $pids"
    echo "$pids"
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

# no_drops SUMFILE: the 'dropped_samples ...' comment shows only zeros,
# and no sample was merged under [other stacks] (merged_samples=0).
no_drops() {
    local line counts
    line=$(grep '^comment .*dropped_samples' "$1" | head -n 1)
    [[ -n $line ]] || fail "$1: no 'dropped_samples' comment"
    # (the counts read whole first: a grep -o that found none, or was cut
    # short by grep -q's exit under pipefail, passed the check)
    counts=$(grep -oE '=[0-9]+' <<<"$line") || fail "$1: no counts in the 'dropped_samples' comment: $line"
    if grep -qv '^=0$' <<<"$counts"; then
        fail "$1: samples were dropped: $line"
    fi
    line=$(grep '^comment .*merged_samples=' "$1" | head -n 1)
    [[ -n $line ]] || fail "$1: no 'merged_samples' comment"
    [[ $line == *" merged_samples=0 "* ]] || fail "$1: samples were merged: $line"
}

# ---- go tool pprof --------------------------------------------------------

# pprof_check FILE NAME...: pprof opens FILE (-top, and -top with
# -sample_index=alloc_space); every NAME (a fixed string, e.g. a function
# name) appears in the alloc_space table.
pprof_check() {
    have_go || return 0
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
    have_go || return 0
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

# c_exact_over: run the C program (PROG_EXACT) in exact mode over the
# allocator HEAPPROF_LIB stacks after heapprof; it must exit 0 with no
# heapprof line, and its profile's totals must match what it printed, to
# the byte.  EXACT_LAX_ERRNO: allocators differ in the errno of a failed
# call.  Extra VAR=VALUE arguments go to the program.  Sets p to the profile.
c_exact_over() {
    run exact EXACT_LAX_ERRNO=1 "$@" HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/ex" -- "$PROG_EXACT" 3
    expect_rc exact 0
    no_heapprof_lines exact
    p=$(newest_profile "$W/ex")
    summarize "$p" --cum
    check_header "$p.sum" 1
    compare_expect "$W/exact.out" "$p.sum"
    no_drops "$p.sum"
}

# cxx_exact: run the C++ program (PROG_CXX) in exact mode; it must exit 0
# with no heapprof line, catch every exception it provoked, and its
# profile's per-function totals must match what it printed.  Sets p to the
# profile ($p.sum its summary, $p.sum.dem demangled).
cxx_exact() {
    run cxx HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/cx" -- "$PROG_CXX" 4
    expect_rc cxx 0
    no_heapprof_lines cxx
    grep -qx 'caught 40 5' "$W/cxx.out" ||
        fail "the program did not catch every exception: $(grep caught "$W/cxx.out")"
    p=$(newest_profile "$W/cx")
    summarize "$p" --cum
    check_header "$p.sum" 1
    demangle_summary "$p.sum"
    compare_expect "$W/cxx.out" "$p.sum.dem"
}

# lib.sh - helpers for the lifecycle scenarios (sourced by each *.sh, bash).
#
# Environment (set by tests/lifecycle/CMakeLists.txt through ctest):
#   HEAPPROF_LIB        libheapprof.so to preload
#   LC_<PROG>           the test programs and libraries
#   LC_WORK             a private work directory: recreated here, removed on
#                       success, kept on failure for inspection
#   HEAPPROF_SKIP_GO=1  the profiles are then checked with gzip -t only;
#                       otherwise a missing `go` is a failure, not a skip.
#
# Conventions: a failed check calls `fail` with what was expected and what
# was found.  Waiting is polling with a generous deadline, never a pass/fail
# on timing.  Profiles are decoded with `go tool pprof -raw`, whose text is
# parsed by the awk helpers below.

set -euo pipefail

LC_NAME=$(basename "${BASH_SOURCE[1]:-lifecycle}" .sh)

fail() {
    echo "FAIL [lifecycle_$LC_NAME]: $*" >&2
    exit 1
}

note() { echo "[lifecycle_$LC_NAME] $*"; }

# skip WHY: this scenario cannot run here; ctest reports it as skipped
# (SKIP_RETURN_CODE 77).
skip() {
    echo "[lifecycle_$LC_NAME] SKIP: $*"
    exit 77
}

need_env() {
    local v
    for v in "$@"; do
        [[ -n "${!v:-}" ]] || fail "environment variable $v is not set (run this through ctest)"
    done
}

need_env HEAPPROF_LIB LC_WORK
[[ -f "$HEAPPROF_LIB" ]] || fail "HEAPPROF_LIB=$HEAPPROF_LIB does not exist (build the library first)"

W=$LC_WORK
LC_PIDS=()
LC_MOUNTS=()

lc_cleanup() {
    local rc=$?
    local p m
    for p in "${LC_PIDS[@]:-}"; do
        if [[ -n "$p" ]]; then kill -KILL "$p" 2>/dev/null || true; fi
    done
    for m in "${LC_MOUNTS[@]:-}"; do
        [[ -n "$m" ]] && { umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; }
    done
    if [[ $rc -eq 0 || $rc -eq 77 ]]; then
        rm -rf "$W"
    else
        echo "[lifecycle_$LC_NAME] work directory kept for inspection: $W" >&2
    fi
    return $rc
}
trap lc_cleanup EXIT

# A mount left behind by an earlier killed run would survive rm -rf.
if [[ -d "$W" ]]; then
    while read -r m; do umount -l "$m" 2>/dev/null || true; done < <(awk -v w="$W" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r)
fi
rm -rf "$W"
mkdir -p "$W"

# Start every run from a clean slate: variables inherited from the caller
# would change what the profiler does.
# Every HEAPPROF_* variable goes, except the two that are for the tests.
unset LD_PRELOAD
for v in $(compgen -e | grep '^HEAPPROF_' || true); do
    case $v in
    HEAPPROF_LIB | HEAPPROF_SKIP_GO) ;;
    *) unset "$v" ;;
    esac
done

# ---- running programs --------------------------------------------------------

# run NAME [VAR=VALUE...] -- CMD [ARGS...]
#   CMD with libheapprof.so preloaded and the variables, stdout to $W/NAME.out,
#   stderr to $W/NAME.err; RC is its exit status (the script goes on).
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

# run_plain NAME [VAR=VALUE...] -- CMD [ARGS...]: the same, no preload.
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

# start NAME [VAR=VALUE...] -- CMD [ARGS...]: like run, in the background;
# sets BGPID.  Collect it with `finish NAME`.
start() {
    local name=$1; shift
    local vars=()
    while [[ $# -gt 0 && $1 != -- ]]; do vars+=("$1"); shift; done
    [[ ${1:-} == -- ]] || fail "start: missing -- before the command"
    shift
    env "${vars[@]}" LD_PRELOAD="$HEAPPROF_LIB" "$@" >"$W/$name.out" 2>"$W/$name.err" &
    BGPID=$!
    LC_PIDS+=("$BGPID")
}

# finish PID [SECONDS]: wait for a background run (killed after SECONDS,
# default 60, which fails the test); RC is its exit status.
finish() {
    local pid=$1 limit=${2:-60}
    local deadline=$((SECONDS + limit))
    while kill -0 "$pid" 2>/dev/null && [[ -d /proc/$pid && $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) != Z ]]; do
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
    for p in "${LC_PIDS[@]:-}"; do [[ -n $p && $p != "$pid" ]] && keep+=("$p"); done
    LC_PIDS=("${keep[@]:-}")
}

# expect_rc NAME WANT: the run NAME exited with WANT.
expect_rc() {
    if [[ $RC -ne $2 ]]; then
        echo "--- stderr of $1 (last 20 lines):" >&2
        tail -n 20 "$W/$1.err" >&2 || true
        fail "$1: expected exit status $2, got $RC"
    fi
}

# no_heapprof_lines NAME: the run's stderr has no line from the profiler.
no_heapprof_lines() {
    if grep -q 'heapprof:' "$W/$1.err"; then
        grep 'heapprof:' "$W/$1.err" | head -n 5 >&2
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

# wait_for_line FILE REGEX [SECONDS]: poll until FILE has a line matching.
wait_for_line() {
    local deadline=$((SECONDS + ${3:-30}))
    while ! grep -qE -- "$2" "$1" 2>/dev/null; do
        ((SECONDS <= deadline)) || fail "timed out after ${3:-30} s waiting for a line matching /$2/ in $1; it has: $(tail -n 5 "$1" 2>/dev/null)"
        sleep 0.01
    done
}

# wait_for_count FILE REGEX N [SECONDS]: poll until N lines of FILE match.
wait_for_count() {
    local deadline=$((SECONDS + ${4:-30})) c
    while :; do
        c=$(grep -cE -- "$2" "$1" 2>/dev/null || true)
        ((${c:-0} >= $3)) && return 0
        ((SECONDS <= deadline)) || fail "timed out after ${4:-30} s waiting for $3 lines matching /$2/ in $1; found ${c:-0}: $(tail -n 5 "$1" 2>/dev/null)"
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

# seqs_of PREFIX PID: the sequence numbers on disk, one per line, ascending.
seqs_of() {
    profiles "$1" "$2" | sed -E 's/.*\.([0-9]{4,})\.pb\.gz$/\1/' | sed 's/^0*//' | sort -n
}

# expect_contiguous PREFIX PID: files 0001..N without a gap; echoes N.
expect_contiguous() {
    local s want=1
    for s in $(seqs_of "$1" "$2"); do
        [[ $s -eq $want ]] || fail "$1.$2.*: expected contiguous sequence numbers from 0001, found $(seqs_of "$1" "$2" | tr '\n' ' ')"
        want=$((want + 1))
    done
    [[ $want -gt 1 ]] || fail "no profile $1.$2.0001.pb.gz was written"
    echo $((want - 1))
}

# wait_for_seq PREFIX PID N [SECONDS]: poll until a profile PREFIX.PID.<seq>
# with seq >= N is on disk (retention may already have removed N itself).
wait_for_seq() {
    local deadline=$((SECONDS + ${4:-30})) s
    while :; do
        s=$(seqs_of "$1" "$2" | tail -n 1)
        ((${s:-0} >= $3)) && return 0
        ((SECONDS <= deadline)) || fail "timed out after ${4:-30} s waiting for profile $3 of $1.$2 (newest: ${s:-none})"
        sleep 0.01
    done
}

# no_tmp_left DIR: no *.tmp file in DIR.
no_tmp_left() {
    local t
    t=$(find "$1" -maxdepth 1 -name '*.tmp' | head -n 5)
    [[ -z "$t" ]] || fail "temporary files left behind in $1: $t"
}

# gz_ok FILE: FILE is a complete gzip stream (a torn file is not).
gz_ok() {
    gzip -t "$1" 2>/dev/null || fail "$1 is not a complete gzip file (torn profile under a final name?)"
}

# ---- go tool pprof ------------------------------------------------------------

GO_OK=
go_setup() {
    [[ -n $GO_OK ]] && return 0
    if [[ ${HEAPPROF_SKIP_GO:-} == 1 ]]; then
        GO_OK=skip
        note "HEAPPROF_SKIP_GO=1: profiles are only checked with gzip -t, values are not checked"
        return 0
    fi
    command -v go >/dev/null 2>&1 ||
        fail "'go' is not installed: go tool pprof is needed to read the profiles (install golang-go, or set HEAPPROF_SKIP_GO=1 to skip those checks)"
    mkdir -p "$W/.gohome"
    if [[ -z ${HOME:-} || ! -w ${HOME:-/nonexistent} ]]; then export HOME=$W/.gohome; fi
    export GOCACHE=${GOCACHE:-$W/.gohome/cache}
    export GOTOOLCHAIN=local
    GO_OK=yes
}

# have_go: true when the value checks can run.
have_go() { go_setup; [[ $GO_OK == yes ]]; }

# decode FILE: FILE.raw (go tool pprof -raw); fails if pprof cannot read it.
# Names come from the profile itself (-symbolize=none): heapprof resolves them.
decode() {
    local f=$1
    gz_ok "$f"
    go_setup
    [[ $GO_OK == yes ]] || { : >"$f.raw"; return 0; }
    if ! go tool pprof -raw -symbolize=none "$f" >"$f.raw" 2>"$f.raw.err"; then
        head -c 2000 "$f.raw.err" >&2
        fail "go tool pprof -raw could not read $f"
    fi
    grep -q '^Samples:' "$f.raw" || fail "go tool pprof -raw $f printed no Samples section: $(head -c 400 "$f.raw")"
}

# decode_top FILE: go tool pprof -top also reads it (the common user command).
decode_top() {
    go_setup
    [[ $GO_OK == yes ]] || return 0
    go tool pprof -top -symbolize=none -sample_index=inuse_space "$1" >"$1.top" 2>"$1.top.err" ||
        fail "go tool pprof -top could not read $1: $(head -c 400 "$1.top.err")"
}

# leaf RAWFILE FUNC: "alloc_objects alloc_space inuse_objects inuse_space"
# summed over the samples whose leaf (innermost frame) is FUNC; "0 0 0 0"
# when there is none.
leaf() {
    awk -v fn="$2" '
        /^Samples:/ {mode = "s"; next}
        /^Locations/ {mode = "l"; next}
        /^Mappings/ {mode = "m"; next}
        mode == "s" && /^ *-?[0-9]+ +-?[0-9]+ +-?[0-9]+ +-?[0-9]+: / {
            n++; v0[n] = $1; v1[n] = $2; v2[n] = $3; v3[n] = $4; sub(/:$/, "", v3[n]); lf[n] = $5
            next
        }
        mode == "l" && /^ +[0-9]+: 0x/ {
            id = $1; sub(/:$/, "", id); name = ""
            for (i = 3; i <= NF; i++) {
                if ($i ~ /^M=/) continue
                if ($i ~ /^s=/ || $i ~ /:[0-9]+$/) break
                name = $i; break
            }
            fnof[id] = name
        }
        END {
            a = b = c = d = 0
            for (i = 1; i <= n; i++) if (fnof[lf[i]] == fn) { a += v0[i]; b += v1[i]; c += v2[i]; d += v3[i] }
            printf "%.0f %.0f %.0f %.0f\n", a, b, c, d
        }' "$1"
}

# totals RAWFILE: the four values summed over all samples.
totals() {
    awk '
        /^Samples:/ {mode = "s"; next}
        /^Locations/ {mode = "l"; next}
        mode == "s" && /^ *-?[0-9]+ +-?[0-9]+ +-?[0-9]+ +-?[0-9]+: / {
            a += $1; b += $2; c += $3; x = $4; sub(/:$/, "", x); d += x
        }
        END { printf "%.0f %.0f %.0f %.0f\n", a, b, c, d }' "$1"
}

# has_function RAWFILE FUNC: FUNC names some location of the profile.
has_function() {
    awk -v fn="$2" '/^Locations/ {l = 1; next} /^Mappings/ {l = 0} l { for (i = 3; i <= NF; i++) if ($i == fn) found = 1 } END { exit !found }' "$1"
}

# comment RAWFILE KEY: the value of KEY=VALUE in the profile's comments.
comment() {
    grep '^Comment: ' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1
}

# reason RAWFILE: why the profile was written (reason=... in its comments).
reason() { comment "$1" reason; }

# time_ns RAWFILE: the profile's time_nanos (its "Time:" line), in ns.
time_ns() {
    local t
    t=$(sed -n 's/^Time: //p' "$1" | head -n 1)
    [[ -n $t ]] || fail "$1: no Time: line"
    date -u -d "${t% UTC}" +%s%N
}

# values_eq WHAT GOT WANT: fail with both when they differ.
values_eq() {
    [[ "$2" == "$3" ]] || fail "$1: expected ($3), found ($2)  [alloc_objects alloc_space inuse_objects inuse_space]"
}

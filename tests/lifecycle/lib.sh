# shellcheck shell=bash
# lib.sh - helpers of the lifecycle scenarios (sourced by each *.sh, bash);
# what every suite shares is in ../lib/common.sh.
#
# Environment (set by tests/lifecycle/CMakeLists.txt through ctest):
#   HEAPPROF_LIB        libheapprof.so to preload
#   LC_<PROG>           the test programs and libraries
#   LC_WORK             a private work directory: recreated here, removed on
#                       success, kept on failure for inspection
#   LC_TAG              the test's name in messages, where it is not the
#                       script's (a script run again under marks nomemfd)
#   LC_VERSION          the project's version, which the library's marks carry
#   HEAPPROF_SKIP_GO=1  the profiles are then checked with gzip -t only;
#                       otherwise a missing `go` is a failure, not a skip.
#
# Conventions: a failed check calls `fail` with what was expected and what
# was found.  Waiting is polling with a generous deadline, never a pass/fail
# on timing.  Profiles are decoded with `go tool pprof -raw`, whose text is
# parsed by the awk helpers below.

TEST_TAG=${LC_TAG:-lifecycle_$(basename "${BASH_SOURCE[1]:-lifecycle}" .sh)}
GO_SKIP_NOTE="profiles are only checked with gzip -t, values are not checked"
# shellcheck source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

need_env LC_WORK
need_lib
work_init "$LC_WORK"
scrub_env

# ---- running programs --------------------------------------------------------

# start NAME [VAR=VALUE...] -- CMD [ARGS...]: run_bg (../lib/common.sh):
# like run, in the background; sets BGPID.  Collect it with `finish PID`.
start() { run_bg "$@"; }

# mount_tmpfs DIR SIZE WHAT: a tmpfs of SIZE mounted on DIR (unmounted at
# exit); the test is skipped where mounting is not permitted, WHAT being the
# case that is then not tested.
mount_tmpfs() {
    mkdir -p "$1"
    if ! mount -t tmpfs -o size="$2" tmpfs "$1" 2>"$W/mount.err"; then
        skip "cannot mount a tmpfs here ($(head -n 1 "$W/mount.err")): $3 is not tested"
    fi
    UMOUNT_AT_EXIT+=("$1")
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

# gz_ok FILE: FILE is a complete gzip stream (a torn file is not).
gz_ok() {
    gzip -t "$1" 2>/dev/null || fail "$1 is not a complete gzip file (torn profile under a final name?)"
}

# ---- go tool pprof ------------------------------------------------------------

# decode FILE: FILE.raw (go tool pprof -raw); fails if pprof cannot read it.
# Names come from the profile itself (-symbolize=none): heapprof resolves them.
decode() {
    local f=$1
    gz_ok "$f"
    have_go || { : >"$f.raw"; return 0; }
    pprof_to "$f" "$f.raw" -raw -symbolize=none
    grep -q '^Samples:' "$f.raw" || fail "go tool pprof -raw $f printed no Samples section: $(head -c 400 "$f.raw")"
}

# decode_top FILE: go tool pprof -top also reads it (the common user command).
decode_top() {
    have_go || return 0
    pprof_top "$1" "$1.top" -symbolize=none -sample_index=inuse_space
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
comment() { comment_value "$1" "$2" 'Comment: '; }

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

#!/usr/bin/env bash
# lifecycle_accounting: the profiler's bounded tables.
#  1. HEAPPROF_MAX_LIVE=1024 (its minimum) and 100000 live objects in exact
#     mode: the profile says dropped_samples ... live_table > 0, tracks at
#     most 1024 live objects, still counts every allocation, and decodes; what
#     could not be tracked is not shown as in use (after all are freed, the
#     site's in-use is 0); the program's output is unchanged; one line on
#     stderr says the table is full.
#  2. HEAPPROF_MAX_STACKS=64 (its minimum) and 2^12 distinct stacks: new
#     stacks past the bound are merged under [other stacks], not dropped
#     (merged_samples > 0, stack_table = 0), so every allocation is still
#     counted at its leaf; at most 64 stacks, decodes, output unchanged,
#     one line on stderr.  Then 64 sites that differ in their leaf frame:
#     past the merged stacks' share of the ids too, most are counted under
#     [other stacks] alone, and none is lost.
#  3. HEAPPROF_STACK_MEMORY=64k (its minimum), the same program: a few
#     hundred stacks, the rest merged, every allocation still counted.
source "$(dirname "$0")/lib.sh"
need_env LC_ACCT

# full_line NAME REGEX: the run's stderr has exactly one line from the
# profiler, and its message (after "heapprof[PID]: ") matches.
full_line() {
    local n
    n=$(hp_count "$W/$1.err")
    if [[ $n -ne 1 ]] || ! grep -qE -- "${HP_LINE}$2" "$W/$1.err"; then
        hp_lines "$W/$1.err" | head -n 5 >&2
        fail "$1: expected one line from the profiler matching /$2/, found $n lines (above)"
    fi
}

N=100000
run_plain ref1 -- "$LC_ACCT" maxlive $N
expect_rc ref1 0
run live HEAPPROF_SAMPLE=1 HEAPPROF_MAX_LIVE=1024 HEAPPROF_OUT="$W/l" -- "$LC_ACCT" maxlive $N
expect_rc live 0
# One line says the table filled, once, however many samples were dropped.
full_line live 'the live table is full \(HEAPPROF_MAX_LIVE=1024\)'
diff -u "$W/ref1.out" "$W/live.out" >&2 || fail "HEAPPROF_MAX_LIVE=1024: the program's output changed (diff above)"
pid=$(pids_of "$W/l")
[[ $(expect_contiguous "$W/l" "$pid") -eq 2 ]] || fail "expected 2 profiles (signal, exit)"
f1="$W/l.$pid.0001.pb.gz" f2="$W/l.$pid.0002.pb.gz"
decode "$f1"
decode "$f2"
decode_top "$f1"
if have_go; then
    dl=$(comment "$f1.raw" live_table)
    lo=$(comment "$f1.raw" live_sampled_objects)
    [[ -n $dl && -n $lo ]] || fail "$f1: no live_table= / live_sampled_objects= counters in the comments: $(grep '^Comment' "$f1.raw")"
    ((dl > 0)) || fail "$f1: HEAPPROF_MAX_LIVE=1024 with $N live objects: expected dropped_samples live_table > 0, found $dl"
    ((lo <= 1024)) || fail "$f1: live_sampled_objects=$lo exceeds HEAPPROF_MAX_LIVE=1024"
    read -r ao as io is < <(leaf "$f1.raw" ac_keep)
    [[ $ao -eq $N && $as -eq $((32 * N)) ]] || fail "$f1: ac_keep: every allocation is still counted as allocated: expected $N / $((32 * N)), found $ao / $as"
    ((io <= 1024 && io + dl >= N)) || fail "$f1: ac_keep in use: expected at most 1024 tracked objects, and tracked + dropped >= $N; found inuse_objects=$io, dropped=$dl"
    ((is == 32 * io)) || fail "$f1: ac_keep: inuse_space $is should be 32 x inuse_objects $io"
    [[ $(comment "$f1.raw" unseen_frees) == 0 ]] || fail "$f1: unseen_frees=$(comment "$f1.raw" unseen_frees), expected 0"
    values_eq "$f2 (all freed): leaf ac_keep" "$(leaf "$f2.raw" ac_keep)" "$N $((32 * N)) 0 0"
    note "1: MAX_LIVE=1024: live_sampled_objects=$lo, dropped live_table=$dl, ac_keep inuse_objects=$io"
fi

B=12
run_plain ref2 -- "$LC_ACCT" maxstacks $B
expect_rc ref2 0
# bounded NAME REGEX VAR=VALUE: maxstacks $B in exact mode with VAR set:
# exit 0, one line from the profiler matching REGEX, the program's output
# unchanged; f is its exit profile, decoded.
bounded() {
    local name=$1 re=$2 var=$3 pid
    run "$name" HEAPPROF_SAMPLE=1 "$var" HEAPPROF_OUT="$W/$name" -- "$LC_ACCT" maxstacks $B
    expect_rc "$name" 0
    full_line "$name" "$re"
    diff -u "$W/ref2.out" "$W/$name.out" >&2 || fail "$var: the program's output changed (diff above)"
    pid=$(pids_of "$W/$name")
    f="$W/$name.$pid.0001.pb.gz"
    decode "$f"
}
# One line says the table filled and that new stacks are merged from then on.
bounded stk 'the stack table is full \(HEAPPROF_STACK_MEMORY=[0-9]+ bytes.*7/8 of HEAPPROF_MAX_STACKS\) or out of memory: samples of new stacks are counted under \[other stacks\]' \
    HEAPPROF_MAX_STACKS=64
decode_top "$f"
if have_go; then
    ds=$(comment "$f.raw" stack_table)
    ms=$(comment "$f.raw" merged_samples)
    st=$(comment "$f.raw" stacks)
    [[ $ds == 0 ]] || fail "$f: HEAPPROF_MAX_STACKS=64: new stacks should be merged, not dropped; found dropped_samples stack_table=$ds"
    ((ms > 0)) || fail "$f: HEAPPROF_MAX_STACKS=64 with $((1 << B)) distinct stacks: expected merged_samples > 0, found '$ms'"
    ((st <= 64)) || fail "$f: stacks=$st exceeds HEAPPROF_MAX_STACKS=64"
    grep -q '\[other stacks\]' "$f.raw" || fail "$f: merged samples, but no [other stacks] frame"
    # Merged, not lost: every allocation is counted, at its own leaf.
    values_eq "$f: leaf ms_leaf" "$(leaf "$f.raw" ms_leaf)" "$((1 << B)) $((24 << B)) $((1 << (B - 1))) $((24 << (B - 1)))"
    # The 64 fo_leaf sites: a few merged with their leaf, the rest under the
    # marker alone (whose "leaf" is the marker).  Besides them the marker
    # alone may hold the program's few other late allocations (stdio).
    fo=0
    for i in {0..7} {1..7}{0..7}; do
        read -r o _ < <(leaf "$f.raw" "fo_leaf$i")
        fo=$((fo + o))
    done
    read -r mo _ mi _ < <(leaf "$f.raw" "[other")
    ((mo >= 32)) || fail "$f: expected most of the 64 fo_leaf samples under [other stacks] alone, found $mo there (and $fo at their own leaves)"
    ((fo + mo >= 64 && fo + mo <= 68 && mi >= 32)) || fail "$f: fo_leaf: $fo at their leaves + $mo under [other stacks] alone (in use $mi): expected 64 (plus at most 4 other allocations), all live"
    note "2: MAX_STACKS=64: stacks=$st, merged_samples=$ms, fo_leaf: $fo merged with their leaf, $mo under [other stacks] alone"
fi
# 3. The byte bound: 64 KiB of whole stacks holds a few hundred of these
# (each ~360 B: a 128-byte counter block, a 104-byte header, ~16 frames).
bounded mem 'the stack table is full \(HEAPPROF_STACK_MEMORY=65536 bytes' HEAPPROF_STACK_MEMORY=64k
if have_go; then
    ms=$(comment "$f.raw" merged_samples)
    st=$(comment "$f.raw" stacks)
    ((ms > 0)) || fail "$f: HEAPPROF_STACK_MEMORY=64k with $((1 << B)) distinct stacks: expected merged_samples > 0, found '$ms'"
    ((st >= 100 && st <= 400)) || fail "$f: HEAPPROF_STACK_MEMORY=64k: expected 100-400 stacks (~180 whole of ~360 B, a few merged), found $st"
    values_eq "$f: leaf ms_leaf" "$(leaf "$f.raw" ms_leaf)" "$((1 << B)) $((24 << B)) $((1 << (B - 1))) $((24 << (B - 1)))"
    note "3: STACK_MEMORY=64k: stacks=$st, merged_samples=$ms"
fi
note "ok"

#!/usr/bin/env bash
# lifecycle_fork: a forked child is profiled as a new process.
#  1. Parent and child both write readable profiles under their own pids;
#     the child's sequence starts at 0001 although the parent had written
#     0001 before the fork; in exact mode the child's values for a function
#     only the child calls are its own counts exactly, and the parent's
#     objects allocated before the fork are live in the child's profile
#     (minus the ones the child freed) and untouched in the parent's; each
#     names its own run id.
#  2. Forks while the parent is writing profiles (2^12 stacks, a signal
#     every millisecond, two allocating threads): no child hangs, every file
#     written is complete.
source "$(dirname "$0")/lib.sh"
need_env LC_FORK

SZ=1000

# ---- 1 ----------------------------------------------------------------------------
run basic HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/f" -- "$LC_FORK" basic
expect_rc basic 0
no_heapprof_lines basic
ppid=$(awk '$1=="parent" {print $2}' "$W/basic.out")
read -r cpid cst < <(awk '$1=="child" {print $2, $3}' "$W/basic.out")
[[ -n $ppid && -n $cpid ]] || fail "the program did not report its pids: $(cat "$W/basic.out")"
[[ $cst -eq 0 ]] || fail "the child exited with status $cst, expected 0"
got=$(pids_of "$W/f" | tr '\n' ' ')
want=$(printf '%s\n' "$ppid" "$cpid" | sort -n | tr '\n' ' ')
[[ $got == "$want" ]] || fail "expected profiles from the parent ($ppid) and the child ($cpid), found pids: $got"
n=$(expect_contiguous "$W/f" "$ppid")
[[ $n -eq 2 ]] || fail "parent: expected 2 profiles (signal, exit), found $n"
n=$(expect_contiguous "$W/f" "$cpid")
[[ $n -eq 2 ]] || fail "child: expected its own 0001 (signal) and 0002 (exit), found $n"
no_tmp_left "$W"
for who in "$ppid" "$cpid"; do
    for k in 1 2; do
        f=$(printf '%s.%s.%04d.pb.gz' "$W/f" "$who" "$k")
        decode "$f"
        have_go || continue
        [[ $(comment "$f.raw" pid) == "$who" ]] || fail "$f: comment pid=$(comment "$f.raw" pid), expected $who"
        [[ $(comment "$f.raw" seq) == "$k" ]] || fail "$f: comment seq=$(comment "$f.raw" seq), expected $k"
    done
done
if have_go; then
    p1=$(printf '%s.%s.%04d.pb.gz' "$W/f" "$ppid" 1)
    p2=$(printf '%s.%s.%04d.pb.gz' "$W/f" "$ppid" 2)
    c1=$(printf '%s.%s.%04d.pb.gz' "$W/f" "$cpid" 1)
    c2=$(printf '%s.%s.%04d.pb.gz' "$W/f" "$cpid" 2)
    [[ $(reason "$c1.raw") == signal && $(reason "$c2.raw") == exit ]] ||
        fail "child: expected reasons signal, exit; found $(reason "$c1.raw"), $(reason "$c2.raw")"
    values_eq "parent 0001 (before the fork): leaf fk_parent_before" "$(leaf "$p1.raw" fk_parent_before)" "50 $((50 * SZ)) 50 $((50 * SZ))"
    for c in "$c1" "$c2"; do
        values_eq "$(basename "$c"): leaf fk_child_only (the child's own)" "$(leaf "$c.raw" fk_child_only)" "70 $((70 * SZ)) 40 $((40 * SZ))"
        values_eq "$(basename "$c"): leaf fk_parent_before (inherited, 10 freed by the child)" "$(leaf "$c.raw" fk_parent_before)" "50 $((50 * SZ)) 40 $((40 * SZ))"
        values_eq "$(basename "$c"): leaf fk_parent_after (after the fork, parent only)" "$(leaf "$c.raw" fk_parent_after)" "0 0 0 0"
    done
    values_eq "parent exit: leaf fk_child_only" "$(leaf "$p2.raw" fk_child_only)" "0 0 0 0"
    values_eq "parent exit: leaf fk_parent_before" "$(leaf "$p2.raw" fk_parent_before)" "50 $((50 * SZ)) 50 $((50 * SZ))"
    values_eq "parent exit: leaf fk_parent_after" "$(leaf "$p2.raw" fk_parent_after)" "5 $((5 * SZ)) 5 $((5 * SZ))"
fi
# Each process names its own run in every profile: the child is no
# continuation of the parent's series (heapprof leaks says so).
run_of() { comments "$(printf '%s.%s.%04d.pb.gz' "$W/f" "$1" "$2")" | grep -oE 'process run=[0-9a-f]{16}' | head -n 1; }
rp1=$(run_of "$ppid" 1) rp2=$(run_of "$ppid" 2) rc1=$(run_of "$cpid" 1) rc2=$(run_of "$cpid" 2)
[[ -n $rp1 && $rp1 == "$rp2" && -n $rc1 && $rc1 == "$rc2" && $rp1 != "$rc1" ]] ||
    fail "run ids: the parent's profiles should share one ($rp1, $rp2), the child's another ($rc1, $rc2)"
note "1: parent $ppid and child $cpid each have 0001 and 0002 with exact, separate values"

# ---- 2 ----------------------------------------------------------------------------
mkdir -p "$W/storm"
run storm HEAPPROF_SAMPLE=1 HEAPPROF_KEEP=2 HEAPPROF_OUT="$W/storm/s" -- "$LC_FORK" storm 40
if [[ $RC -ne 0 ]]; then
    cat "$W/storm.err" >&2
    fail "fork storm: exit status $RC: $(grep -E 'hung|status' "$W/storm.err" | head -n 3)"
fi
grep -qx 'forked 40 hung 0 bad 0' "$W/storm.out" || fail "fork storm: $(cat "$W/storm.out")"
no_heapprof_lines storm
nfiles=0
no_tmp_left "$W/storm"
for f in "$W"/storm/s.*.pb.gz; do
    gz_ok "$f"
    nfiles=$((nfiles + 1))
done
# The children's files: every 4th child wrote a 0001 (signal) of its own.
nchild=$(($(pids_of "$W/storm/s" | wc -l) - 1))
((nchild >= 10)) || fail "fork storm: expected profiles from at least 10 children (every 4th asks for one), found $nchild"
for p in $(pids_of "$W/storm/s" | head -n 3) $(pids_of "$W/storm/s" | tail -n 2); do
    decode "$(profiles "$W/storm/s" "$p" | tail -n 1)"
done
note "2: 40 forks while the parent dumps: none hung, $nfiles files from $((nchild + 1)) processes, all complete"
note "ok"

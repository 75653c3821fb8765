#!/usr/bin/env bash
# lifecycle_threads: 5000 short-lived threads (50 at a time), each allocating
# 3 x 64 bytes and freeing 2, in exact mode: the program's exit status and
# output are unchanged, and the exit profile's totals for th_alloc are the
# exact sums: 15000 objects / 960000 bytes allocated, 5000 / 320000 live.
source "$(dirname "$0")/lib.sh"
need_env LC_FAIL

N=5000
run_plain ref -- "$LC_FAIL" threads $N
expect_rc ref 0
run thr HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/t" -- "$LC_FAIL" threads $N
expect_rc thr 0
no_heapprof_lines thr
diff -u "$W/ref.out" "$W/thr.out" >&2 || fail "the program's output differs with the preload (diff above)"
pid=$(pids_of "$W/t")
[[ $(expect_contiguous "$W/t" "$pid") -eq 1 ]] || fail "expected one (exit) profile"
f="$W/t.$pid.0001.pb.gz"
decode "$f"
if have_go; then
    values_eq "leaf th_alloc over $N threads" "$(leaf "$f.raw" th_alloc)" "$((3 * N)) $((3 * N * 64)) $N $((N * 64))"
    [[ $(comment "$f.raw" stack_table) == 0 && $(comment "$f.raw" live_table) == 0 ]] ||
        fail "$f: samples were dropped: $(grep dropped "$f.raw")"
fi
note "ok"

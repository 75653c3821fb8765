#!/usr/bin/env bash
# lifecycle_ctor_free: the process's first call into the allocator is a
# free() in the constructor of a library the program links, which runs
# before the profiler's own: heapprof finds the real allocator inside it.
# The main thread must still be profiled: in exact mode, every one of
# main's 100 blocks of 1000 bytes.  The allocations made while heapprof
# resolved the allocator left the thread's countdown past its end, which the
# unsigned tick did not see as crossed: nothing on the main thread was
# recorded, in a profile that said it was exact.
source "$(dirname "$0")/lib.sh"
need_env LC_CTORFREE
require_go

run r HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/prof" -- "$LC_CTORFREE"
expect_rc r 0
grep -qx "ctor free done" "$W/r.out" || fail "expected 'ctor free done', found: $(cat "$W/r.out")"
p=$(newest_profile "$W/prof")
[[ -n $p ]] || fail "no profile under $W/prof"
decode "$p"
values_eq "ctorfree_alloc's samples" "$(leaf "$p.raw" ctorfree_alloc)" "100 100000 100 100000"
note "ok: all of main's 100 blocks are in the exact profile"

#!/usr/bin/env bash
# integ_exact: HEAPPROF_SAMPLE=1 records every allocation with weight 1, so
# the exit profile's per-leaf totals must equal the program's own counts to
# the byte, for every C allocation entry point.  Also: HEAPPROF_DEPTH bounds
# the stack depth, and the same program without the preload prints the same.
source "$(dirname "$0")/lib.sh"
need_env PROG_EXACT

# 1. Exact mode, default depth.
run exact HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/ex" -- "$PROG_EXACT" 3
expect_rc exact 0
no_heapprof_lines exact
pid=$(only_pid "$W/ex")
[[ $(profiles "$W/ex" | wc -l) -eq 1 ]] || fail "expected exactly one (exit) profile, found: $(profiles "$W/ex")"
p="$W/ex.$pid.0001.pb.gz"
[[ -f $p ]] || fail "expected the exit profile $p, found: $(profiles "$W/ex")"
no_tmp_left "$W"
summarize "$p" --cum
check_header "$p.sum" 1
compare_expect "$W/exact.out" "$p.sum"

# Nothing dropped, and the profiler's own frames are gone: no leaf is one of
# the profiler's exported functions.
no_drops "$p.sum"
if grep -E '^leaf (malloc|calloc|realloc|reallocarray|posix_memalign|aligned_alloc|memalign|valloc|pvalloc|free|profiler_[a-z_]+|shim_[a-z_]+|record|unwind_capture) ' "$p.sum"; then
    fail "$p: the profiler's own frames appear as leaves (they must be removed)"
fi
# The stack of the deep recursion is truncated to the default depth, 64.
md=$(awk '$1=="max_depth"{print $2}' "$p.sum")
[[ $md -eq 64 ]] || fail "$p: expected the deepest stack to be cut at HEAPPROF_DEPTH's default 64, found max_depth $md"
# The recursion shows in the cumulative view below its leaf.
[[ -n $(field "$p.sum" cum ex_recurse) ]] || fail "$p: ex_recurse missing from the cumulative view"
# The leaf's caller chain: use_strdup is the caller of ex_strdup.
want=$(field "$p.sum" leaf ex_strdup)
got=$(field "$p.sum" cum use_strdup)
[[ $want == "$got" ]] || fail "$p: cum use_strdup ($got) should equal leaf ex_strdup ($want): it is its only caller"

pprof_check "$p" ex_malloc ex_calloc ex_realloc_grow ex_reallocarray ex_posix_memalign \
    ex_aligned_alloc ex_memalign ex_valloc ex_pvalloc ex_strdup ex_big ex_deep_leaf

# 2. HEAPPROF_DEPTH=4: stacks at most 4 frames, leaf totals unchanged.
run depth HEAPPROF_SAMPLE=1 HEAPPROF_DEPTH=4 HEAPPROF_OUT="$W/d4" -- "$PROG_EXACT" 1
expect_rc depth 0
no_heapprof_lines depth
p4=$(newest_profile "$W/d4")
summarize "$p4"
md=$(awk '$1=="max_depth"{print $2}' "$p4.sum")
[[ $md -le 4 && $md -ge 1 ]] || fail "$p4: HEAPPROF_DEPTH=4 but the deepest stack has $md frames"
compare_expect "$W/depth.out" "$p4.sum"
pprof_quick "$p4"

# 3. The program's behaviour does not change under the preload.
run_plain noload -- "$PROG_EXACT" 3
expect_rc noload 0
diff -u "$W/noload.out" "$W/exact.out" >&2 || fail "stdout differs with and without the preload"
note "ok"

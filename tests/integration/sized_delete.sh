#!/usr/bin/env bash
# integ_sized_delete: C++ operator new and sized operator delete reach the
# allocator's own when the allocator preloaded after heapprof defines them
# (jemalloc, tcmalloc: new has their fast path inlined, the size spares
# delete a lookup): every new, sampled or not, and every sized delete with
# the size the block was allocated with, the sampled objects' too (the
# profiler drops their entries first).  Without them (glibc) new is malloc
# and sized delete is free.  sizedalloc.c stands in for the allocator: it
# counts the news and sized deletes it gets and checks their sizes.
source "$(dirname "$0")/lib.sh"
need_env PROG_CXX SIZEDALLOC

# The allocator alone: the program's sized deletes reach it (the control).
run_plain alone LD_PRELOAD="$SIZEDALLOC" -- "$PROG_CXX" 4
expect_rc alone 0
report='new=[0-9]* sized=[0-9]* mismatched=[0-9]*'
alone=$(grep -o "$report" "$W/alone.err") ||
    fail "sizedalloc printed no report: $(tail -n 3 "$W/alone.err")"
[[ $alone =~ new=([0-9]+)\ sized=([0-9]+)\ mismatched=0$ && ${BASH_REMATCH[1]} -gt 0 &&
   ${BASH_REMATCH[2]} -gt 0 ]] ||
    fail "without heapprof: $alone; expected news and sized deletes, none mismatched"
alone_new=${BASH_REMATCH[1]} alone_n=${BASH_REMATCH[2]}

# Under heapprof, sampling about one allocation in ten: every sized delete
# reaches the allocator, the sampled objects' and the filter's false
# positives' through the profiler's slow path.
HEAPPROF_LIB="$HEAPPROF_LIB $SIZEDALLOC"
run stacked HEAPPROF_SAMPLE=256 HEAPPROF_OUT="$W/sz" -- "$PROG_CXX" 4
expect_rc stacked 0
no_heapprof_lines stacked
diff -u "$W/alone.out" "$W/stacked.out" >&2 || fail "stdout differs under heapprof"
got=$(grep -o "$report" "$W/stacked.err") ||
    fail "sizedalloc printed no report under heapprof"
[[ $got =~ new=([0-9]+)\ sized=([0-9]+)\ mismatched=([0-9]+)$ ]] || fail "unreadable report: $got"
news=${BASH_REMATCH[1]} n=${BASH_REMATCH[2]}
[[ ${BASH_REMATCH[3]} -eq 0 ]] || fail "under heapprof: $got: sized deletes with another size"
[[ $news -eq $alone_new ]] ||
    fail "under heapprof $news operator new calls reached the allocator, $alone_new without it"
[[ $n -eq $alone_n ]] ||
    fail "under heapprof $n sized deletes reached the allocator, $alone_n without it"
p=$(newest_profile "$W/sz")
summarize "$p"
check_header "$p.sum" 256
# Samples were taken, so sampled objects' deletes were among those counted.
samples=$(grep -o ' samples=[0-9]*' "$p.sum" | head -n 1 | cut -d= -f2)
[[ ${samples:-0} -gt 100 ]] || fail "only ${samples:-no} samples at HEAPPROF_SAMPLE=256"
pprof_quick "$p"
note "ok: all $news operator new and all $n sized deletes forwarded to the allocator, sizes intact"

#!/usr/bin/env bash
# integ_stacked: heapprof in front of another allocator,
# LD_PRELOAD="libheapprof.so libjemalloc.so.2".  Every allocation still goes
# to jemalloc and is counted exactly: the C entry points (exact.c, to the
# byte) and C++ operator new/delete (cxx.cc), which jemalloc defines itself
# and would otherwise take past the profiler.  exact.c also calls pvalloc,
# which jemalloc lacks: the profiler must not hand it to glibc's pvalloc
# (further down the chain), whose block jemalloc's free would then get.
source "$(dirname "$0")/lib.sh"
need_env PROG_EXACT PROG_CXX PROG_PLAIN PROG_OWNMALLOC CTORLIB
# awk reads to the end: an early exit would kill ldconfig with SIGPIPE,
# which pipefail turns into a failure of this line (a flaky one).
je=$(ldconfig -p | awk '/libjemalloc\.so\.2 .*x86-64/ && !found {print $NF; found = 1}')
[[ -n $je && -f $je ]] || fail "libjemalloc.so.2 not found (Debian package libjemalloc2)"
HEAPPROF_LIB="$HEAPPROF_LIB $je"

c_exact_over
pprof_quick "$p"

cxx_exact

# The other order: jemalloc's malloc is found first and heapprof sees
# nothing.  The program runs as without heapprof, and one line says why the
# profile will be empty.
run_plain plain -- "$PROG_PLAIN"
expect_rc plain 7
HEAPPROF_LIB="$je ${HEAPPROF_LIB%% *}"
run reversed HEAPPROF_OUT="$W/rev" -- "$PROG_PLAIN"
expect_rc reversed 7
diff -u "$W/plain.out" "$W/reversed.out" >&2 || fail "stdout differs with heapprof listed second"
lines=$(hp_count "$W/reversed.err")
grep -qF -- "this process's malloc is $je's, found before libheapprof.so's: list libheapprof.so first in LD_PRELOAD" <(hp_msgs "$W/reversed.err") &&
    [[ $lines -eq 1 ]] || fail "with jemalloc listed first, expected one line naming it, got: $(hp_lines "$W/reversed.err")"

# A preload without an allocator listed first: nothing to say, and its
# constructor's allocation is profiled (run after heapprof's, not from it).
HEAPPROF_LIB="$CTORLIB ${HEAPPROF_LIB#* }"
run ctor HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/ctor" -- "$PROG_PLAIN"
expect_rc ctor 7
no_heapprof_lines ctor
p=$(newest_profile "$W/ctor")
summarize "$p"
grep -qx 'leaf ctorlib_init 1 3000017 1 3000017' "$p.sum" ||
    fail "the constructor of a preload listed first was not profiled: $(grep '^leaf' "$p.sum")"

# A program with its own malloc: heapprof says so too, and the block the
# program gives back through heapprof's sdallocx goes to the program's own
# free (ownmalloc.c), which glibc's would abort on; a rallocx with
# MALLOCX_ZERO is refused rather than zero the program's bytes.
HEAPPROF_LIB="${HEAPPROF_LIB#* }"
run own HEAPPROF_OUT="$W/own" -- "$PROG_OWNMALLOC"
expect_rc own 0
grep -qx 'own malloc' "$W/own.out" || fail "ownmalloc printed: $(cat "$W/own.out")"
[[ $(hp_count "$W/own.err") -eq 1 ]] &&
    grep -qE "${HP_LINE}this program defines malloc itself: the calls to its own malloc are not profiled" "$W/own.err" ||
    fail "a program with its own malloc: expected one line saying so, got: $(hp_lines "$W/own.err")"
note "ok: exact C and C++ totals over jemalloc ($je); listed after it, or behind a program's own malloc, heapprof says so"

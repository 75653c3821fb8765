#!/usr/bin/env bash
# integ_stacked: heapprof in front of another allocator,
# LD_PRELOAD="libheapprof.so libjemalloc.so.2".  Every allocation still goes
# to jemalloc and is counted exactly: the C entry points (exact.c, to the
# byte) and C++ operator new/delete (cxx.cc), which jemalloc defines itself
# and would otherwise take past the profiler.  exact.c also calls pvalloc,
# which jemalloc lacks: the profiler must not hand it to glibc's pvalloc
# (further down the chain), whose block jemalloc's free would then get.
source "$(dirname "$0")/lib.sh"
need_env PROG_EXACT PROG_CXX
# awk reads to the end: an early exit would kill ldconfig with SIGPIPE,
# which pipefail turns into a failure of this line (a flaky one).
je=$(ldconfig -p | awk '/libjemalloc\.so\.2 .*x86-64/ && !found {print $NF; found = 1}')
[[ -n $je && -f $je ]] || fail "libjemalloc.so.2 not found (Debian package libjemalloc2)"
HEAPPROF_LIB="$HEAPPROF_LIB $je"

c_exact_over
pprof_quick "$p"

cxx_exact
note "ok: exact C and C++ totals over jemalloc ($je)"

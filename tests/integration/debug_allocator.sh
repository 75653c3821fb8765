#!/usr/bin/env bash
# integ_debug_allocator: heapprof in front of a debugging allocator that
# checks every free against how its block was allocated: gperftools'
# tcmalloc_debug aborts the program on "allocated with new being
# deallocated with free".  Every form of C++ new and delete must reach it as
# a pair it accepts (the allocator's own new with its own delete, plain,
# nothrow and sized: real.h), the C entry points likewise, and the totals
# stay exact.
source "$(dirname "$0")/lib.sh"
need_env PROG_EXACT PROG_CXX
# awk reads to the end: an early exit would kill ldconfig with SIGPIPE.
tc=$(ldconfig -p | awk '/libtcmalloc_debug\.so\.4 .*x86-64/ && !found {print $NF; found = 1}')
[[ -n $tc && -f $tc ]] || fail "libtcmalloc_debug.so.4 not found (Debian package libgoogle-perftools4)"

# The allocator alone runs the C++ program (the control).
run_plain alone LD_PRELOAD="$tc" -- "$PROG_CXX" 4
expect_rc alone 0

HEAPPROF_LIB="$HEAPPROF_LIB $tc"
cxx_exact
diff -u "$W/alone.out" "$W/cxx.out" >&2 || fail "stdout differs under heapprof"

# tcmalloc_debug's calloc does not set errno on overflow (the lax errno
# c_exact_over allows).
c_exact_over
note "ok: exact C and C++ totals over a debugging allocator, every free accepted ($tc)"

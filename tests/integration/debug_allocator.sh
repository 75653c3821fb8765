#!/usr/bin/env bash
# integ_debug_allocator: heapprof in front of debugging allocators.
#  - gperftools' tcmalloc_debug checks every free against how its block was
#    allocated, and aborts the program on "allocated with new being
#    deallocated with free".  Every form of C++ new and delete must reach it
#    as a pair it accepts (the allocator's own new with its own delete,
#    plain, nothrow and sized: real.h), the C entry points likewise, and the
#    totals stay exact.
#  - glibc's libc_malloc_debug.so defines malloc and the rest only under
#    glibc's symbol version (malloc@GLIBC_2.2.5, not the default): the
#    program's calls reach it, an unversioned dlsym does not (real.c).  With
#    MALLOC_CHECK_=3 its malloc_usable_size is the size asked for, which
#    shows whether heapprof forwards to it or past it to libc.
source "$(dirname "$0")/lib.sh"
need_env PROG_EXACT PROG_CXX PROG_USABLE
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
# c_exact_over allows), and its own pvalloc wraps a huge size to a page.
c_exact_over EXACT_PVALLOC_WRAPS=1

dbg=$(ldconfig -p | awk '/libc_malloc_debug\.so\.0 .*x86-64/ && !found {print $NF; found = 1}')
[[ -n $dbg && -f $dbg ]] || fail "libc_malloc_debug.so.0 not found (glibc, Debian package libc6)"
want='usable malloc=1 calloc=5 realloc=9 memalign=3'
run_plain dbg_alone LD_PRELOAD="$dbg" MALLOC_CHECK_=3 -- "$PROG_USABLE"
expect_rc dbg_alone 0
grep -qx "$want" "$W/dbg_alone.out" ||
    fail "the control: $dbg with MALLOC_CHECK_=3 printed '$(cat "$W/dbg_alone.out")', not '$want'"
HEAPPROF_LIB="${HEAPPROF_LIB%% *} $dbg"
for mode in 1 524288; do
    run "dbg_$mode" MALLOC_CHECK_=3 HEAPPROF_SAMPLE=$mode HEAPPROF_OUT="$W/dbg$mode" -- "$PROG_USABLE"
    expect_rc "dbg_$mode" 0
    no_heapprof_lines "dbg_$mode"
    grep -qx "$want" "$W/dbg_$mode.out" ||
        fail "HEAPPROF_SAMPLE=$mode: '$(cat "$W/dbg_$mode.out")', not '$want': heapprof went past $dbg"
done
note "ok: exact C and C++ totals over a debugging allocator, every free accepted ($tc); the calls reach glibc's debugging allocator ($dbg)"

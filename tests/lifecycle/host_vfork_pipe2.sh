#!/usr/bin/env bash
# lifecycle_host_vfork_pipe2: heapprof's pipe2 (it moves libunwind's pipe,
# unwind_pipe.h) finds the next pipe2 when the library is loaded, not at
# the program's first call: a vfork() child shares its parent's memory, and
# its first pipe2 ran dlsym there (it may allocate and take the loader's
# lock), as would a signal handler's.  Usually libunwind's own pipe2 at
# init had found it; not under a descriptor limit too low for that pipe
# (32 or less since a11203f, unwind_pipe.c), where heapprof says libunwind
# will not be used, which part 1 checks: under 64, the limit this test had
# at first, init now makes the pipe, and the test passed without the
# lookup at load.
#  1. Under `ulimit -n 32`, a vfork child makes the process's first pipe:
#     the loader's trace (LD_DEBUG=symbols) shows no lookup of pipe2 from
#     then on other than the binding of the program's own call, and the
#     pipe is made.
#  2. A pipe2 before heapprof's constructor (a linked library's) still
#     finds the next one then, and works.
#  3. The same holds for the other calls heapprof interposes in a process
#     (shim_process.c): a vfork child that calls every set*id function,
#     unshare and setns, as a launcher dropping privileges before its exec
#     does, runs no lookup of any of them (each looked one up until
#     session 41), and the calls work.
source "$(dirname "$0")/lib.sh"
need_env LC_FORK LC_CTORVFORK

# ---- 1 ------------------------------------------------------------------------
(
    ulimit -n 32
    run vp HEAPPROF_OUT="$W/vp" LD_DEBUG=symbols -- "$LC_FORK" vforkpipe
    echo "$RC" >"$W/vp.rc"
)
RC=$(cat "$W/vp.rc")
expect_rc vp 0
grep -qx 'vfork pipe2 0' "$W/vp.out" || fail "1: the vfork child's pipe2 failed: $(cat "$W/vp.out")"
grep -q 'symbol=pipe2;' "$W/vp.err" || fail "1: the loader's trace shows no pipe2 at all (is it complete?)"
# The scenario: init made no pipe, so no pipe2 of libunwind's found the next.
hp_msgs "$W/vp.err" | grep -q '^libunwind will not be used (the descriptor limit is too low)' ||
    fail "1: libunwind made its pipe at init under ulimit -n 32 (its pipe2 found the next one then, so this checks nothing): $(hp_msgs "$W/vp.err")"
# After the marker: the program's binding of its call looks in the program,
# then finds heapprof's; any lookup in another object is heapprof's dlsym.
late=$(sed -n '/^vfork pipe2 now$/,$p' "$W/vp.err" | grep 'symbol=pipe2;' |
    grep -vF -e "file=$LC_FORK " -e "file=$HEAPPROF_LIB " || true)
[[ -z $late ]] || fail "1: the vfork child's pipe2 looked up the next pipe2 (dlsym in the child): $late"
note "1: a vfork child's first pipe2 under ulimit -n 32 runs no lookup"

# ---- 2 ------------------------------------------------------------------------
(
    ulimit -n 32
    run ctor HEAPPROF_OUT="$W/ctor" CTORVFORK_PIPE2=1 -- "$LC_CTORVFORK"
    echo "$RC" >"$W/ctor.rc"
)
RC=$(cat "$W/ctor.rc")
expect_rc ctor 0
grep -qx 'ctor pipe2 0' "$W/ctor.out" || fail "2: a pipe2 before heapprof's constructor failed: $(cat "$W/ctor.out")"
note "2: a pipe2 before heapprof's constructor works"

# ---- 3 ------------------------------------------------------------------------
run ids HEAPPROF_OUT="$W/ids" LD_DEBUG=symbols -- "$LC_FORK" vforkids
expect_rc ids 0
grep -qx 'vfork ids 0' "$W/ids.out" || fail "3: a call in the vfork child failed: $(cat "$W/ids.out")"
calls='setuid|setgid|seteuid|setegid|setreuid|setregid|setresuid|setresgid|setgroups|unshare|setns'
grep -Eq "symbol=($calls);" "$W/ids.err" || fail "3: the loader's trace shows none of the calls (is it complete?)"
late=$(sed -n '/^vfork ids now$/,$p' "$W/ids.err" | grep -E "symbol=($calls);" |
    grep -vF -e "file=$LC_FORK " -e "file=$HEAPPROF_LIB " || true)
[[ -z $late ]] || fail "3: the vfork child looked up the next definitions (dlsym in the child): $(echo "$late" | head -3)"
note "3: a vfork child's set*id, unshare and setns run no lookup"
note "ok"

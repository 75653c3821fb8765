#!/usr/bin/env bash
# lifecycle_fork_altstack: a program that forks in a signal handler running
# on an alternate stack of SIGSTKSZ bytes (sysconf's, glibc's advice for
# this CPU) gets a child that runs, whatever HEAPPROF_OUT is.  The fork
# handlers run on that stack; the child's read its output directory there
# (a path of CONFIG_PATH_MAX and 4 KiB of directory entries, 7 KiB more
# than the program's own fork wrote) and, when a directory named by a code
# could not be made, formatted a line as well: the child died of SIGSEGV
# (or, on a CPU with a smaller signal frame, wrote that much closer to the
# end).  So the child's use of the stack is also compared with the
# program's own without the profiler: at most a page more.
source "$(dirname "$0")/lib.sh"
need_env LC_FORK

run_plain plain -- "$LC_FORK" altstack
expect_rc plain 0
base=$(sed -nE 's/^child exited 5 used ([0-9]+)$/\1/p' "$W/plain.out")
[[ -n $base ]] || fail "without the profiler: expected 'child exited 5 used N', found: $(cat "$W/plain.out")"

: >"$W/file"
i=0
for out in "$W/p" "$W/%p/p" "$W/file/%p/p"; do
    i=$((i + 1))
    run "r$i" HEAPPROF_OUT="$out" -- "$LC_FORK" altstack
    expect_rc "r$i" 0
    used=$(sed -nE 's/^child exited 5 used ([0-9]+)$/\1/p' "$W/r$i.out")
    [[ -n $used ]] || fail "HEAPPROF_OUT=$out: expected 'child exited 5 used N', found: $(cat "$W/r$i.out")"
    ((used - base <= 4096)) || fail "HEAPPROF_OUT=$out: the fork handlers used $((used - base)) bytes of the signal stack (the child $used, without the profiler $base); at most 4096 expected"
    note "HEAPPROF_OUT=$out: the child used $used bytes of the alternate stack, $((used - base)) more than without the profiler"
done
note "ok: fork on an alternate stack of SIGSTKSZ, the child runs"

#!/usr/bin/env bash
# lifecycle_host_stderr_pipe: the program's stderr is a pipe whose reader
# has gone (a supervisor that exited; here the program's first image makes
# it and re-execs itself, deterministically), and heapprof has something to say
# (an unwritable HEAPPROF_OUT).  Its line must not kill the program with
# SIGPIPE, whether the program blocks SIGPIPE (then no SIGPIPE of the
# profiler's may be left pending for it) or leaves it at its default; errno
# is the program's.
source "$(dirname "$0")/lib.sh"
need_env LC_HOST

run pipe HEAPPROF_OUT="$W/missing/p" -- "$LC_HOST" pipe_stderr
[[ $RC -ne 141 ]] || fail "the program was killed by SIGPIPE (exit status 141): heapprof's line to a broken stderr"
expect_rc pipe 0
for want in "blocked_dump=2 errno_kept=1" blocked_pending=0 "default_dump=2 errno_kept=1" survived=1; do
    grep -qx "$want" "$W/pipe.out" ||
        fail "expected '$want', the program printed: $(tr '\n' ' ' <"$W/pipe.out")"
done
note "ok: heapprof's lines to a broken pipe raise no SIGPIPE in the program"

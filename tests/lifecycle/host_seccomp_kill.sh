#!/usr/bin/env bash
# lifecycle_host_seccomp_kill: a sandboxed program installs, once started,
# a seccomp filter on every thread that allows what it calls itself
# (memory, threads, read, write, sleeping, exit), refuses openat with EPERM
# and kills the process (or raises SIGSYS) for anything else.  Under
# heapprof it was killed: its exit() asked getpid(), the writer thread's
# periodic profile and the HTTP server's poll made calls of their own.
# heapprof must stand down before the filter goes in, with one line, and
# the program run as without it: same output, exit status 0.
source "$(dirname "$0")/lib.sh"
need_env LC_HOST

for act in kill trap; do
    run_plain plain_$act -- "$LC_HOST" seccomp_kill $act
    [[ $RC -eq 77 ]] && skip "no seccomp filter can be installed here: $(tail -n 1 "$W/plain_$act.out")"
    expect_rc plain_$act 0

    run $act HEAPPROF_OUT="$W/p" HEAPPROF_PERIOD=0.02 HEAPPROF_HTTP=127.0.0.1:0 -- \
        "$LC_HOST" seccomp_kill $act
    expect_rc $act 0
    [[ $(grep '^sum=' "$W/$act.out") == "$(grep '^sum=' "$W/plain_$act.out")" ]] ||
        fail "$act: the program's results differ under the profiler: $(cat "$W/$act.out")"
    grep -qE '^dump=(ENOTSUP|EOPNOTSUPP)$' "$W/$act.out" ||
        fail "$act: heapprof_dump() under the filter should answer ENOTSUP: $(cat "$W/$act.out")"
    grep -q 'installs a seccomp filter that can kill or trap a system call: heapprof stops here' \
        "$W/$act.err" || fail "$act: heapprof did not say it stands down: $(cat "$W/$act.err")"
    n=$(grep -v 'serving http://' "$W/$act.err" | grep -c 'heapprof\[' || true)
    [[ $n -eq 1 ]] || fail "$act: expected one line from heapprof, found $n: $(cat "$W/$act.err")"
    no_tmp_left "$W"
done
note "ok: the program ran as without heapprof under both filters"

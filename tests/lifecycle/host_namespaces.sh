#!/usr/bin/env bash
# lifecycle_host_namespaces: setns(2) and unshare(2) calls that the kernel
# refuses in a multi-threaded process succeed under the profiler, whose
# writer thread makes the process multi-threaded, as they do without it:
# setns into a time namespace (EUSERS otherwise; nstype CLONE_NEWTIME and
# 0), unshare of CLONE_THREAD, CLONE_SIGHAND, CLONE_VM (EINVAL otherwise)
# and CLONE_NEWUSER.  A call that fails without the profiler too (no
# privilege, no time namespaces in this kernel) is not checked; the test is
# skipped when none can be.
source "$(dirname "$0")/lib.sh"
need_env LC_HOST

run_plain plain -- "$LC_HOST" ns
expect_rc plain 0
run with HEAPPROF_OUT="$W/p" -- "$LC_HOST" ns
expect_rc with 0
threads=$(sed -n 's/^threads=//p' "$W/with.out")
[[ ${threads:-0} -gt 1 ]] ||
    fail "the profiler started no thread of its own (threads=${threads:-?}): nothing is tested"
checked=()
while IFS='=' read -r key want; do
    [[ $key == threads ]] && continue
    if [[ $want != 0 ]]; then
        note "$key fails without the profiler too ($want): not checked here"
        continue
    fi
    got=$(sed -n "s/^$key=//p" "$W/with.out")
    [[ $got == 0 ]] || fail "$key: succeeds without the profiler, fails with it ($got)"
    checked+=("$key")
done <"$W/plain.out"
[[ ${#checked[@]} -gt 0 ]] || skip "none of the calls succeeds here without the profiler (not root?): $(tr '\n' ' ' <"$W/plain.out")"
no_heapprof_lines with
note "ok: ${checked[*]} succeed with the profiler's thread running"

#!/usr/bin/env bash
# lifecycle_host_seccomp_refused: a program hands the kernel seccomp
# filters it refuses, so that nothing is installed: at an unmapped address
# or NULL, with its instructions unmapped (EFAULT), with no instructions
# (EINVAL).  heapprof reads each filter before the kernel does, to tell
# whether it may kill one of its own calls (lifecycle_host_seccomp_kill);
# it read them from the program's pointer, and a bad address crashed the
# program (SIGSEGV) where the kernel would have answered EFAULT, and a NULL
# one made it stand down for a filter never installed.  Each call must
# answer as without the profiler, and the profiler must still be at work.
source "$(dirname "$0")/lib.sh"
need_env LC_HOST

run_plain plain -- "$LC_HOST" seccomp_refused
[[ $RC -eq 77 ]] && skip "no seccomp filter can be installed here: $(tail -n 1 "$W/plain.out")"
expect_rc plain 0
grep -qx 'prctl_unmapped=-1 EFAULT' "$W/plain.out" ||
    skip "this kernel answers a filter at an unmapped address otherwise: $(tr '\n' ' ' <"$W/plain.out")"

mkdir "$W/out"
run refused HEAPPROF_OUT="$W/out/p" -- "$LC_HOST" seccomp_refused
[[ $RC -ne 139 && $RC -ne $((128 + 11)) ]] || fail "the program was killed by SIGSEGV: heapprof read a filter at a bad address"
expect_rc refused 0
diff <(grep -v '^dump=' "$W/plain.out") <(grep -v '^dump=' "$W/refused.out") >"$W/diff.txt" ||
    fail "the calls answered otherwise under the profiler: $(tr '\n' ' ' <"$W/diff.txt")"
grep -qx 'dump=0' "$W/refused.out" ||
    fail "heapprof stood down for filters never installed (heapprof_dump answered $(sed -n 's/^dump=//p' "$W/refused.out"))"
no_heapprof_lines refused
n=$(find "$W/out" -name '*.pb.gz' | wc -l)
[[ $n -eq 2 ]] || fail "expected 2 profiles (heapprof_dump's and the exit profile), found $n"
note "ok: $(grep -c '=-1 ' "$W/refused.out") refused filters answered as without the profiler, which carried on"

#!/usr/bin/env bash
# lifecycle_host_seccomp_errno: a program installs a seccomp filter, on
# every thread, that refuses getpid() with EPERM (a sandbox's allow-list
# without it, or one that answers what it does not know with an errno).
# getpid() then answers -1, which heapprof took for another process: the
# program's own process stood down as a child made without fork handlers,
# wrote no exit profile and said so in a line naming "process -1", from
# "heapprof[18446744073709551615]"; its periodic profiles were named
# PREFIX.-1.N.  The profiles must keep the process's pid, and the exit
# profile must be written.
source "$(dirname "$0")/lib.sh"
need_env LC_HOST

run_plain plain -- "$LC_HOST" seccomp_errno
[[ $RC -eq 77 ]] && skip "no seccomp filter can be installed here: $(tail -n 1 "$W/plain.out")"
expect_rc plain 0

run se HEAPPROF_OUT="$W/p" HEAPPROF_PERIOD=0.05 -- "$LC_HOST" seccomp_errno
expect_rc se 0
pid=$(sed -n 's/^pid=//p' "$W/se.out")
[[ -n $pid ]] || fail "the program printed no pid: $(cat "$W/se.out")"
[[ $(grep '^sum=' "$W/se.out") == "$(grep '^sum=' "$W/plain.out")" ]] ||
    fail "the program's results differ under the profiler: $(cat "$W/se.out") vs $(cat "$W/plain.out")"
if grep -q 'heapprof\[' "$W/se.err"; then
    fail "heapprof said something, where every profile could be written: $(cat "$W/se.err")"
fi
if compgen -G "$W/p.-*" >/dev/null; then
    fail "profiles named after the failed getpid(): $(ls "$W")"
fi
last=$(newest_profile "$W/p")
[[ $last == "$W/p.$pid."* ]] || fail "the newest profile $last is not named after pid $pid"
gz_ok "$last"
why=$(gzip -dc "$last" | grep -ao 'reason=[a-z]*' | head -n 1) # the comments' strings
[[ $why == reason=exit ]] || fail "no exit profile: the newest, $last, has ${why:-no reason}"
note "ok: $(ls "$W" | grep -c '\.pb\.gz$') profiles, the last the exit profile"

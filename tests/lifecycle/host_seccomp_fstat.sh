#!/usr/bin/env bash
# lifecycle_host_seccomp_fstat: a program installs a seccomp filter that
# refuses fstat (newfstatat, which glibc's fstat() is since 2.33; filters
# written before allowed the old fstat call only) with EPERM, then asks for
# profiles.  heapprof checks each file it writes by its identity (fdid.h),
# which it cannot take: it gave up on the profile but left its file open,
# one low descriptor more for each profile, so the program's next open()
# got another number than without heapprof.  Its descriptors must be as
# they were.
source "$(dirname "$0")/lib.sh"
need_env LC_HOST

run fs HEAPPROF_OUT="$W/p" -- "$LC_HOST" seccomp_fstat
[[ $RC -eq 77 ]] && skip "no seccomp filter can be installed here: $(tail -n 1 "$W/fs.out")"
expect_rc fs 0
line=$(grep '^fds_before=' "$W/fs.out") || fail "the program printed no descriptor counts: $(cat "$W/fs.out")"
before=${line#fds_before=}
before=${before%% *}
[[ $line == "fds_before=$before fds_after=$before" ]] ||
    fail "heapprof left descriptors open in the program: $line ($(grep '^dump=' "$W/fs.out" | tr '\n' ' '))"
[[ $(grep -c '^dump=0$' "$W/fs.out") -eq 0 ]] ||
    fail "a profile was written whose file could not be checked: $(cat "$W/fs.out")"
no_tmp_left "$W"
note "ok: $line; $(grep '^dump=' "$W/fs.out" | tr '\n' ' ')"

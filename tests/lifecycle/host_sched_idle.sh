#!/usr/bin/env bash
# lifecycle_host_sched_idle: a program run under SCHED_IDLE (`chrt --idle
# 0`, a batch job kept out of the way) by a user without CAP_SYS_NICE.
# heapprof's threads asked for SCHED_OTHER, which such a user may not
# raise a thread to: pthread_create failed with EPERM, and the writer never
# ran (no signal or periodic profile, only the exit one).  They must start,
# under the program's own policy, and write the periodic profiles.
source "$(dirname "$0")/lib.sh"
need_env LC_TRIGGER
command -v chrt >/dev/null || skip "no chrt here"
as_user=()
if [[ $(id -u) -eq 0 ]]; then
    command -v setpriv >/dev/null || skip "no setpriv here to drop root's CAP_SYS_NICE"
    as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    chmod 0777 "$W"
fi

# chrt and setpriv run unprofiled; the preload goes to the program alone.
run_plain idle -- chrt --idle 0 "${as_user[@]}" env LD_PRELOAD="$HEAPPROF_LIB" \
    HEAPPROF_OUT="$W/p" HEAPPROF_PERIOD=0.05 "$LC_TRIGGER" period 200 2
[[ $RC -eq 0 ]] || fail "the program exited with $RC: $(tr '\n' ' ' <"$W/idle.err")"
no_heapprof_lines idle
pid=$(pids_of "$W/p")
n=$(expect_contiguous "$W/p" "$pid")
((n >= 3)) || fail "expected periodic profiles and the exit profile, found $n"
note "ok: under SCHED_IDLE${as_user:+ as uid 65534}, $n profiles"

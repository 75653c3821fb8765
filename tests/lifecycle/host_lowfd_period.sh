#!/usr/bin/env bash
# lifecycle_host_lowfd_period: open() returns the lowest descriptor number
# free (POSIX): a daemon closes stdin and opens /dev/null as its new fd 0.
# The profiler's writer opened each profile, its directory, /proc texts and
# ELF files at the lowest free number and then moved them high (fdid.h):
# in those microseconds the program's open() got another number (1599 of a
# million with a profile every 10 ms).  The writer now opens its files in a
# descriptor table of its own, and its lines still reach the program's
# stderr, which the second run checks.
source "$(dirname "$0")/lib.sh"
need_env LC_HOST

run prof HEAPPROF_OUT="$W/p" HEAPPROF_PERIOD=0.002 HEAPPROF_KEEP=4 -- "$LC_HOST" lowfd 3
written=$(profiles "$W/p" | wc -l)
((written > 0)) || fail "no profile was written: $(cat "$W/prof.err")"
expect_rc prof 0
no_heapprof_lines prof
for f in $(profiles "$W/p"); do
    gz_ok "$f"
done

# A profile the writer cannot write is one line on the program's stderr.
run gone HEAPPROF_OUT="$W/none/p" HEAPPROF_PERIOD=0.05 -- "$LC_HOST" lowfd 0.3
expect_rc gone 0
hp_msgs "$W/gone.err" | grep -q "^cannot write profile $W/none/p" ||
    fail "the writer's line about the profile it cannot write is missing: $(cat "$W/gone.err")"
note "ok: $(tail -n 1 "$W/prof.out"); the writer's lines still reach stderr"

#!/usr/bin/env bash
# integ_sigwindow: a signal handler that runs inside the allocator, after
# heapprof's countdown crossed and before its slow path drew the next
# budget (raiser.c raises it there), in exact mode: its allocation is
# recorded, and so is every allocation after a handler that jumped out of
# the allocator with siglongjmp (sigwindow.c).
source "$(dirname "$0")/lib.sh"
need_env PROG_SIGWINDOW RAISER

HEAPPROF_LIB="$HEAPPROF_LIB $RAISER"
run sw HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/sw" -- "$PROG_SIGWINDOW"
expect_rc sw 0
no_heapprof_lines sw
p=$(newest_profile "$W/sw")
summarize "$p"
check_header "$p.sum" 1
compare_expect "$W/sw.out" "$p.sum"
note "ok"

#!/usr/bin/env bash
# lifecycle_fork_handlers: fork() in a program linked to a library whose
# fork handlers allocate and free (atforklib.c).  glibc runs them between
# heapprof's prepare handler, which holds the tables' locks, and its parent
# or child handler; a sample taken there waited for a lock its own thread
# held, and the parent (or the child) hung in fork().
#  1. Every allocation sampled; the parent handler also dlclose()s a
#     library and asks for a profile: 20 forks, no process hangs,
#     heapprof_dump() answers EDEADLK there, every child that left with
#     exit() wrote its exit profile, every file is complete.
#  2. The default interval, a 1 MiB buffer rebuilt by the child handler
#     (about always sampled): no child hangs.
source "$(dirname "$0")/lib.sh"
need_env LC_FORKHANDLERS LC_NOOP

# ---- 1 ----------------------------------------------------------------------------
start a HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/a" ATFORK_DLLIB="$LC_NOOP" -- "$LC_FORKHANDLERS" 20
finish "$BGPID" 90
expect_rc a 0
grep -qx 'forked 20 hung 0 bad 0 dump EDEADLK' "$W/a.out" || fail "1: expected 'forked 20 hung 0 bad 0 dump EDEADLK', found: $(cat "$W/a.out")"
no_heapprof_lines a
no_tmp_left "$W"
n=$(pids_of "$W/a" | wc -l)
[[ $n -eq 11 ]] || fail "1: expected exit profiles from the parent and 10 children, found $n processes"
for f in "$W"/a.*.pb.gz; do gz_ok "$f"; done
decode "$(profiles "$W/a" "$(pids_of "$W/a" | head -n 1)" | tail -n 1)"
note "1: 20 forks through allocating fork handlers, none hung, 11 exit profiles"

# ---- 2 ----------------------------------------------------------------------------
start b HEAPPROF_OUT="$W/b" ATFORK_SIZE=1048576 -- "$LC_FORKHANDLERS" 20
finish "$BGPID" 90
expect_rc b 0
grep -qx 'forked 20 hung 0 bad 0 dump EDEADLK' "$W/b.out" || fail "2: expected 'forked 20 hung 0 bad 0 dump EDEADLK', found: $(cat "$W/b.out")"
no_heapprof_lines b
note "2: 20 forks, a 1 MiB allocation in each child handler at the default interval, none hung"
note "ok"

#!/usr/bin/env bash
# lifecycle_fork_sigchain: the descendants of a child forked by a signal
# handler inside heapprof (lifecycle_fork_sighandler).  That child returns
# from the handler and forks normally: the grandchild is profiled again (its
# own exit profile), and its _Fork child is an orphan of the ordinary kind,
# whose line must say _Fork, not that a signal handler forked it (the mark
# of the first child was inherited by every descendant).
source "$(dirname "$0")/lib.sh"
need_env LC_HOST

# The timer's tick may fall in heapprof's unguarded code (the allocation
# fast path), where a fork is an ordinary one; the child then says
# "ordinary fork" and the run is made again.
for attempt in 1 2 3 4 5 6 7 8 9 10; do
    rm -f "$W"/p.*
    start chain HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/p" -- "$LC_HOST" sigforkchain
    pid=$BGPID
    finish "$pid" 60
    grep -q '^skip: ' "$W/chain.out" && skip "$(cat "$W/chain.out")"
    expect_rc chain 0
    grep -qx 'ordinary fork' "$W/chain.out" || break
    [[ $attempt -lt 10 ]] || fail "10 runs, and each tick fell outside heapprof's guarded work"
done
grep -qx parent "$W/chain.out" || fail "the program printed: $(cat "$W/chain.out")"
msgs=$(hp_msgs "$W/chain.err" | sed -E 's/^process [0-9]+ //')
inside="was forked by a signal handler that interrupted heapprof's own work, which may hold the locks a profile needs: it writes no exit profile"
forkless="was created without fork handlers (_Fork or clone): it writes no exit profile"
[[ $(grep -cxF -- "$inside" <<<"$msgs") -eq 1 ]] ||
    fail "expected one line from the handler's child, the profiler said: $msgs"
[[ $(grep -cxF -- "$forkless" <<<"$msgs") -eq 1 ]] ||
    fail "expected the _Fork grandchild's own line, the profiler said: $msgs"
bad=$(grep -vxF -e "$inside" -e "$forkless" <<<"$msgs" || true)
[[ -z $bad ]] || fail "unexpected profiler lines: $bad"
# The parent's exit profile and the profiled grandchild's: two processes.
n=$(profiles "$W/p" | xargs -rn1 basename | cut -d. -f2 | sort -u | wc -l)
[[ $n -eq 2 ]] || fail "expected exit profiles of 2 processes, found: $(profiles "$W/p" | xargs -rn1 basename | tr '\n' ' ')"
for f in $(profiles "$W/p"); do decode "$f"; done
no_tmp_left "$W"
note "ok: the handler's child said so, its normal child was profiled, and that one's _Fork child said _Fork"

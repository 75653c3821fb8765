#!/usr/bin/env bash
# lifecycle_fork_sigdump: a signal handler forks while the program's own
# thread writes a profile (heapprof_dump), and the child returns from the
# handler into that profile, as a handler that forks and lets its child go
# on does.  The child went on writing the rest of the profile into the same
# file through the descriptor it shares with its parent, and either of them
# could give the mixed file its final name (seen within the first few of
# these profiles), or the program hung.  No handler of the program's may
# run inside a profile on its thread now: it runs when the profile is done.
# Every profile under a final name must decode, no temporary file may be
# left, and the only lines are those of children forked inside heapprof's
# code around a profile ("writes no exit profile").
source "$(dirname "$0")/lib.sh"
need_env LC_HOST

R=500
start sigdump HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/p" -- "$LC_HOST" sigforkdump "$R"
pid=$BGPID
finish "$pid" 120
grep -q '^skip: ' "$W/sigdump.out" && skip "$(cat "$W/sigdump.out")"
expect_rc sigdump 0
read -r forks ok ticks < <(sed -n 's/^forks=\([0-9]*\) children_ok=\([0-9]*\) ticks=\([0-9]*\)$/\1 \2 \3/p' "$W/sigdump.out")
[[ -n $forks && $ok == "$forks" ]] ||
    fail "expected every child to exit with 0, the program printed: $(cat "$W/sigdump.out")"
# Else nothing was tried: the CPU timer never fired during a request.
[[ $ticks -gt 0 ]] || fail "the timer's handler never ran during a request: $(cat "$W/sigdump.out")"
want="was forked by a signal handler that interrupted heapprof's own work, which may hold the locks a profile needs: it writes no exit profile"
bad=$(hp_msgs "$W/sigdump.err" | sed -E 's/^process [0-9]+ //' | grep -vxF -- "$want" || true)
[[ -z $bad ]] || fail "unexpected profiler lines: $(head -c 2000 <<<"$bad")"
n=0
for f in "$W"/p.*.pb.gz; do
    decode "$f"
    n=$((n + 1))
done
[[ $n -ge $R ]] || fail "expected $R profiles or more, found $n"
no_tmp_left "$W"
note "ok: $R profiles with a CPU timer's handler forking where it interrupted heapprof around them ($ticks ticks during requests, $forks forks), every profile complete"

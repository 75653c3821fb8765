#!/usr/bin/env bash
# lifecycle_highwater_unwritable: a high-water crossing whose profile cannot
# be written (the output directory does not exist) must be retried like any
# other failed profile, "the next profile tries again", at most once per
# HEAPPROF_HIGHWATER_MIN_S (default 1 s), not in a tight loop.
#
# The program crosses 1 MiB once, then sleeps 2.5 s and exits.  Allowed:
# about one attempt per second plus the exit profile's attempt, i.e. at
# most 5 "cannot write profile" lines and nothing suppressed by the log's
# rate limit (which only kicks in after 10 lines).  The CPU time the process
# used while asleep is reported (a retry loop spins the writer thread).
source "$(dirname "$0")/lib.sh"
need_env LC_HIGHWATER

run idle HEAPPROF_SAMPLE=1 HEAPPROF_HIGHWATER=1m HEAPPROF_OUT="$W/missing/p" \
    -- "$LC_HIGHWATER" idle 2500
expect_rc idle 0
grep -q 'idle 2500 ms' "$W/idle.out" || fail "the program did not finish its run: $(cat "$W/idle.out")"
cpu=$(awk '/cpu_ms/ {print $NF}' "$W/idle.out")
lines=$(grep -cE "${HP_LINE}cannot write profile" "$W/idle.err" || true)
supp=$({ grep -o '([0-9]* earlier messages suppressed)' "$W/idle.err" || true; } | tr -dc '0-9\n' | awk '{s += $1} END {print s + 0}')
pid=$(grep -o 'missing/p\.[0-9]*\.' "$W/idle.err" | head -n 1 | tr -dc '0-9')
note "failed attempts: $lines lines on stderr + $supp suppressed; CPU used while the program slept 2.5 s: ${cpu} ms"
[[ $lines -ge 1 ]] || fail "expected a 'cannot write profile' line for the high-water profile, stderr has: $(head -c 600 "$W/idle.err")"
grep -qF -- "heapprof[$pid]: cannot write profile $W/missing/p.$pid.0001.pb.gz: No such file or directory" "$W/idle.err" ||
    fail "expected 'heapprof[$pid]: cannot write profile $W/missing/p.$pid.0001.pb.gz: No such file or directory', found: $(head -n 2 "$W/idle.err")"
attempts=$((lines + supp))
((attempts <= 5)) ||
    fail "a failed high-water profile was retried $attempts times in 2.5 s ($lines lines, $supp suppressed), expected at most 5 (one per HEAPPROF_HIGHWATER_MIN_S=1 s, plus the exit profile); the writer thread retries in a tight loop (CPU ${cpu} ms while the program slept)"
note "ok"

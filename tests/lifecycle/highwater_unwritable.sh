#!/usr/bin/env bash
# lifecycle_highwater_unwritable: a high-water crossing whose profile cannot
# be written (the output directory does not exist) must be retried like any
# other failed profile, "the next profile tries again", at most once per
# HEAPPROF_HIGHWATER_MIN_S (default 1 s), not in a tight loop.
#
# The program crosses 1 MiB once, then sleeps 3.5 s and exits.  Allowed:
# about one attempt per second plus the exit profile's attempt, i.e. at
# most 6, and nothing suppressed by the log's rate limit (which only kicks
# in after 10 lines).  The CPU time the process used while asleep is
# reported (a retry loop spins the writer thread).  Only the first attempt
# and the exit profile's are said: the retries in between fail alike and
# are counted on the exit profile's line, as periodic profiles' are (each
# was a line, 3600 an hour).
source "$(dirname "$0")/lib.sh"
need_env LC_HIGHWATER

run idle HEAPPROF_SAMPLE=1 HEAPPROF_HIGHWATER=1m HEAPPROF_OUT="$W/missing/p" \
    -- "$LC_HIGHWATER" idle 3500
expect_rc idle 0
grep -q 'idle 3500 ms' "$W/idle.out" || fail "the program did not finish its run: $(cat "$W/idle.out")"
cpu=$(awk '/cpu_ms/ {print $NF}' "$W/idle.out")
lines=$(grep -cE "${HP_LINE}cannot write profile" "$W/idle.err" || true)
supp=$({ grep -o '([0-9]* earlier messages suppressed)' "$W/idle.err" || true; } | tr -dc '0-9\n' | awk '{s += $1} END {print s + 0}')
quiet=$({ grep -o '; [0-9]* periodic or high-water profiles failed' "$W/idle.err" || true; } | tr -dc '0-9\n' | awk '{s += $1} END {print s + 0}')
pid=$(grep -o 'missing/p\.[0-9]*\.' "$W/idle.err" | head -n 1 | tr -dc '0-9')
note "failed attempts: $lines lines on stderr + $supp suppressed + $quiet not said; CPU used while the program slept 3.5 s: ${cpu} ms"
((lines <= 2)) || fail "expected 2 'cannot write profile' lines (the high-water profile's first failure and the exit profile's), found $lines: the retries of the high-water profile, failing alike, are each said: $(head -c 1200 "$W/idle.err")"
((quiet >= 1)) || fail "expected the exit profile's line to count the high-water retries that were not said, found: $(cat "$W/idle.err")"
[[ $lines -ge 1 ]] || fail "expected a 'cannot write profile' line for the high-water profile, stderr has: $(head -c 600 "$W/idle.err")"
grep -qF -- "heapprof[$pid]: cannot write profile $W/missing/p.$pid.0001.pb.gz: No such file or directory" "$W/idle.err" ||
    fail "expected 'heapprof[$pid]: cannot write profile $W/missing/p.$pid.0001.pb.gz: No such file or directory', found: $(head -n 2 "$W/idle.err")"
attempts=$((lines + supp + quiet))
((attempts <= 6)) ||
    fail "a failed high-water profile was retried $attempts times in 3.5 s ($lines lines, $supp suppressed, $quiet not said), expected at most 6 (one per HEAPPROF_HIGHWATER_MIN_S=1 s, plus the exit profile); the writer thread retries in a tight loop (CPU ${cpu} ms while the program slept)"
note "ok"

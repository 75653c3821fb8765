#!/usr/bin/env bash
# lifecycle_log_ratelimit: a storm of failing profiles does not flood stderr.
# 200 heapprof_dump() calls into a missing directory, as fast as they go,
# then one more after 1.1 s.  Each returns ENOENT; stderr gets at most the
# log's burst (10 lines) plus one line per second of the storm, and the line
# after the pause reports how many were suppressed, so that every failure
# is accounted for: lines + suppressed = 201.
source "$(dirname "$0")/lib.sh"
need_env LC_FAIL

path="$W/missing/x.pb.gz"
run storm -- "$LC_FAIL" logstorm 200 "$path"
expect_rc storm 0
read -r failures total ms last < <(awk '$1=="failures" {print $2, $4, $6, $8}' "$W/storm.out")
[[ $failures == 200 && $total == 200 && $last == 1 ]] ||
    fail "expected all 201 heapprof_dump calls to return ENOENT, the program says: $(cat "$W/storm.out")"
lines=$(grep -cE "$HP_ANY" "$W/storm.err" || true)
bad=$(grep -E "$HP_ANY" "$W/storm.err" | sed -E "s/$HP_ANY//" | grep -vF "cannot write profile $path: No such file or directory" || true)
[[ -z $bad ]] || fail "unexpected profiler lines: $bad"
max=$((10 + ms / 1000 + 1 + 1))
((lines <= max)) || fail "201 failing profiles in $ms ms + 1.1 s printed $lines lines, expected at most $max (burst 10, then one per second)"
((lines >= 2)) || fail "expected at least the first failure and the one after the pause on stderr, found $lines lines"
supp=$(tail -n 1 "$W/storm.err" | sed -n 's/.*(\([0-9]*\) earlier messages suppressed).*/\1/p')
[[ -n $supp ]] || fail "the line after the pause should say how many messages were suppressed, it is: $(tail -n 1 "$W/storm.err")"
allsupp=$(grep -o '([0-9]* earlier messages suppressed)' "$W/storm.err" | tr -dc '0-9\n' | awk '{s += $1} END {print s + 0}')
((lines + allsupp == 201)) || fail "lines ($lines) + suppressed ($allsupp) should account for the 201 failures"
note "ok: 201 failures in $ms ms (+1.1 s) -> $lines lines, $allsupp suppressed and counted"

#!/usr/bin/env bash
# integ_threads: allocation on one thread, free (or realloc) on another, in
# exact mode.  Every per-function total must match the program's counters,
# and the in-use totals of what was freed must be exactly zero.
source "$(dirname "$0")/lib.sh"
need_env PROG_THREADS

run threads HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/th" -- "$PROG_THREADS" 4 4 30000
expect_rc threads 0
no_heapprof_lines threads
p=$(newest_profile "$W/th")
[[ $p == *.0001.pb.gz ]] || fail "expected one exit profile numbered 0001, found: $(profiles "$W/th")"
summarize "$p" --cum
check_header "$p.sum" 1
compare_expect "$W/threads.out" "$p.sum"

# Freed on other threads, back to zero: the private churn site holds nothing.
got=$(field "$p.sum" leaf th_private_churn)
[[ ${got#* * } == "0 0" ]] || fail "th_private_churn: everything it allocated was freed, but in-use is '${got#* * }' (all: $got)"
# Producer and consumer functions are reached from the thread start routines.
for f in producer consumer; do
    [[ -n $(field "$p.sum" cum "$f") ]] || fail "$p: '$f' missing from the cumulative view (stacks of threads)"
done
no_drops "$p.sum" # includes unseen_frees: a free on another thread missed

pprof_check "$p" th_produce_item th_produce_zeroed th_consumer_grow th_private_churn
note "ok"

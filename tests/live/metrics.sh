#!/usr/bin/env bash
# live_metrics: /metrics is valid Prometheus text format 0.0.4 (promtool
# check metrics, with a component name that needs escaping), has the
# families docs/live.md lists (freed bytes by lifetime band, exact for
# live_prog bands), and a real Prometheus server scrapes it:
# started here on loopback with a temporary config (1 s scrape interval)
# and storage, asked through its HTTP API for up{job=...} == 1 and for
# heapprof metrics, and killed at the end.  Over jemalloc and tcmalloc,
# their own figures instead of glibc's.
source "$(dirname "$0")/lib.sh"
need curl curl
need promtool prometheus
need prometheus prometheus

start srv HEAPPROF_SAMPLE=1 HEAPPROF_ON_EXIT=0 -- labels weird
[[ -n $PORT ]] || fail "no serving line on stderr: $(cat "$W/srv.err")"
get /metrics >"$W/m.txt"

# 1. promtool's parser and linter.
promtool check metrics <"$W/m.txt" >"$W/promtool.out" 2>&1 ||
    { cat "$W/promtool.out" >&2; fail "promtool check metrics rejected /metrics"; }
[[ ! -s "$W/promtool.out" ]] || { cat "$W/promtool.out" >&2; fail "promtool check metrics complained"; }
# The escaped component: quote, backslash, newline; invalid UTF-8 as '?'.
grep -qF 'component_allocated_bytes{component="q\"b\\s\nn?"} 300' "$W/m.txt" ||
    fail "escaped component label not found: $(grep 'component_allocated_bytes{' "$W/m.txt")"
for f in heapprof_allocated_bytes_total heapprof_deallocated_bytes_total heapprof_live_bytes \
         heapprof_allocated_objects_total heapprof_deallocated_objects_total heapprof_live_objects \
         component_allocated_bytes component_allocated_bytes_total \
         component_deallocated_bytes_total process_resident_memory_bytes heapprof_samples_total \
         heapprof_dropped_samples_total heapprof_merged_samples_total heapprof_profiles_written_total \
         heapprof_profiler_memory_bytes heapprof_profiler_heap_bytes heapprof_sample_interval_bytes; do
    grep -q "^# TYPE $f " "$W/m.txt" || fail "/metrics lacks the family $f"
    grep -q "^# HELP $f " "$W/m.txt" || fail "/metrics lacks HELP for $f"
done
# Estimated figures say so; exact ones too.
grep -q '^# HELP heapprof_live_bytes .*estimated from samples' "$W/m.txt" || fail "live bytes HELP does not say it is an estimate"
grep -q '^# HELP process_resident_memory_bytes .*(exact)' "$W/m.txt" || fail "RSS HELP does not say it is exact"
# glibc's statistics, when glibc is the allocator.  (ldd's output read
# whole first: an ldd that failed, or was cut short by grep -q's exit under
# pipefail, skipped the check.)
deps=$(ldd "$LIVE_PROG") || fail "ldd $LIVE_PROG failed"
if grep -q 'libc\.so\.6' <<<"$deps"; then
    grep -q '^heapprof_malloc_in_use_bytes [0-9]' "$W/m.txt" || fail "no glibc mallinfo2 figures"
fi
note "promtool ok"

# Live bytes by age: everything live was allocated before "ready", so two
# seconds on it is all at least 1 s old and none 10 minutes old; each
# threshold holds no more than the one below it.
grep -q '^# TYPE heapprof_live_aged_bytes gauge' "$W/m.txt" || fail "/metrics lacks heapprof_live_aged_bytes"
sleep 2
get /metrics >"$W/m2.txt"
aged() { sed -n "s/^heapprof_live_aged_bytes{min_age_seconds=\"$1\"} \([0-9]*\)$/\1/p" "$W/m2.txt"; }
live=$(sed -n 's/^heapprof_live_bytes \([0-9]*\)$/\1/p' "$W/m2.txt")
[[ -n $live && $live -gt 0 ]] || fail "no heapprof_live_bytes: $(grep live "$W/m2.txt")"
[[ $(aged 1) == "$live" ]] || fail "2 s after ready: min_age 1 s holds $(aged 1) bytes, expected all $live live bytes: $(grep aged "$W/m2.txt")"
[[ $(aged 600) == 0 ]] || fail "min_age 600 s holds $(aged 600) bytes in a process seconds old"
prev=$live
for a in 1 10 60 600 3600 21600 86400 604800; do
    v=$(aged "$a")
    [[ -n $v && $v -le $prev ]] || fail "heapprof_live_aged_bytes at $a s: '$v', expected a figure at most $prev"
    prev=$v
done
note "aged bytes ok: $live live, all at least 1 s old"

# 2. A real Prometheus scrapes it.  Its port: a random free one, retried.
cat >"$W/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: heapprof_live
    static_configs:
      - targets: ['127.0.0.1:$PORT']
EOF
prom_start "$W/prometheus.yml"
prom_wait_up heapprof_live
v=$(prom_query 'component_allocated_bytes{job="heapprof_live",component="parser"}')
[[ $v == 10000 ]] || fail "Prometheus: component_allocated_bytes{component=\"parser\"} = '$v', expected 10000"
v=$(prom_query 'heapprof_live_bytes{job="heapprof_live"}')
[[ $v =~ ^[0-9]+$ && $v -ge 22000 ]] || fail "Prometheus: heapprof_live_bytes = '$v'"
v=$(prom_query 'scrape_samples_scraped{job="heapprof_live"}')
[[ $v =~ ^[0-9]+$ && $v -gt 20 ]] || fail "Prometheus: scrape_samples_scraped = '$v'"
note "Prometheus scraped it: up=1, parser=10000 B"

prom_stop
stop srv
[[ $RC -eq 0 ]] || fail "live_prog exited $RC"

# Freed bytes by lifetime band, exact: live_prog bands frees, at each of
# its six sites (300 + 700 + 1100 + 1900 + 2600 + 3500 = 10100 bytes an
# object), 200 objects at once and 100 after 1.1 s (lifetime 1 s or 2 s),
# the program's own start-up frees besides.
start bands HEAPPROF_SAMPLE=1 HEAPPROF_ON_EXIT=0 -- bands
get /metrics >"$W/bands.txt"
promtool check metrics <"$W/bands.txt" >"$W/bands.promtool" 2>&1 ||
    { cat "$W/bands.promtool" >&2; fail "bands: promtool check metrics rejected /metrics"; }
grep -q '^# TYPE heapprof_deallocated_lifetime_bytes_total counter' "$W/bands.txt" &&
    grep -q '^# HELP heapprof_deallocated_lifetime_bytes_total .*estimated from samples' "$W/bands.txt" ||
    fail "/metrics lacks heapprof_deallocated_lifetime_bytes_total"
life() { metric "$W/bands.txt" "heapprof_deallocated_lifetime_bytes_total{lifetime_seconds=\"$1\"}"; }
[[ $(life 0) -ge 2020000 && $(life 1) == 1010000 ]] ||
    fail "bands: freed by lifetime: 0 s $(life 0) (expected 2020000 and more), 1 s $(life 1) (expected 1010000)"
for l in 10 60 600 3600; do
    [[ $(life "$l") == 0 ]] || fail "bands: $(life "$l") bytes freed at a lifetime of $l s in a program seconds old"
done
freed=$(metric "$W/bands.txt" heapprof_deallocated_bytes_total)
[[ $(($(life 0) + $(life 1))) -le $freed ]] || fail "bands: more freed by lifetime than freed: $(grep deallocated "$W/bands.txt")"
[[ $(metric "$W/bands.txt" heapprof_lifetimes_lost_total) == 0 ]] || fail "bands: lifetimes lost"
stop bands
[[ $RC -eq 0 ]] || fail "live_prog bands exited $RC"
note "freed by lifetime: $(life 0) B under 1 s, $(life 1) B at 1 s"

# The allocator's own figures follow the allocator in use: jemalloc's and
# gperftools tcmalloc's preloaded after heapprof, and then none of glibc's.
# allocstats_read's invariants: allocated <= active <= mapped (jemalloc),
# allocated <= heap (tcmalloc).
je=$(ldconfig -p | awk '/libjemalloc\.so\.2 .*x86-64/ && !f {print $NF; f = 1}')
tc=$(ldconfig -p | awk '/libtcmalloc_minimal\.so\.4 .*x86-64/ && !f {print $NF; f = 1}')
[[ -n $je && -n $tc ]] || fail "libjemalloc.so.2 or libtcmalloc_minimal.so.4 not found (Debian packages libjemalloc2, libtcmalloc-minimal4)"
fig() { sed -n "s/^heapprof_$1_bytes \([0-9]*\)\$/\1/p" "$W/$2.txt"; }
for who in jemalloc tcmalloc; do
    lib=$je
    [[ $who == tcmalloc ]] && lib=$tc
    HEAPPROF_LIB="$HEAPPROF_LIB $lib" start "$who" HEAPPROF_SAMPLE=1 HEAPPROF_ON_EXIT=0 -- labels weird
    get /metrics >"$W/$who.txt"
    promtool check metrics <"$W/$who.txt" >"$W/$who.promtool" 2>&1 ||
        { cat "$W/$who.promtool" >&2; fail "$who: promtool check metrics rejected /metrics"; }
    grep -q '^heapprof_malloc_' "$W/$who.txt" && fail "$who: glibc's figures shown with $who in use: $(grep '^heapprof_malloc_' "$W/$who.txt")"
    grep -q "^# HELP heapprof_${who}_allocated_bytes .*(exact)" "$W/$who.txt" || fail "$who: no HELP for heapprof_${who}_allocated_bytes"
    alloc=$(fig "${who}_allocated" "$who")
    live=$(sed -n 's/^heapprof_live_bytes \([0-9]*\)$/\1/p' "$W/$who.txt")
    [[ -n $alloc && -n $live && $alloc -ge $live ]] ||
        fail "$who: allocated '$alloc' should hold at least heapprof's exact live bytes '$live'"
    if [[ $who == jemalloc ]]; then
        active=$(fig jemalloc_active jemalloc) mapped=$(fig jemalloc_mapped jemalloc)
        [[ -n $active && -n $mapped && $alloc -le $active && $active -le $mapped ]] ||
            fail "jemalloc: expected allocated <= active <= mapped: $alloc, $active, $mapped"
    else
        heap=$(fig tcmalloc_heap tcmalloc)
        [[ -n $heap && $alloc -le $heap ]] || fail "tcmalloc: expected allocated <= heap: $alloc, $heap"
    fi
    stop "$who"
    [[ $RC -eq 0 ]] || fail "$who: live_prog exited $RC"
    note "$who: allocated $alloc bytes, heapprof's live $live"
done
note "ok"

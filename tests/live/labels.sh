#!/usr/bin/env bash
# live_labels: component labels, in exact mode (HEAPPROF_SAMPLE=1), end to
# end: heapprof_label_push/pop put allocations under a component in
# /metrics and as pprof sample labels that `go tool pprof -tagfocus`
# selects; heapprof_label_adopt moves live bytes (not allocated totals)
# from the source component to the adopting one.  live_prog labels says
# what to expect (see its header).
source "$(dirname "$0")/lib.sh"
need curl curl
require_go

start lab HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/lab" -- labels
[[ -n $PORT ]] || fail "no 'heapprof[$PID]: serving http://127.0.0.1:PORT/' line on stderr: $(cat "$W/lab.err")"

# 1. /metrics: live and cumulative bytes per component, exactly.
get /metrics >"$W/m.txt"
m=$W/m.txt
expect() {
    local got
    got=$(metric "$m" "$1")
    [[ $got == "$2" ]] || fail "$1 = $got, expected $2"
}
expect 'component_allocated_bytes{component="parser"}' 10000
expect 'component_allocated_objects{component="parser"}' 10
expect 'component_allocated_bytes_total{component="parser"}' 10000
expect 'component_deallocated_bytes_total{component="parser"}' 0
# Adoption: the sink holds its own 5 x 2000 plus the source's 4 x 3000 ...
expect 'component_allocated_bytes{component="sink"}' 22000
expect 'component_allocated_objects{component="sink"}' 9
expect 'component_allocated_bytes_total{component="sink"}' 10000
# ... and the source keeps the record of having allocated them.
expect 'component_allocated_bytes{component="source"}' 0
expect 'component_allocated_bytes_total{component="source"}' 12000
# Adoption is not a free: nothing was deallocated, the bytes moved.  (The
# counters never decrease, which Prometheus requires.)
expect 'component_deallocated_bytes_total{component="source"}' 0
expect 'component_deallocated_objects_total{component="source"}' 0
# One call site, its samples' stacks each the last one's, labels in turn.
expect 'component_allocated_bytes{component="even"}' 2100
expect 'component_allocated_bytes{component="odd"}' 2100
# Unlabelled allocations (stdio's buffer at least) are the root component.
root=$(metric "$m" 'component_allocated_bytes_total{component="root"}')
[[ $root -gt 0 ]] || fail "component root has no allocations: $root"
# Process totals are the sum of the components.
sum=$(awk '$1 ~ /^component_allocated_bytes_total\{/ {s += $2} END {print s}' "$m")
expect heapprof_allocated_bytes_total "$sum"
note "metrics per component ok"

# 2. The live profile over HTTP: pprof sample labels select each component.
get /debug/pprof/heap >"$W/heap.pb.gz"
top() { go tool pprof -unit=B -top "$@" "$W/heap.pb.gz" 2>"$W/pprof.err" || { cat "$W/pprof.err" >&2; fail "go tool pprof $* failed"; }; }
flat() { awk -v f="$2" '$NF==f {sub(/B$/, "", $1); print $1}' <<<"$1"; }
out=$(top -tagfocus component=parser)
[[ $(flat "$out" parse_alloc) == 10000 ]] || fail "-tagfocus component=parser: parse_alloc should have 10000B live: $out"
grep -qE 'sink_alloc|source_alloc' <<<"$out" && fail "-tagfocus component=parser shows other components' sites: $out"
out=$(top -tagfocus component=sink)
[[ $(flat "$out" sink_alloc) == 10000 && $(flat "$out" source_alloc) == 12000 ]] ||
    fail "-tagfocus component=sink: expected sink_alloc 10000B and the adopted source_alloc 12000B live: $out"
out=$(top -tagfocus component=sink -sample_index=alloc_space)
[[ $(flat "$out" sink_alloc) == 10000 ]] && ! grep -q source_alloc <<<"$out" ||
    fail "-tagfocus component=sink -sample_index=alloc_space: only sink_alloc should be there: $out"
out=$(top -tagfocus component=source -sample_index=alloc_space)
[[ $(flat "$out" source_alloc) == 12000 ]] || fail "source allocated 12000B: $out"
tags=$(go tool pprof -tags "$W/heap.pb.gz" 2>/dev/null)
for c in parser sink; do
    grep -qE "\\):[[:space:]]*$c\$" <<<"$tags" || fail "-tags does not list component $c: $tags"
done
note "pprof -tagfocus ok"

# 3. The exit profile carries the same labels (alloc totals survive frees).
stop lab
[[ $RC -eq 0 ]] || fail "live_prog exited $RC: $(tail -5 "$W/lab.err")"
p=$W/lab.$PID.0001.pb.gz
[[ -f $p ]] || fail "no exit profile $p"
out=$(go tool pprof -unit=B -top -sample_index=alloc_space -tagfocus component=parser "$p" 2>/dev/null)
[[ $(flat "$out" parse_alloc) == 10000 ]] || fail "exit profile: parser allocated 10000B: $out"
note "ok"

# 4. A heap delta across an adoption: the sink's stack existed at the
# snapshot with 20 objects, and adopts 2000 older ones after it.  Those came
# to the sink (and went from the source) within the delta, so both stacks'
# differences carry their error.  The sink's was 0: objects born before the
# snapshot and on its stack at the end were taken for ones the snapshot
# held there, and each took its variance off once too often.  Sampled (4 KiB
# blocks at 4 KiB), every object older than 2 s at the snapshot.
rm -f "$W/adopt.go"
start ad HEAPPROF_SAMPLE=4096 LIVE_ADOPT="$W/adopt.go" -- adopt
sleep 2.2
# The delta spans 5 s and the adoption comes 2 s into it: curl must have
# started and the server taken its snapshot first, on a loaded machine too.
curl -sS --max-time 30 -o "$W/ad.pb.gz" "http://127.0.0.1:$PORT/debug/pprof/heap?seconds=5" &
cpid=$!
sleep 2
touch "$W/adopt.go"
wait $cpid || fail "heap?seconds=5 across the adoption: curl failed"
grep -q '^adopted' "$W/ad.out" || fail "live_prog did not adopt: $(cat "$W/ad.out")"
sd_of() { # COMPONENT: that component's inuse_space and its ± in the delta
    go tool pprof -raw -tagfocus "component=$1" "$W/ad.pb.gz" 2>/dev/null |
        awk '/^Samples:/ {s = 1; next} s && /^ *-?[0-9]+ / {v += $4} s && /inuse_space_sd:/ {
             match($0, /inuse_space_sd:\[[0-9]+/); q = substr($0, RSTART + 16, RLENGTH - 16); e += q * q }
             END { printf "%d %d\n", v, sqrt(e) }'
}
read -r sink_v sink_sd < <(sd_of sink)
read -r src_v src_sd < <(sd_of source)
((sink_v > 0 && src_v < 0)) || fail "heap delta across the adoption: sink $sink_v B, source $src_v B (expected a gain and a loss)"
((src_sd > 0 && sink_sd * 10 > src_sd * 8)) ||
    fail "heap delta across the adoption: the sink's ± is $sink_sd B against the source's $src_sd B, for the same objects"
stop ad
note "heap delta across an adoption: sink +$sink_v ± $sink_sd B, source $src_v ± $src_sd B"

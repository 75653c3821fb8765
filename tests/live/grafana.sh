#!/usr/bin/env bash
# live_grafana: the Grafana dashboard docs/grafana/heapprof-dashboard.json
# shows what heapprof really exports.  Grafana itself is not in Debian, so
# what it would do is done here (grafana_check.py):
#  1. the JSON has the shape Grafana imports: the datasource, job and
#     instance variables, unique panel ids, a description on every panel,
#     every query an expr on the data source variable;
#  2. a real Prometheus scrapes live_prog under the preload (exact mode,
#     component labels, cgroup figures faked through HEAPPROF_CGROUP with
#     both limits set, so that every panel has something to show; over
#     glibc's malloc, then jemalloc, then tcmalloc, each allocator's lines of
#     the allocator panel answering in its own run only) with the
#     rule file docs/prometheus/heapprof-rules.yml loaded, and every
#     panel's every query, its variables replaced as Grafana replaces them,
#     must parse and return series; with another job, none.  Every family
#     /metrics serves must be on a panel, every metric name a panel uses
#     must exist, and both rules must evaluate without error.
# The recording rule needs no hours of data here: deriv() over its 6 h
# window needs two points, and it has one a second.  The HeapprofLeak
# alert needs a day of growth, so a stand-in of the same name (the real
# alert's left side, without its thresholds and its `for`) fires at once,
# for the leak-alert panel to show it firing (2).
source "$(dirname "$0")/lib.sh"
need curl curl
need promtool prometheus
need prometheus prometheus
need python3 python3

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
dash=$top/docs/grafana/heapprof-dashboard.json
rules=$top/docs/prometheus/heapprof-rules.yml
check=$here/grafana_check.py

# 1. The JSON.
python3 "$check" structure "$dash" || fail "the dashboard's structure (above)"
note "structure ok"

# 2. A process to scrape: its cgroup figures from files written here.  It
# runs over each allocator whose own figures /metrics serves (glibc's,
# jemalloc's and gperftools tcmalloc's, preloaded after heapprof): the
# allocator panel's lines of the others must then answer nothing, and each
# line must answer in the run of its own allocator.
cg=$W/cg
mkdir -p "$cg"
M=$((1 << 20))
echo $((50 * M)) >"$cg/memory.current"
echo $((80 * M)) >"$cg/memory.high"
echo $((100 * M)) >"$cg/memory.max"
printf 'low 0\nhigh 7\nmax 2\noom 1\noom_kill 1\n' >"$cg/memory.events"
je=$(ldconfig -p | awk '/libjemalloc\.so\.2 .*x86-64/ && !f {print $NF; f = 1}')
tc=$(ldconfig -p | awk '/libtcmalloc_minimal\.so\.4 .*x86-64/ && !f {print $NF; f = 1}')
[[ -n $je && -n $tc ]] || fail "libjemalloc.so.2 or libtcmalloc_minimal.so.4 not found (Debian packages libjemalloc2, libtcmalloc-minimal4)"
allocators=(glibc jemalloc tcmalloc)
declare -A over=([glibc]="" [jemalloc]=" $je" [tcmalloc]=" $tc") family=([glibc]=malloc [jemalloc]=jemalloc [tcmalloc]=tcmalloc)
base_lib=$HEAPPROF_LIB
serve() {
    HEAPPROF_LIB="$base_lib${over[$1]}" start "srv-$1" HEAPPROF_SAMPLE=1 HEAPPROF_ON_EXIT=0 \
        HEAPPROF_CGROUP="$cg" -- labels
    [[ -n $PORT ]] || fail "$1: no serving line on stderr: $(cat "$W/srv-$1.err")"
}
# The families each one serves, for the others' runs.
for who in "${allocators[@]}"; do
    serve "$who"
    get /metrics >"$W/families-$who.txt"
    grep -q "^heapprof_${family[$who]}_" "$W/families-$who.txt" ||
        fail "$who: /metrics has none of its allocator's figures"
    stop "srv-$who"
done

job=heapprof_grafana
cat >"$W/standin.yml" <<'EOF'
groups:
  - name: standin
    rules:
      - alert: HeapprofLeak
        expr: heapprof:live_old_bytes:deriv6h >= 0
        labels:
          severity: warning
EOF
for who in "${allocators[@]}"; do
    serve "$who"
    get /metrics >"$W/m-$who.txt"
    cat >"$W/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - $rules
  - $W/standin.yml
scrape_configs:
  - job_name: $job
    static_configs:
      - targets: ['127.0.0.1:$PORT']
EOF
    prom_start "$W/prometheus.yml"
    prom_wait_up "$job"
    # A few scrapes, the recording rule evaluated on them, the stand-in
    # firing (30 s at most).
    for ((i = 0; i < 60; i++)); do
        n=$(prom_query "count_over_time(up{job=\"$job\"}[1m])")
        d=$(prom_query "heapprof:live_old_bytes:deriv6h{job=\"$job\"}")
        a=$(prom_query "ALERTS{alertname=\"HeapprofLeak\",alertstate=\"firing\",job=\"$job\"}")
        [[ ${n:-0} -ge 5 && -n $d && $a == 1 ]] && break
        sleep 0.5
    done
    [[ ${n:-0} -ge 5 ]] || fail "$who: Prometheus scraped $job ${n:-0} times in 30 s, expected 5"
    [[ -n $d ]] || fail "$who: the recording rule heapprof:live_old_bytes:deriv6h has no value after $n scrapes"
    [[ $a == 1 ]] || fail "$who: the stand-in HeapprofLeak alert is not firing: '$a'"

    elsewhere=()
    for o in "${allocators[@]}"; do
        [[ $o == "$who" ]] || elsewhere+=(--elsewhere "$W/families-$o.txt")
    done
    python3 "$check" queries "$dash" --prometheus "http://127.0.0.1:$PP" --job "$job" \
        --instance "127.0.0.1:$PORT" --metrics "$W/m-$who.txt" --rules "$rules" "${elsewhere[@]}" \
        --expect 'Live heap by component' A component=parser 10000 \
        --expect 'Live heap by component' A component=sink 22000 \
        --expect 'Memory against the cgroup'"'"'s limit' D - $((100 * M)) \
        --expect 'Memory used of the cgroup'"'"'s limit' A - 0.5 \
        --expect 'Leak alert' A instance="127.0.0.1:$PORT" 2 >"$W/check-$who.out" 2>&1 ||
        { cat "$W/check-$who.out" >&2; fail "$who: the dashboard's queries against Prometheus (above)"; }
    own=$(grep -c "series  The allocator / [A-Z]\$" "$W/check-$who.out" || true)
    [[ $own -ge 5 ]] || fail "$who: $own of the allocator panel's lines answered, expected 5 or more: $(cat "$W/check-$who.out")"
    note "$who: $n scrapes, rules evaluated, every query answers ($own of the allocator panel's lines its own)"

    prom_stop
    stop "srv-$who"
    [[ $RC -eq 0 ]] || fail "$who: live_prog exited $RC"
done
note "ok"

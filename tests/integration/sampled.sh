#!/usr/bin/env bash
# integ_sampled: Poisson sampling is unbiased and as precise as its theory
# says.  200 MB from three sites (16 B .. 1 MiB), at the default interval
# (512 KiB), at 64 KiB and at 4 KiB: each site's estimated alloc_objects,
# alloc_space, inuse_objects and inuse_space must lie within the bounds the
# program computes for its own allocation sizes (sampled.c): for each
# tail, Chernoff's bound from the exact distribution of the estimator's
# error, passed by a correct profiler with probability 5e-7.  Where many
# samples decide a check that is about 5.4 standard deviations (the standard
# deviation of small objects' estimates is about sqrt(R/B) relative for B
# bytes); where few do, such as the live large objects that a 64 KiB
# interval misses now and then, it follows the real, skewed tail.  The
# program's sizes use a fixed seed; the profiler's own sampling is random.
source "$(dirname "$0")/lib.sh"
need_env PROG_SAMPLED

check_site_estimates() {
    local out=$1 sum=$2 label=$3 kw site v1 v2 v3 v4 bad=0
    while read -r kw site v1 v2 v3 v4 _; do
        [[ $kw == expect ]] || continue
        local want="$v1 $v2 $v3 $v4"
        local sd bound
        sd=$(awk -v s="$site" '$1=="sd" && $2==s {print $3, $4, $5, $6}' "$out")
        bound=$(awk -v s="$site" '$1=="bound" && $2==s {$1 = $2 = ""; print}' "$out")
        [[ -n $sd && -n $bound ]] || fail "$label: no sd or bound line for $site"
        local got
        got=$(field "$sum" leaf "$site")
        [[ -n $got ]] || fail "$label: site $site missing from the profile"
        local verdict
        verdict=$(awk -v w="$want" -v s="$sd" -v g="$got" -v b="$bound" -v site="$site" 'BEGIN {
            split(w, W, " "); split(s, S, " "); split(g, G, " "); split(b, B, " ")
            split("alloc_objects alloc_space inuse_objects inuse_space", N, " ")
            bad = 0
            for (i = 1; i <= 4; i++) {
                # The tail bounds, plus rounding slack (integer rounding
                # of the per-sample estimates, float weights).
                slack = 1e-6 * W[i] + 16
                over = B[2 * i - 1] + slack; under = B[2 * i] + slack
                d = G[i] - W[i]
                rel = W[i] ? d / W[i] : 0
                z = S[i] > 0 ? d / S[i] : 0
                printf "  %s %s: true %d estimated %d (%+.2f%%, %+.2f sigma, allowed -%.0f..+%.0f)\n", site, N[i], W[i], G[i], 100 * rel, z, under, over
                if (d > over || -d > under) { bad++; printf "  ^^^ OUT OF BOUNDS\n" }
            }
            print "BAD " bad
        }')
        echo "$verdict" | grep -v '^BAD'
        bad=$((bad + $(echo "$verdict" | awk '$1=="BAD"{print $2}')))
    done <"$out"
    [[ $bad -eq 0 ]] || fail "$label: $bad estimate(s) outside their bounds (above)"
}

# estimates_hold NAME LABEL ENV... -- ARGS: run, summarize, check.
estimates_hold() {
    local name=$1 label=$2 p
    shift 2
    run "$name" "$@"
    expect_rc "$name" 0
    no_heapprof_lines "$name"
    p=$(newest_profile "$W/$name")
    summarize "$p"
    note "$label: per-site estimates vs truth"
    check_site_estimates "$W/$name.out" "$p.sum" "$label"
}

# granule_is SUMFILE BYTES: the free filter's granule the profile reports.
granule_is() {
    local got
    got=$(grep -o 'filter_granule_bytes=[0-9]*' "$1" | head -n 1)
    [[ $got == "filter_granule_bytes=$2" ]] || fail "$1: expected filter_granule_bytes=$2 (live.h: the interval / 128, at least 512), found '$got'"
}

for R in 524288 65536 4096; do
    if [[ $R == 524288 ]]; then
        estimates_hold "s$R" "R=$R" HEAPPROF_OUT="$W/s$R" -- "$PROG_SAMPLED" "$R" 200
    else
        estimates_hold "s$R" "R=$R" HEAPPROF_SAMPLE=$((R / 1024))k HEAPPROF_OUT="$W/s$R" -- "$PROG_SAMPLED" "$R" 200
    fi
    p=$(newest_profile "$W/s$R")
    check_header "$p.sum" "$R"
    granule_is "$p.sum" $((R / 128 < 512 ? 512 : R / 128))
    # The profile was symbolized and encoded in the profiler's own heap.
    grep -qE 'profiler_heap_bytes=[1-9][0-9]*' "$p.sum" ||
        fail "$p: no profiler_heap_bytes above 0 in its comments: $(grep -o 'profiler_heap_bytes=[0-9]*' "$p.sum")"
    pprof_check "$p" sa_small sa_medium sa_large
done

# HEAPPROF_FILTER_GRANULE: the free filter at its coarsest (64 KiB granules
# at a 64 KiB interval: most of the program's frees are false positives that
# probe the live table) changes no estimate.
estimates_hold sg "R=65536 granule 64k" HEAPPROF_SAMPLE=64k HEAPPROF_FILTER_GRANULE=64k \
    HEAPPROF_OUT="$W/sg" -- "$PROG_SAMPLED" 65536 200
granule_is "$(newest_profile "$W/sg").sum" 65536

# HEAPPROF_SEED: two runs of this (deterministic, one-thread) program with the
# same seed sample the same allocations, so every estimate is the same.
for k in 1 2; do
    run "seed$k" HEAPPROF_SEED=12345 HEAPPROF_SAMPLE=64k HEAPPROF_OUT="$W/seed$k" -- \
        "$PROG_SAMPLED" 65536 50
    expect_rc "seed$k" 0
    no_heapprof_lines "seed$k"
    p=$(newest_profile "$W/seed$k")
    summarize "$p"
    for site in sa_small sa_medium sa_large; do
        got=$(field "$p.sum" leaf "$site")
        [[ -n $got ]] || fail "HEAPPROF_SEED run $k: site $site missing from the profile"
        echo "$site $got" >>"$W/seed$k.values"
    done
done
cmp -s "$W/seed1.values" "$W/seed2.values" ||
    fail "HEAPPROF_SEED=12345: two runs estimated differently:
$(diff "$W/seed1.values" "$W/seed2.values")"
note "HEAPPROF_SEED: two runs, same estimates: $(tr '\n' ';' <"$W/seed1.values")"
note "ok"

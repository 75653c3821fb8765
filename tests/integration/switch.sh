#!/usr/bin/env bash
# integ_switch: estimates stay unbiased across heapprof_set_sample().  Each
# thread switches to the new interval at its next sample point, and that
# sample ends a countdown drawn at the old interval: it was picked at the
# old interval and must be weighted so.  Weighted at the new one, 64
# threads switching from 4 MiB to 4 KiB each lost ~4 MiB (~12 % of the 2 GiB
# they allocated).  Sampled, so a bound: 6 %, about four standard errors
# of the 64 first samples' (the later ones, at 4 KiB, add little), with a
# fixed seed so that the verdict repeats.
source "$(dirname "$0")/lib.sh"
need_env PROG_SWITCH

check() { # NAME FROM TO
    # The free filter sized for the smaller interval (it is set at start).
    run "$1" HEAPPROF_SEED=7 HEAPPROF_SAMPLE="$2" HEAPPROF_FILTER_GRANULE=512 HEAPPROF_OUT="$W/$1" -- \
        "$PROG_SWITCH" "$3"
    [[ $RC -eq 0 ]] || fail "$1: integ_switch exited $RC: $(cat "$W/$1.err")"
    no_heapprof_lines "$1"
    local p want got
    p=$(newest_profile "$W/$1")
    summarize "$p"
    want=$(awk '$1=="expect_alloc_space" {print $2}' "$W/$1.out")
    got=$(field "$p.sum" leaf switch_alloc | awk '{print $2}')
    [[ -n $want && -n $got ]] || fail "$1: no estimate ($got) or truth ($want)"
    awk -v g="$got" -v w="$want" 'BEGIN { d = (g - w) / w; exit !(d < 0.06 && d > -0.06) }' ||
        fail "$1: switch_alloc's alloc_space is $got B for $want B allocated ($(awk -v g="$got" -v w="$want" 'BEGIN { printf "%+.1f %%", 100 * (g - w) / w }')), from $2 to $3 B"
    note "$1: $got B estimated for $want B ($(awk -v g="$got" -v w="$want" 'BEGIN { printf "%+.2f %%", 100 * (g - w) / w }'))"
}
check down 4194304 4096
check up 4096 65536

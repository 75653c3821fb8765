#!/usr/bin/env bash
# integ_lifetimes: a profile splits each stack's alloc_* values by how long
# its freed objects lived (src/ages.h, "Lifetimes"; dump.c).  integ_lifetimes
# allocates and frees at once 200 times from temp(), frees later()'s 50
# objects 3 s after allocating them, and never frees keep_all()'s 30.  In
# exact mode the exit profile must hold temp's allocations in the lifetime
# band under 1 s (label lifetime 0 s; one of them may read 1 s, when the
# clock's second ticks between its malloc and its free), later's in the band
# 1 s (lifetimes of 2 to 4 s on a clock of whole seconds), keep_all's in
# none; every stack's totals must be what the program allocated, as before
# the split.  `go tool pprof -tagfocus lifetime=...` must pick each band,
# and so must `heapprof top` and `flame --max-lifetime` (with bad values and
# profiles without lifetimes refused in words).
# Sampled, every sample still carries every error label, and temp's
# allocations are all in the bands under 10 s.  (Sampled totals against the
# unsplit ones of the same moment: live_debugtext, whose text profile has
# no lifetimes.)
source "$(dirname "$0")/lib.sh"
need_env PROG_LIFETIMES INTEG_CLI

run ex HEAPPROF_SAMPLE=1 HEAPPROF_THREAD_LABEL=name HEAPPROF_OUT="$W/ex" -- "$PROG_LIFETIMES" 3
[[ $RC -eq 0 ]] || fail "integ_lifetimes exited $RC: $(cat "$W/ex.err")"
no_heapprof_lines ex
p=$(newest_profile "$W/ex")
summarize "$p" --samples
no_drops "$p.sum"
# Totals per function: what was allocated, split or not.
for want in "temp 200 200000 0 0" "later 50 50000 0 0" "keep_all 30 30000 30 30000"; do
    f=${want%% *}
    [[ $(field "$p.sum" leaf "$f") == "${want#* }" ]] ||
        fail "$f: expected ${want#* }, found '$(field "$p.sum" leaf "$f")'"
done
# No sample of temp or later holds anything in use.
got=$(awk '$1=="sample" && ($7=="temp" || $7=="later") && ($4 != 0 || $5 != 0)' "$p.sum")
[[ -z $got ]] || fail "freed objects' samples with in-use values: $got"

if have_go; then
    # flat SUMFILE FN: FN's flat value in a `go tool pprof -top` table.
    flat() { awk -v f="$2" '$6 == f {print $1}' "$1"; }
    # band WHAT RANGE: the alloc_objects of -tagfocus lifetime=RANGE, into $p.WHAT.
    band() { pprof_to "$p" "$p.$1" -top -nodecount=1000 -sample_index=alloc_objects -tagfocus "lifetime=$2"; }
    band under1 0s
    n=$(flat "$p.under1" temp)
    [[ -n $n && $n -ge 199 ]] ||
        fail "-tagfocus lifetime=0s: expected temp's 200 objects (199 at least), found '$n': $(cat "$p.under1")"
    [[ -z $(flat "$p.under1" later) && -z $(flat "$p.under1" keep_all) ]] ||
        fail "-tagfocus lifetime=0s: later or keep_all shown: $(cat "$p.under1")"
    band under10 1s:9s
    [[ $(flat "$p.under10" later) == 50 ]] ||
        fail "-tagfocus lifetime=1s:9s: expected later's 50 objects, found: $(cat "$p.under10")"
    n=$(flat "$p.under10" temp)
    [[ -z $n || $n -le 1 ]] || fail "-tagfocus lifetime=1s:9s: temp's $n objects (1 at most)"
    [[ -z $(flat "$p.under10" keep_all) ]] || fail "-tagfocus lifetime=1s:9s: keep_all shown"
    band longer 10s:
    ! grep -qE ' (temp|later|keep_all)$' "$p.longer" ||
        fail "-tagfocus lifetime=10s: expected none of ours: $(cat "$p.longer")"
    # The totals, pprof's own, as the program allocated (its runtime's too).
    pprof_to "$p" "$p.all" -top -nodecount=1000 -sample_index=alloc_space -unit=B
    read -r _ ab _ _ < <(awk '$1=="total" {print $2, $3, $4, $5}' "$p.sum")
    grep -qE "of ${ab}B total" "$p.all" ||
        fail "pprof's alloc_space total is not the samples' sum $ab: $(grep total "$p.all")"
    # Each sample has its labels: temp's a lifetime and no age; keep_all's
    # an age and no lifetime.
    pprof_to "$p" "$p.raw" -raw
    # (pprof -raw prints the string labels, thread's, on a line of their
    # own, then the numeric ones.)
    labels_of() { awk -v v="$1" 'f && /:\[/ {printf "%s ", $0; next} f {exit} $0 ~ "^ +" v ":" {f=1}' "$p.raw"; }
    l=$(labels_of " 50      50000          0          0")
    [[ $l == *"lifetime:[1 seconds]"* && $l != *age:* && $l == *"alloc_samples:[50 count]"* ]] ||
        fail "later's sample: expected lifetime:[1 seconds] and alloc_samples 50, found '$l'"
    l=$(labels_of " 30      30000         30      30000")
    [[ $l == *age:* && $l != *lifetime:* ]] || fail "keep_all's sample: expected an age and no lifetime, found '$l'"
fi

# The CLI: heapprof top --max-lifetime shows the temporary allocations.
cli() {
    CRC=0
    "$INTEG_CLI" "$@" >"$W/cli.out" 2>"$W/cli.err" || CRC=$?
}
cli top "$p" --max-lifetime 1s --type alloc_objects
[[ $CRC -eq 0 ]] || fail "top --max-lifetime 1s exited $CRC: $(cat "$W/cli.err")"
n=$(awk '$NF == "temp" {print $1}' "$W/cli.out")
[[ -n $n && $n -ge 199 ]] || fail "top --max-lifetime 1s: expected temp's 200 objects (199 at least): $(cat "$W/cli.out")"
! grep -qE ' (later|keep_all)$' "$W/cli.out" || fail "top --max-lifetime 1s: later or keep_all shown: $(cat "$W/cli.out")"
grep -q 'tagfocus lifetime=:0s' "$W/cli.out" || fail "top --max-lifetime 1s: no pprof equivalent: $(cat "$W/cli.out")"
cli top "$p" --max-lifetime 10s # alloc_space by default
[[ $CRC -eq 0 ]] || fail "top --max-lifetime 10s exited $CRC: $(cat "$W/cli.err")"
grep -q '^Type: alloc_space' "$W/cli.out" || fail "top --max-lifetime: expected alloc_space: $(head -3 "$W/cli.out")"
grep -qE '^ +48\.8 KiB .* later$' "$W/cli.out" || fail "top --max-lifetime 10s: expected later's 50000 B: $(cat "$W/cli.out")"
! grep -qE ' keep_all$' "$W/cli.out" || fail "top --max-lifetime 10s: keep_all shown"
cli top "$p" --max-lifetime 5s
grep -q 'falls inside the lifetime band 1s to 10s' "$W/cli.out" ||
    fail "top --max-lifetime 5s: expected a note on the band it cuts: $(cat "$W/cli.out")"
grep -q 'lifetime band under 1s$' "$W/cli.out" || fail "top --max-lifetime 5s: the band kept not said: $(cat "$W/cli.out")"
cli top "$p" --max-lifetime 10s
grep -q 'lifetime bands under 1s, 1s to 10s$' "$W/cli.out" ||
    fail "top --max-lifetime 10s: the bands kept not said: $(cat "$W/cli.out")"
# Past 1 h: the last band has no end, so no DUR takes it in.
cli top "$p" --max-lifetime 1d
grep -q 'lifetime bands under 1s, 1s to 10s, 10s to 1m, 1m to 10m, 10m to 1h$' "$W/cli.out" &&
    grep -q 'falls inside the last lifetime band, 1h or more, which has no$' "$W/cli.out" &&
    ! grep -q 'inf' "$W/cli.out" || fail "top --max-lifetime 1d: the last band not said as it is: $(cat "$W/cli.out")"
# With --tag: a filter that leaves nothing says so; one that keeps
# samples is in the pprof equivalent, a first run of its own (pprof takes
# one -tagfocus), which gives the same table.
cli top "$p" --max-lifetime 1s --tag thread=nosuch
[[ $CRC -eq 1 ]] && grep -q 'the --tag filter left no sample' "$W/cli.err" && ! grep -q 'lifetime" label' "$W/cli.err" ||
    fail "top --max-lifetime --tag thread=nosuch: expected exit 1 and the filter named, found $CRC: $(cat "$W/cli.err")"
cli top "$p" --max-lifetime 1s --tag 'thread=integ_*' --type alloc_objects
n=$(awk '$NF == "temp" {print $1}' "$W/cli.out")
[[ $CRC -eq 0 && -n $n && $n -ge 199 ]] || fail "top --max-lifetime 1s --tag thread=integ_*: expected temp: $(cat "$W/cli.out" "$W/cli.err")"
first=$(sed -n 's/^ *the same in pprof: go tool pprof -proto \(.*\) >tagged.pb.gz$/\1/p' "$W/cli.out")
then=$(sed -n 's/^ *then go tool pprof \(.*\) tagged.pb.gz$/\1/p' "$W/cli.out")
[[ $first == "-tagfocus 'thread=(?s)^(integ_.*)\$' $p" && $then == "-sample_index=alloc_objects -tagfocus lifetime=:0s" ]] ||
    fail "top --max-lifetime --tag: expected a pprof run with -tagfocus 'thread=(?s)^(integ_.*)\$', then the lifetimes': $(cat "$W/cli.out")"
if have_go; then
    go tool pprof -proto -tagfocus 'thread=(?s)^(integ_.*)$' "$p" >"$W/tagged.pb.gz" 2>/dev/null ||
        fail "go tool pprof -proto -tagfocus failed"
    pprof_to "$W/tagged.pb.gz" "$W/tagged.top" -top -nodecount=1000 -sample_index=alloc_objects -tagfocus lifetime=:0s
    [[ $(awk '$6 == "temp" {print $1}' "$W/tagged.top") == "$n" ]] ||
        fail "the pprof equivalent of --tag: expected temp's $n, found: $(cat "$W/tagged.top")"
fi
# lifetimes_lost=N (the dropped_samples comment): a line when N > 0.
! grep -q 'left out of the bands' "$W/cli.out" || fail "top --max-lifetime: a note on lost lifetimes with none lost"
gzip -dc "$p" | perl -0777 -pe 's/ lifetimes_lost=0/ lifetimes_lost=7/' >"$W/lost.pb"
cli top "$W/lost.pb" --max-lifetime 1s
grep -q '(7 sampled frees are left out of the bands: the profiler had no room to count their lifetimes)' "$W/cli.out" ||
    fail "top --max-lifetime with lifetimes_lost=7: no note: $(cat "$W/cli.out" "$W/cli.err")"
cli flame "$p" --max-lifetime 1s --folded
[[ $CRC -eq 0 && $(cat "$W/cli.out") =~ ^[^\ ]*\;temp\ (199|200)000$ ]] ||
    fail "flame --max-lifetime 1s --folded: expected temp's 200000 B (199000 at least) alone, found '$(cat "$W/cli.out" "$W/cli.err")'"
# Bad values and combinations: usage errors (2) that say what is wrong.
for bad in "x:not a duration" "0.5s:no whole lifetime band is shorter" "-1s:not a duration"; do
    cli top "$p" --max-lifetime "${bad%%:*}"
    [[ $CRC -eq 2 && $(cat "$W/cli.err") == *"--max-lifetime "*"${bad%%:*}"*"${bad#*:}"* ]] ||
        fail "top --max-lifetime ${bad%%:*}: expected exit 2 and '${bad#*:}', found $CRC: $(cat "$W/cli.err")"
done
cli top "$p" --max-lifetime 1s --type inuse_space
[[ $CRC -eq 2 ]] && grep -q 'no lifetime: use --type alloc_space' "$W/cli.err" ||
    fail "top --max-lifetime --type inuse_space: expected a usage error, found $CRC: $(cat "$W/cli.err")"
cli top "$p" --max-lifetime 1s --min-age 1s
[[ $CRC -eq 2 ]] && grep -q 'one or the other' "$W/cli.err" ||
    fail "top --max-lifetime --min-age: expected a usage error, found $CRC: $(cat "$W/cli.err")"
# Profiles without lifetimes (Go's, an older heapprof's): a note, no table.
for old in go_heap.gz heapprof_exact.gz; do
    cli top "$(dirname "$0")/../cli/corpus/$old" --max-lifetime 1s
    [[ $CRC -eq 1 && ! -s "$W/cli.out" ]] && grep -q 'no sample has a "lifetime" label' "$W/cli.err" ||
        fail "top --max-lifetime on $old: expected exit 1 and a note, found $CRC: $(cat "$W/cli.out" "$W/cli.err")"
done

# Sampled: the error labels are on every sample with a lifetime, and temp's
# allocations are all in the bands under 10 s (its in-use, none).
run sm HEAPPROF_SAMPLE=512 HEAPPROF_SEED=3 HEAPPROF_OUT="$W/sm" -- "$PROG_LIFETIMES" 2
[[ $RC -eq 0 ]] || fail "integ_lifetimes (sampled) exited $RC: $(cat "$W/sm.err")"
p=$(newest_profile "$W/sm")
summarize "$p" --samples
read -r ao ab io ib <<<"$(field "$p.sum" leaf temp)"
[[ -n $ao && $ao -gt 0 && $io -eq 0 && $ib -eq 0 ]] || fail "sampled: temp: '$ao $ab $io $ib'"
if have_go; then
    pprof_to "$p" "$p.short" -top -nodecount=1000 -sample_index=alloc_space -unit=B -tagfocus 'lifetime=:9s'
    [[ $(awk '$6 == "temp" {print $1}' "$p.short") == "${ab}B" ]] ||
        fail "sampled: -tagfocus lifetime=:9s: expected temp's ${ab}B, found: $(cat "$p.short")"
    pprof_to "$p" "$p.raw" -raw
    n=$(grep -c 'lifetime:\[' "$p.raw")
    [[ $n -ge 2 ]] || fail "sampled: expected at least 2 samples with a lifetime, found $n"
    bad=$(grep 'lifetime:\[' "$p.raw" | grep -v 'alloc_space_sd:.*inuse_space_sd:' || true)
    [[ -z $bad ]] || fail "sampled: samples with a lifetime but not every error label: $bad"
fi
note "ok"

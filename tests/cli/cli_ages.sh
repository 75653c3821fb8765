#!/usr/bin/env bash
# Object ages (profiles with one sample per age band of a stack, label
# "age"), on profiles crafted by craft_profiles.py aged:
#   - top and leaks give the same figures for a profile split into age bands
#     as for the same profile with the bands merged into one sample per
#     stack (values summed, variances added), also when the later band
#     samples lack the alloc_*_sd labels (their alloc values are exactly 0:
#     no "~" on the rows);
#   - top --min-age/--max-age count whole bands, say when a bound falls
#     inside one, print the pprof equivalent; bad durations, alloc types,
#     profiles without ages are refused with a clear message;
#   - heapprof ages reads each kind of site (steady, recent, stopped,
#     mixed, startup, young, few) and ranks leak-like ones first; no reading
#     is the word "old", a column's name; a young process
#     gets no readings; a profile without ages a message, not a crash,
#     one with nothing live an empty table (exit 0).
source "$(dirname "$0")/cli_lib.sh"

command -v python3 >/dev/null || skip "python3 is needed to craft the inputs"
craft() { python3 "$CLI_SRC/craft_profiles.py" aged "$@"; }

# --- 1. bands vs merged: the same figures -----------------------------------------------
# Each site's SDs square-sum to a square (3,4,12,84 -> 85; 4,3 -> 5), so the
# merged profile's single sd label carries exactly the summed variance.
sites=(leaky=0:10:3,60:20:4,600:30:12,3600:40:84 young=0:100:4,1:50:3 startup=3600:500:10
    dead=)
sites2=(leaky=0:10:3,60:20:4,600:60:12,3600:40:84 young=0:10:4,1:50:3 startup=3600:500:10
    dead=0:7:0)
for v in banded bare merged; do
    mkdir -p "$W/$v"
    flag=()
    [[ $v == merged ]] && flag=(--merged)
    [[ $v == bare ]] && flag=(--bare)
    craft "$W/$v/p1.pb" "${flag[@]}" "${sites[@]}"
    craft "$W/$v/p2.pb" "${flag[@]}" "${sites2[@]}"
done
# The banded profile really has more samples (else this proves nothing),
# and top's total counts stacks, not samples: 3 with live bytes.
(cd "$W/banded" && expect_rc 0 hp top p1.pb)
expect_in "$W/out" '^Total: .* in 3 stacks$' "3 stacks with live bytes in the banded profile"
(cd "$W/banded" && expect_rc 0 hp top --type alloc_space p1.pb)
expect_in "$W/out" '^Total: .* in 4 stacks$' "4 stacks with allocations (dead's too)"
if have_go; then
    pprof_to "$W/banded/p1.pb" "$W/raw" -raw
    n=$(grep -cE '^ +-?[0-9]+( +-?[0-9]+)+: ' "$W/raw" || true)
    [[ $n == 8 ]] || fail "the banded profile has $n samples, not 8: $(head -c 600 "$W/raw")"
fi
for v in banded bare merged; do
    for t in alloc_objects alloc_space inuse_objects inuse_space; do
        for by in function stack; do
            (cd "$W/$v" && expect_rc 0 hp top -n 0 --by "$by" --type "$t" p1.pb)
            sed 's/ in [0-9]* stacks\{0,1\}$//' "$W/out" >"$W/$v.top.$t.$by"
            (cd "$W/$v" && expect_rc 0 hp top -n 0 --raw --by "$by" --type "$t" p2.pb)
            sed 's/ in [0-9]* stacks\{0,1\}$//' "$W/out" >"$W/$v.topraw.$t.$by"
        done
    done
    (cd "$W/$v" && expect_rc 0 hp leaks -n 0 --raw p1.pb p2.pb)
    cp "$W/out" "$W/$v.leaks"
    (cd "$W/$v" && expect_rc 0 hp leaks -n 0 p1.pb p2.pb p1.pb)
    cp "$W/out" "$W/$v.series"
    (cd "$W/$v" && expect_rc 0 hp timeline p1.pb p2.pb -o t.svg)
    cp "$W/$v/t.svg" "$W/$v.svg"
done
for v in banded bare; do
    for f in "$W"/merged.*; do
        g=$W/$v.${f#"$W"/merged.}
        cmp -s "$f" "$g" || fail "$v differs from merged: $(diff "$f" "$g")"
    done
done
expect_not_in "$W/bare.top.alloc_space.function" '~' "an approximate ± in the bare profile"
expect_in "$W/merged.topraw.inuse_space.stack" '^ +133120 +87040 .* leaky ← main$' \
    "leaky's summed bytes and sd (130 KiB, 85 KiB) in p2"
expect_in "$W/merged.leaks" '^ +1 +\+30720 ' "leaky's growth (+30 KiB) in leaks"
note "top, leaks and timeline: banded, banded without zero alloc sds, merged: the same figures"

# --- 2. top --min-age / --max-age --------------------------------------------------------
a=$W/banded/p1.pb
expect_rc 0 hp top --raw -n 0 --by stack --min-age 10m "$a"
expect_in "$W/out" '^Ages: live objects at least 10m old$'
expect_in "$W/out" '^Total: 583680 ± ' "600s and 3600s bands: 30+40+500 KiB"
expect_in "$W/out" '^ +71680 +86889 .* leaky ← main$' "leaky's old bands, sd sqrt(12^2+84^2) KiB"
expect_not_in "$W/out" 'young ← main' "the young site at --min-age 10m"
expect_in "$W/out" 'go tool pprof -sample_index=inuse_space -tagfocus age=600s: '
expect_not_in "$W/out" 'falls inside' "a note for a bound on a band edge"
# 90s lies inside the band 1m-2m: counted from 2m on, and said.
expect_rc 0 hp top --raw --min-age 90s "$a"
expect_in "$W/out" '^Ages: live objects at least 2m old$'
expect_in "$W/out" '--min-age 90s falls inside the age band 1m to 2m'
expect_in "$W/out" '^Total: 583680 ± '
expect_in "$W/out" '-tagfocus age=120s: '
# --max-age: bands that end by then; 1.5s -> only the 0-1s band.
expect_rc 0 hp top --raw --max-age 1.5s "$a"
expect_in "$W/out" '^Ages: live objects less than 1s old$'
expect_in "$W/out" '^Total: 112640 ± ' "the 0s bands: 10+100 KiB"
expect_in "$W/out" '-tagfocus age=:0s '
expect_rc 0 hp top --raw --min-age 1m --max-age 1h "$a" --type inuse_objects
expect_in "$W/out" '^Ages: live objects at least 1m and less than 1h old$'
expect_in "$W/out" '^Total: 50 ± ' "bands 60s and 600s of leaky: 20+30 objects"
expect_in "$W/out" '-sample_index=inuse_objects -tagfocus age=60s:1800s '
expect_rc 0 hp top --raw --min-age 0s "$a"
expect_in "$W/out" '^Ages: live objects of any age'
expect_in "$W/out" '^Total: 768000 ± ' "every band at --min-age 0s"
expect_in "$W/out" '-tagfocus age=0s: '
expect_rc 0 hp top --min-age 2d "$a"
expect_in "$W/out" '^Total: 0 B ± 0 in 0 stacks$' "nothing 2 days old"
# flame answers the same filter with the same status: an empty graph that
# says why (it exited 1, top 0).
expect_rc 0 hp flame --min-age 2d "$a" -o "$W/old.svg"
expect_in "$W/err" "^heapprof flame: note: $a: nothing to draw: no sample has inuse_space above 0 in that age range; the graph is empty$"
expect_in "$W/old.svg" '>Nothing to draw: no sample has inuse_space above 0 in that age range\.</text>$'
expect_in "$W/old.svg" '</svg>$' "a whole SVG"
expect_rc 0 hp flame --folded --min-age 2d "$a"
[[ ! -s $W/out ]] || fail "flame --folded of nothing printed: $(cat "$W/out")"
# An age between bounds (another producer's) stands for its band: 90 for
# 1m-2m, so --min-age 90s leaves it out, as the pprof command printed does
# (it was counted: 30 KiB where the header said "at least 2m").
craft "$W/between.pb" mid=90:10:1,120:20:2,30:5:1
expect_rc 0 hp top --raw --min-age 90s "$W/between.pb"
expect_in "$W/out" '^Total: 20480 ± 2048 in 1 stack$' "only the 120s sample at --min-age 90s"
expect_rc 0 hp top --raw --min-age 1m "$W/between.pb"
expect_in "$W/out" '^Total: 30720 ± ' "the 90s sample at --min-age 1m"

# Bad values and combinations: a clear message, exit 2.
for bad in 10x -5m '' 1.5.5h abc 0x10 '10 m' m 1e3s inf; do
    expect_rc 2 hp top --min-age "$bad" "$a"
    expect_in "$W/err" "--min-age '$bad': not a duration \(a number and a unit: s, m, h or d, e\.g\. 90s, 10m, 2h, 1d\)"
done
expect_rc 2 hp top --max-age 2y "$a"
expect_in "$W/err" "--max-age '2y': not a duration"
expect_rc 2 hp top --min-age 1h --max-age 10m "$a"
expect_in "$W/err" 'no whole age band lies between them'
expect_rc 2 hp top --max-age 0.5s "$a"
expect_in "$W/err" 'no whole age band is younger'
expect_rc 2 hp top --min-age 200d "$a"
expect_in "$W/err" 'past the start of the oldest age band \(112d\)'
expect_rc 2 hp top --min-age 10m --type alloc_space "$a"
expect_in "$W/err" '--min-age counts live objects by age; alloc_space counts everything allocated'
expect_in "$W/err" "Try 'heapprof top --help'"
# Profiles without ages: a merged one (an older heapprof), a Go heap profile.
for f in "$W/merged/p1.pb" "$CLI_SRC/corpus/go_heap.gz"; do
    expect_rc 1 hp top --min-age 10m "$f"
    expect_in "$W/err" 'this profile does not record object ages \(no sample has an "age" label\)'
done
note "top --min-age/--max-age"

# --- 3. heapprof ages ----------------------------------------------------------------------
# 2 h run: young < 30m, middle 30m to 1h, old >= 1h; steady shares 25/25/50%.
craft "$W/c.pb" steady=0:10:1,60:10:1,600:20:1,1800:25:1,3600:50:1 startup=3600:500:2 \
    young=0:100:2,1:50:2 stopped=600:2:1,1800:50:1,3600:50:1 recent=0:30:1,600:30:1,1800:40:1 \
    mixed=0:50:1,3600:50:1 few=0:10:8,3600:10:8 dead=
expect_rc 0 hp ages -n 0 "$W/c.pb"
cp "$W/out" "$W/ages"
expect_in "$W/ages" '^Process age: 2\.0 h \(the profile.s duration\)$'
expect_in "$W/ages" '^Columns: young < 30m, middle 30m to 1h, old >= 1h; a steady rate since the$'
expect_in "$W/ages" '^start would put 25%, 25% and 50% '
want=(steady recent stopped mixed startup young few)
for i in "${!want[@]}"; do
    r=${want[$i]}
    expect_in "$W/ages" "^ +$((i + 1)) $r .* $r ← main\$" "$r read as $r, ranked $((i + 1))"
done
expect_in "$W/ages" '^ +1 steady +115 KiB .* 35% +22% +43%  steady ← main$' "steady's shares"
expect_in "$W/ages" '^Showing 7 of 7 sites with live bytes$'
expect_not_in "$W/ages" '^ +[0-9]+ old ' "a reading named as the old column"
expect_in "$W/ages" '^stopped +hardly anything recent'
expect_not_in "$W/ages" 'dead' "a site with nothing live"
expect_in "$W/ages" '^steady +live bytes from every part of the run'
expect_rc 0 hp ages -n 2 --by stack --raw "$W/c.pb"
expect_in "$W/out" '^Showing 2 of 7 stacks with live bytes$'
expect_in "$W/out" '^ +2 recent +102400 '
# Exact: no "few" (no sampling error).
craft "$W/x.pb" --exact few=0:10:8,3600:10:8
expect_rc 0 hp ages "$W/x.pb"
expect_in "$W/out" '^ +1 mixed .* few ← main$' "an exact profile's small site read"
# A young process: no readings.
# A row with too few samples comes after the rows known well enough: it
# stood first, above a row fifty times its size.
craft "$W/y.pb" --duration 10 small=0:4:3 a=0:100:1,5:100:1
expect_rc 0 hp ages "$W/y.pb"
expect_in "$W/out" 'too young for readings'
expect_in "$W/out" '^ +1 - +200 KiB .* a ← main$'
expect_in "$W/out" '^ +2 few +4.00 KiB .* small ← main$'
expect_in "$W/out" '^Columns: young < 2s, middle 2s to 5s, old >= 5s; '
# Under 4 s no band edge lies at or below T/4: the young zone is empty, and
# said so, not "young < 0s".
craft "$W/y3.pb" --duration 3 a=0:100:1
expect_rc 0 hp ages "$W/y3.pb"
expect_in "$W/out" '^Columns: young none, middle 0s to 2s, old >= 2s; '
# No duration: the oldest band stands for the process's age.
craft "$W/n.pb" --duration 0 a=0:100:1,3600:100:1
expect_rc 0 hp ages "$W/n.pb"
expect_in "$W/out" '^Process age: unknown \(the profile has no duration\); taken as 1h,$'
# No ages, nothing live, usage.
expect_rc 1 hp ages "$W/merged/p1.pb"
expect_in "$W/err" 'this profile does not record object ages'
expect_rc 1 hp ages "$CLI_SRC/corpus/go_heap.gz"
expect_in "$W/err" 'this profile does not record object ages'
# Nothing live is an empty answer, exit 0, as top's "Total: 0" and flame's
# empty graph are (it exited 1, "so it has no object ages"); so for
# --min-age, which needs ages only where something is live.
craft "$W/e.pb" dead=
expect_rc 0 hp ages "$W/e.pb"
expect_in "$W/out" '^Live: 0 B ± 0, of which 0 B at least '
expect_in "$W/out" '^Showing 0 of 0 sites with live bytes$'
expect_not_in "$W/out" 'dead|too young|^rank' "a row, a heading or a reading, of nothing"
expect_in "$W/err" '^heapprof ages: note: nothing is live in .*e\.pb \(inuse_space is 0\).*; --type alloc_space shows what it allocated$'

expect_rc 0 hp ages --by tag:thread "$W/e.pb"
expect_in "$W/out" '^Showing 0 of 0 values of label thread with live bytes$'
expect_rc 0 hp top --min-age 10m "$W/e.pb"
expect_in "$W/out" '^Total: 0 B ± 0 in 0 stacks$' "top --min-age of nothing live"
# A difference whose values are all below 0 (pprof -proto -base, a delta)
# is not "nothing live": its objects would have had ages, and it has none.
python3 "$CLI_SRC/craft_profiles.py" signed "$W/neg.pb" shrank=-2:-2048
expect_rc 1 hp top --min-age 10m "$W/neg.pb"
expect_in "$W/err" 'this profile does not record object ages'
expect_rc 0 hp flame --min-age 10m "$W/e.pb" -o "$W/e.svg"
expect_in "$W/err" 'nothing to draw'
expect_rc 2 hp ages --by tree "$W/c.pb"
expect_in "$W/err" "--by 'tree': use 'site', 'function', 'stack' or 'tag:KEY'"
expect_rc 2 hp ages
expect_rc 2 hp ages "$W/c.pb" "$W/c.pb"
# A profile the library wrote: objects 3 s apart, in exact mode.  Ages are
# whole seconds of a coarse clock: the early objects are 2 s old or more at
# exit, the late ones 0 s, or 1 s when a second's tick falls between them
# and the exit profile (a --max-age 1s here failed so under load).
expect_rc 0 hp run --sample 1 -o "$W/real" -- "$CLI_PROG" aged 3
real=$(ls "$W"/real.*.0001.pb.gz)
expect_rc 0 hp top --min-age 2s --raw -n 0 "$real"
expect_in "$W/out" '^ +20000 .* aged_early$' "--min-age 2s: the early objects"
expect_not_in "$W/out" 'aged_late' "--min-age 2s: the late objects are younger"
expect_rc 0 hp top --max-age 2s --raw -n 0 "$real"
expect_in "$W/out" '^ +15000 .* aged_late$' "--max-age 2s: the late objects"
expect_not_in "$W/out" 'aged_early' "--max-age 2s: the early objects are older"
expect_rc 0 hp ages --raw "$real"
expect_in "$W/out" 'aged_early' "ages lists the early site"
expect_in "$W/out" 'aged_late' "ages lists the late site"
if have_go; then
    go tool pprof -raw -tagfocus 'age=2s:' "$real" >"$W/pp" 2>/dev/null ||
        fail "go tool pprof -tagfocus age=2s: could not read $real"
    ! grep -qE ' 15000: ' "$W/pp" || fail "pprof -tagfocus age=2s: the late objects are there too: $(sed -n '/^Samples/,/^Locations/p' "$W/pp")"
    grep -qE '^ +20 +20000 +20 +20000: ' "$W/pp" || fail "pprof -tagfocus age=2s: expected the 20 early objects alone: $(sed -n '/^Samples/,/^Locations/p' "$W/pp")"
fi
# A site's malloc and its strdup: two rows, as leaks names them ("site ←
# caller (via strdup)"), in ages --by site and in timeline's bands; keyed
# by site and caller alone, they were one row there, named as the malloc's.
expect_rc 0 hp run --sample 1 -o "$W/via" -- "$CLI_PROG" via
via=$(ls "$W"/via.*.0001.pb.gz)
expect_rc 0 hp ages --raw -n 0 "$via"
expect_in "$W/out" ' 20000 +0 .* via_site ← main$' "ages: the site's malloc row"
expect_in "$W/out" ' 15000 +0 .* via_site ← main \(via (__)?strdup\)$' "ages: the site's strdup row"
expect_rc 0 hp ages --by function --raw -n 0 "$via"
expect_in "$W/out" ' 35000 +0 .* via_site$' "ages --by function: the function's both"
expect_rc 0 hp timeline "$via" "$via" -o "$W/via.svg"
grep -q 'via_site ← main (via [_a-z]*strdup)' "$W/via.svg" ||
    fail "timeline: no band for the site's strdup: $(grep -o 'via_site[^<]*' "$W/via.svg" | sort -u)"
grep -q 'via_site ← main<' "$W/via.svg" ||
    fail "timeline: no band for the site's malloc: $(grep -o 'via_site[^<]*' "$W/via.svg" | sort -u)"
note "ok"

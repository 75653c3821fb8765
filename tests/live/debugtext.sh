#!/usr/bin/env bash
# live_debugtext: /debug/pprof/heap?debug=1 and /debug/pprof/allocs?debug=1,
# the text heap profile Go's net/http/pprof answers (heaptext.h), against
# the binary profile of the same moment:
#  - text/plain, not an attachment; the header line and the records in
#    Go's layout; live_prog known's stacks with their exact values
#    (HEAPPROF_SAMPLE=1), read off the text itself;
#  - go tool pprof reads it, over HTTP and saved, and shows for each of the
#    four sample types the totals and the per-function values it shows for
#    the binary profile; sampled too (HEAPPROF_SAMPLE=4096), where values
#    scaled twice would show as a difference;
#  - sampled, with lifetimes and ages (live_prog bands: each site's values
#    split over two lifetime bands and two age bands), every site's samples
#    in the binary profile add up to its record in the text, which rounds
#    its objects once: the bands' objects are rounded cumulatively (dump.c
#    take_objs), not one by one;
#  - allocs?debug=1 is the same text; debug=N other than 0 is text, as Go's
#    strconv.Atoi reads it (debug=+1 is " 1": not a number, so binary);
#    with ?seconds= it is 400, as in Go.
source "$(dirname "$0")/lib.sh"
need curl curl
require_go

fns=(keep_alloc drop_alloc big_alloc)

# row FILE INDEX FN: the flat value of FN in `go tool pprof -top` of FILE.
row() {
    { go tool pprof -unit=B -top -nodecount=1000 -sample_index="$2" "$1" 2>/dev/null || true; } |
        awk -v f="$3" '$6 == f {print $1}'
}
# total FILE INDEX: the total of `go tool pprof -top` of FILE.
total() {
    { go tool pprof -unit=B -top -sample_index="$2" "$1" 2>/dev/null || true; } |
        sed -n 's/^Showing nodes accounting for -*[0-9]*B, [0-9.]*% of \(-*[0-9]*\)B total$/\1/p'
}
# record TEXT FN: the values "I: IB [A: AB]" of the record whose leaf is FN.
record() {
    awk -v f="$2" '/^[0-9]+: [0-9]+ \[/ {rec = $0; first = 1; next}
        /^#\t/ {if (first && $3 ~ "^" f "\\+0x") {sub(/ @.*/, "", rec); print rec}; first = 0}' "$1"
}

# compare TEXT BINARY WHAT: every sample type, totals and our functions.
# pprof reads a text profile whose allocated totals (in the header) are
# its in-use ones, or 0, as in-use only, "objects" and "space" (Go's
# profiles too: legacy_profile.go, parseHeapHeader).
compare() {
    local t=$1 b=$2 what=$3 i j f x y types=(alloc_objects alloc_space inuse_objects inuse_space)
    read -r hi hib ha hab < <(head -1 "$t" | sed -E 's/^heap profile: ([0-9]+): ([0-9]+) \[([0-9]+): ([0-9]+)\].*/\1 \2 \3 \4/')
    if [[ ($ha == "$hi" || $ha == 0) && ($hab == "$hib" || $hab == 0) ]]; then
        types=(objects:inuse_objects space:inuse_space)
        note "$what: allocated as in use: pprof reads objects and space"
    fi
    for i in "${types[@]}"; do
        j=${i#*:}
        i=${i%:*}
        x=$(total "$t" "$i")
        y=$(total "$b" "$j")
        [[ -n $x && $x == "$y" ]] || fail "$what: $i total: text $x, binary ($j) $y"
        for f in "${fns[@]}"; do
            x=$(row "$t" "$i" "$f")
            y=$(row "$b" "$j" "$f")
            [[ $x == "$y" ]] || fail "$what: $i of $f: text '$x', binary ($j) '$y'"
        done
    done
}

# 1. Exact mode: the values are known.
start ex HEAPPROF_SAMPLE=1 -- known
[[ -n $PORT ]] || fail "no serving line on stderr: $(cat "$W/ex.err")"
url=http://127.0.0.1:$PORT/debug/pprof
curl -sS --max-time 20 -D "$W/text.hdr" -o "$W/heap.txt" "$url/heap?debug=1"
grep -qi '^HTTP/1.1 200' "$W/text.hdr" || fail "heap?debug=1: $(head -1 "$W/text.hdr")"
grep -qi '^Content-Type: text/plain; charset=utf-8' "$W/text.hdr" ||
    fail "heap?debug=1 content type: $(cat "$W/text.hdr")"
! grep -qi '^Content-Disposition' "$W/text.hdr" || fail "heap?debug=1 is sent as an attachment"
get /debug/pprof/heap >"$W/heap.pb.gz"
head -1 "$W/heap.txt" | grep -Eq '^heap profile: [0-9]+: [0-9]+ \[[0-9]+: [0-9]+\] @ heap/2$' ||
    fail "header line: $(head -1 "$W/heap.txt")"
grep -Eq '^[0-9]+: [0-9]+ \[[0-9]+: [0-9]+\] @( 0x[0-9a-f]+)+$' "$W/heap.txt" ||
    fail "no record line in Go's layout: $(head -5 "$W/heap.txt")"
grep -Pq '^#\t0x[0-9a-f]+\tmain\+0x[0-9a-f]+$' "$W/heap.txt" || fail "no frame line naming main"
grep -q '^MAPPED_LIBRARIES:$' "$W/heap.txt" || fail "no MAPPED_LIBRARIES section"
want=("10: 10000 [10: 10000]" "2: 1000 [8: 4000]" "1: 100000 [1: 100000]")
for k in 0 1 2; do
    got=$(record "$W/heap.txt" "${fns[$k]}")
    [[ $got == "${want[$k]}" ]] || fail "${fns[$k]}: record '$got', expected '${want[$k]}'"
done
# Go's order: the most bytes in use first.
first=$(grep -m1 -P '^#\t' "$W/heap.txt" | cut -f3)
[[ $first == big_alloc+* ]] || fail "the first record is not big_alloc's: $first"
# Totals: the header is the sum of the records.
[[ $(total "$W/heap.txt" alloc_space) ]] || fail "pprof does not read the four types of heap.txt"
read -r hi hib ha hab < <(head -1 "$W/heap.txt" | sed -E 's/^heap profile: ([0-9]+): ([0-9]+) \[([0-9]+): ([0-9]+)\].*/\1 \2 \3 \4/')
sum=$(awk '/^[0-9]+: [0-9]+ \[/ {gsub(/[\[\]:]/, " "); i += $1; ib += $2; a += $3; ab += $4}
      END {print i, ib, a, ab}' "$W/heap.txt")
[[ $sum == "$hi $hib $ha $hab" ]] || fail "header $hi $hib $ha $hab, records add up to $sum"
compare "$W/heap.txt" "$W/heap.pb.gz" "exact"
note "exact: records and pprof's four types agree with the binary profile"

# Over HTTP, as a Go user types it.
out=$(go tool pprof -top "$url/heap?debug=1" 2>"$W/pprof.err") ||
    { cat "$W/pprof.err" >&2; fail "go tool pprof -top $url/heap?debug=1 failed"; }
grep -q 'Type: inuse_space' <<<"$out" || fail "pprof over HTTP: default type is not inuse_space: $out"
grep -q ' keep_alloc$' <<<"$out" || fail "pprof over HTTP: keep_alloc not named: $out"

# allocs?debug=1: the same text (Go writes the heap profile for both).
get '/debug/pprof/allocs?debug=1' >"$W/allocs.txt"
diff <(grep -v '^#' "$W/heap.txt") <(grep -v '^#' "$W/allocs.txt") >/dev/null ||
    fail "allocs?debug=1 differs from heap?debug=1"
# debug= as Go reads it.
kind() { curl -s --max-time 20 -o /dev/null -w '%{http_code} %{content_type}' "$url/$1"; }
for q in 'debug=2' 'debug=-1' 'debug=%31' 'debug=%2B1' 'debug=0&debug=1;&x' 'de%62ug=1'; do
    [[ $q == 'debug=0&debug=1;&x' ]] && w=application/octet-stream || w='text/plain; charset=utf-8'
    [[ $(kind "heap?$q") == "200 $w" ]] || fail "heap?$q: $(kind "heap?$q"), expected 200 $w"
done
for q in 'debug=0' 'debug=+1' 'debug=x' 'debug='; do
    [[ $(kind "heap?$q") == "200 application/octet-stream" ]] || fail "heap?$q: $(kind "heap?$q")"
done
# With ?seconds=: Go checks the seconds first, then refuses the pair.
body=$(curl -s --max-time 20 -w ' %{http_code}' "$url/heap?seconds=1&debug=1")
[[ $body == *'seconds and debug params are incompatible'*' 400' ]] || fail "seconds=1&debug=1: $body"
body=$(curl -s --max-time 20 -w ' %{http_code}' "$url/allocs?debug=1&seconds=0")
[[ $body == *'seconds must be'*' 400' ]] || fail "seconds=0&debug=1: $body"
[[ $(kind "allocs?seconds=&debug=1") == "200 text/plain; charset=utf-8" ]] ||
    fail "an empty seconds is none: allocs?seconds=&debug=1: $(kind "allocs?seconds=&debug=1")"
note "debug= and seconds= as Go reads them"
stop ex
[[ $RC -eq 0 ]] || fail "live_prog known exited $RC"

# 2. Sampled: estimates are written as they are (heap/2); pprof must not
# scale them again.
start sa HEAPPROF_SAMPLE=4096 -- known
url=http://127.0.0.1:$PORT/debug/pprof
get '/debug/pprof/heap?debug=1' >"$W/s.txt"
get /debug/pprof/heap >"$W/s.pb.gz"
head -1 "$W/s.txt" | grep -q '@ heap/2$' || fail "sampled header: $(head -1 "$W/s.txt")"
grep -q '^# sample_interval_bytes=4096$' "$W/s.txt" || fail "the interval is not in the comments"
compare "$W/s.txt" "$W/s.pb.gz" "sampled"
stop sa
[[ $RC -eq 0 ]] || fail "live_prog known (sampled) exited $RC"

# 3. Sampled, split in bands: each site's samples add up to its record
# (rounded once).  Seeded, so that one run's estimates are the next's: a
# band's objects rounded alone (say 3 x 4.6 = 13.8 as 5 + 5 + 5) were off
# by one for sites of this run.
start sb HEAPPROF_SAMPLE=4096 HEAPPROF_SEED=5 -- bands
get '/debug/pprof/heap?debug=1' >"$W/b.txt"
get /debug/pprof/heap >"$W/b.pb.gz"
"$PROFILE_SUMMARY" --samples "$W/b.pb.gz" >"$W/b.sum" || fail "profile_summary failed on $W/b.pb.gz"
for k in 1 2 3 4 5 6; do
    f=bands${k}_alloc
    # Two lifetime bands and two age bands (one, if the profile was taken
    # more than a second late).
    n=$(awk -v f="$f" '$1 == "sample" && $7 == f' "$W/b.sum" | wc -l)
    [[ $n -ge 3 ]] || fail "$f: expected samples in two lifetime bands and the age bands, found $n"
    read -r ao ab io ib < <(awk -v f="$f" '$1 == "leaf" && $2 == f {print $3, $4, $5, $6}' "$W/b.sum")
    got="$io: $ib [$ao: $ab]"
    want=$(record "$W/b.txt" "$f")
    [[ $got == "$want" ]] ||
        fail "$f: the samples add up to '$got', its text record is '$want': $(grep -E "^sample .* $f " "$W/b.sum" | tr '\n' ';')"
done
stop sb
[[ $RC -eq 0 ]] || fail "live_prog bands exited $RC"
note "bands: each site's samples add up to its text record"

# 4. Named from the DWARF: live_prog with the symbols of its static
# functions removed (as a .symtab of the exports only leaves them).  The
# text names them as the binary profile does, without an offset (the
# DWARF's name gives none); before, the frame was the address alone.
objcopy --strip-symbol=keep_alloc --strip-symbol=drop_alloc --strip-symbol=big_alloc \
    "$LIVE_PROG" "$W/nosyms" || fail "objcopy --strip-symbol failed on $LIVE_PROG"
syms=$(readelf -sW "$W/nosyms" | awk '{ print $8 }')
if grep -qxE 'keep_alloc|drop_alloc|big_alloc' <<<"$syms"; then
    fail "objcopy left a symbol of the static functions in $W/nosyms"
fi
prog=$LIVE_PROG
LIVE_PROG=$W/nosyms
start dw HEAPPROF_SAMPLE=1 -- known
LIVE_PROG=$prog
get '/debug/pprof/heap?debug=1' >"$W/dw.txt"
get /debug/pprof/heap >"$W/dw.pb.gz"
for k in 0 1 2; do
    grep -Pq "^#\t0x[0-9a-f]+\t${fns[$k]}\$" "$W/dw.txt" ||
        fail "no frame line naming ${fns[$k]} from the DWARF: $(grep -P '^#\t' "$W/dw.txt" | sort -u | head -20)"
    [[ $(row "$W/dw.pb.gz" alloc_space "${fns[$k]}") ]] ||
        fail "the binary profile does not name ${fns[$k]} either"
done
stop dw
[[ $RC -eq 0 ]] || fail "live_prog known (its static functions' symbols removed) exited $RC"
note "ok"

#!/usr/bin/env bash
# When the live bytes of a series were born, from the profiles' object ages
# and time stamps (src/cli/birth.h): timeline --by birth and the new/old
# columns of leaks.
#   - crafted profiles (craft_profiles.py aged --time) at 0, 100 and 200 s,
#     where every band's birth interval is known: the bands' bytes go to
#     the windows by the overlap rule (grow's band [120 s, 300 s) at 200 s,
#     births (-100, 80], gives 100/180 of its 30 KiB to "before the first
#     profile": leaks, with two windows, keeps that), and the series bounds
#     (leak's same band would get 11378 B before the first profile, where
#     only 10240 B were live then; grow's 13653 B of 0 s to 100 s, a window
#     that closed with 10240 B) make the rest exact; --site, --cohorts, the
#     legend and the subtitle's share of split bytes; bad input: no ages,
#     one stamp twice, option clashes;
#   - real profiles the library wrote of cli_prog births (exact mode): 20000
#     B born before profile 1, 15000 B between 1 and 2, 8000 B of a working
#     set freed after 2, to the byte; profile 3 is taken 10 ms after 2,
#     well inside the band [0, 1 s), which the allocation bound (born_site
#     allocated nothing after profile 2) puts back.
source "$(dirname "$0")/cli_lib.sh"

command -v python3 >/dev/null || skip "python3 is needed to craft the inputs"
craft() { python3 "$CLI_SRC/craft_profiles.py" aged "$@"; }
xml_ok() {
    python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$1" ||
        fail "$1 is not well-formed XML"
}

# within_close FILE: no legend line of a --by birth chart gives a band more
# than 100% of what it held when its window closed.
within_close() {
    local over
    over=$(grep -o '([0-9.]*% of it)' "$1" | tr -d '()% ofit' | awk '$1 > 100 { print }')
    [[ -z "$over" ]] || fail "$1: a band at $over% of what it closed with"
}

# tooltip FILE NAME VALUES: band NAME's bytes at each profile.
tooltip() {
    expect_in "$1" "<title>$2; live bytes at each profile: $3</title>" "$2: $3"
}

# --- 1. crafted ----------------------------------------------------------------------
# leak: 10 KiB born at -50, 50 and 150 s, kept.  grow: 20 KiB at -50, 10
# at 50 and 150.  ws: 40 KiB born at 50, freed by 200.  held: 10 KiB born
# at -50, kept; its band at 200 s straddles 0 s, but it allocated nothing
# after 0 s (craft_profiles gives every profile's site alloc_space 3 times
# its live bytes), so all of it is older.
craft "$W/p0.pb" --time 0 leak=30:10:1 grow=30:20:1 ws= held=30:10:1
craft "$W/p1.pb" --time 100 --duration 7300 leak=30:10:1,120:10:1 grow=30:10:1,120:20:1 \
    ws=30:40:1 held=120:10:1
craft "$W/p2.pb" --time 200 --duration 7400 leak=30:10:1,120:20:1 grow=30:10:1,120:30:1 ws= \
    held=120:10:1
p=("$W/p2.pb" "$W/p0.pb" "$W/p1.pb") # any order: sorted by time

expect_rc 0 hp timeline --by birth -o "$W/b.svg" "${p[@]}"
xml_ok "$W/b.svg"
b=$W/b.svg
expect_in "$b" 'Live heap over time, by when it was allocated'
tooltip "$b" 'born before the first profile' '40960 40960 40960'
tooltip "$b" 'born 0 s to 100 s' '0 61440 20480'
tooltip "$b" 'born 100 s to 200 s' '0 0 20480'
# Bytes in straddling bands over all bytes shown: (20 + 30 + 10) KiB at
# 200 s of 40 + 100 + 80 KiB.
expect_in "$b" 'Age bands straddling a window edge \(27\.3% of the bytes shown\)'
expect_in "$b" '>born before the first profile  <tspan fill="#555">closed with 40\.0 KiB, last 40\.0 KiB \(100\.0% of it\)</tspan>'
expect_in "$b" '>born 0 s to 100 s  <tspan fill="#555">closed with 60\.0 KiB, last 20\.0 KiB \(33\.3% of it\)</tspan>'
# grow at 200 s: the overlap gives the window 0 s to 100 s 13653 B, more
# than the 10240 B it closed with; the rest cannot be newer (only grow's
# band [30 s, 60 s), 10 KiB, reaches past 100 s), so it is older: the truth.
expect_rc 0 hp timeline --by birth --site grow -o "$W/g.svg" "${p[@]}"
tooltip "$W/g.svg" 'born before the first profile' '20480 20480 20480'
tooltip "$W/g.svg" 'born 0 s to 100 s' '0 10240 10240'
tooltip "$W/g.svg" 'born 100 s to 200 s' '0 0 10240'
expect_in "$W/g.svg" 'sites whose name contains "grow"'
expect_rc 0 hp timeline --by birth --site 'leak ←' -o "$W/l.svg" "${p[@]}"
tooltip "$W/l.svg" 'born before the first profile' '10240 10240 10240'
tooltip "$W/l.svg" 'born 0 s to 100 s' '0 10240 10240'
tooltip "$W/l.svg" 'born 100 s to 200 s' '0 0 10240'
expect_rc 0 hp timeline --by birth --cohorts 2 --site leak -o "$W/c.svg" "${p[@]}"
tooltip "$W/c.svg" 'born before the first profile' '10240 10240 10240'
tooltip "$W/c.svg" 'born 0 s to 200 s' '0 10240 20480'
[[ $(grep -c '<path ' "$W/c.svg") -eq 2 ]] || fail "--cohorts 2: not two bands"
# --site in the default mode: one band per matching site.
expect_rc 0 hp timeline --site grow -o "$W/s.svg" "${p[@]}"
expect_in "$W/s.svg" '>grow ← main  <tspan'
expect_not_in "$W/s.svg" '>(leak|ws|held|other) '

# leaks: new and old per row.  At 100 s every band lies on one side of 0 s.
expect_rc 0 hp leaks --raw "$W/p0.pb" "$W/p1.pb"
expect_in "$W/out" '^By age: 61440 of it allocated since the early profile, 40960 before it \(± 2508\)$'
expect_not_in "$W/out" 'in age bands that straddle'
expect_in "$W/out" '^ +1 +\+40960 .* 0 +40 +40960 +0 +1024 +0  ws ← main$'
expect_in "$W/out" '^ +[23] +\+10240 .* 10 +20 +10240 +10240 +1448 +10240  leak ← main$'
expect_in "$W/out" '^ +[23] +\+10240 .* 20 +30 +10240 +20480 +1448 +20480  grow ← main$'
expect_in "$W/out" '^new, old: of its late live bytes, allocated after, before the early profile; a leak.s growth is new bytes that stay$'
# At 200 s: grow by the overlap rule, leak bounded by its 10 KiB at 0 s.
# ± is each row's standard error at 200 s (two bands of 1 KiB: 1448), and
# the old range what old would be were the straddling band [120 s, 300 s)
# (births (-100, 80]) all newer than 0 s, or all older, bounded as old is:
# grow 0 to 20480 (its 20 KiB at 0 s), leak 0 to 10240 (it allocated 60
# KiB since 0 s, so its 10 KiB could all be new); held's 10 KiB are all old
# (it allocated nothing since), so the heap's old bytes are 10240 to 40960.
expect_rc 0 hp leaks --raw "$W/p0.pb" "$W/p2.pb"
expect_in "$W/out" '^ +[12] +\+20480 .* 20 +40 +23893 +17067 +1448 +0\.\.20480  grow ← main$'
expect_in "$W/out" '^ +[12] +\+20480 .* 10 +30 +20480 +10240 +1448 +0\.\.10240  leak ← main$'
expect_in "$W/out" '^By age: 44373 of it allocated since the early profile, 37547 before it \(± 2290\)$'
expect_in "$W/out" '^        \(61440 of it in age bands that straddle the early profile.s time: split by overlap, then bounded by the series; before it: 10240\.\.40960\)$'
expect_in "$W/out" '^±: their sampling error'
expect_in "$W/out" '^old range: the least and the most old can be'
expect_rc 0 hp leaks --raw "${p[@]}"
expect_in "$W/out" '^class +growth .* last +new +old +± +old range  allocation site'
expect_in "$W/out" '^leak +\+20480 .* 10240 +30720 +30720 +20480 +10240 +1448 +0\.\.10240  leak ← main$'
expect_in "$W/out" '^working set +0 .* 40960 +0 +0 +0 +0 +0  ws ← main$'
expect_rc 0 hp leaks "$W/p0.pb" "$W/p2.pb"
expect_in "$W/out" '^ +[12] +\+20\.0 KiB .* 20 +40 +23\.3 KiB +16\.7 KiB +1\.41 KiB +0 B\.\.20\.0 KiB  grow ← main$'
expect_in "$W/out" '^By age: 43\.3 KiB of it allocated since the early profile, 36\.7 KiB before it \(± 2\.24 KiB\)$'
# A restart between the profiles (the late one's start time, stamp less
# duration, is 150 s where the others' is -7200 s): the bounds assume one
# process, so leak keeps the overlap rule's 11378 B before the first
# profile (20480 * 100/180), and the output says why.
craft "$W/p2r.pb" --time 200 --duration 50 leak=30:10:1,120:20:1 grow=30:10:1,120:30:1 ws= \
    held=120:10:1
expect_rc 0 hp leaks --raw "$W/p0.pb" "$W/p2r.pb"
expect_in "$W/out" '^ +[12] +\+20480 .* 10 +30 +19342 +11378 +1448 +0\.\.20480  leak ← main$'
expect_in "$W/out" 'split by overlap; before it: 0\.\.61440\)$'
expect_in "$W/out" '^        \(the profiles are not all of one process: their start times differ, or are unknown; new and old are not bounded by the series\)$'
expect_rc 0 hp timeline --by birth --site 'leak ←' -o "$W/r.svg" "$W/p0.pb" "$W/p1.pb" "$W/p2r.pb"
tooltip "$W/r.svg" 'born before the first profile' '10240 10240 11378'
expect_in "$W/r.svg" 'not bounded: the profiles are not all of one process'
# The same process: bounded, and no such line.
expect_rc 0 hp leaks --raw "$W/p0.pb" "$W/p2.pb"
expect_not_in "$W/out" 'not all of one process'
expect_not_in "$W/b.svg" 'not bounded'
# A stack whose middle profile has no age for it (a producer that ages
# some stacks only): mix's 10 KiB, born before 0 s, is live throughout; at
# 200 s its band [120 s, 300 s) straddles 0 s and it allocated nothing
# after 0 s.  Its live bytes at 100 s still bound what can be that old,
# unaged or not: both commands keep all 10 KiB before the first profile
# (leaks' header adds other's 1 KiB, also all old).  The timeline, when it
# bounded by aged bytes alone, put mix in the last window.
craft "$W/u0.pb" --time 0 mix=30:10:1 other=30:1:1
craft "$W/u1.pb" --time 100 --duration 7300 mix=-1:10:1 other=120:1:1
craft "$W/u2.pb" --time 200 --duration 7400 mix=120:10:1 other=120:1:1
expect_rc 0 hp timeline --by birth --site mix -o "$W/u.svg" "$W/u0.pb" "$W/u1.pb" "$W/u2.pb"
tooltip "$W/u.svg" 'born before the first profile' '10240 0 10240'
tooltip "$W/u.svg" 'born 100 s to 200 s' '0 0 0'
expect_in "$W/u.svg" 'without an age left out'
expect_rc 0 hp leaks --raw "$W/u0.pb" "$W/u1.pb" "$W/u2.pb"
expect_in "$W/out" '^By age: 0 of it allocated since the first profile, 11264 before it \(± 1448\)$'
expect_in "$W/out" 'bounded by the series; before it: 11264\)$'
# Each band on its own: burst keeps 10 KiB born before 0 s, allocates 2
# KiB at 50 s and 10 KiB at 170 s, and frees none.  At 200 s the first two
# share the band [120 s, 300 s), births (-100, 80], which the overlap gives
# 5461 B of to the window 0 s to 100 s: more than the 2048 B it closed
# with (the legend said 266.7%), as the bounds only limited the sums of
# the bands.  A band holds at most what it held at every profile since its
# window closed; the rest is older, as the last window's band holds at
# most the 10 KiB whose ages reach into it.  So the truth, and no legend
# line above 100%.
craft "$W/q0.pb" --time 0 burst=30:10:1
craft "$W/q1.pb" --time 100 --duration 7300 burst=30:2:1,120:10:1
craft "$W/q2.pb" --time 200 --duration 7400 burst=30:10:1,120:12:1
expect_rc 0 hp timeline --by birth -o "$W/q.svg" "$W/q0.pb" "$W/q1.pb" "$W/q2.pb"
within_close "$W/q.svg"
tooltip "$W/q.svg" 'born before the first profile' '10240 10240 10240'
tooltip "$W/q.svg" 'born 0 s to 100 s' '0 2048 2048'
tooltip "$W/q.svg" 'born 100 s to 200 s' '0 0 10240'
for f in "$W/b.svg" "$W/g.svg" "$W/l.svg" "$W/c.svg" "$W/u.svg"; do within_close "$f"; done
# Taken in the wrong order: no split (the first was taken after the last).
expect_rc 0 hp leaks "$W/p2.pb" "$W/p0.pb"
expect_not_in "$W/out" 'new|By age'
# No ages, or one stamp: the output of old.
craft "$W/m0.pb" --merged --time 0 a=0:10:3
craft "$W/m1.pb" --merged --time 100 a=0:20:4
expect_rc 0 hp leaks "$W/m0.pb" "$W/m1.pb"
expect_not_in "$W/out" 'new|By age'
note "crafted: timeline --by birth, leaks new/old"

# Errors.
expect_rc 1 hp timeline --by birth -o "$W/x.svg" "$W/m0.pb" "$W/m1.pb"
expect_in "$W/err" 'm0.pb: this profile does not record object ages'
expect_rc 1 hp timeline --by birth -o "$W/x.svg" "$CLI_SRC/corpus/go_heap.gz"
expect_in "$W/err" 'does not record object ages'
craft "$W/same.pb" --time 100 leak=0:1:1
expect_rc 1 hp timeline --by birth -o "$W/x.svg" "$W/p1.pb" "$W/same.pb"
expect_in "$W/err" 'have the same time stamp; --by birth needs profiles taken at different times'
expect_rc 1 hp timeline --by birth --site nosuch -o "$W/x.svg" "${p[@]}"
expect_in "$W/err" "^heapprof timeline: --site 'nosuch': no allocation site's name"
expect_rc 2 hp timeline --by birth --top 3 "${p[@]}"
expect_in "$W/err" '--top picks sites for --by site'
expect_rc 2 hp timeline --cohorts 3 "${p[@]}"
expect_in "$W/err" '--cohorts is for --by birth'
expect_rc 2 hp timeline --by birth --cohorts 1 "${p[@]}"
expect_in "$W/err" "--cohorts '1': out of range"
expect_rc 2 hp timeline --by age "${p[@]}"
expect_in "$W/err" "--by 'age': use 'site', 'birth' or 'tag:KEY'"
expect_rc 2 hp timeline --site '' "${p[@]}"
[[ ! -e "$W/x.svg" ]] || fail "an SVG was written despite the errors"
note "errors"

# --- 2. real profiles ------------------------------------------------------------------
expect_rc 0 hp run --sample 1 -o "$W/r" -- "$CLI_PROG" births 3
pid=$(sed -n 's/.*(pid \([0-9]*\)).*/\1/p' "$W/err")
r=$W/r.$pid
for k in 1 2 3; do [[ -s $r.000$k.pb.gz ]] || fail "profile $k missing: $(ls "$W")"; done
expect_rc 0 hp leaks --raw "$r.0001.pb.gz" "$r.0002.pb.gz"
expect_in "$W/out" '^ +[12] +\+15000 +0 .* 20 +50 +15000 +20000 +0 +20000  born_site ← births$'
expect_in "$W/out" '^ +[12] +\+8000 +0 .* 0 +10 +8000 +0 +0 +0  born_temp ← births$'
expect_rc 0 hp leaks --raw "$r".000[1-3].pb.gz
expect_in "$W/out" ' 20000 +35000 +35000 +15000 +20000 +0 +20000  born_site ← births$'
expect_rc 0 hp timeline --by birth --site born_ -o "$W/r.svg" "$r".000[1-3].pb.gz
xml_ok "$W/r.svg"
tooltip "$W/r.svg" 'born before the first profile' '20000 20000 20000'
tooltip "$W/r.svg" 'born 0 s to 3\.[0-9]+ s' '0 23000 15000'
tooltip "$W/r.svg" 'born 3\.[0-9]+ s to 3\.[0-9]+ s' '0 0 0'
note "real profiles"

# --- 3. a long series ----------------------------------------------------------------
# Memory: it is not held whole (this suite is left out of sanitizer builds,
# whose shadow memory would count).  40 profiles of 10000 stacks 10 frames
# deep took 306 MB, every profile kept to the end and a birth stackset of
# 40 x 13 cells per stack; read one at a time, each stack keeps one
# profile's credits and its bounds' state (15 MB in all).  Given out of
# time order, the files are read again in order (standard input's profile
# kept, as it cannot be): the same chart to the byte.
python3 "$CLI_SRC/craft_profiles.py" aged_stacks "$W/as" 10000 10 40
as=("$W"/as/a*.pb.gz)
kib=$(python3 -c '
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$HEAPPROF_CLI" timeline --by birth \
    -o "$W/as.svg" "${as[@]}")
[[ $kib -lt 60000 ]] ||
    fail "timeline --by birth over 40 profiles of 10000 stacks: at most $kib KiB resident, not under 60000"
xml_ok "$W/as.svg"
tooltip "$W/as.svg" 'born before the first profile' "50235000$(printf ' 0%.0s' $(seq 39))"
shuffled=("${as[@]:20}" - "${as[@]:0:19}")
expect_rc 0 hp timeline --by birth -o "$W/as2.svg" "${shuffled[@]}" <"${as[19]}"
cmp -s "$W/as.svg" "$W/as2.svg" || fail "timeline --by birth: files out of time order gave another chart"
note "a long series"
note "ok"

#!/usr/bin/env bash
# leaks --by site: one row per allocation site, keyed and named as top
# --by site, ages and timeline key and name sites, every column read from
# the sum of the site's stacks.  xsite is reached through two callers
# further down (a and b under xcaller): by stack, two rows of one name,
# each with its share; by site, one row with the sum, its ± the root of
# the summed variances, its new and old the sums, ranked by the sum above
# ysite, whose one stack grew more than either of xsite's.  In a series,
# xsite's stacks are a working set and a leak, and the site, their sum,
# is a plateau.  --stacks, which lists a row's one stack, is refused with
# --by site.
source "$(dirname "$0")/cli_lib.sh"

command -v python3 >/dev/null || skip "python3 is needed to craft the inputs"
craft() { python3 "$CLI_SRC/craft_profiles.py" aged "$@" || fail "craft_profiles.py aged $* failed"; }

xa='malloc;xsite;xcaller;a'
xb='malloc;xsite;xcaller;b'
y='malloc;ysite;ycaller'
A=$'\xe2\x86\x90'
X="xsite $A xcaller \\(via malloc\\)"
Y="ysite $A ycaller \\(via malloc\\)"

# Two profiles of one process, 100 s apart (start times agree, so new and
# old are bounded by the series).  Late: each stack keeps 10 KiB born
# before the early profile (age band 600 s) and adds new bytes (band 0):
# xsite's stacks 60 KiB each (± 3 and 4 KiB), ysite's 100 KiB (± 0).
craft "$W/p1.pb" --time 0 --duration 7200 "$xa=0:10:0" "$xb=0:10:0" "$y=0:10:0"
craft "$W/p2.pb" --time 100 --duration 7300 "$xa=0:60:3,1000:10:0" "$xb=0:60:4,1000:10:0" \
    "$y=0:100:0,1000:10:0"

# By stack (the default, and --by stack): ysite first, then xsite twice.
for by in "" "--by stack" "--by site --by stack"; do
    # shellcheck disable=SC2086 # $by is words
    expect_rc 0 hp leaks $by "$W/p1.pb" "$W/p2.pb"
    expect_in "$W/out" '^3 stacks hold more live bytes in the late profile; all 3:$' "'$by': three stacks"
    expect_in "$W/out" "^ +1 +\\+100 KiB .*  $Y\$" "'$by': ysite's stack first"
    [[ $(grep -cE "^ +[23] +\\+60\\.0 KiB .*  $X\$" "$W/out") == 2 ]] ||
        fail "'$by': not two rows of xsite at +60 KiB: $(cat "$W/out")"
done

# By site: one row of xsite, the sum, first.
expect_rc 0 hp leaks --by site "$W/p1.pb" "$W/p2.pb"
cp "$W/out" "$W/site"
expect_in "$W/out" '^2 sites hold more live bytes in the late profile; all 2:$' "two sites"
expect_in "$W/out" "^ +1 +\\+120 KiB +5\\.00 KiB +1\\.20 KiB/s +20 +140 .*  $X\$" \
    "xsite first, its stacks' growth, ± (sqrt(3² + 4²)), rate and objects summed"
expect_in "$W/out" "^ +2 +\\+100 KiB .*  $Y\$" "ysite second"
[[ $(grep -cE "$X\$" "$W/out") == 1 ]] || fail "xsite is not one row: $(cat "$W/out")"
# The totals are the heap's, whatever the rows are.
expect_in "$W/out" '^Live heap: 30\.0 KiB → 250 KiB \(\+220 KiB'
expect_in "$W/out" '^The same difference in pprof: go tool pprof -top -base '
# --raw: new, old, ± and old range of the site, its stacks' sums.
expect_rc 0 hp leaks --by site --raw "$W/p1.pb" "$W/p2.pb"
read -r rank growth sd _ before after new old bsd range _ <<<"$(grep -E "^ +1 .*$X\$" "$W/out")"
[[ "$rank $growth $sd $before $after $new $old $bsd $range" == "1 +122880 5120 20 140 122880 20480 5120 20480" ]] ||
    fail "--by site --raw: xsite's row: $(cat "$W/out")"
# -n counts sites.
expect_rc 0 hp leaks --by site -n 1 "$W/p1.pb" "$W/p2.pb"
expect_in "$W/out" '^2 sites hold more live bytes in the late profile; the largest 1:$'
expect_not_in "$W/out" "$Y\$" "-n 1: ysite shown"
# The last --by counts: tag rows, then sites again.
expect_rc 0 hp leaks --by site --by tag:thread "$W/p1.pb" "$W/p2.pb"
expect_in "$W/out" 'value of label thread holds more live bytes' "--by site --by tag:thread: label rows"
expect_rc 0 hp leaks --by tag:thread --by site "$W/p1.pb" "$W/p2.pb"
diff "$W/out" "$W/site" >/dev/null || fail "--by tag:thread --by site differs from --by site: $(cat "$W/out")"

# A series (exact, given out of order): xsite's stack through a is a
# working set (10, 110, 10 KiB), through b a leak (10, 60, 160); their sum
# (20, 170, 170) rose, then held: a plateau.  ysite (10, 60, 110) a leak.
craft "$W/s1.pb" --exact --time 0 --duration 7200 "$xa=0:10:0" "$xb=0:10:0" "$y=0:10:0"
craft "$W/s2.pb" --exact --time 100 --duration 7300 "$xa=0:110:0" "$xb=0:60:0" "$y=0:60:0"
craft "$W/s3.pb" --exact --time 200 --duration 7400 "$xa=0:10:0" "$xb=0:160:0" "$y=0:110:0"
expect_rc 0 hp leaks "$W/s3.pb" "$W/s1.pb" "$W/s2.pb"
expect_in "$W/out" '^3 profiles; stacks by class: 2 leak, 0 plateau, 1 working set, 0 shrank'
expect_in "$W/out" "^working set .*  $X\$" "by stack: xsite's stack through a, a working set"
expect_in "$W/out" "^leak +\\+150 KiB .*  $X\$" "by stack: xsite's stack through b, a leak"
expect_rc 0 hp leaks --by site "$W/s3.pb" "$W/s1.pb" "$W/s2.pb"
expect_in "$W/out" '^3 profiles; sites by class: 1 leak, 1 plateau, 0 working set, 0 shrank, 0 stable'
expect_in "$W/out" "^plateau +\\+150 KiB +0 +768 B/s +20\\.0 KiB +170 KiB +170 KiB .*  $X\$" \
    "by site: xsite, its stacks' sum, a plateau"
expect_in "$W/out" "^leak +\\+100 KiB .*  $Y\$" "by site: ysite a leak"
[[ $(grep -cE "$X\$" "$W/out") == 1 ]] || fail "series: xsite is not one row: $(cat "$W/out")"

# --stacks lists a row's one stack: a site row has many.  One line, status 2.
expect_rc 2 hp leaks --by site --stacks "$W/p1.pb" "$W/p2.pb"
expect_in "$W/err" "^heapprof leaks: --stacks lists each row's one stack, and a --by site row sums all of its site's stacks: leave out --by site to list them$"
[[ ! -s "$W/out" ]] || fail "--by site --stacks printed: $(cat "$W/out")"
expect_rc 0 hp leaks --by site --by stack --stacks "$W/p1.pb" "$W/p2.pb"
expect_in "$W/out" '^ +xcaller$' "--by stack (the last --by) --stacks: the stacks"
expect_rc 2 hp leaks --by function "$W/p1.pb" "$W/p2.pb"
expect_in "$W/err" "--by 'function': use 'stack', 'site' or 'tag:KEY'"
note "ok"

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
# --by site.  New and old are split and bounded per stack, then summed
# into the site (two stacks whose tightest bounds fall in different
# profiles: the "By age" header is the same under both keys); site names
# under --lines, --wrapper and --tag are top --by site's.
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

# New and old are split and bounded stack by stack, then summed into the
# site (birth_bound's bounds hold object by object: bounded on the site's
# sum they were looser).  One process, exact, 100 s apart: xsite's stack
# through a holds nothing early and 60 KiB late (in the band from 60 s,
# which straddles the early profile's time), through b 100 KiB early and
# 50 KiB late, all 1000 s old (it allocated nothing since: @300).  By
# stack a is 60 KiB new, b 50 KiB old; bounded on the site's sum, the
# site read 40 KiB new and 70 KiB old (old range 50..100 KiB), and the
# heap's "By age" header changed with --by.
craft "$W/g1.pb" --exact --time 0 --duration 7200 "$xa=@10" "$xb=900:100:0@300"
craft "$W/g2.pb" --exact --time 100 --duration 7300 "$xa=60:60:0@100" "$xb=1000:50:0@300"
expect_rc 0 hp leaks --raw -n 0 --by stack "$W/g1.pb" "$W/g2.pb"
cp "$W/out" "$W/g.stack"
expect_rc 0 hp leaks --raw -n 0 --by site "$W/g1.pb" "$W/g2.pb"
[[ $(grep '^By age' "$W/out") == "$(grep '^By age' "$W/g.stack")" &&
    $(grep -c '^By age: 61440 of it allocated since the early profile, 51200 before it' "$W/out") == 1 ]] ||
    fail "the By age header differs between --by stack and --by site: $(cat "$W/g.stack" "$W/out")"
# The site's new and old: the sums of its stacks' (b shrank, so it has
# no row of growth: its 0 new and 51200 old are the rest of the heap's).
read -r _ _ _ _ _ _ snew sold _ <<<"$(grep -E "$X\$" "$W/g.stack")"
read -r _ _ _ _ _ _ new old _ srange _ <<<"$(grep -E "$X\$" "$W/out")"
[[ "$snew $sold" == "61440 0" && "$new $old $srange" == "$((snew + 0)) $((sold + 51200)) 51200" ]] ||
    fail "--by site: xsite's new/old are not its stacks' sums: $(cat "$W/g.stack" "$W/out")"

# Site rows are named as top --by site names them under the same flags.
# --lines: a recursion's three stacks (leak.c:30 under itself) are one
# site, its frames' functions read from the stacks as the set noted them.
for k in 1 2; do
    python3 "$CLI_SRC/craft_profiles.py" lines "$W/r$k.pb" --recursive --scale "$k" ||
        fail "craft_profiles.py lines $W/r$k.pb failed"
done
expect_rc 0 hp top --by site --lines -n 1 "$W/r2.pb"
L=$(grep -E '^ +29\.3 KiB' "$W/out" | sed -E 's/.*%  //')
[[ $L == "leak /src/app/leak.c:30 $A main /src/app/main.c:5" ]] || fail "top --by site --lines: $(cat "$W/out")"
expect_rc 0 hp leaks --by site --lines -n 1 "$W/r1.pb" "$W/r2.pb"
expect_in "$W/out" "^ +1 +\\+14\\.6 KiB +0 .* 3 +3  $L\$" "--by site --lines: the recursion's three stacks, one site"
# --wrapper: past xsite, each of its stacks is a site of its own.
expect_rc 0 hp top --by site --wrapper xsite "$W/p2.pb"
expect_in "$W/out" "  xcaller $A a \\(via xsite\\)\$" "top --by site --wrapper xsite"
expect_rc 0 hp leaks --by site --wrapper xsite "$W/p1.pb" "$W/p2.pb"
expect_in "$W/out" '^3 sites hold more live bytes'
expect_in "$W/out" "^ +[23] +\\+60\\.0 KiB .*  xcaller $A a \\(via xsite\\)\$" "--by site --wrapper xsite"
# --tag: only the tagged stack of xsite counts in its row.
python3 - "$W" "$CLI_SRC" <<'EOF' || fail "crafting the labelled pair failed"
import sys
sys.path.insert(0, sys.argv[2])
from make_corpus import STRINGS, field_varint, function, label, location, profile, sample
strings = STRINGS + ["malloc", "xsite", "xcaller", "a", "b", "thread", "io", "db"]
i = {s: k for k, s in enumerate(strings)}
names = ["main", "malloc", "xsite", "xcaller", "a", "b"]
funcs = [function(k + 1, i[f]) for k, f in enumerate(names)]
locs = [location(k + 1, [k + 1], 1, 0x1000 + 16 * k) for k in range(len(names))]
K = 1024
for n, (io, db) in enumerate([(1, 1), (10, 20)]):
    samples = [sample([2, 3, 4, 5, 1], [1, io * K], [label(i["thread"], s=i["io"])]),
               sample([2, 3, 4, 6, 1], [1, db * K], [label(i["thread"], s=i["db"])])]
    m = profile(samples=samples, locations=locs, functions=funcs, strings=strings)
    t0 = field_varint(9, 1700000000 * 10**9)
    with open("%s/t%d.pb" % (sys.argv[1], n + 1), "wb") as f:
        f.write(m.replace(t0, field_varint(9, (1700000000 + 10 * n) * 10**9)))
EOF
expect_rc 0 hp top --by site --tag thread=io "$W/t2.pb"
expect_in "$W/out" "^ +10\\.0 KiB .*  $X\$" "top --by site --tag thread=io"
expect_rc 0 hp leaks --by site --tag thread=io "$W/t1.pb" "$W/t2.pb"
expect_in "$W/out" '^1 site holds more live bytes'
expect_in "$W/out" "^ +1 +\\+9\\.00 KiB .*  $X\$" "--by site --tag thread=io: the io stack's growth alone"

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

# Time: 20000 stacks through one site of two 200 KB names, aged (so new
# and old are split per stack).  Each stack was looked up again by hashing
# its names, in born_split (four sets) and in the site rows, at every stack:
# 70 s, now under 2 s (the timeout is for a machine under load, far from
# either, as cli_recursion's).
python3 "$CLI_SRC/craft_profiles.py" long_sites "$W/l1.pb" 20000 200000 0 &&
    python3 "$CLI_SRC/craft_profiles.py" long_sites "$W/l2.pb" 20000 200000 100 ||
    fail "craft_profiles.py long_sites failed"
expect_rc 0 timeout 30 "$HEAPPROF_CLI" leaks --by site "$W/l1.pb" "$W/l2.pb"
expect_in "$W/out" "^0 sites hold more live bytes" "--by site of long names: its one site"

# --stacks lists a row's one stack: a site row has many.  One line, status 2.
expect_rc 2 hp leaks --by site --stacks "$W/p1.pb" "$W/p2.pb"
expect_in "$W/err" "^heapprof leaks: --stacks lists each row's one stack, and a --by site row sums all of its site's stacks: leave out --by site to list them$"
[[ ! -s "$W/out" ]] || fail "--by site --stacks printed: $(cat "$W/out")"
expect_rc 0 hp leaks --by site --by stack --stacks "$W/p1.pb" "$W/p2.pb"
expect_in "$W/out" '^ +xcaller$' "--by stack (the last --by) --stacks: the stacks"
expect_rc 2 hp leaks --by function "$W/p1.pb" "$W/p2.pb"
expect_in "$W/err" "--by 'function': use 'stack', 'site' or 'tag:KEY'"
note "ok"

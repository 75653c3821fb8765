#!/usr/bin/env bash
# heapprof leaks' classes over a series, on exact profiles whose every
# value is chosen (craft_profiles.py series: MiB live per site, 10 s apart;
# exact, so every change is significant).  In particular a site that dips
# below its baseline first and then grows to its highest at the end is a
# leak, not a working set; with the same dip, rising and then falling back
# by the end is a working set.
source "$(dirname "$0")/cli_lib.sh"

command -v python3 >/dev/null || skip "python3 is needed to craft the inputs"
craft() { python3 "$CLI_SRC/craft_profiles.py" "$@"; }

class_of() { # SITE CLASS: SITE's row has CLASS
    expect_in "$W/out" "^$2 .* $1 ← main\$" "$1 classified as $2"
}

# The shape of the report that found it: 10, 8, 30, 50 MiB.
craft series "$W/a" dip_grow=10,8,30,50 dip_work=10,8,50,20
expect_rc 0 hp leaks "$W"/a/p*.pb
class_of dip_grow leak
class_of dip_work 'working set'
expect_in "$W/out" '^4 profiles; stacks by class: 1 leak, 0 plateau, 1 working set, 0 shrank, 0 stable'

craft series "$W/b" leak=10,20,30,40,50 dip_grow=10,8,20,30,50 up_down_up=10,50,20,60,70 \
    work=10,30,50,30,10 dip_work=10,8,30,50,20 partial=10,50,20,40,40 \
    plateau=10,40,50,50,50 dip_plateau=10,5,50,50,50 shrank=50,40,30,30,30 \
    dip_back=20,10,20,20,20 stable=20,20,20,20,20
expect_rc 0 hp leaks -n 0 "$W"/b/p*.pb
for s in leak dip_grow up_down_up; do class_of "$s" leak; done
for s in work dip_work partial; do class_of "$s" 'working set'; done
for s in plateau dip_plateau; do class_of "$s" plateau; done
class_of shrank shrank
class_of dip_back shrank
expect_not_in "$W/out" ' stable ← main$' "the stable site listed"
expect_in "$W/out" '^5 profiles; stacks by class: 3 leak, 2 plateau, 3 working set, 2 shrank, 1 stable'

# The series HEAPPROF_KEEP leaves: the first profile, then the newest,
# close together (here 0, 100, 105 ... 120 s), sampled (standard errors of
# 6 MiB and 3 MiB).  A steady leak of 1 MiB/s grew as fast at the end as
# before; its middle profile, taken by position, was the 105 s one, so
# nearly all its growth fell in the "first half" and it read as a plateau.
# By time the middle is the 100 s one.  A cache that filled before 100 s
# and held is still a plateau.
# Each half of that fix on its own (steady passes with either).  By time:
# 'slowed' rose fast to 295 MiB at 100 s, then 300 at 105 s and on to 308
# at 120 s, still significantly growing from the middle by time (100 s,
# +13 MiB, ± 4.2): a leak; from 105 s, the middle by position, its +8 MiB
# is not significant and its rate fell from 2.8 to 0.5 MiB/s: it read as
# a plateau.  Per second: 'steady8' is the steady leak with a standard
# error of 8 MiB, so that its last 20 s (+20 MiB) are not significant; it
# grew 100 MiB in the 100 s before them and 20 in those 20 s, the same
# rate, but compared as bytes it read as a plateau.
mkdir -p "$W/k"
declare -A slowed=([0]=10 [100]=295 [105]=300 [110]=303 [115]=306 [120]=308)
for t in 0 100 105 110 115 120; do
    craft aged "$W/k/p$t.pb" --no-ages --time "$t" --duration $((1000 + t)) \
        "steady=0:$(((10 + t) * 1024)):6144" "cache=0:$(((t ? 110 : 10) * 1024)):3072" \
        "steady8=0:$(((10 + t) * 1024)):8192" "slowed=0:$((slowed[$t] * 1024)):3072"
done
expect_rc 0 hp leaks -n 0 "$W"/k/p*.pb
for s in steady steady8 slowed; do class_of "$s" leak; done
class_of cache plateau
# A profile given twice (here the last): the middle by time has the last's
# time stamp, which leaves no rate for the second half.  The cache that
# filled, then held, read as a leak; by position, as before time stamps
# were read, it is a plateau.
cp "$W/k/p120.pb" "$W/k/q120.pb"
expect_rc 0 hp leaks -n 0 "$W/k/p0.pb" "$W/k/p120.pb" "$W/k/q120.pb"
class_of cache plateau

# Ties: stacks that grew by the same bytes are ranked by name, as top and
# ages rank theirs, not in the order they were met (zeta's first here),
# which qsort need not even keep.
craft series "$W/c" zeta=1,2,3 mid=1,2,3 alpha=1,2,3
sites() { grep -Eo '[a-z]+ ← main$' "$W/out" | cut -d' ' -f1 | tr '\n' ' '; }
expect_rc 0 hp leaks "$W/c/p0.pb" "$W/c/p2.pb"
[[ $(sites) == "alpha mid zeta " ]] || fail "leaks EARLY LATE, equal growth: ranked $(sites)"
expect_rc 0 hp leaks "$W"/c/p*.pb
[[ $(sites) == "alpha mid zeta " ]] || fail "leaks over a series, equal growth: ranked $(sites)"

# Given out of order, a series is read as sorted by time stamp: the same
# report, to the byte (leaks reads the profiles one at a time in the
# order given, then reorders what it kept).
expect_rc 0 hp leaks -n 0 --stacks "$W"/b/p{0,1,2,3,4}.pb
cp "$W/out" "$W/sorted.out"
expect_rc 0 hp leaks -n 0 --stacks "$W"/b/p{3,0,4,2,1}.pb
cmp -s "$W/out" "$W/sorted.out" || fail "leaks over a shuffled series: $(diff "$W/sorted.out" "$W/out" | head -20)"

note "ok"

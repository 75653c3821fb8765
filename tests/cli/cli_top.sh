#!/usr/bin/env bash
# heapprof top: on an exact profile of a program with known allocations per
# function, the flat (and one cum) numbers equal the ground truth and ± is 0,
# for each sample type; on a sampled profile the ± column is present and
# nonzero, also after heapprof_set_sample(1) in the run; --by stack; -n;
# --cum; units; an unknown type; the committed Go
# profiles (gzipped and plain) read fine; a profile of 131072 stacks.
source "$(dirname "$0")/cli_lib.sh"

# --- exact mode: ground truth ---------------------------------------------------------
expect_rc 0 hp run --sample 1 -o "$W/ex" -- "$CLI_PROG" sites
cp "$W/out" "$W/truth"
ex=$(ls "$W"/ex.*.0001.pb.gz)
types=(alloc_objects alloc_space inuse_objects inuse_space)
for ti in 0 1 2 3; do
    t=${types[$ti]}
    expect_rc 0 hp top --raw --type "$t" -n 0 "$ex"
    cp "$W/out" "$W/top.$t"
    expect_in "$W/top.$t" "^Type: $t " "the type line"
    expect_in "$W/top.$t" "exact" "the exact-mode note"
    while read -r kind fn v0 v1 v2 v3; do
        vals=("$v0" "$v1" "$v2" "$v3")
        want=${vals[$ti]}
        row=$(awk -v f="$fn" '$NF == f' "$W/top.$t")
        # A function of 0 has no row, as in pprof -top (below).
        [[ -z "$row" && "$want" == 0 ]] && continue
        [[ -n "$row" ]] || fail "$t: no row for $fn: $(cat "$W/top.$t")"
        read -r flat flat_sd _ _ cum cum_sd _ _ <<<"$row"
        if [[ $kind == expect ]]; then
            [[ "$flat" == "$want" ]] || fail "$t: flat of $fn is $flat, the program says $want"
        else
            [[ "$cum" == "$want" ]] || fail "$t: cum of $fn is $cum, the program says $want"
        fi
        [[ "$flat_sd" == 0 && "$cum_sd" == 0 ]] || fail "$t: ± of $fn is $flat_sd/$cum_sd in an exact profile"
    done <"$W/truth"
done
note "exact: flat and cum equal the ground truth for all four types, ± 0"

# Rows of 0 are left out, as pprof -top leaves them out: alloc_gamma freed
# all it allocated, so it has no inuse row, by function or by stack, and
# "Showing N of M" counts the rows that hold something.
grep -q ' alloc_gamma$' "$W/top.alloc_space" || fail "no alloc_gamma row for alloc_space"
! grep -q 'alloc_gamma' "$W/top.inuse_space" || fail "inuse_space: a row of 0 for alloc_gamma: $(cat "$W/top.inuse_space")"
expect_rc 0 hp top --by stack --raw --type inuse_objects -n 0 "$ex"
! grep -qE '^ +0 +0 ' "$W/out" || fail "--by stack: rows of 0: $(cat "$W/out")"
rows=$(grep -c ' ← ' "$W/out")
expect_in "$W/out" "^Showing $rows of $rows stacks$" "the count of the rows shown"
expect_in "$W/out" "^Total: .* in $rows stacks$" "the Total line's count, the same"

# Human units by default, and a total line.
expect_rc 0 hp top --type alloc_space "$ex"
expect_in "$W/out" '17\.6 KiB .* alloc_beta$' "alloc_beta's 18000 bytes in KiB"
expect_in "$W/out" '^Total: .* ± 0 in [0-9]+ stacks$'
expect_in "$W/out" '^ +flat +± +flat% +sum% +cum +± +cum% +function$' "the column header"

# -n, --cum, --by stack
expect_rc 0 hp top -n 2 "$ex"
expect_in "$W/out" '^Showing 2 of [0-9]+ functions$'
[[ $(grep -cE '^ +[0-9.]+ [KMG]?i?B' "$W/out") -eq 2 ]] || fail "-n 2 did not show 2 rows: $(cat "$W/out")"
expect_rc 0 hp top --cum -n 1 "$ex"
expect_in "$W/out" ' 100\.0% +[^ ]+$' "--cum: the first row holds everything"
expect_rc 0 hp top --by stack --raw --type inuse_space -n 0 "$ex"
expect_in "$W/out" '^ +4662 +0 .* alloc_delta_leaf ← alloc_delta ← sites ← main' \
    "the two calls of alloc_delta_leaf merged into one stack, leaf first"
expect_in "$W/out" '^ +12000 +0 .* alloc_beta ← sites ← main'
expect_rc 2 hp top --by tree "$ex"
expect_in "$W/err" "--by 'tree': use 'function', 'stack', 'site' or 'tag:KEY'"

# Unknown type: the error lists the types there are.
expect_rc 1 hp top --type inuse_bananas "$ex"
expect_in "$W/err" "$ex: no sample type 'inuse_bananas' in this profile \(it has: alloc_objects, alloc_space, inuse_objects, inuse_space\)"

# --- sampled: ± present and nonzero -----------------------------------------------------
expect_rc 0 hp run --sample 64k -o "$W/sm" -- "$CLI_PROG" series 2
sm=$(ls "$W"/sm.*.0002.pb.gz)
expect_rc 0 hp top "$sm"
expect_in "$W/out" "standard error" "the explanation of ±"
row=$(awk '$NF == "leak_site"' "$W/out")
[[ -n "$row" ]] || fail "no leak_site row: $(cat "$W/out")"
read -r _ _ sd _ <<<"$row"
[[ "$sd" != 0 && "$sd" != "?" && "$sd" != "~"* ]] || fail "sampled: ± of leak_site is '$sd' ($row)"
expect_rc 0 hp top --raw "$sm"
row=$(awk '$NF == "leak_site"' "$W/out")
read -r flat sd _ <<<"$row"
[[ "$sd" =~ ^[0-9]+$ && "$sd" -gt 0 && "$sd" -lt "$flat" ]] || fail "sampled: raw ± of leak_site is '$sd' for $flat"

# --- sampled, then exact: heapprof_set_sample(1) in the run ---------------------------
# What was sampled before the switch stays an estimate: the profile must not
# read as exact (no "every allocation was recorded", ± 0), and its error
# labels must be there.  A fixed seed so that switch_sampled has samples.
HEAPPROF_SEED=7 expect_rc 0 hp run -o "$W/sw" -- "$CLI_PROG" switch
sw=$(ls "$W"/sw.*.0001.pb.gz)
expect_rc 0 hp top "$sw"
if grep -q "every allocation was recorded" "$W/out"; then
    fail "sampled, then set to 1: the profile reads as exact: $(cat "$W/out")"
fi
expect_in "$W/out" "standard error" "the explanation of ±"
row=$(awk '$NF == "switch_sampled"' "$W/out")
[[ -n "$row" ]] || fail "no switch_sampled row: $(cat "$W/out")"
read -r _ _ sd _ <<<"$row"
[[ "$sd" != 0 && "$sd" != "?" && "$sd" != "~"* ]] || fail "sampled, then set to 1: ± of switch_sampled is '$sd' ($row)"

# --- other producers: the committed Go heap profiles, gzipped and plain ---------------
for f in go_heap.gz go_pprof_proto.gz go_plain.pb; do
    expect_rc 0 hp top "$CLI_SRC/corpus/$f"
    expect_in "$W/out" '^ .* main\.goLeaf$' "main.goLeaf in $f"
    expect_in "$W/out" '~' "approximate errors (marked ~) for $f"
    expect_rc 0 hp top --type alloc_objects "$CLI_SRC/corpus/$f"
done
# A plain (not gzipped) heapprof profile.
expect_rc 0 hp top "$CLI_SRC/corpus/heapprof_exact_plain.pb"
# Standard input.
expect_rc 0 hp top - <"$ex"
expect_in "$W/out" 'alloc_alpha'

# --- C++ names, as go tool pprof shows them ---------------------------------------------
# The library writes the symbol tables' names, mangled; rows read
# _ZN3app8Registry3addEi where pprof's read app::Registry::add.
python3 "$CLI_SRC/craft_profiles.py" series "$W/cxx" _ZN3app8Registry3addEi=1,3 \
    _ZNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE9_M_mutateEmmPKcm=2,4 ||
    fail "craft_profiles.py series failed"
expect_rc 0 hp top "$W/cxx/p1.pb"
expect_in "$W/out" ' app::Registry::add$' "a C++ name demangled"
expect_in "$W/out" ' std::__cxx11::basic_string::_M_mutate$' "a C++ name simplified as pprof does"
expect_not_in "$W/out" '_ZN' "a mangled name"
expect_rc 0 hp leaks "$W/cxx/p0.pb" "$W/cxx/p1.pb"
expect_in "$W/out" ' app::Registry::add ← main$' "a C++ allocation site demangled"
# The standard library allocates for its caller: a string that grows is
# its caller's site, not std::__cxx11::basic_string::_M_mutate ← main.
expect_in "$W/out" ' main \(via std::__cxx11::basic_string::_M_mutate\)$' "std:: functions as allocator wrappers"
if command -v go >/dev/null; then
    go tool pprof -top "$W/cxx/p1.pb" >"$W/pprof.out" 2>/dev/null || fail "go tool pprof -top failed"
    expect_in "$W/pprof.out" ' app::Registry::add$' "pprof's name for it"
fi

# --- values past 2^53: --raw and counts print the profile's integers ------------------
# A double holds integers exactly only up to 2^53: 2^53 + 1 printed as
# 9007199254740992, and sums past it were rounded too.
python3 - "$W/big.pb" <<EOF
import sys
sys.path.insert(0, "$CLI_SRC")
from make_corpus import profile, sample
m = profile(samples=[sample([1, 2], [1, 2**53 + 1]), sample([2], [2**53 + 1, 2**62 + 3])])
open(sys.argv[1], "wb").write(m)
EOF
[[ -s $W/big.pb ]] || fail "crafting the profile of large values failed"
expect_rc 0 hp top --raw "$W/big.pb"
expect_in "$W/out" '^Total: 4620693217682128900 ' "2^62 + 3 + 2^53 + 1, exactly"
expect_in "$W/out" '^4611686018427387907 +[^ ]+ +[^ ]+ +[^ ]+ 4620693217682128900 .* main$' "main's flat and cum, exactly"
expect_in "$W/out" '^9007199254740993 .* 9007199254740993 .* leaf$' "leaf's 2^53 + 1"
expect_rc 0 hp top --raw --by stack "$W/big.pb"
expect_in "$W/out" '^9007199254740993 .* leaf ← main$' "--by stack: 2^53 + 1"
expect_rc 0 hp top --type inuse_objects "$W/big.pb"
expect_in "$W/out" '^9007199254740993 .* 9007199254740994 .* main$' "a count, without --raw"
# The other commands that keep exact sums print them so too (they printed
# them through a double: 9007199254740992, 4611686018427387904, ...).  An
# early profile of main's 1 byte, then big.pb; and big.pb with ages.
python3 - "$W/big0.pb" "$W/bigaged.pb" <<EOF
import sys
sys.path.insert(0, "$CLI_SRC")
import make_corpus as mc
from make_corpus import STRINGS, label, profile, sample
open(sys.argv[1], "wb").write(profile(samples=[sample([2], [1, 1])]))
strings = STRINGS + ["age", "seconds"]
mc.S.update({"age": len(STRINGS), "seconds": len(STRINGS) + 1})
age = lambda s: [label(mc.S["age"], s, mc.S["seconds"])]
open(sys.argv[2], "wb").write(profile(strings=strings, samples=[
    sample([1, 2], [1, 2**53 + 1], age(3600)), sample([2], [2**53 + 1, 2**62 + 3], age(0))]))
EOF
[[ -s $W/bigaged.pb ]] || fail "crafting the profiles of large values failed"
expect_rc 0 hp leaks --raw "$W/big0.pb" "$W/big.pb"
expect_in "$W/out" '^Live heap: 1 → 4620693217682128900 \(\+4620693217682128899 ± ' "leaks: the totals"
expect_in "$W/out" '^ +1 +\+4611686018427387906 .* 1 9007199254740993  main$' "leaks: main's growth and objects"
expect_in "$W/out" '^ +2 +\+9007199254740993 .* 0 +1  leaf ← main$' "leaks: leaf's growth"
expect_rc 0 hp leaks --raw "$W/big0.pb" "$W/big.pb" "$W/big.pb"
expect_in "$W/out" ' 1 4611686018427387907 4611686018427387907  main$' "leaks series: first, peak, last"
expect_rc 0 hp flame --folded "$W/big.pb"
expect_in "$W/out" '^main;leaf 9007199254740993$' "flame --folded: leaf's"
expect_in "$W/out" '^main 4611686018427387907$' "flame --folded: main's own"
expect_rc 0 hp flame --folded --base "$W/big0.pb" "$W/big.pb"
expect_in "$W/out" '^main 1 4611686018427387907$' "flame --folded --base: main's"
# Past 2^53 the sign of a change is the integers' too: the doubles of a
# base of 2^53 + 1 and of 2^53 are equal, and it read "+1".
python3 - "$W/bigb.pb" "$W/bigl.pb" <<EOF
import sys
sys.path.insert(0, "$CLI_SRC")
from make_corpus import profile, sample
open(sys.argv[1], "wb").write(profile(samples=[sample([2], [2**53 + 1, 2**53 + 1])]))
open(sys.argv[2], "wb").write(profile(samples=[sample([2], [2**53, 2**53])]))
EOF
[[ -s $W/bigl.pb ]] || fail "crafting the profiles of a change past 2^53 failed"
expect_rc 0 hp flame --type inuse_objects --base "$W/bigb.pb" -o "$W/bigdiff.svg" "$W/bigl.pb"
expect_in "$W/bigdiff.svg" 'base bigb\.pb: 9007199254740993, so -1 \(red: grew' "flame --base: the total's change"
[[ $(grep -c '^-1 since the base (9007199254740993 there)</title>' "$W/bigdiff.svg") == 2 ]] ||
    fail "flame --base: all and main did not shrink by 1: $(grep 'since the base' "$W/bigdiff.svg")"
expect_in "$W/bigdiff.svg" '<text [^>]*>main</text>' "flame --base: main's frame"
expect_not_in "$W/bigdiff.svg" 'rgb\(255,' "a frame coloured as grown"
expect_rc 0 hp flame --base "$W/bigb.pb" -o "$W/bigdiff.svg" "$W/bigl.pb"
expect_in "$W/bigdiff.svg" '^-1 B since the base \(8\.00 PiB there\)</title>' "flame --base: bytes"
expect_rc 0 hp flame --type inuse_objects -o "$W/bigcount.svg" "$W/big.pb"
expect_in "$W/bigcount.svg" ': 9007199254740994 ± ' "flame: the count in the subtitle"
expect_in "$W/bigcount.svg" '^9007199254740994 ± ~[0-9]+ \(100\.0%\)</title>' "flame: the count in the tooltips"
expect_rc 0 hp ages --raw -n 0 "$W/bigaged.pb"
expect_in "$W/out" '^Live: 4620693217682128900 ± .*, of which 9007199254740993 at least ' "ages: the totals"
expect_in "$W/out" ' 4611686018427387907 .*  main$' "ages: main's"
expect_in "$W/out" ' 9007199254740993 .*  leaf ← main$' "ages: leaf's"

# --- nothing live: an exit profile of a program that freed everything -----------------
# (sqlite3, python3 and perl free their data on their way out.)  The inuse
# report is empty, and a note says why and what shows the allocations: it
# was an empty table, without a word, and exit status 0.
python3 - "$W/freed.pb" <<EOF
import sys
sys.path.insert(0, "$CLI_SRC")
import make_corpus as mc
from make_corpus import STRINGS, profile, sample
strings = STRINGS + ["alloc_objects", "alloc_space"]
mc.S.update({"alloc_objects": len(STRINGS), "alloc_space": len(STRINGS) + 1})
types = (("alloc_objects", "count"), ("alloc_space", "bytes"), ("inuse_objects", "count"),
         ("inuse_space", "bytes"))
m = profile(types=types, strings=strings,
            samples=[sample([1, 2], [3, 12288, 0, 0]), sample([2], [1, 4096, 0, 0])])
open(sys.argv[1], "wb").write(m)
EOF
[[ -s $W/freed.pb ]] || fail "crafting the freed profile failed"
expect_rc 0 hp top "$W/freed.pb"
expect_in "$W/out" '^Total: 0 B ± 0 in 0 stacks$'
expect_in "$W/err" "^heapprof top: note: nothing is live in .*freed.pb \(inuse_space is 0\): the program had freed all it allocated .*; --type alloc_space shows what it allocated$"
[[ $(wc -l <"$W/err") -eq 1 ]] || fail "more than one line: $(cat "$W/err")"
expect_rc 0 hp top --type inuse_objects "$W/freed.pb"
expect_in "$W/err" "\(inuse_objects is 0\).*; --type alloc_objects shows what it allocated$"
expect_rc 0 hp top --type alloc_space "$W/freed.pb"
expect_in "$W/out" '^Total: 16\.0 KiB '
[[ ! -s $W/err ]] || fail "a note on alloc_space: $(cat "$W/err")"
expect_rc 0 hp flame "$W/freed.pb" -o "$W/freed.svg"
expect_in "$W/err" "^heapprof flame: note: .*freed.pb: nothing to draw: no sample has inuse_space above 0; the graph is empty$"
expect_in "$W/err" "^heapprof flame: note: nothing is live in .*; --type alloc_space shows what it allocated$"
# A profile with live bytes has no such note.
expect_rc 0 hp top "$ex"
expect_not_in "$W/err" "nothing is live"
note "nothing live: a note names --type alloc_space"

# --- a large real profile: 131072 stacks, 19 frames deep ------------------------------
# It loads within the reader's default decode bound (HEAPPROF_MAX_DECODE, 32
# times the decompressed size; this one needs about 11).  The stack table is
# enlarged so that no stack is merged.
HEAPPROF_MAX_STACKS=1000000 HEAPPROF_STACK_MEMORY=256m \
    expect_rc 0 hp run --sample 1 -o "$W/st" -- "$CLI_PROG" stacks 17
expect_in "$W/out" '^stacks 131072$' "the program's own count"
st=$(ls "$W"/st.*.0001.pb.gz)
expect_rc 0 hp top --by stack "$st"
n=$(sed -n 's/^Total: .* in \([0-9]*\) stacks$/\1/p' "$W/out")
[[ -n "$n" && "$n" -ge 131072 ]] || fail "not every stack read: $(head -8 "$W/out")"

note "ok"

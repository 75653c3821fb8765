#!/usr/bin/env bash
# --by tag:KEY: rows are the values of a sample label (thread pools,
# components), in top, ages, leaks and timeline; towers in flame.  A crafted exact series of
# three profiles, 10 s apart: io-1 grows 1 -> 2 -> 3 MiB (a leak), db holds
# 1 MiB, io-2 goes up and back (a working set), and an unlabelled stack
# holds 64 KiB; a component label on io-1's samples only.
source "$(dirname "$0")/cli_lib.sh"

python3 - "$W" <<EOF
import sys
sys.path.insert(0, "$CLI_SRC")
from make_corpus import STRINGS, field_varint, label, profile, sample
strings = STRINGS + ["thread", "io-1", "io-2", "db", "component", "cache"]
i = {s: k for k, s in enumerate(strings)}
def th(name, comp=None):
    ls = [label(i["thread"], s=i[name])]
    if comp:
        ls.append(label(i["component"], s=i[comp]))
    return ls
M = 1 << 20
for n, (io1, io2) in enumerate([(1, 0), (2, 2), (3, 0)]):
    samples = [sample([1, 2], [io1, io1 * M], th("io-1", "cache")),
               sample([2], [1, M], th("db")),
               sample([1], [1, 65536])]
    if io2:
        samples.append(sample([2, 1], [io2, io2 * M], th("io-2")))
    m = profile(samples=samples, strings=strings)
    t0 = field_varint(9, 1700000000 * 10**9)
    assert m.count(t0) == 1
    with open("%s/s%d.pb" % (sys.argv[1], n + 1), "wb") as f:
        f.write(m.replace(t0, field_varint(9, (1700000000 + 10 * n) * 10**9)))
EOF
[[ -s $W/s3.pb ]] || fail "crafting the series failed"

# top: one row per value, the unlabelled samples under "(no thread label)".
expect_rc 0 hp top --by tag:thread --raw "$W/s2.pb"
expect_in "$W/out" "^Showing 4 of 4 values of label thread$"
expect_in "$W/out" "^ +2097152 .*  thread=io-1$"
expect_in "$W/out" "^ +2097152 .*  thread=io-2$"
expect_in "$W/out" "^ +1048576 .*  thread=db$"
expect_in "$W/out" "^ +65536 .*  \(no thread label\)$"
expect_not_in "$W/out" "  (main|leaf)( |$)" "function names in rows by label"
# With --tag, only the samples selected, by another key's values.
expect_rc 0 hp top --by tag:thread --tag component=cache --raw "$W/s3.pb"
expect_in "$W/out" "^Showing 1 of 1 values of label thread$"
expect_in "$W/out" "^ +3145728 .*  thread=io-1$"
expect_rc 0 hp top --by tag:component --raw "$W/s3.pb"
expect_in "$W/out" "^ +3145728 .*  component=cache$"
expect_in "$W/out" "^ +1114112 .*  \(no component label\)$"

# leaks over the series: io-1 is the leak, io-2 a working set, db stable.
expect_rc 0 hp leaks --by tag:thread --raw "$W/s1.pb" "$W/s2.pb" "$W/s3.pb"
expect_in "$W/out" "^3 profiles; values of label thread by class: 1 leak, 0 plateau, 1 working set, 0 shrank, 2 stable"
expect_in "$W/out" "^leak +\+2097152 .*  thread=io-1$"
expect_in "$W/out" "^working set +0 .* 2097152 +0  thread=io-2$"
expect_not_in "$W/out" "thread=db" "a stable value listed by leaks"
# Two profiles: the growth per value.
expect_rc 0 hp leaks --by tag:thread --raw "$W/s1.pb" "$W/s3.pb"
expect_in "$W/out" "^1 value of label thread holds more live bytes in the late profile; all 1:"
expect_in "$W/out" "^ +1 +\+2097152 .*  thread=io-1$"
expect_in "$W/out" "^The same difference in pprof: go tool pprof -tags -sample_index=inuse_space -base "

# timeline: one band per value.
expect_rc 0 hp timeline --by tag:thread -o "$W/t.svg" "$W/s1.pb" "$W/s2.pb" "$W/s3.pb"
expect_in "$W/t.svg" "Live heap over time, by label thread<"
for v in io-1 io-2 db; do
    expect_in "$W/t.svg" "thread=$v" "band of $v in the timeline"
done

# ages reads the values too (these profiles have no ages: it says so).
expect_rc 1 hp ages --by tag:thread "$W/s3.pb"
expect_in "$W/err" "age"

# flame: the values are towers right above the bottom bar (y 104 where
# "all" is at 121), their stacks above them, as pprof's -tagroot.
expect_rc 0 hp flame --by tag:thread -o "$W/f.svg" "$W/s3.pb"
tr '\n' ' ' <"$W/f.svg" >"$W/f.flat"
expect_in "$W/f.flat" '<title>all 4.06 MiB [^<]*</title><rect x="[0-9.]+" y="121.0"'
expect_in "$W/f.flat" '<title>thread=io-1 3.00 MiB ± 0 \(73.8%\)</title><rect x="[0-9.]+" y="104.0"'
expect_in "$W/f.flat" '<title>thread=db 1.00 MiB ± 0 \(24.6%\)</title><rect x="[0-9.]+" y="104.0"'
expect_in "$W/f.flat" '<title>main 3.00 MiB ± 0 \(73.8%\)</title><rect x="[0-9.]+" y="87.0"'
expect_rc 0 hp flame -o "$W/plain.svg" "$W/s3.pb"
expect_not_in "$W/plain.svg" "thread=" "label frames without --by"
# With --base, both profiles get them: io-1 grew by 2 MiB.
expect_rc 0 hp flame --by tag:thread --base "$W/s1.pb" -o "$W/d.svg" "$W/s3.pb"
tr '\n' ' ' <"$W/d.svg" >"$W/d.flat"
expect_in "$W/d.flat" '<title>thread=io-1 3.00 MiB [^<]*\+2.00 MiB since the base'

# The last --by counts.
expect_rc 0 hp timeline --by tag:thread --by site -o "$W/t2.svg" "$W/s1.pb" "$W/s3.pb"
expect_not_in "$W/t2.svg" "thread=" "timeline --by tag:thread --by site: label bands"
expect_rc 0 hp top --by tag:thread --by function "$W/s3.pb"
expect_not_in "$W/out" "thread=" "top --by tag:thread --by function: label rows"

# A key no sample has: one row, and a note naming the labels there are.
expect_rc 0 hp top --by tag:age --raw "$W/s3.pb"
expect_in "$W/out" "^Showing 1 of 1 values of label age$"
expect_in "$W/err" "note: no sample of .*s3.pb has a label age, so every one is \"\(no age label\)\" \(the labels of its samples: thread, component\)"

# A numeric label (heapprof's age and lifetime, the bytes label pprof sets
# on some profiles, another producer's counter) is its value with its unit,
# "KEY=value unit", in every command: it was "(no KEY label)" for every
# sample.
python3 - "$W/num.pb" <<EOF
import sys
sys.path.insert(0, "$CLI_SRC")
from make_corpus import STRINGS, label, profile, sample
s = STRINGS + ["age", "seconds", "n"]
i = {x: k for k, x in enumerate(s)}
age = lambda v: label(i["age"], v, i["seconds"])
size = lambda v: label(i["bytes"], v, i["bytes"])
open(sys.argv[1], "wb").write(profile(strings=s, samples=[
    sample([1, 2], [1, 4096], [age(3600), size(4096)]),
    sample([2], [2, 8192], [age(0), size(4096), label(i["n"], 7)]),
    sample([1], [1, 1024], [age(60), size(1024)])]))
EOF
[[ -s $W/num.pb ]] || fail "crafting the profile of numeric labels failed"
expect_rc 0 hp top --by tag:bytes --raw "$W/num.pb"
expect_in "$W/out" "^Showing 2 of 2 values of label bytes$"
expect_in "$W/out" "^ +12288 .*  bytes=4096 bytes$"
expect_in "$W/out" "^ +1024 .*  bytes=1024 bytes$"
[[ ! -s $W/err ]] || fail "top --by tag:bytes: a note: $(cat "$W/err")"
expect_rc 0 hp top --by tag:n --raw "$W/num.pb"
expect_in "$W/out" "^ +8192 .*  n=7$" "a numeric label without a unit"
expect_in "$W/out" "^ +5120 .*  \(no n label\)$"
expect_rc 0 hp ages --by tag:age --raw -n 0 "$W/num.pb"
expect_in "$W/out" "^Showing 3 of 3 values of label age with live bytes$"
for v in "8192 .*  age=0" "4096 .*  age=3600" "1024 .*  age=60"; do
    expect_in "$W/out" " $v seconds$" "ages --by tag:age: $v"
done
expect_rc 0 hp flame --by tag:bytes -o "$W/num.svg" "$W/num.pb"
expect_in "$W/num.svg" "<title>bytes=4096 bytes$" "flame's tower of a numeric value"
expect_rc 0 hp flame --by tag:bytes --folded "$W/num.pb"
expect_in "$W/out" "^bytes=4096 bytes;main 8192$"
expect_in "$W/out" "^bytes=1024 bytes;leaf 1024$"
# A key no sample has: the note lists numeric keys too.
expect_rc 0 hp top --by tag:thread "$W/num.pb"
expect_in "$W/err" "\(the labels of its samples: age, bytes, n\)"

# A key heapprof writes, that no sample has: the note says where such
# labels come from (they were not asked for), not when some sample has it.
expect_rc 0 hp top --by tag:thread "$CLI_SRC/corpus/tiny.pb"
expect_in "$W/err" "\(the labels of its samples: none\); heapprof writes thread labels when the program runs with HEAPPROF_THREAD_LABEL=name or pool$"
expect_rc 0 hp top --tag 'thread=io-*' "$CLI_SRC/corpus/tiny.pb"
expect_in "$W/err" "has thread=io-\* \(the labels of its samples: none\); heapprof writes thread labels when the program runs with HEAPPROF_THREAD_LABEL=name or pool$"
expect_rc 0 hp top --tag component=parser "$CLI_SRC/corpus/tiny.pb"
expect_in "$W/err" "; component labels come from the program's heapprof_label_push\(\)$"
expect_rc 0 hp top --tag thread=nomatch "$W/s3.pb"
expect_in "$W/err" "has thread=nomatch \(the labels of its samples: thread, component\)$"

# Once for a series, not once per profile.
expect_rc 0 hp leaks --by tag:nokey "$W/s1.pb" "$W/s2.pb" "$W/s3.pb"
[[ $(grep -c "has a label nokey" "$W/err") == 1 ]] || fail "leaks --by tag:nokey: the note $(grep -c "has a label nokey" "$W/err") times"

# A sample with two values of one key (other producers write such):
# --tag matches either, as pprof's -tagfocus does.
python3 - "$W/mv.pb" <<EOF
import sys
sys.path.insert(0, "$CLI_SRC")
from make_corpus import STRINGS, label, profile, sample
s = STRINGS + ["thread", "io-1", "io-2"]
i = {x: k for k, x in enumerate(s)}
open(sys.argv[1], "wb").write(profile(samples=[sample([1], [1, 4096], [
    label(i["thread"], s=i["io-1"]), label(i["thread"], s=i["io-2"])])], strings=s))
EOF
expect_rc 0 hp top --raw --tag thread=io-2 "$W/mv.pb"
expect_in "$W/out" "^Total: 4096 "

# Usage errors: one line, status 2.
for cmd in top leaks timeline ages flame; do
    args=("$W/s1.pb")
    [[ $cmd == leaks || $cmd == timeline ]] && args+=("$W/s2.pb")
    expect_rc 2 hp "$cmd" --by tag: "${args[@]}"
    expect_in "$W/err" "--by tag:KEY wants a label key"
done
expect_rc 2 hp leaks --by site "$W/s1.pb" "$W/s2.pb"
expect_in "$W/err" "--by 'site': use 'tag:KEY'"
expect_rc 2 hp top --by tagthread "$W/s1.pb"
expect_in "$W/err" "--by 'tagthread': use 'function', 'stack' or 'tag:KEY'"
expect_rc 2 hp flame --by stack "$W/s1.pb"
expect_in "$W/err" "--by 'stack': use 'tag:KEY'"
note "ok"

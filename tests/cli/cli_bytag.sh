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
expect_in "$W/plain.svg" '>all \(4\.06 MiB\)</text>' "the graph without --by" # (else the next passes on nothing)
expect_not_in "$W/plain.svg" "thread=" "label frames without --by"
# With --base, both profiles get them: io-1 grew by 2 MiB.
expect_rc 0 hp flame --by tag:thread --base "$W/s1.pb" -o "$W/d.svg" "$W/s3.pb"
tr '\n' ' ' <"$W/d.svg" >"$W/d.flat"
expect_in "$W/d.flat" '<title>thread=io-1 3.00 MiB [^<]*\+2.00 MiB since the base'

# The last --by counts.
expect_rc 0 hp timeline --by tag:thread --by site -o "$W/t2.svg" "$W/s1.pb" "$W/s3.pb"
expect_in "$W/t2.svg" '<title>leaf ← main</title>' "timeline --by tag:thread --by site: the sites' bands"
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

# top --max-lifetime with --tag prints the pprof runs that make the same
# table: a -proto -tagfocus run of the --tag filter, then the lifetimes'.
# Run for real, they must keep the samples --tag keeps (each sample is its
# own function s<i>, freed at once): a '=' in a pattern (pprof cuts
# -tagfocus at its first '='), keys with regexp characters, ',' and '(',
# [:class:], '\' in a bracket, [!...], * and ?.  What pprof would read
# otherwise is said, not printed: a control character in a label (which
# --tag sees as the '?' heapprof shows), bytes that are not UTF-8 in a
# pattern or a key.
python3 - "$W" <<EOF
import sys
sys.path.insert(0, "$CLI_SRC")
from make_corpus import field_bytes, field_varint, function, label, location, sample, value_type
def write(path, cases):
    strs = ["", "alloc_objects", "count", "alloc_space", "bytes", "lifetime", "seconds"]
    def s(x):
        if x not in strs:
            strs.append(x)
        return strs.index(x)
    m = field_bytes(1, value_type(1, 2)) + field_bytes(1, value_type(3, 4))
    for i, ls in enumerate(cases):
        labels = [label(5, 0, 6)] + [label(s(k), s=s(v)) for k, v in ls]
        m += field_bytes(2, sample([i + 1], [1, 1000 + i], labels))
    for i in range(len(cases)):
        m += field_bytes(4, location(i + 1, [i + 1], 0)) + field_bytes(5, function(i + 1, s("s%d" % i)))
    for x in strs:
        m += field_bytes(6, x.encode() if isinstance(x, str) else x)
    open(path, "wb").write(m + field_varint(9, 1700000000 * 10**9))
write(sys.argv[1] + "/lt.pb", [
    [("a.b", "x"), ("c", "y=z")], [("aXb", "x"), ("c", "y=z")], [("a.b", "x"), ("c", "y")],
    [("k", "5")], [("k", "a")], [("k", "x-y")], [("k", "]")], [("k", "\\\\")],
    [("a(b", "1"), ("c,d", "2")], [("a(b", "1"), ("c", "2")]])
# a value past ASCII (? matches one byte of it); a key with a ':'
write(sys.argv[1] + "/wide.pb", [[("k", "\u00e9"), ("c", "1")], [("k", "ab")], [("k:c", "1")]])
# a control character in a value; bytes that are not UTF-8 (an F8 lead byte)
write(sys.argv[1] + "/ctl.pb", [[("k", "x\ny")], [("k", "ab")]])
write(sys.argv[1] + "/bad.pb", [[(b"\xff", "x"), ("c", "y")], [("k", b"\xf8\x90\x80\x80")]])
EOF
[[ -s $W/lt.pb && -s $W/wide.pb && -s $W/ctl.pb && -s $W/bad.pb ]] || fail "crafting the profiles of labels with lifetimes failed"
# kept ARGS...: heapprof top --max-lifetime 1s ARGS's functions, into $W/kept.
kept() {
    expect_rc 0 hp top --raw --max-lifetime 1s "$@"
    awk '/  function$/ {f = 1; next} f {print $NF}' "$W/out" | sort >"$W/kept"
    [[ -s $W/kept ]] || fail "top --max-lifetime 1s $*: no function kept: $(cat "$W/out")"
}
# same_in_pprof WANT ARGS...: the functions kept are WANT, and so they are
# by the pprof runs printed.
same_in_pprof() {
    local want=$1 first then
    shift
    kept "$@"
    [[ $(tr '\n' ' ' <"$W/kept") == "$want " ]] ||
        fail "top --max-lifetime 1s $*: expected $want kept, found: $(cat "$W/out")"
    first=$(sed -n 's/^ *the same in pprof: \(go tool pprof -proto .* >tagged\.pb\.gz\)$/\1/p' "$W/out")
    then=$(sed -n 's/^ *then go tool pprof \(.* tagged\.pb\.gz\)$/\1/p' "$W/out")
    [[ -n $first && -n $then ]] || fail "top --max-lifetime 1s $*: no pprof runs: $(cat "$W/out")"
    have_go || return 0
    (cd "$W" && eval "$first") 2>"$W/pp.err" ||
        fail "top --max-lifetime 1s $*: '$first' failed: $(cat "$W/pp.err")"
    (cd "$W" && eval "go tool pprof -top -nodecount=1000 $then") >"$W/pp.top" 2>"$W/pp.err" ||
        fail "top --max-lifetime 1s $*: 'go tool pprof $then' failed: $(cat "$W/pp.err")"
    awk '$6 ~ /^s[0-9]+$/ {print $6}' "$W/pp.top" | sort >"$W/pp.kept"
    cmp -s "$W/kept" "$W/pp.kept" ||
        fail "top --max-lifetime 1s $*: heapprof keeps $want, the pprof runs $(tr '\n' ' ' <"$W/pp.kept")($first; then $then): $(cat "$W/pp.top")"
}
same_in_pprof "s0" --tag a.b=x --tag 'c=y=z' "$W/lt.pb"
same_in_pprof "s8" --tag 'a(b=1' --tag 'c,d=2' "$W/lt.pb"
same_in_pprof "s3" --tag 'k=[[:digit:]]' "$W/lt.pb"
same_in_pprof "s6 s7" --tag 'k=[\]\\]' "$W/lt.pb"
same_in_pprof "s3 s6 s7" --tag 'k=[!a]' "$W/lt.pb"
same_in_pprof "s5" --tag 'k=x?y' --tag 'k=x*y' "$W/lt.pb"
same_in_pprof "s4 s5" --tag 'k=a' --tag 'k=*y' "$W/lt.pb"
kept --tag 'k=[[=a=]]' "$W/lt.pb"
expect_in "$W/out" "^      \(--tag 'k=\[\[=a=\]\]' cannot be shown as a pprof -tagfocus: pprof's regexps have no \[\. or \[= in a bracket\)$"
expect_not_in "$W/out" "go tool pprof" "a pprof run for [=a=]"
kept --tag 'k=??' "$W/wide.pb"
expect_in "$W/out" "^      \(the --tag patterns cannot be shown as a pprof -tagfocus: a label value holds bytes past ASCII: a \? or \[!\.\.\.\] matches one byte of it, where pprof's regexps match one UTF-8 character\)$"
kept --tag 'k=*' --tag 'c=1' "$W/wide.pb"
expect_in "$W/out" "cannot be shown as a pprof -tagfocus: a label key of the profile holds a ':'"
same_in_pprof "s1" --tag 'k=a*' "$W/wide.pb"
kept --tag 'k=*' "$W/ctl.pb"
expect_in "$W/out" "cannot be shown as a pprof -tagfocus: a label of the profile holds a control character, which --tag reads as '\?' and pprof as itself\)$"
expect_not_in "$W/out" "go tool pprof" "a pprof run for a label with a newline"
kept --tag $'k=\xf8\x90\x80\x80' "$W/bad.pb"
expect_in "$W/out" "cannot be shown as a pprof -tagfocus: it is not UTF-8, which pprof's regexps want\)$"
kept --tag $'\xff=x' --tag c=y "$W/bad.pb"
expect_in "$W/out" "cannot be shown as a pprof -tagfocus: its key is not UTF-8, which pprof's regexps want\)$"

# Usage errors: one line, status 2.
for cmd in top leaks timeline ages flame; do
    args=("$W/s1.pb")
    [[ $cmd == leaks || $cmd == timeline ]] && args+=("$W/s2.pb")
    expect_rc 2 hp "$cmd" --by tag: "${args[@]}"
    expect_in "$W/err" "--by tag:KEY wants a label key"
done
expect_rc 2 hp leaks --by function "$W/s1.pb" "$W/s2.pb"
expect_in "$W/err" "--by 'function': use 'stack', 'site' or 'tag:KEY'"
expect_rc 2 hp top --by tagthread "$W/s1.pb"
expect_in "$W/err" "--by 'tagthread': use 'function', 'stack', 'site' or 'tag:KEY'"
expect_rc 2 hp flame --by stack "$W/s1.pb"
expect_in "$W/err" "--by 'stack': use 'tag:KEY'"
note "ok"

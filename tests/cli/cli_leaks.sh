#!/usr/bin/env bash
# heapprof leaks: a program with one leaking site (+2 MiB per phase, never
# freed) and one working-set site (0, 4, 8, 4, 0 MiB), a profile taken by
# signal after each phase.  The leak ranks first in the two-file diff, the
# series calls it "leak" and the working set "working set"; a diff taken
# mid-series (which a single diff cannot tell apart) ranks the working set
# first.  Sampled (the real case, 32 KiB mean interval: the margins are many
# standard errors wide) and exact; with ages, the bytes allocated since the
# first profile and before it.
source "$(dirname "$0")/cli_lib.sh"

check_series() { # PREFIX MODE
    local p=$1 mode=$2
    local f1=$p.0001.pb.gz f3=$p.0003.pb.gz f5=$p.0005.pb.gz
    for n in 1 2 3 4 5 6; do
        [[ -s $p.000$n.pb.gz ]] || fail "$mode: profile $p.000$n.pb.gz missing ($(ls "$W"))"
    done

    # Two files: the leak first, with its growth, rate, objects and the pprof command.
    expect_rc 0 hp leaks "$f1" "$f5"
    cp "$W/out" "$W/diff.$mode"
    first=$(grep -E '^ +1 ' "$W/out" || true)
    [[ "$first" == *"leak_site ← series" ]] || fail "$mode: rank 1 is not leak_site: $(cat "$W/out")"
    [[ "$first" =~ \+[0-9.]+\ MiB ]] || fail "$mode: no growth in MiB on rank 1: $first"
    [[ "$first" =~ MiB/s ]] || fail "$mode: no growth per second on rank 1: $first"
    expect_not_in "$W/out" 'working_set_site' "the working set (no growth first to last) in the diff"
    expect_in "$W/out" "^The same difference in pprof: go tool pprof -top -base $f1 $f5\$"

    # A diff in the middle of the series: the working set looks worse.
    expect_rc 0 hp leaks "$f1" "$f3"
    first=$(grep -E '^ +1 ' "$W/out" || true)
    [[ "$first" == *"working_set_site ← series" ]] || fail "$mode: mid-series rank 1: $(cat "$W/out")"

    # The series tells them apart.
    expect_rc 0 hp leaks "$p".000[1-5].pb.gz
    cp "$W/out" "$W/series.$mode"
    expect_in "$W/out" '^leak +\+[0-9.]+ MiB .* leak_site ← series$' "$mode: leak_site classified as leak"
    expect_in "$W/out" '^working set +.* working_set_site ← series$' \
        "$mode: working_set_site classified as working set"
    expect_in "$W/out" '^5 profiles; stacks by class: 1 leak, 0 plateau, 1 working set'
    # Given in any order, they are sorted by time stamp.
    expect_rc 0 hp leaks "$f5" "$f3" "$f1" "$p.0002.pb.gz" "$p.0004.pb.gz"
    diff <(grep -E '^(leak|working set) ' "$W/out") <(grep -E '^(leak|working set) ' "$W/series.$mode") ||
        fail "$mode: the series depends on the order of the files"
}

expect_rc 0 hp run --sample 32k -o "$W/s" -- "$CLI_PROG" series 5
pid=$(sed -n 's/.*(pid \([0-9]*\)).*/\1/p' "$W/err")
check_series "$W/s.$pid" sampled
# One process's series: no note.  Profiles of two processes (heapprof's
# "process run=" comments differ): a note, in leaks and in timeline.
expect_rc 0 hp leaks "$W/s.$pid.0001.pb.gz" "$W/s.$pid.0005.pb.gz"
expect_not_in "$W/err" "different processes" "a note on one process's series"
expect_rc 0 hp run --sample 32k -o "$W/s2" -- "$CLI_PROG" series 1
pid2=$(sed -n 's/.*(pid \([0-9]*\)).*/\1/p' "$W/err")
expect_rc 0 hp leaks "$W/s.$pid.0001.pb.gz" "$W/s2.$pid2.0002.pb.gz"
expect_in "$W/err" "^heapprof leaks: note: $W/s\.$pid\.0001\.pb\.gz and $W/s2\.$pid2\.0002\.pb\.gz were written by different processes \(their run ids differ" \
    "the note on profiles of two processes"
expect_rc 0 hp timeline -o "$W/two.svg" "$W/s.$pid.0001.pb.gz" "$W/s.$pid.0002.pb.gz" "$W/s2.$pid2.0002.pb.gz"
expect_in "$W/err" "^heapprof timeline: note: .* were written by different processes .*the timeline joins their heaps"
expect_rc 0 hp timeline -o "$W/one.svg" "$W/s.$pid.0001.pb.gz" "$W/s.$pid.0002.pb.gz"
expect_not_in "$W/err" "different processes" "a timeline note on one process's series"
expect_in "$W/diff.sampled" 'standard error' "the error explanation"
row=$(grep -E '^ +1 ' "$W/diff.sampled")
read -r _ _ sd _ <<<"$row"
[[ "$sd" != 0 && "$sd" != "?" ]] || fail "sampled: the growth's ± is '$sd'"
# new and old get the late profile's error for the row: nonzero, and at
# most the growth's, which adds the early profile's; old lies in its range.
expect_rc 0 hp leaks --raw "$W/s.$pid.0001.pb.gz" "$W/s.$pid.0005.pb.gz"
row=$(grep -E '^ +1 ' "$W/out")
read -r _ _ gsd _ _ _ _ old bsd rng site _ <<<"$row"
[[ "$bsd" =~ ^[0-9]+$ && "$bsd" -gt 0 && "$bsd" -le "$gsd" ]] ||
    fail "sampled: new and old's ± is '$bsd', the growth's '$gsd': $row"
[[ "$rng" =~ ^[0-9]+(\.\.[0-9]+)?$ && "$site" == leak_site ]] || fail "sampled: old range '$rng': $row"
((${rng%..*} <= old && old <= ${rng#*..})) || fail "sampled: old $old outside its range $rng"
expect_in "$W/out" '^By age: [0-9]+ of it allocated since the early profile, [0-9]+ before it \(± [1-9][0-9]*\)$'

expect_rc 0 hp run --sample 1 -o "$W/x" -- "$CLI_PROG" series 5
pid=$(sed -n 's/.*(pid \([0-9]*\)).*/\1/p' "$W/err")
check_series "$W/x.$pid" exact
# Exact: live objects before and after are the program's own counts (2 MiB
# of 16 KiB blocks per phase), and the growth is exactly 8 MiB: all of it
# allocated after the first profile, and the first 2 MiB before it (the
# profiles are milliseconds apart, all in the age band [0, 1 s): the
# series' bounds tell them apart, src/cli/birth.h).
expect_rc 0 hp leaks --raw "$W/x.$pid.0001.pb.gz" "$W/x.$pid.0005.pb.gz"
expect_in "$W/out" '^ +1 +\+8388608 +0 .* 128 +640 +8388608 +2097152 +0 +2097152  leak_site ← series$' \
    "exact growth, object counts, new and old bytes, their ± (0) and old's range (one number)"
expect_rc 0 hp leaks --stacks "$W/x.$pid.0001.pb.gz" "$W/x.$pid.0005.pb.gz"
expect_in "$W/out" '^ +main$' "--stacks prints the whole stack"

# A slow leak: 30 KiB in a day is 0.356 bytes per second, which printed as
# "0 B/s" (whole bytes), with --raw as "0/s".  Taken in the other order, the
# span is a day back, not "-8.64e+04 s".
if command -v python3 >/dev/null; then
    craft() { python3 "$CLI_SRC/craft_profiles.py" aged "$@"; }
    craft "$W/day0.pb" --exact --time 0 --duration 100 slow=0:100:0
    craft "$W/day1.pb" --exact --time 86400 --duration 86500 slow=0:10:0,60:10:0,86400:110:0
    expect_rc 0 hp leaks "$W/day0.pb" "$W/day1.pb"
    expect_in "$W/out" '^Live heap: 100 KiB → 130 KiB \(\+30\.0 KiB ± 0, 0\.356 B/s\)$' "the slow rate in the header"
    expect_in "$W/out" '^ +1 +\+30\.0 KiB +0 +0\.356 B/s .* slow ← main$' "the slow rate on its row"
    expect_rc 0 hp leaks --raw "$W/day0.pb" "$W/day1.pb"
    expect_in "$W/out" '^ +1 +\+30720 +0 +0\.356/s +100 +130 ' "the slow rate with --raw"
    expect_rc 0 hp leaks "$W/day1.pb" "$W/day0.pb"
    expect_in "$W/out" '^Span: -24\.0 h$' "a span back in time"
    # A profile without inuse_objects counts no objects: "?", not 0.
    python3 "$CLI_SRC/craft_profiles.py" signed "$W/obj.pb" few=1:100
    python3 "$CLI_SRC/craft_profiles.py" signed "$W/noobj.pb" --space-only few=3:300
    expect_rc 0 hp leaks "$W/obj.pb" "$W/noobj.pb"
    expect_in "$W/out" '^ +1 +\+200 B .* 1 +\?  few ← main$' "objects unknown after, not 0"
    python3 "$CLI_SRC/craft_profiles.py" signed "$W/obj5.pb" few=5:500
    expect_rc 0 hp leaks "$W/noobj.pb" "$W/obj5.pb"
    expect_in "$W/out" '^ +1 +\+200 B .* \? +5  few ← main$' "objects unknown before, not 0"
    # Two runs of one program: the same stack, through a frame without a
    # symbol in a shared library (glibc's __libc_start_call_main is in
    # every stack), at another address (ASLR).  Named by its address, it
    # kept every stack of one run from matching the other's: "grew" from 0
    # (before: 0 objects), where pprof shows the site shrank.  Named as
    # pprof names it, [libc.so.6], the stacks match.
    aslr() {
        python3 - "$CLI_SRC" "$@" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from make_corpus import S, STRINGS, location, mapping, profile, sample
out, addr, objs = sys.argv[2], int(sys.argv[3], 16), int(sys.argv[4])
strings = STRINGS + ["/lib/x86_64-linux-gnu/libc.so.6"]
maps = [mapping(1, S["a.out"]), mapping(2, len(STRINGS))]
locs = [location(1, [2], 1), location(2, [1], 1, 0x1100), location(3, [], 2, addr)]
open(out, "wb").write(profile(samples=[sample([1, 2, 3], [objs, objs * 4096])], locations=locs,
                              mappings=maps, strings=strings))
PY
    }
    aslr "$W/run1.pb" 7f1234529d90 5
    aslr "$W/run2.pb" 7f5678629d90 3
    expect_rc 0 hp leaks "$W/run1.pb" "$W/run2.pb"
    expect_in "$W/out" '^0 stacks hold more live bytes' "a stack of two runs matched"
    expect_rc 0 hp leaks "$W/run2.pb" "$W/run1.pb"
    expect_in "$W/out" '^ +1 +\+8\.00 KiB .* 3 +5  leaf ← main$' "a stack of two runs matched"
    expect_rc 0 hp top --by stack "$W/run1.pb"
    expect_in "$W/out" ' leaf ← main ← \[libc\.so\.6\]$' "an unsymbolized frame named by its file"
    # Memory: a long series is not held whole (this suite is left out of
    # sanitizer builds, whose shadow memory would count).  40 profiles of
    # 10000 stacks 10 frames deep took 213 MB, every profile's decoded
    # samples kept to the end; read one at a time, it is the stackset's
    # cells and a few profiles: 82 MB with seven cells per stack per
    # profile, 36 MB with the two a series reads (inuse_space, alloc_space)
    # and the last profile's four new/old figures once per stack.
    python3 "$CLI_SRC/craft_profiles.py" stacks "$W/st.pb.gz" 10000 10
    many=()
    for _ in $(seq 40); do many+=("$W/st.pb.gz"); done
    kib=$(python3 -c '
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$HEAPPROF_CLI" leaks "${many[@]}")
    [[ $kib -lt 50000 ]] ||
        fail "leaks over 40 profiles of 10000 stacks: at most $kib KiB resident, not under 50000"
else
    note "no python3: the slow leak's rate, unknown objects and runs' stacks are not checked"
fi

# A sampled profile, then an exact one (two runs): the header described the
# last profile alone, "Sampling: none ... so ± is 0", above a ± of 562 KiB
# that the sampled one's errors make.  It describes the sampled one now, and
# counts the exact.
c=$CLI_SRC/corpus
expect_rc 0 hp leaks "$c/heapprof_sampled.gz" "$c/heapprof_exact.gz"
expect_not_in "$W/out" '^Sampling: none' "an exact profile's 'no sampling' beside sampled errors"
expect_in "$W/out" '^Sampling: one sample per 32\.0 KiB' "the sampled profile's interval"
expect_in "$W/out" '^Exact: +1 of the 2 profiles recorded every allocation' "the exact one counted"
expect_rc 0 hp leaks "$c/heapprof_exact.gz" "$c/heapprof_exact.gz"
expect_in "$W/out" '^Sampling: none, every allocation was recorded' "all exact: as before"
expect_not_in "$W/out" '^Exact:'

# A series that ends with the exit profile of a program that frees its data
# on the way out (perl frees a file-scope lexical): there the leak is a
# working set that came back down, and a note says why and what to do.
if command -v perl >/dev/null; then
    # shellcheck disable=SC2016
    expect_rc 0 hp run --sample 64k --period 0.25 -o "$W/pl" -- perl -e \
        'my @a; for (1 .. 150) { push @a, "x" x 100000; select(undef, undef, undef, 0.01) }'
    mapfile -t pl < <(compgen -G "$W/pl.*.pb.gz" | sort)
    ((${#pl[@]} >= 3)) || fail "perl: expected periodic profiles and an exit one: ${pl[*]}"
    expect_rc 0 hp leaks "${pl[@]}"
    expect_in "$W/err" "^heapprof leaks: note: ${pl[-1]//./\\.} was written at exit, with less than half the live bytes of " \
        "the note on an exit profile after the program freed its data"
    expect_rc 0 hp leaks "${pl[@]:0:${#pl[@]}-1}"
    expect_not_in "$W/err" "written at exit" "the note without the exit profile"
    expect_in "$W/out" '^leak ' "the leak, without the exit profile"
fi
# A program that frees nothing at exit: its exit profile (x's 0006) gets no note.
expect_rc 0 hp leaks "$W/x.$pid.0003.pb.gz" "$W/x.$pid.0006.pb.gz"
expect_not_in "$W/err" "written at exit" "the note where the exit profile holds the heap"

# A runtime's allocation API allocates for its caller: a Python program's
# every site read "_PyObject_Malloc ← _PyObject_Malloc" (an inlined copy of
# itself), a Rust program's "alloc::raw_vec::finish_grow ← alloc::...".  A
# program's own allocator is named with --wrapper (a shell pattern); the
# site is then its caller, in leaks, ages and timeline alike.
python3 "$CLI_SRC/craft_profiles.py" series "$W/rt" \
    '_PyObject_Malloc;_PyObject_Malloc;PyByteArray_Resize;bytearray_init=1,3' \
    'alloc::raw_vec::finish_grow;alloc::raw_vec::RawVec::grow_one;app::index::add;app::run=1,4' \
    'arena_alloc_node;parse_tree=1,5' \
    '<alloc::string::String as core::fmt::Write>::write_str;<u64 as core::fmt::Display>::fmt;core::fmt::write;alloc::fmt::format;app::fmt_row;app::run=1,6' \
    '__rust_alloc;<app::Row as core::fmt::Display>::fmt;app::show=1,7' || fail "craft_profiles.py series failed"
expect_rc 0 hp leaks "$W/rt/p0.pb" "$W/rt/p1.pb"
expect_in "$W/out" ' PyByteArray_Resize ← bytearray_init \(via _PyObject_Malloc\)$' "CPython's allocator skipped"
expect_in "$W/out" ' app::index::add ← app::run \(via alloc::raw_vec::RawVec::grow_one\)$' "Rust's alloc:: skipped"
expect_in "$W/out" ' arena_alloc_node ← parse_tree$' "a program's own allocator is a site without --wrapper"
expect_in "$W/out" ' app::fmt_row ← app::run \(via alloc::fmt::format\)$' "format!: Rust's core::fmt above its allocator skipped"
expect_in "$W/out" ' <app::Row as core::fmt::Display>::fmt ← app::show \(via __rust_alloc\)$' \
    "a program's own impl of a standard trait is its site"
expect_rc 0 hp leaks --wrapper 'arena_*' --wrapper PyByteArray_Resize "$W/rt/p0.pb" "$W/rt/p1.pb"
expect_in "$W/out" ' parse_tree ← main \(via arena_alloc_node\)$' "--wrapper: the site is past the program's allocator"
expect_in "$W/out" ' bytearray_init ← main \(via PyByteArray_Resize\)$' "--wrapper: a second pattern"
expect_rc 0 hp ages --wrapper leak_site "$W/x.$pid.0005.pb.gz"
expect_in "$W/out" ' series ← main \(via leak_site\)$' "ages --wrapper"
expect_rc 0 hp timeline --wrapper 'arena_*' -o "$W/rt.svg" "$W/rt/p0.pb" "$W/rt/p1.pb"
grep -q 'parse_tree ← main (via arena_alloc_node)' "$W/rt.svg" ||
    fail "timeline --wrapper: no band named 'parse_tree ← main (via arena_alloc_node)' in $W/rt.svg"
# top --by site: the same sites, with what each holds in the one profile.
expect_rc 0 hp top --by site "$W/rt/p1.pb"
expect_in "$W/out" '^Showing 5 of 5 sites$' "top --by site: one row a site"
expect_in "$W/out" '^ +7\.00 MiB .* <app::Row as core::fmt::Display>::fmt ← app::show \(via __rust_alloc\)$' "top --by site: the heaviest first"
expect_in "$W/out" ' 3\.00 MiB .* PyByteArray_Resize ← bytearray_init \(via _PyObject_Malloc\)$' "top --by site: CPython's"
expect_rc 0 hp top --by site --wrapper 'arena_*' "$W/rt/p1.pb"
expect_in "$W/out" ' 5\.00 MiB .* parse_tree ← main \(via arena_alloc_node\)$' "top --by site --wrapper"
expect_rc 2 hp top --by sites "$W/rt/p1.pb"
expect_in "$W/err" "use 'function', 'stack', 'site' or 'tag:KEY'"
expect_rc 2 hp leaks --wrapper '' "$W/rt/p0.pb" "$W/rt/p1.pb"
expect_in "$W/err" "^heapprof leaks: --wrapper wants a function name or a shell pattern"

# A recursive site (or one inlined into a copy of itself) is named by its
# first caller that is not the site again: it read "copy_command ←
# copy_command", and each depth of a recursion was a site of its own.  Two
# depths of one recursion are one site in top --by site and timeline, and
# leaks (a row a stack) names both the same; a site with no other caller
# stands alone.  Depths 1 and 2 (A;B, A;A;B), which keyed by the next
# frame differ, must merge.
python3 "$CLI_SRC/craft_profiles.py" series "$W/rec" 'A;B=1,2' 'A;A;B=1,3' \
    'xmalloc;copy_command;copy_command=1,4' || fail "craft_profiles.py series failed"
expect_rc 0 hp top --by site "$W/rec/p1.pb"
expect_in "$W/out" '^Showing 2 of 2 sites$' "top --by site: two depths of a recursion one site"
expect_in "$W/out" '^ +5\.00 MiB .*  A ← B$' "top --by site: a recursive site named by its caller"
expect_in "$W/out" '^ +4\.00 MiB .*  copy_command ← main \(via xmalloc\)$' "top --by site: the wrapper kept"
expect_not_in "$W/out" 'A ← A' "top --by site: a site named as its own caller"
expect_rc 0 hp leaks "$W/rec/p0.pb" "$W/rec/p1.pb"
expect_in "$W/out" '^ +2 .*  A ← B$' "leaks: the deeper stack named by the recursion's caller"
expect_in "$W/out" '^ +3 .*  A ← B$' "leaks: the shallower stack named the same"
expect_rc 0 hp timeline -o "$W/rec.svg" "$W/rec/p0.pb" "$W/rec/p1.pb"
[[ $(grep -c '<title>A ← B' "$W/rec.svg") == 1 ]] ||
    fail "timeline: not one band 'A ← B': $(grep -o '<title>[^<]*' "$W/rec.svg")"
grep -q 'A ← A' "$W/rec.svg" && fail "timeline: a band named 'A ← A'"
expect_rc 0 hp timeline --site 'A ← B' -o "$W/rec1.svg" "$W/rec/p0.pb" "$W/rec/p1.pb"

# Errors.
expect_rc 2 hp leaks "$W/x.$pid.0001.pb.gz"
expect_in "$W/err" "needs at least two profiles"
expect_rc 1 hp leaks "$W/x.$pid.0001.pb.gz" "$W/nope.pb.gz"
expect_in "$W/err" "$W/nope.pb.gz: no such file"

note "ok"

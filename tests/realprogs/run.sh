#!/usr/bin/env bash
# tests/realprogs/run.sh [NAME...] - widely used programs, run plain and with
# libheapprof.so preloaded.  For each: identical stdout and exit status (and
# identical output files where the program writes one), no line from the
# profiler on stderr, no PATH.tmp left, every profile a complete and
# consistent pprof file (pbcheck), and `go tool pprof -symbolize=none`
# (names from the profile alone, not from pprof's own lookup) shows the
# functions expected.
#
# NAME: python perl sqlite gcc pipeline git mt unwind rust (default: all).  mt is our
# multi-threaded C++ program (mt.cc), run in exact mode (HEAPPROF_SAMPLE=1)
# and checked to the byte; the others run at the default interval.
#
# A program that is missing is installed with apt-get when running as root
# (CI); otherwise the test is skipped (exit status 77, which ctest reports
# as skipped).  `go` missing is a failure unless HEAPPROF_SKIP_GO=1.
#
# Environment: HEAPPROF_LIB, PBCHECK, MT_PROG, RP_WORK (set by CMake).
TEST_TAG=realprogs
# shellcheck source=../lib/common.sh
source "$(dirname "$0")/../lib/common.sh"
need_env PBCHECK MT_PROG RP_WORK
need_lib
scrub_env
export LC_ALL=C
# The work directory is shared by the realprogs_* tests (each NAME cleans
# its own RP_WORK/NAME): not recreated here.
W=$RP_WORK
mkdir -p "$W"

# run_both DIR CMD...: CMD in DIR/plain and, preloaded, in DIR/prof (each
# its own working directory); stdout, stderr and status compared.
# Extra environment for the profiled run: PROF_ENV (array).
run_both() {
    local d=$1; shift
    mkdir -p "$d/plain" "$d/prof" "$d/out"
    local rc1 rc2
    set +e
    (cd "$d/plain" && "$@") >"$d/plain.out" 2>"$d/plain.err"
    rc1=$?
    (cd "$d/prof" && env "${PROF_ENV[@]}" HEAPPROF_OUT="$d/out/p" LD_PRELOAD="$HEAPPROF_LIB" "$@") \
        >"$d/prof.out" 2>"$d/prof.err"
    rc2=$?
    set -e
    [[ $rc1 -eq $rc2 ]] || fail "exit status $rc2 with the profiler, $rc1 without; stderr: $(tail -n 5 "$d/prof.err")"
    cmp -s "$d/plain.out" "$d/prof.out" ||
        fail "stdout differs with the profiler: $(diff "$d/plain.out" "$d/prof.out" | head -n 8)"
    if grep -qE "$HP_ANY" "$d/prof.err"; then
        fail "the profiler printed: $(grep -E "$HP_ANY" "$d/prof.err" | head -n 3)"
    fi
    diff <(not_hp "$d/prof.err") "$d/plain.err" >/dev/null ||
        fail "stderr differs with the profiler: $(diff "$d/plain.err" "$d/prof.err" | head -n 8)"
    RC=$rc1
}

# check_profiles DIR MIN_FILES: at least MIN_FILES profiles, all sound; the
# union of their -top tables (names from the profiles only) in DIR/top.
check_profiles() {
    local d=$1 min=$2 f n=0
    no_tmp_left "$d/out" --recursive
    : >"$d/top"
    go_setup
    for f in "$d"/out/p.*.pb.gz; do
        [[ -e $f ]] || continue
        n=$((n + 1))
        "$PBCHECK" "$f" >"$f.chk" 2>&1 || fail "pbcheck: $(cat "$f.chk")"
        [[ $GO_OK == yes ]] || continue
        pprof_top "$f" "$f.top" -symbolize=none -sample_index=alloc_space -nodecount=100000 \
            -nodefraction=0 -edgefraction=0
        cat "$f.top" >>"$d/top"
    done
    [[ $n -ge $min ]] || fail "expected at least $min profiles, found $n"
    PROFILES=$n
}

# expect_names DIR NAME...: each NAME (fixed string) in some profile's table.
expect_names() {
    local d=$1 name; shift
    [[ $GO_OK == yes ]] || return 0
    for name in "$@"; do
        grep -qF -- "$name" "$d/top" ||
            fail "function '$name' not in any profile; functions seen: $(awk 'NF>=6 {print $6}' "$d/top" | sort -u | head -n 40 | tr '\n' ' ')"
    done
}

t_python() {
    need python3 python3
    local d=$RP_WORK/python
    cat >"$RP_WORK/alloc.py" <<'EOF'
d = {}
for i in range(200000):
    d["key%d" % i] = [i] * (i % 50)
total = 0
for i in range(3000):
    b = bytearray(40000 + i)   # > 512 bytes: through malloc, not pymalloc's arenas
    total += len(b)
print(len(d), sum(len(v) for v in d.values()), total)
EOF
    # The distribution's interpreter when there is one (not a version
    # manager's shim, which is a shell script starting other processes).
    local py=python3
    [[ -x /usr/bin/python3 ]] && py=/usr/bin/python3
    PROF_ENV=()
    run_both "$d" "$py" "$RP_WORK/alloc.py"
    check_profiles "$d" 1
    # Every sample's stack runs through the interpreter's main loop; the
    # bytearrays come from PyByteArray_Resize.
    expect_names "$d" Py_BytesMain _PyEval_EvalFrameDefault PyByteArray_Resize
}

t_perl() {
    need perl perl-base
    local d=$RP_WORK/perl
    PROF_ENV=()
    run_both "$d" perl -e 'my %h; for my $i (1..200000) { $h{"k$i"} = [($i) x ($i % 20)] }
        my $n = 0; $n += @$_ for values %h; my $s = "x" x 1000; $s .= $s for 1..14;
        print scalar(keys %h), " $n ", length($s), "\n"'
    check_profiles "$d" 1
    expect_names "$d" perl_run Perl_safesysmalloc
}

t_sqlite() {
    need sqlite3 sqlite3
    local d=$RP_WORK/sqlite
    PROF_ENV=()
    run_both "$d" sqlite3 :memory: "
        CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, v REAL);
        WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000)
        INSERT INTO t SELECT x, printf('name-%08d', x), x * 0.5 FROM c;
        CREATE INDEX t_name ON t(name);
        SELECT count(*), sum(v), max(name) FROM t;
        SELECT name FROM t ORDER BY name DESC LIMIT 3;"
    check_profiles "$d" 1
    expect_names "$d" sqlite3_step
}

t_gcc() {
    need gcc gcc
    local d=$RP_WORK/gcc
    mkdir -p "$d"
    {
        echo '#include <stdio.h>'
        for i in $(seq 1 300); do
            echo "static int f$i(int x) { int a[16]; for (int i = 0; i < 16; i++) a[i] = x * i + $i; return a[x & 15]; }"
        done
        echo 'int main(void) { int s = 0;'
        for i in $(seq 1 300); do echo "  s += f$i(s);"; done
        echo '  printf("%d\n", s); return 0; }'
    } >"$d/gen.c"
    PROF_ENV=()
    run_both "$d" gcc -O2 -c "$d/gen.c" -o gen.o
    cmp -s "$d/plain/gen.o" "$d/prof/gen.o" || fail "gcc produced a different object file under the profiler"
    # The driver, cc1 and as each write a profile.
    check_profiles "$d" 3
    expect_names "$d" __libc_start_main
}

t_pipeline() {
    need sort coreutils
    need awk mawk
    local d=$RP_WORK/pipeline
    PROF_ENV=()
    run_both "$d" bash -c 'seq 1 300000 | awk "{ print (\$1 * 7919) % 5000 }" | sort | uniq -c | sort -n | tail -n 5'
    # bash, seq, awk, sort, uniq, sort, tail: one profile each at least.
    check_profiles "$d" 7
    expect_names "$d" __libc_start_main
}

t_git() {
    need git git
    local d=$RP_WORK/git
    PROF_ENV=()
    local script='
        export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.invalid GIT_COMMITTER_NAME=t
        export GIT_COMMITTER_EMAIL=t@example.invalid GIT_AUTHOR_DATE="2020-01-01T00:00:00Z"
        export GIT_COMMITTER_DATE="2020-01-01T00:00:00Z" GIT_CONFIG_NOSYSTEM=1 HOME=$PWD
        git init -q -b main repo && cd repo
        for i in $(seq 1 40); do seq 1 $((i * 50)) > f$i.txt; done
        git add . && git commit -q -m first
        for i in $(seq 1 40 3); do echo change >> f$i.txt; done
        git commit -q -am second
        git log --format="%H %s" && git diff --stat HEAD~1 | tail -n 1'
    run_both "$d" bash -c "$script"
    check_profiles "$d" 4
    expect_names "$d" __libc_start_main
}

t_mt() {
    local d=$RP_WORK/mt
    PROF_ENV=(HEAPPROF_SAMPLE=1)
    run_both "$d" "$MT_PROG" --pidfile pid
    # The parent, the /bin/true it execs after a fork, and the exec'd copy
    # of itself.
    check_profiles "$d" 3
    local pid f
    pid=$(cat "$d/prof/pid")
    f="$d/out/p.$pid.0001.pb.gz"
    [[ -f $f ]] || fail "no exit profile of the parent ($f)"
    "$PBCHECK" --leaf '' "$f" >"$f.leaf" || fail "pbcheck $f"
    grep -q '^comment dropped_samples stack_table=0 live_table=0 ' "$f.leaf" ||
        fail "samples dropped in exact mode: $(grep dropped "$f.leaf")"
    local site want got
    while read -r _ site ao as; do
        want="$ao $as"
        got=$(awk -v s="$site" '$1=="leaf" && index($2, s) {print $3, $4}' "$f.leaf")
        [[ $got == "$want" ]] || fail "$site: program counted (objects bytes) $want, profile has ${got:-nothing}"
        note "$site: $want, exact"
    done < <(grep '^expect ' "$d/prof.out")
    local caught
    caught=$(awk '$1=="caught" {print $2}' "$d/prof.out")
    got=$(awk '$1=="leaf" && $2=="__cxa_allocate_exception" {print $3}' "$f.leaf")
    [[ $got == "$caught" ]] || fail "exceptions: $caught thrown, __cxa_allocate_exception has ${got:-no} objects"
    expect_names "$d" mt_aligned mt_array __cxa_allocate_exception
}

# unwind: heapprof's own unwinder against libunwind on optimised code from
# the distribution (python3, perl, sort, and cmake for C++; built without
# frame pointers, and python's stacks are deep): one deterministic run of each in exact mode
# (every allocation a sample) with HEAPPROF_FAST_UNWIND=1 and one with 0
# must give the same stacks with the same totals (the address layout fixed
# with setarch -R where allowed), and the walker, not
# libunwind, must have walked about 99 % of them.
t_unwind() {
    need python3 python3
    need perl perl-base
    local d=$RP_WORK/unwind py=python3
    [[ -x /usr/bin/python3 ]] && py=/usr/bin/python3
    mkdir -p "$d"
    printf '%s\n' 'import json, re' 'd = {}' 'for i in range(20000):' \
        '    d["key%d" % i] = [i] * (i % 50)' \
        's = json.dumps({k: v for k, v in list(d.items())[:3000]})' \
        'print(len(d), len(s), len(re.findall(r"[0-9]+", s)))' >"$d/u.py"
    seq 1 50000 | awk '{print ($1 * 7919) % 50021, "line", $1}' >"$d/lines.txt"
    need cmake cmake
    # C++: cmake's script mode, std::string and std::vector throughout.
    printf '%s\n' 'set(l "")' 'foreach(i RANGE 1 3000)' '  string(REPEAT "x" ${i} s)' \
        '  string(MD5 h "${s}")' '  list(APPEND l "${h}")' 'endforeach()' 'list(SORT l)' \
        'string(REGEX MATCHALL "[0-9]+" nums "${l}")' 'list(LENGTH nums m)' \
        'list(GET l 0 first)' 'message("${first} ${m}")' >"$d/u.cmake"
    local name fast
    for name in python perl sort cmake; do
        for fast in 1 0; do
            case $name in
            python) unwind_run "$d" python "$fast" "$py" "$d/u.py" ;;
            perl) unwind_run "$d" perl "$fast" perl -e 'my %h; for my $i (1..20000) {
                $h{"k$i"} = [($i) x ($i % 20)] } my $s = join(",", sort keys %h);
                print scalar(keys %h), " ", length($s), "\n"' ;;
            sort) unwind_run "$d" sort "$fast" sort -k1,1n -S 1M "$d/lines.txt" ;;
            cmake) unwind_run "$d" cmake "$fast" cmake -P "$d/u.cmake" ;;
            esac
        done
        unwind_compare "$d" "$name"
    done
    PROFILES=8
}

# rust: ripgrep, from the distribution.  Rust's standard library allocates
# through the C library's malloc (its System allocator), so heapprof sees
# every allocation of a Rust program; rg searches on two threads, which
# allocate and free each other's buffers.  The same output (sorted, as the
# threads finish in any order) and sound profiles.  Debian strips the
# binary, so its own frames have no names; the unwinders are compared on
# it as in t_unwind (pbcheck --stacks gives such a frame as its file
# offset, "rg+0x1a2b3"), in a single-threaded search (--sort path).
t_rust() {
    need rg ripgrep
    local d=$RP_WORK/rust i j
    mkdir -p "$d/tree"
    for i in $(seq 1 12); do
        mkdir -p "$d/tree/d$i"
        for j in $(seq 1 15); do
            seq 1 $((i * j * 40)) | awk -v k="$i$j" '{print "line", $1 * k % 10007, "of", k}' >"$d/tree/d$i/f$j.txt"
        done
    done
    PROF_ENV=(HEAPPROF_SAMPLE=16k)
    run_both "$d" bash -c "rg -j2 -c '7[0-9]3|99' '$d/tree' | sort"
    # bash, rg, sort.
    check_profiles "$d" 3
    expect_names "$d" __libc_start_main
    local fast
    for fast in 1 0; do
        unwind_run "$d" rg "$fast" rg -j1 --sort path -n '7[0-9]3' "$d/tree"
    done
    unwind_compare "$d" rg
    PROFILES=$((PROFILES + 2))
}

# unwind_compare DIR NAME: the two runs of unwind_run for NAME (FAST=1 and
# 0) printed the same, found the same stacks with the same totals, and the
# walker, not libunwind, walked about 99 % of them.
unwind_compare() {
    local d=$1 name=$2 samples fallbacks
    cmp -s "$d/$name.1.out" "$d/$name.0.out" || fail "$name: the two runs printed different output"
    [[ -s $d/$name.1.stacks ]] || fail "$name: no stacks in the profile"
    # Lines in one list only.  A wrong walk would move every sample of
    # a stack to another list line, thousands in these programs; one
    # rare allocation that only one run made (python hashes some
    # objects by address: ASLR, when setarch cannot turn it off) is
    # tolerated, and shown.
    local only nstacks ndiff objs
    only=$(comm -3 "$d/$name.1.stacks" "$d/$name.0.stacks")
    nstacks=$(wc -l <"$d/$name.1.stacks")
    ndiff=$(printf '%s' "$only" | grep -c . || true)
    objs=$(printf '%s\n' "$only" | awk '{s += $2} END {print s + 0}')
    samples=$(grep -o '^comment samples=[0-9]*' "$d/$name.1.chk" | cut -d= -f2)
    ((ndiff <= nstacks / 100 + 1 && objs <= ${samples:-0} / 1000 + 2)) ||
        fail "$name: heapprof's unwinder and libunwind disagree ($nstacks and $(wc -l <"$d/$name.0.stacks") stacks, $ndiff lines differ):
$(diff "$d/$name.1.stacks" "$d/$name.0.stacks" | head -n 6 | cut -c 1-300)"
    [[ $ndiff -eq 0 ]] || note "$name: $ndiff list line(s) in one run only (allowed): $(printf '%s' "$only" | head -n 2 | cut -c 1-200)"
    grep -q '^comment .*unwinder=heapprof ' "$d/$name.1.chk" || fail "$name: the profile does not say unwinder=heapprof"
    grep -q '^comment .*unwinder=libunwind ' "$d/$name.0.chk" || fail "$name: the profile does not say unwinder=libunwind"
    fallbacks=$(grep -o 'unwind_fallbacks=[0-9]*' "$d/$name.1.chk" | cut -d= -f2)
    [[ -n $samples && -n $fallbacks ]] || fail "$name: no samples= or unwind_fallbacks= comment"
    # 1 %, and two more.  (ld.so's entry code, which calls the
    # constructors, has no CFI: the walker ends a stack there, under rbp
    # 0, and no longer leaves the stacks of cmake's static constructors,
    # 0.3 %, or of libstdc++'s initialiser to libunwind.)
    ((fallbacks <= samples / 100 + 2)) ||
        fail "$name: the walker left $fallbacks of $samples stacks to libunwind (more than 1 %)"
    note "$name: $samples samples in $(wc -l <"$d/$name.1.stacks") distinct stacks, the same from both unwinders; $fallbacks stacks left to libunwind"
}

# unwind_run DIR NAME FAST CMD...: CMD preloaded in exact mode with
# HEAPPROF_FAST_UNWIND=FAST; its profile's stacks, sorted, in
# DIR/NAME.FAST.stacks, pbcheck's report in DIR/NAME.FAST.chk.
unwind_run() {
    local d=$1 name=$2 fast=$3
    local dir=$d/$name.$fast
    shift 3
    mkdir -p "$dir"
    # The same address layout in both runs where the machine lets setarch
    # turn randomisation off.
    local norand=()
    setarch "$(uname -m)" -R true 2>/dev/null && norand=(setarch "$(uname -m)" -R)
    (cd "$dir" && "${norand[@]}" env PYTHONHASHSEED=0 PERL_HASH_SEED=0 PERL_PERTURB_KEYS=0 \
        HEAPPROF_SAMPLE=1 HEAPPROF_FAST_UNWIND="$fast" HEAPPROF_OUT="$dir/p" \
        LD_PRELOAD="$HEAPPROF_LIB" "$@") >"$dir.out" 2>"$dir.err" ||
        fail "$name with HEAPPROF_FAST_UNWIND=$fast failed: $(tail -n 3 "$dir.err")"
    if grep -qE "$HP_ANY" "$dir.err"; then
        fail "$name: the profiler printed: $(grep -E "$HP_ANY" "$dir.err" | head -n 3)"
    fi
    local f=("$dir"/p.*.pb.gz)
    [[ ${#f[@]} -eq 1 && -f ${f[0]} ]] || fail "$name: expected one profile in $dir, found ${f[*]}"
    "$PBCHECK" --stacks "${f[0]}" >"$dir.chk" || fail "pbcheck: $(tail -n 3 "$dir.chk")"
    # One line per stack: a stack is one sample per age band of its live
    # objects (src/ages.h), and the two runs' objects need not fall in the
    # same bands, so the samples of a stack are added up.
    awk '$1 == "stack" {
            k = $0; sub(/^stack [^|]*\|/, "", k)
            for (i = 2; i <= 5; i++) v[k, i] += $i
            seen[k] = 1
        }
        END { for (k in seen) printf "stack %.0f %.0f %.0f %.0f |%s\n", v[k, 2], v[k, 3], v[k, 4], v[k, 5], k }' \
        "$dir.chk" | sort >"$d/$name.$fast.stacks"
}

all=(python perl sqlite gcc pipeline git mt unwind rust)
[[ $# -gt 0 ]] || set -- "${all[@]}"
for NAME in "$@"; do
    TEST_TAG="realprogs $NAME"
    declare -F "t_$NAME" >/dev/null || fail "unknown program $NAME (one of: ${all[*]})"
    start=$SECONDS
    [[ -n ${RP_KEEP:-} ]] || rm -rf "${RP_WORK:?}/$NAME"
    "t_$NAME"
    note "ok: same output and status, $PROFILES profile(s), $((SECONDS - start)) s"
    [[ -n ${RP_KEEP:-} ]] || rm -rf "${RP_WORK:?}/$NAME"
done

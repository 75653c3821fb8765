#!/usr/bin/env bash
# tests/faults/run.sh MODE - fail the profiler's own allocations (MODE=mem)
# or its file I/O (MODE=io) on the Nth call, for every N the run reaches,
# or from the Nth call on (MODE=persistent), and check after each run that:
#   - the program's stdout and exit status are those of a run without the
#     profiler (stdout includes its count of errno values changed across
#     successful allocator calls and dumps: it must stay 0);
#   - stderr holds nothing but "heapprof[PID]: " lines, at most one per failed
#     profile plus one for unmappable tables and one for each table found
#     full or out of memory (a record or a shard that could not be
#     allocated), and one for each profile written without some names
#     (the mappings, a file's symbols or build-id could not be read for
#     memory; the profiles are then held to the weaker check of degraded
#     ones), each one line;
#   - no PATH.tmp is left, and every *.pb.gz present is one complete gzip
#     stream holding a consistent profile, numbered 0001.. without gaps;
#   - profiles + "cannot write profile" lines = the 3 profiles asked for;
#   - each profile that reports no dropped samples equals, per site and to
#     the byte (exact mode), one of the program's three profile points, in
#     order; one that reports drops never shows more than the truth.
#   - the injector really failed exactly one call when N was in range.
#
# MODE=io_named and io_copy: io where the profiles cannot be unnamed files
# (tmpfileshim.c, preloaded first: O_TMPFILE refused as on NFS, so named
# temporary files), or can be but never linked (no capability, no /proc,
# so the first is copied to a named file), the I/O of those ways failed.
#
# Environment (tests/faults/CMakeLists.txt): FAULT_LIB, FAULTPROG, PBCHECK,
# FAULT_WORK (a private directory, removed on success; /dev/shm is used
# instead when writable, unless FAULT_ON_DISK=1).  FAULT_MAX_N caps the
# range of N (default: every call the counting run saw, plus 3).
mode=${1:?usage: run.sh mem|io|persistent|io_named|io_copy}
TEST_TAG="faults_$mode plain"
# shellcheck source=../lib/common.sh
source "$(dirname "$0")/../lib/common.sh"
need_env FAULT_LIB FAULTPROG PBCHECK FAULT_WORK
# Profiles go to memory when possible: each one is fdatasync'ed, which on a
# disk costs ~0.1 s, and a few hundred runs write three each.
if [[ -d /dev/shm && -w /dev/shm && -z ${FAULT_ON_DISK:-} ]]; then
    work_init "$(mktemp -d /dev/shm/heapprof-faults.XXXXXX)"
else
    work_init "$FAULT_WORK"
fi
scrub_env
PRELOAD=$FAULT_LIB SHIM=()
case $mode in
io_named | io_copy)
    need_env TMPFILE_SHIM_LIB
    PRELOAD="$TMPFILE_SHIM_LIB $FAULT_LIB"
    SHIM=(TMPFILE_SHIM=$([[ $mode == io_named ]] && echo notmpfile || echo nolink))
    ;;
esac

# case_tag CASE: the case being run, in messages.
case_tag() { TEST_TAG="faults_$mode $1"; }
STATUS=3 # the program's exit status, which must come through

run_plain plain -- "$FAULTPROG" $STATUS
plain_rc=$RC
[[ $plain_rc -eq $STATUS ]] || fail "faultprog exited $plain_rc without the profiler, expected $STATUS"
[[ ! -s $W/plain.err ]] || fail "faultprog wrote to stderr without the profiler: $(head -c 300 "$W/plain.err")"
grep -q '^checksum .* errno_changed 0$' "$W/plain.out" || fail "plain run: $(tail -n 1 "$W/plain.out")"

# expected_point P: the program's truth at profile point P, canonical form.
expected_point() {
    awk -v p="$1" '$1=="expect" && $2==p && $4+$5+$6+$7>0 {print $3,$4,$5,$6,$7}' "$W/plain.out" |
        sort | tr '\n' ';'
}
declare -a EXPECT
for p in 1 2 3; do EXPECT[$p]=$(expected_point $p); done

# run_case SPEC DIR: run the program under the fault library; sets RC,
# CALLS_MEM FAILED_MEM CALLS_IO FAILED_IO from the injector's counters.
run_case() {
    local spec=$1 d=$2
    mkdir -p "$d"
    set +e
    # No separate debug files: with libc6-dbg installed, reading libc's
    # (compressed) made 2728 mem points of 178, and the sweep outran its
    # timeout.  Their allocation failures are swept by unit_symbols
    # (test_separate_debug_file).
    env HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$d/p" HEAPPROF_FAULT="$spec" HEAPPROF_FAULT_LOG="$d/log" \
        HEAPPROF_DEBUG_DIRS=off \
        "${SHIM[@]}" LD_PRELOAD="$PRELOAD" "$FAULTPROG" $STATUS >"$d/out" 2>"$d/err"
    RC=$?
    set -e
    local logs=("$d"/log.*)
    [[ ${#logs[@]} -eq 1 && -f ${logs[0]} ]] || fail "expected one injector log $d/log.<pid>, found: ${logs[*]}"
    read -r CALLS_MEM FAILED_MEM CALLS_IO FAILED_IO <<<"$(od -An -tu8 -v "${logs[0]}" | tr -s ' \n' ' ')"
}

# check_case DIR STRICT: the checks above.  STRICT=1 also requires each
# undegraded profile to match a profile point exactly.
check_case() {
    local d=$1 strict=$2
    [[ $RC -eq $plain_rc ]] || fail "exit status $RC, expected $plain_rc; stderr: $(head -c 400 "$d/err")"
    cmp -s "$d/out" "$W/plain.out" || fail "stdout differs from the plain run: $(diff "$W/plain.out" "$d/out" | head -n 6)"
    # stderr: only our lines, few of them.
    if grep -qvE "$HP_LINE" "$d/err"; then
        fail "stderr has lines not from the profiler: $(not_hp "$d/err" | head -n 3)"
    fi
    local nlines nwrite ntables nstk nlive nsym
    nlines=$(wc -l <"$d/err")
    nwrite=$(grep -cE "${HP_LINE}cannot write profile " "$d/err" || true)
    ntables=$(grep -cE "${HP_LINE}cannot map its tables" "$d/err" || true)
    # A stack record that could not be allocated: the sample is merged
    # (said once), or dropped when even that fails (said once).
    nstk=$(grep -cE "${HP_LINE}the stack table is (full .* or out of memory|out of memory or ids)" "$d/err" || true)
    nlive=$(grep -cE "${HP_LINE}the live table is full .* or out of memory" "$d/err" || true)
    # The symbolizer's memory: one file's names or build-id missing from one
    # profile, said once.
    nsym=$(grep -cE "${HP_LINE}a profile was written without some names: out of memory " "$d/err" || true)
    [[ $nlines -eq $((nwrite + ntables + nstk + nlive + nsym)) ]] || fail "unexpected stderr lines: $(cat "$d/err")"
    [[ $ntables -le 1 && $nwrite -le 3 && $nstk -le 2 && $nlive -le 1 && $((nsym + nwrite)) -le 3 ]] ||
        fail "too many messages ($nlines): $(head -n 5 "$d/err")"
    # Unmappable tables say so once; no "full" line follows.
    [[ $ntables -eq 0 || $((nstk + nlive)) -eq 0 ]] || fail "a full-table line after 'cannot map its tables': $(cat "$d/err")"
    no_tmp_left "$d" --recursive
    local files=() f
    for f in "$d"/p.*.pb.gz; do [[ -e $f ]] && files+=("$f"); done
    [[ $((${#files[@]} + nwrite)) -eq 3 ]] ||
        fail "${#files[@]} profiles and $nwrite failure lines; 3 profiles were asked for"
    local k=0 last=0 seq point canon degraded
    for f in $(printf '%s\n' "${files[@]}" | sort -V); do
        k=$((k + 1))
        seq=${f%.pb.gz}
        seq=${seq##*.}
        [[ $((10#$seq)) -eq $k ]] || fail "profile sequence has a gap: $f is number $k"
        "$PBCHECK" --leaf fp_ "$f" >"$f.chk" 2>"$f.err" || fail "$(cat "$f.err")"
        canon=$(awk '$1=="leaf" && $3+$4+$5+$6>0 {print $2,$3,$4,$5,$6}' "$f.chk" | sort | tr '\n' ';')
        degraded=0
        # Merged samples keep their leaf, unless they went to the marker
        # alone: a merging profile may miss a site too.
        if [[ $ntables -eq 1 || $nsym -gt 0 ]] ||
            ! grep -q '^comment dropped_samples stack_table=0 live_table=0 ' "$f.chk" ||
            ! grep -q '^comment .* merged_samples=0 ' "$f.chk"; then
            degraded=1
        fi
        point=0
        for p in 1 2 3; do
            if [[ $p -gt $last && $canon == "${EXPECT[$p]}" ]]; then point=$p; break; fi
        done
        if [[ $point -gt 0 ]]; then
            last=$point
        elif [[ $degraded -eq 0 && $strict -eq 1 ]]; then
            fail "$f reports no dropped samples but matches no profile point after $last:
  profile: $canon
  points:  ${EXPECT[1]} | ${EXPECT[2]} | ${EXPECT[3]}"
        elif [[ $degraded -eq 1 ]]; then
            # Dropped samples may only lower what is shown.
            awk -v c="$canon" -v e="${EXPECT[3]}" 'BEGIN {
                n = split(e, el, ";"); for (i = 1; i <= n; i++) if (el[i] != "") {
                    split(el[i], x, " "); for (j = 2; j <= 3; j++) max[x[1], j] = x[j] }
                n = split(c, cl, ";"); for (i = 1; i <= n; i++) if (cl[i] != "") {
                    split(cl[i], x, " "); for (j = 2; j <= 3; j++) if (x[j] > max[x[1], j]) exit 1 } }' ||
                fail "$f shows more than was allocated: $canon vs ${EXPECT[3]}"
        fi
    done
}

start=$SECONDS
case_tag count
SHIM+=(TMPFILE_SHIM_LOG="$W/shim.log")
run_case "mem:0,io:0" "$W/count"
unset 'SHIM[-1]'
check_case "$W/count" 1
case $mode in # the way the shim was to force was taken
io_named) grep -q '^tmpfile ' "$W/shim.log" && ! grep -q linkat "$W/shim.log" ;;
io_copy) [[ $(grep -c '^tmpfile ' "$W/shim.log") -eq 1 ]] && grep -qx 'linkat proc failed' "$W/shim.log" ;;
*) true ;;
esac || fail "the counting run did not write its profiles the way mode $mode wants: $(sort "$W/shim.log" 2>/dev/null | uniq -c)"
[[ $(ls "$W"/count/p.*.pb.gz | wc -l) -eq 3 ]] || fail "the counting run wrote $(ls "$W"/count/p.*.pb.gz | wc -l) profiles, expected 3"
echo "faults_$mode: without faults the run passes $CALLS_MEM mem points and $CALLS_IO io points"
total_mem=$CALLS_MEM
total_io=$CALLS_IO

# A spec the injector cannot read disarms it and says so in one line with
# the library's prefix and pid: the run is then the counting run's.
case_tag bad-spec
run_case "mem:x" "$W/badspec"
[[ $RC -eq $plain_rc ]] && cmp -s "$W/badspec/out" "$W/plain.out" ||
    fail "with a spec it could not read: exit status $RC, stdout $(diff "$W/plain.out" "$W/badspec/out" | head -n 3)"
[[ $(ls "$W"/badspec/p.*.pb.gz | wc -l) -eq 3 ]] || fail "with a spec it could not read: not 3 profiles"
[[ $FAILED_MEM -eq 0 && $FAILED_IO -eq 0 ]] || fail "a spec it could not read still failed calls"
[[ $(hp_count "$W/badspec/err") -eq 1 ]] &&
    grep -qE "${HP_LINE}fault injection: HEAPPROF_FAULT not understood" "$W/badspec/err" ||
    fail "expected one 'fault injection: HEAPPROF_FAULT not understood' line, got: $(head -c 300 "$W/badspec/err")"

runs=0
hits=0
single() { # KIND TOTAL: every N from 1 to TOTAL+3 (or FAULT_MAX_N)
    local kind=$1 total=$2 max n calls failed
    max=${FAULT_MAX_N:-$((total + 3))}
    for ((n = 1; n <= max; n++)); do
        case_tag "$kind:$n"
        run_case "$kind:$n" "$W/$kind$n"
        if [[ $kind == mem ]]; then calls=$CALLS_MEM failed=$FAILED_MEM; else calls=$CALLS_IO failed=$FAILED_IO; fi
        if [[ $n -le $calls ]]; then
            [[ $failed -eq 1 ]] || fail "the injector failed $failed calls, expected 1 (of $calls)"
            hits=$((hits + 1))
        else
            [[ $failed -eq 0 ]] || fail "the injector failed $failed calls beyond the $calls made"
        fi
        check_case "$W/$kind$n" 1
        rm -rf "$W/$kind$n"
        runs=$((runs + 1))
    done
}

case $mode in
mem) single mem "$total_mem" ;;
io | io_named | io_copy) single io "$total_io" ;;
persistent)
    for spec in mem:1+ mem:$((total_mem / 3))+ mem:$((total_mem * 2 / 3))+ io:1+ io:2+ io:$((total_io / 2))+ "mem:5+,io:5+"; do
        case_tag "$spec"
        run_case "$spec" "$W/p$runs"
        check_case "$W/p$runs" 0
        rm -rf "$W/p$runs"
        runs=$((runs + 1))
    done
    hits=$runs
    ;;
*) fail "unknown mode $mode" ;;
esac
echo "faults_$mode: $runs runs, $hits with a fault injected, all checks passed in $((SECONDS - start)) s"

#!/usr/bin/env bash
# lifecycle_host_malloc_tuning: the profiler's own large temporaries must
# not retune the program's malloc.  glibc raises its mmap threshold (and
# its trim threshold) when a block it served by mmap is freed; the
# profiler's fold arrays, gzip stage, ELF tables and qsort's copy of a
# large symbol table did so from the program's malloc, and after one
# profile the program's blocks of 132 to 160 KiB (more with more stacks)
# came from the heap instead of mmap, and its freed memory was kept longer.
# The program (tuning.cc) keeps objects from 16384 distinct stacks, asks for
# profiles, then tells which of its large blocks glibc served by mmap: the
# same as without the profiler.  And the writer thread's blocks, when they
# came from the program's malloc, gave that thread an arena of its own in
# the program (64 MiB more of VmSize, listed by malloc_info): the program,
# single-threaded, must list one arena while the writer writes profiles and
# the HTTP server serves them.
source "$(dirname "$0")/lib.sh"
need_env LC_TUNING

run_plain plain -- "$LC_TUNING" 2
expect_rc plain 0
grep -q '=heap$' "$W/plain.out" &&
    skip "this malloc serves large blocks from the heap even without the profiler: $(tr '\n' ' ' <"$W/plain.out")"

mkdir "$W/out"
run profiled HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/out/p" -- "$LC_TUNING" 2
expect_rc profiled 0
grep -qx 'stacks=16384' "$W/profiled.out" || fail "the program did not make its stacks: $(tr '\n' ' ' <"$W/profiled.out")"
grep -q '^dump' "$W/profiled.out" && fail "a profile failed: $(grep '^dump' "$W/profiled.out")"
if ! diff -u "$W/plain.out" "$W/profiled.out" >"$W/diff.txt"; then
    fail "after profiles, the program's malloc serves large blocks differently than without the profiler (its mmap threshold was raised by the profiler's frees): $(grep '^[-+][0-9]' "$W/diff.txt" | tr '\n' ' ')"
fi
n=$(find "$W/out" -name '*.pb.gz' | wc -l)
[[ $n -eq 3 ]] || fail "expected 3 profiles (2 asked for and the exit profile), found $n"
for f in "$W"/out/*.pb.gz; do gz_ok "$f"; done
last=$(newest_profile "$W/out/p")
decode "$last"
if have_go; then
    # A frame in libstdc++ (its emergency pool's malloc at start-up): its
    # symbol table, 6000 entries, was read and sorted.
    grep -q '^[0-9]*: .*/libstdc++' "$last.raw" || fail "the profile has no frame in libstdc++: its symbol table was not read"
fi

mkdir "$W/periodic"
start periodic HEAPPROF_SAMPLE=1 HEAPPROF_PERIOD=0.05 HEAPPROF_OUT="$W/periodic/p" \
    HEAPPROF_HTTP=127.0.0.1:0 -- "$LC_TUNING" 0 "$W/periodic" "$W/go"
pid=$BGPID
wait_for_count "$W/periodic.err" 'serving http://' 1 60
url=$(grep -o 'serving http://[^/]*/' "$W/periodic.err" | head -n 1 | sed 's/^serving //')
# The HTTP thread's work: a profile and the metrics.
for path in debug/pprof/heap metrics; do
    code=$(curl -sS --noproxy '*' --max-time 30 -o "$W/got" -w '%{http_code}' "$url$path") ||
        fail "GET /$path: curl failed"
    [[ $code == 200 ]] || fail "GET /$path answered $code"
done
touch "$W/go"
finish "$pid" 90
expect_rc periodic 0
grep -q '^arenas=' "$W/periodic.out" || fail "the program counted no arenas: $(tr '\n' ' ' <"$W/periodic.out")"
[[ $(find "$W/periodic" -name '*.pb.gz' | wc -l) -ge 3 ]] ||
    fail "the writer wrote fewer than 2 periodic profiles in 60 s"
grep -qx 'arenas=1' "$W/periodic.out" ||
    fail "with the writer writing profiles and the HTTP server serving them, the program's malloc lists $(sed -n 's/^arenas=//p' "$W/periodic.out") arenas, without the profiler 1: a thread of the profiler's called malloc"
note "ok: profiles of 16384 stacks leave the program's mmap threshold where it was"

#!/usr/bin/env bash
# lifecycle_api: include/heapprof.h from a program linked without
# libheapprof (weak symbols), run with and without the preload:
# heapprof_loaded, heapprof_version, heapprof_get_sample/heapprof_set_sample
# (1 = exact from the next sample point, 0 = pause), heapprof_dump(NULL) (the
# next file of the sequence), heapprof_dump(PATH) (that file, no sequence
# number taken), heapprof_dump(missing dir) (ENOENT, errno untouched, one line
# on stderr).  Then the dlsym(RTLD_DEFAULT, "heapprof_dump") pattern, both
# ways.
source "$(dirname "$0")/lib.sh"
need_env LC_API

SZ=1000
explicit="$W/explicit/now.pb.gz"
missing="$W/nonexistent-dir/x.pb.gz"
mkdir -p "$W/explicit"
# An explicit path may be replaced: a file already there is (linked under
# a temporary name, then renamed over it), never left half-written.
echo "an older file" >"$explicit"

# ---- with the preload ----------------------------------------------------------
run with HEAPPROF_OUT="$W/api" -- "$LC_API" weak "$explicit" "$missing"
expect_rc with 0
out="$W/with.out"
want_line() { grep -qx -- "$1" "$out" || fail "with the preload: expected the line '$1' in the program's output, found:
$(cat "$out")"; }
want_line "loaded=1"
want_line "version=0.1.0"
want_line "sample_initial=524288"
want_line "sample_after_set1=1"
want_line "dump_null=0 errno_kept=1"
want_line "sample_paused=0"
want_line "dump_explicit=0 errno_kept=1"
want_line "dump_missing=ENOENT errno_kept=1"
want_line "sample_resumed=1"
want_line "dump_null_2=0"
want_line "sample_small=2048"
pid=$(sed -n 's/^pid=//p' "$out")

# Exactly two lines from the profiler: the failed dump, with path and
# reason, and the granule warning of heapprof_set_sample(4096) (not repeated
# for 2048).
hl=$(hp_count "$W/with.err")
[[ $hl -eq 2 ]] || fail "expected exactly two heapprof lines on stderr (the failed dump, the granule warning), found $hl: $(hp_lines "$W/with.err")"
grep -qxF -- "heapprof[$pid]: sample interval 4096 is below 8x the free filter's granule (4096 bytes, set at start): about 100% of frees will probe the live table; set HEAPPROF_FILTER_GRANULE=512 at start to avoid it" "$W/with.err" ||
    fail "expected the granule warning for heapprof_set_sample(4096), found: $(hp_lines "$W/with.err")"
grep -qF -- "heapprof[$pid]: cannot write profile $missing: No such file or directory" "$W/with.err" ||
    fail "expected 'heapprof[$pid]: cannot write profile $missing: No such file or directory', found: $(hp_lines "$W/with.err")"
[[ ! -e $missing ]] || fail "$missing exists"

# Files: 0001 (api), 0002 (api), 0003 (exit); the explicit one elsewhere.
n=$(expect_contiguous "$W/api" "$pid")
[[ $n -eq 3 ]] || fail "expected 3 profiles in the sequence (dump(NULL) twice, exit), found $n: $(profiles "$W/api" | xargs -n1 basename | tr '\n' ' ')"
[[ -f $explicit ]] || fail "heapprof_dump(\"$explicit\") returned 0 but the file is missing"
no_tmp_left "$W"
no_tmp_left "$W/explicit"
p1=$(printf '%s.%s.%04d.pb.gz' "$W/api" "$pid" 1)
p2=$(printf '%s.%s.%04d.pb.gz' "$W/api" "$pid" 2)
p3=$(printf '%s.%s.%04d.pb.gz' "$W/api" "$pid" 3)
for f in "$p1" "$explicit" "$p2" "$p3"; do decode "$f"; done
if have_go; then
    for f in "$p1" "$explicit" "$p2"; do
        [[ $(reason "$f.raw") == api ]] || fail "$f: expected reason=api, found reason=$(reason "$f.raw")"
    done
    [[ $(reason "$p3.raw") == exit ]] || fail "$p3: expected reason=exit, found reason=$(reason "$p3.raw")"
    # Exact after set_sample(1): 100 allocated, 60 live at the first dump.
    values_eq "$p1: leaf api_exact" "$(leaf "$p1.raw" api_exact)" "100 $((100 * SZ)) 60 $((60 * SZ))"
    values_eq "$p1: leaf api_paused" "$(leaf "$p1.raw" api_paused)" "0 0 0 0"
    # Paused: 100 more allocated, none recorded; 30 frees of sampled objects
    # still seen.
    values_eq "$explicit: leaf api_exact" "$(leaf "$explicit.raw" api_exact)" "100 $((100 * SZ)) 30 $((30 * SZ))"
    values_eq "$explicit: leaf api_paused (allocated while paused)" "$(leaf "$explicit.raw" api_paused)" "0 0 0 0"
    grep -q '^Comment: sample_interval_bytes=0 (paused)' "$explicit.raw" ||
        fail "$explicit: expected the comment 'sample_interval_bytes=0 (paused)', found: $(grep '^Comment: sample_interval' "$explicit.raw")"
    # Resumed: exact again.
    values_eq "$p2: leaf api_exact" "$(leaf "$p2.raw" api_exact)" "100 $((100 * SZ)) 30 $((30 * SZ))"
    values_eq "$p2: leaf api_paused" "$(leaf "$p2.raw" api_paused)" "0 0 0 0"
    values_eq "$p2: leaf api_resumed" "$(leaf "$p2.raw" api_resumed)" "10 $((10 * SZ)) 10 $((10 * SZ))"
    [[ $(comment "$p2.raw" seq) == 2 ]] || fail "$p2: expected seq=2 in its comments (the explicit dump takes no number), found seq=$(comment "$p2.raw" seq)"
    [[ $(comment "$p2.raw" pid) == "$pid" ]] || fail "$p2: comment pid=$(comment "$p2.raw" pid), expected $pid"
fi
note "with the preload: loaded, version, get/set_sample, dump(NULL), dump(path), dump(missing)=ENOENT all as documented"

# ---- without the preload -------------------------------------------------------
run_plain without HEAPPROF_OUT="$W/none" -- "$LC_API" weak "$W/none-explicit.pb.gz" "$missing"
expect_rc without 0
grep -qx 'loaded=0' "$W/without.out" || fail "without the preload: expected 'loaded=0', found: $(cat "$W/without.out")"
grep -qx 'without_library=ok' "$W/without.out" || fail "without the preload: the program did not finish: $(cat "$W/without.out")"
[[ -z $(profiles "$W/none") && ! -e $W/none-explicit.pb.gz ]] || fail "without the preload, profiles were written"

# ---- dlsym(RTLD_DEFAULT, ...) ------------------------------------------------------
run dl HEAPPROF_SAMPLE=1 HEAPPROF_ON_EXIT=0 HEAPPROF_OUT="$W/dl" -- "$LC_API" dlsym "$W/dl-now.pb.gz"
expect_rc dl 0
no_heapprof_lines dl
grep -qx 'dlsym=found version=0.1.0 dump=0' "$W/dl.out" || fail "dlsym with the preload: expected 'dlsym=found version=0.1.0 dump=0', found: $(cat "$W/dl.out")"
decode "$W/dl-now.pb.gz"
if have_go; then
    values_eq "$W/dl-now.pb.gz: leaf api_exact" "$(leaf "$W/dl-now.pb.gz.raw" api_exact)" "100 $((100 * SZ)) 100 $((100 * SZ))"
fi
[[ -z $(profiles "$W/dl") ]] || fail "HEAPPROF_ON_EXIT=0: expected no exit profile, found $(profiles "$W/dl")"

run_plain dlnone -- "$LC_API" dlsym "$W/dlnone.pb.gz"
expect_rc dlnone 0
grep -qx 'dlsym=absent' "$W/dlnone.out" || fail "dlsym without the preload: expected 'dlsym=absent', found: $(cat "$W/dlnone.out")"
[[ ! -e $W/dlnone.pb.gz ]] || fail "without the preload a profile was written"
note "ok"

#!/usr/bin/env bash
# lifecycle_dlopen: a library of ours is loaded and unloaded 20 times while
# the program runs (exact mode).  A profile taken while it is loaded names
# its function lcdl_alloc with the exact counts; the profiles taken after it
# is gone (and the exit profile) are still readable.
source "$(dirname "$0")/lib.sh"
need_env LC_FAIL LC_DLLIB

run dl HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/d" -- "$LC_FAIL" dlopen "$LC_DLLIB" 20
expect_rc dl 0
no_heapprof_lines dl
if ! grep -qx 'dump while loaded 0' "$W/dl.out" || ! grep -qx 'dump after 20 cycles 0' "$W/dl.out"; then
    fail "the program's heapprof_dump calls failed: $(cat "$W/dl.out")"
fi
pid=$(pids_of "$W/d")
[[ $(expect_contiguous "$W/d" "$pid") -eq 3 ]] || fail "expected 3 profiles (loaded, after, exit)"
for k in 1 2 3; do decode "$(printf '%s.%s.%04d.pb.gz' "$W/d" "$pid" "$k")"; done
if have_go; then
    f="$W/d.$pid.0001.pb.gz"
    values_eq "$f (taken while the library is loaded): leaf lcdl_alloc" "$(leaf "$f.raw" lcdl_alloc)" "20 20000 20 20000"
    grep -q "$(basename "$LC_DLLIB")" "$f.raw" || fail "$f: the library's mapping ($(basename "$LC_DLLIB")) is not in the profile"
    f="$W/d.$pid.0003.pb.gz"
    decode_top "$f"
    if has_function "$f.raw" lcdl_alloc; then
        note "after dlclose the exit profile still names lcdl_alloc: $(leaf "$f.raw" lcdl_alloc)"
    else
        note "after dlclose the exit profile no longer names lcdl_alloc (addresses only)"
    fi
fi
note "ok"

#!/usr/bin/env bash
# lifecycle_dlopen: a library of ours is loaded and unloaded 20 times while
# the program runs (exact mode).  A profile taken while it is loaded names
# its function lcdl_alloc with the exact counts.  The profiles taken after it
# is gone (and the exit profile) still name lcdl_alloc, with the same
# mapping (range, offset, path, build-id) the loaded profile had: the
# dlclose() shim recorded it (src/retired.c).
source "$(dirname "$0")/lib.sh"
need_env LC_FAIL LC_DLLIB

# mapping_of RAWFILE NAME: the Mappings line whose path ends in NAME, without its id.
mapping_of() {
    awk -v name="$2" '/^Mappings/ {m = 1; next} m && $3 ~ ("/" name "$") {$1 = ""; print; exit}' "$1"
}

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
    loaded_map=$(mapping_of "$f.raw" "$(basename "$LC_DLLIB")")
    [[ -n $loaded_map ]] || fail "$f: no mapping line for $(basename "$LC_DLLIB")"
    for k in 2 3; do
        f=$(printf '%s.%s.%04d.pb.gz' "$W/d" "$pid" "$k")
        has_function "$f.raw" lcdl_alloc || fail "$f (after dlclose): lcdl_alloc is no longer named"
        [[ $(mapping_of "$f.raw" "$(basename "$LC_DLLIB")") == "$loaded_map" ]] ||
            fail "$f (after dlclose): the library's mapping is '$(mapping_of "$f.raw" "$(basename "$LC_DLLIB")")', expected '$loaded_map'"
    done
    # 20 cycles of 20 x 1000 B; the first cycle's 20 objects are still live.
    values_eq "$f (exit, after dlclose): leaf lcdl_alloc" "$(leaf "$f.raw" lcdl_alloc)" "400 400000 20 20000"
    decode_top "$f"
fi
note "ok"

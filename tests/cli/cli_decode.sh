#!/usr/bin/env bash
# Decoding a profile costs bounded memory: protobuf-c allocates a struct
# per message, ~40 times the 2 bytes of an empty one, so a few KiB of gzip
# could ask for gigabytes within HEAPPROF_MAX_INPUT.  A crafted file of
# 2M empty samples (4 MB inflated, 4 KB gzipped) is refused at the default
# bound (32 times its size) with the message naming HEAPPROF_MAX_DECODE,
# under an address-space limit well below what decoding it all would take;
# HEAPPROF_MAX_DECODE sets the bound; and a profile as costly per byte as
# real ones get (60k one-frame sites, ~14 times) still loads.  A real
# heapprof profile of 131k stacks is read in cli_top.
source "$(dirname "$0")/cli_lib.sh"

command -v python3 >/dev/null || skip "python3 is needed to craft the inputs"
craft() { python3 "$CLI_SRC/craft_profiles.py" "$@"; }

craft empty "$W/empty.gz" 2000000
# 1 GiB of address space: decoding all of it would take ~250 MiB, and the
# bound is 122 MiB.  (A sanitizer build cannot start under such a limit:
# then the message alone is checked.)
limit=1048576
(ulimit -v "$limit" && "$HEAPPROF_CLI" --version) >/dev/null 2>&1 || {
    note "cannot run under ulimit -v $limit (sanitizer build?): no address-space limit"
    limit=unlimited
}
limited() { (ulimit -v "$limit" && "$@"); }
expect_rc 1 limited hp top "$W/empty.gz"
expect_in "$W/err" "^heapprof top: $W/empty.gz: needs more than 122 MiB of memory to decode; refusing it \(HEAPPROF_MAX_DECODE raises the limit\)$" \
    "the decode bound's message"
[[ $(wc -l <"$W/err") -eq 1 ]] || fail "more than one line: $(cat "$W/err")"

# The variable sets the bound, in both directions.
HEAPPROF_MAX_DECODE=16m expect_rc 1 limited hp leaks "$W/empty.gz" "$CLI_SRC/corpus/tiny.pb"
expect_in "$W/err" "^heapprof leaks: $W/empty.gz: needs more than 16 MiB of memory to decode"
HEAPPROF_MAX_DECODE=4k expect_rc 1 hp top "$CLI_SRC/corpus/heapprof_exact.gz"
expect_in "$W/err" "heapprof_exact.gz: needs more than 4096 bytes of memory to decode"
HEAPPROF_MAX_DECODE=1m expect_rc 0 hp top "$CLI_SRC/corpus/heapprof_exact.gz"
HEAPPROF_MAX_DECODE=1g expect_rc 1 hp top "$W/empty.gz"
expect_in "$W/err" "empty.gz: broken profile: sample 1 has 0 values"

# Real profiles load with the default bound, the large one past its floor.
for f in heapprof_exact.gz heapprof_sampled.gz go_heap.gz; do
    expect_rc 0 limited hp top "$CLI_SRC/corpus/$f"
done
craft sites "$W/sites.gz" 60000
expect_rc 0 limited hp top "$W/sites.gz"
expect_in "$W/out" "in 60000 stacks" "the 60k-site profile read whole"

# Drawing it is bounded too: flame drew a row per level of a stack, and a
# stack may be as deep as the reader allows (2^25 frames, a 32 KiB gzip of
# two locations calling each other): a 6 GB SVG after four minutes.  Rows
# stop at 2048 levels, and the SVG says so.  Here 100000 levels.
craft deep "$W/deep.gz" 100000
expect_rc 0 hp top "$W/deep.gz"
expect_in "$W/out" "8\.00 KiB .* main$" "the deep profile read whole"
expect_rc 0 hp flame -o "$W/deep.svg" "$W/deep.gz"
expect_in "$W/deep.svg" "Left out: the frames more than 2048 calls deep \(the deepest stack has 100000\)\." \
    "the note on the frames too deep to draw"
rects=$(grep -c '<rect' "$W/deep.svg")
# the background, the root, and a frame per level up to 2048
[[ $rects -eq 2050 ]] || fail "the deep flame graph has $rects rectangles, expected 2050"
expect_in "$W/deep.svg" '<svg [^>]* height="34919"' "a height of 2049 rows"
note "ok"

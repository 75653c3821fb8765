#!/usr/bin/env bash
# integ_footprint: the shared objects libheapprof.so brings into every
# process it is preloaded into.  No libm: heapprof computes its one
# exponential itself (src/sampler.c), as loading libm into a program that
# has none (most C programs, every process of a build) cost 20 000
# instructions and 10 page faults at each start.  cat(1) reads its own
# /proc/self/maps; without the preload it has no libm either.
source "$(dirname "$0")/lib.sh"

if readelf -d "$HEAPPROF_LIB" | grep -q 'NEEDED.*\[libm\.so'; then
    fail "libheapprof.so needs libm: $(readelf -d "$HEAPPROF_LIB" | grep NEEDED | tr -s ' ' | tr '\n' ';')"
fi
# A sanitizer's runtime (libubsan, in sanitize.sh's ubsan-lib build) needs
# libm itself: the library's own needs were all there is to check.
if ldd "$HEAPPROF_LIB" | grep -q '/libm\.so'; then
    note "ok (libheapprof.so needs no libm; $(ldd "$HEAPPROF_LIB" | grep -o 'lib[a-z]*san[^ ]*' | head -1) brings it)"
    exit 0
fi
run_plain plain -- cat /proc/self/maps
[[ $RC -eq 0 ]] || fail "cat /proc/self/maps exited $RC"
grep -q '/libm\.so' "$W/plain.out" && skip "cat links libm here: nothing to compare"
run prof HEAPPROF_OUT="$W/p" -- cat /proc/self/maps
[[ $RC -eq 0 ]] || fail "cat under heapprof exited $RC: $(cat "$W/prof.err")"
grep -q 'libheapprof' "$W/prof.out" || fail "libheapprof.so is not in the process: $(cat "$W/prof.out")"
if grep -q '/libm\.so' "$W/prof.out"; then
    fail "heapprof brought libm into a program that has none: $(grep '/libm\.so' "$W/prof.out" | head -1)"
fi
objs=$(awk '$6 ~ /\.so/ {n = split($6, p, "/"); print p[n]}' "$W/prof.out" | sort -u | tr '\n' ' ')
note "ok (objects in a profiled cat: $objs)"

#!/usr/bin/env bash
# integ_errno: errno is preserved across allocator calls that succeed, and
# calls that fail (huge sizes, overflowing products, bad alignments) fail
# with the same result and errno as without the preload.  The program's
# output and exit status must be identical with and without the preload,
# in exact mode, at the default interval and at a small one (both paths).
source "$(dirname "$0")/lib.sh"
need_env PROG_ERRNO

run_plain base -- "$PROG_ERRNO" 3000
[[ $RC -eq 0 ]] || fail "without the preload the program reports failures (exit $RC): $(grep FAIL "$W/base.out" | head)"
grep -q '^malloc(huge): NULL errno=ENOMEM$' "$W/base.out" || fail "glibc baseline: malloc(huge) should fail with ENOMEM: $(cat "$W/base.out")"

i=0
for vars in "HEAPPROF_SAMPLE=1" "HEAPPROF_SAMPLE=512k" "HEAPPROF_SAMPLE=64" "HEAPPROF_SAMPLE=4k HEAPPROF_PERIOD=0.01"; do
    i=$((i + 1))
    # shellcheck disable=SC2086
    run "r$i" HEAPPROF_OUT="$W/p$i" $vars -- "$PROG_ERRNO" 3000
    if [[ $RC -ne 0 ]] || ! cmp -s "$W/base.out" "$W/r$i.out"; then
        diff -u "$W/base.out" "$W/r$i.out" >&2 || true
        fail "$vars: output or exit status ($RC) differs from the run without the preload (diff above)"
    fi
    no_heapprof_lines "r$i"
    p=$(newest_profile "$W/p$i")
    summarize "$p"
    pprof_quick "$p"
done
# The exact profile shows the program's allocation functions.
p=$(newest_profile "$W/p1")
pprof_check "$p" successes failures_report
note "ok"

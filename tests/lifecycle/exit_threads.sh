#!/usr/bin/env bash
# lifecycle_exit_threads: exit() called by 9 threads at the same moment (8
# threads and main, released by a barrier; the program holds 2^13 stacks so
# that its profile takes a while to write).  writer.c says "exit() may be
# called by several threads at once: one exit profile": exactly one exit
# profile, complete, under its final name, and no .tmp file left.
# Three runs; each must pass.
source "$(dirname "$0")/lib.sh"
need_env LC_FAIL

for i in 1 2 3; do
    run ex$i HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/x$i" -- "$LC_FAIL" exitrace 8 13
    expect_rc ex$i 0
    no_heapprof_lines ex$i
    tmps=$(find "$W" -maxdepth 1 -name "x$i.*.tmp" -printf '%f ')
    files=$(profiles "$W/x$i" | xargs -r -n1 basename | tr '\n' ' ')
    [[ -n $files ]] || fail "run $i: exit() from 9 threads at once: expected exactly one exit profile, found none${tmps:+ (left behind: $tmps: the exit profile was still being written when the process ended)}"
    [[ $(wc -w <<<"$files") -eq 1 ]] || fail "run $i: expected exactly one exit profile, found: $files"
    [[ -z $tmps ]] || fail "run $i: temporary files left behind: $tmps"
    f=$(profiles "$W/x$i")
    decode "$f"
    if have_go; then
        [[ $(reason "$f.raw") == exit ]] || fail "run $i: $f: expected reason=exit, found $(reason "$f.raw")"
        [[ $(leaf "$f.raw" ms_leaf | awk '{print $3}') -eq 8192 ]] ||
            fail "run $i: $f: expected the 8192 live objects of ms_leaf, found $(leaf "$f.raw" ms_leaf)"
    fi
done
note "ok"

#!/usr/bin/env bash
# lifecycle_exit_after: once the exit profile is written the profiler
# writes nothing more, and its writer thread must then sleep, not spin.
# A library the program links has a destructor that runs after the
# profiler's (finilib.c): it grows the heap past HEAPPROF_HIGHWATER, and
# sleeps 1 s.  The writer used to take that crossing as due, be refused
# (the exit profile is the last word) and look again at once, burning a
# CPU for as long as the process took to end.
source "$(dirname "$0")/lib.sh"
need_env LC_FINI

run a HEAPPROF_SAMPLE=1 HEAPPROF_HIGHWATER=1m HEAPPROF_HIGHWATER_MIN_S=0 HEAPPROF_OUT="$W/a" \
    -- "$LC_FINI"
expect_rc a 0
grep -qx 'linked=1' "$W/a.out" || fail "the program did not run: $(cat "$W/a.out")"
cpu=$(sed -n 's/^fini_cpu_ms=//p' "$W/a.out")
[[ -n $cpu ]] || fail "the library's destructor did not report: $(cat "$W/a.out")"
# Without the spin the process uses ~0 ms in that second; spinning, most of it.
((cpu < 200)) || fail "the process used $cpu ms of CPU in the 1 s after its exit profile (a thread of the profiler's spinning?)"
[[ -n $(profiles "$W/a") ]] || fail "no exit profile was written"
gz_ok "$(newest_profile "$W/a")"
note "ok: ${cpu} ms of CPU after the exit profile"

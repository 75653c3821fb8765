#!/usr/bin/env bash
# lifecycle_host_fsize: the program lowers its RLIMIT_FSIZE below the size
# of a profile, then asks for profiles on its own thread (heapprof_dump, and
# at exit), which is where the exit profile is always written.  A write past
# the limit raises SIGXFSZ in the writing thread, whose default action kills
# the process (with a core dump): the program died of its exit profile, its
# buffered stdout lost.  Each profile must fail with EFBIG in one line
# instead, whether the program blocks SIGXFSZ (then none of the profiler's
# may be left pending for it), handles it (its handler must not run) or
# leaves it at its default; nothing is left in the directory.
#  stderr: the same limit with stderr a log file already past it, and a
#        profile that cannot be written at all (a missing directory): the
#        profiler's line to stderr is what would raise the signal.
source "$(dirname "$0")/lib.sh"
need_env LC_HOST

# Below the smallest profile of the program (about 1 KiB); its stdout, a
# few lines, fits.  stderr goes through a pipe, which the limit leaves
# alone, so that the profiler's lines can be read.
LIMIT=512
mkdir "$W/out"
set +e
env HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/out/p" LD_PRELOAD="$HEAPPROF_LIB" "$LC_HOST" fsize "$LIMIT" \
    2>&1 >"$W/fsize.out" | cat >"$W/fsize.err"
RC=${PIPESTATUS[0]}
set -e
[[ $RC -ne $((128 + 25)) ]] || fail "the program was killed by SIGXFSZ (exit status $RC): heapprof's profile past RLIMIT_FSIZE"
expect_rc fsize 0
for want in "blocked_dump=EFBIG errno_kept=1" blocked_pending=0 "handler_dump=EFBIG handler_hits=0" \
            default_dump=EFBIG survived=1; do
    grep -qx "$want" "$W/fsize.out" ||
        fail "expected '$want', the program printed: $(tr '\n' ' ' <"$W/fsize.out")"
done
lines=$(hp_count "$W/fsize.err")
[[ $lines -eq 4 ]] || fail "expected one line per profile that did not fit (3 asked for, and the exit profile: 4), found $lines: $(cat "$W/fsize.err")"
bad=$(hp_msgs "$W/fsize.err" | grep -v '^cannot write profile .*: File too large (' || true)
[[ -z $bad ]] || fail "unexpected profiler lines: $bad"
left=$(ls -A "$W/out")
[[ -z $left ]] || fail "files left after profiles that did not fit: $left"

# stderr a log file already past the limit: the profiler's line cannot be
# written, and must not kill the program either.
head -c $((2 * LIMIT)) /dev/zero | tr '\0' x >"$W/big.err"
set +e
env HEAPPROF_OUT="$W/missing/p" LD_PRELOAD="$HEAPPROF_LIB" "$LC_HOST" fsize "$LIMIT" \
    >"$W/stderr.out" 2>>"$W/big.err"
RC=$?
set -e
[[ $RC -ne $((128 + 25)) ]] || fail "stderr: the program was killed by SIGXFSZ (exit status $RC): heapprof's line to a stderr past RLIMIT_FSIZE"
expect_rc stderr 0
for want in "blocked_dump=ENOENT errno_kept=1" blocked_pending=0 "handler_dump=ENOENT handler_hits=0" \
            survived=1; do
    grep -qx "$want" "$W/stderr.out" ||
        fail "stderr: expected '$want', the program printed: $(tr '\n' ' ' <"$W/stderr.out")"
done
# The program sets its limit in main: the directory's line at start, before
# it, is written; no line after it is.
grown=$(tail -c +$((2 * LIMIT + 1)) "$W/big.err")
[[ $(wc -l <<<"$grown") -eq 1 && $grown == "heapprof["*"]: profiles cannot be written in "* ]] ||
    fail "stderr: the log file past the limit grew by more than the directory's line at start: $grown"
note "ok: profiles and lines past RLIMIT_FSIZE fail with EFBIG and raise no SIGXFSZ in the program"

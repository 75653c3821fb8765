#!/usr/bin/env bash
# integ_unwind_pipe: libunwind's validation pipe stays out of the program's
# way (src/unwind_pipe.h).
#  1. No descriptor of heapprof's below 512 at main: the program's view of
#     its descriptors, the first open()'s number and read(0) are the same as
#     without the preload, with all three standard descriptors open, with
#     stdin closed at start, with stderr closed at start, and with
#     descriptors 7 and 100 open at start (the pipe, made at the lowest
#     free numbers and then moved, leaves them as it found them).
#  2. A program that closes every descriptor from 3 up and opens its own
#     files on those numbers keeps its input and output whole, in exact
#     mode, where every allocation unwinds through a frame without unwind
#     tables (libunwind's, before the fix: it read a byte of the input and
#     wrote bytes of memory into the output).  One line on stderr says
#     libunwind is no longer used, and the profile has the allocations made
#     before the close with their whole stacks (libunwind's walk, through
#     main) and those made after cut at the frame without unwind tables.
#  3. Placing the pipe takes a few system calls: fcntl() calls counted by a
#     preload (countfcntl.c) over a whole run, fdprobe's own 512 taken off.
#     It took one per free descriptor below 512 (509 in a fresh process).
#  4. Where dup3 is refused (nodup3.c; a seccomp filter older than dup3),
#     the pipe is moved all the same: the program's descriptors are as
#     without the preload, and libunwind is used.  It stayed on 3 and 4.
#  5. Where libunwind's pipe2 never reaches heapprof's (rawpipe2.c, listed
#     first, does not forward), its pipe is made on the lowest free
#     descriptors: heapprof tells it from a pipe made before its start
#     (gperftools' case, integ_debug_allocator) and says it will not use
#     libunwind, rather than use it there without a word.
#  6. Under a low descriptor limit (ulimit -n 70), the pipe goes just
#     under the limit, not on the low descriptors the program's files
#     get: it went 64 below the limit, on 6 and 7 (on 4 and 5 at 67).
source "$(dirname "$0")/lib.sh"
need_env PROG_FDPROBE COUNTFCNTL NODUP3_LIB RAWPIPE2_LIB

for redir in none stdin stderr gaps; do
    case $redir in
        none) run_plain "b_$redir" -- "$PROG_FDPROBE" start
              run "r_$redir" HEAPPROF_OUT="$W/p_$redir" -- "$PROG_FDPROBE" start ;;
        stdin) run_plain "b_$redir" -- "$PROG_FDPROBE" start <&-
               run "r_$redir" HEAPPROF_OUT="$W/p_$redir" -- "$PROG_FDPROBE" start <&- ;;
        stderr) run_plain "b_$redir" -- bash -c 'exec "$0" start 2>&-' "$PROG_FDPROBE"
                run "r_$redir" HEAPPROF_OUT="$W/p_$redir" -- bash -c 'exec "$0" start 2>&-' "$PROG_FDPROBE" ;;
        gaps) run_plain "b_$redir" -- "$PROG_FDPROBE" start 7</dev/null 100</dev/null
              run "r_$redir" HEAPPROF_OUT="$W/p_$redir" -- "$PROG_FDPROBE" start 7</dev/null 100</dev/null ;;
    esac
    [[ $RC -eq 0 ]] || fail "$redir: fdprobe start exited $RC: $(cat "$W/r_$redir.err")"
    if ! cmp -s "$W/b_$redir.out" "$W/r_$redir.out"; then
        diff -u "$W/b_$redir.out" "$W/r_$redir.out" >&2 || true
        fail "$redir closed at start: the program's descriptors differ with the preload (diff above)"
    fi
done
grep -q '^read(0): -1 Bad file descriptor' "$W/r_stdin.out" ||
    fail "stdin closed at start: read(0) should fail with EBADF: $(cat "$W/r_stdin.out")"

mkdir -p "$W/files"
run_plain base -- "$PROG_FDPROBE" closefrom "$W/files"
[[ $RC -eq 0 ]] || fail "without the preload: $(cat "$W/base.out")"
run closefrom HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/pc" -- "$PROG_FDPROBE" closefrom "$W/files"
[[ $RC -eq 0 ]] || fail "with the preload the program's files were damaged (exit $RC): $(cat "$W/closefrom.out")"
n=$(hp_count "$W/closefrom.err")
[[ $n -eq 1 ]] && grep -q "the program closed or reused descriptors .* libunwind's pipe" "$W/closefrom.err" ||
    fail "expected one line about libunwind's pipe on stderr, found $n: $(cat "$W/closefrom.err")"

p=$(newest_profile "$W/pc")
summarize "$p" --samples
# alloc_objects (sample_type 0) of the samples whose leaf is nocfi_alloc,
# with main in the stack and without.
whole=$(awk '$1 == "sample" && / \| nocfi_alloc / && / main( |$)/ {s += $2} END {print s + 0}' "$p.sum")
cut=$(awk '$1 == "sample" && / \| nocfi_alloc$/ {s += $2} END {print s + 0}' "$p.sum")
[[ $whole -eq 40 && $cut -eq 30 ]] ||
    fail "expected 40 allocations of nocfi_alloc with main in their stacks and 30 cut at nocfi_alloc, found $whole and $cut: $(grep nocfi "$p.sum")"
pprof_quick "$p"

HEAPPROF_LIB="$HEAPPROF_LIB $NODUP3_LIB" run nodup3 HEAPPROF_OUT="$W/pn" -- "$PROG_FDPROBE" start
[[ $RC -eq 0 ]] || fail "fdprobe start with dup3 refused exited $RC: $(cat "$W/nodup3.err")"
if ! cmp -s "$W/b_none.out" "$W/nodup3.out"; then
    diff -u "$W/b_none.out" "$W/nodup3.out" >&2 || true
    fail "with dup3 refused, the program's descriptors differ with the preload (diff above)"
fi
grep -q 'libunwind will not be used' "$W/nodup3.err" &&
    fail "with dup3 refused, libunwind was not placed: $(cat "$W/nodup3.err")"

HEAPPROF_LIB="$RAWPIPE2_LIB $HEAPPROF_LIB" run raw HEAPPROF_OUT="$W/pr" -- "$PROG_FDPROBE" start
[[ $RC -eq 0 ]] || fail "fdprobe start with a pipe2 that does not forward exited $RC: $(cat "$W/raw.err")"
grep -q "libunwind will not be used (it made its pipe where the program would find it)" "$W/raw.err" ||
    fail "libunwind's pipe made on the program's descriptors was not refused: $(cat "$W/raw.err")"

# 6: the program's descriptors below 32, and its first open()'s, as
# without the preload, under a limit of 70 descriptors.
low_fds() { awk '/^open at main: / && $4 < 32 || /^first open/' "$W/$1.out"; }
run_plain lim_b -- bash -c 'ulimit -n 70 && exec "$0" start' "$PROG_FDPROBE"
run lim HEAPPROF_OUT="$W/pl" -- bash -c 'ulimit -n 70 && exec "$0" start' "$PROG_FDPROBE"
[[ $RC -eq 0 ]] || fail "fdprobe start under ulimit -n 70 exited $RC: $(cat "$W/lim.err")"
if [[ "$(low_fds lim_b)" != "$(low_fds lim)" ]]; then
    diff -u <(low_fds lim_b) <(low_fds lim) >&2 || true
    fail "under ulimit -n 70, the program's low descriptors differ with the preload (diff above)"
fi
grep -q 'libunwind will not be used' "$W/lim.err" &&
    fail "under ulimit -n 70, libunwind was not placed: $(cat "$W/lim.err")"

fcntl_calls() {
    local c
    c=$(sed -n 's/^fcntl_calls=//p' "$W/$1.err")
    [[ -n $c ]] || fail "$1: countfcntl.c printed no count: $(cat "$W/$1.err")"
    echo "$c"
}
run_plain cplain LD_PRELOAD="$COUNTFCNTL" -- "$PROG_FDPROBE" start
HEAPPROF_LIB="$COUNTFCNTL $HEAPPROF_LIB" run cprof HEAPPROF_OUT="$W/pf" -- "$PROG_FDPROBE" start
[[ $RC -eq 0 ]] || fail "fdprobe start with the counter exited $RC: $(cat "$W/cprof.err")"
cmp -s "$W/cplain.out" "$W/cprof.out" || fail "with the counter, the program's descriptors differ: $(cat "$W/cprof.out")"
grep -q 'libunwind will not be used' "$W/cprof.err" && fail "libunwind was not placed: $(cat "$W/cprof.err")"
plain=$(fcntl_calls cplain)
prof=$(fcntl_calls cprof)
[[ $plain -ge 512 && $((prof - plain)) -le 16 ]] ||
    fail "heapprof made $((prof - plain)) fcntl() calls in a run (the program $plain): placing libunwind's pipe should take a few"
note "ok (heapprof's fcntl calls in a run: $((prof - plain)))"

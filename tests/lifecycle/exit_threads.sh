#!/usr/bin/env bash
# lifecycle_exit_threads: exit() called by 9 threads at the same moment (8
# threads and main, released by a barrier; the program holds 2^13 stacks so
# that its profile takes a while to write).  writer.c says "exit() may be
# called by several threads at once: one exit profile": exactly one exit
# profile, complete, under its final name, and no .tmp file left.
# Three runs; each must pass.  Then three where main returns from main()
# as the 8 threads call exit(): that exit() is glibc's own, not heapprof's,
# and a thread's exit() that came first and found the exit handlers taken
# by main ended the process halfway through main's exit profile (none
# written, a .tmp left, every run).  Then a fork during the exit profile,
# and exit() on a fiber's small stack (at the end).
source "$(dirname "$0")/lib.sh"
need_env LC_FAIL

for i in 1 2 3 4 5 6; do
    how=()
    ((i > 3)) && how=(ret)
    run ex$i HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/x$i" -- "$LC_FAIL" exitrace 8 13 "${how[@]}"
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

# A thread forks while main's exit() writes the exit profile; the child
# calls exit(0).  Its parent's exit had taken the exit handlers that run
# destructors, so it writes no profile, and must not wait for one: it
# waited 10 s in heapprof's last exit handler for the parent's.
mkdir -p "$W/fk"
run fk HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/fk/x" -- "$LC_FAIL" exitfork "$W/fk" "$W/fk.pid" 13
expect_rc fk 0
deadline=$((SECONDS + 30))
while [[ ! -s $W/fk.pid ]] && ((SECONDS < deadline)); do sleep 0.01; done
child=$(cat "$W/fk.pid" 2>/dev/null)
[[ -n $child ]] || fail "the child forked during the exit profile wrote no pid"
start=$SECONDS
while [[ -e /proc/$child/stat && $(awk '{print $3}' "/proc/$child/stat" 2>/dev/null) != Z ]]; do
    ((SECONDS - start < 30)) || break
    sleep 0.02
done
((SECONDS - start < 9)) || fail "the child forked during its parent's exit profile took $((SECONDS - start)) s or more to exit (expected at once)"
[[ $(profiles "$W/fk/x" | wc -l) -eq 1 ]] || fail "expected the parent's exit profile alone, found: $(profiles "$W/fk/x" | tr '\n' ' ')"

# exit() on a fiber's stack of 16 KiB (makecontext, a guard page below):
# the exit profile, written on that stack, overran it (SIGSEGV); it is now
# written on a thread of heapprof's while the fiber's exit waits.
run fb HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/fb" -- "$LC_FAIL" fiberexit 16 13
expect_rc fb 0
no_heapprof_lines fb
grep -qx 'exit on the fiber' "$W/fb.out" || fail "the fiber did not run: $(cat "$W/fb.out")"
[[ $(profiles "$W/fb" | wc -l) -eq 1 ]] || fail "exit() on a fiber: expected one exit profile, found: $(profiles "$W/fb" | tr '\n' ' ')"
f=$(profiles "$W/fb")
decode "$f"
if have_go; then
    [[ $(leaf "$f.raw" ms_leaf | awk '{print $3}') -eq 8192 ]] ||
        fail "$f: expected the 8192 live objects of ms_leaf, found $(leaf "$f.raw" ms_leaf)"
fi
note "ok"

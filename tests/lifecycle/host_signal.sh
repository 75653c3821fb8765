#!/usr/bin/env bash
# lifecycle_host_signal: the dump signal's handler goes in only over the
# default action, and the program keeps what it had.
#  ign:  SIGUSR2 ignored on entry (as under nohup or `trap '' USR2`): the
#        program sees SIG_IGN, survives raise(SIGUSR2), and its exec'd child
#        (not profiled, HEAPPROF_CHILDREN=0) still ignores it; a handler in
#        its place got the child killed by the signal after exec reset it.
#  ctor: a handler installed by the constructor of a library the program
#        links (run before the profiler's) receives the signal, and the
#        profiler writes no profile for it.
#  tree: the same with the exec'd child profiled too (HEAPPROF_CHILDREN=1):
#        the child, whose profiled parent ignored the signal and said so, says
#        nothing more; each process of a program under nohup had said it.
#  lone: a profiled process whose parent is not profiled says it.
#  redir: a profiled parent said it, then moved its stderr: its child says
#        it on the new file, which was told nothing.
#  late: a profiled parent that ignores the signal only after its start
#        (it installed the handler then: a profiled shell's `trap '' USR2`)
#        said nothing, so its profiled child says it; the child was silent.
# Each time heapprof says so in one line.
source "$(dirname "$0")/lib.sh"
need_env LC_HOST LC_SIGCTOR

# one_line NAME TEXT: the run's stderr has exactly one heapprof line, TEXT.
one_line() {
    local lines
    lines=$(hp_count "$W/$1.err")
    [[ $lines -eq 1 ]] || fail "$1: expected one heapprof line on stderr, found $lines: $(cat "$W/$1.err")"
    grep -qF -- "$2" <(hp_msgs "$W/$1.err") || fail "$1: expected 'heapprof[PID]: $2' on stderr, found: $(cat "$W/$1.err")"
}

# Ignored before the profiled image starts (the program's own re-exec would
# be an unprofiled child under HEAPPROF_CHILDREN=0).
set +e
(
    trap '' USR2
    exec env HEAPPROF_OUT="$W/ign" HEAPPROF_CHILDREN=0 LD_PRELOAD="$HEAPPROF_LIB" \
        "$LC_HOST" sigign run >"$W/ign.out" 2>"$W/ign.err"
)
RC=$?
set -e
expect_rc ign 0
for want in run_disposition=SIG_IGN run_survived=1 grandchild_disposition=SIG_IGN \
            grandchild_survived=1 grandchild_exit=0; do
    grep -qx "$want" "$W/ign.out" ||
        fail "ign: expected $want, the program printed: $(tr '\n' ' ' <"$W/ign.out")"
done
one_line ign "the program ignores SIGUSR2, so profiles on that signal are off (HEAPPROF_SIGNAL chooses another signal)"

# The same, with the exec'd grandchild profiled: one line for the tree.
set +e
(
    trap '' USR2
    exec env HEAPPROF_OUT="$W/tree" LD_PRELOAD="$HEAPPROF_LIB" \
        "$LC_HOST" sigign run >"$W/tree.out" 2>"$W/tree.err"
)
RC=$?
set -e
expect_rc tree 0
grep -qx grandchild_exit=0 "$W/tree.out" || fail "tree: the grandchild did not exit 0: $(tr '\n' ' ' <"$W/tree.out")"
[[ $(pids_of "$W/tree" | wc -l) -eq 2 ]] ||
    fail "tree: expected exit profiles of the program and its exec'd child, found: $(profiles "$W/tree" | xargs -rn1 basename | tr '\n' ' ')"
one_line tree "the program ignores SIGUSR2, so profiles on that signal are off (HEAPPROF_SIGNAL chooses another signal)"
# A profiled child of an unprofiled parent that ignores the signal: its line.
set +e
(
    trap '' USR2
    exec env HEAPPROF_OUT="$W/lone" LD_PRELOAD="$HEAPPROF_LIB" "$LC_HOST" sigign grandchild \
        >"$W/lone.out" 2>"$W/lone.err"
)
RC=$?
set -e
expect_rc lone 0
one_line lone "the program ignores SIGUSR2, so profiles on that signal are off (HEAPPROF_SIGNAL chooses another signal)"

# A profiled parent that said it, then moved its stderr: its child's
# stderr was told nothing, and the child says it there (compared with the
# parent's stderr of now, it was silent).
set +e
(
    trap '' USR2
    exec env HEAPPROF_OUT="$W/redir" LD_PRELOAD="$HEAPPROF_LIB" \
        bash -c 'exec 2>"$1"; /bin/true; true' _ "$W/redir_child.err" 2>"$W/redir.err"
)
RC=$?
set -e
expect_rc redir 0
one_line redir "the program ignores SIGUSR2, so profiles on that signal are off (HEAPPROF_SIGNAL chooses another signal)"
one_line redir_child "the program ignores SIGUSR2, so profiles on that signal are off (HEAPPROF_SIGNAL chooses another signal)"

# Ignored by the profiled program after its start: its child's line.
run late HEAPPROF_OUT="$W/late" -- "$LC_HOST" sigign late
expect_rc late 0
for want in late_disposition=SIG_IGN grandchild_disposition=SIG_IGN grandchild_exit=0; do
    grep -qx "$want" "$W/late.out" || fail "late: expected $want, found: $(tr '\n' ' ' <"$W/late.out")"
done
one_line late "the program ignores SIGUSR2, so profiles on that signal are off (HEAPPROF_SIGNAL chooses another signal)"

run ctor HEAPPROF_OUT="$W/ctor" -- "$LC_SIGCTOR"
expect_rc ctor 0
grep -qx library_handler_hits=1 "$W/ctor.out" ||
    fail "ctor: the library's own SIGUSR2 handler should have run once: $(cat "$W/ctor.out")"
one_line ctor "the program already handles SIGUSR2, so profiles on that signal are off (HEAPPROF_SIGNAL chooses another signal)"
pid=$(pids_of "$W/ctor")
[[ -n $pid && $(expect_contiguous "$W/ctor" "$pid") -eq 1 ]] ||
    fail "ctor: expected the exit profile only, found: $(profiles "$W/ctor" | xargs -rn1 basename | tr '\n' ' ')"
note "ok: an ignored SIGUSR2 stays ignored (here and after exec), a library's handler keeps it"

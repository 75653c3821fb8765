#!/usr/bin/env bash
# lifecycle_host_nomark: where memfd_create is refused (run under marks
# nomemfd-any, a container's seccomp profile), on any kernel.  heapprof's
# marks are then named anonymous pages, or, where the kernel has no such
# names (every Debian kernel, CI's), none at all; host_tree_lines_nomemfd
# tests the first and is skipped here, this tests the second too:
#  probe: a profiled shell's maps show no memfd mark; an anonymous one
#         only where the kernel names anonymous pages; without one its
#         child (grep) says the settings' lines again;
#  tree:  a profiled parent and its exec'd child run as without the
#         filter (the same output, exit status, both exit profiles), and
#         with no mark to pass on, the child says the settings' lines again
#         (3 + 3), where with a mark it says nothing (3).
source "$(dirname "$0")/lib.sh"
need_env LC_EXEC LC_EXECCHILD

bad=(HEAPPROF_SAMPEL=1 HEAPPROF_DEPTH=0 HEAPPROF_HTTP=nonsense)

run probe "${bad[@]}" HEAPPROF_OUT="$W/pr" -- bash -c \
    'grep -oE "(/memfd:|\[anon:)heapprof-settings-[^] ]*" /proc/$$/maps; true'
expect_rc probe 0
grep -q '^/memfd:' "$W/probe.out" &&
    fail "probe: memfd_create is refused, yet a memfd mark is in the maps: $(cat "$W/probe.out")"
if grep -q '^\[anon:heapprof-settings-' "$W/probe.out"; then
    child_lines=0 # the kernel names anonymous pages: the mark is one
else
    [[ -s $W/probe.out ]] && fail "probe: expected no mark, found: $(cat "$W/probe.out")"
    child_lines=3
fi
# bash's lines, and its grep's where no mark spared them.
[[ $(hp_count "$W/probe.err") -eq $((3 + child_lines)) ]] ||
    fail "probe: expected $((3 + child_lines)) lines (bash's, grep's $child_lines), found: $(cat "$W/probe.err")"

run_plain plain -- "$LC_EXEC" forkexec "$LC_EXECCHILD"
expect_rc plain 0
run tree "${bad[@]}" HEAPPROF_OUT="$W/tr" -- "$LC_EXEC" forkexec "$LC_EXECCHILD"
expect_rc tree 0
# The output names pids, which differ run to run, and the child's
# LD_PRELOAD: compared without them.
strip() { sed -E '/^child LD_PRELOAD=/d; s/[0-9]+/N/g' "$1"; }
[[ $(strip "$W/tree.out") == "$(strip "$W/plain.out")" ]] ||
    fail "tree: the program's output changed: $(cat "$W/tree.out") (without heapprof: $(cat "$W/plain.out"))"
[[ $(pids_of "$W/tr" | wc -l) -eq 2 ]] || fail "tree: expected exit profiles of parent and child: $(profiles "$W/tr")"
want=$((3 + child_lines))
[[ $(hp_count "$W/tree.err") -eq $want ]] ||
    fail "tree: expected $want heapprof lines (the child says $child_lines), found: $(cat "$W/tree.err")"
[[ $(hp_lines "$W/tree.err" | sed -E 's/^heapprof\[([0-9]+)\].*/\1/' | sort -u | wc -l) -eq $((child_lines ? 2 : 1)) ]] ||
    fail "tree: expected the lines of $((child_lines ? 2 : 1)) process(es), found: $(cat "$W/tree.err")"
if ((child_lines)); then
    note "ok: without a memfd or a mark, the program runs as it did and its child says its own lines"
else
    note "ok: without a memfd, a named anonymous page is the mark and spares the child its lines"
fi

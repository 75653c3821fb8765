#!/usr/bin/env bash
# live_cgroup_real: a real cgroup v2 memory limit.  As root, on a host whose
# cgroup2 hierarchy has the memory controller, create a sub-group of this
# process's cgroup with memory.max = 64 MiB, run live_prog there growing to
# 40 MiB with HEAPPROF_LIMIT_DUMP=50 and no HEAPPROF_CGROUP (the profiler
# finds the group itself), and expect a limit profile written well before
# the limit, naming that group and its memory.max.  Skipped (exit 77), with
# the reason, where such a group cannot be made (not root, cgroup v1 or a
# hybrid hierarchy without the memory controller, a group with processes
# in it that cannot delegate the controller).
source "$(dirname "$0")/lib.sh"

[[ $(id -u) -eq 0 ]] || skip "not root: cannot create a cgroup"
mnt=$(awk '{for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") print $5; break }}' \
    /proc/self/mountinfo | head -n 1)
[[ -n $mnt ]] || skip "no cgroup2 file system is mounted"
rel=$(sed -n 's/^0:://p' /proc/self/cgroup)
[[ -n $rel ]] || skip "no cgroup v2 line in /proc/self/cgroup"
base=${mnt%/}${rel%/}
[[ -d $base ]] || skip "this process's cgroup $base is not visible"
grep -qw memory "$base/cgroup.controllers" 2>/dev/null ||
    skip "the memory controller is not available in $base (cgroup v1 or hybrid host: controllers '$(cat "$base/cgroup.controllers" 2>/dev/null)')"
enabled=
if ! grep -qw memory "$base/cgroup.subtree_control"; then
    echo +memory >"$base/cgroup.subtree_control" 2>/dev/null ||
        skip "cannot enable the memory controller for sub-groups of $base (it has processes of its own?)"
    enabled=1
fi
sub=$base/heapprof-live-$$
mkdir "$sub" 2>/dev/null || skip "cannot create $sub"

cg_cleanup() {
    [[ -n ${PID:-} ]] && kill -KILL "$PID" 2>/dev/null || true
    local i
    for ((i = 0; i < 50; i++)); do
        rmdir "$sub" 2>/dev/null && break
        sleep 0.1
    done
    [[ -n $enabled ]] && echo -memory >"$base/cgroup.subtree_control" 2>/dev/null || true
}
trap 'rc=$?; cg_cleanup; (exit $rc); common_cleanup' EXIT

[[ -f $sub/memory.max ]] || fail "$sub has no memory.max although the controller is enabled"
echo $((64 << 20)) >"$sub/memory.max"
[[ -f $sub/memory.swap.max ]] && echo 0 >"$sub/memory.swap.max"

# Move a shell into the group, then exec the program from it.
rm -f "$W/cg.stop"
env LIVE_STOP="$W/cg.stop" LIVE_WAIT=30 HEAPPROF_LIMIT_DUMP=50 HEAPPROF_OUT="$W/cg" \
    HEAPPROF_ON_EXIT=0 \
    bash -c 'echo $$ >"$1/cgroup.procs" && exec env LD_PRELOAD="$3" "$2" grow 40 30' \
    _ "$sub" "$LIVE_PROG" "$HEAPPROF_LIB" >"$W/cg.out" 2>"$W/cg.err" &
PID=$!
KILL_AT_EXIT+=("$PID")
for ((i = 0; i < 300; i++)); do
    grep -q '^ready' "$W/cg.out" 2>/dev/null && break
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.05
done
grep -q '^ready' "$W/cg.out" || fail "live_prog did not grow to 40 MiB: $(cat "$W/cg.err")"
# Until the limit profile is there (the writer polls every 0.2 s), 20 s at
# most: a wait, not a timing.
for ((i = 0; i < 400; i++)); do
    compgen -G "$W/cg.*.pb.gz" >/dev/null && break
    sleep 0.05
done
touch "$W/cg.stop"
set +e
wait "$PID"
RC=$?
set -e
[[ $RC -eq 0 ]] || fail "live_prog exited $RC (killed by the memory limit?): $(cat "$W/cg.err")"
files=$(ls "$W"/cg.*.pb.gz 2>/dev/null || true)
[[ -n $files ]] || fail "no limit profile was written while growing to 40 MiB of a 64 MiB limit"
f=$(head -n 1 <<<"$files")
c=$(comments "$f")
grep -q 'reason=limit' <<<"$c" || fail "$f: no reason=limit"
grep -q "cgroup dir=$sub" <<<"$c" || fail "$f: the profiler did not find its cgroup $sub: $(grep -a 'cgroup dir' <<<"$c")"
grep -q "memory.max=$((64 << 20))" <<<"$c" || fail "$f: memory.max not recorded"
grep -q "threshold_bytes=$((32 << 20)) of=memory.max" <<<"$c" || fail "$f: threshold not recorded"
note "ok: limit profile before the limit, in $sub"

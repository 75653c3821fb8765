#!/usr/bin/env bash
# lifecycle_host_mlockall: a program that locks its memory with
# mlockall(MCL_CURRENT) under a RLIMIT_MEMLOCK it fits without the profiler
# must succeed the same with it.  The kernel compares the limit with the
# process's whole address space (VmSize), touched or not, so every byte of
# address space the profiler maps counts: with its 8 MiB zero-filled filter,
# two 8 MiB thread stacks and a 2 MiB array it added 21 MiB, and mlockall
# failed with ENOMEM (docs/evidence.md).  Locking also faults all of it in:
# the resident memory it then adds is held to the memory target's 16 MiB.
#
# The program drops its capabilities itself (root's CAP_IPC_LOCK ignores the
# limit; CI runs as root); a limit below its own VmSize must then fail,
# which shows the limit is enforced.  The limit has to stay under the hard
# one, which only CAP_SYS_RESOURCE raises: 8 MiB is the kernel's default
# (and this CI's), so the program holds little here.
source "$(dirname "$0")/lib.sh"
need_env LC_MLOCK

# What heapprof may add to VmSize at the default interval: its library and
# those it links (3.5 MiB here, libm the largest), the stack table's buckets
# (512 KiB), the filter's 1 MiB at the default 4 KiB granule, the writer's
# 256 KiB stack.  Measured: 4.0 MiB.
ALLOW_KB=$((5 << 10))
# The memory target (README): the profiler's own memory under 10 % of the
# live heap + 16 MiB.
TARGET_KB=$((16 << 10))

field() { sed -n "s/^$2=//p" "$W/$1.out" | head -n 1; }
rss() { sed -n 's/^rss_kb=\([0-9]*\).*/\1/p' "$W/$1.out"; }
locked() { grep -qx 'mlockall=0' "$W/$1.out"; }

run_plain measure -- "$LC_MLOCK" 0 4
expect_rc measure 0
base=$(field measure vmsize_kb)
[[ $base =~ ^[0-9]+$ ]] || fail "the program printed no VmSize: $(cat "$W/measure.out")"
limit=$((base + ALLOW_KB))
hard=$(ulimit -H -l)
[[ $hard == unlimited || $hard -ge $limit ]] || [[ $(id -u) -eq 0 ]] ||
    skip "RLIMIT_MEMLOCK's hard limit ($hard kB) is below the program's VmSize + $ALLOW_KB kB ($limit kB)"

run_plain under -- "$LC_MLOCK" $((base - 1024)) 4
[[ $RC -eq 77 ]] && skip "$(cat "$W/under.out")"
expect_rc under 0
grep -q '^mlockall=-1' "$W/under.out" ||
    fail "a limit 1 MiB below the program's VmSize ($base kB) did not make mlockall fail: the limit is not enforced here ($(tr '\n' ' ' <"$W/under.out"))"

run_plain plain -- "$LC_MLOCK" "$limit" 4
[[ $RC -eq 77 ]] && skip "$(cat "$W/plain.out")"
expect_rc plain 0
locked plain || fail "without heapprof mlockall failed under $limit kB: $(tr '\n' ' ' <"$W/plain.out")"

run prof HEAPPROF_OUT="$W/p" -- "$LC_MLOCK" "$limit" 4
expect_rc prof 0
no_heapprof_lines prof
added=$(($(field prof vmsize_kb) - $(field plain vmsize_kb)))
locked prof ||
    fail "with heapprof mlockall failed under RLIMIT_MEMLOCK=$limit kB (the program's VmSize $base kB + $ALLOW_KB kB): heapprof added $added kB of address space; the program printed: $(tr '\n' ' ' <"$W/prof.out")"
((added <= ALLOW_KB)) || fail "heapprof added $added kB to VmSize, more than $ALLOW_KB kB"
rss_default=$(($(rss prof) - $(rss plain)))

# The exit profile is written as ever.
pid=$(pids_of "$W/p")
[[ $(expect_contiguous "$W/p" "$pid") -eq 1 ]] || fail "expected one profile (the exit profile), found: $(profiles "$W/p" | xargs -n1 basename | tr '\n' ' ')"
decode "$W/p.$pid.0001.pb.gz"
if have_go; then
    [[ $(reason "$W/p.$pid.0001.pb.gz.raw") == exit ]] || fail "expected the exit profile, reason=$(reason "$W/p.$pid.0001.pb.gz.raw")"
fi

# At 64 KiB (512-byte granules: the whole 8 MiB filter), without a limit:
# the resident memory mlockall makes of heapprof's, and an exit profile
# that holds the 6 MiB the program keeps.
run_plain plain64 -- "$LC_MLOCK" 0 48
expect_rc plain64 0
run prof64 HEAPPROF_OUT="$W/q" HEAPPROF_SAMPLE=64k HEAPPROF_SEED=1 -- "$LC_MLOCK" 0 48
expect_rc prof64 0
locked prof64 || fail "mlockall failed at HEAPPROF_SAMPLE=64k: $(tr '\n' ' ' <"$W/prof64.out")"
rss_64k=$(($(rss prof64) - $(rss plain64)))
for pair in "default:$rss_default" "64k:$rss_64k"; do
    ((${pair#*:} <= TARGET_KB + 600)) ||
        fail "after mlockall heapprof added ${pair#*:} kB of resident memory at the ${pair%%:*} interval, more than the target's $TARGET_KB kB + 10 % of the 6 MiB heap"
done
pid=$(pids_of "$W/q")
f="$W/q.$pid.0001.pb.gz"
decode "$f"
if have_go; then
    read -r _ _ io is < <(leaf "$f.raw" ml_hold)
    ((io >= 24 && is >= (3 << 20) && is <= (12 << 20))) ||
        fail "$f: in-use at ml_hold should estimate the 48 blocks of 128 KiB held (6 MiB), found $io objects, $is bytes"
fi
note "ok: mlockall under RLIMIT_MEMLOCK=$limit kB succeeds with heapprof as without (VmSize +$added kB); after mlockall heapprof's resident memory is +$rss_default kB (default interval), +$rss_64k kB (64k)"

#!/usr/bin/env bash
# lifecycle_host_stack_use: how much of the allocating thread's stack a
# sample takes beyond the allocator's own use.  A sample runs inside the
# program's malloc, on whatever stack that thread has: a fiber's of 16 KiB,
# a signal handler's alternate one.  stackuse.c measures the deepest byte a
# malloc/free loop reaches, bare and with every allocation sampled
# (HEAPPROF_SAMPLE=1), each loop's first walk through call sites the walker
# has not seen.  The default depth's walk buffer is sized for it: with the
# buffer of HEAPPROF_DEPTH's bound (256) a sample took 3.3 KiB more than
# glibc's malloc did, now 1.7 KiB (README, "Small stacks").  The other
# figures are reported and bounded loosely, against regressions.
source "$(dirname "$0")/lib.sh"
need_env LC_STACKUSE

used_of() { sed -n 's/^used=\([0-9]*\)$/\1/p' "$W/$1.out"; }

run_plain bare -- "$LC_STACKUSE"
expect_rc bare 0
bare=$(used_of bare)
[[ -n $bare ]] || fail "the bare run printed no figure: $(cat "$W/bare.out" "$W/bare.err")"

# name, the most bytes over the bare run, settings
check() {
    local name=$1 most=$2; shift 2
    run "$name" HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/p_$name" "$@" -- "$LC_STACKUSE"
    expect_rc "$name" 0
    local got
    got=$(used_of "$name")
    [[ -n $got ]] || fail "$name: no figure: $(cat "$W/$name.out" "$W/$name.err")"
    local added=$((got - bare))
    note "$name: $got bytes below the thread's frame, $added more than without heapprof (at most $most)"
    ((added <= most)) || fail "$name: a sample took $added bytes of the thread's stack beyond glibc's malloc, more than $most"
    others=$(grep -E "$HP_ANY" "$W/$name.err" || true)
    [[ -z $others ]] || fail "$name: the profiler printed on stderr: $others"
}

check default 2048
check depth256 3584 HEAPPROF_DEPTH=256
check libunwind 7168 HEAPPROF_FAST_UNWIND=0
note "ok: a sample's stack use is bounded (bare loop: $bare bytes)"

#!/usr/bin/env bash
# lifecycle_host_altstack_malloc: a signal handler on a small alternate
# stack (the kernel's minimum frame plus 5 KiB, a guard page below) that
# allocates, every allocation sampled.  The handler's frames are walked
# (the alternate stack's bounds are the kernel's); libunwind, which takes
# ~6 KiB more, is not run there: it overflowed such a stack (an 8 KiB one,
# the classic SIGSTKSZ, on a CPU with AVX-512) into the heap below, and the
# program aborted in free() or crashed.  The stack is then cut at the
# signal frame.
source "$(dirname "$0")/lib.sh"
need_env LC_ALTMALLOC

for fast in 1 0; do
    name=fast$fast
    run "$name" HEAPPROF_SAMPLE=1 HEAPPROF_FAST_UNWIND=$fast HEAPPROF_OUT="$W/p_$name" -- "$LC_ALTMALLOC"
    expect_rc "$name" 0
    grep -qx 'ok 200' "$W/$name.out" || fail "$name: the handler did not run to its end: $(cat "$W/$name.out" "$W/$name.err")"
    no_heapprof_lines "$name"
    f=$(newest_profile "$W/p_$name")
    decode "$f"
    if have_go; then
        has_function "$f.raw" in_handler || fail "$name: the handler's allocation site is not in the profile"
    fi
done
note "ok: samples on a small alternate signal stack"

#!/usr/bin/env bash
# lifecycle_host_bigtls: a program with a large static TLS block (its own
# __thread data) runs under heapprof as without it.  glibc carves each
# thread's static TLS out of the stack size asked for, so the profiler's
# threads need their own 256 KiB on top of it: sized without it, the
# writer overflowed its stack with 230 KiB of the program's TLS (SIGSEGV:
# the program killed) and could not start with 300 KiB (EINVAL).  Each
# program writes periodic profiles of deep stacks at HEAPPROF_SAMPLE=1, and
# its HTTP thread (the same stack) serves a heap profile meanwhile.
source "$(dirname "$0")/lib.sh"
need_env LC_BIGTLS_240 LC_BIGTLS_320
need curl curl

for kb in 240 320; do
    var=LC_BIGTLS_$kb
    start "t$kb" HEAPPROF_OUT="$W/p$kb" HEAPPROF_SAMPLE=1 HEAPPROF_PERIOD=0.05 HEAPPROF_DEPTH=256 \
        HEAPPROF_HTTP=127.0.0.1:0 -- "${!var}" 3
    pid=$BGPID
    wait_for_line "$W/t$kb.err" 'serving http://127\.0\.0\.1:[0-9]+/' 30 "$pid"
    port=$(sed -n 's|.*serving http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$W/t$kb.err" | head -n 1)
    curl -sS --max-time 20 -o "$W/h$kb.pb.gz" "http://127.0.0.1:$port/debug/pprof/heap" ||
        fail "t$kb: the HTTP endpoint did not serve a heap profile"
    gz_ok "$W/h$kb.pb.gz"
    finish "$pid"
    expect_rc "t$kb" 0
    grep -qx done=1 "$W/t$kb.out" || fail "t$kb: the program did not finish: $(tr '\n' ' ' <"$W/t$kb.out")"
    others=$(grep -E "$HP_ANY" "$W/t$kb.err" | grep -v 'serving http' || true)
    [[ -z $others ]] || fail "t$kb: the profiler printed on stderr: $others"
    n=$(profiles "$W/p$kb" | wc -l)
    ((n >= 3)) || fail "t$kb: expected periodic profiles and the exit profile, found $n"
    for f in $(profiles "$W/p$kb"); do gz_ok "$f"; done
done
note "ok: programs with 240 and 320 KiB of static TLS write and serve their profiles under heapprof"

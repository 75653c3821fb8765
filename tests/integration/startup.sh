#!/usr/bin/env bash
# integ_startup: what every profiled process pays at its start, counted
# where a count is exact (a build profiled as a whole, `heapprof run --
# make`, pays it in each of its processes; docs/benchmarks.md).
#  1. Symbol lookups: in a process without jemalloc, jemalloc's API is
#     looked up once (mallocx), not once per function: each lookup that
#     fails walks every loaded object and formats a message for dlerror.
#     The loader's own trace (LD_DEBUG=symbols) lists every object each
#     lookup visits.  Nor are C++'s operator new and delete looked up
#     where the C library's malloc is the allocator: it defines none.
#  2. Shared libraries: zlib and protobuf-c are built into libheapprof.so
#     (HEAPPROF_STATIC_DEPS, on by default), not loaded into every profiled
#     process with their opens, mappings and relocations.  The loader's
#     list of what it loads (what ldd prints) says.
#  3. Nor libm: heapprof computes its one exponential itself (sampler.c),
#     as a program without libm of its own (most C programs, every process
#     of a build) loaded it for heapprof at each start, 20 000
#     instructions and 10 page faults.  libheapprof.so needs none; where
#     nothing else in its closure brings it (libubsan does, in sanitize.sh's
#     ubsan-lib build), a profiled program loads none.  Unless a function
#     of libm's is called after all (sqrt and floor at -O0, a Debug build:
#     optimized, they are instructions): then libm is among the library's
#     needs, or a profiled C program ended in the loader's "symbol lookup
#     error", status 127, at its first sampled profile.  Every function
#     the library calls is found at load (LD_BIND_NOW=1).
#  4. Starting the writer thread costs the program's thread no wait and no
#     system call beyond pthread_create's own: explicit scheduling (where
#     the starter's policy is SCHED_OTHER already) made glibc's new thread
#     wait for its starter to set its policy, two context switches and
#     three system calls more, and naming the thread from its starter
#     opened, wrote and closed its /proc comm file; nor does the probe of
#     pidfd_getfd (threads.c) run there, five system calls (threadcalls.c
#     watches all three).  The writer still shows its name, and a starter
#     of another policy (chrt --batch) still gets a writer of SCHED_OTHER.
source "$(dirname "$0")/lib.sh"
need_env PROG_PLAIN STATIC_DEPS THREADCALLS

run lk HEAPPROF_OUT="$W/p" LD_DEBUG=symbols LD_DEBUG_OUTPUT="$W/ld" -- "$PROG_PLAIN"
[[ $RC -eq 7 ]] || fail "plain exited $RC, expected 7: $(cat "$W/lk.err")"
trace=$(ls "$W"/ld.* 2>/dev/null | head -1)
[[ -s $trace ]] || fail "LD_DEBUG=symbols wrote no trace under $W/ld.*"
grep -q 'symbol=mallocx;' "$trace" || fail "$trace: mallocx was never looked up (is the trace complete?)"
for name in rallocx xallocx sallocx dallocx sdallocx _Znwm _Znam _ZdlPv _ZdaPv _ZdlPvm _ZdaPvm \
    _ZnwmRKSt9nothrow_t _ZnamRKSt9nothrow_t; do
    # heapprof's lookups (RTLD_NEXT) visit the objects after it; the
    # loader's own binding of a C++ runtime's references (libubsan brings
    # libstdc++ in sanitize.sh's ubsan-lib build) finds these names in the
    # program or in heapprof, and is not counted.
    n=$(grep "symbol=$name;" "$trace" | grep -cvF -e "file=$PROG_PLAIN " -e "file=$HEAPPROF_LIB " || true)
    [[ $n -eq 0 ]] || fail "$name was looked up in $n objects, in a C program whose allocator is the C library's"
done
if [[ ${STATIC_DEPS:-OFF} == ON ]]; then
    objs=$(env LD_TRACE_LOADED_OBJECTS=1 LD_PRELOAD="$HEAPPROF_LIB" "$PROG_PLAIN" 2>&1)
    grep -q 'libunwind' <<<"$objs" || fail "the loader's list names no libunwind (is it complete?): $objs"
    if grep -qE 'libz\.so|libprotobuf-c\.so' <<<"$objs"; then
        fail "a profiled process loads $(grep -oE 'libz\.so[.0-9]*|libprotobuf-c\.so[.0-9]*' <<<"$objs" | sort -u | tr '\n' ' ')with HEAPPROF_STATIC_DEPS=ON"
    fi
fi
run bindnow HEAPPROF_OUT="$W/bn" HEAPPROF_SAMPLE=64 LD_BIND_NOW=1 -- "$PROG_PLAIN"
[[ $RC -eq 7 ]] && ! grep -q 'symbol lookup error' "$W/bindnow.err" ||
    fail "with LD_BIND_NOW=1, plain exited $RC, expected 7: $(cat "$W/bindnow.err")"
libm=$(ldconfig -p | awk '/libm\.so\.6 .*x86-64/ && !found {print $NF; found = 1}')
[[ -n $libm && -f $libm ]] || fail "libm.so.6 not found (ldconfig -p)"
# The functions libheapprof.so calls that libm defines (name@version: the
# version of the definition, the same as the reference's)
calls=$(comm -12 <(nm -D --undefined-only "$HEAPPROF_LIB" | awk '{print $2}' | sed 's/@.*//' | sort -u) \
    <(nm -D --defined-only "$libm" | awk '{print $3}' | sed 's/@.*//' | sort -u) | tr '\n' ' ')
# (readelf's and ldd's outputs read whole first: a readelf that failed, or
# was cut short by grep -q's exit under pipefail, passed the check)
dyn=$(readelf -d "$HEAPPROF_LIB") || fail "readelf -d $HEAPPROF_LIB failed"
grep -q '(NEEDED)' <<<"$dyn" || fail "readelf -d $HEAPPROF_LIB lists no NEEDED library: $dyn"
if [[ -z $calls ]] && grep -q 'NEEDED.*\[libm\.so' <<<"$dyn"; then
    fail "libheapprof.so needs libm, and calls none of its functions: $(grep NEEDED <<<"$dyn" | tr -s ' ' | tr '\n' ';')"
fi
lib_deps=$(ldd "$HEAPPROF_LIB") || fail "ldd $HEAPPROF_LIB failed"
prog_deps=$(ldd "$PROG_PLAIN") || fail "ldd $PROG_PLAIN failed"
if ! grep -q '/libm\.so' <<<"$lib_deps" && ! grep -q '/libm\.so' <<<"$prog_deps"; then
    objs=$(env LD_TRACE_LOADED_OBJECTS=1 LD_PRELOAD="$HEAPPROF_LIB" "$PROG_PLAIN" 2>&1)
    grep -q 'libunwind' <<<"$objs" || fail "the loader's list names no libunwind (is it complete?): $objs"
    if grep -q 'libm\.so' <<<"$objs"; then
        fail "a profiled program without libm loads it: $objs"
    fi
fi
# threadcalls_of NAME: the "explicit_sched=N named_other=M pidfd_main=K"
# line of run NAME.
threadcalls_of() {
    local l
    l=$(grep -E '^explicit_sched=[0-9]+ named_other=[0-9]+ pidfd_main=[0-9]+$' "$W/$1.err" | tail -1)
    [[ -n $l ]] || fail "$1: threadcalls.c printed no counts: $(cat "$W/$1.err")"
    echo "$l"
}
# Under chrt --other: the test's own policy is the runner's (a CI job under
# SCHED_BATCH, `chrt --batch 0 ctest` here, failed with explicit_sched=1).
HEAPPROF_LIB="$THREADCALLS $HEAPPROF_LIB" run tc HEAPPROF_OUT="$W/tc" -- chrt --other 0 "$PROG_PLAIN"
[[ $RC -eq 7 ]] || fail "plain with threadcalls.c exited $RC, expected 7: $(cat "$W/tc.err")"
[[ $(threadcalls_of tc) == "explicit_sched=0 named_other=0 pidfd_main=0" ]] ||
    fail "starting the writer from a SCHED_OTHER thread: $(threadcalls_of tc), expected explicit_sched=0 named_other=0 pidfd_main=0"
HEAPPROF_LIB="$THREADCALLS $HEAPPROF_LIB" run tcb HEAPPROF_OUT="$W/tcb" -- chrt --batch 0 "$PROG_PLAIN"
[[ $RC -eq 7 ]] || fail "plain under chrt --batch exited $RC, expected 7: $(cat "$W/tcb.err")"
[[ $(threadcalls_of tcb) == "explicit_sched=1 named_other=0 pidfd_main=0" ]] ||
    fail "starting the writer from a SCHED_BATCH thread: $(threadcalls_of tcb), expected explicit_sched=1 named_other=0 pidfd_main=0"
# writer_policy NAME: once the process of run_bg NAME runs sleep and shows
# a thread named heapprof-writer, that thread's policy as chrt prints it.
# chrt itself is profiled too, and its writer goes when it execs sleep: a
# thread found before the exec was chrt's (and `chrt -p` of it could fail).
writer_policy() {
    local t i got
    for ((i = 0; i < 600; i++)); do # 30 s: a wait, not a timing
        [[ $(cat /proc/"$BGPID"/comm 2>/dev/null) == sleep ]] || { sleep 0.05; continue; }
        for t in /proc/"$BGPID"/task/*; do
            if [[ $(cat "$t/comm" 2>/dev/null) == heapprof-writer ]] &&
                got=$(chrt -p "${t##*/}" 2>/dev/null); then
                head -1 <<<"$got" | sed 's/.*: //'
                return
            fi
        done
        sleep 0.05
    done
    fail "$1: no thread named heapprof-writer in $BGPID after 30 s: $(cat /proc/"$BGPID"/task/*/comm 2>/dev/null | tr '\n' ' ')"
}
for policy in other batch; do
    run_bg "w_$policy" HEAPPROF_OUT="$W/w_$policy" -- chrt "--$policy" 0 sleep 30
    got=$(writer_policy "w_$policy")
    kill "$BGPID"
    [[ $got == SCHED_OTHER ]] || fail "started under chrt --$policy, the writer's policy is '$got', expected SCHED_OTHER"
done
note "ok"

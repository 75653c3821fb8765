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
source "$(dirname "$0")/lib.sh"
need_env PROG_PLAIN STATIC_DEPS

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
if [[ -z $calls ]] && readelf -d "$HEAPPROF_LIB" | grep -q 'NEEDED.*\[libm\.so'; then
    fail "libheapprof.so needs libm, and calls none of its functions: $(readelf -d "$HEAPPROF_LIB" | grep NEEDED | tr -s ' ' | tr '\n' ';')"
fi
if ! ldd "$HEAPPROF_LIB" | grep -q '/libm\.so' && ! ldd "$PROG_PLAIN" | grep -q '/libm\.so'; then
    objs=$(env LD_TRACE_LOADED_OBJECTS=1 LD_PRELOAD="$HEAPPROF_LIB" "$PROG_PLAIN" 2>&1)
    grep -q 'libunwind' <<<"$objs" || fail "the loader's list names no libunwind (is it complete?): $objs"
    if grep -q 'libm\.so' <<<"$objs"; then
        fail "a profiled program without libm loads it: $objs"
    fi
fi
note "ok"

#!/usr/bin/env bash
# integ_dlopen_cxx: a C program that opens a C++ library with dlopen (as
# python opens a C++ extension module) runs as without the preload: the
# library's exceptions are caught where it catches them, and operator new
# that cannot allocate calls the new-handler and throws std::bad_alloc (or
# returns NULL, nothrow) as libstdc++'s does, whether the library was
# opened RTLD_LOCAL or RTLD_GLOBAL, in exact mode and at the default
# interval.
#
# Found by the audit: the free filter's unmapped tail left a hole inside
# libheapprof.so's address range, where the library and libstdc++ were
# mapped; the unwinder (_dl_find_object) looked their frames up in
# libheapprof.so, and every exception ended in std::terminate (exit 134).
# And with the library opened RTLD_LOCAL, heapprof's operator new found no
# next operator new for its failure path (libstdc++ was not in the search
# after it): it returned NULL, called no new-handler, threw nothing.
source "$(dirname "$0")/lib.sh"
need_env PROG_DLTHROW CXXPLUGIN

for mode in local global; do
    run_plain "base_$mode" -- "$PROG_DLTHROW" "$CXXPLUGIN" "$mode"
    expect_rc "base_$mode" 0
    grep -qx 'caught: thrown in the library' "$W/base_$mode.out" ||
        fail "without the preload ($mode): $(head -n 3 "$W/base_$mode.out")"
    for vars in "HEAPPROF_SAMPLE=1" "HEAPPROF_SAMPLE=512k"; do
        name="${mode}_${vars#HEAPPROF_SAMPLE=}"
        # shellcheck disable=SC2086
        run "$name" HEAPPROF_OUT="$W/p_$name" $vars -- "$PROG_DLTHROW" "$CXXPLUGIN" "$mode"
        if [[ $RC -ne 0 ]] || ! cmp -s "$W/base_$mode.out" "$W/$name.out"; then
            diff -u "$W/base_$mode.out" "$W/$name.out" >&2 || true
            fail "dlopen $mode, $vars: exit status $RC (134: std::terminate) or output differs from the run without the preload (diff above); stderr: $(head -n 3 "$W/$name.err")"
        fi
        no_heapprof_lines "$name"
    done
done
note "ok"

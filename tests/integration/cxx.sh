#!/usr/bin/env bash
# integ_cxx: C++ under the preload, exact mode.  Every form of operator
# new/delete is interposed: per-function object and byte counts of the
# direct new/delete calls match the program's own counts exactly; containers
# and exceptions show up below the functions that caused them; operator new
# failing still throws std::bad_alloc (the program checks it caught all);
# go tool pprof shows demangled names.
source "$(dirname "$0")/lib.sh"
need_env PROG_CXX

cxx_exact

# Containers: allocations happen in library code below the function.
while read -r _ fn min; do
    got=$(field "$p.sum.dem" cum "$fn")
    [[ -n $got ]] || fail "$fn missing from the cumulative view"
    set -- $got
    [[ $2 -ge $min ]] || fail "$fn: cumulative alloc_space $2, expected at least $min"
done < <(grep '^cumexpect ' "$W/cxx.out")

# Exceptions: every throw allocates its object via __cxa_allocate_exception.
throws=$(awk '$1=="exceptions"{print $2}' "$W/cxx.out")
got=$(field "$p.sum.dem" leaf __cxa_allocate_exception)
[[ -n $got ]] || fail "no leaf __cxa_allocate_exception: thrown exceptions were not seen"
set -- $got
[[ $1 -ge $throws ]] || fail "__cxa_allocate_exception: $1 allocations, expected at least $throws (one per throw)"
for fn in hp::hp_catch_payload hp::hp_throw_payload; do
    [[ -n $(field "$p.sum.dem" cum "$fn") ]] || fail "$fn missing from the cumulative view"
done

# Same program, same output without the preload.
run_plain noload -- "$PROG_CXX" 4
expect_rc noload 0
diff -u "$W/noload.out" "$W/cxx.out" >&2 || fail "stdout differs with and without the preload"

pprof_check "$p" hp::hp_new_delete hp::hp_new_array hp::hp_new_array_cookie hp::hp_nothrow \
    hp::hp_aligned hp::hp_throw_payload hp::hp_containers hp::hp_thread_work __cxa_allocate_exception
if [[ $GO_OK == yes ]] && grep -E ' _ZN2hp' "$p.top_alloc"; then
    fail "go tool pprof -top shows mangled names (above); expected them demangled"
fi
note "ok"

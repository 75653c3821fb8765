#!/usr/bin/env bash
# integ_pprof_names: what a user sees with a plain `go tool pprof -top` on a
# C++ profile.  Every frame of the program's own binary (built with -g and a
# full symbol table) has a function name in the profile; pprof must show a
# name for it too, not a bare "[integ_cxx]" node.
#
# pprof re-symbolizes mappings whose has_functions/has_filenames/
# has_line_numbers flags are all false, and then REPLACES the profile's
# Line/Function with what its own symbolizer found, even when that is a
# file:line without a function name (go tool pprof's DWARF reader gives no
# name for GCC's out-of-class template member instances such as
# std::__new_allocator<long>::allocate).  The names heapprof wrote are
# then lost.
source "$(dirname "$0")/lib.sh"
need_env PROG_CXX
go_setup
[[ $GO_OK == skip ]] && { note "skipped (HEAPPROF_SKIP_GO=1)"; exit 0; }

run cxx HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/cx" -- "$PROG_CXX" 2
expect_rc cxx 0
p=$(newest_profile "$W/cx")
summarize "$p"
# The profile itself names the container allocation frames ...
demangle_summary "$p.sum"
grep -q '^leaf std::__new_allocator<long>::allocate ' "$p.sum.dem" ||
    fail "the profile has no leaf std::__new_allocator<long>::allocate (vector<long> growth): $(grep '^leaf' "$p.sum.dem")"
# ... and pprof, using only the profile's names, shows them.
pprof_top "$p" "$W/remote.top" -symbolize=remote -sample_index=alloc_space -nodefraction=0
grep -q 'std::__new_allocator::allocate' "$W/remote.top" ||
    fail "pprof -symbolize=remote does not show std::__new_allocator::allocate: $(head -n 30 "$W/remote.top")"
# Default pprof: no frame of the binary may lose its name.
pprof_top "$p" "$W/default.top" -sample_index=alloc_space -nodefraction=0
bin=$(basename "$PROG_CXX")
if grep -E "[[:space:]]\[$bin\]\$" "$W/default.top" >&2; then
    # Diagnosis: the same profile with Mapping.has_functions set.
    hint=""
    if [[ -n ${PROFILE_CORRUPT:-} ]] && "$PROFILE_CORRUPT" has_functions "$p" "$W/hf.pb" &&
        go tool pprof -top -sample_index=alloc_space -nodefraction=0 "$W/hf.pb" >"$W/hf.top" 2>/dev/null; then
        if grep -qE "[[:space:]]\[$bin\]\$" "$W/hf.top"; then
            hint=" (setting has_functions on the mappings does not help either)"
        else
            hint=" (the same profile with Mapping.has_functions set shows every name: see $W/hf.top)"
        fi
    fi
    fail "go tool pprof -top shows unnamed '[$bin]' nodes (above) for frames the profile names (e.g. std::__new_allocator<long>::allocate): pprof re-symbolized the mapping (no has_* flag set) and replaced heapprof's names$hint"
fi
note "ok"

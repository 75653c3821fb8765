#!/usr/bin/env bash
# integ_pprof_names: what a user sees with a plain `go tool pprof -top` on a
# C++ profile, and on a C program's built -O2 -g (part 2), the inlined
# frames of allocations made inside inlined code (part 3), a function
# with an address of no source line (part 4), and an inlined function
# with one (part 5).  Every frame of the
# program's own binary (built with -g and a full symbol table) has a
# function name in the profile; pprof must show a name for it too, not a
# bare "[integ_cxx]" node.
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

# --- part 2: C at -O2 -g, and at -O0 -g ----------------------------------------
# The out-of-line copy of a function that is also inlined has a DWARF entry
# with DW_AT_abstract_origin and no DW_AT_name (nameless.c), which pprof's
# reader takes as no name: "[integ_nameless]" where the profile says
# hp_nameless_alloc.  heapprof marks that mapping as symbolized
# (dwarfabbrev.h), so pprof keeps the names, and writes its file:line.  A program without such an
# entry (PROG_PLAIN, -O0) keeps pprof's file:line.
need_env PROG_NAMELESS PROG_NAMELESS_SPLIT PROG_NAMELESS_GZ PROG_NAMELESS_GNU PROG_PLAIN
# The same program with split DWARF (-gsplit-dwarf: the binary's units are
# skeletons, pprof finds no function in them) and with compressed debug
# sections (-gz, and GNU's older .zdebug_* of -gz=zlib-gnu, which pprof
# decompresses): "[integ_nameless_split]", "[integ_nameless_gz]" and
# "[integ_nameless_gnu]" before heapprof read those.
for prog in "$PROG_NAMELESS" "$PROG_NAMELESS_SPLIT" "$PROG_NAMELESS_GZ" "$PROG_NAMELESS_GNU"; do
    bin=$(basename "$prog")
    run "$bin" HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/$bin" -- "$prog"
    expect_rc "$bin" 0
    p=$(newest_profile "$W/$bin")
    pprof_top "$p" "$W/$bin.top" -sample_index=alloc_space -nodefraction=0
    if grep -E "[[:space:]]\[$bin\]\$" "$W/$bin.top" >&2; then
        fail "go tool pprof -top shows an unnamed '[$bin]' node (above) where the profile names hp_nameless_alloc"
    fi
    # Its row holds the out-of-line copy's 1000 x 1000 bytes and, from the
    # inlined frames (dwarfinline.h), the inlined copy's 1000 x 10: the
    # split build's too, whose inlined entries are read from its .dwo
    # (dwarfinline_split.c).
    want_kb=986.33
    grep -qE "^ *${want_kb/./\\.}kB .* hp_nameless_alloc\$" "$W/$bin.top" ||
        fail "no hp_nameless_alloc row of ${want_kb}kB ($bin): $(cat "$W/$bin.top")"
done
# pprof adds no file:line to a mapping marked symbolized: the profile
# carries heapprof's own, from .debug_line (srclines.h), and they must be
# what addr2line says of the same addresses: the call to malloc in
# hp_nameless_alloc, and main's call through hp_nameless_fn.  The split
# build's line table is in the binary; the compressed builds' is inflated
# (zsection.h), GNU's .zdebug_line too.  They are the same code, so the
# line addr2line gives for the plain build is theirs too (addr2line finds
# none in the split build: it looks for the function in the .dwo).
# (objdump's output read whole first: awk's exit would SIGPIPE it under
# pipefail, had more code followed the function)
dis=$(objdump -d --no-show-raw-insn "$PROG_NAMELESS")
call=$(awk '/<hp_nameless_alloc>:/ { f = 1 } f && /call.*<malloc@plt>/ { sub(":", "", $1); print $1; exit }' <<<"$dis")
[[ -n $call ]] || fail "no call to malloc in hp_nameless_alloc (objdump -d)"
want=$(addr2line -e "$PROG_NAMELESS" "$call" | sed 's/ (discriminator [0-9]*)$//')
[[ $want == */nameless.c:[0-9]* ]] || fail "addr2line says $want for the malloc call at 0x$call"
for prog in "$PROG_NAMELESS" "$PROG_NAMELESS_SPLIT" "$PROG_NAMELESS_GZ" "$PROG_NAMELESS_GNU"; do
    bin=$(basename "$prog")
    p=$(newest_profile "$W/$bin")
    pprof_to "$p" "$W/$bin.traces" -traces -lines -sample_index=alloc_space
    # The lines of the stack of the 1000 out-of-line allocations, leaf first.
    stack=$(awk '/976\.56kB/ { f = 1 } f && /^-+\+/ { exit } f' "$W/$bin.traces")
    grep -qF "hp_nameless_alloc $want" <<<"$stack" ||
        fail "go tool pprof -traces -lines does not show hp_nameless_alloc at $want (addr2line) for $bin: $stack"
    grep -qE "^ +main /.*nameless\.c:[0-9]+$" <<<"$stack" ||
        fail "go tool pprof -traces -lines shows no file:line for main ($bin): $stack"
done

# --- part 3: inlined frames ------------------------------------------------------
# At -O2 an allocation inside inlined code leaves one frame, of the function
# it was inlined into; the profile carries the inlined functions from
# .debug_info (dwarfinline.h) as pprof Lines of that frame's Location, each
# at its own file:line (pprof adds none to a mapping marked symbolized).
need_env PROG_INLINED INTEG_CLI
run inlined HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/in" -- "$PROG_INLINED"
expect_rc inlined 0
p=$(newest_profile "$W/in")
pprof_to "$p" "$W/in.traces" -traces -lines -sample_index=alloc_space
# The line of the first source line of inlined.cc holding $1, and that file.
line_of() { grep -nF -- "$1" "$INLINED_SRC" | head -n 1 | cut -d: -f1; }
INLINED_SRC=$(dirname "${BASH_SOURCE[0]}")/inlined.cc
# A stack of the traces, leaf first, that holds line $1 (a fixed string).
stack_with() { awk -v want="$1" '/^-+\+/ { if (index(s, want)) { printf "%s", s; exit } s = ""; next } { s = s $0 "\n" }' "$W/in.traces"; }
# hp_inl_wrap, inlined into hp_inl_outer: two frames of one Location.
wrap="hp_inl_wrap .*/inlined\.cc:$(line_of "hp_inl_wrap's malloc") \(inline\)"
outer="hp_inl_outer .*/inlined\.cc:$(line_of "hp_inl_outer's call")\$"
stack=$(stack_with "hp_inl_outer ")
grep -qE "^ +[0-9.]+kB +$wrap" <<<"$stack" ||
    fail "go tool pprof -traces -lines shows no leaf frame $wrap: $stack"
grep -A1 -E "$wrap" <<<"$stack" | grep -qE "^ +$outer" ||
    fail "go tool pprof -traces -lines shows hp_inl_wrap not called from $outer: $stack"
# std::vector<long>::push_back's growth: allocate inlined into
# _M_realloc_insert (the symbol), which push_back, inlined into
# hp_inl_fill, called.
stack=$(stack_with "hp_inl_fill ")
for fn in 'std::__new_allocator::allocate .*/new_allocator\.h:[0-9]+ \(inline\)' \
    'std::vector::_M_realloc_insert .*/vector\.tcc:[0-9]+$' \
    'std::vector::push_back .*/stl_vector\.h:[0-9]+ \(inline\)' \
    "hp_inl_fill .*/inlined\\.cc:$(line_of "v.push_back(i)")\$"; do
    grep -qE "^ +([0-9.]+[kM]B +)?$fn" <<<"$stack" ||
        fail "go tool pprof -traces -lines shows no frame $fn in the stack of hp_inl_fill: $stack"
done
# The same inside a local class's method, whose code GCC places in the
# class's entry within hp_inl_local's: its inlined frames were lost (the
# reader skipped type entries and the children of functions without a
# query), and Local::make was shown at stl_vector.h's line.
stack=$(stack_with "Local::make ")
for fn in 'std::vector::push_back .*/stl_vector\.h:[0-9]+ \(inline\)' \
    "hp_inl_local\(int\)::Local::make .*/inlined\.cc:$(line_of "Local::make's push_back")\$"; do
    grep -qE "^ +([0-9.]+[kM]B +)?$fn" <<<"$stack" ||
        fail "go tool pprof -traces -lines shows no frame $fn in the stack of Local::make: $stack"
done
# hp_inl_both, inlined into main and called out of line: one function for
# -top, with both copies' bytes (2 x 1000 x 300).
pprof_top "$p" "$W/in.top" -sample_index=alloc_space -nodefraction=0
grep -qE '^ *585\.94kB .* hp_inl_both$' "$W/in.top" ||
    fail "pprof -top does not count both copies of hp_inl_both as one: $(grep hp_inl "$W/in.top")"
# heapprof's own reader takes the same Lines.
"$INTEG_CLI" top "$p" --type alloc_space --by stack >"$W/in.cli" ||
    fail "heapprof top failed on the profile"
grep -qF "hp_inl_wrap ← hp_inl_outer ← main" "$W/in.cli" ||
    fail "heapprof top --by stack shows no hp_inl_wrap ← hp_inl_outer: $(cat "$W/in.cli")"

# --- part 4: an address of no line ----------------------------------------------
# Compilers leave some instructions without a source line (line 0); such a
# frame takes its function's file (with no line), else pprof
# -filefunctions and -lines show the one function as two:
# "hp_lineless_pair" and "hp_lineless_pair .../lineless_x86_64.S".  Here
# the function's first instruction has no line either, so its other frames
# name the file.
# The assembly that makes such a call is x86-64's (PROG_LINELESS unset
# elsewhere).
if [[ -n ${PROG_LINELESS:-} ]]; then
    run lineless HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/ll" -- "$PROG_LINELESS"
    expect_rc lineless 0
    p=$(newest_profile "$W/ll")
    pprof_top "$p" "$W/ll.ff" -filefunctions -sample_index=alloc_space -nodefraction=0
    top=$(<"$W/ll.ff")
    rows=$(grep -cE ' hp_lineless_pair( |$)' <<<"$top" || true)
    if [[ $rows != 1 ]] ||
        ! grep -qE '^ *292\.97kB .* hp_lineless_pair .*/lineless_x86_64\.S$' <<<"$top"; then
        fail "pprof -filefunctions does not show hp_lineless_pair as one function of lineless_x86_64.S with both calls' 292.97kB: $top"
    fi
    # The call of no line keeps none: -lines shows it with the file alone.
    pprof_top "$p" "$W/ll.lines" -lines -sample_index=alloc_space -nodefraction=0
    top=$(<"$W/ll.lines")
    if ! grep -qE '^ *97\.66kB .* hp_lineless_pair .*/lineless_x86_64\.S$' <<<"$top" ||
        ! grep -qE '^ *195\.31kB .* hp_lineless_pair .*/lineless_x86_64\.S:[0-9]+$' <<<"$top"; then
        fail "pprof -lines does not show hp_lineless_pair's call of no line with its file alone (97.66kB) and its other call with a line (195.31kB): $top"
    fi
    # The same frame in an early profile, where nothing else of its
    # function was sampled, and in a late one, where something was
    # (lineless_entry_x86_64.S): it takes the file of the function's first
    # instruction in both, so pprof -diff_base shows the function as one
    # row with the late call's bytes (5000 x 100), not "hp_lineless_entry"
    # minus the line-less call's and "hp_lineless_entry .../lineless_entry_x86_64.S"
    # plus both calls'.
    run entry0 HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/le0" -- "$PROG_LINELESS" entry0
    expect_rc entry0 0
    run entry1 HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/le1" -- "$PROG_LINELESS" entry1
    expect_rc entry1 0
    early=$(newest_profile "$W/le0") late=$(newest_profile "$W/le1")
    pprof_top "$early" "$W/le0.ff" -filefunctions -sample_index=alloc_space -nodefraction=0
    top=$(<"$W/le0.ff")
    grep -qE '^ *292\.97kB .* hp_lineless_entry .*/lineless_entry_x86_64\.S$' <<<"$top" ||
        fail "pprof -filefunctions does not show the early profile's line-less hp_lineless_entry (292.97kB) with its file: $top"
    pprof_top "$late" "$W/le.diff" -diff_base "$early" -filefunctions -sample_index=alloc_space -nodefraction=0
    top=$(<"$W/le.diff")
    rows=$(grep -cE ' hp_lineless_entry( |$)' <<<"$top" || true)
    if [[ $rows != 1 ]] ||
        ! grep -qE '^ *488\.28kB .* hp_lineless_entry .*/lineless_entry_x86_64\.S$' <<<"$top"; then
        fail "pprof -diff_base -filefunctions does not show hp_lineless_entry as one row of lineless_entry_x86_64.S with the late call's 488.28kB: $top"
    fi

    # --- part 5: an inlined function's address of no line ----------------------------
    # The same for a call of no line in a function inlined into another
    # (lineless_inline_x86_64.S: hp_lineless_mid, declared in
    # lineless_inline.h, inlined into hp_lineless_inl), whose entry nothing
    # finds: its frame takes the file the DWARF declares the function in
    # (DW_AT_decl_file), in the early profile, where nothing else of
    # hp_lineless_mid was sampled, as in the late one, where its call at
    # lineless_inline.h:7 was.  pprof -diff_base -filefunctions shows one
    # row with the late call's bytes (7000 x 100), not "hp_lineless_mid"
    # minus the line-less call's and "hp_lineless_mid lineless_inline.h"
    # plus both calls'.
    run inl0 HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/li0" -- "$PROG_LINELESS" inl0
    expect_rc inl0 0
    run inl1 HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/li1" -- "$PROG_LINELESS" inl1
    expect_rc inl1 0
    early=$(newest_profile "$W/li0") late=$(newest_profile "$W/li1")
    pprof_top "$early" "$W/li0.ff" -filefunctions -sample_index=alloc_space -nodefraction=0
    top=$(<"$W/li0.ff")
    grep -qE '^ *292\.97kB .* hp_lineless_mid lineless_inline\.h( \(inline\))?$' <<<"$top" ||
        fail "pprof -filefunctions does not show the early profile's line-less inlined hp_lineless_mid (292.97kB) with the file it is declared in: $top"
    pprof_top "$late" "$W/li.diff" -diff_base "$early" -filefunctions -sample_index=alloc_space -nodefraction=0
    top=$(<"$W/li.diff")
    rows=$(grep -cE ' hp_lineless_mid( |$)' <<<"$top" || true)
    if [[ $rows != 1 ]] ||
        ! grep -qE '^ *683\.59kB .* hp_lineless_mid lineless_inline\.h( \(inline\))?$' <<<"$top"; then
        fail "pprof -diff_base -filefunctions does not show hp_lineless_mid as one row of lineless_inline.h with the late call's 683.59kB: $top"
    fi
else
    note "parts 4 and 5 skipped: their assembly is x86-64's"
fi

run plain HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/pl" -- "$PROG_PLAIN"
expect_rc plain 7
p=$(newest_profile "$W/pl")
pprof_to "$p" "$W/pl.raw" -raw
grep -qE ' M=1 pl_make .*plain\.c:[0-9]+ ' "$W/pl.raw" ||
    fail "no file:line from pprof for pl_make of the -O0 program: $(grep 'M=1' "$W/pl.raw")"
note "ok"

#!/usr/bin/env bash
# integ_jemalloc_api: jemalloc's own API (mallocx, rallocx, xallocx,
# dallocx, sdallocx) and C23's free_sized/free_aligned_sized, called through weak
# references as folly calls them (jemapi.c).  Over jemalloc they reach
# jemalloc's own functions; over glibc and tcmalloc, which lack them,
# heapprof's equivalents (real.c), and likewise over a stand-in allocator
# without malloc_usable_size.  Every way, in exact mode, the totals
# match to the byte: a block freed by sdallocx leaves the in-use profile,
# which it did not when heapprof did not see these calls.  mallctl, which
# folly and RocksDB test to find jemalloc, resolves exactly when jemalloc
# is there.
source "$(dirname "$0")/lib.sh"
need_env PROG_JEMAPI SIZEDALLOC_NOUSABLE JELIB PROG_JELINKED PROG_JEDLOPEN PROG_JEFIRST PROG_NOPIE
je=$(ldconfig -p | awk '/libjemalloc\.so\.2 .*x86-64/ && !found {print $NF; found = 1}')
[[ -n $je && -f $je ]] || fail "libjemalloc.so.2 not found (Debian package libjemalloc2)"
tc=$(ldconfig -p | awk '/libtcmalloc_minimal\.so\.4 .*x86-64/ && !found {print $NF; found = 1}')
[[ -n $tc && -f $tc ]] || fail "libtcmalloc_minimal.so.4 not found (Debian package libtcmalloc-minimal4)"
lib=$HEAPPROF_LIB

# The control: jemalloc alone runs the program and its own checks.
run_plain alone LD_PRELOAD="$je" -- "$PROG_JEMAPI" 3
expect_rc alone 0
grep -qx 'jemalloc_api mallctl=1 free_sized=0' "$W/alone.out" || fail "jemalloc alone: $(head -n 1 "$W/alone.out")"

# exact_over NAME ALLOCATOR MALLCTL: exact mode with heapprof in front of
# ALLOCATOR (empty: glibc); the mallctl line must read MALLCTL, and over
# jemalloc the program's ground truth must be what jemalloc alone gave
# (xallocx's answers differ between allocators).
exact_over() {
    local name=$1 alloc=$2 want=$3
    HEAPPROF_LIB="$lib${alloc:+ $alloc}"
    run "$name" HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/$name" -- "$PROG_JEMAPI" 3
    expect_rc "$name" 0
    no_heapprof_lines "$name"
    grep -qx "jemalloc_api mallctl=$want free_sized=1" "$W/$name.out" ||
        fail "$name: expected 'jemalloc_api mallctl=$want free_sized=1', the program printed '$(head -n 1 "$W/$name.out")'"
    if [[ $want == 1 ]]; then
        diff -u <(tail -n +2 "$W/alone.out") <(tail -n +2 "$W/$name.out") >&2 ||
            fail "$name: the program's ground truth differs from jemalloc alone's"
    fi
    p=$(newest_profile "$W/$name")
    summarize "$p" --cum
    check_header "$p.sum" 1
    compare_expect "$W/$name.out" "$p.sum"
    no_drops "$p.sum"
}
exact_over over_jemalloc "$je" 1
exact_over over_glibc "" 0
exact_over over_tcmalloc "$tc" 0
# An allocator without malloc_usable_size (sizedalloc.c built without it):
# rallocx with MALLOCX_ZERO fails rather than zero what it cannot tell, and
# nothing the program holds is lost.
exact_over over_nousable "$SIZEDALLOC_NOUSABLE" 0

# A library linked to jemalloc that calls its API for its own blocks and
# asks jemalloc's sallocx about them (jelib.c), in a process whose malloc is
# glibc's: loaded at start after libc, so jemalloc's functions are found
# behind heapprof's (real.c), or opened later with dlopen(RTLD_LOCAL), so
# they are not and heapprof's equivalents serve its calls, sallocx
# included.  Either way it runs as it does alone, and in exact mode its
# totals are exact.  (Debian's jemalloc needs more static TLS than glibc
# keeps for dlopen by default: the tunable is for the program, heapprof or
# not.)
tls=glibc.rtld.optional_static_tls=65536
run_plain jelinked_alone -- "$PROG_JELINKED" 3
expect_rc jelinked_alone 0
run_plain jedlopen_alone GLIBC_TUNABLES=$tls -- "$PROG_JEDLOPEN" "$JELIB" 3
expect_rc jedlopen_alone 0
HEAPPROF_LIB=$lib
for mode in 1 524288; do
    run "jelinked_$mode" HEAPPROF_SAMPLE=$mode HEAPPROF_OUT="$W/jl$mode" -- "$PROG_JELINKED" 3
    run "jedlopen_$mode" GLIBC_TUNABLES=$tls HEAPPROF_SAMPLE=$mode HEAPPROF_OUT="$W/jd$mode" \
        -- "$PROG_JEDLOPEN" "$JELIB" 3
    for name in "jelinked_$mode" "jedlopen_$mode"; do
        expect_rc "$name" 0
        no_heapprof_lines "$name"
        diff -u "$W/jelinked_alone.out" "$W/$name.out" >&2 || fail "$name: the program's output differs"
    done
done
for p in "$(newest_profile "$W/jl1")" "$(newest_profile "$W/jd1")"; do
    summarize "$p" --cum
    compare_expect "$W/jelinked_alone.out" "$p.sum"
done

# An allocator with jemalloc's API that is not the malloc, whose
# constructor makes the process's first allocation with mallocx (jefake.c):
# that call reaches heapprof's before anything resolved the allocator, and
# its block must still be that allocator's, which checks every block it is
# given back.
run_plain jefirst_alone -- "$PROG_JEFIRST" 3
expect_rc jefirst_alone 0
for mode in 1 524288; do
    run "jefirst_$mode" HEAPPROF_SAMPLE=$mode HEAPPROF_OUT="$W/jf$mode" -- "$PROG_JEFIRST" 3
    expect_rc "jefirst_$mode" 0
    no_heapprof_lines "jefirst_$mode"
done

# heapprof listed after the allocator (it says so, and sees nothing): a
# program that finds heapprof's sdallocx and mallocx must still give its
# blocks back to the allocator its own calls reach, not to the one after
# heapprof.  (The same for a program with its own malloc: integ_stacked.)
HEAPPROF_LIB="$tc $lib"
run bypassed HEAPPROF_OUT="$W/byp" -- "$PROG_JEMAPI" 3
expect_rc bypassed 0
[[ $(hp_count "$W/bypassed.err") -eq 1 ]] &&
    grep -qE "${HP_LINE}this process's malloc is $tc's" "$W/bypassed.err" ||
    fail "listed after tcmalloc: expected the one line saying so, got: $(hp_lines "$W/bypassed.err")"
# The same with a non-PIE program that takes malloc's and free's addresses
# (nopie.c): heapprof cannot tell that it is bypassed, and hands on through
# the program's own PLT entries.
run_plain nopie_alone LD_PRELOAD="$tc" -- "$PROG_NOPIE"
expect_rc nopie_alone 0
run nopie HEAPPROF_OUT="$W/np" -- "$PROG_NOPIE"
expect_rc nopie 0
grep -qx 'nopie ok' "$W/nopie.out" || fail "nopie printed: $(cat "$W/nopie.out")"
HEAPPROF_LIB=$lib
run nopie_exact HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/npx" -- "$PROG_NOPIE"
expect_rc nopie_exact 0
p=$(newest_profile "$W/npx")
summarize "$p"
grep -qx 'leaf np_mallocx 1000 599500 0 0' "$p.sum" ||
    fail "nopie, exact: expected np_mallocx's 1000 blocks of 599500 bytes counted once, found: $(grep np_mallocx "$p.sum")"

# At the default interval most calls take the unsampled path straight to
# the allocator's functions, and frees of blocks that share a sample's
# filter slot the slow path; jemalloc's per-thread counters must show every
# block freed (jx_balance), and the program's other checks hold.
HEAPPROF_LIB="$lib $je"
run sampled HEAPPROF_OUT="$W/sampled" -- "$PROG_JEMAPI" 60
expect_rc sampled 0
no_heapprof_lines sampled
note "ok: jemalloc's API and the sized frees, exact over jemalloc ($je), glibc, tcmalloc ($tc) and an allocator without malloc_usable_size; a library linked to jemalloc behind glibc's malloc, needed or opened; mallctl only with jemalloc"

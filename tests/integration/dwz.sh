#!/usr/bin/env bash
# integ_dwz: a program whose DWARF dwz rewrote with a supplementary file,
# as Debian (dh_dwz) and Fedora ship their debug files (`dwz -m`, and
# DWARF 5's `dwz -5 -m`), found through its .gnu_debugaltlink (.debug_sup)
# relative to the program's directory (and, the program stripped, its
# debug file's, found by build-id): its profile shows the stacks the
# program as built shows, inlined frames included (std::vector::push_back's
# are named from the supplementary file: before heapprof followed it, the
# stack of hp_inl_fill went from _M_realloc_insert to hp_inl_fill).  A
# supplementary file missing, or another in its place (its build-id is not
# the one recorded, though its offsets fit), loses the frames named from it
# and nothing else: the program runs as ever, no name comes from the
# wrong file, and one line names each path tried and what it held there:
# nothing, another build, no ELF file (garbage), the program itself
# (before, none: the frames just went; then the name as recorded, garbage
# "of another build", the program itself "missing").  Not at the path recorded, the file
# is looked up by the build-id (.debug_sup: checksum) recorded under each
# HEAPPROF_DEBUG_DIRS, DIR/.build-id/xx/rest.debug, as gdb does (a debug
# tree copied elsewhere; before, not looked for).
source "$(dirname "$0")/lib.sh"
need_env PROG_INLINED PROG_CXX INTEG_CLI
command -v dwz >/dev/null || skip "dwz is not installed (scripts/deps.sh installs it)"

# stacks NAME PROG [DIRS [LINE]]: the stacks of PROG's profile by bytes
# allocated, as heapprof top shows them, into $W/NAME.stacks
# (HEAPPROF_DEBUG_DIRS=DIRS); no heapprof line on stderr, or, with LINE,
# one, holding LINE.
stacks() {
    run "$1" HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/$1.prof" HEAPPROF_DEBUG_DIRS="${3:-/usr/lib/debug}" -- "$2"
    expect_rc "$1" 0
    if [[ -z ${4:-} ]]; then
        no_heapprof_lines "$1"
    elif [[ $(grep -cE -- "$HP_ANY" "$W/$1.err") != 1 ]] || ! grep -qF -- "$4" "$W/$1.err"; then
        fail "$1: expected one heapprof line holding '$4' on stderr, got: $(cat "$W/$1.err")"
    fi
    local p
    p=$(newest_profile "$W/$1.prof")
    "$INTEG_CLI" top "$p" --type alloc_space --by stack >"$W/$1.top" ||
        fail "heapprof top failed on $1's profile"
    grep -E '^ +[0-9.]+ [KM]iB ' "$W/$1.top" | sed 's/  */ /g' >"$W/$1.stacks" || true
}

stacks built "$PROG_INLINED"
# push_back's frames down to the allocator, as this build inlined them (a
# build with -fsanitize=undefined, sanitize.sh's ubsan-lib, inlines
# _M_allocate at two levels).
push=$(grep -oE 'std::__new_allocator::allocate ← .* ← std::vector::push_back ← hp_inl_fill' "$W/built.stacks" | head -n 1)
[[ $push == *'std::vector::_M_realloc_insert ← std::vector::emplace_back ← std::vector::push_back ← hp_inl_fill' ]] ||
    fail "the program as built shows no stack from std::__new_allocator::allocate through push_back to hp_inl_fill: $(cat "$W/built.top")"

prog=$(basename "$PROG_INLINED")
for mode in gnu sup; do
    d=$W/$mode
    mkdir "$d"
    cp "$PROG_INLINED" "$PROG_CXX" "$d/"
    flags=(-m common.debug)
    [[ $mode == sup ]] && flags+=(-5)
    (cd "$d" && dwz "${flags[@]}" "$prog" "$(basename "$PROG_CXX")" 2>dwz.err) ||
        fail "dwz ${flags[*]} failed: $(cat "$d/dwz.err")"
    [[ -f $d/common.debug ]] || fail "dwz ${flags[*]} wrote no supplementary file"
    stacks "$mode" "$d/$prog"
    diff "$W/built.stacks" "$W/$mode.stacks" >&2 ||
        fail "dwz ${flags[*]}: the stacks differ from the program's as built (above: < built, > after dwz)"
done

# As Debian ships it: the program stripped, its debug file (naming the
# supplementary file relative to itself) under a build-id tree, the
# supplementary file beside the debug file.
s=$W/split
mkdir -p "$s/bin"
cp "$W/gnu/$prog" "$s/bin/$prog"
objcopy --only-keep-debug "$s/bin/$prog" "$s/prog.debug"
# (readelf's output read whole first: grep -q stops reading, and under
# pipefail readelf's SIGPIPE would fail the check)
sections=$(readelf -S "$s/prog.debug" 2>/dev/null)
grep -q '\.gnu_debugaltlink' <<<"$sections" ||
    fail "objcopy --only-keep-debug left no .gnu_debugaltlink in the debug file"
strip --strip-debug --strip-unneeded "$s/bin/$prog"
id=$(readelf -n "$s/bin/$prog" 2>/dev/null | awk '/Build ID/ { print $3; exit }')
[[ ${#id} -ge 4 ]] || fail "no build-id in $s/bin/$prog"
mkdir -p "$s/root/.build-id/${id:0:2}"
mv "$s/prog.debug" "$s/root/.build-id/${id:0:2}/${id:2}.debug"
cp "$W/gnu/common.debug" "$s/root/.build-id/${id:0:2}/common.debug"
stacks split "$s/bin/$prog" "$s/root:/usr/lib/debug"
diff "$W/built.stacks" "$W/split.stacks" >&2 ||
    fail "stripped, with its dwz'd debug file by build-id: the stacks differ from the program's as built (above: < built, > stripped)"

# ident PROG: the identity PROG records of its supplementary file, in
# hex: the last 20 bytes of its .gnu_debugaltlink or .debug_sup.
ident() {
    python3 - "$1" <<'PY'
import struct, sys
prog = open(sys.argv[1], 'rb').read()
shoff, = struct.unpack_from('<Q', prog, 0x28)
shentsize, shnum, shstrndx = struct.unpack_from('<HHH', prog, 0x3a)
def shdr(i):
    return struct.unpack_from('<IIQQQQ', prog, shoff + i * shentsize)
stroff = shdr(shstrndx)[4]
for i in range(shnum):
    name, _, _, _, off, size = shdr(i)
    if prog[stroff + name:].split(b'\0')[0] in (b'.gnu_debugaltlink', b'.debug_sup'):
        print(prog[off + size - 20:off + size].hex())
        break
else:
    sys.exit(1)
PY
}

# Without the file: the frames named from it go, the others stay; the line
# names each path tried, the one recorded and the one by its build-id
# under each debug directory (before, the name as recorded only).
d=$(realpath "$W/gnu")
id=$(ident "$d/$prog") || fail "gnu: no .gnu_debugaltlink in the program"
by_id_path=/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug
mv "$d/common.debug" "$d/common.keep"
stacks missing "$d/$prog" /usr/lib/debug "$d/$prog: its supplementary DWARF file (dwz) common.debug was not read: $d/common.debug is missing; $by_id_path is missing: profiles leave out"
grep -qF "$push" "$W/missing.stacks" &&
    fail "the stack of hp_inl_fill kept its inlined frames without the supplementary file"
grep -qF 'std::vector::_M_realloc_insert ← hp_inl_fill ← main' "$W/missing.stacks" ||
    fail "without the supplementary file, no stack _M_realloc_insert ← hp_inl_fill: $(cat "$W/missing.top")"
grep -qF 'hp_inl_wrap ← hp_inl_outer ← main' "$W/missing.stacks" ||
    fail "without the supplementary file, hp_inl_wrap's frame (in the program's own units) went too: $(cat "$W/missing.top")"

# Not an ELF file there, or the program itself (a link to it): said as
# such (before, "of another build", and "missing").
head -c 4096 /dev/urandom >"$d/common.debug"
stacks unreadable "$d/$prog" /usr/lib/debug "(dwz) common.debug was not read: $d/common.debug is no ELF file heapprof can read; $by_id_path is missing: profiles"
diff "$W/missing.stacks" "$W/unreadable.stacks" >&2 ||
    fail "with garbage for the supplementary file, the stacks differ from those without one (above)"
ln -sf "$prog" "$d/common.debug"
stacks itself "$d/$prog" /usr/lib/debug "(dwz) common.debug was not read: $d/common.debug is the file itself; $by_id_path is missing: profiles"
rm "$d/common.debug"

# Another supplementary file in its place: the right one but for one byte
# of its build-id (.debug_sup: its checksum), as a file of another build
# whose offsets happen to fit.  Not read.
for mode in gnu sup; do
    d=$W/$mode
    [[ -f $d/common.keep ]] || mv "$d/common.debug" "$d/common.keep"
    id=$(ident "$d/$prog") || fail "$mode: no .gnu_debugaltlink or .debug_sup in the program"
    # The identity is once in the supplementary file.
    python3 - "$id" "$d/common.keep" "$d/common.debug" <<'PY' || fail "$mode: no build-id of the supplementary file in it"
import sys
ident = bytes.fromhex(sys.argv[1])
data = bytearray(open(sys.argv[2], 'rb').read())
if data.count(ident) != 1:
    sys.exit(1)
data[data.index(ident) + 19] ^= 1
open(sys.argv[3], 'wb').write(data)
PY
    stacks "wrong_$mode" "$d/$prog" /usr/lib/debug "$d/$prog: its supplementary DWARF file (dwz) common.debug was not read: $(realpath "$d")/common.debug is of another build; /usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug is missing: profiles"
    diff "$W/missing.stacks" "$W/wrong_$mode.stacks" >&2 ||
        fail "$mode: with another build-id in the supplementary file, the stacks differ from those without one (above): it was read"
done

# Not at the path recorded (missing, or of another build), but under a
# debug directory by the identity recorded: found there.  The other
# build's file, by that identity under a directory before it: not taken.
for mode in gnu sup; do
    d=$W/$mode
    id=$(ident "$d/$prog") || fail "$mode: no .gnu_debugaltlink or .debug_sup in the program"
    mkdir -p "$W/tree_$mode/.build-id/${id:0:2}" "$W/other_$mode/.build-id/${id:0:2}"
    mv "$d/common.keep" "$W/tree_$mode/.build-id/${id:0:2}/${id:2}.debug"
    cp "$d/common.debug" "$W/other_$mode/.build-id/${id:0:2}/${id:2}.debug"
    stacks "tree_wrong_$mode" "$d/$prog" "$W/other_$mode:$W/tree_$mode:/usr/lib/debug"
    diff "$W/built.stacks" "$W/tree_wrong_$mode.stacks" >&2 ||
        fail "$mode: another build at the path recorded, the right one by its identity under a debug directory: the stacks differ from the program's as built (above)"
    rm "$d/common.debug"
    stacks "tree_missing_$mode" "$d/$prog" "$W/tree_$mode:/usr/lib/debug"
    diff "$W/built.stacks" "$W/tree_missing_$mode.stacks" >&2 ||
        fail "$mode: none at the path recorded, the right one by its identity under a debug directory: the stacks differ from the program's as built (above)"
done
note "ok"

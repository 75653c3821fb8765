#!/usr/bin/env bash
# integ_debugfile: a program and a library shipped as distributions ship
# them, stripped (no .symtab, no DWARF) with their debug info in separate
# files (objcopy --only-keep-debug), are named as the unstripped ones are:
# their static functions, each frame's file:line, and the inlined frames
# (debugfile.h).  The debug file is found by build-id under
# HEAPPROF_DEBUG_DIRS (DIR/.build-id/xx/rest.debug), or through the
# binary's .gnu_debuglink beside it, in its .debug/, and under
# DIR/<its directory>/.  A debug file of another build (its build-id, or
# the link's CRC32, not the binary's), a truncated or garbage one, and
# HEAPPROF_DEBUG_DIRS=off give no names from it, and no crash.
# Before debugfile.c the stripped program's frames were "[prog]" with no
# line, and the library's only its exported dbglib_make.
source "$(dirname "$0")/lib.sh"
need_env PROG_DEBUGGED DEBUGGED_LIB INTEG_CLI
need objcopy binutils
need strip binutils
need addr2line binutils
go_setup

SRC=$(dirname "${BASH_SOURCE[0]}")
# line_of FILE TEXT: the first line of FILE (beside this script) holding TEXT.
line_of() { grep -nF -- "$2" "$SRC/$1" | head -n 1 | cut -d: -f1; }

# --- the files -------------------------------------------------------------------
# dbg/: the debug files; plain/: stripped, found by build-id only; linked/:
# stripped with a .gnu_debuglink each.
mkdir -p "$W/dbg" "$W/plain" "$W/linked" "$W/empty"
cp "$PROG_DEBUGGED" "$W/prog"
cp "$DEBUGGED_LIB" "$W/libdbg.so"
for f in prog libdbg.so; do
    objcopy --only-keep-debug "$W/$f" "$W/dbg/$f.debug"
    cp "$W/$f" "$W/plain/$f"
    strip --strip-debug --strip-unneeded "$W/plain/$f"
    cp "$W/plain/$f" "$W/linked/$f"
    (cd "$W/dbg" && objcopy --add-gnu-debuglink="$f.debug" "$W/linked/$f")
done
# (readelf's output read whole first, as in no_sym: a readelf that failed,
# or was cut short by grep -q's exit under pipefail, passed the check)
sections=$(readelf -S "$W/plain/prog") || fail "readelf -S $W/plain/prog failed"
grep -qF '.text' <<<"$sections" || fail "readelf -S $W/plain/prog lists no .text: $sections"
if grep -qE '\.symtab|\.debug_' <<<"$sections"; then
    fail "strip left a .symtab or DWARF in the program: $sections"
fi
build_id() { readelf -n "$1" | awk '/Build ID/ { print $3; exit }'; }
# by_id ROOT FILE DEBUG: DEBUG as FILE's ROOT/.build-id/xx/rest.debug.
by_id() {
    local id
    id=$(build_id "$2")
    [[ ${#id} -ge 4 ]] || fail "no build-id in $2"
    mkdir -p "$1/.build-id/${id:0:2}"
    cp "$3" "$1/.build-id/${id:0:2}/${id:2}.debug"
}

# --- what the unstripped files say -------------------------------------------------
# The frames each stack must show, innermost first, as addr2line -i -f says
# of the unstripped files at the call to malloc, and the source says of the
# calls above it.
call_in() { # FILE FUNCTION: the address of FUNCTION's call to malloc
    local dis # read whole first: awk's exit would SIGPIPE objdump under pipefail
    dis=$(objdump -d --no-show-raw-insn "$1")
    awk -v f="<$2>:" '$2 == f { on = 1; next } on && /^$/ { exit } on && /call.*<malloc@plt>/ { sub(":", "", $1); print $1; exit }' <<<"$dis"
}
# a2l FILE ADDR: "func file:line" per frame, innermost first.
a2l() {
    addr2line -i -f -e "$1" "$2" | sed 's/ (discriminator [0-9]*)$//' | paste -d' ' - - |
        awk '{ n = split($2, p, "/"); print $1, p[n] }'
}
at=$(call_in "$W/prog" dbg_outer)
[[ -n $at ]] || fail "no call to malloc in dbg_outer (objdump -d $W/prog)"
want_prog="dbg_inner debugged.c:$(line_of debugged.c "dbg_inner's malloc")
dbg_outer debugged.c:$(line_of debugged.c "dbg_outer's call")"
[[ $(a2l "$W/prog" "$at") == "$want_prog" ]] ||
    fail "addr2line -i says of the unstripped program's malloc call: $(a2l "$W/prog" "$at"); expected $want_prog"
want_prog+="
main debugged.c:$(line_of debugged.c "main's call")"
at=$(call_in "$W/libdbg.so" lib_static)
[[ -n $at ]] || fail "no call to malloc in lib_static (objdump -d $W/libdbg.so)"
want_lib="lib_inner debuggedlib.c:$(line_of debuggedlib.c "lib_inner's malloc")
lib_static debuggedlib.c:$(line_of debuggedlib.c "lib_static's call")"
[[ $(a2l "$W/libdbg.so" "$at") == "$want_lib" ]] ||
    fail "addr2line -i says of the unstripped library's malloc call: $(a2l "$W/libdbg.so" "$at"); expected $want_lib"
want_lib+="
dbglib_make debuggedlib.c:$(line_of debuggedlib.c "dbglib_make's call")"

# --- checks --------------------------------------------------------------------------
# frames TRACES FUNC: the stack of `go tool pprof -traces -lines` whose
# leaf is FUNC, as "func file:line" lines down to main or dbglib_make.
frames() {
    awk -v leaf="$2" '
        /^-+\+/ { s = ""; on = 0; next }
        { sub(/^ +[0-9.]+[kM]?B +/, "   "); sub(/^ +/, "") }
        $1 == leaf && s == "" { on = 1 }
        on { n = split($2, p, "/"); s = s $1 " " p[n] ($3 == "" ? "" : " " $3) "\n"; if ($1 == "main" || $1 == "dbglib_make") { printf "%s", s; exit } }
    ' "$1"
}

# named TAG DIRS PROG LIB: a run of PROG opening LIB with
# HEAPPROF_DEBUG_DIRS=DIRS names every frame as the unstripped files do.
named() {
    local tag=$1 dirs=$2 prog=$3 lib=$4 p
    run "$tag" HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/$tag" HEAPPROF_DEBUG_DIRS="$dirs" -- "$prog" "$lib"
    expect_rc "$tag" 0
    p=$(newest_profile "$W/$tag")
    "$INTEG_CLI" top "$p" --type alloc_space --lines >"$W/$tag.top" || fail "$tag: heapprof top --lines failed"
    local f
    for f in "dbg_inner .*/debugged\.c:$(line_of debugged.c "dbg_inner's malloc")\$" \
        "dbg_outer .*/debugged\.c:$(line_of debugged.c "dbg_outer's call")\$" \
        "lib_inner .*/debuggedlib\.c:$(line_of debuggedlib.c "lib_inner's malloc")\$" \
        "lib_static .*/debuggedlib\.c:$(line_of debuggedlib.c "lib_static's call")\$"; do
        grep -qE " $f" "$W/$tag.top" || fail "$tag: heapprof top --lines shows no $f: $(cat "$W/$tag.top")"
    done
    [[ $GO_OK == yes ]] || return 0
    pprof_to "$p" "$W/$tag.traces" -traces -lines -sample_index=alloc_space
    same_stack "$tag" dbg_inner "$want_prog" program
    same_stack "$tag" lib_inner "$want_lib" library
}

# same_stack TAG LEAF WANT WHAT: the stack of TAG's traces whose leaf is
# LEAF (inlined) is WANT, as addr2line -i says of the unstripped WHAT.
same_stack() {
    local got want
    got=$(frames "$W/$1.traces" "$2")
    want=$(sed '1s/$/ (inline)/' <<<"$3")
    [[ $got == "$want" ]] ||
        fail "$1: go tool pprof -traces -lines shows the $4's stack as
$got
expected (addr2line -i of the unstripped $4)
$want"
}

# unnamed TAG DIRS: the stripped program names nothing from a debug file,
# nor does `heapprof top --lines` under the same HEAPPROF_DEBUG_DIRS, which
# reads the lines the profile left to pprof from the binaries here
# (src/cli/locallines.h): the debug files it finds are the library's.
unnamed() {
    local tag=$1 dirs=$2 prog=$3 p
    run "$tag" HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/$tag" HEAPPROF_DEBUG_DIRS="$dirs" -- "$prog"
    expect_rc "$tag" 0
    no_heapprof_lines "$tag"
    p=$(newest_profile "$W/$tag")
    HEAPPROF_DEBUG_DIRS=$dirs timeout 60 "$INTEG_CLI" top "$p" --type alloc_space --lines \
        >"$W/$tag.top" || fail "$tag: heapprof top --lines failed"
    if grep -E 'dbg_|debugged\.c' "$W/$tag.top"; then
        fail "$tag: names or lines from a debug file that is not the program's (above)"
    fi
}

# --- found --------------------------------------------------------------------------
by_id "$W/root" "$W/plain/prog" "$W/dbg/prog.debug"
by_id "$W/root" "$W/plain/libdbg.so" "$W/dbg/libdbg.so.debug"
named by_build_id "$W/empty:$W/root" "$W/plain/prog" "$W/plain/libdbg.so"
# The link beside the binary, in its .debug/, under DIR/<its directory>/.
cp "$W/dbg/prog.debug" "$W/dbg/libdbg.so.debug" "$W/linked/"
named beside "$W/empty" "$W/linked/prog" "$W/linked/libdbg.so"
mkdir -p "$W/linked/.debug"
mv "$W/linked/prog.debug" "$W/linked/libdbg.so.debug" "$W/linked/.debug/"
named dot_debug "$W/empty" "$W/linked/prog" "$W/linked/libdbg.so"
mkdir -p "$W/root2$W/linked"
mv "$W/linked/.debug/prog.debug" "$W/linked/.debug/libdbg.so.debug" "$W/root2$W/linked/"
named under_dir "$W/empty:$W/root2" "$W/linked/prog" "$W/linked/libdbg.so"
# A debug file with DWARF but no .symtab: its functions named from the
# DWARF (before, "[prog]" with no line at all).
objcopy --strip-all --keep-section='.debug_*' "$W/dbg/prog.debug" "$W/nosymtab.debug"
sections=$(readelf -S "$W/nosymtab.debug" 2>/dev/null) # whole first, as in no_sym
if grep -qF '.symtab' <<<"$sections" || ! grep -qF '.debug_info' <<<"$sections"; then
    fail "objcopy left a .symtab, or no .debug_info, in $W/nosymtab.debug: $sections"
fi
by_id "$W/root8" "$W/plain/prog" "$W/nosymtab.debug"
# The library's too: its exports (and a label among them) are then its only
# symbols.
objcopy --strip-all --keep-section='.debug_*' "$W/dbg/libdbg.so.debug" "$W/libnosymtab.debug"
by_id "$W/root8" "$W/plain/libdbg.so" "$W/libnosymtab.debug"
named no_symtab "$W/root8" "$W/plain/prog" "$W/plain/libdbg.so"

# --- a .symtab that lost its static functions ---------------------------------------
# Its DWARF names them where no symbol covers them, or only a label of size
# 0 before them does (before, "[prog]" with no line, or the label's name).
# no_sym FILE SYM...: FILE has DWARF and none of the symbols SYM.
# (Read whole first: grep -q stops reading, and under pipefail readelf's
# SIGPIPE failed the check.)
no_sym() {
    local f=$1 s sections syms
    shift
    sections=$(readelf -S "$f" 2>/dev/null)
    syms=$(readelf -sW "$f" 2>/dev/null | awk '{ print $8 }')
    grep -qF '.debug_info' <<<"$sections" || fail "no .debug_info left in $f"
    for s in "$@"; do
        if grep -qxF "$s" <<<"$syms"; then
            fail "$f still has the symbol $s"
        fi
    done
}
# The exports only (objcopy --discard-all: strip's --discard-all and
# objcopy's --strip-unneeded drop the DWARF too); the library's label
# dbglib_label is then the symbol before lib_static.
mkdir -p "$W/globals" "$W/nolocal"
for f in prog libdbg.so; do
    objcopy --discard-all --keep-section='.debug_*' "$W/$f" "$W/globals/$f"
done
no_sym "$W/globals/prog" dbg_outer frame_dummy
syms=$(readelf -sW "$W/globals/prog" 2>/dev/null) # whole first, as in no_sym
grep -qE " 0 FUNC +GLOBAL .* dbg_asm_alloc$" <<<"$syms" ||
    fail "no dbg_asm_alloc of size 0 in $W/globals/prog: $syms"
no_sym "$W/globals/libdbg.so" lib_static frame_dummy
# asm_named TAG: TAG's program named its assembly routine dbg_asm_alloc (a
# label of size 0 the DWARF has no entry for) by its label.
asm_named() {
    grep -qE ' dbg_asm_alloc$' "$W/$1.top" || fail "$1: no dbg_asm_alloc, named by its label: $(cat "$W/$1.top")"
}
named globals_only "$W/empty" "$W/globals/prog" "$W/globals/libdbg.so"
asm_named globals_only
# Only the static functions' own symbols removed: the program's frame_dummy
# (size 0, crtstuff's) is then the symbol before dbg_outer.
objcopy --strip-symbol=dbg_outer --strip-symbol=dbg_outer.cold "$W/prog" "$W/nolocal/prog"
objcopy --strip-symbol=lib_static --strip-symbol=lib_static.cold "$W/libdbg.so" "$W/nolocal/libdbg.so"
no_sym "$W/nolocal/prog" dbg_outer
no_sym "$W/nolocal/libdbg.so" lib_static
named no_local "$W/empty" "$W/nolocal/prog" "$W/nolocal/libdbg.so"
asm_named no_local
# Stripped, with a debug file whose .symtab has the exports only.
objcopy --discard-all --keep-section='.debug_*' "$W/dbg/prog.debug" "$W/globals.debug"
objcopy --discard-all --keep-section='.debug_*' "$W/dbg/libdbg.so.debug" "$W/libglobals.debug"
no_sym "$W/globals.debug" dbg_outer
no_sym "$W/libglobals.debug" lib_static
by_id "$W/root9" "$W/plain/prog" "$W/globals.debug"
by_id "$W/root9" "$W/plain/libdbg.so" "$W/libglobals.debug"
named debug_globals_only "$W/root9" "$W/plain/prog" "$W/plain/libdbg.so"
asm_named debug_globals_only

# --- not used -------------------------------------------------------------------------
unnamed none "$W/empty" "$W/plain/prog"
# off: not even the file the link names beside the binary.
cp "$W/dbg/prog.debug" "$W/linked/prog.debug"
unnamed off off "$W/linked/prog"
rm "$W/linked/prog.debug"
# Another build: the same debug file with one bit of its build-id changed,
# by build-id, and by a link whose CRC32 is its own.
id=$(build_id "$W/plain/prog")
python3 - "$W/dbg/prog.debug" "$W/other.debug" "$id" <<'PY'
import sys
data = open(sys.argv[1], 'rb').read()
want = bytes.fromhex(sys.argv[3])
assert data.count(want) == 1, data.count(want)
other = want[:-1] + bytes([want[-1] ^ 1])
open(sys.argv[2], 'wb').write(data.replace(want, other))
PY
by_id "$W/root3" "$W/plain/prog" "$W/other.debug"
unnamed other_by_id "$W/root3" "$W/plain/prog"
mkdir -p "$W/other"
cp "$W/plain/prog" "$W/other/prog"
cp "$W/other.debug" "$W/other/prog.debug"
(cd "$W/other" && objcopy --add-gnu-debuglink=prog.debug prog)
unnamed other_by_link "$W/empty" "$W/other/prog"
# A file without a build-id, for a binary that has one, through a link whose
# CRC32 is the file's: a CRC32 can be matched on purpose, the build-id rules.
mkdir -p "$W/noid"
objcopy --remove-section=.note.gnu.build-id "$W/other.debug" "$W/noid/prog.debug"
[[ -z $(build_id "$W/noid/prog.debug") ]] || fail "objcopy left a build-id in $W/noid/prog.debug"
cp "$W/plain/prog" "$W/noid/prog"
(cd "$W/noid" && objcopy --add-gnu-debuglink=prog.debug prog)
unnamed no_id_by_link "$W/empty" "$W/noid/prog"
# The right build with a byte more than the link's CRC32 says: the build-id
# is the program's, so its names are (the CRC32 is not read at all).
# (The library's is still under root2; the program's only beside it.)
mv "$W/root2$W/linked/prog.debug" "$W/linked/prog.debug"
printf 'x' >>"$W/linked/prog.debug"
named crc_of_same_id "$W/empty:$W/root2" "$W/linked/prog" "$W/linked/libdbg.so"
rm "$W/linked/prog.debug"
# A program without a build-id has only the link's CRC32: its own debug
# file is taken, and, with a byte more, refused.
mkdir -p "$W/nobid"
objcopy --remove-section=.note.gnu.build-id "$W/prog" "$W/nobid/full"
[[ -z $(build_id "$W/nobid/full") ]] || fail "objcopy left a build-id in $W/nobid/full"
objcopy --only-keep-debug "$W/nobid/full" "$W/nobid/prog.debug"
cp "$W/nobid/full" "$W/nobid/prog"
strip --strip-debug --strip-unneeded "$W/nobid/prog"
(cd "$W/nobid" && objcopy --add-gnu-debuglink=prog.debug prog)
named crc_no_id "$W/root" "$W/nobid/prog" "$W/plain/libdbg.so"
printf 'x' >>"$W/nobid/prog.debug"
unnamed wrong_crc "$W/empty" "$W/nobid/prog"
# Truncated (its build-id note still there, its section headers gone), and
# garbage, where the build-id says.
size=$(stat -c %s "$W/dbg/prog.debug")
head -c $((size / 2)) "$W/dbg/prog.debug" >"$W/half.debug"
by_id "$W/root4" "$W/plain/prog" "$W/half.debug"
unnamed truncated "$W/root4" "$W/plain/prog"
head -c 65536 /dev/urandom >"$W/garbage.debug"
by_id "$W/root5" "$W/plain/prog" "$W/garbage.debug"
unnamed garbage "$W/root5" "$W/plain/prog"
# A FIFO where a debug file should be: no hang, no names.
by_id "$W/root6" "$W/plain/prog" "$W/garbage.debug"
f=$(find "$W/root6/.build-id" -name '*.debug')
rm "$f"
mkfifo "$f"
unnamed fifo "$W/root6" "$W/plain/prog"

# Its DWARF compressed with zstd, which heapprof does not inflate: the
# names of its .symtab, no lines, and one line saying why (before, the
# lines just went).  objcopy --compress-debug-sections=zstd writes it
# where binutils was built with zstd (2.40 here: readelf -t says ZSTD, and
# the data opens with zstd's magic); elsewhere it refuses or writes zlib,
# and zlib's headers are given zstd's ch_type instead.
# compressed FILE TYPE: how many sections of FILE are SHF_COMPRESSED with
# ch_type TYPE; with "patch", its zlib ones are made type 2 (zstd) first.
compressed() {
    python3 - "$@" <<'PY'
import struct, sys
path, want = sys.argv[1], int(sys.argv[2])
data = bytearray(open(path, 'rb').read())
shoff, = struct.unpack_from('<Q', data, 0x28)
shentsize, shnum = struct.unpack_from('<HH', data, 0x3a)
n = 0
for i in range(shnum):
    _, _, flags, _, off, _ = struct.unpack_from('<IIQQQQ', data, shoff + i * shentsize)
    if not flags & 0x800:  # SHF_COMPRESSED
        continue
    if len(sys.argv) > 3 and struct.unpack_from('<I', data, off)[0] == 1:  # zlib
        struct.pack_into('<I', data, off, 2)  # ELFCOMPRESS_ZSTD
    n += struct.unpack_from('<I', data, off)[0] == want
if len(sys.argv) > 3:
    open(path, 'wb').write(data)
print(n)
PY
}
if objcopy --compress-debug-sections=zstd "$W/dbg/prog.debug" "$W/zstd.debug" 2>/dev/null &&
    [[ $(compressed "$W/zstd.debug" 2) -gt 0 ]]; then
    note "zstd: objcopy --compress-debug-sections=zstd writes zstd"
else
    note "zstd: this objcopy writes no zstd: zlib's headers given zstd's ch_type"
    objcopy --compress-debug-sections=zlib "$W/dbg/prog.debug" "$W/zstd.debug"
    [[ $(compressed "$W/zstd.debug" 2 patch) -gt 0 ]] || fail "no compressed section in $W/zstd.debug"
fi
by_id "$W/root7" "$W/plain/prog" "$W/zstd.debug"
zf=$(find "$W/root7/.build-id" -name '*.debug')
run zstd HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/zstd" HEAPPROF_DEBUG_DIRS="$W/root7" -- "$W/plain/prog"
expect_rc zstd 0
[[ $(grep -cE -- "$HP_ANY" "$W/zstd.err") == 1 ]] &&
    grep -qF "$zf: its DWARF is compressed with zstd" "$W/zstd.err" ||
    fail "zstd: expected one line saying $zf's DWARF is compressed with zstd, got: $(cat "$W/zstd.err")"
p=$(newest_profile "$W/zstd")
"$INTEG_CLI" top "$p" --type alloc_space --lines >"$W/zstd.top" || fail "zstd: heapprof top --lines failed"
grep -qE ' dbg_outer$' "$W/zstd.top" || fail "zstd: no dbg_outer from the debug file's .symtab: $(cat "$W/zstd.top")"
if grep -E 'debugged\.c' "$W/zstd.top"; then
    fail "zstd: lines from DWARF heapprof cannot have inflated (above)"
fi
note "ok"

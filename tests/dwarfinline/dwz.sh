#!/usr/bin/env bash
# dwarfinline_dwz: the inlined frames and lines heapprof's readers give
# (inlines_of) for binaries that dwz rewrote, as Debian (dh_dwz) and Fedora
# ship every debug file, must be the ones they give for the binaries as
# built, which dwarfinline_oracle holds to binutils' addr2line.
# (addr2line 2.40 itself is no oracle here: on dwz's output it names some
# inlined frames with the outermost function's name.)
#
#   dwz.sh INLINES_OF A B [A B]...
#
# Each binary is rewritten alone (`dwz FILE`: the entries its units share
# move into partial units, reached through DW_FORM_ref_addr), and each pair
# A B together (`dwz -m common.debug A B`: the entries both share move into
# a supplementary file, reached through DW_FORM_GNU_ref_alt and
# DW_FORM_GNU_strp_alt; and with -5, DWARF 5's DW_FORM_ref_sup4 and
# DW_FORM_strp_sup), which inlines_of is given, as dwz wrote it and with
# its sections compressed.  Without it, an address keeps its line and may
# lose its inlined frames, nothing else.  The answers compared name the
# file each inlined function is declared in too (inlines_of -d): after dwz
# its DW_AT_decl_file may lie in a partial unit or in the supplementary
# file, numbered by that unit's own line table.
# Addresses: every byte of every function (nm).
set -euo pipefail
TEST_TAG=dwarfinline_dwz
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
command -v dwz >/dev/null || skip "dwz is not installed (scripts/deps.sh installs it)"
for tool in nm readelf objcopy; do
    command -v $tool >/dev/null || fail "$tool is missing (binutils)"
done
inlines_of=$1
shift
(( $# % 2 == 0 )) || fail "usage: dwz.sh INLINES_OF A B [A B]..."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# addrs BIN: every byte of its functions, in hex, one a line.
addrs() {
    local addr size a s off
    nm -S --defined-only "$1" | awk '$3 ~ /^[TtWw]$/ && NF == 4 { print $1, $2 }' |
        while read -r addr size; do
            a=$((16#$addr)) s=$((16#$size))
            for ((off = 0; off < s; off++)); do printf '%x\n' $((a + off)); done
        done
}
# inlined FILE: the addresses inlines_of put in an inlined function.
inlined() { awk '/^0x/ { n = 0; next } { if (++n == 3) c++ } END { print c + 0 }' "$1"; }
# forms BIN PATTERN: how many abbreviations of BIN use a form matching PATTERN.
forms() { readelf --debug-dump=abbrev "$1" 2>/dev/null | grep -cE "$2" || true; }

# same NAME WANT GOT: inlines_of's answers for the rewritten binary are the
# ones for the binary as built.
same() {
    cmp -s "$2" "$3" && return 0
    diff "$2" "$3" | head -n 30 >&2
    fail "$1: answers differ after dwz (above: < as built, > after)"
}

cd "$work"
set -- "$@"
for bin in "$@"; do
    b=$(basename "$bin")
    addrs "$bin" >"$b.addrs"
    "$inlines_of" -d "$bin" <"$b.addrs" >"$b.want"
    "$inlines_of" "$bin" <"$b.addrs" >"$b.bare"
    awk -F'\t' 'NF == 2 && $2 == "?" { bad = 1 } END { exit bad }' "$b.want" ||
        fail "$b: an inlined function declared in no file"
    (( $(inlined "$b.want") >= 20 )) || fail "$b: too few inlined frames to compare"
    mkdir -p single
    cp "$bin" "single/$b"
    dwz "single/$b" 2>"$b.dwz" || fail "dwz $b failed: $(cat "$b.dwz")"
    (( $(readelf --debug-dump=info "single/$b" | grep -c DW_TAG_partial_unit) > 0 )) ||
        fail "$b: dwz made no partial unit (nothing to test)"
    "$inlines_of" -d "single/$b" <"$b.addrs" >"$b.single"
    same "dwz $b" "$b.want" "$b.single"
    note "dwz $b: $(wc -l <"$b.addrs") addresses, $(inlined "$b.want") in inlined functions, alike"
done

while (( $# )); do
    a=$(basename "$1") b=$(basename "$2")
    for mode in gnu sup; do
        d=$mode-$a-$b
        mkdir "$d"
        cp "$1" "$2" "$d/"
        # A relative name, as Fedora records it: the file's directory.
        flags=(-m common.debug)
        [[ $mode == sup ]] && flags+=(-5)
        (cd "$d" && dwz "${flags[@]}" "$a" "$b" 2>dwz.err) || fail "dwz ${flags[*]} $a $b failed: $(cat "$d/dwz.err")"
        [[ -f $d/common.debug ]] || fail "dwz ${flags[*]} $a $b wrote no supplementary file"
        for p in "$a" "$b"; do
            want=$([[ $mode == sup ]] && echo 'DW_FORM_ref_sup|DW_FORM_strp_sup' || echo 'DW_FORM_GNU_(ref|strp)_alt')
            (( $(forms "$d/$p" "$want") > 0 )) || fail "$d/$p: no reference into the supplementary file"
            "$inlines_of" -d "$d/$p" "$d/common.debug" <"$p.addrs" >"$d/$p.got"
            same "dwz ${flags[*]} $a $b: $p" "$p.want" "$d/$p.got"
            # The supplementary file's sections compressed (inflated as
            # the file's own are, under the same cap).
            if [[ ! -f $d/common.z ]]; then
                objcopy --compress-debug-sections=zlib "$d/common.debug" "$d/common.z" ||
                    fail "objcopy could not compress $d/common.debug"
            fi
            "$inlines_of" -d "$d/$p" "$d/common.z" <"$p.addrs" >"$d/$p.z"
            same "dwz ${flags[*]} $a $b: $p, its supplementary file compressed" "$p.want" "$d/$p.z"
            # Without the supplementary file: the same lines, and each
            # address its inlined frames or none.
            "$inlines_of" "$d/$p" <"$p.addrs" >"$d/$p.alone"
            awk 'function flush() { if (a != "") print a "\t" g; g = "" }
                 /^0x/ { flush(); a = $0; next } { g = g "|" $0 } END { flush() }' "$p.bare" >"$d/want.g"
            awk 'function flush() { if (a != "") print a "\t" g; g = "" }
                 /^0x/ { flush(); a = $0; next } { g = g "|" $0 } END { flush() }' "$d/$p.alone" >"$d/alone.g"
            paste "$d/want.g" "$d/alone.g" | awk -F'\t' -v p="$d/$p" '
                { split($2, w, "|"); bare = "|-|" w[3] }
                $1 != $3 || ($4 != $2 && $4 != bare) { print p ": " $0 > "/dev/stderr"; bad++ }
                END { exit bad > 0 }' ||
                fail "dwz ${flags[*]} $a $b: $p without its supplementary file: answers beyond lost frames (above)"
            note "dwz ${flags[*]} $a $b: $p: $(inlined "$d/$p.got") of $(wc -l <"$p.addrs") addresses in inlined functions, alike; $(inlined "$d/$p.alone") without common.debug"
        done
    done
    shift 2
done

#!/usr/bin/env bash
# dwarfinline_oracle: for addresses all through every function of each
# binary (every third byte, from nm), the inlined functions heapprof's
# reader gives (inlines_of), their names and the file:line of each frame,
# must be what binutils' `addr2line -a -i -f` prints.
#
#   oracle.sh INLINES_OF BINARY...
#
# Compared per address: the number of frames; every name but the
# outermost (inlines_of leaves that one to the symbol table, and prints
# "-"); every file:line, the innermost from .debug_line, the others call
# sites (DW_AT_call_file, DW_AT_call_line).  Allowed differences, as in
# tests/dwarfline/oracle.sh: addr2line's " (discriminator N)" is dropped;
# DWARF 4 keeps the compilation directory outside .debug_line, so a name
# relative to it comes out relative, and must be the end of addr2line's
# path; where addr2line knows no line ("?" or 0), the reader must say
# "??:0".  (binutils 2.40 misnames some DWARF 5 rows, see that script;
# none of this program's addresses meets it, and a difference there
# fails here, to be looked at.)  With GCC's -flto, addr2line 2.40 names
# the file of a row of the outermost function "<artificial>" (the name of
# the unit LTO made) where the line table names the source
# (llvm-symbolizer agrees with the table): there the line must match,
# and the file is not compared.
set -euo pipefail
inlines_of=$1
shift
for tool in nm addr2line; do
    command -v $tool >/dev/null || { echo "oracle: $tool is missing (binutils)" >&2; exit 1; }
done
# One line per address: the address, then "name@file:line" per frame,
# tab-separated, innermost first.
group() {
    awk '/^0x[0-9a-f]+$/ { if (a) print a f; a = $1; f = ""; n = 0; next }
         { if (n % 2 == 0) nm = $0; else f = f "\t" nm "@" $0; n++ }
         END { if (a) print a f }' "$1"
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The functions the program's sources define, and the file of each.
src=$(dirname "${BASH_SOURCE[0]}")
for f in inl.h inl_a.c inl_b.c inl_main.c; do
    sed -nE 's/^[A-Za-z].*[ *]([a-z_][a-z_0-9]*)\([^;]*$/\1\t'"$f"'/p' "$src/$f"
done >"$work/defs"
fail=0
for bin in "$@"; do
    nm -S --defined-only "$bin" | awk '$3 ~ /^[Tt]$/ && NF == 4 { print $1, $2 }' >"$work/funcs"
    [[ -s $work/funcs ]] || { echo "oracle: no functions in $bin" >&2; exit 1; }
    : >"$work/addrs"
    while read -r addr size; do
        a=$((16#$addr)) s=$((16#$size))
        for ((off = 0; off < s; off += 3)); do printf '%x\n' $((a + off)) >>"$work/addrs"; done
    done <"$work/funcs"
    addr2line -a -i -f -e "$bin" <"$work/addrs" >"$work/want"
    "$inlines_of" "$bin" <"$work/addrs" >"$work/got"
    group "$work/want" >"$work/want1"
    group "$work/got" >"$work/got1"
    n=$(wc -l <"$work/addrs")
    [[ $(wc -l <"$work/got1") -eq $n && $(wc -l <"$work/want1") -eq $n ]] ||
        { echo "oracle: $bin: address counts differ" >&2; exit 1; }
    paste "$work/got1" "$work/want1" | awk -F'\t' -v bin="$(basename "$bin")" '
        # Whether the reader position g stands for addr2line position w.
        function pos_ok(g, w,    wl) {
            sub(/ \(discriminator [0-9]+\)$/, "", w)
            wl = w; sub(/.*:/, "", wl)
            if (wl == "?" || wl == "0")
                return g == "??:0"
            if (w ~ /\/<artificial>:[0-9]+$/)
                return g ~ (":" wl "$")
            return g == w || (substr(g, 1, 1) != "/" && length(w) > length(g) &&
                              substr(w, length(w) - length(g)) == "/" g)
        }
        {
            # Fields: address, got frames..., address, want frames...
            for (i = 2; i <= NF && $i !~ /^0x/; i++) {}
            ng = i - 2; nw = NF - i
            ok = ng == nw && $1 == $i
            for (k = 0; ok && k < ng; k++) {
                g = $(2 + k); w = $(i + 1 + k)
                gn = g; sub(/@.*/, "", gn); gp = g; sub(/^[^@]*@/, "", gp)
                wn = w; sub(/@.*/, "", wn); wp = w; sub(/^[^@]*@/, "", wp)
                ok = (k == ng - 1 || gn == wn) && pos_ok(gp, wp)
            }
            if (ok) {
                same++
                deep += ng > 1
                calls += ng > 1 && $0 ~ /inl\.h:[0-9]/
            } else {
                bad++
                print "oracle: " bin " " $1 ": addr2line says", (nw ? "" : "nothing"), "" > "/dev/stderr"
                for (k = 1; k <= nw; k++) print "    " $(i + k) > "/dev/stderr"
                print "  heapprof'"'"'s reader:" > "/dev/stderr"
                for (k = 0; k < ng; k++) print "    " $(2 + k) > "/dev/stderr"
            }
        }
        END {
            print "oracle: " bin ": " NR " addresses, " same + 0 " alike (" deep + 0 \
                  " in inlined functions), " bad + 0 " differ"
            # No vacuous pass: the program nests inlined copies.
            if (deep < 20) { print "oracle: " bin ": too few inlined frames" > "/dev/stderr"; bad++ }
            exit bad > 0
        }' || fail=1
    # The nesting must show: some address three functions deep.
    awk -F'\t' 'NF >= 4 && $2 ~ /^inl_leaf@/ && $3 ~ /^inl_mid@/ { found = 1 } END { exit !found }' \
        "$work/got1" || { echo "oracle: $bin: no inl_leaf inlined in inl_mid" >&2; fail=1; }
    # The file each inlined function is declared in (inlines_of -d;
    # addr2line prints none): for this program's functions, the file of
    # its source that defines them (the static inline helpers inl.h,
    # twice inl_a.c); with -flto that DW_AT_decl_file lies in another unit
    # than the code, numbered by that unit's line table.
    "$inlines_of" -d "$bin" <"$work/addrs" >"$work/decl"
    awk -F'\t' 'FNR == NR { def[$1] = $2; next }
        NF == 2 {
            n++
            if (!($1 in def)) { other++; next }
            w = def[$1]
            if ($2 != w && substr($2, length($2) - length(w)) != "/" w) {
                bad++
                print "oracle: " bin ": " $1 " declared in " $2 ", not in " w > "/dev/stderr"
            }
        }
        END {
            print "oracle: " bin ": " n + 0 " inlined frames, " n - other - bad " in the file that defines them, " \
                  other + 0 " of other files, " bad + 0 " wrong"
            exit bad > 0 || n - other < 20
        }' bin="$(basename "$bin")" "$work/defs" "$work/decl" || fail=1
    # And spelled exactly as the rows and call files in that function
    # are (the files its frames' positions name): a profile's Function is
    # name and file, and one spelled two ways is two.  GCC's -flto run in
    # another directory than the compiles names the header src/inl.h in
    # the unit of its source and ../proj/src/inl.h in the unit with the
    # code (inl_lto_far4/5); a decl file read in the one must be spelled
    # as the other.
    awk -F'\t' 'FNR == NR { def[$1] = $2; next }
        /^0x[0-9a-f]+$/ { k = 0; next }
        {
            if (k++ % 2 == 0) { nm = $1; dc = NF == 2 ? $2 : "?"; next }
            pos = $0; sub(/:[^:]*$/, "", pos)
            if (!(nm in def) || dc == "?" || pos == "??")
                next
            w = def[nm]
            if (pos != w && substr(pos, length(pos) - length(w)) != "/" w)
                next
            n++
            if (pos != dc && !((nm, pos, dc) in said)) {
                said[nm, pos, dc] = 1
                bad++
                print "oracle: " bin ": " nm " declared in " dc " at a position in " pos > "/dev/stderr"
            }
        }
        END {
            print "oracle: " bin ": " n + 0 " positions in the file that defines their function, " \
                  bad + 0 " spelled otherwise than its decl file"
            exit bad > 0 || n < 20
        }' bin="$(basename "$bin")" "$work/defs" "$work/decl" || fail=1
done
exit $fail

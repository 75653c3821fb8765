#!/usr/bin/env bash
# dwarfline_oracle: for every function of each binary, its first bytes,
# points inside and its last byte (from nm), the file:line heapprof's
# reader gives (lines_of) must be what binutils' addr2line prints.
#
#   oracle.sh LINES_OF BINARY...
#
# Allowed differences (dwarfline.h): addr2line's " (discriminator N)" is
# dropped; DWARF 4 keeps the compilation directory outside .debug_line, so
# a name relative to it comes out relative, and must be the end of
# addr2line's full path; where addr2line knows no line ("?" or 0), the
# reader must answer nothing.  And one of addr2line's: binutils 2.40 names
# the unit's own file for a DWARF 5 sequence that never sets the file
# register, whose first value is 1 (6.2.2), another file (GCC 12's ora.h
# in ora_main.c's unit); readelf, objdump and llvm-addr2line take file 1.
# Where addr2line differs, the row objdump --dwarf=decodedline lists for
# the address (its file's base name and line) decides.
set -euo pipefail
lines_of=$1
shift
for tool in nm addr2line objdump; do
    command -v $tool >/dev/null || { echo "oracle: $tool is missing (binutils)" >&2; exit 1; }
done
# objdump's decoded rows of $bin: the file and line of the row covering
# address $1 (hex, no 0x), the first such row as the reader takes it.
decoded_says() {
    awk -v q=$((16#$1)) '
        function hex(s,    v, i) {  # mawk has no strtonum
            v = 0
            for (i = 3; i <= length(s); i++)
                v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
            return v
        }
        NF >= 3 && $3 ~ /^0x[0-9a-f]+$/ {
            a = hex($3)
            if (open && pa <= q && q < a) { print pf ":" pl; exit }
            open = $2 != "-"; pa = a; pf = $1; pl = $2
            next
        }
        { open = 0 }' "$work/decoded"
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
for bin in "$@"; do
    # Function symbols with a size: address and size, in hex.
    nm -S --defined-only "$bin" | awk '$3 ~ /^[Tt]$/ && NF == 4 { print $1, $2 }' >"$work/funcs"
    [[ -s $work/funcs ]] || { echo "oracle: no functions in $bin" >&2; exit 1; }
    : >"$work/addrs"
    while read -r addr size; do
        a=$((16#$addr)) s=$((16#$size))
        for off in 0 1 $(for k in {1..11}; do echo $((k * s / 12)); done) $((s - 1)); do
            ((off >= 0 && off < s)) && printf '%x\n' $((a + off)) >>"$work/addrs"
        done
    done <"$work/funcs"
    objdump --dwarf=decodedline "$bin" >"$work/decoded"
    addr2line -e "$bin" <"$work/addrs" | sed 's/ (discriminator [0-9]*)$//' >"$work/want"
    "$lines_of" "$bin" <"$work/addrs" >"$work/got"
    n=$(wc -l <"$work/addrs")
    [[ $(wc -l <"$work/got") -eq $n && $(wc -l <"$work/want") -eq $n ]] ||
        { echo "oracle: $bin: line counts differ" >&2; exit 1; }
    bad=0 lined=0 quirk=0
    while IFS=$'\t' read -r addr want got; do
        wline=${want##*:} wfile=${want%:*} gline=${got##*:} gfile=${got%:*}
        if [[ $wline == "?" || $wline == 0 ]]; then
            [[ $got == "??:0" ]] && continue
        elif [[ $gline == "$wline" && ($gfile == "$wfile" || ($gfile != /* && $wfile == */"$gfile")) ]]; then
            lined=$((lined + 1))
            continue
        fi
        if [[ $got != "??:0" && $(decoded_says "$addr") == "$(basename "$gfile"):$gline" ]]; then
            echo "oracle: 0x$addr: addr2line says $want, objdump's rows and the reader $got"
            quirk=$((quirk + 1))
            continue
        fi
        echo "oracle: $bin 0x$addr: addr2line says $want, heapprof's reader $got" >&2
        bad=$((bad + 1))
    done < <(paste "$work/addrs" "$work/want" "$work/got")
    echo "oracle: $(basename "$bin"): $n addresses, $lined with addr2line's line, $quirk with objdump's, $bad differ"
    # The program's own files must be among the answers: no vacuous pass.
    grep -q 'ora_a\.c:[0-9]' "$work/got" && grep -q 'ora\.h:[0-9]' "$work/got" ||
        { echo "oracle: $bin: no line in ora_a.c or ora.h" >&2; bad=$((bad + 1)); }
    ((bad == 0)) || fail=1
done
exit $fail

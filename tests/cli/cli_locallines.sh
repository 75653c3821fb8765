#!/usr/bin/env bash
# --lines reads the file:line (and inlined frames) a profile left to pprof
# from the binaries on this machine (src/cli/locallines.h):
#   - a heapprof profile of a program built -O2 -g (cli_locallines.c) whose
#     mapping is not marked as having line numbers: `top --lines` names the
#     allocating frame "mk FILE:LINE" (always_inline, the inlined function
#     first) then "leafy FILE:LINE", at the lines `addr2line -i -f` gives
#     for the same addresses;
#   - the binary replaced by another build (another GNU build-id): no lines,
#     and one line on stderr saying so, once for leaks of two profiles;
#   - HEAPPROF_LOCAL_LINES=off: no lines, as before;
#   - the mapping's path a FIFO, or a symlink to /dev/zero: not opened for
#     reading (no hang, under timeout), the rows as without the binary;
#   - without --lines nothing is read;
#   - a mapping another of its range took, and mappings past the first
#     1024: each a note of its own.
source "$(dirname "$0")/cli_lib.sh"
need_env CLI_LOCAL_PROG CLI_LOCAL_OTHER
need addr2line binutils

bin=$W/ll
cp "$CLI_LOCAL_PROG" "$bin"
HEAPPROF_OUT=$W/p LD_PRELOAD=$HEAPPROF_LIB "$bin" || fail "$bin exited with $?"
mapfile -t profs < <(ls "$W"/p.*.pb.gz 2>/dev/null)
[[ ${#profs[@]} -ge 1 ]] || fail "no profile written by $bin"
prof=${profs[0]}
cp "$prof" "$W/p2.pb.gz"

# The addresses of the profile's locations in $bin's mapping, as link-time
# addresses (through the mapping's start and file offset and the ELF
# program headers, as pprof and the library compute them), one per line.
addrs() {
    python3 - "$1" "$bin" <<'EOF'
import gzip, struct, sys
def fields(b):
    i = 0
    while i < len(b):
        k = 0; s = 0
        while True:
            c = b[i]; i += 1; k |= (c & 0x7f) << s; s += 7
            if c < 0x80: break
        f, t = k >> 3, k & 7
        if t == 0:
            v = 0; s = 0
            while True:
                c = b[i]; i += 1; v |= (c & 0x7f) << s; s += 7
                if c < 0x80: break
            yield f, v
        elif t == 2:
            n = 0; s = 0
            while True:
                c = b[i]; i += 1; n |= (c & 0x7f) << s; s += 7
                if c < 0x80: break
            yield f, b[i:i + n]; i += n
        elif t == 1: yield f, b[i:i + 8]; i += 8
        elif t == 5: yield f, b[i:i + 4]; i += 4
        else: raise SystemExit("bad wire type")
p = gzip.open(sys.argv[1]).read()
strs, maps, locs = [], {}, []
for f, v in fields(p):
    if f == 6: strs.append(v.decode())
    elif f == 3: m = dict(fields(v)); maps[m.get(1, 0)] = m
    elif f == 4: locs.append(dict(fields(v)))
elf = open(sys.argv[2], 'rb').read()
phoff, = struct.unpack_from('<Q', elf, 32)
phentsize, phnum = struct.unpack_from('<HH', elf, 54)
loads = []
for k in range(phnum):
    t, fl, off, va, pa, fsz = struct.unpack_from('<IIQQQQ', elf, phoff + k * phentsize)
    if t == 1: loads.append((off, fsz, va, fl & 1))
for l in locs:
    m = maps.get(l.get(2, 0))
    if not m or strs[m.get(5, 0)] != sys.argv[2]: continue
    fo = l.get(3, 0) - m.get(2, 0) + m.get(4, 0)
    for off, fsz, va, x in sorted(loads, key=lambda s: -s[3]):
        if off <= fo < off + fsz: print(hex(fo - off + va)); break
EOF
}
addrs "$prof" >"$W/addrs" || fail "could not read the addresses of $prof"
[[ -s $W/addrs ]] || fail "no location of $prof in $bin"
# The frames addr2line gives those addresses, "func file:line", innermost
# first, every one: each must be a row of top --lines.
addr2line -i -f -e "$bin" $(cat "$W/addrs") |
    paste - - | sed -E 's/ \(discriminator [0-9]+\)//; s/\t/ /' | grep -v '?' | sort -u >"$W/want"
grep -q '^mk .*cli_locallines\.c:[0-9]+$' -E "$W/want" || fail "addr2line gives no mk: $(cat "$W/want")"

expect_rc 0 hp top --lines --raw -n 0 "$prof"
cp "$W/out" "$W/top.out"
while read -r want; do
    grep -qF -- " $want" "$W/top.out" || fail "top --lines has no row '$want' (addr2line's): $(cat "$W/top.out")"
done <"$W/want"
mk=$(grep '^mk ' "$W/want" | head -1)
leafy=$(grep '^leafy ' "$W/want" | head -1)
expect_rc 0 hp top --lines --by stack --raw "$prof"
grep -qF -- "$mk ← $leafy ← main " "$W/out" ||
    fail "--by stack: no stack '$mk ← $leafy ← main ...': $(cat "$W/out")"
expect_not_in "$W/err" 'got no file:line' "a note when the binary is here"
note "top --lines: $mk ← $leafy, as addr2line -i gives them"

# Without --lines, nothing changes.
expect_rc 0 hp top --raw -n 0 "$prof"
expect_not_in "$W/out" 'cli_locallines\.c' "a file without --lines"
expect_in "$W/out" ' leafy$' "leafy by function"

# The opt-out.
HEAPPROF_LOCAL_LINES=off expect_rc 0 hp top --lines --raw -n 0 "$prof"
expect_not_in "$W/out" 'cli_locallines\.c' "a file with HEAPPROF_LOCAL_LINES=off"
expect_in "$W/out" ' leafy$' "leafy by function with HEAPPROF_LOCAL_LINES=off"
HEAPPROF_LOCAL_LINES=maybe expect_rc 0 hp top --lines --raw -n 0 "$prof"
expect_in "$W/err" 'HEAPPROF_LOCAL_LINES="maybe" is not on, off, 1 or 0' "a bad value said"
expect_in "$W/out" 'cli_locallines\.c' "a bad value: on"
note "HEAPPROF_LOCAL_LINES=off: no lines"

# Another build at the same path: its build-id is not the profile's.
cp "$CLI_LOCAL_OTHER" "$bin"
expect_rc 0 hp top --lines --raw -n 0 "$prof"
expect_not_in "$W/out" 'cli_locallines\.c' "a line from another build"
expect_in "$W/out" ' leafy$' "leafy by function, its binary another build"
expect_in "$W/err" '^heapprof top: note: 1 mapping of .* got no file:line from its binary: not on this machine, or another build' \
    "the note on the other build"
expect_rc 0 hp leaks --lines "$prof" "$W/p2.pb.gz"
[[ $(grep -c 'got no file:line' "$W/err") -eq 1 ]] || fail "leaks: the note not once: $(cat "$W/err")"
note "another build: no lines, one note"

# A FIFO and a device where the binary was: neither opened for reading.
rm -f "$bin"
mkfifo "$bin"
run_rc rc timeout 20 "$HEAPPROF_CLI" top --lines --raw -n 0 "$prof"
[[ $rc -eq 0 ]] || fail "a FIFO for the binary: exit $rc (124: it hung); $(cat "$W/err")"
expect_in "$W/out" ' leafy$' "leafy by function, its binary a FIFO"
expect_not_in "$W/out" 'cli_locallines\.c' "a line from a FIFO"
rm -f "$bin"
ln -s /dev/zero "$bin"
run_rc rc timeout 20 "$HEAPPROF_CLI" top --lines --raw -n 0 "$prof"
[[ $rc -eq 0 ]] || fail "/dev/zero for the binary: exit $rc (124: it hung); $(cat "$W/err")"
expect_in "$W/out" ' leafy$' "leafy by function, its binary /dev/zero"
rm -f "$bin"
run_rc rc "$HEAPPROF_CLI" top --lines --raw -n 0 "$prof"
[[ $rc -eq 0 ]] || fail "no binary: exit $rc; $(cat "$W/err")"
expect_in "$W/err" 'got no file:line from its binary' "the note on a missing binary"
note "a FIFO, /dev/zero, no binary: rows by function"

# The lookup's other counts, each its own note (locallines_stats): a
# mapping of the range another took first (same addresses, another file),
# and 1100 mappings asked about, 76 past the first 1024 (none here).
python3 - "$W" "$CLI_SRC" <<'EOF'
import sys
sys.path.insert(0, sys.argv[2])
from make_corpus import S, STRINGS, field_varint, function, profile, sample
st = STRINGS + ["/nonexistent/heapprof/a", "/nonexistent/heapprof/b"]
def mp(i, f, start):
    return (field_varint(1, i) + field_varint(2, start) + field_varint(3, start + 0x1000) +
            field_varint(5, f))
def loc(i, m, a):
    return field_varint(1, i) + field_varint(2, m) + field_varint(3, a)
fs = [function(1, S["main"])]
open(sys.argv[1] + "/left.pb", "wb").write(profile(
    strings=st, samples=[sample([1, 2], [1, 4096])], functions=fs,
    mappings=[mp(1, 12, 0x400000), mp(2, 13, 0x400000)],
    locations=[loc(1, 1, 0x400010), loc(2, 2, 0x400020)]))
n = 1100
open(sys.argv[1] + "/cap.pb", "wb").write(profile(
    strings=st, samples=[sample(list(range(1, n + 1)), [1, 4096])], functions=fs,
    mappings=[mp(i, 12, i << 24) for i in range(1, n + 1)],
    locations=[loc(i, i, (i << 24) + 16) for i in range(1, n + 1)]))
EOF
expect_rc 0 hp top --lines --raw -n 0 "$W/left.pb"
expect_in "$W/err" '^heapprof top: note: 1 mapping of .*left.pb got no file:line for some frames: another mapping of the same addresses' \
    "the note on a mapping another of its range took"
expect_rc 0 hp top --lines --raw -n 0 "$W/cap.pb"
expect_in "$W/err" '^heapprof top: note: 76 mappings of .*cap.pb past the first 1024 were not read for file:line$' \
    "the note on the mappings past the cap"
expect_in "$W/err" '^heapprof top: note: 1024 mappings of .*cap.pb got no file:line from their binaries' \
    "the mappings read, not there"
note "another of the range, past the cap: a note each"

note "ok"

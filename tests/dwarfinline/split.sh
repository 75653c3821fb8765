#!/usr/bin/env bash
# dwarfinline_split: a program built -gsplit-dwarf (GCC's DWARF 5: a
# skeleton unit in the binary, the entries in its .dwo) gets its inlined
# frames and DWARF function names from the .dwo (dwarfinline_split.c), as
# llvm-symbolizer --inlining gives them; with the .dwo removed, or replaced by
# one from another build (another dwo_id), the lines stay as they were and
# no inlined frame is given, and the program runs as it does alone.  A
# .dwo name that leads to a FIFO is not opened (a device's open has
# effects).  Under the twin that opens one .dwo per lookup, a program of
# three sources gets the inlined frames of all three by its last profile
# (the units past the cap are asked again, not answered for good).
#
#   split.sh HEAPPROF_LIB HEAPPROF_CLI HEAPPROF_SPLITCAP_LIB
set -euo pipefail
TEST_TAG=dwarfinline_split
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
lib=$1 cli=$2 caplib=$3
command -v gcc >/dev/null || skip "gcc is not installed"
command -v nm >/dev/null || fail "nm is missing (binutils)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
cat >t.c <<'X'
#include <stdlib.h>
#include <string.h>
static inline __attribute__((always_inline)) char *mk(size_t n) { char *p = malloc(n); memset(p, 1, n); return p; }
__attribute__((noinline)) char *leafy(size_t n) { return mk(n); }
int main(void) { char *v[4000]; for (int i = 0; i < 4000; i++) v[i] = leafy(4096); return v[10][0] - 1; }
X
gcc -O2 -g -gsplit-dwarf -o t t.c 2>cc.err || skip "gcc cannot build -gsplit-dwarf: $(head -n 1 cc.err)"
dwos=(./*.dwo)
dwo=${dwos[0]}
[[ -f $dwo ]] || skip "gcc -gsplit-dwarf wrote no .dwo here"
# (read whole first: grep -q would SIGPIPE readelf under pipefail)
info=$(readelf --debug-dump=info t 2>/dev/null || true)
grep -q DW_TAG_skeleton_unit <<<"$info" ||
    skip "gcc writes no DWARF 5 skeleton unit (DWARF 4's GNU split units are not read)"

# The oracle: llvm-symbolizer reads the .dwo, and puts mk inlined into
# leafy at t.c:4 (binutils 2.40's addr2line names no line of a skeleton
# unit's code at all: ??:?).  Without one the source says as much.
start=$((16#$(nm t | awk '$3 == "leafy" { print $1 }')))
if command -v llvm-symbolizer >/dev/null; then
    oracle=
    for ((k = 0; k < 32; k++)); do
        out=$(llvm-symbolizer --obj=t --inlining "$(printf '0x%x' $((start + k)))")
        if grep -qx mk <<<"$out" && grep -qx leafy <<<"$out"; then oracle=$out; break; fi
    done
    [[ -n $oracle ]] || skip "llvm-symbolizer puts no mk inlined into leafy (another compiler's layout)"
    grep -q 't.c:4:' <<<"$oracle" || fail "llvm-symbolizer gives mk's call site elsewhere than t.c:4: $oracle"
else
    note "llvm-symbolizer is not installed: the expected frames are the source's"
fi

# profile NAME: runs t under the library, its `top --lines` into NAME.top.
profile() {
    rm -f "$1".*.pb.gz
    local rc=0
    HEAPPROF_OUT="$work/$1" LD_PRELOAD="$lib" ./t 2>"$1.err" || rc=$?
    [[ $rc -eq 0 ]] || fail "$1: the program exited $rc under the library (0 alone)"
    "$cli" top --lines "$work/$1".*.pb.gz >"$1.top" || fail "$1: heapprof top failed"
}

profile split
grep -Eq ' mk /.*t\.c:3$' split.top || { cat split.top >&2; fail "no frame 'mk t.c:3' (the .dwo's inlined entry)"; }
grep -Eq ' leafy /.*t\.c:4$' split.top || { cat split.top >&2; fail "no frame 'leafy t.c:4' (mk's call site)"; }

# Another build's .dwo (another dwo_id): not read.
mkdir elsewhere && (cd elsewhere && sed 's/4096/4095/' ../t.c >t.c && gcc -O2 -g -gsplit-dwarf -o t t.c)
cp "$dwo" dwo.keep
cp "elsewhere/$(basename "$dwo")" "$dwo"
profile other
grep -Eq ' mk ' other.top && { cat other.top >&2; fail "another build's .dwo was read"; }
grep -Eq ' leafy /.*t\.c:3$' other.top || { cat other.top >&2; fail "another build's .dwo: the lines changed"; }

# No .dwo: the lines as before, no inlined frame, nothing said.
rm -f "$dwo"
profile none
grep -Eq ' mk ' none.top && { cat none.top >&2; fail "an inlined frame without the .dwo"; }
grep -Eq ' leafy /.*t\.c:3$' none.top || { cat none.top >&2; fail "no .dwo: the lines changed"; }
[[ -s none.err ]] && { cat none.err >&2; fail "the library said something of a missing .dwo"; }

# The .dwo a symlink to a FIFO: not opened (a writer waiting on it would
# be let through), the lines as without it.
mkfifo pipe
ln -s pipe "$dwo"
(exec 3>pipe; echo opened >opened) &
writer=$!
profile fifo
sleep 0.2
opened_by_lib=0
[[ -e opened ]] && opened_by_lib=1
exec 4<>pipe # lets the writer through, whoever opened it
wait "$writer" || true
exec 4<&-
[[ $(grep -c . fifo.err) -eq 0 ]] || { cat fifo.err >&2; fail "the library said something of a FIFO .dwo"; }
[[ $opened_by_lib -eq 0 ]] || fail "the library opened the FIFO the .dwo name leads to"
[[ $(cat opened) == opened ]] || fail "no writer ran"
grep -Eq ' leafy /.*t\.c:3$' fifo.top || { cat fifo.top >&2; fail "a FIFO .dwo: the lines changed"; }
rm -f opened "$dwo" pipe
note "ok: mk t.c:3 inlined into leafy t.c:4 from the .dwo; none from another build's or without it"

# Three sources, each with its .dwo, under the twin that opens one per
# lookup: the first profile gets the inlined frames of one unit only, the
# last (periodic profiles between) those of all three.
mkdir cap && cd cap
for k in 1 2; do
    cat >u$k.c <<X
#include <stdlib.h>
#include <string.h>
static inline __attribute__((always_inline)) char *mk$k(size_t n) { char *p = malloc(n); memset(p, 1, n); return p; }
__attribute__((noinline)) char *leafy$k(size_t n) { return mk$k(n); }
X
done
cat >m.c <<'X'
#include <stdlib.h>
#include <string.h>
#include <time.h>
char *leafy1(size_t), *leafy2(size_t);
static inline __attribute__((always_inline)) void mk0(char **v) { v[0] = malloc(4096); memset(v[0], 1, 4096); }
int main(void)
{
    static char *v[3][2000];
    for (int i = 0; i < 2000; i++) { v[0][i] = leafy1(4096); v[1][i] = leafy2(4096); mk0(&v[2][i]); }
    struct timespec ts = { 3, 0 }; /* some 15 periodic profiles: 3 are needed, with room for a loaded machine */
    nanosleep(&ts, NULL);
    return v[0][10][0] + v[1][10][0] + v[2][10][0] - 3;
}
X
gcc -O2 -g -gsplit-dwarf -o m m.c u1.c u2.c
rc=0
HEAPPROF_OUT="$work/cap/c" HEAPPROF_PERIOD=0.2 LD_PRELOAD="$caplib" ./m 2>c.err || rc=$?
[[ $rc -eq 0 ]] || { cat c.err >&2; fail "cap: the program exited $rc under the library (0 alone)"; }
profiles=(c.*.pb.gz)
[[ ${#profiles[@]} -ge 3 ]] || fail "cap: ${#profiles[@]} profiles, want 3 or more (HEAPPROF_PERIOD)"
inlined() { "$cli" top --lines "$1" | grep -Eo ' mk[012] ' | sort -u | wc -l; }
first=$(inlined "${profiles[0]}") last=$(inlined "${profiles[-1]}")
[[ $first -lt 3 ]] || fail "cap: the first profile has the frames of all 3 units: the twin's cap of 1 did not apply"
[[ $last -eq 3 ]] || { "$cli" top --lines "${profiles[-1]}" >&2; fail "cap: the last profile has the inlined frames of $last of 3 units (units past the cap never asked again)"; }
note "ok: cap of 1 .dwo per lookup: $first of 3 units inlined in the first profile, 3 in the last"

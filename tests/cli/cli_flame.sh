#!/usr/bin/env bash
# heapprof flame: from an exact profile of known allocations, a well-formed
# SVG whose frames are as wide as their bytes (to the pixel's hundredth),
# in their callers' order and places, heaviest first; --type; --base
# colouring what grew red and what shrank blue on a real series; names
# that need escaping; a Go profile; a delta profile's negative values left
# out and said so; --min-age and --max-age on objects of two ages; --focus;
# bad arguments and files.
source "$(dirname "$0")/cli_lib.sh"

# well_formed FILE: parse it as XML with whatever parser is installed.
well_formed() {
    if command -v xmllint >/dev/null; then
        xmllint --noout "$1" || fail "$1 is not well-formed XML (xmllint)"
    else
        python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$1" ||
            fail "$1 is not well-formed XML (python3)"
    fi
}

# frames SVG: one line per frame drawn, "name x y width fill".
frames() {
    python3 - "$1" <<'EOF'
import sys, xml.etree.ElementTree as E
ns = {"s": "http://www.w3.org/2000/svg"}
for g in E.parse(sys.argv[1]).getroot().findall("s:g", ns):
    name = g.find("s:title", ns).text.split("\n")[0]
    r = g.find("s:rect", ns)
    print(name.replace(" ", "_"), r.get("x"), r.get("y"), r.get("width"), r.get("fill"))
EOF
}

# field NAME COL: column COL of the first frame called NAME in $W/frames.
field() { awk -v n="$1" -v c="$2" '$1 == n {print $c; exit}' "$W/frames"; }

expect_rc 0 hp run --sample 1 -o "$W/x" -- "$CLI_PROG" sites
prof=("$W"/x.*.pb.gz)
[[ ${#prof[@]} -eq 1 ]] || fail "expected one profile, got ${#prof[@]}"

# inuse_space: alloc_alpha keeps 10000 B, alloc_beta 12000, alloc_delta_leaf
# 4662 under alloc_delta; alloc_gamma freed everything.
expect_rc 0 hp flame "${prof[0]}" -o "$W/f.svg"
[[ "$(cat "$W/out")" == "$W/f.svg" ]] || fail "flame printed '$(cat "$W/out")'"
well_formed "$W/f.svg"
expect_in "$W/f.svg" '^<svg xmlns="http://www.w3.org/2000/svg"' "the SVG root element"
expect_in "$W/f.svg" 'Flame graph, inuse_space' "the title"
expect_not_in "$W/f.svg" '<script' "scripts in the SVG"
frames "$W/f.svg" >"$W/frames"
[[ $(field all 4) == 1200.00 ]] || fail "the root is not the graph's width: $(head -n 2 "$W/frames")"
for site in alloc_alpha alloc_beta alloc_delta alloc_delta_leaf sites main; do
    [[ -n $(field "$site" 4) ]] || fail "$site not drawn: $(cat "$W/frames")"
done
[[ -z $(field alloc_gamma 4) ]] || fail "alloc_gamma, which keeps nothing, drawn"
python3 - "$W/frames" <<'EOF' || fail "frame geometry (above)"
import sys
f = {}
for line in open(sys.argv[1]):
    n, x, y, w, fill = line.split()
    f.setdefault(n, (float(x), float(y), float(w)))
# (Each name is drawn once in this profile's graph.)
def check(ok, what):
    if not ok:
        print(what, f, file=sys.stderr); sys.exit(1)
ax, ay, aw = f["alloc_alpha"]; bx, by, bw = f["alloc_beta"]
dx, dy, dw = f["alloc_delta"]; lx, ly, lw = f["alloc_delta_leaf"]; sx, sy, sw = f["sites"]
# Widths in proportion to the bytes (printed to 1/100 px).
check(abs(aw / bw - 10000 / 12000) < 0.002, "alpha:beta is not 10000:12000")
check(abs(lw / bw - 4662 / 12000) < 0.002, "delta_leaf:beta is not 4662:12000")
check(abs(dw - lw) < 0.011, "alloc_delta is not as wide as its only callee")
# sites called them and printf (stdout's buffer): the row above it is full.
row = sum(w for x, y, w in f.values() if y == ay and sx - 0.01 <= x < sx + sw)
check(abs(sw - row) < 0.05, "sites is not as wide as what it called")
# One row per call level, the callee above; the heaviest first, each from
# where the one before it ends, the first where the caller starts.
check(ay == by == dy == sy - 17 and ly == dy - 17, "rows")
check(abs(bx - sx) < 0.011 and abs(ax - (bx + bw)) < 0.02 and abs(dx - (ax + aw)) < 0.03,
      "order and places under sites: beta, alpha, delta")
check(abs(lx - dx) < 0.011, "alloc_delta_leaf does not start where alloc_delta does")
EOF

# --focus: the stacks through alloc_delta only, whole (what called it too).
expect_rc 0 hp flame --focus alloc_delta "${prof[0]}" -o "$W/focus.svg"
well_formed "$W/focus.svg"
expect_in "$W/focus.svg" 'stacks through a function whose name contains "alloc_delta"' "--focus in the subtitle"
frames "$W/focus.svg" >"$W/frames"
[[ $(field alloc_delta 4) == 1200.00 && $(field alloc_delta_leaf 4) == 1200.00 && $(field main 4) == 1200.00 ]] ||
    fail "--focus alloc_delta: its stacks should fill the graph: $(cat "$W/frames")"
[[ -z $(field alloc_alpha 4) && -z $(field alloc_beta 4) ]] ||
    fail "--focus alloc_delta drew other stacks: $(cat "$W/frames")"
expect_rc 0 hp flame --focus no_such_function "${prof[0]}" -o "$W/n.svg"
expect_in "$W/err" "note: .*: nothing to draw: no sample through a function whose name contains no_such_function has inuse_space above 0; the graph is empty$"
expect_in "$W/n.svg" '>Nothing to draw: no sample through a function whose name contains no_such_function has'
expect_rc 2 hp flame --focus "" "${prof[0]}"

# --type alloc_space: alloc_gamma allocated 1000 B, alloc_alpha 10000.
expect_rc 0 hp flame --type alloc_space "${prof[0]}" -o "$W/a.svg" --width 3000
well_formed "$W/a.svg"
frames "$W/a.svg" >"$W/frames"
[[ $(field all 4) == 3000.00 ]] || fail "--width 3000: root $(field all 4)"
awk -v a="$(field alloc_alpha 4)" -v g="$(field alloc_gamma 4)" \
    'BEGIN { r = g / a; exit !(r > 0.0998 && r < 0.1002) }' ||
    fail "alloc_gamma:alloc_alpha is not 1000:10000 in alloc_space ($(field alloc_gamma 4), $(field alloc_alpha 4))"

# --base on a real series: the leak grew 2 MiB a phase, the working set went
# 8 -> 4 MiB between phases 3 and 4.
expect_rc 0 hp run --sample 32k -o "$W/s" -- "$CLI_PROG" series 4
series=("$W"/s.*.pb.gz)
[[ ${#series[@]} -eq 5 ]] || fail "expected 5 profiles, got ${#series[@]}"
expect_rc 0 hp flame --base "${series[2]}" "${series[3]}" -o "$W/d.svg"
well_formed "$W/d.svg"
expect_in "$W/d.svg" 'What changed, inuse_space' "the differential title"
expect_in "$W/d.svg" "base $(basename "${series[2]}")" "the base named in the subtitle"
frames "$W/d.svg" >"$W/frames"
[[ $(field leak_site 5) == rgb\(255,* ]] || fail "leak_site is not red: $(cat "$W/frames")"
[[ $(field working_set_site 5) == *,255\) && $(field working_set_site 5) != rgb\(255,* ]] ||
    fail "working_set_site is not blue: $(cat "$W/frames")"
expect_in "$W/d.svg" '^\+[0-9.]+ MiB since the base' "a growth in a tooltip"
expect_in "$W/d.svg" '^-[0-9.]+ MiB since the base' "a shrink in a tooltip"

# Names with XML's special characters and broken UTF-8; a Go profile.
expect_rc 0 hp flame -o "$W/odd.svg" "$CLI_SRC/corpus/tiny_odd_names.pb"
well_formed "$W/odd.svg"
expect_in "$W/odd.svg" 'std::vector&lt;int, std::allocator&lt;int&gt; &gt;::push_back\(int const&amp;\)'
expect_rc 0 hp flame -o "$W/go.svg" "$CLI_SRC/corpus/go_heap.gz"
well_formed "$W/go.svg"
expect_in "$W/go.svg" '>main\.goLeaf'

# A delta profile (Go's ?seconds=, heapprof's over HTTP) may hold negative
# values, which have no width: left out, and the subtitle says so.
python3 - "$W/neg.pb" "$W/zero.pb" "$W/oddtype.pb" <<EOF
import sys
sys.path.insert(0, "$CLI_SRC")
from make_corpus import STRINGS, profile, sample
open(sys.argv[1], "wb").write(profile(samples=[sample([1, 2], [3, 12288]), sample([2], [-1, -4096])]))
open(sys.argv[2], "wb").write(profile(samples=[sample([1, 2], [0, 0])]))
# A type's name and unit with XML's special characters (the reader takes
# any producer's): they reach the title, the subtitle and every tooltip.
open(sys.argv[3], "wb").write(profile(strings=["", "in<use&space", "by<tes"] + STRINGS[3:]))
EOF
expect_rc 0 hp flame -o "$W/oddtype.svg" "$W/oddtype.pb"
well_formed "$W/oddtype.svg"
expect_in "$W/oddtype.svg" 'Flame graph, in&lt;use&amp;space' "the type's name escaped in the title"
expect_in "$W/oddtype.svg" '16384 by&lt;tes' "the unit escaped in the values"
expect_rc 0 hp flame -o "$W/neg.svg" "$W/neg.pb"
well_formed "$W/neg.svg"
expect_in "$W/neg.svg" 'Left out: 1 sample of negative value \(-4(\.00)? KiB\)' "the negative sample named"
frames "$W/neg.svg" >"$W/frames"
[[ $(field main 4) == 1200.00 && $(field leaf 4) == 1200.00 ]] ||
    fail "main and leaf should fill the graph: $(cat "$W/frames")"

# Ages: aged_early's objects are 2 s old or more when the profile is
# written, aged_late's younger.  --min-age 2s draws aged_early alone,
# --max-age 2s aged_late alone.
expect_rc 0 hp run --sample 1 -o "$W/aged" -- "$CLI_PROG" aged 2
aged=("$W"/aged.*.pb.gz)
expect_rc 0 hp flame --min-age 2s -o "$W/old.svg" "${aged[0]}"
well_formed "$W/old.svg"
expect_in "$W/old.svg" 'live objects at least 2s old' "the age range in the subtitle"
frames "$W/old.svg" >"$W/frames"
[[ -n $(field aged_early 4) && -z $(field aged_late 4) ]] ||
    fail "--min-age 2s should draw aged_early and not aged_late: $(cat "$W/frames")"
expect_in "$W/old.svg" '^19.5 KiB' "aged_early's 20000 B"
expect_rc 0 hp flame --max-age 2s -o "$W/young.svg" "${aged[0]}"
frames "$W/young.svg" >"$W/frames"
[[ -z $(field aged_early 4) && -n $(field aged_late 4) ]] ||
    fail "--max-age 2s should draw aged_late and not aged_early: $(cat "$W/frames")"
expect_rc 2 hp flame --min-age 2s --type alloc_space -o "$W/n.svg" "${aged[0]}"
expect_in "$W/err" "no age"
expect_rc 1 hp flame --min-age 1h -o "$W/n.svg" "$CLI_SRC/corpus/go_heap.gz"
expect_rc 2 hp flame --min-age 10m --max-age 5m -o "$W/n.svg" "${aged[0]}"
expect_in "$W/err" "no whole age band"

# Errors.
expect_rc 2 hp flame
expect_in "$W/err" "which profile"
expect_rc 2 hp flame "${series[0]}" "${series[1]}"
expect_in "$W/err" "one profile at a time.*--base"
expect_rc 2 hp flame --width 10 "${prof[0]}"
expect_in "$W/err" "width"
expect_rc 2 hp flame -o "" "${prof[0]}"
expect_rc 2 hp flame --bogus "${prof[0]}"
expect_rc 1 hp flame --type nosuch "${prof[0]}" -o "$W/n.svg"
expect_in "$W/err" "no sample type 'nosuch'"
expect_rc 1 hp flame "$W/missing.pb.gz" -o "$W/n.svg"
expect_rc 1 hp flame --base "$CLI_SRC/corpus/bad_truncated.gz" "${prof[0]}" -o "$W/n.svg"
expect_rc 1 hp flame -o "$W/no/such/dir/f.svg" "${prof[0]}"
expect_in "$W/err" "cannot write"
# -o - is standard output, with nothing else on it; no file named '-'.
(cd "$W" && expect_rc 0 hp flame -o - "${prof[0]}")
[[ ! -e $W/- ]] || fail "flame -o - wrote a file named '-'"
cmp -s "$W/out" "$W/f.svg" || fail "flame -o - did not write the same SVG as -o f.svg"
# A write that fails (a file size limit, as a full disk) keeps the SVG that
# was there whole, and leaves no temporary file beside it.  SIGXFSZ at its
# default action, as a user's shell leaves it: it killed the command
# mid-write (status 153), leaving the temporary file.
cp "$W/f.svg" "$W/keep.svg"
[[ $(stat -c %s "$W/f.svg") -gt 1024 ]] || fail "f.svg is too small to pass a 1 KiB limit"
run_rc rc bash -c 'trap - XFSZ; ulimit -f 1; exec "$@"' - "$HEAPPROF_CLI" flame -o "$W/keep.svg" \
    --type alloc_space "${prof[0]}"
[[ $rc == 1 ]] || fail "flame past the file size limit exited $rc: $(cat "$W/err")"
expect_in "$W/err" "cannot write .*keep.svg: File too large"
cmp -s "$W/keep.svg" "$W/f.svg" || fail "a failed flame -o keep.svg changed the SVG that was there"
[[ -z $(compgen -G "$W/keep.svg.*") ]] || fail "temporary files left: $(echo "$W"/keep.svg.*)"
# ^C, a hangup, kill, ^\ while the SVG is written (cli_raise.so raises the
# signal at its fclose, before the rename): the temporary file is removed,
# the SVG that was there kept, and the command still dies of the signal
# (status 128 + N, as the shell sees it).  The temporary file was left.
for sig in INT HUP TERM QUIT; do
    n=$(kill -l "$sig")
    run_rc rc env LD_PRELOAD="$CLI_RAISE_LIB" CLI_RAISE="$n" "$HEAPPROF_CLI" flame \
        -o "$W/keep.svg" --type alloc_space "${prof[0]}"
    [[ $rc == $((128 + n)) ]] || fail "flame, SIG$sig while writing: exited $rc, not $((128 + n))"
    [[ -z $(compgen -G "$W/keep.svg.*") ]] ||
        fail "flame, SIG$sig while writing: temporary file left: $(echo "$W"/keep.svg.*)"
    cmp -s "$W/keep.svg" "$W/f.svg" || fail "flame, SIG$sig while writing: the old SVG changed"
done
# A signal ignored when the command started (nohup) stays ignored: the SVG
# is written whole.
run_rc rc bash -c 'trap "" HUP; exec "$@"' - env LD_PRELOAD="$CLI_RAISE_LIB" \
    CLI_RAISE="$(kill -l HUP)" "$HEAPPROF_CLI" flame -o "$W/nohup.svg" --type alloc_space "${prof[0]}"
[[ $rc == 0 ]] || fail "flame with SIGHUP ignored exited $rc: $(cat "$W/err")"
well_formed "$W/nohup.svg"
# Something that is not a regular file is written in place, not replaced.
mkfifo "$W/fifo"
cat "$W/fifo" >"$W/fromfifo" &
expect_rc 0 hp flame -o "$W/fifo" "${prof[0]}"
wait
[[ -p $W/fifo ]] || fail "flame -o FIFO replaced the FIFO"
cmp -s "$W/fromfifo" "$W/f.svg" || fail "flame -o FIFO: not the SVG"
# What a rename would change is written in place instead: a symbolic link
# stays a link to the file it names, a hard link's other name sees the
# new SVG; a file replaced keeps its mode.
echo old >"$W/target.svg"
ln -s target.svg "$W/sym.svg"
expect_rc 0 hp flame -o "$W/sym.svg" "${prof[0]}"
[[ -L $W/sym.svg ]] || fail "flame -o SYMLINK replaced the link with a file"
cmp -s "$W/target.svg" "$W/f.svg" || fail "flame -o SYMLINK did not write the file it names"
ln -f "$W/target.svg" "$W/hard.svg"
echo old >"$W/target.svg"
expect_rc 0 hp flame -o "$W/hard.svg" "${prof[0]}"
cmp -s "$W/target.svg" "$W/f.svg" || fail "flame -o HARDLINK left its other name the old file"
chmod 600 "$W/target.svg"
rm "$W/hard.svg"
expect_rc 0 hp flame -o "$W/target.svg" "${prof[0]}"
[[ $(stat -c %a "$W/target.svg") == 600 ]] ||
    fail "flame -o FILE changed its mode to $(stat -c %a "$W/target.svg")"
# A file the user may write in a directory they may not: written in place.
# (As nobody, in a directory of /tmp, where the checkout's may be closed to
# nobody; skipped where nobody cannot run the CLI from there.)
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
if [[ $(id -u) == 0 ]] && command -v setpriv >/dev/null && as_nobody test -x "$HEAPPROF_CLI"; then
    ro=$(mktemp -d /tmp/hp_cli_flame.XXXXXX)
    chmod 755 "$ro"
    cp "${prof[0]}" "$ro/p.pb.gz" && chmod 644 "$ro/p.pb.gz"
    : >"$ro/out.svg" && chown 65534 "$ro/out.svg"
    expect_rc 0 as_nobody "$HEAPPROF_CLI" flame -o "$ro/out.svg" "$ro/p.pb.gz"
    well_formed "$ro/out.svg"
    rm -rf "$ro"
fi
expect_rc 1 hp flame -o "$W" "${prof[0]}"
expect_in "$W/err" "cannot write .*: it is a directory"
# A name as long as a directory entry may be (255 bytes): its temporary
# name, 7 bytes longer, is cut short to fit, not refused as too long.
long=$(printf 'f%.0s' {1..251}).svg
expect_rc 0 hp flame -o "$W/$long" "${prof[0]}"
cmp -s "$W/$long" "$W/f.svg" || fail "flame -o a 255-byte name: not the SVG"
[[ -z $(compgen -G "$W/${long:0:248}.*") ]] || fail "temporary files left beside the long name"
# A profile with nothing live: nothing to draw, said plainly, in an empty
# graph (status 0, as top's "Total: 0").
rm -f "$W/n.svg"
expect_rc 0 hp flame -o "$W/n.svg" "$W/zero.pb"
expect_in "$W/err" "nothing to draw"
expect_in "$W/n.svg" '>Nothing to draw: ' "the empty graph's reason"
# Without its bars, no legend that reads them (it said "The bottom bar is
# everything; above each frame, what it called" above nothing); a graph
# with bars keeps it.
well_formed "$W/n.svg"
expect_not_in "$W/n.svg" 'bottom bar|above each frame|Hover' "the legend of an empty graph"
expect_in "$W/f.svg" '>The bottom bar is everything; above each frame, what it called\. Hover for values\.</text>$'
# --folded: the same stacks as folded lines, "root;...;leaf VALUE", to
# standard output (FlameGraph's, speedscope's and inferno's input): each
# function's own bytes, adding up to top's total.
expect_rc 0 hp flame --folded "${prof[0]}"
cp "$W/out" "$W/folded"
expect_in "$W/folded" "^[^ ]*main;([^ ]*;)?sites;alloc_alpha 10000$"
expect_in "$W/folded" "^[^ ]*main;([^ ]*;)?sites;alloc_beta 12000$"
expect_in "$W/folded" ";alloc_delta;alloc_delta_leaf 4662$"
expect_not_in "$W/folded" "alloc_gamma" "a stack with nothing live"
expect_not_in "$W/folded" "^all[; ]" "the root in a folded stack"
bad=$(grep -Evc '^[^ ;][^;]*(;[^;]+)* [0-9]+$' "$W/folded" || true)
[[ $bad == 0 ]] || fail "folded lines not 'a;b;c N': $(grep -Ev '^[^ ;][^;]*(;[^;]+)* [0-9]+$' "$W/folded")"
expect_rc 0 hp top --raw "${prof[0]}"
total=$(sed -n 's/^Total: \([0-9]*\) .*/\1/p' "$W/out")
sum=$(awk '{s += $NF} END {print s}' "$W/folded")
[[ -n $total && $sum == "$total" ]] || fail "folded values add up to $sum, top's total is $total"
# -o FILE: written whole, its name printed; --base: BASE and VALUE columns.
expect_rc 0 hp flame --folded -o "$W/f.folded" "${prof[0]}"
[[ "$(cat "$W/out")" == "$W/f.folded" ]] || fail "flame --folded -o printed '$(cat "$W/out")'"
cmp -s "$W/f.folded" "$W/folded" || fail "flame --folded -o wrote other lines than to stdout"
expect_rc 0 hp flame --folded --base "${prof[0]}" "${prof[0]}"
awk 'NF < 3 || $(NF - 1) != $NF {exit 1}' "$W/out" || fail "--base: columns differ for one profile: $(cat "$W/out")"
expect_in "$W/out" ";alloc_alpha 10000 10000$"
# leaf_named NAME OUT: the corpus' tiny profile with its leaf renamed.
leaf_named() {
    python3 - "$1" "$2" <<EOF
import sys
sys.path.insert(0, "$CLI_SRC")
from make_corpus import STRINGS, profile
strings = list(STRINGS)
strings[strings.index("leaf")] = sys.argv[1]
open(sys.argv[2], "wb").write(profile(strings=strings))
EOF
}
# Names holding the separators: ";" becomes ":", and a newline is the
# reader's "?" as everywhere.
leaf_named $'op;er\nator' "$W/semi.pb"
expect_rc 0 hp flame --folded "$W/semi.pb"
expect_in "$W/out" "^main;op:er.ator 12288$"
[[ $(wc -l <"$W/out") == 2 ]] || fail "a name with a newline split a folded line: $(cat "$W/out")"
# A ';' and blanks in one name (C++'s "operator; (int x)" and the like):
# the ';' becomes ':', a blank stays (flamegraph.pl splits a line at its
# last blank, frames at ';'), with and without --base.
leaf_named 'f(a; b) const' "$W/semisp.pb"
expect_rc 0 hp flame --folded "$W/semisp.pb"
expect_in "$W/out" '^main;f\(a: b\) const 12288$'
expect_in "$W/out" '^main 4096$'
[[ $(wc -l <"$W/out") == 2 ]] || fail "a name with ';' and blanks: $(cat "$W/out")"
expect_rc 0 hp flame --folded --base "$W/semisp.pb" "$W/semisp.pb"
expect_in "$W/out" '^main;f\(a: b\) const 12288 12288$'
# A leaf ending in a blank and a number would read as "STACK BEFORE AFTER"
# to flamegraph.pl: that blank becomes "_" (single-count lines only).
leaf_named "worker 2" "$W/num.pb"
expect_rc 0 hp flame --folded "$W/num.pb"
expect_in "$W/out" "^main;worker_2 12288$"
expect_rc 0 hp flame --folded --base "$W/num.pb" "$W/num.pb"
expect_in "$W/out" "^main;worker 2 12288 12288$"
# Sums past int64_t's range print the double's digits: 2^63 was llround's
# -9223372036854775808, a line no reader takes.
python3 - "$W/over.pb" <<EOF
import sys
sys.path.insert(0, "$CLI_SRC")
from make_corpus import profile, sample
open(sys.argv[1], "wb").write(profile(samples=[sample([1, 2], [1, 2**62]),
                                               sample([1, 2], [1, 2**62]), sample([2], [1, 2**62])]))
EOF
expect_rc 0 hp flame --folded "$W/over.pb"
expect_in "$W/out" '^main;leaf 9223372036854775808$'
expect_in "$W/out" '^main 4611686018427387904$'
# Stacks deeper than the SVG draws (2048) are whole: a cut one credited its
# bytes to the frame at the cut.
python3 "$CLI_SRC/craft_profiles.py" deep "$W/deep.pb" 3000 || fail "craft_profiles.py deep failed"
expect_rc 0 hp flame --folded "$W/deep.pb"
awk -F';' '{print NF}' "$W/out" | sort -n | tail -n 1 >"$W/depth"
[[ $(cat "$W/depth") -ge 3000 ]] || fail "flame --folded cut a 3000-frame stack to $(cat "$W/depth") frames"
expect_not_in "$W/err" "left out" "a note of frames left out of folded stacks"
expect_rc 0 hp flame --folded "$W/zero.pb"
expect_in "$W/err" "nothing to draw"
[[ ! -s $W/out ]] || fail "flame --folded of nothing printed: $(cat "$W/out")"
expect_rc 0 hp flame --help
expect_in "$W/out" "Usage: heapprof flame FILE"
note "ok"

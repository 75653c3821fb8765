#!/usr/bin/env bash
# --lines: frames keyed and named by source line, "func file:line", as go
# tool pprof -lines names them, in top (by function and by stack), leaks,
# flame (and --base, --focus), ages and timeline (--site).
#   - a crafted profile (craft_profiles.py lines): an inlined frame (two
#     Lines in one Location), one line of a function in two Locations (one
#     row), a wrapper with a file (still skipped for the site), a function
#     without a file ("nofile :7") and line numbers no file has (-5, 2^40:
#     shown as written), a path written with "./", ".." and "//" (cleaned as
#     pprof cleans it); every row and stack is pprof's (-top, -traces);
#   - frames pprof names each its own way (craft_profiles.py line_edges):
#     one function name in two files, line 0 ("func file"), functions
#     without a name (its system name; none at all: "file:line"), locations without lines with and without a mapping
#     file ("[libfoo.so]", "<unknown>", also without --lines), and lines
#     without a function (which pprof refuses): the same rows and stacks as
#     pprof's;
#   - two builds of one program (craft_profiles.py lines --moved: a line
#     moved): leaks and flame --base key the moved line apart;
#   - a heapprof profile of a program built -O2 -g whose mapping heapprof
#     marks as symbolized (cli_lines.c), and a Go heap profile: every row of
#     `top --lines` is a row of `go tool pprof -top -lines`, with the same
#     flat and cum, and the other way round;
#   - bad input: a function's file name out of the string table (refused,
#     with the reason), file:line names too large to build (refused, with
#     the reason; the profile still reads without --lines);
#   - without --lines, nothing changes; a profile without lines says so.
source "$(dirname "$0")/cli_lib.sh"
need_env CLI_LINES_PROG

craft() { python3 "$CLI_SRC/craft_profiles.py" lines "$@" || fail "craft_profiles.py lines $* failed"; }
craft "$W/l1.pb"
craft "$W/l3.pb" --scale 3

# Rows of `heapprof top --raw -n 0` as "flat cum name", sorted.
top_rows() {
    awk '/^ +flat +± / { go = 1; next }
         go && NF { n = $1 " " $5; for (i = 8; i <= NF; i++) n = n " " $i; print n }' "$1" | sort
}
# The same of `go tool pprof -top -unit=B`, less its "(inline)" marks.
pprof_rows() {
    awk '/^ +flat +flat% / { go = 1; next }
         go && NF { a = $1; c = $4; sub(/B$/, "", a); sub(/B$/, "", c); n = a " " c
                    for (i = 6; i <= NF; i++) if ($i != "(inline)" && $i != "(partial-inline)") n = n " " $i
                    print n }' "$1" | sort
}
# Stacks of `heapprof top --by stack --raw -n 0` as "value frame ← frame ...", sorted.
stack_rows() {
    awk '/^ +value +± / { go = 1; next }
         go && NF { n = $1; for (i = 5; i <= NF; i++) n = n " " $i; print n }' "$1" | sort
}
# The same of `go tool pprof -traces -unit=B` (one trace per sample: those
# of one stack summed, and left out when 0, as top leaves them), less its
# "(inline)" marks and its label lines ("bytes:  12kB").
pprof_stacks() {
    awk '/^-+\+-+$/ { if (k != "") sum[k] += v; k = ""; first = 1; next }
         first && $1 ~ /:$/ { next }
         first && NF { v = $1; sub(/B$/, "", v); first = 0; from = 2 }
         from && NF { s = ""
                      for (i = from; i <= NF; i++) if ($i != "(inline)" && $i != "(partial-inline)") s = s (s == "" ? "" : " ") $i
                      k = k == "" ? s : k " \xe2\x86\x90 " s; from = 1 }
         END { if (k != "") sum[k] += v; for (x in sum) if (sum[x]) print sum[x] " " x }' "$1" | sort
}
# same_as_pprof FILE: top --lines and its --by stack give the rows and
# stacks of go tool pprof -top -lines and -traces -lines.
same_as_pprof() {
    expect_rc 0 hp top --lines --raw -n 0 "$1"
    top_rows "$W/out" >"$W/ours.rows"
    pprof_to "$1" "$W/pprof.top" -top -lines -nodefraction=0 -unit=B
    pprof_rows "$W/pprof.top" | diff "$W/ours.rows" - >&2 ||
        fail "top --lines and go tool pprof -top -lines differ (above, ours first) on $1"
    grep -qE ':-?[0-9]+$' "$W/ours.rows" || fail "no file:line in top --lines of $1: $(cat "$W/out")"
    expect_rc 0 hp top --lines --by stack --raw -n 0 "$1"
    stack_rows "$W/out" >"$W/ours.stacks"
    pprof_to "$1" "$W/pprof.traces" -traces -lines -unit=B
    pprof_stacks "$W/pprof.traces" | diff "$W/ours.stacks" - >&2 ||
        fail "top --lines --by stack and go tool pprof -traces -lines differ (above, ours first) on $1"
}

# --- top ------------------------------------------------------------------------------
expect_rc 0 hp top --lines --raw -n 0 "$W/l1.pb"
cp "$W/out" "$W/top1"
top_rows "$W/top1" >"$W/top1.rows"
sort >"$W/top1.want" <<'EOF'
0 1000 leak /src/app/leak.c:20
0 3000 main /src/app/main.c:5
0 5000 main /src/app/main.c:6
1000 1000 helper /src/app/inl.h:10
2000 2000 malloc /glibc/malloc/malloc.c:3287
4000 6000 leak /src/app/leak.c:25
300 300 badline /src/app/bad.c:-5
200 200 badline /src/app/bad.c:1099511627776
500 500 nofile :7
EOF
diff "$W/top1.want" "$W/top1.rows" >&2 || fail "top --lines: rows differ from the expected (above)"
expect_in "$W/top1" '^Showing 9 of 9 source lines$'
expect_in "$W/top1" ' function file:line$' "the column header"
note "top --lines: inlined frames, one line in two locations, cleaned paths, absurd lines"

# Without --lines, as before: by function.
expect_rc 0 hp top --raw -n 0 "$W/l1.pb"
top_rows "$W/out" >"$W/top0.rows"
grep -qx '4000 7000 leak' "$W/top0.rows" || fail "without --lines, leak is not one row: $(cat "$W/top0.rows")"
expect_not_in "$W/out" '\.c:[0-9]' "a file:line without --lines"
expect_in "$W/out" ' function$' "the column header without --lines"
expect_in "$W/out" '^Showing 6 of 6 functions$'

expect_rc 0 hp top --lines --by stack --raw "$W/l1.pb"
expect_in "$W/out" '^ +1000 +0 .* helper /src/app/inl\.h:10 ← leak /src/app/leak\.c:20 ← main /src/app/main\.c:5$' \
    "an inlined frame and its caller's line, one location"
expect_in "$W/out" '^ +4000 +0 .* leak /src/app/leak\.c:25 ← main /src/app/main\.c:6$'
expect_in "$W/out" '^ +300 +0 .* badline /src/app/bad\.c:-5 ← main /src/app/main\.c:6$' "line -5, as written"
expect_in "$W/out" '^ +200 +0 .* badline /src/app/bad\.c:1099511627776 ← main /src/app/main\.c:6$' "line 2^40"
expect_in "$W/out" '^ +500 +0 .* nofile :7 ← main /src/app/main\.c:6$' "a line without a file"

# pprof on the same file: every row and every stack is pprof's.  The edge
# cases too, and without --lines (frames without a function).
craft_edges() { python3 "$CLI_SRC/craft_profiles.py" line_edges "$@" || fail "craft_profiles.py line_edges $* failed"; }
craft_edges "$W/edges.pb"
expect_rc 0 hp top --lines --raw -n 0 "$W/edges.pb"
cp "$W/out" "$W/edges.top"
expect_in "$W/edges.top" '^ +2000 .* dup /src/b\.c:10$' "one function name in two files: two rows"
expect_in "$W/edges.top" '^ +1080 .* dup /src/a\.c:10$' "two Functions of one name and file: one row"
expect_in "$W/edges.top" '^ +390 .* zero /src/z\.c$' "line 0: the file alone"
expect_in "$W/edges.top" '^ +70 .* \[libfoo\.so\]$' "no line, a mapping file"
expect_in "$W/edges.top" '^ +65 .* <unknown>$' "no line, no mapping file: one row for two addresses"
expect_in "$W/edges.top" '^ +50 .* noname_sys /src/n\.c:3$' "a function without a name, its system name"
expect_in "$W/edges.top" '^ +3 .*  /src/x\.c:9$' "a function without any name: the file and line alone"
craft_edges "$W/nofunc.pb" --no-func
expect_rc 0 hp top --lines --raw -n 0 "$W/nofunc.pb"
expect_in "$W/out" '^ +76 .* \[libfoo\.so\]$' "a line without a function, a mapping file"
expect_in "$W/out" '^ +72 .* <unknown>$' "a line without a function, no mapping file"
if have_go; then
    same_as_pprof "$W/l1.pb"
    same_as_pprof "$W/edges.pb"
    expect_rc 0 hp top --raw -n 0 "$W/edges.pb"
    top_rows "$W/out" >"$W/ours.rows"
    pprof_to "$W/edges.pb" "$W/pprof.top" -top -nodefraction=0 -unit=B
    pprof_rows "$W/pprof.top" | diff "$W/ours.rows" - >&2 ||
        fail "top and go tool pprof -top differ (above, ours first) on $W/edges.pb"
    note "top --lines (--by stack) agrees with go tool pprof -top (-traces) -lines on crafted profiles"
fi

# --- heapprof's own file:line: a program built -O2 -g ----------------------------------
expect_rc 0 hp run --sample 1 -o "$W/lp" -- "$CLI_LINES_PROG"
lp=$(ls "$W"/lp.*.0001.pb.gz)
src=$CLI_SRC/cli_lines.c
a=$(grep -nF '/* SITE_A */' "$src" | cut -d: -f1)
b=$(grep -nF '/* SITE_B */' "$src" | cut -d: -f1)
expect_rc 0 hp top --lines --raw -n 0 "$lp"
cp "$W/out" "$W/toplp"
expect_in "$W/toplp" "^ +3000000 +0 .* two_sites /.*cli_lines\.c:$a$" "two_sites' first malloc, at its line"
expect_in "$W/toplp" "^ +5000000 +0 .* two_sites /.*cli_lines\.c:$b$" "two_sites' second malloc, at its line"
expect_rc 0 hp top --raw -n 0 "$lp"
expect_in "$W/out" '^ +8000000 +0 .* two_sites$' "without --lines, one row for two_sites"
expect_rc 0 hp flame --lines "$lp" -o "$W/lp.svg"
expect_in "$W/lp.svg" "<title>two_sites /[^<]*/cli_lines\.c:$b$" "the whole path in a tooltip"
expect_in "$W/lp.svg" "<text [^>]*>two_sites cli_lines\.c:$b</text>" "the file's last component in a box"
expect_rc 0 hp ages --lines "$lp"
expect_in "$W/out" " two_sites /.*cli_lines\.c:$a ← main /.*cli_lines\.c:[0-9]+$" "ages: a site by line"
expect_in "$W/out" " two_sites /.*cli_lines\.c:$b ← main /.*cli_lines\.c:[0-9]+$" "ages: the other line"
if have_go; then
    same_as_pprof "$lp"
    same_as_pprof "$CLI_SRC/corpus/go_heap.gz"
    note "top --lines agrees with go tool pprof -top -lines on heapprof's and Go's profiles"
fi

# --- leaks -----------------------------------------------------------------------------
expect_rc 0 hp leaks --lines --raw "$W/l1.pb" "$W/l3.pb"
cp "$W/out" "$W/leaks"
expect_in "$W/leaks" '^ +1 +\+8000 .* leak /src/app/leak\.c:25 ← main /src/app/main\.c:6$' "the largest growth, by line"
expect_in "$W/leaks" ' leak /src/app/leak\.c:25 ← main /src/app/main\.c:5 \(via malloc /glibc/malloc/malloc\.c:3287\)$' \
    "a wrapper with a file:line is still skipped for the site"
expect_in "$W/leaks" ' helper /src/app/inl\.h:10 ← leak /src/app/leak\.c:20$' "an inlined site and its caller's line"
expect_in "$W/leaks" 'go tool pprof -top -lines -base ' "the pprof command, with -lines"
expect_rc 0 hp leaks --lines --stacks "$W/l1.pb" "$W/l3.pb"
expect_in "$W/out" '^ +main /src/app/main\.c:5$' "--stacks: a frame by line"
expect_rc 0 hp leaks "$W/l1.pb" "$W/l3.pb"
expect_in "$W/out" ' leak ← main \(via malloc\)$' "without --lines, as before"
expect_not_in "$W/out" 'leak\.c' "a file:line without --lines"

# --- flame -----------------------------------------------------------------------------
expect_rc 0 hp flame --lines "$W/l1.pb" -o "$W/l1.svg"
expect_in "$W/l1.svg" '<title>leak /src/app/leak\.c:25$' "the whole path in a tooltip"
expect_in "$W/l1.svg" '<text [^>]*>leak leak\.c:25</text>' "the file's last component in a box"
expect_rc 0 hp flame --lines --focus inl.h:10 "$W/l1.pb" -o "$W/focus.svg"
expect_in "$W/focus.svg" 'Flame graph.*</text>' "the title"
expect_in "$W/focus.svg" '1000 B' "the focused stack's bytes"
expect_not_in "$W/focus.svg" 'leak\.c:25' "a stack not through inl.h:10"
expect_rc 0 hp flame --focus inl.h:10 "$W/l1.pb" -o "$W/nofocus.svg"
expect_in "$W/err" 'nothing to draw' "--focus on a file:line without --lines"
expect_rc 0 hp flame --lines --base "$W/l1.pb" "$W/l3.pb" -o "$W/diff.svg"
expect_in "$W/diff.svg" '<title>leak /src/app/leak\.c:25$' "a differential graph by line"
expect_in "$W/diff.svg" '\+7\.81 KiB since the base' "leak.c:25's growth, 8000 bytes"

# --- two builds: leak's line 25 is 26 in the later one -----------------------------------
# Keyed by line, the moved line is another frame: its stacks grew from
# nothing, as in go tool pprof -lines -base; without --lines they match.
craft "$W/m3.pb" --scale 3 --moved
expect_rc 0 hp leaks --lines --raw "$W/l1.pb" "$W/m3.pb"
expect_in "$W/out" '^ +1 +\+12000 .* 0 +1  leak /src/app/leak\.c:26 ← main /src/app/main\.c:6$' \
    "a moved line: a new site, from 0 objects"
expect_not_in "$W/out" 'leak\.c:25' "the old line (it shrank to nothing)"
expect_rc 0 hp leaks --raw "$W/l1.pb" "$W/m3.pb"
expect_in "$W/out" '^ +1 +\+8000 .* 1 +1  leak ← main$' "without --lines, the same site in both builds"
expect_rc 0 hp flame --lines --base "$W/l1.pb" "$W/m3.pb" -o "$W/moved.svg"
expect_in "$W/moved.svg" '<title>leak /src/app/leak\.c:26$' "the new line, by line"
expect_in "$W/moved.svg" '<text [^>]*>leak leak\.c:26</text>' "its box"
expect_in "$W/moved.svg" '\+11\.7 KiB since the base' "all of leak.c:26's bytes new, 12000 bytes"
expect_not_in "$W/moved.svg" 'leak\.c:25' "the old line (nothing of it in the later profile)"

# --- ages and timeline -------------------------------------------------------------------
expect_rc 0 hp ages --lines "$CLI_SRC/corpus/tiny_aged.pb"
expect_in "$W/out" ' leaf :7 ← main :7$' "ages: a line without a file, as pprof names it"
# (Its binaries not read: its libc may be this machine's, cli_locallines.)
HEAPPROF_LOCAL_LINES=off expect_rc 0 hp top --lines "$CLI_SRC/corpus/heapprof_sampled.gz"
expect_in "$W/err" 'has no file:line for any frame' "a profile without lines says so"
expect_rc 0 hp timeline --lines --site leak.c:25 "$W/l1.pb" "$W/l3.pb" -o "$W/tl.svg"
expect_in "$W/tl.svg" 'leak /src/app/leak\.c:25 ← main' "a site by line in the legend"
expect_not_in "$W/tl.svg" 'inl\.h' "a site --site leaves out"

# A recursion: the site's function at another line is the site again, so
# the caller is the frame that entered it, from any line of the recursion
# (leak.c:30 under leak.c:31 or 32, under main.c:5): the rows without
# --lines split by line, not "leak leak.c:30 ← leak leak.c:31".
craft "$W/rec.pb" --recursive
expect_rc 0 hp top --by site --lines "$W/rec.pb"
expect_in "$W/out" '^ +14\.6 KiB .*  leak /src/app/leak\.c:30 ← main /src/app/main\.c:5$' \
    "--lines: a recursion's three stacks one site, named by the caller that entered it"
expect_not_in "$W/out" 'leak\.c:30 ← leak' "--lines: a site named as its own caller at another line"
expect_rc 0 hp timeline --lines --site 'leak.c:30 ← main' "$W/rec.pb" "$W/rec.pb" -o "$W/rec.svg"
expect_in "$W/rec.svg" '<title>leak /src/app/leak\.c:30 ← main /src/app/main\.c:5' \
    "--lines: the recursive site in timeline"

# --- bad input ---------------------------------------------------------------------------
craft "$W/badfile.pb" --bad-file
expect_rc 1 hp top --lines "$W/badfile.pb"
expect_in "$W/err" "badfile\.pb: broken profile: a function's file name refers to string 999" \
    "an out-of-range file name"
craft "$W/huge.pb" --huge-file
expect_rc 1 hp top --lines "$W/huge.pb"
expect_in "$W/err" 'huge\.pb: its file:line names would take more than 256 MiB; refusing it \(it reads without --lines\)'
expect_rc 0 hp top "$W/huge.pb"
note "bad input: refused with the reason"

note "ok"

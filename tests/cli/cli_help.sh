#!/usr/bin/env bash
# Help and man page: `heapprof --help` lists the commands; `heapprof CMD
# --help` and docs/heapprof.1 document every flag of every command; run's
# help lists every HEAPPROF_* variable of the library's table (src/config.c),
# the man page those that run's options set; it renders without warnings.
source "$(dirname "$0")/cli_lib.sh"

declare -A flags=(
    [run]="--sample --period --highwater --keep --signal -o --out --no-children --help"
    [dump]="--wait --help"
    [top]="--type -n --by --cum --raw --lines --min-age --max-age --max-lifetime --tag --help"
    [leaks]="-n --stacks --raw --lines --tag --by --help"
    [timeline]="-o --out --top --by --cohorts --site --lines --tag --help"
    [ages]="-n --by --raw --lines --tag --help"
    [flame]="-o --out --type --base --width --min-age --max-age --max-lifetime --focus --lines --tag --by --folded --help"
)

# The man page as plain text.
[[ -s "${CLI_MAN:-}" ]] || fail "no man page at ${CLI_MAN:-(CLI_MAN unset)}"
if command -v groff >/dev/null; then
    warnings=$(groff -man -Tutf8 -ww -z "$CLI_MAN" 2>&1)
    [[ -z "$warnings" ]] || fail "groff warns about the man page: $warnings"
    groff -man -Tutf8 -rLL=1000n -rHY=0 -P-c -P-b -P-u "$CLI_MAN" >"$W/man.txt" 2>/dev/null
else
    note "no groff: checking the man page source"
    sed 's/\\-/-/g; s/\\f[BIRP]//g' "$CLI_MAN" >"$W/man.txt"
fi
expect_in "$W/man.txt" 'HEAPPROF\(1\)|^\.TH HEAPPROF 1' "the man page header"

expect_rc 0 hp --help
for cmd in "${!flags[@]}"; do
    expect_in "$W/out" "^  $cmd " "'$cmd' in heapprof --help"
done
for cmd in "${!flags[@]}"; do
    expect_rc 0 hp "$cmd" --help
    cp "$W/out" "$W/help.$cmd"
    expect_rc 0 hp help "$cmd"
    cmp -s "$W/out" "$W/help.$cmd" || fail "'heapprof help $cmd' differs from '$cmd --help'"
    for f in ${flags[$cmd]}; do
        expect_in "$W/help.$cmd" "(^|[ ,])$f([ ,=]|\$)" "$f in '$cmd --help'"
        expect_in "$W/man.txt" "(^|[ ,\[])$f([] ,=|]|\$)" "$f of $cmd in the man page"
    done
    expect_in "$W/man.txt" "heapprof $cmd " "the $cmd section of the man page"
done

# --lines says what becomes of a frame without a file or line (top's help
# had lost that sentence to the --tag paragraph).
for cmd in top leaks timeline ages flame; do
    tr -s ' \n' ' ' <"$W/help.$cmd" >"$W/help.$cmd.flat" # the sentence may wrap
    expect_in "$W/help.$cmd.flat" "neither file nor line keeps its function.s name" \
        "--lines' frames without a line in '$cmd --help'"
done

# The library's variables, from its own table.
vars=$(grep -o 'ROW("HEAPPROF_[A-Z_]*"' "$CLI_SRC/../../src/config.c" | sed 's/ROW("//; s/"//')
[[ $(wc -w <<<"$vars") -ge 10 ]] || fail "could not read the variables of src/config.c"
for v in $vars; do
    expect_in "$W/help.run" "^  $v " "$v in 'run --help'"
done
for v in HEAPPROF_SAMPLE HEAPPROF_PERIOD HEAPPROF_HIGHWATER HEAPPROF_KEEP HEAPPROF_SIGNAL \
    HEAPPROF_OUT HEAPPROF_CHILDREN; do
    expect_in "$W/man.txt" "$v" "$v (set by run's options) in the man page"
done
expect_in "$W/man.txt" 'run --help prints the complete list' "the pointer to the full list"
expect_in "$W/man.txt" 'HEAPPROF_MAX_INPUT' "the reader's own variable in the man page"

# What ± means, and the leak rule, are explained where they are used.
expect_in "$W/help.top" 'standard error'
expect_in "$W/help.top" '"\?"' "the unknown-error mark in top's help"
expect_in "$W/help.leaks" 'working set'
expect_in "$W/help.leaks" '2 sqrt\(sd1\^2 \+ sd2\^2\)' "the significance rule in leaks' help"
expect_in "$W/man.txt" 'ERROR ESTIMATES'
expect_in "$W/help.ages" 'steady' "the readings in ages' help"
expect_in "$W/man.txt" 'OBJECT AGES'
expect_in "$W/man.txt" 'SOURCE LINES'
expect_in "$W/man.txt" 'SAMPLE LABELS'
# --lines's last line in top's help (--tag's text once took its place).
expect_in "$W/help.top" "with neither file nor line keeps its function's name"

# Usage errors.
expect_rc 2 hp
expect_rc 2 hp frobnicate
expect_in "$W/err" "unknown command 'frobnicate'"
# `heapprof help NAME` of no command says so too, in one line and a hint,
# rather than the whole usage on stderr with nothing saying what was wrong.
expect_rc 2 hp help frobnicate
expect_in "$W/err" "^heapprof: unknown command 'frobnicate'"
expect_in "$W/err" "Try 'heapprof --help'"
[[ $(wc -l <"$W/err") -eq 2 ]] || fail "heapprof help frobnicate: $(cat "$W/err")"
expect_rc 0 hp help
expect_in "$W/out" "^Commands:"
expect_rc 2 hp top --frob x
expect_in "$W/err" "unknown option '--frob'"
expect_in "$W/err" "Try 'heapprof top --help'"
# A known flag given a value it does not take is named as such, in every
# command's parser (they share args_getopt_error); an unknown one with a
# value is still unknown.
for c in top leaks ages timeline flame dump; do
    expect_rc 2 hp $c --help=1 x.pb
    expect_in "$W/err" "^heapprof $c: option '--help' takes no value$"
done
expect_rc 2 hp top --raw=1 x.pb
expect_in "$W/err" "^heapprof top: option '--raw' takes no value$"
expect_rc 2 hp top --frob=1 x.pb
expect_in "$W/err" "^heapprof top: unknown option '--frob=1'$"
# A long option given one dash is named whole, with the option meant: getopt
# read '-sample_index=alloc_space' as letters and said "unknown option
# '-s'".  pprof's own flags say what stands for them here.
expect_rc 2 hp top x.pb -sample_index=alloc_space
expect_in "$W/err" "^heapprof top: unknown option '-sample_index=alloc_space' \(pprof's -sample_index; use --type TYPE\)$"
expect_rc 2 hp top -tagfocus=thread=io x.pb
expect_in "$W/err" "^heapprof top: unknown option '-tagfocus=thread=io' \(pprof's -tagfocus; use --tag KEY=PAT, a shell pattern\)$"
expect_rc 2 hp top -lines x.pb
expect_in "$W/err" "^heapprof top: unknown option '-lines' \(an option longer than one letter takes two dashes: --lines\)$"
expect_rc 125 hp run -sample 64k -- true
expect_in "$W/err" "^heapprof run: unknown option '-sample' \(an option longer than one letter takes two dashes: --sample\)$"
expect_rc 2 hp timeline -top=3 x.pb
expect_in "$W/err" "^heapprof timeline: unknown option '-top=3' \(an option longer than one letter takes two dashes: --top\)$"
# A word that starts with a letter the command knows is still a long name
# when more letters and '=' follow, or when it is all a long option's or a
# pprof flag's name: -nodecount=5 was -n 'odecount=5' ("not a whole
# number"), -output=x.svg wrote a file 'utput=x.svg', -help printed help.
expect_rc 2 hp top -nodecount=5 x.pb
expect_in "$W/err" "^heapprof top: unknown option '-nodecount=5' \(pprof's -nodecount; use -n N\)$"
expect_rc 2 hp top x.pb -nodecount 5
expect_in "$W/err" "^heapprof top: unknown option '-nodecount' \(pprof's -nodecount; use -n N\)$"
(cd "$W" && expect_rc 2 hp flame -output=x.svg "$CLI_SRC/corpus/tiny.pb")
expect_in "$W/err" "^heapprof flame: unknown option '-output=x.svg' \(pprof's -output; use -o FILE"
[[ -z $(compgen -G "$W/utput*") ]] || fail "flame -output=x.svg wrote $(ls "$W"/utput*)"
expect_rc 2 hp flame -ofoo=x.svg x.pb
expect_in "$W/err" "^heapprof flame: unknown option '-ofoo=x.svg' \(a value of -o goes after a space: -o foo=x.svg\)$"
expect_rc 2 hp top -help
expect_in "$W/err" "^heapprof top: unknown option '-help' \(an option longer than one letter takes two dashes: --help\)$"
expect_rc 2 hp ages -hide=x x.pb
expect_in "$W/err" "^heapprof ages: unknown option '-hide=x'$"
# Under run, whose -o is the profiles' prefix, pprof's -output is not told
# to use flame's -o FILE (it was, in every command).
expect_rc 125 hp run -output=x -- true
expect_in "$W/err" "^heapprof run: unknown option '-output=x' \(pprof's -output; use -o PREFIX for the profiles' names, PREFIX\.<pid>\.<seq>\.pb\.gz\)$"
expect_rc 2 hp timeline -output=x.svg x.pb
expect_in "$W/err" "^heapprof timeline: unknown option '-output=x.svg' \(pprof's -output; use -o FILE\)$"
expect_rc 2 hp top -output=x x.pb
expect_in "$W/err" "^heapprof top: unknown option '-output=x' \(pprof's -output; use -o FILE in heapprof flame and timeline\)$"
# A short option's value attached with '=' is refused, naming the forms
# meant: -n=5 was -n '=5' ("not a whole number"), -o=x.svg wrote a file
# '=x.svg'.
for c in top leaks ages; do
    expect_rc 2 hp $c -n=5 x.pb
    expect_in "$W/err" "^heapprof $c: option '-n=5' \(a value of -n goes after a space, without '=': -n 5\)$"
done
for c in flame timeline; do
    (cd "$W" && expect_rc 2 hp $c -o=x.svg "$CLI_SRC/corpus/tiny.pb")
    expect_in "$W/err" "^heapprof $c: option '-o=x.svg' \(a value of -o goes after a space, without '=': -o x.svg, or --out=x.svg\)$"
    [[ -z $(compgen -G "$W/=*") ]] || fail "$c -o=x.svg wrote $(ls "$W"/=*)"
done
(cd "$W" && expect_rc 125 hp run -o=prof -- true)
expect_in "$W/err" "^heapprof run: option '-o=prof' \(a value of -o goes after a space, without '=': -o prof, or --out=prof\)$"
[[ -z $(compgen -G "$W/=*") ]] || fail "run -o=prof wrote $(ls "$W"/=*)"
# As its own word, '=5' is the value given.
expect_rc 2 hp top -n =5 x.pb
expect_in "$W/err" "^heapprof top: -n '=5': not a whole number$"
# Short options with their values attached still are.
expect_rc 0 hp top -n1 "$CLI_SRC/corpus/tiny.pb"
expect_rc 0 hp flame -o"$W/attached.svg" "$CLI_SRC/corpus/tiny.pb"
[[ -s $W/attached.svg ]] || fail "flame -oFILE wrote no FILE"
expect_rc 2 hp top -frobnicate x.pb
expect_in "$W/err" "^heapprof top: unknown option '-frobnicate'$"
expect_rc 2 hp top -x x.pb
expect_in "$W/err" "^heapprof top: unknown option '-x'$"
# A number too large even for 64 bits is out of range, not "not a whole number".
expect_rc 2 hp top -n 99999999999999999999999 x.pb
expect_in "$W/err" "^heapprof top: -n '99999999999999999999999': out of range \(allowed 0 to [0-9]+\)$"
expect_rc 2 hp timeline --top 18446744073709551616 x.pb
expect_in "$W/err" "^heapprof timeline: --top '18446744073709551616': out of range \(allowed 1 to 40\)$"
expect_rc 2 hp top -n 12x x.pb
expect_in "$W/err" "^heapprof top: -n '12x': not a whole number$"
expect_rc 0 hp --version
expect_in "$W/out" '^heapprof [0-9]+\.[0-9]+\.[0-9]+$'

note "ok"

#!/usr/bin/env bash
# heapprof timeline: from a real series of profiles (a leaking and a
# working-set site), a well-formed SVG (xmllint or Python's XML parser) with
# a title, axes with units, and the sites in its legend; "other" when --top
# leaves sites out; names that need escaping; one profile; bad arguments;
# out of memory (a calloc made to fail).
source "$(dirname "$0")/cli_lib.sh"

# well_formed FILE: parse it as XML with whatever parser is installed.
well_formed() {
    if command -v xmllint >/dev/null; then
        xmllint --noout "$1" || fail "$1 is not well-formed XML (xmllint)"
    elif command -v python3 >/dev/null; then
        python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$1" ||
            fail "$1 is not well-formed XML (python3)"
    else
        note "neither xmllint nor python3: XML well-formedness not checked"
        grep -q '</svg>' "$1" || fail "$1 does not end its <svg> element"
    fi
}

expect_rc 0 hp run --sample 32k -o "$W/s" -- "$CLI_PROG" series 5
files=("$W"/s.*.pb.gz)
[[ ${#files[@]} -eq 6 ]] || fail "expected 6 profiles, got ${#files[@]}"

expect_rc 0 hp timeline "${files[@]}" -o "$W/t.svg"
[[ "$(cat "$W/out")" == "$W/t.svg" ]] || fail "timeline printed '$(cat "$W/out")'"
well_formed "$W/t.svg"
# -o -: the same SVG on standard output, and no file named '-'.
(cd "$W" && expect_rc 0 hp timeline "${files[@]}" -o -)
[[ ! -e $W/- ]] || fail "timeline -o - wrote a file named '-'"
cmp -s "$W/out" "$W/t.svg" || fail "timeline -o - did not write the SVG of -o t.svg"
svg=$W/t.svg
expect_in "$svg" '^<svg xmlns="http://www.w3.org/2000/svg"' "the SVG root element"
expect_in "$svg" 'Live heap over time, by allocation site' "the title"
expect_in "$svg" '>leak_site ← series ' "leak_site in the legend"
expect_in "$svg" '>working_set_site ← series ' "working_set_site in the legend"
expect_in "$svg" '>[0-9.]+ MiB</text>' "y tick labels in MiB"
expect_in "$svg" '>[0-9.]+ s</text>' "x tick labels in seconds"
expect_in "$svg" 'time since the first profile \(seconds\)' "the x axis title"
expect_in "$svg" 'live heap \(inuse_space, MiB\)' "the y axis title"
[[ $(grep -c '<path ' "$svg") -ge 2 ]] || fail "fewer than two bands in $svg"
expect_not_in "$svg" '<script' "scripts in the SVG"

# --top 1: the rest is "other"; files in any order give the same chart.
rev=()
for ((i = ${#files[@]} - 1; i >= 0; i--)); do rev+=("${files[$i]}"); done
expect_rc 0 hp timeline --top 1 -o "$W/t1.svg" "${rev[@]}"
well_formed "$W/t1.svg"
expect_in "$W/t1.svg" '>leak_site ← series ' "the heaviest site kept with --top 1"
expect_in "$W/t1.svg" '>other  <tspan' "the others summed as 'other'"
expect_not_in "$W/t1.svg" '>working_set_site' "working_set_site with --top 1"

# Names with XML's special characters and broken UTF-8; a single profile.
expect_rc 0 hp timeline -o "$W/odd.svg" "$CLI_SRC/corpus/tiny_odd_names.pb"
well_formed "$W/odd.svg"
expect_in "$W/odd.svg" 'std::vector&lt;int, std::allocator&lt;int&gt; &gt;::push_back\(int const&amp;\)'
expect_rc 0 hp timeline -o "$W/go.svg" "$CLI_SRC/corpus/go_heap.gz" "$CLI_SRC/corpus/go_plain.pb"
well_formed "$W/go.svg"
expect_in "$W/go.svg" '>main\.goLeaf'

# Memory: a long series is not held whole (this suite is left out of
# sanitizer builds, whose shadow memory would count).  40 profiles of 10000
# stacks 10 frames deep took 152 MB, every profile's decoded samples kept to
# the end; read one at a time, it is the sites' cells (10 MB in all).  A
# bad file late in the series is still named.
if command -v python3 >/dev/null; then
    python3 "$CLI_SRC/craft_profiles.py" stacks "$W/st.pb.gz" 10000 10
    many=()
    for _ in $(seq 40); do many+=("$W/st.pb.gz"); done
    kib=$(python3 -c '
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$HEAPPROF_CLI" timeline -o "$W/st.svg" "${many[@]}")
    [[ $kib -lt 40000 ]] ||
        fail "timeline over 40 profiles of 10000 stacks: at most $kib KiB resident, not under 40000"
    well_formed "$W/st.svg"
    expect_in "$W/st.svg" '>40 profiles at ' "the 40 profiles' chart"
    expect_rc 1 hp timeline -o "$W/st2.svg" "${many[@]}" "$CLI_SRC/corpus/bad_truncated.gz" "${many[@]:0:3}"
    expect_in "$W/err" "bad_truncated.gz: truncated gzip data"
    [[ ! -e $W/st2.svg ]] || fail "timeline wrote $W/st2.svg with a bad file among the profiles"
else
    note "no python3: timeline's memory over a long series is not checked"
fi

# Errors.
expect_rc 2 hp timeline -o "$W/x.svg"
expect_in "$W/err" "which profiles"
expect_rc 2 hp timeline --top 0 "${files[0]}"
expect_in "$W/err" "--top '0': out of range"
expect_rc 1 hp timeline -o "$W/no/such/dir/t.svg" "${files[0]}"
expect_in "$W/err" "cannot write $W/no/such/dir/t.svg: No such file"
expect_rc 1 hp timeline -o "$W/bad.svg" "${files[0]}" "$CLI_SRC/corpus/bad_truncated.gz"
expect_in "$W/err" "bad_truncated.gz: truncated gzip data"

# SIGTERM while the SVG is written (raised at its fclose, before the
# rename): no temporary file left, and death by the signal (143).
run_rc rc env LD_PRELOAD="$CLI_RAISE_LIB" CLI_RAISE="$(kill -l TERM)" "$HEAPPROF_CLI" timeline \
    -o "$W/sig.svg" "${files[@]}"
[[ $rc == 143 ]] || fail "timeline, SIGTERM while writing: exited $rc, not 143"
[[ -z $(compgen -G "$W/sig.svg*") ]] || fail "timeline, SIGTERM while writing: left $(echo "$W"/sig.svg*)"

# Out of memory before any profile is read: calloc(13, 8), the chart's
# per-profile arrays for 13 files, fails (both, the first, the second).  A
# message and status 1, not a crash: the x axis's end was read from the
# array of x values when that was NULL.
many=()
for _ in $(seq 13); do many+=("$CLI_SRC/corpus/tiny.pb"); done
for which in "" ",1" ",2"; do
    expect_rc 1 env LD_PRELOAD="$CLI_FAILCALLOC" CLI_FAIL_CALLOC="13,8$which" \
        "$HEAPPROF_CLI" timeline -o "$W/oom.svg" "${many[@]}"
    expect_in "$W/err" "^heapprof timeline: out of memory$" "out of memory (CLI_FAIL_CALLOC=13,8$which)"
done

note "ok"

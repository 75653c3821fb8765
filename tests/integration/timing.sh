#!/usr/bin/env bash
# integ_timing: libheapprof_timing.so (src/timing.h), the twin that counts
# the ticks of each sample and sampled free, reports them at exit in one
# line whose sample count is the profile's own, and changes nothing else
# the program sees; libheapprof.so itself prints no such line.
source "$(dirname "$0")/lib.sh"
need_env PROG_SAMPLED TIMING_LIB

# 100 MB from sampled.c's three sites at 64 KiB: ~1000 samples.
args=(65536 100)
run prod HEAPPROF_SAMPLE=64k HEAPPROF_OUT="$W/prod" -- "$PROG_SAMPLED" "${args[@]}"
[[ $RC -eq 0 ]] || fail "the program failed under libheapprof.so (exit $RC): $(tail -n 3 "$W/prod.err")"
no_heapprof_lines prod

HEAPPROF_LIB=$TIMING_LIB run timed HEAPPROF_SAMPLE=64k HEAPPROF_OUT="$W/timed" -- "$PROG_SAMPLED" "${args[@]}"
[[ $RC -eq 0 ]] || fail "the program failed under the timing twin (exit $RC): $(tail -n 3 "$W/timed.err")"
cmp -s "$W/prod.out" "$W/timed.out" || fail "the program's output differs under the timing twin"

lines=$(grep -cE "${HP_LINE}timing: " "$W/timed.err" || true)
[[ $lines -eq 1 ]] || fail "expected one timing line on stderr, found $lines: $(cat "$W/timed.err")"
# (The other lines read whole first: a grep -v that failed, or was cut short
# by grep -q's exit under pipefail, passed the check.)
others=$(grep -vE "${HP_LINE}timing: " "$W/timed.err") || [[ $? -eq 1 ]] || fail "cannot read $W/timed.err"
if grep -qE "$HP_ANY" <<<"$others"; then
    fail "the twin printed other messages: $(grep -E "$HP_ANY" <<<"$others" | head -n 3)"
fi
line=$(grep -E "${HP_LINE}timing: " "$W/timed.err")
note "$line"

p=$(newest_profile "$W/timed")
summarize "$p"
# The line's prefix and its pid= field name the process, the profile's.
tpid=$(basename "$p" | awk -F. '{print $(NF - 3)}')
[[ $line == "heapprof[$tpid]: timing: pid=$tpid "* ]] || fail "expected the line of process $tpid, found: $line"
want=$(grep -o 'samples=[0-9]*' "$p.sum" | head -n 1 | cut -d= -f2)
[[ -n $want && $want -gt 100 ]] || fail "the profile reports too few samples (${want:-none}) for the check"

# samples n=N median=M p10=A p90=B mean=X trim99=T; sampled frees n=... (ticks, G GHz)
verdict=$(awk -v want="$want" '{
    for (i = 1; i <= NF; i++) {
        if ($i == "samples") kind = "s"
        if ($i == "frees") kind = "f"
        if (split($i, kv, "=") == 2) { sub(/;$/, "", kv[2]); v[kind, kv[1]] = kv[2] + 0 }
        if ($i == "GHz)") ghz = $(i - 1) + 0
    }
    bad = ""
    # Every sample the exit profile counts is in the line, which is written
    # after it; a destructor that runs later (a sanitizer runtime'"'"'s) may
    # add a few.
    if (v["s", "n"] < want || v["s", "n"] > want + 16)
        bad = bad " samples n=" v["s", "n"] " but the profile has " want ";"
    if (v["f", "n"] < 1 || v["f", "n"] > v["s", "n"]) bad = bad " sampled frees n=" v["f", "n"] ";"
    # The quantiles are in order by construction; the mean is a sum kept
    # apart from the buckets, so it must be there too.
    for (k = 0; k < 2; k++) {
        c = k ? "f" : "s"
        if (!(v[c, "mean"] > 0 && v[c, "median"] > 0))
            bad = bad " no ticks counted for " (k ? "frees" : "samples") ";"
        # The mean of the fastest 99 %: above zero, not above the mean.
        if (!(v[c, "trim99"] > 0 && v[c, "trim99"] <= v[c, "mean"] + 1))
            bad = bad " trim99 " v[c, "trim99"] " against mean " v[c, "mean"] ";"
    }
    if (v["", "pid"] < 1) bad = bad " no pid;"
    if (!(ghz > 0.1 && ghz < 20)) bad = bad " counter rate " ghz " GHz;"
    print bad == "" ? "ok" : bad
}' <<<"$line")
[[ $verdict == ok ]] || fail "timing line: $verdict"
note "ok"

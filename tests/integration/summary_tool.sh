#!/usr/bin/env bash
# integ_summary_tool: the checker itself can fail.  profile_summary accepts a
# real profile (gzipped or plain, with identical output) and rejects, with a
# clear message and a non-zero status, files that are not profiles and
# profiles whose references are broken (made by profile_corrupt).
source "$(dirname "$0")/lib.sh"
need_env PROG_EXACT PROFILE_CORRUPT

run exact HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/ex" -- "$PROG_EXACT" 1
expect_rc exact 0
p=$(newest_profile "$W/ex")
summarize "$p" --cum --samples
grep -q '^sample ' "$p.sum" || fail "--samples printed no sample lines"
grep -q '^cum ' "$p.sum" || fail "--cum printed no cum lines"

# Uncompressed copy: same summary.
"$PROFILE_CORRUPT" copy "$p" "$W/copy.pb" || fail "profile_corrupt copy failed"
"$PROFILE_SUMMARY" --cum --samples "$W/copy.pb" >"$W/copy.sum" || fail "profile_summary rejected the uncompressed copy"
diff -u "$p.sum" "$W/copy.sum" >&2 || fail "the summary of the uncompressed copy differs from the original's"
pprof_check "$p" ex_malloc ex_calloc
pprof_quick "$W/copy.pb"

# expect_reject FILE STATUS REGEX: profile_summary fails with STATUS and a
# message on stderr matching REGEX, and prints no summary.
expect_reject() {
    local f=$1 want=$2 re=$3 rc
    set +e
    "$PROFILE_SUMMARY" "$f" >"$f.out" 2>"$f.err"
    rc=$?
    set -e
    [[ $rc -eq $want ]] || fail "profile_summary $f: expected exit status $want, got $rc (stderr: $(cat "$f.err"))"
    grep -qE "$re" "$f.err" || fail "profile_summary $f: expected a message matching /$re/, got: $(cat "$f.err")"
    [[ ! -s $f.out ]] || fail "profile_summary $f: printed a summary of a bad file"
    echo "  rejected $(basename "$f"): $(head -n 1 "$f.err")"
}

for mode in location function mapping string values dupid zeroid; do
    "$PROFILE_CORRUPT" "$mode" "$p" "$W/bad_$mode.pb" || fail "profile_corrupt $mode failed"
    expect_reject "$W/bad_$mode.pb" 2 'broken profile'
done
grep -q 'location id' "$W/bad_location.pb.err" || fail "bad location: message does not say which reference"
grep -q 'function id' "$W/bad_function.pb.err" || fail "bad function: message does not say which reference"
grep -q 'mapping id' "$W/bad_mapping.pb.err" || fail "bad mapping: message does not say which reference"
grep -q 'string index' "$W/bad_string.pb.err" || fail "bad string: message does not say which reference"
for mode in string0 notypes; do
    "$PROFILE_CORRUPT" "$mode" "$p" "$W/bad_$mode.pb" || fail "profile_corrupt $mode failed"
    expect_reject "$W/bad_$mode.pb" 1 'not a pprof profile'
done

: >"$W/empty"
expect_reject "$W/empty" 1 'empty'
printf 'this is not a profile at all\n' >"$W/text"
expect_reject "$W/text" 1 'not a pprof profile'
printf 'this is not a profile at all\n' | gzip >"$W/text.gz"
expect_reject "$W/text.gz" 1 'not a pprof profile'
head -c $(( $(stat -c %s "$p") / 2 )) "$p" >"$W/truncated.pb.gz"
expect_reject "$W/truncated.pb.gz" 1 'truncated|corrupt'
expect_reject "$W/does-not-exist" 1 'cannot open'
note "ok"

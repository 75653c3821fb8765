#!/usr/bin/env bash
# The readers' own variables, HEAPPROF_MAX_INPUT and HEAPPROF_MAX_DECODE:
# they take what the library's size variables take (k/m/g, KiB/kb
# spellings), and a value that is not a size above 0 is named in one line,
# once however many profiles are read, and the default is used (as the
# library does with its own variables): never ignored without a word.
source "$(dirname "$0")/cli_lib.sh"

C=$CLI_SRC/corpus
F=$C/heapprof_exact_plain.pb # 2177 bytes

for v in 1k 1K 1kb 1KiB 1024B 2000; do
    HEAPPROF_MAX_INPUT=$v expect_rc 1 hp top "$F"
    expect_in "$W/err" "heapprof_exact_plain.pb: larger than [0-9]+ bytes" "HEAPPROF_MAX_INPUT=$v applied"
done
HEAPPROF_MAX_INPUT=3k expect_rc 0 hp top "$F"
[[ ! -s "$W/err" ]] || fail "HEAPPROF_MAX_INPUT=3k: $(cat "$W/err")"

not_size='is not a size \(a whole number of bytes, with an optional k, m or g suffix: 64k, 64KiB\)'
bad() { # VAR VALUE WHY DEFAULT: a warning line, then the profile read with the default
    local var=$1 value=$2 why=$3 def=$4
    env "$var=$value" "$HEAPPROF_CLI" top "$F" >"$W/out" 2>"$W/err" ||
        fail "$var='$value': exit $?: $(cat "$W/err")"
    [[ $(wc -l <"$W/err") -eq 1 ]] || fail "$var='$value': not one line: $(cat "$W/err")"
    expect_in "$W/err" "^heapprof top: $var=\"$(printf '%s' "$value" | sed 's/[][\.*^$+?(){}|]/\\&/g')\" $why; using the default, $def\$" \
        "the warning for $var='$value'"
    expect_in "$W/out" '^Total: ' "$var='$value': the profile read with the default"
}
for v in 10x 1t "1 k" -1 "" k 1kk 1ki 1iB 0x800 1e3; do
    bad HEAPPROF_MAX_INPUT "$v" "$not_size" 1g
done
bad HEAPPROF_MAX_INPUT 0 "must be above 0" 1g
bad HEAPPROF_MAX_INPUT 99999999999999g "is too large" 1g
bad HEAPPROF_MAX_DECODE 10x "$not_size" "32 times the decompressed size, at least 64m and at most 1g"
bad HEAPPROF_MAX_DECODE 0 "must be above 0" "32 times the decompressed size, at least 64m and at most 1g"

# Once per command, not once per profile.
HEAPPROF_MAX_INPUT=1t expect_rc 0 hp leaks "$F" "$F" "$F"
[[ $(grep -c HEAPPROF_MAX_INPUT "$W/err") -eq 1 ]] || fail "warned more than once: $(cat "$W/err")"
note "ok"

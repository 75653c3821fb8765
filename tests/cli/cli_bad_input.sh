#!/usr/bin/env bash
# Bad input gives a clear error naming the file and what is wrong, exit
# status 1, never a crash: every broken seed of the fuzz corpus, a truncated
# real profile, a missing file, a directory, an empty file, a gzip bomb
# past HEAPPROF_MAX_INPUT.  Input that is no profile at all (text, JSON,
# gzipped text or garbage, bytes protobuf-c happens to decode) is said to
# be what it is, in one line that says what heapprof reads.  Then every corpus file through every reader:
# status 0 or 1 and nothing else (a crash would be 128+).
source "$(dirname "$0")/cli_lib.sh"

C=$CLI_SRC/corpus

bad() { # FILE PATTERN
    expect_rc 1 hp top "$1"
    expect_in "$W/err" "^heapprof top: $1: $2" "the error for $(basename "$1")"
    [[ $(wc -l <"$W/err") == 1 ]] || fail "the error for $(basename "$1") is not one line: $(cat "$W/err")"
}
wants='; heapprof reads pprof profiles \(protobuf, gzipped or not\)$'

bad "$C/bad_empty.pb" "empty file"
bad "$C/bad_text.txt" "not a pprof profile: it is text$wants"
bad "$C/bad_protobuf.pb" "not a pprof profile: it is data that protobuf cannot decode \(corrupt, or another format\)$wants"
bad "$C/bad_legacy_text.heap" "a legacy text heap profile \(as \?debug=1 serves\); fetch it without \?debug=1, or convert it"
bad "$C/bad_truncated.gz" "truncated gzip data"
bad "$C/bad_corrupt.gz" "corrupt gzip data"
bad "$C/bad_no_sample_types.pb" "not a pprof profile: it has no sample types"
bad "$C/bad_first_string.pb" "not a pprof profile: its string table does not start with \"\""
bad "$C/bad_dangling_location.pb" "broken profile: sample 1 refers to location 9, which does not exist"
bad "$C/bad_dangling_function.pb" "broken profile: location 1 refers to function 9, which does not exist"
bad "$C/bad_dangling_mapping.pb" "broken profile: location 1 refers to mapping 5, which does not exist"
bad "$C/bad_string_index.pb" "broken profile: a function name refers to string 99, but the string table has 12 entries"
bad "$C/bad_duplicate_ids.pb" "broken profile: two locations have id 1"
bad "$C/bad_zero_id.pb" "broken profile: location #1 has id 0"
bad "$C/bad_value_count.pb" "broken profile: sample 1 has 3 values, but the profile has 2 sample types"
bad "$W/missing.pb.gz" "no such file"
bad "$C" "is a directory, not a profile"
: >"$W/empty.pb.gz"
bad "$W/empty.pb.gz" "empty file"
head -c 700 "$C/heapprof_exact.gz" >"$W/cut.pb.gz"
bad "$W/cut.pb.gz" "truncated gzip data"
# Not profiles at all.  "x\n" decodes as a message of one unknown varint
# field: it was "its string table does not start with \"\"".
echo x >"$W/x"
bad "$W/x" "not a pprof profile: it is text$wants"
echo '{"heap": []}' >"$W/heap.json"
bad "$W/heap.json" "not a pprof profile: it is JSON text$wants"
gzip -c "$W/x" >"$W/x.gz"
bad "$W/x.gz" "not a pprof profile: it is gzipped text$wants"
gzip -c "$C/bad_protobuf.pb" >"$W/garbage.gz"
bad "$W/garbage.gz" "not a pprof profile: it is gzipped data that protobuf cannot decode"
: | gzip -c >"$W/nothing.gz"
bad "$W/nothing.gz" "empty gzip data \(no profile in it\)"
printf '\x48\x01' >"$W/time_only.pb" # time_nanos = 1, nothing else
bad "$W/time_only.pb" "not a pprof profile: it is protobuf data with no profile in it \(no strings, no sample types\)$wants"
expect_rc 1 hp top - <"$W/x"
expect_in "$W/err" "^heapprof top: -: not a pprof profile: it is text$wants"
HEAPPROF_MAX_INPUT=1m expect_rc 1 hp top "$C/bad_bomb.gz"
expect_in "$W/err" "bad_bomb.gz: decompresses to more than 1048576 bytes; refusing it"
HEAPPROF_MAX_INPUT=1k expect_rc 1 hp top "$C/heapprof_exact_plain.pb"
expect_in "$W/err" "heapprof_exact_plain.pb: larger than 1024 bytes"
# An endless stream that cannot be a profile ends after its first 64 KiB,
# not at the 1 GiB bound (five seconds of /dev/zero); a small file of the
# same bytes gets the decoder's word.
bad /dev/zero "not a pprof profile: it starts with the byte 0x00, which neither gzip.*$wants"
head -c 1000 /dev/zero >"$W/zeros.pb"
bad "$W/zeros.pb" "not a pprof profile: it is data that protobuf cannot decode"

# Standard input read twice (a profile has no end marker: the first read
# takes all of it): said, not "-: empty file".
expect_rc 1 hp leaks - - <"$C/heapprof_exact.gz"
expect_in "$W/err" "^heapprof leaks: -: standard input was read already; give - for one profile only$"
expect_rc 1 hp flame --base - - -o "$W/stdin.svg" <"$C/heapprof_exact.gz"
expect_in "$W/err" "^heapprof flame: -: standard input was read already"

# The other readers report the same way.
expect_rc 1 hp leaks "$C/heapprof_exact.gz" "$C/bad_dangling_location.pb"
expect_in "$W/err" "^heapprof leaks: $C/bad_dangling_location.pb: broken profile"
expect_rc 1 hp timeline -o "$W/t.svg" "$C/bad_empty.pb"
expect_in "$W/err" "^heapprof timeline: $C/bad_empty.pb: empty file"
[[ ! -e "$W/t.svg" ]] || fail "timeline wrote an SVG despite a bad input"

# Every corpus file through every reader: 0 or 1, nothing else.
n=0
for f in "$C"/*; do
    for cmd in "top" "top --by stack" "leaks $C/tiny.pb" "timeline -o $W/any.svg"; do
        read -r -a words <<<"$cmd"
        run_rc rc hp "${words[@]}" "$f"
        case "$(basename "$f"):$rc" in
        bad_*:1 | tiny*:0 | go_*:0 | heapprof_*:0 | zfuzz_*:[01]) ;;
        *) fail "heapprof $cmd $f exited with $rc: $(head -c 1000 "$W/err")" ;;
        esac
        n=$((n + 1))
    done
done
note "$n reader runs over the corpus behaved"
note "ok"

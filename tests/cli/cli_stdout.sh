#!/usr/bin/env bash
# A report that cannot be written is an error: every command whose stdout
# fails (a full disk: /dev/full; a closed stdout) says so on stderr and
# exits 1 instead of 0 with its output lost, its help and --version too; a
# command that already failed keeps its own status.
source "$(dirname "$0")/cli_lib.sh"

[[ -c /dev/full ]] || skip "no /dev/full"
c=$CLI_SRC/corpus
aged=$c/tiny_aged.pb
exact=$c/heapprof_exact.gz

# full_rc WANT CMD...: CMD with stdout on /dev/full must exit WANT and name
# the write error on stderr.
full_rc() {
    local want=$1 got=0
    shift
    "$@" >/dev/full 2>"$W/err" || got=$?
    [[ "$got" == "$want" ]] ||
        fail "'$*' >/dev/full exited with $got, expected $want; stderr: $(head -c 2000 "$W/err")"
    expect_in "$W/err" "cannot write standard output: No space left on device" \
        "the write error of '$*'"
}

full_rc 1 hp top "$exact"
expect_in "$W/err" "^heapprof top: cannot write standard output"
full_rc 1 hp top --by stack "$exact"
full_rc 1 hp top --min-age 1s "$aged"
full_rc 1 hp ages "$aged"
full_rc 1 hp leaks "$exact" "$exact"
full_rc 1 hp leaks "$exact" "$exact" "$exact"
full_rc 1 hp timeline -o "$W/t.svg" "$exact" # the SVG is written; its path is not
[[ -s "$W/t.svg" ]] || fail "timeline wrote no $W/t.svg"
full_rc 1 hp --help
expect_in "$W/err" "^heapprof: cannot write standard output"
full_rc 1 hp --version
for cmd in run dump top leaks timeline ages; do
    full_rc 1 hp "$cmd" --help
    full_rc 1 hp help "$cmd"
done
# Output longer than stdio's buffer: a write that fails with the buffer
# empty (a long report, an SVG to -) left no errno by the final check, which
# said "write error"; and flame -o - said it twice, once for "-".
python3 "$CLI_SRC/craft_profiles.py" stacks "$W/wide.pb" 200 4 || fail "craft_profiles.py stacks failed"
expect_rc 0 hp top -n 1000 "$W/wide.pb"
(($(wc -c <"$W/out") > 8192)) || fail "top -n 1000 printed $(wc -c <"$W/out") bytes, expected more than 8192"
full_rc 1 hp top -n 1000 "$W/wide.pb"
full_rc 1 hp top -n 1000 --by stack "$W/wide.pb"
full_rc 1 hp flame -o - "$W/wide.pb"
[[ $(grep -c "cannot write" "$W/err") == 1 ]] || fail "flame -o - >/dev/full said more than one line: $(cat "$W/err")"
full_rc 1 hp flame --folded "$W/wide.pb"
[[ $(grep -c "cannot write" "$W/err") == 1 ]] || fail "flame --folded >/dev/full said more than one line: $(cat "$W/err")"
full_rc 1 hp flame -o - "$exact"
[[ $(grep -c "cannot write" "$W/err") == 1 ]] || fail "flame -o - >/dev/full said more than one line: $(cat "$W/err")"
full_rc 1 hp timeline -o - "$exact" "$exact"
[[ $(grep -c "cannot write" "$W/err") == 1 ]] || fail "timeline -o - >/dev/full said more than one line: $(cat "$W/err")"
# A reader that left, with SIGPIPE ignored: EPIPE, named.  The pipe's read
# end is closed before the command starts (python ignores SIGPIPE, and
# restore_signals=False keeps it ignored in the child).
got=$(python3 - "$HEAPPROF_CLI" "$W/wide.pb" 2>"$W/err" <<'EOF'
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
print(subprocess.run([sys.argv[1], "top", "-n", "1000", sys.argv[2]], stdout=w,
                     restore_signals=False).returncode)
EOF
)
[[ $got == 1 ]] || fail "top into a closed pipe (SIGPIPE ignored) exited with $got, expected 1"
expect_in "$W/err" "^heapprof top: cannot write standard output: Broken pipe$"

# A usage error keeps its status 2, and as it wrote nothing to stdout,
# nothing more is said.
got=0
"$HEAPPROF_CLI" top --bogus "$exact" >/dev/full 2>"$W/err" || got=$?
[[ $got == 2 ]] || fail "top --bogus >/dev/full exited with $got, expected 2"
expect_in "$W/err" "unknown option|unrecognized option|--bogus"
expect_not_in "$W/err" "cannot write standard output"

# A closed stdout: EBADF.
got=0
"$HEAPPROF_CLI" top "$exact" >&- 2>"$W/err" || got=$?
[[ $got == 1 ]] || fail "top with stdout closed exited with $got, expected 1"
expect_in "$W/err" "^heapprof top: cannot write standard output: Bad file descriptor"

# The same commands to a file still succeed and print the report.
expect_rc 0 hp top "$exact"
expect_in "$W/out" "^File: "
[[ ! -s "$W/err" ]] || fail "top wrote to stderr: $(head -c 2000 "$W/err")"

note "ok"

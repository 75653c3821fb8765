#!/usr/bin/env bash
# lifecycle_vanished_dir: the output directory is removed while the program
# runs.  The next profile fails with one line on stderr naming the path and
# the reason (strerror), the program runs on, and once the directory is back
# the next profile succeeds, taking the number the failed one did not use.
source "$(dirname "$0")/lib.sh"
need_env LC_FAIL

mkdir -p "$W/out"
start serve HEAPPROF_OUT="$W/out/p" -- "$LC_FAIL" serve "$W/ready" "$W/stop"
pid=$BGPID
wait_for_file "$W/ready"
kill -USR2 "$pid"
wait_for_file "$W/out/p.$pid.0001.pb.gz"

rm -rf "$W/out"
kill -USR2 "$pid"
want="heapprof[$pid]: cannot write profile $W/out/p.$pid.0002.pb.gz: No such file or directory"
wait_for_line "$W/serve.err" "cannot write profile"
sleep 0.2
lines=$(hp_count "$W/serve.err")
[[ $lines -eq 1 ]] || fail "expected one line on stderr for the failed profile, found $lines: $(cat "$W/serve.err")"
grep -qF -- "$want" "$W/serve.err" || fail "expected a line starting '$want', found: $(cat "$W/serve.err")"
kill -0 "$pid" 2>/dev/null || fail "the program died after the failed profile"

mkdir -p "$W/out"
kill -USR2 "$pid"
wait_for_file "$W/out/p.$pid.0002.pb.gz"
touch "$W/stop"
finish "$pid" 60
expect_rc serve 0
grep -qx served "$W/serve.out" || fail "the program did not run to its end: $(cat "$W/serve.out")"
lines=$(hp_count "$W/serve.err")
[[ $lines -eq 1 ]] || fail "expected no further profiler line after the directory came back, found: $(cat "$W/serve.err")"
# 0001 went with the old directory; the failed attempt took no number.
got=$(seqs_of "$W/out/p" "$pid" | tr '\n' ' ')
[[ $got == "2 3 " ]] || fail "expected 0002 (after the directory came back) and 0003 (exit) in the new directory, found: $got"
no_tmp_left "$W/out"
for k in 2 3; do
    f=$(printf '%s.%s.%04d.pb.gz' "$W/out/p" "$pid" "$k")
    decode "$f"
    if have_go; then
        want_r=signal
        [[ $k -eq 3 ]] && want_r="exit"
        [[ $(reason "$f.raw") == "$want_r" ]] || fail "$f: expected reason=$want_r, found $(reason "$f.raw")"
    fi
done
note "ok: $(cat "$W/serve.err")"

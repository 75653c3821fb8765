#!/usr/bin/env bash
# lifecycle_disk_full: the profile does not fit on the output file system (a
# 8 KiB tmpfs; SKIP when mounting is not permitted) and the program holds
# 2^13 distinct stacks, so its profiles are far larger than that.  Each
# attempt prints one line with "No space left on device"; no .tmp file and
# no file under a final name is left; the program runs on and exits 0.
source "$(dirname "$0")/lib.sh"
need_env LC_FAIL

mnt="$W/full"
mount_tmpfs "$mnt" 8k "the disk-full case"

start serve HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$mnt/p" -- "$LC_FAIL" serve "$W/ready" "$W/stop" 13
pid=$BGPID
wait_for_file "$W/ready"
kill -USR2 "$pid"
wait_for_line "$W/serve.err" "cannot write profile"
kill -USR2 "$pid"
wait_for_count "$W/serve.err" "cannot write profile" 2
touch "$W/stop"
finish "$pid" 60
expect_rc serve 0
grep -qx served "$W/serve.out" || fail "the program did not run to its end"
want="heapprof[$pid]: cannot write profile $mnt/p.$pid.0001.pb.gz: No space left on device"
grep -qF -- "$want" "$W/serve.err" || fail "expected lines starting '$want', found: $(cat "$W/serve.err")"
bad=$(grep -E "$HP_ANY" "$W/serve.err" | grep -vF -- "$want" || true)
[[ -z $bad ]] || fail "unexpected profiler lines: $bad"
lines=$(hp_count "$W/serve.err")
[[ $lines -eq 3 ]] || fail "expected one line per failed profile (2 signals, one after the other, and the exit profile: 3), found $lines"
left=$(ls -A "$mnt")
[[ -z $left ]] || fail "after failed profiles on a full disk, expected nothing on it, found: $left"
note "ok: $lines failed profiles, one line each, nothing left on disk"

#!/usr/bin/env bash
# lifecycle_readonly: the output directory is on a read-only file system
# (a tmpfs remounted read-only; SKIP when mounting is not permitted).  It is
# said at start; each profile fails with one line naming the path and
# "Read-only file system"; the program runs on; after the file system is
# made writable again the next profile succeeds as 0001.
source "$(dirname "$0")/lib.sh"
need_env LC_FAIL

mnt="$W/ro"
mount_tmpfs "$mnt" 1m "the read-only case"
if ! mount -o remount,ro "$mnt" 2>"$W/mount.err"; then
    skip "cannot remount the tmpfs read-only ($(head -n 1 "$W/mount.err"))"
fi
touch "$mnt/probe" 2>/dev/null && fail "test setup: $mnt is still writable after remount,ro"

start serve HEAPPROF_OUT="$mnt/p" -- "$LC_FAIL" serve "$W/ready" "$W/stop"
pid=$BGPID
wait_for_file "$W/ready"
kill -USR2 "$pid"
wait_for_line "$W/serve.err" "cannot write profile"
sleep 0.2
want="heapprof[$pid]: cannot write profile $mnt/p.$pid.0001.pb.gz: Read-only file system"
grep -qF -- "$want" "$W/serve.err" || fail "expected a line starting '$want', found: $(cat "$W/serve.err")"
lines=$(hp_count "$W/serve.err")
[[ $lines -eq 2 ]] || fail "expected two lines, the directory's at start and one for the failed profile, found $lines: $(cat "$W/serve.err")"
want="heapprof[$pid]: profiles cannot be written in $mnt (HEAPPROF_OUT): Read-only file system; "
[[ $(head -n 1 "$W/serve.err") == "$want"* ]] || fail "expected first a line starting '$want', found: $(cat "$W/serve.err")"
kill -0 "$pid" 2>/dev/null || fail "the program died after the failed profile"

mount -o remount,rw "$mnt" || fail "cannot remount $mnt read-write"
kill -USR2 "$pid"
wait_for_file "$mnt/p.$pid.0001.pb.gz"
touch "$W/stop"
finish "$pid" 60
expect_rc serve 0
grep -qx served "$W/serve.out" || fail "the program did not run to its end"
n=$(expect_contiguous "$mnt/p" "$pid")
[[ $n -eq 2 ]] || fail "expected 0001 (after remount rw) and 0002 (exit), found $n"
no_tmp_left "$mnt"
for f in $(profiles "$mnt/p"); do decode "$f"; done

# Read-only at exit: the exit profile fails the same way, the exit status is
# the program's.
mount -o remount,ro "$mnt" || fail "cannot remount $mnt read-only"
rm -f "$W/ready" "$W/stop"
start serve2 HEAPPROF_OUT="$mnt/q" -- "$LC_FAIL" serve "$W/ready" "$W/stop"
pid=$BGPID
wait_for_file "$W/ready"
touch "$W/stop"
finish "$pid" 60
expect_rc serve2 0
grep -qF -- "heapprof[$pid]: cannot write profile $mnt/q.$pid.0001.pb.gz: Read-only file system" "$W/serve2.err" ||
    fail "exit profile on a read-only file system: expected one 'cannot write profile ... Read-only file system' line, found: $(cat "$W/serve2.err")"
[[ -z $(profiles "$mnt/q") ]] || fail "a profile appeared on a read-only file system"
umount "$mnt" && UMOUNT_AT_EXIT=()
note "ok"

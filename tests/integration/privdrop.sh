#!/usr/bin/env bash
# integ_privdrop: a program that drops privileges the way setpriv(1) does
# (PR_SET_KEEPCAPS, setresuid, capset on the calling thread only, then
# setresgid) runs unchanged under the preload.  glibc applies set*id calls
# to every thread of the process and abort()s when they disagree, so a
# helper thread that the preloaded library started (and that lost its
# capabilities at setresuid) turns a correct single-threaded program into a
# crash.
source "$(dirname "$0")/lib.sh"
need_env PROG_PLAIN
[[ $(id -u) -eq 0 ]] || { note "skipped: needs root to drop privileges"; exit 0; }
command -v setpriv >/dev/null 2>&1 || fail "setpriv (util-linux) not found"

args=(setpriv --reuid=65534 --regid=65534 --clear-groups "$PROG_PLAIN")
run_plain base -- "${args[@]}"
[[ $RC -eq 7 ]] || fail "without the preload: expected exit status 7, got $RC: $(cat "$W/base.err")"
chmod 0777 "$W"
run pre HEAPPROF_OUT="$W/pd" -- "${args[@]}"
if [[ $RC -ne 7 ]]; then
    fail "with the preload, 'setpriv --reuid=65534 --regid=65534 --clear-groups prog' exits with $RC (134 = SIGABRT: glibc's setxid consistency abort) instead of 7; stderr: $(cat "$W/pre.err")"
fi
cmp -s "$W/base.out" "$W/pre.out" || fail "stdout differs with the preload"
p=$(newest_profile "$W/pd")
summarize "$p"
pprof_quick "$p"
note "ok"

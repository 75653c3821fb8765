#!/usr/bin/env bash
# lifecycle_host_lowfd_http: open() returns the lowest descriptor number
# free (POSIX), and programs count on it: a daemon closes stdin and opens
# /dev/null as its new fd 0.  The profiler's HTTP server made its listening
# socket and wake pipe at the lowest numbers (3, 4 and 5 for the life of the
# process), and each connection it accepted took one more, so the program's
# open() got 6 where it gets 3 without heapprof, and not 0 after closing
# stdin while a client was connected.  Its descriptors now live at 512 and
# above (fdid.h), as its other files do.
source "$(dirname "$0")/lib.sh"
need_env LC_HOST

run_plain plain -- "$LC_HOST" lowfd 0.5
expect_rc plain 0
run prof HEAPPROF_OUT="$W/p" HEAPPROF_HTTP=127.0.0.1:0 HEAPPROF_SIGNAL=off -- "$LC_HOST" lowfd 0.5
grep -q '^http=1 ' "$W/prof.out" || fail "the program found no HTTP server to connect to: $(cat "$W/prof.out" "$W/prof.err")"
want=$(sed -n 's/^first=//p' "$W/plain.out")
got=$(sed -n 's/^first=//p' "$W/prof.out")
[[ $got == "$want" ]] ||
    fail "the program's first open() got fd $got with heapprof's HTTP server on, fd $want without it"
expect_rc prof 0
note "ok: first open() fd $got as without heapprof; $(tail -n 1 "$W/prof.out")"

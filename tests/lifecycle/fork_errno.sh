#!/usr/bin/env bash
# lifecycle_fork_errno: a successful fork() leaves errno as the program set
# it, in the parent and in the child, whatever the fork handlers did: the
# child's handler reads the output directory to continue a sequence, and a
# missing directory left ENOENT in the child's errno.
source "$(dirname "$0")/lib.sh"
need_env LC_FORK

i=0
for vars in "HEAPPROF_OUT=/nonexistent/heapprof-test/p" "HEAPPROF_OUT=$W/p HEAPPROF_SAMPLE=1 HEAPPROF_PERIOD=0.05"; do
    i=$((i + 1))
    # shellcheck disable=SC2086
    run "r$i" $vars -- "$LC_FORK" errno
    expect_rc "r$i" 0
    for who in child parent; do
        grep -qx "$who errno 4242" "$W/r$i.out" || fail "$vars: expected '$who errno 4242' after fork(), found: $(grep "^$who" "$W/r$i.out")"
    done
done
note "ok: errno 4242 in parent and child, with a missing and a writable output directory"

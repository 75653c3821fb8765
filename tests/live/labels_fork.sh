#!/usr/bin/env bash
# live_labels_fork: a fork while another thread maps the label tables (the
# process's first heapprof_label_push, its mapping held 3 s by slowmap.so,
# preloaded first).  That thread does not exist in the child, which waited
# for it for ever, at 100 % CPU, in its own first push; now the child maps
# its tables anew, and its push returns 0 at once.
source "$(dirname "$0")/lib.sh"
need_env LIVE_SLOWMAP

HEAPPROF_LIB="$LIVE_SLOWMAP $HEAPPROF_LIB" run fl HEAPPROF_OUT="$W/fl" -- "$LIVE_PROG" forklabel
[[ $RC == 0 ]] || fail "live_prog forklabel exited $RC: $(cat "$W/fl.out" "$W/fl.err")"
grep -q '^child exited 0$' "$W/fl.out" || fail "the child: $(cat "$W/fl.out")"
note "a child forked during the first label push pushes its own labels"

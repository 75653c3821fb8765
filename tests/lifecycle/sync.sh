#!/usr/bin/env bash
# lifecycle_sync: HEAPPROF_SYNC.  By default each profile is flushed to the
# disk (fdatasync) before its rename to the final name; HEAPPROF_SYNC=0
# leaves the flush out (a build profiled as a whole pays it per process,
# 7.5 ms of wall time here) and the profile is still whole under its final
# name.  holdsync.c, listed first, sees the flush: the first fdatasync of a
# process makes HOLDSYNC_FILE.held (HOLDSYNC_FILE exists already, so it
# does not wait).
source "$(dirname "$0")/lib.sh"
need_env LC_HOLDSYNC
HEAPPROF_LIB="$LC_HOLDSYNC $HEAPPROF_LIB"
: >"$W/go"

# check NAME EXPECT [VAR=VALUE...]: /bin/true's exit profile under
# $W/NAME/p; EXPECT: synced or not.
check() {
    local name=$1 expect=$2; shift 2
    rm -f "$W/go.held"
    mkdir "$W/$name"
    run "$name" HOLDSYNC_FILE="$W/go" HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/$name/p" "$@" -- /bin/true
    expect_rc "$name" 0
    gz_ok "$(newest_profile "$W/$name/p")"
    no_tmp_left "$W/$name"
    if [[ $expect == synced ]]; then
        [[ -e $W/go.held ]] || fail "$name ($*): the profile was not flushed (no fdatasync) before its rename"
    else
        [[ ! -e $W/go.held ]] || fail "$name ($*): HEAPPROF_SYNC=0, and the profile was flushed all the same"
    fi
}

check default synced
check on synced HEAPPROF_SYNC=1
check off not HEAPPROF_SYNC=0
no_heapprof_lines off
check bad synced HEAPPROF_SYNC=maybe
grep -q 'HEAPPROF_SYNC' "$W/bad.err" || fail "HEAPPROF_SYNC=maybe: no line on stderr: $(cat "$W/bad.err")"
note "ok: profiles flushed by default and with HEAPPROF_SYNC=1, not with 0, whole under their names in each case"

#!/usr/bin/env bash
# integ_unwritable: an output path that cannot be written prints one clear
# line with the path and the errno text; the program's stdout and exit
# status are unchanged; no PATH.tmp is left behind; and a failed attempt
# does not use up a sequence number (the next profile tries again).  A
# directory that is missing, not a directory or not writable is said at
# start too, in one line naming it, before the program runs.
source "$(dirname "$0")/lib.sh"
need_env PROG_PLAIN PROG_TRIGGER

run_plain base -- "$PROG_PLAIN"
base_rc=$RC

# check_unwritable NAME PREFIX ERRNO_REGEX START: the run NAME (already done)
# with HEAPPROF_OUT=PREFIX failed to write its exit profile.  START: yes when
# the directory's line comes first, at start; no when it must not (the
# directory takes files: the write failed later); maybe when either.
check_unwritable() {
    local name=$1 prefix=$2 errre=$3 start=$4
    [[ $RC -eq $base_rc ]] || fail "HEAPPROF_OUT=$prefix: exit status $RC, expected $base_rc as without the preload"
    cmp -s "$W/base.out" "$W/$name.out" || fail "HEAPPROF_OUT=$prefix: stdout differs from the run without the preload:
$(diff "$W/base.out" "$W/$name.out")"
    local n line lines first dir want=1
    lines=$(hp_lines "$W/$name.err")
    first=$(head -n 1 <<<"$lines")
    dir=${prefix%/*}
    if [[ $start == yes || ($start == maybe && $first == *"profiles cannot be written in"*) ]]; then
        want=2
        [[ $first =~ ^heapprof\[[0-9]+\]:\ profiles\ cannot\ be\ written\ in\ (.*)\ \(HEAPPROF_OUT\):\ (.*)\;\ each\ profile\ will\ try\ again ]] ||
            fail "HEAPPROF_OUT=$prefix: expected first the directory's line at start, found: $lines"
        [[ ${BASH_REMATCH[1]} == "$dir" ]] || fail "HEAPPROF_OUT=$prefix: the start line names ${BASH_REMATCH[1]}, not $dir: $first"
        grep -qE "^($errre)\$" <<<"${BASH_REMATCH[2]}" || fail "HEAPPROF_OUT=$prefix: expected the error /$errre/ in the start line: $first"
    fi
    n=$(hp_count "$W/$name.err")
    [[ $n -eq $want ]] || fail "HEAPPROF_OUT=$prefix: expected exactly $want 'heapprof[PID]:' lines, found $n:
$(cat "$W/$name.err")"
    line=$(tail -n 1 <<<"$lines")
    # The whole file name, as it was attempted.
    local re
    re=$(printf '%s' "$prefix" | sed 's/[][\.*^$/]/\\&/g')
    grep -qE "$re\.[0-9]+\.0001\.pb\.gz" <<<"$line" ||
        fail "HEAPPROF_OUT=$prefix: the message does not name the file $prefix.<pid>.0001.pb.gz: $line"
    grep -qE "$errre" <<<"$line" || fail "HEAPPROF_OUT=$prefix: expected the error text /$errre/ in: $line"
    # It was the exit profile: no next one will try again (the line said so).
    grep -qF "(no profile at exit; the program ends as it would)" <<<"$line" ||
        fail "HEAPPROF_OUT=$prefix: the exit profile's line does not say that it was the last: $line"
    not_hp "$W/$name.err" | cmp -s - "$W/base.err" ||
        fail "HEAPPROF_OUT=$prefix: the program's own stderr changed"
    echo "  ok: $line"
}

# 1. A directory that does not exist.
run noent HEAPPROF_OUT=/nonexistent/dir/x -- "$PROG_PLAIN"
check_unwritable noent /nonexistent/dir/x 'No such file or directory' yes

# 2. A path below a regular file.
: >"$W/afile"
run notdir HEAPPROF_OUT="$W/afile/x" -- "$PROG_PLAIN"
check_unwritable notdir "$W/afile/x" 'Not a directory' yes

# 3. A file system that does not take new files (sysfs: EACCES even for
#    root, or EROFS where /sys is mounted read-only).
if [[ -d /sys/kernel ]]; then
    run sysfs HEAPPROF_OUT=/sys/heapprof-test -- "$PROG_PLAIN"
    check_unwritable sysfs /sys/heapprof-test 'Permission denied|Read-only file system|Operation not permitted' maybe
else
    note "no /sys: that case skipped"
fi

# 4. A read-only directory.  Root ignores permission bits, so when running
#    as root the program runs as nobody (setpriv, itself not preloaded: it
#    execs env, which sets LD_PRELOAD for the program only).
ro=$(mktemp -d /tmp/heapprof-ro.XXXXXX)
RM_AT_EXIT+=("$ro")
chmod 0555 "$ro"
as_user=()
if [[ $(id -u) -eq 0 ]]; then
    if command -v setpriv >/dev/null 2>&1; then
        as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    else
        note "running as root without setpriv: the read-only directory case is skipped"
    fi
fi
if [[ $(id -u) -ne 0 || ${#as_user[@]} -gt 0 ]]; then
    run_plain robase -- "${as_user[@]}" "$PROG_PLAIN"
    cmp -s "$W/robase.out" "$W/base.out" || fail "the plain program cannot run as nobody: $(cat "$W/robase.err")"
    run_plain rodir -- "${as_user[@]}" env HEAPPROF_OUT="$ro/x" LD_PRELOAD="$HEAPPROF_LIB" "$PROG_PLAIN"
    check_unwritable rodir "$ro/x" 'Permission denied' yes
    [[ -z $(ls -A "$ro") ]] || fail "files left in the read-only directory: $(ls -A "$ro")"
fi
rmdir "$ro"

# 5. A write that fails midway (file size limit: EFBIG once the limit is
#    reached; SIGXFSZ ignored so the write returns the error).  The .tmp
#    file was created and must be removed.  Output goes through pipes, which
#    the limit does not affect.
mkdir "$W/fsz"
set +e
{ bash -c 'trap "" XFSZ; ulimit -f 1; exec "$@"' _ env HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/fsz/x" \
    LD_PRELOAD="$HEAPPROF_LIB" "$PROG_PLAIN" 2>&1 1>&3 3>&- | cat >"$W/fsz.err"; echo "${PIPESTATUS[0]}" >"$W/fsz.rc"; } 3>&1 | cat >"$W/fsz.out"
set -e
RC=$(cat "$W/fsz.rc")
check_unwritable fsz "$W/fsz/x" 'File too large' no
[[ -z $(ls -A "$W/fsz") ]] || fail "files left behind after a failed write: $(ls -A "$W/fsz")"

# 6. The next profile tries again, with the same sequence number: the
#    directory is missing when the first signal arrives, then created.
run_bg later HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/later/x" -- "$PROG_TRIGGER" wait 1
bgpid=$BGPID
wait_for_line "$W/later.out" '^ready$' 30 "$bgpid"
kill -USR2 "$bgpid"
# The 'cannot write profile' message after SIGUSR2 to a missing directory.
wait_for_line "$W/later.err" "^heapprof\\[$bgpid\\]: cannot write profile" 30 "$bgpid"
grep -q "$W/later/x\.$bgpid\.0001\.pb\.gz: No such file or directory (the program continues; the next profile will try again)$" "$W/later.err" ||
    fail "unexpected message: $(cat "$W/later.err")"
mkdir "$W/later"
kill -USR2 "$bgpid"
finish "$bgpid"
expect_rc later 0
[[ $(hp_count "$W/later.err") -eq 2 ]] || fail "expected two lines only, the directory's at start and the signal's failure: $(cat "$W/later.err")"
grep -q "^heapprof\[$bgpid\]: profiles cannot be written in $W/later (HEAPPROF_OUT): No such file or directory; " "$W/later.err" ||
    fail "the missing directory was not said at start: $(cat "$W/later.err")"
got=$(profiles "$W/later/x" | xargs -n1 basename | tr '\n' ' ')
[[ $got == "x.$bgpid.0001.pb.gz x.$bgpid.0002.pb.gz " ]] ||
    fail "after a failed attempt the next profiles should be 0001 (signal) and 0002 (exit), found: $got"
summarize "$W/later/x.$bgpid.0002.pb.gz"
compare_expect "$W/later.out" "$W/later/x.$bgpid.0002.pb.gz.sum"
no_tmp_left "$W/later"
pprof_quick "$W/later/x.$bgpid.0001.pb.gz"
pprof_quick "$W/later/x.$bgpid.0002.pb.gz"
note "ok"

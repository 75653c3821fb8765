#!/usr/bin/env bash
# lifecycle_killed_write: a profiled process SIGKILLed while it writes a
# large profile (the OOM killer, a crash) leaves no file at all in the
# output directory: the profile is written to a file without a name
# (O_TMPFILE), which the kernel frees with the process, and named only once
# complete.  It left PATH.<pid>.<ns>.tmp, megabytes for a large heap, until
# a later process with the same prefix started.  holdsync.c, listed first,
# holds the writer in the profile's fdatasync, after the last byte and
# before the name, until the test has killed the process.
#  1. Where unnamed files work: nothing left behind.
#  2. linkat by descriptor refused (no CAP_DAC_READ_SEARCH): the link goes
#     through /proc/thread-self/fd; still nothing left, and profiles complete.
#  3. A file system without O_TMPFILE (NFS, vfat; tmpfileshim.c): the named
#     temporary file as before (a kill leaves it, for a later start's sweep);
#     profiles complete, and only the first asks for an unnamed file (each
#     asked again, to be refused again).
#  4. Unnamed files that can never be linked (no capability, no /proc): the
#     first profile is copied to a named file, not lost, and later ones are
#     written to named files without trying O_TMPFILE again.
source "$(dirname "$0")/lib.sh"
need_env LC_FAIL LC_HOLDSYNC LC_TMPFILESHIM
lib=$HEAPPROF_LIB
BITS=13 # 8192 live stacks: a profile of some 28 KiB gzipped

# kill_mid_write NAME [VAR=VALUE...]: `fail serve` under holdsync writes a
# SIGUSR2 profile to $W/NAME/p and is SIGKILLed in its fdatasync.  Sets
# HELD to what the writer's descriptor showed then ("NAME SIZE").
kill_mid_write() {
    local name=$1 fd t
    shift
    mkdir -p "$W/$name"
    HEAPPROF_LIB="$LC_TMPFILESHIM $LC_HOLDSYNC $lib" start "$name" "$@" HEAPPROF_SAMPLE=1 \
        HOLDSYNC_FILE="$W/$name.go" HEAPPROF_OUT="$W/$name/p" -- "$LC_FAIL" serve "$W/$name.ready" "$W/$name.stop" $BITS
    wait_for_file "$W/$name.ready"
    kill -USR2 "$BGPID"
    wait_for_file "$W/$name.go.held"
    HELD=
    for fd in /proc/$BGPID/task/*/fd/*; do # the writer's thread has a table of its own
        t=$(readlink "$fd" 2>/dev/null) || continue
        [[ $t == "$(realpath "$W/$name")/"* ]] && HELD="${t##*/} $(stat -L -c %s "$fd")"
    done
    kill -KILL "$BGPID"
    finish "$BGPID"
    [[ $RC -eq 137 ]] || fail "$name: expected the process killed by SIGKILL (137), got $RC: $(cat "$W/$name.err")"
    [[ -n $HELD ]] || fail "$name: no descriptor of the process was open in $W/$name while its writer was held in fdatasync"
    ((${HELD##* } > 16384)) || fail "$name: the profile held was $HELD bytes, expected a whole one of 2^$BITS stacks"
}

# serve_two NAME [VAR=VALUE...]: `fail serve` writes a SIGUSR2 profile
# (0001) and its exit profile (0002) to $W/NAME/p; both complete.
serve_two() {
    local name=$1 pid f
    shift
    mkdir -p "$W/$name"
    HEAPPROF_LIB="$LC_TMPFILESHIM $lib" start "$name" "$@" HEAPPROF_SAMPLE=1 \
        HEAPPROF_OUT="$W/$name/p" -- "$LC_FAIL" serve "$W/$name.ready" "$W/$name.stop" $BITS
    pid=$BGPID
    wait_for_file "$W/$name.ready"
    kill -USR2 "$pid"
    wait_for_seq "$W/$name/p" "$pid" 1
    touch "$W/$name.stop"
    finish "$pid"
    expect_rc "$name" 0
    no_heapprof_lines "$name"
    [[ $(expect_contiguous "$W/$name/p" "$pid") -eq 2 ]] ||
        fail "$name: expected profiles 0001 and 0002, found: $(ls "$W/$name")"
    for f in $(profiles "$W/$name/p" "$pid"); do
        decode "$f"
        if have_go; then
            [[ $(leaf "$f.raw" ms_leaf | awk '{print $3}') -eq $((1 << BITS)) ]] ||
                fail "$name: $f: expected the $((1 << BITS)) live objects of ms_leaf, found $(leaf "$f.raw" ms_leaf)"
        fi
    done
    no_tmp_left "$W/$name"
}

# ---- 1 ------------------------------------------------------------------------
kill_mid_write k1
left=$(ls -A "$W/k1")
[[ -z $left ]] || fail "1: a process killed while writing a profile (held: $HELD bytes) left in its output directory: $left"
note "1: killed while writing a profile of ${HELD##* } bytes (open as ${HELD% *}): nothing left behind"

# ---- 2 ------------------------------------------------------------------------
kill_mid_write k2 TMPFILE_SHIM=noempty
left=$(ls -A "$W/k2")
[[ -z $left ]] || fail "2: without linkat by descriptor, a killed writer left: $left"
serve_two s2 TMPFILE_SHIM=noempty TMPFILE_SHIM_LOG="$W/s2.log"
grep -qx 'linkat proc OK' "$W/s2.log" || fail "2: the profiles were not linked through /proc: $(sort "$W/s2.log" | uniq -c)"
note "2: linked through /proc/thread-self/fd ($(grep -c 'linkat proc OK' "$W/s2.log") times); a kill left nothing"

# ---- 3 ------------------------------------------------------------------------
kill_mid_write k3 TMPFILE_SHIM=notmpfile
left=$(find "$W/k3" -name '*.tmp')
[[ -n $left ]] || fail "3: without O_TMPFILE, the named temporary file should be what a kill leaves, found: $(ls -A "$W/k3")"
serve_two s3 TMPFILE_SHIM=notmpfile TMPFILE_SHIM_LOG="$W/s3.log"
[[ $(grep -c '^tmpfile .* refused$' "$W/s3.log") -eq 1 ]] ||
    fail "3: O_TMPFILE should be tried for the first profile only, the refusal remembered: $(sort "$W/s3.log" | uniq -c)"
! grep -q '^linkat' "$W/s3.log" || fail "3: linkat without an unnamed file: $(cat "$W/s3.log")"
note "3: without O_TMPFILE: named temporary files (a kill leaves one, as before); O_TMPFILE asked once"

# ---- 4 ------------------------------------------------------------------------
serve_two s4 TMPFILE_SHIM=nolink TMPFILE_SHIM_LOG="$W/s4.log"
[[ $(grep -c '^tmpfile ' "$W/s4.log") -eq 1 ]] ||
    fail "4: an unnamed file that could not be linked was tried again: $(sort "$W/s4.log" | uniq -c)"
grep -qx 'linkat proc failed' "$W/s4.log" || fail "4: the link through /proc was not tried: $(cat "$W/s4.log")"
note "4: the unlinkable unnamed profile copied to a named file; O_TMPFILE tried once"
note "ok"

#!/usr/bin/env bash
# lifecycle_host_tree_lines: a process tree says a thing once.  A profiled
# program's children inherit its environment, stderr and heapprof; each
# of them printed the lines about bad settings its parent had printed (one
# per compiler of a build run with a misspelled variable; HEAPPROF_HTTP's,
# checked by the HTTP server rather than with the others, still was).  A child stays
# silent about them only when its parent, with the same HEAPPROF_*
# entries, said them to the file that is the child's stderr:
#  same:   parent and exec'd child alike: the parent's lines, no more;
#  version: the parent's mark carries this heapprof's build (ID); a mark
#          without it (another heapprof's, whose rules may differ) spares
#          the child nothing, one with it spares it all;
#  stderr: the child's stderr is another file: it says them there;
#  env:    the child's HEAPPROF_* entries differ: it says its own;
#  redirset: the parent moved its stderr: the child says them there;
#  many:   more lines than the rate limit passes: all said, by the parent;
#  dir:    a missing output directory, said at start, and the profiles
#          that then fail, said by the parent only (or by a child with
#          another stderr or another directory); said anew once a profile
#          was written there; a signal's failure said always; a directory
#          named by a code that cannot be made, one line; nothing where no
#          profile goes there unasked.
source "$(dirname "$0")/lib.sh"
need_env LC_EXEC LC_EXECCHILD LC_FORK LC_CTORDUMP LC_MARKS LC_VERSION

bad=(HEAPPROF_SAMPEL=1 HEAPPROF_DEPTH=0 HEAPPROF_HTTP=nonsense)
line1="HEAPPROF_DEPTH=\"0\" is out of range (allowed 1 to 256); using the default 64"
line2="HEAPPROF_SAMPEL is not a heapprof setting and is ignored; did you mean HEAPPROF_SAMPLE?"
# Checked by the HTTP server as it starts, after the others: said once too.
line3="HEAPPROF_HTTP=\"nonsense\" is not understood (expected HOST:PORT, [IPv6]:PORT or :PORT, with a numeric HOST or localhost); the HTTP server is off"

# count NAME: the heapprof lines of NAME.err.
count() { hp_count "$W/$1.err"; }
# wait_usr2_handler PID PROGRAM: until PID runs PROGRAM (its exe's file
# name) and heapprof's constructor there installed its SIGUSR2 handler
# (SigCgt has signal 12), at most 30 s.  The program first: before its
# exec, PID is this script's fork child, which catches SIGUSR2 as bash does
# once it has an EXIT trap, and a signal sent on that sight killed the
# program before heapprof's handler went in.
wait_usr2_handler() {
    local i cgt
    for ((i = 0; i < 600; i++)); do
        if [[ $(readlink "/proc/$1/exe" 2>/dev/null) == */"$2" ]]; then
            cgt=$(awk '$1 == "SigCgt:" {print $2}' "/proc/$1/status" 2>/dev/null || true)
            [[ -n $cgt ]] && (((16#$cgt >> 11) & 1)) && return 0
        fi
        sleep 0.05
    done
    fail "process $1 did not run $2 with a SIGUSR2 handler within 30 s"
}
# line_pids NAME: the pid of each heapprof line of NAME.err.
line_pids() { hp_lines "$W/$1.err" | sed -E 's/^heapprof\[([0-9]+)\].*/\1/'; }

run same "${bad[@]}" HEAPPROF_OUT="$W/same" -- "$LC_EXEC" forkexec "$LC_EXECCHILD"
expect_rc same 0
[[ $(pids_of "$W/same" | wc -l) -eq 2 ]] || fail "same: expected exit profiles of parent and child: $(profiles "$W/same")"
[[ $(count same) -eq 3 ]] || fail "same: expected the parent's 3 lines only, found: $(cat "$W/same.err")"
for line in "$line1" "$line2" "$line3"; do
    grep -qxF -- "$line" <(hp_msgs "$W/same.err") || fail "same: expected '$line', found: $(cat "$W/same.err")"
done

# The mark a profiled process leaves names this heapprof's build: the
# first 4 bytes of its GNU build ID, or its version where it has none (as
# the maps of the parent show it to its child); a parent holding a mark
# without it (another heapprof's, or this one's before marks had one)
# silenced the child's lines: the child says them.  Under marks nomemfd
# both are named anonymous pages.
TAG=$(readelf -n "$HEAPPROF_LIB" 2>/dev/null | sed -n 's/^ *Build ID: \([0-9a-f]\{8\}\).*/\1/p')
TAG=${TAG:-$LC_VERSION}
run version "${bad[@]}" HEAPPROF_OUT="$W/ve" -- bash -c \
    'grep -oE "(/memfd:|\[anon:)heapprof-settings-[^] ]*" /proc/$$/maps; true'
expect_rc version 0
[[ $(count version) -eq 3 ]] || fail "version: expected bash's 3 lines, found: $(cat "$W/version.err")"
grep -qE "^(/memfd:|\[anon:)heapprof-settings-${TAG//./\\.}-[0-9a-f]+-[0-9a-f]+$" "$W/version.out" ||
    fail "version: expected a mark heapprof-settings-$TAG-DEV-INODE in the maps, found: $(cat "$W/version.out")"
run_plain othermark "${bad[@]}" HEAPPROF_OUT="$W/om" -- \
    "$LC_MARKS" hold heapprof-settings env LD_PRELOAD="$HEAPPROF_LIB" "$LC_EXECCHILD"
expect_rc othermark 0
[[ $(count othermark) -eq 3 ]] ||
    fail "othermark: a mark without the build should spare the child nothing, found: $(cat "$W/othermark.err")"
run_plain ownmark "${bad[@]}" HEAPPROF_OUT="$W/wm" -- \
    "$LC_MARKS" hold "heapprof-settings-$TAG" env LD_PRELOAD="$HEAPPROF_LIB" "$LC_EXECCHILD"
expect_rc ownmark 0
[[ $(count ownmark) -eq 0 ]] ||
    fail "ownmark: a mark with this build should spare the child its lines, found: $(cat "$W/ownmark.err")"

cat >"$W/other_stderr.sh" <<EOS
#!/bin/sh
exec "$LC_EXECCHILD" 2>"$W/child.err"
EOS
chmod +x "$W/other_stderr.sh"
run stderr "${bad[@]}" HEAPPROF_OUT="$W/st" -- "$LC_EXEC" forkexec "$W/other_stderr.sh"
expect_rc stderr 0
[[ $(count stderr) -eq 3 ]] || fail "stderr: expected the parent's 3 lines, found: $(cat "$W/stderr.err")"
[[ $(count child) -eq 3 ]] || fail "stderr: the child on another stderr should say all 3 lines there, found: $(cat "$W/child.err")"

cat >"$W/other_env.sh" <<EOS
#!/bin/sh
exec env HEAPPROF_SAMPEL=2 "$LC_EXECCHILD"
EOS
chmod +x "$W/other_env.sh"
run env "${bad[@]}" HEAPPROF_OUT="$W/en" -- "$LC_EXEC" forkexec "$W/other_env.sh"
expect_rc env 0
[[ $(count env) -eq 6 ]] || fail "env: expected the parent's 3 lines and the child's own 3, found: $(cat "$W/env.err")"
# The file told is the one the lines went to, not the parent's stderr now:
# a parent that moved its stderr before starting the child told the
# child's file nothing, and the child says its lines there (compared with
# the parent's stderr of now, it said nothing).
run redirset "${bad[@]}" HEAPPROF_OUT="$W/rs" -- \
    bash -c 'exec 2>"$1"; "$2"; true' _ "$W/redirset_child.err" "$LC_EXECCHILD"
expect_rc redirset 0
[[ $(count redirset) -eq 3 ]] || fail "redirset: expected the parent's 3 lines, found: $(cat "$W/redirset.err")"
[[ $(count redirset_child) -eq 3 ]] ||
    fail "redirset: the child on the file the parent moved its stderr to should say all 3 lines there, found: $(cat "$W/redirset_child.err")"
# More settings' lines than the rate limit lets through (10 at once): all
# said, by the parent only.  Held back by the bucket, the rest were said by
# nobody (each child met the same bucket), and a child of a parent whose
# line was held back repeated all of them.
many=(HEAPPROF_SAMPLE=x HEAPPROF_DEPTH=x HEAPPROF_SEED=x HEAPPROF_KEEP=x HEAPPROF_PERIOD=x
      HEAPPROF_SYNC=x HEAPPROF_A1=1 HEAPPROF_A2=1 HEAPPROF_A3=1 HEAPPROF_A4=1 HEAPPROF_A5=1
      HEAPPROF_HTTP=nonsense)
run many "${many[@]}" HEAPPROF_OUT="$W/ma" -- bash -c '/bin/true; /bin/true; true'
expect_rc many 0
[[ $(count many) -eq 12 && $(line_pids many | sort -u | wc -l) -eq 1 ]] &&
    ! grep -q suppressed "$W/many.err" ||
    fail "many: expected the parent's 12 lines, all of them and no more, found: $(cat "$W/many.err")"
# HEAPPROF_LIMIT_DUMP without a known limit: its line is the cgroup's, and
# a child that looks in the same cgroup (the same HEAPPROF_CGROUP, or the
# same membership) says it no more than the other settings' lines; every
# child repeated it.
nolimit="HEAPPROF_CGROUP=\"$W/missing\" cannot be read (No such file or directory): the cgroup's memory figures are unknown; HEAPPROF_LIMIT_DUMP=80 but no memory limit is known (HEAPPROF_LIMIT_BYTES is 0): no limit profiles until one is set"
run limit HEAPPROF_LIMIT_DUMP=80 HEAPPROF_CGROUP="$W/missing" HEAPPROF_OUT="$W/li" -- \
    "$LC_EXEC" forkexec "$LC_EXECCHILD"
expect_rc limit 0
[[ $(count limit) -eq 1 ]] && grep -qxF -- "$nolimit" <(hp_msgs "$W/limit.err") ||
    fail "limit: expected the parent's line only, found: $(cat "$W/limit.err")"
# The process's own cgroup: where no limit is known here, the parent's
# line only (where one is, none).
run limitauto HEAPPROF_LIMIT_DUMP=80 HEAPPROF_OUT="$W/la" -- "$LC_EXEC" forkexec "$LC_EXECCHILD"
expect_rc limitauto 0
[[ $(count limitauto) -le 1 ]] ||
    fail "limitauto: expected the parent's line at most, found: $(cat "$W/limitauto.err")"

# A parent of another cgroup (or none readable: here pid 1 of a pid
# namespace, as under a container's init) leaves its child to say the line
# as its own; the child's children, in its cgroup, say it no more.
if [[ $(id -u) -eq 0 ]] && unshare --pid --fork --mount-proc true 2>/dev/null; then
    run_plain limitns -- unshare --pid --fork --mount-proc sh -c \
        'HEAPPROF_LIMIT_DUMP=80 HEAPPROF_OUT="$1/ln" LD_PRELOAD="$2" bash -c "/bin/true; /bin/true; true"; true' \
        _ "$W" "$HEAPPROF_LIB"
    expect_rc limitns 0
    if [[ $(count limitns) -eq 0 ]]; then
        note "a memory limit is known here: the limit line under a parent of no cgroup is not checked"
    elif [[ $(count limitns) -ne 1 || $(hp_msgs "$W/limitns.err") != "HEAPPROF_LIMIT_DUMP=80 but no memory limit is known"* ]]; then
        fail "limitns: expected bash's line only, found: $(cat "$W/limitns.err")"
    fi
else
    note "not root, or no pid namespaces: the limit line under a parent of no cgroup is not checked"
fi

# An output directory that is missing: said at start, once per tree (a
# mark, parent.h), and the children's profiles that fail alike are not
# said either: the parent's line at start and its exit profile's, no more.
# Each of them printed "cannot write profile" at its exit before.
dirline="profiles cannot be written in $W/nodir (HEAPPROF_OUT): No such file or directory; "
run dir HEAPPROF_OUT="$W/nodir/p" -- "$LC_EXEC" forkexec "$LC_EXECCHILD"
expect_rc dir 0
msgs=$(hp_msgs "$W/dir.err")
[[ $(count dir) -eq 2 && $(head -n 1 <<<"$msgs") == "$dirline"* &&
    $(tail -n 1 <<<"$msgs") == "cannot write profile $W/nodir/p.$(line_pids dir | head -n 1).0001.pb.gz: "* ]] ||
    fail "dir: expected the parent's line at start and its exit profile's, found: $(cat "$W/dir.err")"
[[ $(line_pids dir | sort -u | wc -l) -eq 1 ]] || fail "dir: the child said something: $(cat "$W/dir.err")"
# A child on another stderr says both there; one whose directory is
# another says its own.
run dirstderr HEAPPROF_OUT="$W/nodir/p" -- "$LC_EXEC" forkexec "$W/other_stderr.sh"
expect_rc dirstderr 0
[[ $(count dirstderr) -eq 2 ]] || fail "dirstderr: expected the parent's 2 lines, found: $(cat "$W/dirstderr.err")"
[[ $(count child) -eq 2 && $(hp_msgs "$W/child.err" | head -n 1) == "$dirline"* ]] ||
    fail "dirstderr: the child on another stderr should say the directory and its exit profile there, found: $(cat "$W/child.err")"
cat >"$W/other_dir.sh" <<EOS
#!/bin/sh
exec env HEAPPROF_OUT="$W/nodir2/p" "$LC_EXECCHILD"
EOS
chmod +x "$W/other_dir.sh"
run otherdir HEAPPROF_OUT="$W/nodir/p" -- "$LC_EXEC" forkexec "$W/other_dir.sh"
expect_rc otherdir 0
[[ $(count otherdir) -eq 4 ]] &&
    grep -qF -- "profiles cannot be written in $W/nodir2 (HEAPPROF_OUT)" <(hp_msgs "$W/otherdir.err") ||
    fail "otherdir: expected the parent's 2 lines and the child's own 2, found: $(cat "$W/otherdir.err")"
# The stderr told is the file the line went to, not the parent's stderr
# now: a parent that redirects its own stderr before it starts the child
# told the child's file nothing, and the child says both there (with the
# parent's stderr of now compared, it said nothing, its profile lost in
# silence).
run redir HEAPPROF_OUT="$W/nodir/p" -- bash -c 'exec 2>"$1"; "$2"; true' _ "$W/redir_child.err" "$LC_EXECCHILD"
expect_rc redir 0
[[ $(count redir) -eq 1 && $(hp_msgs "$W/redir.err") == "$dirline"* ]] ||
    fail "redir: expected the parent's line at start only, found: $(cat "$W/redir.err")"
[[ $(count redir_child) -eq 2 && $(hp_msgs "$W/redir_child.err" | head -n 1) == "$dirline"* ]] ||
    fail "redir: the child on the file the parent moved its stderr to should say the directory and its exit profile, found: $(cat "$W/redir_child.err")"
# A profile written there unsays it: the directory made, a profile written,
# the directory removed again, the child started after that says it anew.
run again HEAPPROF_OUT="$W/again/p" -- bash -c '
    mkdir "$1"; kill -USR2 $$
    # the profile, then the mark dropped after it, by the writer thread
    for ((i = 0; i < 600; i++)); do [[ -e $1/p.$$.0001.pb.gz ]] && break; sleep 0.05; done
    for ((i = 0; i < 600; i++)); do grep -q heapprof-outdir /proc/$$/maps || break; sleep 0.05; done
    rm -rf "$1"; "$2"; true' _ "$W/again" "$LC_EXECCHILD"
expect_rc again 0
again_child=$(awk '$1 == "child" && $2 == "pid" {print $3}' "$W/again.out")
[[ -n $again_child ]] || fail "again: the child did not run: $(cat "$W/again.out")"
grep -qF -- "heapprof[$again_child]: profiles cannot be written in $W/again (HEAPPROF_OUT): No such file or directory; " "$W/again.err" &&
    grep -qF -- "heapprof[$again_child]: cannot write profile $W/again/p.$again_child.0001.pb.gz: No such file or directory" "$W/again.err" ||
    fail "again: the child started after a profile was written and the directory removed should say both lines, found: $(cat "$W/again.err")"
# A profile asked for (a signal) says its failure every time, told or not.
# (the pid written whole, then renamed; the signal sent once sleep runs,
# not to bash's fork child before its exec, which has bash's handler)
run_bg sig HEAPPROF_OUT="$W/nodir/p" -- bash -c 'sleep 60 & echo $! >"$1.tmp"; mv "$1.tmp" "$1"; wait' _ "$W/sig.pid"
sigpid=$BGPID
wait_for_file "$W/sig.pid"
sleeper=$(cat "$W/sig.pid")
wait_usr2_handler "$sleeper" sleep
kill -USR2 "$sleeper"
wait_for_line "$W/sig.err" "^heapprof\[$sleeper\]: cannot write profile $W/nodir/p\.$sleeper\.0001\.pb\.gz: No such file or directory" 30
kill "$sleeper"
finish "$sigpid" 30
# A directory named by a code that cannot be made: one line, mkdir's, once.
: >"$W/afile"
run mk HEAPPROF_OUT="$W/afile/%h/p" -- "$LC_EXEC" forkexec "$LC_EXECCHILD"
expect_rc mk 0
msgs=$(hp_msgs "$W/mk.err")
[[ $(count mk) -eq 2 && $(head -n 1 <<<"$msgs") == "cannot make the directory $W/afile/"*": Not a directory; "* &&
    $(tail -n 1 <<<"$msgs") == "cannot write profile $W/afile/"*": Not a directory"* ]] ||
    fail "mk: expected the parent's mkdir line and its exit profile's, found: $(cat "$W/mk.err")"
# A fork child's first profile makes the directory again: told by its
# parent, it says nothing of it (a pre-forking server's workers said it
# each), nor of its exit profile.
run mkfork HEAPPROF_OUT="$W/afile/%h/p" -- "$LC_FORK" pids
expect_rc mkfork 0
msgs=$(hp_msgs "$W/mkfork.err")
[[ $(count mkfork) -eq 2 && $(head -n 1 <<<"$msgs") == "cannot make the directory $W/afile/"* &&
    $(line_pids mkfork | sort -u | wc -l) -eq 1 ]] ||
    fail "mkfork: expected the parent's mkdir line and its exit profile's, found: $(cat "$W/mkfork.err")"
grep -qE '^child [0-9]+ 0$' "$W/mkfork.out" || fail "mkfork: the child did not exit cleanly: $(cat "$W/mkfork.out")"
# A profile asked for before heapprof's constructor ran (a library's
# constructor) said mkdir's failure; the start does not say it again.
run mkctor HEAPPROF_OUT="$W/afile/%h/p" -- "$LC_CTORDUMP"
expect_rc mkctor 0
grep -qx 'ctor dump 20' "$W/mkctor.out" || fail "mkctor: the constructor's profile did not fail with ENOTDIR: $(cat "$W/mkctor.out")"
[[ $(grep -c '^cannot make the directory' <(hp_msgs "$W/mkctor.err")) -eq 1 ]] ||
    fail "mkctor: expected mkdir's line once, found: $(cat "$W/mkctor.err")"
# mkdir's error is not what the profiles then meet: EACCES for the
# directory, ENOENT for each profile in it; both told (as nobody: root
# ignores the mode).
if [[ $(id -u) -ne 0 ]] || command -v setpriv >/dev/null 2>&1; then
    as_user=()
    [[ $(id -u) -ne 0 ]] || as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    ro=$(mktemp -d /tmp/heapprof-ro.XXXXXX)
    RM_AT_EXIT+=("$ro")
    chmod 0555 "$ro"
    run_plain mkro -- "${as_user[@]}" env HEAPPROF_OUT="$ro/%h/p" LD_PRELOAD="$HEAPPROF_LIB" \
        "$LC_EXEC" forkexec "$LC_EXECCHILD"
    expect_rc mkro 0
    msgs=$(hp_msgs "$W/mkro.err")
    [[ $(count mkro) -eq 2 && $(head -n 1 <<<"$msgs") == "cannot make the directory $ro/"*": Permission denied; "* &&
        $(tail -n 1 <<<"$msgs") == "cannot write profile $ro/"*": No such file or directory"* &&
        $(line_pids mkro | sort -u | wc -l) -eq 1 ]] ||
        fail "mkro: expected the parent's mkdir line (EACCES) and its exit profile's (ENOENT), found: $(cat "$W/mkro.err")"
else
    note "running as root without setpriv: the unwritable directory above a code's is skipped"
fi
# Where no profile would go there unasked (the live view only), nothing is
# said, of a directory missing or of one that cannot be made.
run httponly HEAPPROF_ON_EXIT=0 HEAPPROF_OUT="$W/nodir/p" -- "$LC_EXEC" forkexec "$LC_EXECCHILD"
expect_rc httponly 0
[[ $(count httponly) -eq 0 ]] || fail "httponly: expected no line, found: $(cat "$W/httponly.err")"
run httponlymk HEAPPROF_ON_EXIT=0 HEAPPROF_OUT="$W/afile/%h/p" -- "$LC_EXEC" forkexec "$LC_EXECCHILD"
expect_rc httponlymk 0
[[ $(count httponlymk) -eq 0 ]] || fail "httponlymk: expected no line, found: $(cat "$W/httponlymk.err")"
# ...until a profile is asked for: it makes the directory again, and says
# why it cannot be, and its own failure.
run_bg asked HEAPPROF_ON_EXIT=0 HEAPPROF_OUT="$W/afile/%h/p" -- sleep 60
asked=$BGPID
wait_usr2_handler "$asked" sleep
kill -USR2 "$asked"
wait_for_line "$W/asked.err" "^heapprof\[$asked\]: cannot write profile $W/afile/" 30
kill "$asked"
finish "$asked" 30
msgs=$(hp_msgs "$W/asked.err")
[[ $(count asked) -eq 2 && $(head -n 1 <<<"$msgs") == "cannot make the directory $W/afile/"*": Not a directory; "* ]] ||
    fail "asked: expected mkdir's line and the signal's profile's, found: $(cat "$W/asked.err")"
note "ok: one tree, one say; another stderr or other settings, their own lines; the limit's line once; a missing directory once, anew once a profile was written, a signal's failure always"

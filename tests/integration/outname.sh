#!/usr/bin/env bash
# integ_outname: the names of the profile files.
#  - HEAPPROF_OUT's codes (%h host name, %n pid namespace, %p pid, %e
#    executable, %% a %)
#    expand in the file names; a relative prefix in a directory whose name
#    holds a % keeps it literal; a directory named by a code is made; an
#    unknown code is one line and the default; a prefix that ends in '/',
#    or names a directory, is DIR/heapprof.
#  - A name of the sequence already taken (by a process of another pid
#    namespace with our pid, sharing the prefix) is never overwritten: the
#    profile takes the next free number, one line says so, and
#    HEAPPROF_KEEP stands down rather than remove the other's file.
#  - Every profile names its process ("process run=... host=... pidns=...").
#  - On a file system with neither RENAME_NOREPLACE nor hard links (a
#    preloaded library imitates a FUSE one), profiles are still written.
#  - As root where unshare can make pid namespaces: two real pid-1 processes
#    sharing a prefix keep both their profiles, which name different runs,
#    and with %n they have names of their own; HEAPPROF_KEEP leaves an
#    earlier pid 1's files alone.
source "$(dirname "$0")/lib.sh"
need_env PROG_PLAIN PROG_TRIGGER NOLINK_LIB

host=$(uname -n | LC_ALL=C sed 's/[^A-Za-z0-9._-]/_/g')
[[ -n $host ]] || host=_
ns=$(stat -L -c %i /proc/self/ns/pid)

# one_file DIR GLOB: the single file of DIR matching GLOB.
one_file() {
    local got
    got=$(cd "$1" && compgen -G "$2" || true)
    [[ -n $got && $(wc -l <<<"$got") -eq 1 ]] || fail "expected one file $1/$2, found: ${got:-none} (in $1: $(ls "$1" | head -n 20 | tr '\n' ' '))"
    echo "$1/$got"
}

# 1. Every code, and a literal %.
run codes HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/c.%h.%n.%p.%e.100%%" -- "$PROG_PLAIN"
expect_rc codes 7
no_heapprof_lines codes
f=$(one_file "$W" "c.*.pb.gz")
b=${f#"$W/"}
pid=$(sed -E 's/.*\.([0-9]+)\.0001\.pb\.gz$/\1/' <<<"$b")
exe=$(basename "$(readlink -f "$PROG_PLAIN")")
[[ $b == "c.$host.$ns.$pid.$exe.100%.$pid.0001.pb.gz" ]] ||
    fail "codes: expected c.$host.$ns.<pid>.$exe.100%.<pid>.0001.pb.gz (the same pid twice), found $b"
summarize "$f"
grep -q '^leaf pl_make ' "$f.sum" || fail "codes: $f lacks the program's site pl_make"
# Every profile names its process: a run id, the host, the pid namespace.
grep -qxE "comment process run=[0-9a-f]{16} host=$(uname -n) pidns=$ns" "$f.sum" ||
    fail "codes: expected 'comment process run=<16 hex> host=$(uname -n) pidns=$ns', found: $(grep '^comment process' "$f.sum")"

# 2. A relative prefix, in a directory whose name looks like a code: the
#    directory stays literal, the prefix's own code expands.
mkdir -p "$W/d%h%n"
cd "$W/d%h%n"
run rel HEAPPROF_SAMPLE=1 HEAPPROF_OUT="r.%h" -- "$PROG_PLAIN"
cd "$W"
expect_rc rel 7
f=$(one_file "$W/d%h%n" "r.$host.*.0001.pb.gz")
summarize "$f"
no_heapprof_lines rel

# 2b. A directory named by a code is made, with what it lacks above it;
#     where it cannot be, one line says so, and the program runs on.
run mkdir HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/m.%h/sub/app" -- "$PROG_PLAIN"
expect_rc mkdir 7
no_heapprof_lines mkdir
f=$(one_file "$W/m.$host/sub" "app.*.0001.pb.gz")
summarize "$f"
echo "a file, not a directory" >"$W/file"
run nodir HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/file/%h/app" -- "$PROG_PLAIN"
expect_rc nodir 7
[[ $(not_hp "$W/nodir.err") == "plain: a line on stderr" ]] || fail "nodir: the program's own stderr changed: $(not_hp "$W/nodir.err")"
hp_msgs "$W/nodir.err" | head -n 1 | grep -qF "cannot make the directory $W/file/$host (HEAPPROF_OUT=$W/file/%h/app): Not a directory; profiles cannot be written until it exists" ||
    fail "nodir: unexpected lines: $(hp_lines "$W/nodir.err")"

# 2c. A prefix that ends in '/' names a directory: the files in it are
#     heapprof.<pid>.<seq>.pb.gz, as with no HEAPPROF_OUT, not hidden
#     .<pid>.<seq>.pb.gz ones; with a code, its directory is made too.
mkdir -p "$W/slash"
run slash HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/slash/" -- "$PROG_PLAIN"
expect_rc slash 7
no_heapprof_lines slash
f=$(one_file "$W/slash" "heapprof.*.0001.pb.gz")
summarize "$f"
[[ -z $(cd "$W/slash" && compgen -G ".*.pb.gz" || true) ]] || fail "slash: a hidden profile: $(ls -a "$W/slash")"
run slashcode HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/slash/%h/" -- "$PROG_PLAIN"
expect_rc slashcode 7
no_heapprof_lines slashcode
one_file "$W/slash/$host" "heapprof.*.0001.pb.gz" >/dev/null

# 2d. A prefix that names a directory without the '/' is that directory
#     too: not files beside it (d.<pid>... in its parent), nor hidden ones
#     in the current directory for ".".  A name that is no directory keeps
#     its meaning.
mkdir -p "$W/nos" "$W/dot"
run noslash HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/nos" -- "$PROG_PLAIN"
expect_rc noslash 7
no_heapprof_lines noslash
one_file "$W/nos" "heapprof.*.0001.pb.gz" >/dev/null
[[ -z $(compgen -G "$W/nos.*.pb.gz") ]] || fail "noslash: a profile beside the directory: $(compgen -G "$W/nos.*.pb.gz")"
cd "$W/dot"
run dot HEAPPROF_SAMPLE=1 HEAPPROF_OUT=. -- "$PROG_PLAIN"
cd "$W"
expect_rc dot 7
no_heapprof_lines dot
f=$(one_file "$W/dot" "heapprof.*.0001.pb.gz")
[[ -z $(cd "$W/dot" && compgen -G ".*.pb.gz" || true) ]] || fail "dot: a hidden profile: $(ls -a "$W/dot")"
summarize "$f"
grep -q '^leaf pl_make ' "$f.sum" || fail "dot: $f lacks the program's site pl_make"

# 3. An unknown code: one line, and the default prefix in the current directory.
mkdir -p "$W/bad.d"
cd "$W/bad.d"
# (A relative value: the line quotes at most 64 bytes of it, and the work
# directory's path may be longer.)
run bad HEAPPROF_SAMPLE=1 HEAPPROF_OUT="b.%x" -- "$PROG_PLAIN"
cd "$W"
expect_rc bad 7
[[ $(hp_count "$W/bad.err") -eq 1 ]] || fail "bad code: expected one line, found: $(hp_lines "$W/bad.err")"
hp_msgs "$W/bad.err" | grep -qF 'HEAPPROF_OUT="b.%x" holds a % code heapprof does not know (%h host name, %n pid namespace, %p pid, %e executable, %% a %); using the default heapprof' ||
    fail "bad code: unexpected line: $(hp_lines "$W/bad.err")"
one_file "$W/bad.d" "heapprof.*.0001.pb.gz" >/dev/null
[[ -z $(compgen -G "$W/bad.d/b.*") ]] || fail "bad code: files under the bad prefix: $(compgen -G "$W/bad.d/b.*")"

# 4. A name taken after the start: profile 0002 appears, written by
#    "another process"; the next profile is 0003, 0002 is untouched, and
#    HEAPPROF_KEEP=2 (which would remove 0002 once 0004 is written) stands
#    down.
run_bg taken HEAPPROF_SAMPLE=1 HEAPPROF_KEEP=2 HEAPPROF_OUT="$W/t" -- "$PROG_TRIGGER" wait 3
pid=$BGPID
wait_for_line "$W/taken.out" '^ready$' 60 "$pid"
kill -USR2 "$pid"
wait_for_file "$W/t.$pid.0001.pb.gz" 60
echo "another process's profile" >"$W/t.$pid.0002.pb.gz"
kill -USR2 "$pid"
finish "$pid" 90
expect_rc taken 0
[[ $(cat "$W/t.$pid.0002.pb.gz") == "another process's profile" ]] ||
    fail "name taken: the other process's $W/t.$pid.0002.pb.gz was overwritten or removed"
got=$(profiles "$W/t" "$pid" | xargs -n1 basename | tr '\n' ' ')
[[ $got == "t.$pid.0001.pb.gz t.$pid.0002.pb.gz t.$pid.0003.pb.gz t.$pid.0004.pb.gz " ]] ||
    fail "name taken: expected 0001, 0002 (the other's), 0003 (signal), 0004 (exit); found: $got"
for s in 3 4; do
    summarize "$W/t.$pid.000$s.pb.gz"
    grep -q "^comment .*seq=$s\b" "$W/t.$pid.000$s.pb.gz.sum" ||
        fail "name taken: profile 000$s says $(grep -o 'seq=[0-9]*' "$W/t.$pid.000$s.pb.gz.sum" | head -n 1)"
done
[[ $(hp_count "$W/taken.err") -eq 1 ]] || fail "name taken: expected one line, found: $(hp_lines "$W/taken.err")"
hp_msgs "$W/taken.err" | grep -qF "profile $W/t.$pid.0002.pb.gz already exists, written by another process with pid $pid (of another pid namespace?): continuing after it, and HEAPPROF_KEEP removes no more profiles; give each process its own HEAPPROF_OUT, for example with %n or %h in it" ||
    fail "name taken: unexpected line: $(hp_lines "$W/taken.err")"
no_tmp_left "$W"

# 5. A file system with neither RENAME_NOREPLACE nor hard links (FUSE ones
#    without a link operation answer ENOSYS): the look before the rename,
#    and the profile is written.
RC=0
env HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/f" LD_PRELOAD="$HEAPPROF_LIB $NOLINK_LIB" "$PROG_PLAIN" \
    >"$W/nolink.out" 2>"$W/nolink.err" || RC=$?
[[ $RC -eq 7 ]] || fail "no link: expected status 7, got $RC"
no_heapprof_lines nolink
summarize "$(one_file "$W" "f.*.0001.pb.gz")"

# 6. Real pid namespaces (root, and unshare allowed to make them).
if [[ $(id -u) -ne 0 ]] || ! unshare --pid --fork --mount-proc true 2>/dev/null; then
    note "pid namespaces: skipped (needs root and unshare --pid)"
    exit 0
fi
# in_ns NAME WAIT-SEQ: trigger wait as pid 1 of a pid namespace of its own,
# preloaded, sharing the prefix $W/ns; no exit profile.  Sets NSPID (the
# unshare process).
in_ns() {
    env HEAPPROF_SAMPLE=1 HEAPPROF_ON_EXIT=0 HEAPPROF_OUT="$W/ns" unshare --pid --fork --mount-proc \
        env LD_PRELOAD="$HEAPPROF_LIB" "$PROG_TRIGGER" wait "$2" >"$W/$1.out" 2>"$W/$1.err" &
    NSPID=$!
    KILL_AT_EXIT+=("$NSPID")
    wait_for_line "$W/$1.out" '^ready$' 60 "$NSPID"
}
# the pid, outside, of the program: unshare's child
inner() { cat "/proc/$1/task/$1/children" | awk '{print $1}'; }
in_ns nsA 1
a=$NSPID
in_ns nsB 2
b=$NSPID
kill -USR2 "$(inner "$a")"
wait_for_file "$W/ns.1.0001.pb.gz" 60
finish "$a" 60
sum_a=$(md5sum <"$W/ns.1.0001.pb.gz")
kill -USR2 "$(inner "$b")"
finish "$b" 60
[[ $RC -eq 0 ]] || fail "namespaces: the second process did not find its profile 0002 (status $RC): $(cat "$W/nsB.err")"
[[ $(md5sum <"$W/ns.1.0001.pb.gz") == "$sum_a" ]] || fail "namespaces: the first process's profile was overwritten"
summarize "$W/ns.1.0002.pb.gz"
summarize "$W/ns.1.0001.pb.gz"
run_a=$(sed -n 's/^comment process run=\([0-9a-f]*\) .*/\1/p' "$W/ns.1.0001.pb.gz.sum")
run_b=$(sed -n 's/^comment process run=\([0-9a-f]*\) .*/\1/p' "$W/ns.1.0002.pb.gz.sum")
[[ -n $run_a && -n $run_b && $run_a != "$run_b" ]] ||
    fail "namespaces: the two processes' profiles should name different runs: '$run_a', '$run_b'"
hp_msgs "$W/nsB.err" | grep -qF "profile $W/ns.1.0001.pb.gz already exists, written by another process with pid 1" ||
    fail "namespaces: expected the line about the name taken, found: $(hp_lines "$W/nsB.err")"
# HEAPPROF_KEEP removes only the process's own files: pid 1's names already
# hold 0001-0003 of an earlier process; with KEEP=1 its own first (0004)
# and newest stay, those between go, and 0001-0003 are untouched.
for k in 1 2 3; do echo "earlier process's $k" >"$W/kp.1.000$k.pb.gz"; done
env HEAPPROF_SAMPLE=1 HEAPPROF_KEEP=1 HEAPPROF_PERIOD=0.05 HEAPPROF_OUT="$W/kp" \
    unshare --pid --fork --mount-proc env LD_PRELOAD="$HEAPPROF_LIB" "$PROG_TRIGGER" run 0.6 0 \
    >"$W/keep.out" 2>"$W/keep.err" || fail "keep: the program failed: $(cat "$W/keep.err")"
for k in 1 2 3; do
    [[ $(cat "$W/kp.1.000$k.pb.gz") == "earlier process's $k" ]] ||
        fail "keep: the earlier process's $W/kp.1.000$k.pb.gz was removed or changed"
done
got=$(profiles "$W/kp" 1 | xargs -n1 basename | tr '\n' ' ')
[[ $got =~ ^kp\.1\.0001\.pb\.gz\ kp\.1\.0002\.pb\.gz\ kp\.1\.0003\.pb\.gz\ kp\.1\.0004\.pb\.gz\ kp\.1\.[0-9]{4}\.pb\.gz\ $ ]] ||
    fail "keep: expected the earlier 0001-0003, its own first 0004 and its newest; found: $got"
no_heapprof_lines keep

# With %n, each has names of its own: the namespace's inode, as it sees it.
# Both namespaces live at once: the kernel reuses a gone namespace's inode
# number, so %n tells apart the containers running together (a restarted
# one may get a number again, and then continues its sequence).
for r in 1 2; do
    env HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/n.%n" unshare --pid --fork --mount-proc \
        sh -c 'stat -L -c %i /proc/self/ns/pid; env LD_PRELOAD="$0" "$1"; echo done
               while [ ! -e "$2" ]; do sleep 0.05; done' \
        "$HEAPPROF_LIB" "$PROG_PLAIN" "$W/nsn.go" >"$W/nsn$r.out" 2>"$W/nsn$r.err" &
    KILL_AT_EXIT+=("$!")
    wait_for_line "$W/nsn$r.out" '^done$' 60
done
touch "$W/nsn.go"
wait
for r in 1 2; do
    inode=$(head -n 1 "$W/nsn$r.out")
    [[ -n $(compgen -G "$W/n.$inode.*.0001.pb.gz") ]] || fail "%n: expected $W/n.$inode.<pid>.0001.pb.gz, found: $(ls "$W" | grep '^n\.')"
done
[[ $(compgen -G "$W/n.*.0001.pb.gz" | wc -l) -eq 2 ]] || fail "%n: expected two namespaces' files, found: $(compgen -G "$W/n.*")"

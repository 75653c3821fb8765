#!/usr/bin/env bash
# heapprof run: exit status propagation (0, 3, killed by a signal), the list
# of profiles it prints, signal forwarding, the missing-library error, bad
# flag values, `--` handling, the environment it sets, --no-children.
source "$(dirname "$0")/cli_lib.sh"

# pid_of: the program's pid from run's closing line "PROG (pid N) ...".
pid_of() { sed -n 's/.*(pid \([0-9]*\)).*/\1/p' "$W/err" | head -n 1; }

# --- status 0, and the list of profiles ---------------------------------------------
expect_rc 0 hp run -o "$W/a" -- "$CLI_PROG" sites
pid=$(pid_of)
[[ -n "$pid" ]] || fail "no pid in run's report: $(cat "$W/err")"
expect_in "$W/out" '^expect alloc_alpha ' "the program's own output"
expect_in "$W/err" "exited with status 0; 1 profile:" "the report of a normal exit"
expect_in "$W/err" "^  $W/a\.$pid\.0001\.pb\.gz\$" "the exit profile in the list"
[[ -s "$W/a.$pid.0001.pb.gz" ]] || fail "the listed profile $W/a.$pid.0001.pb.gz does not exist"
expect_in "$W/err" "heapprof top $W/a\.$pid\.0001\.pb\.gz" "the hint to look at it"

# -o naming a directory: the files in it, DIR/heapprof.<pid>.<seq>.pb.gz, listed.
mkdir -p "$W/adir"
expect_rc 0 hp run -o "$W/adir" -- "$CLI_PROG" sites
pid=$(pid_of)
expect_in "$W/err" "exited with status 0; 1 profile:" "the report of a run with -o DIR"
expect_in "$W/err" "^  $W/adir/heapprof\.$pid\.0001\.pb\.gz\$" "-o DIR: the exit profile in the list"
[[ -s "$W/adir/heapprof.$pid.0001.pb.gz" ]] || fail "-o DIR: $W/adir/heapprof.$pid.0001.pb.gz does not exist: $(ls "$W/adir")"

# --- codes in the prefix (src/outname.h): the list shows the names expanded -----------
host=$(uname -n | LC_ALL=C sed 's/[^A-Za-z0-9._-]/_/g')
ns=$(stat -L -c %i /proc/self/ns/pid)
expect_rc 0 hp run -o "$W/k.%h.%n" -- "$CLI_PROG" sites
pid=$(pid_of)
f="$W/k.$host.$ns.$pid.0001.pb.gz"
[[ -s $f ]] || fail "codes: $f was not written: $(ls "$W" | grep '^k\.')"
expect_in "$W/err" "^  ${f//./\\.}\$" "the expanded name in the list"
# The default prefix heapprof.PROGRAM, where the program's name holds a %.
mkdir -p "$W/pct.d"
cp "$(type -P true)" "$W/pct.d/t%h"
cd "$W/pct.d"
expect_rc 0 hp run -- ./t%h
cd "$W"
pid=$(pid_of)
[[ -s "$W/pct.d/heapprof.t%h.$pid.0001.pb.gz" ]] || fail "program t%h: expected heapprof.t%h.$pid.0001.pb.gz, found: $(ls "$W/pct.d")"

# --- status 3, and killed by signals ---------------------------------------------------
expect_rc 3 hp run -o "$W/b" -- sh -c 'exit 3'
expect_in "$W/err" "exited with status 3"
expect_rc 137 hp run -o "$W/c" -- sh -c 'kill -KILL $$'
expect_in "$W/err" "was killed by signal 9"
expect_in "$W/err" "it wrote no profiles" "no exit profile after SIGKILL"
expect_in "$W/err" "^heapprof: a process killed by a signal writes no profile at exit\$" "why, after SIGKILL"
expect_in "$W/err" "^heapprof: for profiles while it runs: --period SECONDS, or SIGUSR2 sent to it or to heapprof\$" "what to do, after SIGKILL"
# No profile after a normal exit: the program ended with _exit (dash does,
# so a #!/bin/sh script's own process writes none), or ran without the
# library.  The report said "it wrote no profiles" and nothing else, also
# when its children had written theirs.
expect_rc 0 hp run -o "$W/ux" -- "$CLI_PROG" _exit
expect_in "$W/err" "exited with status 0; it wrote no profiles" "_exit: the report"
expect_in "$W/err" "^heapprof: no profile at exit: a process that ends with _exit\(\) writes none" "_exit: why"
expect_not_in "$W/err" "see the largest child" "_exit, no child: a child's file named"
# shellcheck disable=SC2016
expect_rc 0 hp run -o "$W/ux2" --signal RTMIN+2 --period 1000 -- bash -c '"$1" sites >/dev/null; "$1" stacks 6 >/dev/null; exec "$1" _exit' bash "$CLI_PROG"
expect_in "$W/err" "it wrote no profiles" "exec'd into an _exit: the report"
expect_in "$W/err" "^heapprof: for profiles while it runs: a --period shorter than its run, or SIGRTMIN\+2 sent to it or to heapprof\$" "another signal, passed on too, a period given"
big=$(ls -S "$W"/ux2.*.pb.gz | head -n 1)
expect_in "$W/err" "^heapprof: see the largest child's with: heapprof top ${big//./\\.}\$" "the largest child's profile named"
HEAPPROF_ON_EXIT=0 expect_rc 0 hp run -o "$W/ux3" --signal off -- "$CLI_PROG" sites
expect_in "$W/err" "^heapprof: HEAPPROF_ON_EXIT=0: no profile is written at exit\$" "HEAPPROF_ON_EXIT=0: why"
expect_in "$W/err" "^heapprof: for profiles while it runs: --period SECONDS\$" "HEAPPROF_ON_EXIT=0, no signal: what to do"
expect_rc 143 hp run -o "$W/c2" -- sh -c 'kill -TERM $$'
expect_in "$W/err" "was killed by signal 15"
# A program the library cannot be loaded into: one line before it starts,
# and after it no advice (SIGUSR2, --period) that cannot work.  It ran to
# its end, then got "no profile at exit" and "SIGUSR2 sent to it".
need_env CLI_STATIC
expect_rc 0 hp run -o "$W/st" -- "$CLI_STATIC" "$CLI_PROG" sites
expect_in "$W/err" "^heapprof run: $CLI_STATIC is statically linked: LD_PRELOAD cannot load the library into it, so it writes no profile \(the dynamically linked programs it starts do\)\$" "static: the line before it starts"
[[ $(head -n 1 "$W/err") == "heapprof run: $CLI_STATIC is statically linked"* ]] || fail "static: the line is not the first: $(cat "$W/err")"
expect_in "$W/out" '^expect alloc_alpha ' "static: its dynamic child ran"
expect_in "$W/err" "it wrote no profiles" "static: the report"
expect_in "$W/err" "^heapprof: $CLI_STATIC ran without the library \(statically linked\): nothing can make it write a profile\$" "static: why, after"
expect_not_in "$W/err" "SIGUSR2|--period|no profile at exit" "static: advice that cannot work"
expect_in "$W/err" "^heapprof: see the largest child's with: heapprof top $W/st\.[0-9]+\.0001\.pb\.gz\$" "static: its child's profile"
# Found in PATH as exec finds it.
PATH="$(dirname "$CLI_STATIC"):$PATH" expect_rc 0 hp run -o "$W/st" -- "$(basename "$CLI_STATIC")"
expect_in "$W/err" "^heapprof run: $(basename "$CLI_STATIC") is statically linked" "static, found in PATH"
# With the children left out, nothing would be profiled (and its children
# would be, as the library that takes itself out of their LD_PRELOAD never
# runs in it): refused.
expect_rc 125 hp run --no-children -o "$W/st" -- "$CLI_STATIC" "$CLI_PROG" sites
expect_in "$W/err" "^heapprof run: $CLI_STATIC is statically linked: LD_PRELOAD cannot load the library into it, and --no-children leaves out the programs it starts; the program was not started\$" "static, --no-children: refused"
expect_not_in "$W/out" "expect" "static, --no-children: the program started"
# Not judged: a script (its interpreter runs), the loader run as a program
# (it preloads into the program it loads).
printf '#!/bin/sh\nexit 0\n' >"$W/script.sh"
chmod +x "$W/script.sh"
expect_rc 0 hp run -o "$W/sc" -- "$W/script.sh"
expect_not_in "$W/err" "^heapprof run:" "a script judged"
ldso=$(readelf -l "$CLI_PROG" | sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p')
if [[ -x $ldso ]]; then
    expect_rc 0 hp run -o "$W/ld" -- "$ldso" "$CLI_PROG" sites
    expect_not_in "$W/err" "^heapprof run:" "the loader run as a program judged"
    expect_in "$W/err" "exited with status 0; 1 profile:" "the loader run as a program: its program's profile"
fi
# Set-user-ID to another user (as root: nobody's): the loader's secure mode
# ignores LD_PRELOAD.  Where the file system is mounted nosuid, the bit is
# ignored, the program is profiled, and nothing is said: the line is there
# exactly when no profile is.
if [[ $(id -u) == 0 ]]; then
    cp "$CLI_PROG" "$W/suid"
    chown 65534 "$W/suid"
    chmod 4755 "$W/suid"
    expect_rc 0 hp run -o "$W/su" -- "$W/suid" sites
    if grep -q "exited with status 0; 1 profile:" "$W/err"; then
        expect_not_in "$W/err" "^heapprof run:" "set-user-ID ignored (nosuid): a line said anyway"
        note "the set-user-ID bit is ignored here (nosuid): its line is not tested"
    else
        expect_in "$W/err" "^heapprof run: $W/suid is set-user-ID: the loader ignores LD_PRELOAD for it and removes it from the environment of the programs it starts, so neither it nor they write a profile\$" "set-user-ID: the line before it starts"
        expect_in "$W/err" "^heapprof: $W/suid ran without the library \(set-user-ID\): nothing can make it write a profile\$" "set-user-ID: why, after"
        expect_not_in "$W/err" "SIGUSR2|--period" "set-user-ID: advice that cannot work"
    fi
    # Set-user-ID to its own user: no secure mode, profiled, nothing said.
    chown 0 "$W/suid"
    chmod 4755 "$W/suid"
    expect_rc 0 hp run -o "$W/su0" -- "$W/suid" sites
    expect_not_in "$W/err" "^heapprof run:" "set-user-ID to the user running it"
    expect_in "$W/err" "exited with status 0; 1 profile:" "set-user-ID to the user running it: profiled"
else
    note "not root: the set-user-ID check is not tested"
fi
# ... and heapprof dies of the same signal, as the program did, not exit
# 128 + N: a shell stops a script on a ^C that killed the command it waits
# for, and goes on after one that exited 130 (a loop of `heapprof run`
# could not be stopped).  A core the program dumps is said, as a shell
# says it; heapprof dumps none of its own.  The status as a parent sees
# it: "signal N [core]" or "exit N".
status_of() {
    python3 - "$@" <<'PY'
import os, resource, subprocess, sys
resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=open("err", "w"))
_, st = os.waitpid(p.pid, 0)
print("signal %d%s" % (os.WTERMSIG(st), " core" if os.WCOREDUMP(st) else "")
      if os.WIFSIGNALED(st) else "exit %d" % os.WEXITSTATUS(st))
PY
}
if command -v python3 >/dev/null; then
    mkdir -p "$W/core.d"
    cd "$W/core.d"
    got=$(status_of "$HEAPPROF_CLI" run -o "$W/c3" -- sh -c 'kill -INT $$')
    [[ $got == "signal 2" ]] || fail "run, the program killed by SIGINT: heapprof ended with $got"
    expect_in err "was killed by signal 2 \(Interrupt\)"
    got=$(status_of "$HEAPPROF_CLI" run -o "$W/c3" -- sh -c 'exit 3')
    [[ $got == "exit 3" ]] || fail "run, the program exited 3: heapprof ended with $got"
    want=$(status_of sh -c 'kill -SEGV $$')
    rm -f core*
    got=$(status_of "$HEAPPROF_CLI" run -o "$W/c3" -- sh -c 'kill -SEGV $$')
    [[ $got == "signal 11" ]] || fail "run, the program killed by SIGSEGV: heapprof ended with $got"
    if [[ $want == "signal 11 core" ]]; then
        expect_in err "was killed by signal 11 \(Segmentation fault, core dumped\)"
    else
        expect_in err "was killed by signal 11 \(Segmentation fault\);"
    fi
    cd "$W"
else
    note "no python3: how heapprof run ends when the program is killed is not checked"
fi

# --- signals sent to heapprof reach the program -----------------------------------------
rm -f "$W/ready"
CLI_READY="$W/ready" "$HEAPPROF_CLI" run -o "$W/f" -- "$CLI_PROG" sleep >"$W/f.out" 2>"$W/f.err" &
runner=$!
KILL_AT_EXIT+=("$runner")
wait_for_file "$W/ready" 60
child=$(awk '{print $2}' "$W/ready")
kill -USR2 "$runner"                       # forwarded: the program writes a profile
wait_for_file "$W/f.$child.0001.pb.gz" 60
kill -TERM "$runner"                       # forwarded: the program dies of it
rc=0
wait "$runner" || rc=$?
[[ $rc -eq 143 ]] || fail "run should exit 128+15 when the program dies of a forwarded SIGTERM, got $rc: $(cat "$W/f.err")"
expect_in "$W/f.err" "killed by signal 15"
expect_in "$W/f.err" "^  $W/f\.$child\.0001\.pb\.gz\$" "the profile written on the forwarded USR2"
# Another profile signal is passed on too, given by --signal or by
# HEAPPROF_SIGNAL (run passed on only its fixed list: RTMIN+2 reached
# heapprof, which it ignores, and the program wrote nothing).
for how in --signal HEAPPROF_SIGNAL; do
    rm -f "$W/ready"
    flag=(--signal RTMIN+2)
    [[ $how == --signal ]] || flag=()
    HEAPPROF_SIGNAL=RTMIN+2 CLI_READY="$W/ready" "$HEAPPROF_CLI" run -o "$W/rt_${how#--}" "${flag[@]}" -- "$CLI_PROG" sleep >"$W/rt.out" 2>"$W/rt.err" &
    runner=$!
    KILL_AT_EXIT+=("$runner")
    wait_for_file "$W/ready" 60
    child=$(awk '{print $2}' "$W/ready")
    kill -s RTMIN+2 "$runner"
    wait_for_file "$W/rt_${how#--}.$child.0001.pb.gz" 60
    kill -TERM "$runner"
    rc=0
    wait "$runner" || rc=$?
    [[ $rc -eq 143 ]] || fail "run ($how RTMIN+2): expected 143 after SIGTERM, got $rc: $(cat "$W/rt.err")"
    expect_in "$W/rt.err" "^  $W/rt_${how#--}\.$child\.0001\.pb\.gz\$" "the profile written on RTMIN+2 passed on ($how)"
done

# --- the library: next to the executable, or ../lib; else a clear error ---------------
mkdir -p "$W/alone" "$W/prefix/bin" "$W/prefix/lib"
cp "$HEAPPROF_CLI" "$W/alone/heapprof"
expect_rc 125 "$W/alone/heapprof" run -- true
expect_in "$W/err" "cannot find libheapprof.so" "the missing-library error"
expect_in "$W/err" "$W/alone/libheapprof.so" "the first place looked"
expect_in "$W/err" "$W/alone/\.\./lib/libheapprof.so" "the second place looked"
cp "$HEAPPROF_CLI" "$W/prefix/bin/heapprof"
cp "$HEAPPROF_LIB" "$W/prefix/lib/libheapprof.so"
expect_rc 0 "$W/prefix/bin/heapprof" run -o "$W/inst" -- sh -c 'echo "$LD_PRELOAD"'
expect_in "$W/out" "^$W/prefix/lib/libheapprof.so\$" "the installed layout's library (bin/../lib)"

# --- bad flag values name the flag and the value --------------------------------------
bad() { # FLAG VALUE PATTERN
    expect_rc 125 hp run "$1" "$2" -- true
    expect_in "$W/err" "$3" "the complaint about $1 '$2'"
    expect_in "$W/err" "Try 'heapprof run --help'"
}
bad --sample 64q "--sample '64q': not a size"
bad --sample 0 "--sample '0': HEAPPROF_SAMPLE=\"0\" is out of range"
bad --sample 2t "--sample '2t': not a size"
bad --highwater lots "--highwater 'lots': not a size"
bad --period soon "--period 'soon': not a number of seconds"
bad --period -1 "--period '-1': not a number of seconds"
bad --period 0x10 "--period '0x10': not a number of seconds"
bad --period 1e99 "--period '1e99': out of range"
bad --keep many "--keep 'many': not a whole number"
bad --keep 99999999999 "--keep '99999999999': HEAPPROF_KEEP=\"99999999999\" is out of range"
bad --signal KILL "--signal 'KILL': not a signal"
bad -o "" "-o: the prefix is empty"
bad -o "k.%x" 'HEAPPROF_OUT="k.%x" holds a % code heapprof does not know'
expect_rc 125 hp run --bogus -- true
expect_in "$W/err" "unknown option '--bogus'"
expect_rc 125 hp run --sample
expect_in "$W/err" "option '--sample' needs a value"
expect_rc 125 hp run --sample 64k
expect_in "$W/err" "no program given"
expect_rc 127 hp run -o "$W/nx" -- "$W/no-such-program"
expect_in "$W/err" "cannot run $W/no-such-program: No such file"
expect_rc 126 hp run -o "$W/nx" -- "$W"
expect_in "$W/err" "cannot run $W: Permission denied"

# --- an output directory that is not there: one error before the program starts --
# The library makes only a directory named by a code; the program ran to its
# end, then each process said "cannot write profile", and run "cannot list".
expect_rc 125 hp run -o "$W/nodir/sub/p" -- sh -c 'echo started'
expect_in "$W/err" "^heapprof run: -o '$W/nodir/sub/p': profiles cannot be written in $W/nodir/sub: No such file or directory; the program was not started" "a missing directory of -o"
expect_not_in "$W/out" started "the program started with no directory for its profiles"
expect_not_in "$W/err" "cannot write profile" "a missing directory said by the library"
HEAPPROF_OUT="$W/nodir/p" expect_rc 125 hp run -- true
expect_in "$W/err" "HEAPPROF_OUT=$W/nodir/p: profiles cannot be written in $W/nodir: No such file" "a missing directory of HEAPPROF_OUT"
expect_rc 125 hp run -o "$W/nodir/" -- true
expect_in "$W/err" "profiles cannot be written in $W/nodir: No such file" "a missing directory named with a /"
: >"$W/plain"
expect_rc 125 hp run -o "$W/plain/p" -- true
expect_in "$W/err" "profiles cannot be written in $W/plain: Not a directory" "a file where a directory should be"
(cd "$W" && expect_rc 125 hp run -o "nodir/p" -- true)
expect_in "$W/err" "^heapprof run: -o 'nodir/p': profiles cannot be written in nodir: No such file" "a missing relative directory, named as given"
# A directory whose mode lets root write but that takes no file: a file is
# made there and removed, not access(W_OK) asked (as root, /proc passed,
# and the library said "cannot write profile" at exit).
expect_rc 125 hp run -o /proc/p -- sh -c 'echo started'
expect_in "$W/err" "^heapprof run: -o '/proc/p': profiles cannot be written in /proc: no file can be created there: " "/proc"
expect_not_in "$W/out" started "the program started with /proc for its profiles"
[[ -z $(compgen -G "$W/.heapprof-check-*") ]] || fail "run left its test file: $(ls -a "$W")"
expect_rc 0 hp run -o "$W/p" -- true
[[ -z $(compgen -G "$W/.heapprof-check-*") ]] || fail "run left its test file: $(ls -a "$W")"
# A read-only mount, where root may write by the modes (when this test may mount).
mkdir -p "$W/romnt"
if [[ $(id -u) == 0 ]] && mount -t tmpfs -o ro tmpfs "$W/romnt" 2>/dev/null; then
    UMOUNT_AT_EXIT+=("$W/romnt")
    run_rc rc hp run -o "$W/romnt/p" -- true
    umount "$W/romnt"
    [[ $rc == 125 ]] || fail "run -o on a read-only mount exited with $rc"
    expect_in "$W/err" "profiles cannot be written in $W/romnt: no file can be created there: Read-only file system; the program was not started" "a read-only mount"
else
    note "no read-only mount here: its refusal is not tested"
fi
# A directory that cannot be written, and one that can inside it (named by
# the prefix itself: its files go there, not beside it); as nobody when root.
as_user=()
if [[ $(id -u) == 0 ]] && command -v setpriv >/dev/null; then
    as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
fi
mkdir -p "$W/perm/ro/sub"
[[ ${#as_user[@]} -eq 0 ]] || chown 65534 "$W/perm/ro/sub"
chmod 555 "$W/perm/ro"
if [[ $(id -u) != 0 || ${#as_user[@]} -gt 0 ]] && "${as_user[@]}" test -x "$HEAPPROF_CLI" -a -r "$HEAPPROF_LIB" -a -w "$W/perm/ro/sub" -a ! -w "$W/perm/ro"; then
    expect_rc 125 "${as_user[@]}" "$HEAPPROF_CLI" run -o "$W/perm/ro/p" -- true
    expect_in "$W/err" "profiles cannot be written in $W/perm/ro: no file can be created there: Permission denied; the program was not started\$" "a directory that cannot be written"
    # No -o, in a directory that cannot be written: the refusal says how to
    # name another.
    (cd "$W/perm/ro" && expect_rc 125 "${as_user[@]}" "$HEAPPROF_CLI" run -- true)
    expect_in "$W/err" "^heapprof run: the default prefix: profiles cannot be written in $W/perm/ro: no file can be created there: Permission denied; the program was not started \(name a writable place with -o DIR/PREFIX\)\$" "the default prefix, in a directory that cannot be written"
    (cd "$W/perm/ro" && HEAPPROF_OUT=p expect_rc 125 "${as_user[@]}" "$HEAPPROF_CLI" run -- true)
    expect_in "$W/err" "^heapprof run: HEAPPROF_OUT=p: profiles cannot be written in $W/perm/ro: no file can be created there: Permission denied; the program was not started \(name a writable place with -o DIR/PREFIX\)\$" "HEAPPROF_OUT, in a directory that cannot be written"
    expect_rc 0 "${as_user[@]}" "$HEAPPROF_CLI" run -o "$W/perm/ro/sub" -- true
    expect_in "$W/err" "^  $W/perm/ro/sub/heapprof\.[0-9]+\.0001\.pb\.gz\$" "a writable directory named by the prefix, in one that is not"
    # A program given capabilities by its file (setcap, as ping is), run by
    # a user other than root: secure mode, as for set-user-ID.  It went
    # without a word, then got "--period SECONDS, or SIGUSR2".  Where the
    # file system is mounted nosuid the capabilities are ignored and the
    # program is profiled: then nothing is said.
    cp "$CLI_PROG" "$W/fcap"
    if command -v setcap >/dev/null && setcap cap_net_raw+ep "$W/fcap" 2>/dev/null; then
        expect_rc 0 "${as_user[@]}" "$HEAPPROF_CLI" run -o "$W/perm/ro/sub/fc" -- "$W/fcap" sites
        fcaps_ignored=
        if grep -q "exited with status 0; 1 profile:" "$W/err"; then
            fcaps_ignored=1
            expect_not_in "$W/err" "^heapprof run:" "file capabilities ignored (nosuid): a line said anyway"
            note "file capabilities are ignored here (nosuid): their line is not tested"
        else
            expect_in "$W/err" "^heapprof run: $W/fcap is given capabilities by its file: the loader ignores LD_PRELOAD for it and removes it from the environment of the programs it starts, so neither it nor they write a profile\$" "file capabilities: the line before it starts"
            expect_in "$W/err" "^heapprof: $W/fcap ran without the library \(given capabilities by its file\): nothing can make it write a profile\$" "file capabilities: why, after"
            expect_not_in "$W/err" "SIGUSR2|--period" "file capabilities: advice that cannot work"
        fi
        # Root's exec of it is not in secure mode: profiled, nothing said.
        if [[ $(id -u) == 0 ]]; then
            expect_rc 0 "$HEAPPROF_CLI" run -o "$W/fc0" -- "$W/fcap" sites
            expect_not_in "$W/err" "^heapprof run:" "file capabilities, run by root"
            expect_in "$W/err" "exited with status 0; 1 profile:" "file capabilities, run by root: profiled"
        fi
        # Capabilities that the exec does not gain leave the loader in its
        # normal mode: the program is profiled and nothing is said.  It said
        # "neither it nor they write a profile", then listed its profile.
        # Inheritable ones the process does not hold; permitted ones its
        # bounding set has dropped (a container's).  Held, the inheritable
        # one is gained: secure mode, said.
        setcap cap_net_raw+i "$W/fcap"
        expect_rc 0 "${as_user[@]}" "$HEAPPROF_CLI" run -o "$W/perm/ro/sub/fi" -- "$W/fcap" sites
        expect_not_in "$W/err" "^heapprof run:" "file capabilities not gained (inheritable only): a line said"
        expect_in "$W/err" "exited with status 0; 1 profile:" "file capabilities not gained (inheritable only): profiled"
        if [[ ${#as_user[@]} -gt 0 && -z $fcaps_ignored ]]; then
            expect_rc 0 "${as_user[@]}" --inh-caps +net_raw "$HEAPPROF_CLI" run -o "$W/perm/ro/sub/fh" -- "$W/fcap" sites
            expect_in "$W/err" "^heapprof run: $W/fcap is given capabilities by its file:" "file capabilities gained (inheritable, held): the line before it starts"
            setcap cap_net_raw+p "$W/fcap"
            expect_rc 0 "${as_user[@]}" --bounding-set -net_raw "$HEAPPROF_CLI" run -o "$W/perm/ro/sub/fb" -- "$W/fcap" sites
            expect_not_in "$W/err" "^heapprof run:" "file capabilities not gained (outside the bounding set): a line said"
            expect_in "$W/err" "exited with status 0; 1 profile:" "file capabilities not gained (outside the bounding set): profiled"
        fi
    else
        note "cannot set file capabilities here: their check is not tested"
    fi
else
    note "cannot run as a user without write access to a directory: the permission checks of -o are skipped"
fi
chmod 755 "$W/perm/ro"
# A directory named by a code is the library's to make, in each process.
expect_rc 0 hp run -o "$W/nodir2/%p/p" -- true
[[ -d "$W/nodir2" ]] || fail "a directory named by a code was not made by the program"

# --- `--`: everything after it (and after PROGRAM) belongs to the program -----------
expect_rc 0 hp run -o "$W/d" -- sh -c 'echo "args:$*"' sh --sample 1 -o x --help
expect_in "$W/out" '^args:--sample 1 -o x --help$' "the program's own options passed through"
expect_rc 0 hp run -o "$W/e" sh -c 'echo "args:$*"' sh -o y
expect_in "$W/out" '^args:-o y$' "options after PROGRAM without --"

# --- the environment it sets ----------------------------------------------------------
LD_PRELOAD=libm.so.6 expect_rc 0 hp run --sample 1k --period 2.5 --highwater 1m --keep 3 \
    --signal USR1 -o "$W/g" -- sh -c 'env'
lib=$(cd "$(dirname "$HEAPPROF_LIB")" && pwd -P)/$(basename "$HEAPPROF_LIB")
expect_in "$W/out" "^LD_PRELOAD=$lib:libm.so.6\$" "the library prepended to LD_PRELOAD"
for kv in HEAPPROF_SAMPLE=1k HEAPPROF_PERIOD=2.5 HEAPPROF_HIGHWATER=1m HEAPPROF_KEEP=3 \
    HEAPPROF_SIGNAL=USR1 "HEAPPROF_OUT=$W/g"; do
    expect_in "$W/out" "^$kv\$" "$kv in the program's environment"
done
expect_not_in "$W/out" '^HEAPPROF_CHILDREN=' "HEAPPROF_CHILDREN without --no-children"
# The default prefix: heapprof.<program name> in the current directory.
mkdir -p "$W/def"
(cd "$W/def" && expect_rc 0 hp run -- "$CLI_PROG" sites)
pid=$(pid_of)
[[ -s "$W/def/heapprof.cli_prog.$pid.0001.pb.gz" ]] ||
    fail "default prefix: no $W/def/heapprof.cli_prog.$pid.0001.pb.gz ($(ls "$W/def"))"
# HEAPPROF_OUT from the environment is kept when -o is not given.
HEAPPROF_OUT="$W/envout" expect_rc 0 hp run -- "$CLI_PROG" sites
pid=$(pid_of)
[[ -s "$W/envout.$pid.0001.pb.gz" ]] || fail "HEAPPROF_OUT from the environment was not used"
# One the library refuses (an unknown code) is the library's default to the
# list too: the report still says how the program ended, and lists the
# profile it wrote, heapprof.<pid>.0001.pb.gz in the current directory.
mkdir -p "$W/envbad"
(cd "$W/envbad" && HEAPPROF_OUT="$W/envbad/x.%q" expect_rc 0 hp run -- "$CLI_PROG" sites)
pid=$(pid_of)
[[ -n $pid ]] || fail "HEAPPROF_OUT with an unknown code: no report of the exit: $(cat "$W/err")"
[[ -s "$W/envbad/heapprof.$pid.0001.pb.gz" ]] || fail "HEAPPROF_OUT with an unknown code: no default profile ($(ls "$W/envbad"))"
expect_in "$W/err" "exited with status 0; 1 profile:" "the report, with an unknown code in HEAPPROF_OUT"
expect_in "$W/err" "^  heapprof\.$pid\.0001\.pb\.gz\$" "the default profile in the list"

# --- child processes: profiled by default, not with --no-children ------------------
expect_rc 0 hp run -o "$W/k" -- "$CLI_PROG" spawn
grandchild=$(sed -n 's/^child \([0-9]*\)$/\1/p' "$W/out")
[[ -n "$grandchild" ]] || fail "spawn printed no child pid: $(cat "$W/out")"
[[ -s "$W/k.$grandchild.0001.pb.gz" ]] || fail "the child process was not profiled"
expect_in "$W/err" "1 more from child processes:" "the child's profiles in the report"
expect_in "$W/err" "^  $W/k\.$grandchild\.0001\.pb\.gz\$"
# Another run's files are not a child's: those of a run in the second
# before (the slack for coarse file timestamps) were listed as "from child
# processes".  A file there before the start, its time stamp ahead, stands
# for them without a race.
touch -d '+1 hour' "$W/k.$grandchild.0001.pb.gz"
expect_rc 0 hp run -o "$W/k" -- "$CLI_PROG" sites
expect_not_in "$W/err" "more from child processes" "an earlier run's profile taken for a child's"
# A directory made after the program started: the program writes beside it
# (it was no directory then), its later children in it; both are listed.
# shellcheck disable=SC2016
expect_rc 0 hp run -o "$W/late" -- bash -c 'mkdir "$1"; "$2" sites >/dev/null; true' bash "$W/late" "$CLI_PROG"
pid=$(pid_of)
expect_in "$W/err" "^  $W/late\.$pid\.0001\.pb\.gz\$" "the program's own profile, beside the directory made later"
expect_in "$W/err" "2 more from child processes:" "mkdir's profile beside the directory, and the child's in it"
expect_in "$W/err" "^  $W/late/heapprof\.[0-9]+\.0001\.pb\.gz\$" "the child's profile in the list"

# Many children (a build): the 20 largest files are listed, the rest counted.
# shellcheck disable=SC2016
expect_rc 0 hp run -o "$W/many" -- sh -c 'i=0; while [ $i -lt 24 ]; do "$1" sites >/dev/null; i=$((i + 1)); done; "$1" stacks 8 >/dev/null; true' sh "$CLI_PROG"
expect_in "$W/err" "heapprof: 25 more from child processes; the 20 largest:" "the head of a long list"
expect_in "$W/err" "^  and 5 more\$" "the tail of a long list"
listed=$(sed -n '/the 20 largest:/,/^  and /p' "$W/err" | grep -c "^  $W/many\.")
[[ $listed -eq 20 ]] || fail "many children: expected 20 of the children's profiles listed, found $listed: $(cat "$W/err")"
# shellcheck disable=SC2046
big=$(ls -S $(compgen -G "$W/many.*.pb.gz" | grep -v "many\.$(pid_of)\.") | head -n 1)
first=$(sed -n '/the 20 largest:/{n;s/^  //;p}' "$W/err")
[[ $first == "$big" ]] || fail "many children: the first listed, $first, is not the largest, $big"

# With %p in the prefix, each child's prefix holds its own pid: still listed.
expect_rc 0 hp run -o "$W/kp.%p" -- "$CLI_PROG" spawn
grandchild=$(sed -n 's/^child \([0-9]*\)$/\1/p' "$W/out")
[[ -s "$W/kp.$grandchild.$grandchild.0001.pb.gz" ]] || fail "%p: the child process was not profiled"
expect_in "$W/err" "1 more from child processes:" "the child's profiles in the report, with %p"
expect_in "$W/err" "^  $W/kp\.$grandchild\.$grandchild\.0001\.pb\.gz\$" "the child's profile in the list, with %p"
# With %e, each program's prefix holds its own executable's name: listed.
# shellcheck disable=SC2016
expect_rc 0 hp run -o "$W/ke.%e" -- sh -c '"$1" sites >/dev/null; true' sh "$CLI_PROG"
exe=$(basename "$(readlink -f "$CLI_PROG")")
expect_in "$W/err" "^  $W/ke\.$exe\.[0-9]+\.0001\.pb\.gz\$" "the child's profile in the list, with %e"
f=$(grep -E "^  $W/ke\.$exe\.[0-9]+\.0001\.pb\.gz\$" "$W/err" | head -n 1 | sed 's/^  //')
[[ -s $f ]] || fail "%e: the listed $f does not exist"
# With %p or %e in a directory, each child's files are in a directory of
# their own (made by the library): listed too.
expect_rc 0 hp run -o "$W/kd/%p/app" -- "$CLI_PROG" spawn
grandchild=$(sed -n 's/^child \([0-9]*\)$/\1/p' "$W/out")
pid=$(pid_of)
[[ -s "$W/kd/$grandchild/app.$grandchild.0001.pb.gz" ]] || fail "%p/: the child process was not profiled: $(find "$W/kd")"
expect_in "$W/err" "^  $W/kd/$pid/app\.$pid\.0001\.pb\.gz\$" "the program's own profile, %p in a directory"
expect_in "$W/err" "1 more from child processes:" "the child's profiles in the report, %p in a directory"
expect_in "$W/err" "^  $W/kd/$grandchild/app\.$grandchild\.0001\.pb\.gz\$" "the child's profile in the list, %p in a directory"
# shellcheck disable=SC2016
expect_rc 0 hp run -o "$W/kx/%e/app" -- sh -c '"$1" sites >/dev/null; true' sh "$CLI_PROG"
expect_in "$W/err" "^  $W/kx/$exe/app\.[0-9]+\.0001\.pb\.gz\$" "the child's profile in the list, %e in a directory"
# Relative, from the current directory: listed as the pattern names them.
(cd "$W" && "$HEAPPROF_CLI" run -o "kr/%p/app" -- "$CLI_PROG" spawn >"$W/out" 2>"$W/err") ||
    fail "relative %p/: run failed: $(cat "$W/err")"
grandchild=$(sed -n 's/^child \([0-9]*\)$/\1/p' "$W/out")
expect_in "$W/err" "^  kr/$grandchild/app\.$grandchild\.0001\.pb\.gz\$" "the child's profile in the list, relative %p in a directory"
# A relative prefix names the directory run was started in for the whole
# process tree: a child that starts in another directory (make -C DIR, a
# build's `cd DIR && cc`) took it as relative to its own, so with
# -o 'prof/%e' (README's example) it could not write ("cannot write
# profile", none written), and with the default prefix its profile landed
# in DIR, unlisted.
mkdir -p "$W/tree/prof" "$W/tree/sub"
# shellcheck disable=SC2016
(cd "$W/tree" && "$HEAPPROF_CLI" run -o 'prof/%e' -- sh -c 'cd sub && "$1" sites >/dev/null; true' sh "$CLI_PROG" >"$W/out" 2>"$W/err") ||
    fail "relative prefix, child in another directory: run failed: $(cat "$W/err")"
expect_not_in "$W/err" "cannot write profile" "relative prefix: a child in another directory could not write its profile"
compgen -G "$W/tree/prof/$exe.*.0001.pb.gz" >/dev/null ||
    fail "relative prefix: no $W/tree/prof/$exe.*.0001.pb.gz from the child in sub/: $(find "$W/tree")"
expect_in "$W/err" "^  prof/$exe\.[0-9]+\.0001\.pb\.gz\$" "relative prefix: the child's profile listed as named"
mkdir -p "$W/tree2/sub"
# shellcheck disable=SC2016
(cd "$W/tree2" && "$HEAPPROF_CLI" run -- sh -c 'cd sub && "$1" sites >/dev/null; true' sh "$CLI_PROG" >"$W/out" 2>"$W/err") ||
    fail "default prefix, child in another directory: run failed: $(cat "$W/err")"
if compgen -G "$W/tree2/sub/heapprof.*" >/dev/null; then
    fail "default prefix: the child wrote into its own directory: $(ls "$W/tree2/sub")"
fi
expect_in "$W/err" "1 more from child processes:" "default prefix: the child in another directory listed"
expect_in "$W/err" "^  heapprof\.sh\.[0-9]+\.0001\.pb\.gz\$" "default prefix: the child's profile beside the program's"

# A pattern of 1400 components (./ each, the work directory: HEAPPROF_OUT
# takes it, whatever the work directory's length, as a relative one), under
# the stack size most systems give (8 MiB; less where the hard limit is
# lower): the walk went down a level per component with 6 KiB of buffers
# each, and run died of a SIGSEGV after the program had run.
deep="$(printf './%.0s' $(seq 1 1400))deep.%p"
rc=0
(cd "$W" && { ulimit -s 8192 2>/dev/null || true; } && exec "$HEAPPROF_CLI" run -o "$deep" -- "$CLI_PROG" sites >"$W/out" 2>"$W/err") || rc=$?
[[ $rc -eq 0 ]] || fail "1400 components: run exited $rc, not the program's 0: $(tail -c 400 "$W/err")"
pid=$(pid_of)
expect_in "$W/err" "exited with status 0; 1 profile:" "1400 components: the report"
expect_in "$W/err" "/deep\.$pid\.$pid\.0001\.pb\.gz\$" "1400 components: the program's profile in the list"
# Beside the program's directory, one whose name (255 bytes) makes the
# path of the pattern's later components too long, where the process's pid
# (at most 20 digits, as HEAPPROF_OUT was checked) did not: a directory no
# process of the pattern made, to be passed over; it made run say "cannot
# list its profiles: File name too long" and list none.  The pattern's
# length, 2900 bytes with %p expanded to nothing, is fixed whatever the
# work directory's: the later components take what it leaves.
mkdir -p "$W/ln/$(head -c 255 /dev/zero | tr '\0' s)"
chain=""
while ((${#W} + 4 + ${#chain} < 2900)); do
    left=$((2900 - ${#W} - 4 - ${#chain} - 1))
    ((left > 0)) || break
    chain+=/$(head -c $((left > 200 ? 200 : left)) /dev/zero | tr '\0' c)
done
expect_rc 0 hp run -o "$W/ln/%p$chain/app" -- "$CLI_PROG" sites
pid=$(pid_of)
[[ -s "$W/ln/$pid$chain/app.$pid.0001.pb.gz" ]] || fail "long components: the profile was not written: $(tail -c 400 "$W/err")"
expect_in "$W/err" "exited with status 0; 1 profile:" "long components and a long directory beside: the report"
expect_in "$W/err" "/app\.$pid\.0001\.pb\.gz\$" "long components and a long directory beside: the program's profile in the list"
expect_rc 0 hp run --no-children -o "$W/l" -- "$CLI_PROG" spawn
grandchild=$(sed -n 's/^child \([0-9]*\)$/\1/p' "$W/out")
pid=$(pid_of)
[[ -s "$W/l.$pid.0001.pb.gz" ]] || fail "--no-children: the program itself was not profiled"
if compgen -G "$W/l.$grandchild.*" >/dev/null; then
    fail "--no-children: the child process $grandchild was profiled: $(ls "$W")"
fi
expect_not_in "$W/err" "from child processes"

note "ok"

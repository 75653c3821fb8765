#!/usr/bin/env bash
# heapprof dump: against live preloaded sleepers (the target's own signal
# and prefix, a relative prefix resolved against the target's directory,
# a prefix with codes, as root a process of another pid or mount namespace),
# `heapprof run`'s own pid for its program's,
# and its errors: no such process, not profiled, timeout (the target blocks
# the signal, so the request stays pending for ever), the signal ignored or
# at its default action (not sent: it would end the process), signal off,
# permission denied (when running as root with setpriv), bad arguments.
source "$(dirname "$0")/cli_lib.sh"

# sleeper NAME [VAR=VALUE...] [-- MODE-ARGS]: start a preloaded cli_prog sleep in
# $W/NAME.d with the given environment; sets $spid once it is ready.
sleeper() {
    local name=$1
    shift
    local envs=() args=()
    while [[ $# -gt 0 && "$1" != "--" ]]; do envs+=("$1"); shift; done
    [[ "${1:-}" == "--" ]] && shift && args=("$@")
    mkdir -p "$W/$name.d"
    rm -f "$W/$name.ready"
    (cd "$W/$name.d" && exec env CLI_READY="$W/$name.ready" LD_PRELOAD="$HEAPPROF_LIB" \
        "${envs[@]}" "$CLI_PROG" sleep "${args[@]}") >"$W/$name.log" 2>&1 &
    spid=$!
    KILL_AT_EXIT+=("$spid")
    wait_for_file "$W/$name.ready" 60
}

# --- a profiled sleeper: each dump is the next file of its sequence ---------------------
sleeper plain "HEAPPROF_OUT=$W/p" HEAPPROF_SAMPLE=1
expect_rc 0 hp dump "$spid"
[[ "$(cat "$W/out")" == "$W/p.$spid.0001.pb.gz" ]] || fail "dump printed '$(cat "$W/out")', expected $W/p.$spid.0001.pb.gz"
[[ -s "$W/p.$spid.0001.pb.gz" ]] || fail "the printed file does not exist"
expect_rc 0 hp top "$W/p.$spid.0001.pb.gz"
expect_in "$W/out" "sleeper_alloc" "the sleeper's allocation site in its profile"
expect_rc 0 hp dump --wait 60 "$spid"
[[ "$(cat "$W/out")" == "$W/p.$spid.0002.pb.gz" ]] || fail "second dump printed '$(cat "$W/out")'"

# The default prefix "heapprof", relative to the target's directory; its own signal.
sleeper rel "HEAPPROF_SIGNAL=USR1"
expect_rc 0 hp dump "$spid"
[[ "$(cat "$W/out")" == "$W/rel.d/heapprof.$spid.0001.pb.gz" ]] ||
    fail "relative default prefix: dump printed '$(cat "$W/out")', expected $W/rel.d/heapprof.$spid.0001.pb.gz"
mkdir -p "$W/sub.d/out"
sleeper sub "HEAPPROF_OUT=out/x"
expect_rc 0 hp dump "$spid"
[[ "$(cat "$W/out")" == "$W/sub.d/out/x.$spid.0001.pb.gz" ]] || fail "relative prefix: '$(cat "$W/out")'"
# A prefix that names a directory is DIR/heapprof, as the library took it.
mkdir -p "$W/dir.d/out"
sleeper dir "HEAPPROF_OUT=out"
expect_rc 0 hp dump "$spid"
[[ "$(cat "$W/out")" == "$W/dir.d/out/heapprof.$spid.0001.pb.gz" && -s "$W/dir.d/out/heapprof.$spid.0001.pb.gz" ]] ||
    fail "a prefix naming a directory: dump printed '$(cat "$W/out")', expected $W/dir.d/out/heapprof.$spid.0001.pb.gz"

# Codes in the prefix (src/outname.h), expanded as the target expanded them.
host=$(uname -n | LC_ALL=C sed 's/[^A-Za-z0-9._-]/_/g')
ns=$(stat -L -c %i /proc/self/ns/pid)
sleeper codes "HEAPPROF_OUT=$W/k.%h.%n.%p.%e"
expect_rc 0 hp dump "$spid"
exe=$(basename "$(readlink -f "$CLI_PROG")")
want="$W/k.$host.$ns.$spid.$exe.$spid.0001.pb.gz"
[[ "$(cat "$W/out")" == "$want" && -s $want ]] || fail "codes: dump printed '$(cat "$W/out")', expected $want"

# %h of a process in another UTS namespace cannot be told from here (as root).
if [[ $(id -u) -eq 0 ]] && unshare --uts true 2>/dev/null; then
    mkdir -p "$W/uts.d"
    (cd "$W/uts.d" && exec unshare --uts env CLI_READY="$W/uts.ready" LD_PRELOAD="$HEAPPROF_LIB" \
        "HEAPPROF_OUT=$W/u.%h" "$CLI_PROG" sleep) >"$W/uts.log" 2>&1 &
    spid=$!
    KILL_AT_EXIT+=("$spid")
    wait_for_file "$W/uts.ready" 60
    expect_rc 1 hp dump "$spid"
    expect_in "$W/err" "process $spid is in another UTS namespace \(a container\?\), so heapprof cannot tell its host name"
fi

# A process in a pid namespace of its own (as root): its names hold the pid
# it sees (1), found through NSpid.
if [[ $(id -u) -eq 0 ]] && unshare --pid --fork true 2>/dev/null; then
    (cd "$W" && exec unshare --pid --fork env CLI_READY="$W/pidns.ready" LD_PRELOAD="$HEAPPROF_LIB" \
        "HEAPPROF_OUT=$W/pn.%p" "$CLI_PROG" sleep) >"$W/pidns.log" 2>&1 &
    u=$!
    KILL_AT_EXIT+=("$u")
    wait_for_file "$W/pidns.ready" 60
    spid=$(awk '{print $1}' "/proc/$u/task/$u/children")
    KILL_AT_EXIT+=("$spid")
    expect_rc 0 hp dump "$spid"
    [[ "$(cat "$W/out")" == "$W/pn.1.1.0001.pb.gz" && -s $W/pn.1.1.0001.pb.gz ]] ||
        fail "pid namespace: dump printed '$(cat "$W/out")', expected $W/pn.1.1.0001.pb.gz"
fi
# A process with mounts of its own (as root): its HEAPPROF_OUT names a
# directory that, in its mount namespace, is another one bound over it; the
# file is reached through /proc/PID/root, and a note says so.
if [[ $(id -u) -eq 0 ]] && unshare --mount true 2>/dev/null; then
    mkdir -p "$W/mA" "$W/mB"
    # shellcheck disable=SC2016
    (exec unshare --mount sh -c 'mount --bind "$1" "$2" && exec env CLI_READY="$3" LD_PRELOAD="$4" \
        HEAPPROF_OUT="$2/x" "$5" sleep' sh "$W/mA" "$W/mB" "$W/mnt.ready" "$HEAPPROF_LIB" \
        "$CLI_PROG") >"$W/mnt.log" 2>&1 &
    spid=$!
    KILL_AT_EXIT+=("$spid")
    wait_for_file "$W/mnt.ready" 60
    expect_rc 0 hp dump "$spid"
    [[ "$(cat "$W/out")" == "/proc/$spid/root$W/mB/x.$spid.0001.pb.gz" ]] ||
        fail "mount namespace: dump printed '$(cat "$W/out")', expected /proc/$spid/root$W/mB/x.$spid.0001.pb.gz"
    [[ -s $W/mA/x.$spid.0001.pb.gz && ! -e $W/mB/x.$spid.0001.pb.gz ]] ||
        fail "mount namespace: the file should be in the directory bound in its namespace: $(ls "$W/mA" "$W/mB")"
    expect_in "$W/err" "note: process $spid has mounts of its own \(a container\?\): the path printed reaches its file through /proc/$spid/"
fi

# --- `heapprof run`'s own pid ($! after `heapprof run ... &`) stands for the
# program it runs: it was "not profiled ... start it with `heapprof run`".
rm -f "$W/run.ready"
CLI_READY="$W/run.ready" "$HEAPPROF_CLI" run -o "$W/r" -- "$CLI_PROG" sleep >"$W/run.log" 2>&1 &
rpid=$!
KILL_AT_EXIT+=("$rpid")
wait_for_file "$W/run.ready" 60
expect_rc 0 hp dump "$rpid"
prog=$(sed -n 's/.*note: process '"$rpid"' is `heapprof run`; asking the program it runs, process \([0-9]*\)$/\1/p' "$W/err")
[[ -n $prog && $prog != "$rpid" ]] || fail "dump of heapprof run's pid: no note naming its program: $(cat "$W/err")"
[[ "$(cat "$W/out")" == "$W/r.$prog.0001.pb.gz" && -s "$W/r.$prog.0001.pb.gz" ]] ||
    fail "dump of heapprof run's pid printed '$(cat "$W/out")', expected $W/r.$prog.0001.pb.gz"
kill "$rpid"
wait "$rpid" 2>/dev/null || true
# Its program cannot load the library (a static one, here running a
# profiled sleeper): heapprof run said why when it started it, and dump no
# longer advises starting it with `heapprof run`.
rm -f "$W/run.ready"
CLI_READY="$W/run.ready" "$HEAPPROF_CLI" run -o "$W/rs" -- "$CLI_STATIC" "$CLI_PROG" sleep \
    >"$W/run.log" 2>&1 &
rpid=$!
KILL_AT_EXIT+=("$rpid")
wait_for_file "$W/run.ready" 60
gpid=$(awk '{print $2}' "$W/run.ready") # the sleeper, which outlives its static parent
KILL_AT_EXIT+=("$gpid")
expect_rc 1 hp dump "$rpid"
expect_in "$W/err" "^heapprof dump: process [0-9]+ \(cli_static\), which \`heapprof run\` \(process $rpid\) runs, is not profiled: libheapprof is not loaded in it \(heapprof run said why when it started it\)\$" "dump of heapprof run's pid, its program not profiled"
expect_not_in "$W/err" "start it with" "dump of heapprof run's pid, its program not profiled: advice already followed"
kill "$rpid" "$gpid"
wait "$rpid" 2>/dev/null || true

# --- errors -----------------------------------------------------------------------------
expect_rc 1 hp dump 99999999            # beyond any pid_max
expect_in "$W/err" "no such process: 99999999"

sleep 60 &
plain=$!
KILL_AT_EXIT+=("$plain")
expect_rc 1 hp dump "$plain"
expect_in "$W/err" "process $plain \([a-z]+\) is not profiled: libheapprof is not loaded"

sleeper blocked "HEAPPROF_OUT=$W/b" -- block
expect_rc 1 hp dump --wait 0.5 "$spid"
expect_in "$W/err" "timed out after 0.5 s: no new profile $W/b\.$spid\.<seq>\.pb\.gz appeared"
expect_in "$W/err" "SIGUSR2" "the signal named in the timeout message"

# A process started with the signal ignored (nohup, `trap '' USR2`):
# heapprof in it leaves it ignored, and the request would wait in vain.
mkdir -p "$W/ign.d"
(cd "$W/ign.d" && trap '' USR2 && exec env CLI_READY="$W/ign.ready" LD_PRELOAD="$HEAPPROF_LIB" \
    "HEAPPROF_OUT=$W/i" "$CLI_PROG" sleep) >"$W/ign.log" 2>&1 &
spid=$!
KILL_AT_EXIT+=("$spid")
wait_for_file "$W/ign.ready" 60
expect_rc 1 hp dump --wait 60 "$spid"
expect_in "$W/err" "process $spid \([a-z_]+\) ignores SIGUSR2, so heapprof in it writes no profile on it"
# One whose handler was set back to the default action: the signal would
# end it, so it is not sent.
sleeper dfl "HEAPPROF_OUT=$W/d" -- default
expect_rc 1 hp dump "$spid"
expect_in "$W/err" "process $spid \([a-z_]+\) has no handler for SIGUSR2, whose default action would end it: not sent"
kill -0 "$spid" 2>/dev/null || fail "heapprof dump ended a process whose SIGUSR2 is at its default action"

# A prefix whose directory is not there: nothing could be written, so
# nothing is asked for, and the message says which directory to make
# (it said "cannot list ...: No such file or directory").
sleeper nodir "HEAPPROF_OUT=$W/nodir/p"
expect_rc 1 hp dump --wait 60 "$spid"
expect_in "$W/err" "^heapprof dump: its profiles go to $W/nodir/p\.$spid\.<seq>\.pb\.gz, but the directory $W/nodir does not exist, so it cannot write one: make that directory, then ask again$"
[[ $(wc -l <"$W/err") -eq 1 ]] || fail "more than one line: $(cat "$W/err")"

sleeper off "HEAPPROF_SIGNAL=off" "HEAPPROF_OUT=$W/o"
expect_rc 1 hp dump "$spid"
expect_in "$W/err" "has profiling by signal turned off \(HEAPPROF_SIGNAL=off\)"

if [[ $(id -u) -eq 0 ]] && command -v setpriv >/dev/null; then
    sleeper perm "HEAPPROF_OUT=$W/perm"
    expect_rc 1 setpriv --reuid=65534 --regid=65534 --clear-groups "$HEAPPROF_CLI" dump "$spid"
    expect_in "$W/err" "permission denied .*belongs to another user"
    # The same user's process, not dumpable: the kernel refuses its /proc
    # files too, and the message must not say it is another user's.
    nd=$(mktemp -d)
    chmod 777 "$nd"
    (cd "$nd" && exec setpriv --reuid=65534 --regid=65534 --clear-groups env CLI_READY="$nd/ready" \
        LD_PRELOAD="$HEAPPROF_LIB" "HEAPPROF_OUT=$nd/p" "$CLI_PROG" sleep nodump) >"$W/nodump.log" 2>&1 &
    spid=$!
    KILL_AT_EXIT+=("$spid")
    wait_for_file "$nd/ready" 60
    expect_rc 1 setpriv --reuid=65534 --regid=65534 --clear-groups "$HEAPPROF_CLI" dump "$spid"
    expect_in "$W/err" "permission denied reading /proc/$spid/environ: process $spid is this user's, but the kernel refuses"
    kill "$spid" 2>/dev/null || true
    rm -rf "$nd"
else
    note "not root or no setpriv: permission-denied case skipped"
fi

expect_rc 2 hp dump
expect_in "$W/err" "which process"
expect_rc 2 hp dump abc
expect_in "$W/err" "'abc' is not a process id"
expect_rc 2 hp dump --wait soon 1
expect_in "$W/err" "--wait 'soon': not a number of seconds"
expect_rc 2 hp dump 1 2
expect_in "$W/err" "one process id at a time"

note "ok"

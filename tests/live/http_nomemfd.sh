#!/usr/bin/env bash
# live_http_nomemfd: the endpoint where memfd_create is refused, as a
# container's seccomp profile may refuse it.  ctest runs this script under
# tests/lifecycle/marks.c (nomemfd-any), whose filter every process here
# inherits.  Every profile request was answered 500 "cannot create a memory
# file for the profile"; now (src/http_body.h):
#  1. /debug/pprof/heap (read by go tool pprof -top), its ?debug=1 text,
#     /allocs and a parked ?seconds=1 are answered 200 from unnamed files
#     in /dev/shm, and stderr says so in one line for all the requests;
#  2. on a file system without unnamed files (tmpfileshim.c notmpfile), from
#     files unlinked as soon as made, O_TMPFILE asked once, none left behind;
#     The same where O_TMPFILE is refused with EPERM (tmpfileshim.c
#     seccomp), as a seccomp filter on open's flags refuses it;
#  3. while the fallback file's open is blocked (tmpfileshim.c park: a hung
#     NFS directory), the program's fork() goes on: the open holds no lock
#     of the fork handlers' (every fork waited for it), and the profile is
#     served once the open returns;
#  4. where a file made by name cannot be unlinked while open (busyunlink:
#     CIFS), it is removed once closed, and that directory tried again at
#     the next request: nothing is left, and the 500 says why for each
#     directory;
#  5. where the unlink leaves the file linked (swapped: its name swapped
#     meanwhile), the file is not used, and that directory not again: one
#     file at most is left there;
#  6. where the server's descriptors are in the program's table, a fork
#     child never keeps the profile's file, while it is opened or closed;
#  7. a write failing with EIO: the next directory, as for a full one, and
#     where all fail, the 500 and stderr say why for each;
#  8. a _Fork child's own fork keeps the file the _Fork child opened at the
#     number the server had just opened (parked) in its parent;
#  9. a child forked between a profile file's open and heapprof's store of
#     its number holds it, but empty once the server is done with it (9b:
#     on a disk file system, whole: not emptied there; 9c: where the
#     write into it failed partway, emptied too, the profile rendered
#     again in the next directory);
# 10. a _Fork child's own fork does not keep the profile file the _Fork
#     child inherited.
# Steps 9, 9c and 10 need /dev/shm to be a writable tmpfs (the profiles'
# first directory): the server empties, and a _Fork child's children
# close, a profile file on tmpfs only (src/http.c, src/http_fds.c); 9b
# needs $TMPDIR (in the work directory) not to be tmpfs.  Elsewhere they
# are skipped with a note only, not failed.
source "$(dirname "$0")/lib.sh"
need curl curl
need_env LIVE_TMPFILESHIM
require_go
[[ $(sed -n 's/^Seccomp:[[:space:]]*//p' /proc/self/status) == 2 ]] ||
    fail "not under marks.c's filter: run as ctest's live_http_nomemfd (marks nomemfd-any)"

# Where the profiles should go: the first of /dev/shm, $TMPDIR (absolute,
# its trailing slashes dropped) and /tmp that is a writable directory.
tmpdir=${TMPDIR:-}
while [[ $tmpdir == */ && $tmpdir != / ]]; do tmpdir=${tmpdir%/}; done
dir=
for d in /dev/shm "$tmpdir" /tmp; do
    [[ $d == /* && -d $d && -w $d ]] && { dir=$d; break; }
done
[[ -n $dir ]] || skip "no writable /dev/shm, \$TMPDIR or /tmp for the profiles"

# requests NAME: the profile requests, each checked; go tool pprof reads them.
requests() {
    local i out
    for i in 1 2 3; do
        get /debug/pprof/heap >"$W/$1-heap$i.pb.gz"
        [[ $(head -c 2 "$W/$1-heap$i.pb.gz" | od -An -tx1 | tr -d ' ') == 1f8b ]] ||
            fail "$1: heap profile $i is not gzip"
    done
    out=$(go tool pprof -top "http://127.0.0.1:$PORT/debug/pprof/heap" 2>"$W/pprof.err") ||
        { cat "$W/pprof.err" >&2; fail "$1: go tool pprof -top on /debug/pprof/heap failed"; }
    grep -q 'Type: inuse_space' <<<"$out" && grep -q churn_alloc <<<"$out" ||
        fail "$1: go tool pprof -top: not the churn's heap: $out"
    go tool pprof -top "$W/$1-heap1.pb.gz" >/dev/null 2>&1 || fail "$1: go tool pprof cannot read the heap profile"
    get '/debug/pprof/heap?debug=1' >"$W/$1-heap.txt"
    head -1 "$W/$1-heap.txt" | grep -Eq '^heap profile: [0-9]+: [0-9]+ \[[0-9]+: [0-9]+\] @ heap/2$' ||
        fail "$1: heap?debug=1 is not the text profile: $(head -3 "$W/$1-heap.txt")"
    grep -q churn_alloc "$W/$1-heap.txt" || fail "$1: heap?debug=1 lacks churn_alloc"
    out=$(go tool pprof -top "http://127.0.0.1:$PORT/debug/pprof/allocs?seconds=1" 2>"$W/pprof.err") ||
        { cat "$W/pprof.err" >&2; fail "$1: go tool pprof on allocs?seconds=1 failed"; }
    grep -q 'Type: alloc_space' <<<"$out" || fail "$1: allocs?seconds=1: $out"
}

# said NAME MESSAGE: the run's stderr has one line on memfd_create, MESSAGE.
said() {
    local n
    n=$(grep -c 'memfd_create' "$W/$1.err" || true)
    [[ $n == 1 ]] && grep -qxF -- "$2" <(hp_msgs "$W/$1.err") ||
        fail "$1: expected one line on memfd_create saying '$2', got $n: $(hp_lines "$W/$1.err")"
}

# 1. Unnamed files.
start srv HEAPPROF_SAMPLE=4096 -- churn
[[ -n $PORT ]] || fail "no serving line on stderr: $(cat "$W/srv.err")"
requests srv
stop srv
[[ $RC -eq 0 ]] || fail "live_prog churn exited $RC"
said srv "memfd_create is refused (Operation not permitted); the HTTP server renders profiles into unnamed files in $dir"
note "unnamed files ok: $(hp_msgs "$W/srv.err" | grep memfd_create)"

# 2. No unnamed files: named ones, unlinked at once.
HEAPPROF_LIB="$LIVE_TMPFILESHIM $HEAPPROF_LIB" start named HEAPPROF_SAMPLE=4096 \
    TMPFILE_SHIM=notmpfile TMPFILE_SHIM_LOG="$W/shim.log" -- churn
[[ -n $PORT ]] || fail "named: no serving line on stderr: $(cat "$W/named.err")"
requests named
left=$(find "$dir" -maxdepth 1 -name 'heapprof-http-*' -user "$(id -u)" 2>/dev/null | head -3)
[[ -z $left ]] || fail "named: files left in $dir: $left"
stop named
[[ $RC -eq 0 ]] || fail "live_prog churn (notmpfile) exited $RC"
said named "memfd_create is refused (Operation not permitted); the HTTP server renders profiles into files unlinked as soon as made in $dir"
n=$(grep -cxF "tmpfile $dir refused" "$W/shim.log" || true)
[[ $n == 1 ]] || fail "named: O_TMPFILE asked $n times in $dir (once: it is remembered): $(cat "$W/shim.log")"
note "named files ok"

# 2b. O_TMPFILE refused as a seccomp filter on open's flags refuses it
# (EPERM; src/tmpfile.h): the same, not a 500 for every directory.
HEAPPROF_LIB="$LIVE_TMPFILESHIM $HEAPPROF_LIB" start seccomp HEAPPROF_SAMPLE=4096 \
    TMPFILE_SHIM=seccomp TMPFILE_SHIM_LOG="$W/seccomp.log" -- churn
get /debug/pprof/heap >/dev/null
get /debug/pprof/heap >/dev/null
stop seccomp
said seccomp "memfd_create is refused (Operation not permitted); the HTTP server renders profiles into files unlinked as soon as made in $dir"
n=$(grep -cxF "tmpfile $dir refused" "$W/seccomp.log" || true)
[[ $n == 1 ]] || fail "seccomp: O_TMPFILE asked $n times in $dir (once: it is remembered): $(cat "$W/seccomp.log")"
note "O_TMPFILE refused with EPERM: named files ok"

# parked_get NAME: GET /debug/pprof/heap of run NAME in the background
# (CURL_PID; the body in NAME.pb.gz, the status in NAME.code), returning
# once tmpfileshim.c holds the server (the file $W/parked exists).
parked_get() {
    [[ -n $PORT ]] || fail "$1: no serving line on stderr: $(cat "$W/$1.err" "$W/$1.out")"
    curl -sS --max-time 90 -o "$W/$1.pb.gz" -w '%{http_code}' "http://127.0.0.1:$PORT/debug/pprof/heap" \
        >"$W/$1.code" 2>&1 &
    CURL_PID=$!
    local i
    for ((i = 0; i < 1000; i++)); do [[ -e $W/parked ]] && break; sleep 0.02; done
    [[ -e $W/parked ]] || fail "$1: the server never reached the shim"
}
# forks_go_on NAME K: while the server is held, run NAME's forks go on (K
# more "forked" lines within 20 s: a fork under way when it was held may
# still end after); sets N0 and N1, the counts before and after.
forks_go_on() {
    local i
    N0=$(grep -c '^forked' "$W/$1.out" || true)
    for ((i = 0; i < 1000; i++)); do
        (($(grep -c '^forked' "$W/$1.out" || true) >= N0 + $2)) && break
        sleep 0.02
    done
    N1=$(grep -c '^forked' "$W/$1.out" || true)
    ((N1 >= N0 + $2)) ||
        fail "$1: the program's fork() stopped while the server was held ($N0 forks, then $N1 in 20 s)"
}

# 3. The fallback's open blocked: the program's forks go on meanwhile.
rm -f "$W/parked" "$W/go"
HEAPPROF_LIB="$LIVE_TMPFILESHIM $HEAPPROF_LIB" start park HEAPPROF_SAMPLE=4096 \
    TMPFILE_SHIM=park TMPFILE_SHIM_PARKED="$W/parked" TMPFILE_SHIM_GO="$W/go" -- forkloop
parked_get park
forks_go_on park 2
touch "$W/go"
wait "$CURL_PID" || true
[[ $(cat "$W/park.code") == 200 ]] || fail "park: status $(cat "$W/park.code") once the open returned"
stop park
[[ $RC -eq 0 ]] || fail "live_prog forkloop exited $RC"
note "a blocked open: forks went on ($N0 forks, then $N1), then 200"

# The directories a profile is tried in below, $TMPDIR in the work directory.
tmpd="$W/tmpd"
rm -rf "$tmpd"
mkdir -p "$tmpd"
dirs=()
for d in /dev/shm "$tmpd" /tmp; do
    [[ -d $d && -w $d ]] && dirs+=("$d")
done
# reasons ERROR: every directory's "DIR: ERROR", as the 500 says them.
reasons() {
    local d out=
    for d in "${dirs[@]}"; do out+="; $d: $1"; done
    printf '%s' "$out"
}

# fetch500 NAME PATH: GET PATH, which must be answered 500; its body in BODY.
fetch500() {
    local code
    code=$(curl -sS --max-time 20 -o "$W/$1.body" -w '%{http_code}' "http://127.0.0.1:$PORT$2") ||
        fail "$1: curl failed"
    [[ $code == 500 ]] || fail "$1: GET $2: status $code, expected 500: $(head -c 300 "$W/$1.body")"
    BODY=$(cat "$W/$1.body")
}

# 4. Files that cannot be unlinked while open: removed once closed.
HEAPPROF_LIB="$LIVE_TMPFILESHIM $HEAPPROF_LIB" start busy HEAPPROF_SAMPLE=4096 TMPDIR="$tmpd" \
    TMPFILE_SHIM=busyunlink TMPFILE_SHIM_LOG="$W/busy.log" -- churn
fetch500 busy /debug/pprof/heap
want="500 Internal Server Error: cannot write the profile (memfd_create: Operation not permitted$(reasons 'Device or resource busy'))"
[[ $BODY == "$want" ]] || fail "busy: expected '$want', got '$BODY'"
fetch500 busy /debug/pprof/heap
[[ $BODY == "$want" ]] || fail "busy: again: expected '$want', got '$BODY'"
stop busy
# Nothing was left by the first request: its directories are tried again.
n=$(grep -c '^unlink busy$' "$W/busy.log" || true)
[[ $n == $((2 * ${#dirs[@]})) ]] ||
    fail "busy: expected one file made in each of ${#dirs[@]} directories at each of 2 requests, got $n"
[[ -z $(ls -A "$tmpd") ]] || fail "busy: left in \$TMPDIR: $(ls -A "$tmpd")"
note "files that cannot be unlinked while open: none left, tried again, 500 for each directory"

# 5. A file still linked after its unlink: not used, at most one left.
HEAPPROF_LIB="$LIVE_TMPFILESHIM $HEAPPROF_LIB" start swapped HEAPPROF_SAMPLE=4096 TMPDIR="$tmpd" \
    TMPFILE_SHIM=swapped TMPFILE_SHIM_LOG="$W/swapped.log" -- churn
fetch500 swapped /debug/pprof/heap
want="500 Internal Server Error: cannot write the profile (memfd_create: Operation not permitted$(reasons 'File exists'))"
[[ $BODY == "$want" ]] || fail "swapped: expected '$want', got '$BODY'"
fetch500 swapped /debug/pprof/heap
stop swapped
mapfile -t kept < <(sed -n 's/^unlink swapped //p' "$W/swapped.log")
rm -f -- "${kept[@]}"
[[ ${#kept[@]} == "${#dirs[@]}" ]] ||
    fail "swapped: expected one file made in each of ${#dirs[@]} directories, got ${#kept[@]}: ${kept[*]}"
note "files still linked after the unlink: not used, one left"

# 6. Where the server's descriptors are in the program's table (live_prog
# nopidfd: pidfd_getfd refused), a fork child must not keep a profile file
# that was opened and not yet made the server's, or closed and no longer
# remembered: it would hold it at a low number, the parent writing the
# whole profile into it, for the child's life.  The shim holds the server
# in the unlink that follows the file's open (parkunlink), then in the
# body file's close (parkclose), while live_prog forkscan forks children
# that each report the heapprof files they inherited.
parked_forks() { # NAME MODE: a request parked in the shim, two forks meanwhile
    rm -f "$W/parked" "$W/go"
    # Preloaded into the program nopidfd execs, not into nopidfd itself.
    local preload="$LIVE_TMPFILESHIM $HEAPPROF_LIB"
    HEAPPROF_LIB="" start "$1" LIVE_PRELOAD="$preload" HEAPPROF_SAMPLE=4096 \
        TMPFILE_SHIM="$2" TMPFILE_SHIM_PARKED="$W/parked" TMPFILE_SHIM_GO="$W/go" -- \
        nopidfd "$LIVE_PROG" forkscan
    parked_get "$1"
    forks_go_on "$1" 3
    touch "$W/go"
    wait "$CURL_PID" || true
    [[ $(cat "$W/$1.code") == 200 ]] || fail "$1: status $(cat "$W/$1.code")"
    stop "$1"
    [[ $RC -eq 0 ]] || fail "$1: live_prog forkscan exited $RC: $(cat "$W/$1.out")"
    ! grep -q '^inherited' "$W/$1.out" ||
        fail "$1: fork children inherited the profile's file: $(grep '^inherited' "$W/$1.out" | sort | uniq -c | head -3)"
    note "$1: $((N1 - N0)) children forked while parked in $2 hold no profile file"
}
run_plain probe -- "$LIVE_PROG" nopidfd true
RC_PROBE=$RC
if [[ $RC == 77 ]]; then
    note "6 skipped: $(cat "$W/probe.out")"
else
    parked_forks popen parkunlink
    parked_forks pclose parkclose
fi

# 7. A write that fails with EIO (a failing disk; tmpfileshim.c eiowrite):
# the next directory is tried, as for a full one; where every directory
# fails (eiowriteall), the 500 and stderr (once) say why for each.  It
# was a bare "500 ... Input/output error", nothing on stderr, no other
# directory tried.
if [[ ${dirs[0]} == /dev/shm && ${#dirs[@]} -gt 1 ]]; then
    HEAPPROF_LIB="$LIVE_TMPFILESHIM $HEAPPROF_LIB" start eio HEAPPROF_SAMPLE=4096 TMPDIR="$tmpd" \
        TMPFILE_SHIM=eiowrite -- churn
    code=$(curl -sS --max-time 20 -o "$W/eio.pb.gz" -w '%{http_code}' "http://127.0.0.1:$PORT/debug/pprof/heap") ||
        fail "eio: curl failed"
    [[ $code == 200 ]] || fail "eio: status $code, expected 200 from ${dirs[1]}: $(head -c 300 "$W/eio.pb.gz")"
    stop eio
    said eio "memfd_create is refused (Operation not permitted); the HTTP server renders profiles into unnamed files in ${dirs[1]}"
    note "a write failing with EIO in /dev/shm: rendered again in ${dirs[1]}, 200"
fi
HEAPPROF_LIB="$LIVE_TMPFILESHIM $HEAPPROF_LIB" start eioall HEAPPROF_SAMPLE=4096 TMPDIR="$tmpd" \
    TMPFILE_SHIM=eiowriteall -- churn
fetch500 eioall /debug/pprof/heap
want="500 Internal Server Error: cannot write the profile (memfd_create: Operation not permitted$(reasons 'Input/output error'))"
[[ $BODY == "$want" ]] || fail "eioall: expected '$want', got '$BODY'"
fetch500 eioall /debug/pprof/heap
stop eioall
r=$(reasons 'Input/output error')
said eioall "memfd_create is refused (Operation not permitted), and no file in /dev/shm, \$TMPDIR or /tmp takes a profile either (${r#; }); the HTTP server answers profile requests 500 while that lasts"
note "a write failing with EIO everywhere: 500 and stderr say why for each directory"

# 8. A child made with _Fork (no fork handlers: it keeps the server's
# "number just opened" as it was) while the server was held after a
# profile file's open; it closes every descriptor from 3, as a daemon
# does, opens a file of its own at that number, and forks: heapprof's fork
# handler in the grandchild must not close the program's file for the
# profile's (a review found it did: only a direct child of the process
# whose server opened the file may take the number unchecked).
# live_prog parkedorphan [keep] under NAME, its request parked in the shim
# until the grandchild has said what it holds; answered 200.
parked_orphan() { # NAME [keep]
    local name=$1
    shift
    rm -f "$W/parked" "$W/go"
    HEAPPROF_LIB="" start "$name" LIVE_PRELOAD="$LIVE_TMPFILESHIM $HEAPPROF_LIB" HEAPPROF_SAMPLE=4096 \
        TMPFILE_SHIM=parkunlink TMPFILE_SHIM_PARKED="$W/parked" TMPFILE_SHIM_GO="$W/go" -- \
        nopidfd "$LIVE_PROG" parkedorphan "$@"
    parked_get "$name"
    for ((i = 0; i < 1000; i++)); do grep -q '^grandchild' "$W/$name.out" && break; sleep 0.02; done
    touch "$W/go"
    wait "$CURL_PID" || true
    stop "$name"
    [[ $RC -eq 0 ]] || fail "$name: live_prog parkedorphan $* exited $RC: $(cat "$W/$name.out" "$W/$name.err")"
    [[ $(cat "$W/$name.code") == 200 ]] || fail "$name: status $(cat "$W/$name.code")"
}
if [[ $RC_PROBE != 77 ]]; then
    parked_orphan orphan
    grep -qx 'grandchild 3-63 open' "$W/orphan.out" ||
        fail "orphan: the grandchild's own file was closed: $(grep '^grandchild' "$W/orphan.out" || cat "$W/orphan.out")"
    note "a _Fork child's fork keeps the file it opened at the server's number"
fi

# parked_window NAME VAR=VALUE...: live_prog parkedfork under the shim's
# parkopen (and VAR=VALUE...), a profile request held after its file's
# open, a child forked then (which must inherit the file), the request let
# go (200, not empty) and the child told to look; SIZES, the child's
# "size FD BYTES" lines once the server is done with the file.
parked_window() {
    local name=$1 i
    shift
    rm -f "$W/parked" "$W/go" "$W/done"
    HEAPPROF_LIB="" start "$name" LIVE_PRELOAD="$LIVE_TMPFILESHIM $HEAPPROF_LIB" HEAPPROF_SAMPLE=4096 \
        TMPFILE_SHIM_PARKED="$W/parked" TMPFILE_SHIM_GO="$W/go" PARKEDFORK_DONE="$W/done" "$@" -- \
        nopidfd "$LIVE_PROG" parkedfork
    parked_get "$name"
    for ((i = 0; i < 1000; i++)); do grep -q '^scanned' "$W/$name.out" && break; sleep 0.02; done
    grep -q '^inherited' "$W/$name.out" ||
        fail "$name: the child forked while the server was held after the open inherited no profile file: $(cat "$W/$name.out")"
    touch "$W/go"
    wait "$CURL_PID" || true
    [[ $(cat "$W/$name.code") == 200 ]] || fail "$name: status $(cat "$W/$name.code")"
    [[ $(stat -c %s "$W/$name.pb.gz") -gt 0 ]] || fail "$name: an empty profile"
    touch "$W/done"
    for ((i = 0; i < 1000; i++)); do grep -q '^child done' "$W/$name.out" && break; sleep 0.02; done
    stop "$name"
    [[ $RC -eq 0 ]] || fail "$name: live_prog parkedfork exited $RC: $(cat "$W/$name.out" "$W/$name.err")"
    SIZES=$(grep '^size ' "$W/$name.out" || true)
}

# 9. The fork window (src/http_fds.h): a child forked after a profile
# file's open returned and before heapprof stored its number (tmpfileshim.c
# parkopen holds the server there) inherits the file unknowing, for its
# life.  The server empties the file before its close, so what the child
# holds is an empty file, not a profile's worth of tmpfs memory in
# /dev/shm; it held the whole profile.  On tmpfs only (the header).
if [[ $RC_PROBE != 77 && $dir == /dev/shm && $(stat -f -c %T /dev/shm) == tmpfs ]]; then
    parked_window window TMPFILE_SHIM=parkopen
    [[ -n $SIZES ]] && ! grep -qv '^size [0-9]* 0$' <<<"$SIZES" ||
        fail "window: the child's inherited profile file is not empty once the server is done with it: ${SIZES:-no sizes: $(cat "$W/window.out")}"
    note "a child forked in the window between open and its store holds an empty file once the server is done"
else
    note "9 skipped: /dev/shm is not the profiles' tmpfs here (dir $dir)"
fi

# 9b. The same window where the profile's file is on a disk file system:
# /dev/shm's write fails (eiowrite), the profile goes to $TMPDIR, whose
# open is held (TMPFILE_SHIM_PARKDIR).  There the file is not emptied (a
# freed inode number is soon another file's: src/http.c's empty_body), so
# the child's copy keeps the profile whole; it was emptied, and with it
# could have been a file of the program's that took our number and
# identity.  The child waits 10 s for an emptying that must not come.
# Skipped where $TMPDIR is tmpfs too, or /dev/shm is not first.
if [[ $RC_PROBE != 77 && ${dirs[0]} == /dev/shm && ${dirs[1]:-} == "$tmpd" &&
    $(stat -f -c %T "$tmpd") != tmpfs ]]; then
    parked_window diskwin TMPFILE_SHIM=parkopen,eiowrite TMPFILE_SHIM_PARKDIR="$tmpd" TMPDIR="$tmpd"
    grep -q "^inherited [0-9]* $tmpd/#" "$W/diskwin.out" ||
        fail "diskwin: the child did not inherit a profile file in $tmpd: $(cat "$W/diskwin.out")"
    want=$(stat -c %s "$W/diskwin.pb.gz")
    [[ -n $SIZES ]] && ! grep -qv "^size [0-9]* $want\$" <<<"$SIZES" ||
        fail "diskwin: the child's inherited profile file in $tmpd is not the profile's $want bytes: ${SIZES:-no sizes: $(cat "$W/diskwin.out")}"
    note "a child forked in the window on $(stat -f -c %T "$tmpd"): its file keeps the profile's $want bytes"
else
    note "9b skipped: \$TMPDIR ($tmpd) is tmpfs or not the profiles' second directory after /dev/shm"
fi

# 9c. The same window in /dev/shm, and the profile's write into that file
# failing partway: /dev/shm fills after 256 bytes of it (tmpfileshim.c
# fullwrite: a short write, then ENOSPC; a profile is some 1600 bytes),
# and the profile is rendered again, whole, in $TMPDIR (200; stderr names
# $TMPDIR as where profiles go).  The /dev/shm file the child holds must
# be empty once the server is done: the length checked before its
# emptying is what the failed write left, the file's offset
# (src/http_answer.c bytes_written).  Left at 0, the check failed and the
# child kept the 256 bytes.
if [[ $RC_PROBE != 77 && ${dirs[0]} == /dev/shm && $(stat -f -c %T /dev/shm) == tmpfs &&
    ${#dirs[@]} -gt 1 ]]; then
    rm -f "$W/fullwin.log"
    parked_window fullwin TMPFILE_SHIM=parkopen,fullwrite TMPFILE_SHIM_PARKDIR=/dev/shm \
        TMPFILE_SHIM_FULL_AT=256 TMPFILE_SHIM_LOG="$W/fullwin.log" TMPDIR="$tmpd"
    grep -qE '^write short [0-9]+$' "$W/fullwin.log" ||
        fail "fullwin: the profile's write in /dev/shm did not fail partway: $(cat "$W/fullwin.log")"
    grep -q '^inherited [0-9]* /dev/shm/#' "$W/fullwin.out" ||
        fail "fullwin: the child did not inherit the profile file in /dev/shm: $(cat "$W/fullwin.out")"
    gzip -t "$W/fullwin.pb.gz" 2>/dev/null && (($(stat -c %s "$W/fullwin.pb.gz") > 256)) ||
        fail "fullwin: not a whole profile ($(stat -c %s "$W/fullwin.pb.gz") bytes)"
    said fullwin "memfd_create is refused (Operation not permitted); the HTTP server renders profiles into unnamed files in ${dirs[1]}"
    [[ -n $SIZES ]] && ! grep -qv '^size [0-9]* 0$' <<<"$SIZES" ||
        fail "fullwin: the child's inherited /dev/shm file, whose write failed partway, is not empty once the server is done with it: ${SIZES:-no sizes: $(cat "$W/fullwin.out")}"
    note "a child forked in the window of a file whose write failed partway (ENOSPC after 256 bytes) holds it empty; the profile came whole from ${dirs[1]}"
else
    note "9c skipped: /dev/shm is not the profiles' tmpfs, or no directory follows it"
fi

# 10. A _Fork child (no fork handlers) made while the server was held
# after a profile file's open keeps that file, as it keeps every
# descriptor of the server's; its own fork's handler closes it, as still
# that very file (its identity, taken as the number was stored).  Only
# where inode numbers are not reused (tmpfs: src/http_fds.h); elsewhere
# only a direct child of the server's process takes a number unchecked.
# It was kept: the identity was taken only once the file was unlinked.
if [[ $RC_PROBE != 77 && $dir == /dev/shm && $(stat -f -c %T /dev/shm) == tmpfs ]]; then
    parked_orphan orphankeep keep
    grep -qx 'grandchild holds none' "$W/orphankeep.out" ||
        fail "orphankeep: a _Fork child's child kept the profile file: $(grep '^grandchild' "$W/orphankeep.out" || cat "$W/orphankeep.out")"
    note "a _Fork child's fork closes the profile file the _Fork child inherited"
else
    note "10 skipped: /dev/shm is not the profiles' tmpfs here (dir $dir)"
fi

note "ok"

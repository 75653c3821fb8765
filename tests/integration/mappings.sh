#!/usr/bin/env bash
# integ_mappings: the profile's Mapping table as go tool pprof reads it.
#
# Mapping 1 is the main program's, wherever it lies: pprof takes
# mapping[0] for the main binary (profile.proto), prints it as "File:" and
# gives it the path of `go tool pprof BINARY FILE`.  Under
# `ulimit -s unlimited` the kernel maps libraries bottom-up, below a PIE
# program, and `ld.so ./prog` maps the program among its libraries: sorted
# by address, mapping 1 was a library (liblzma, which libunwind brings), so
# pprof said "File: liblzma.so.5" and `go tool pprof ./prog FILE`
# symbolized liblzma's addresses from the program.
#
# Without /proc/self/maps the profile has no mappings, and its line says
# why.
source "$(dirname "$0")/lib.sh"
need_env PROG_PLAIN
require_go

bin=$(basename "$PROG_PLAIN")

# first_mapping RAWFILE: the path of mapping 1 in `go tool pprof -raw`.
first_mapping() {
    awk '/^Mappings/ {m = 1; next} m && $1 == "1:" {print $3; exit}' "$1"
}

# check_main NAME: the profile of run NAME has the program as mapping 1.
check_main() {
    local p
    p=$(newest_profile "$W/$1")
    summarize "$p"
    pprof_to "$p" "$p.raw" -raw -symbolize=none
    [[ $(first_mapping "$p.raw") == "$PROG_PLAIN" ]] ||
        fail "$1: mapping 1 is $(first_mapping "$p.raw"), not the program $PROG_PLAIN: $(sed -n '/^Mappings/,$p' "$p.raw" | head -n 8)"
    pprof_top "$p" "$p.top" -symbolize=none
    grep -qx "File: $bin" "$p.top" || fail "$1: go tool pprof -top: $(head -n 1 "$p.top"), expected File: $bin"
}

# Libraries below the program.
run unlimited_stack HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/unl" -- bash -c 'ulimit -s unlimited && exec "$0"' "$PROG_PLAIN"
expect_rc unlimited_stack 7
check_main unl

# The program loaded by ld.so run as a command.
ldso=$(readelf -lW "$PROG_PLAIN" | sed -n 's/.*\[Requesting program interpreter: \(.*\)\]$/\1/p')
[[ -x $ldso ]] || fail "no program interpreter found in $PROG_PLAIN"
run ldso HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/ldso" -- "$ldso" "$PROG_PLAIN"
expect_rc ldso 7
check_main ldso

# No /proc (a chroot, a sandbox): the profile is written, and the one line
# says why it has no mappings; it said "out of memory".
if unshare --mount --propagation private true 2>/dev/null; then
    set +e
    unshare --mount --propagation private sh -c \
        'mount -t tmpfs none /proc && exec env LD_PRELOAD="$1" HEAPPROF_OUT="$2" "$3"' \
        sh "$HEAPPROF_LIB" "$W/np" "$PROG_PLAIN" >"$W/np.out" 2>"$W/np.err"
    RC=$?
    set -e
    expect_rc np 7
    [[ $(hp_count "$W/np.err") -eq 1 ]] &&
        grep -qxF "a profile was written without some names: cannot read /proc/self/maps: No such file or directory (read again for the next)" <(hp_msgs "$W/np.err") ||
        fail "without /proc: expected one line saying /proc/self/maps cannot be read, got: $(hp_lines "$W/np.err")"
    summarize "$(newest_profile "$W/np")"
else
    note "no mount namespace here: the case without /proc is skipped"
fi
note "ok: the main program is mapping 1; without /proc, the line says so"

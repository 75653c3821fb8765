#!/usr/bin/env bash
# lifecycle_fork_tmpfile: a directory whose file system refuses O_TMPFILE
# (NFS, vfat, an old kernel, a seccomp filter; tmpfileshim.c) is asked once
# per process, not once per profile, and a fork child asks again only where
# its prefix names another directory.  Every profile asked O_TMPFILE again
# before its named file.
#  1. Same directory: the parent's first profile is refused; its exit
#     profile and the child's two (the child inherits what its parent
#     learnt) go to named files without asking.
#  2. %p in the directory: the parent's is refused, the child's is another
#     directory (on a file system with unnamed files here), which it asks
#     for and gets.
source "$(dirname "$0")/lib.sh"
need_env LC_FORK LC_TMPFILESHIM
lib=$HEAPPROF_LIB

# pids NAME: ppid and cpid from the program's output; the child exited 0.
pids() {
    local cst
    ppid=$(awk '$1=="parent" {print $2}' "$W/$1.out")
    read -r cpid cst < <(awk '$1=="child" {print $2, $3}' "$W/$1.out")
    [[ -n $ppid && -n $cpid ]] || fail "$1: the program did not report its pids: $(cat "$W/$1.out")"
    [[ $cst -eq 0 ]] || fail "$1: the child exited with status $cst, expected 0"
}

# ---- 1 ------------------------------------------------------------------------
mkdir -p "$W/same"
HEAPPROF_LIB="$LC_TMPFILESHIM $lib" run same TMPFILE_SHIM=notmpfile TMPFILE_SHIM_LOG="$W/same.log" \
    HEAPPROF_OUT="$W/same/f" -- "$LC_FORK" basic
expect_rc same 0
no_heapprof_lines same
pids same
for who in "$ppid" "$cpid"; do
    [[ $(expect_contiguous "$W/same/f" "$who") -eq 2 ]] ||
        fail "1: expected 2 profiles of process $who, found: $(ls "$W/same")"
done
no_tmp_left "$W/same"
[[ $(grep -c '^tmpfile ' "$W/same.log") -eq 1 ]] ||
    fail "1: 4 profiles in a directory without O_TMPFILE should ask for it once, asked: $(sort "$W/same.log" | uniq -c)"
note "1: four profiles of a parent and its child, O_TMPFILE asked once"

# ---- 2 ------------------------------------------------------------------------
HEAPPROF_LIB="$LC_TMPFILESHIM $lib" run dirs TMPFILE_SHIM=marked TMPFILE_SHIM_LOG="$W/dirs.log" \
    HEAPPROF_OUT="$W/d%p/f" -- "$LC_FORK" dirs
expect_rc dirs 0
no_heapprof_lines dirs
pids dirs
[[ $(expect_contiguous "$W/d$ppid/f" "$ppid") -eq 2 ]] || fail "2: expected the parent's 2 profiles, found: $(ls "$W/d$ppid")"
[[ $(expect_contiguous "$W/d$cpid/f" "$cpid") -eq 1 ]] || fail "2: expected the child's profile, found: $(ls "$W/d$cpid")"
no_tmp_left "$W/d$ppid"
no_tmp_left "$W/d$cpid"
[[ $(grep -c "^tmpfile $W/d$ppid refused\$" "$W/dirs.log") -eq 1 ]] ||
    fail "2: the parent's directory should be asked once (2 profiles): $(sort "$W/dirs.log" | uniq -c)"
grep -qx "tmpfile $W/d$cpid OK" "$W/dirs.log" ||
    fail "2: the child, whose prefix names another directory, did not ask for an unnamed file there: $(sort "$W/dirs.log" | uniq -c)"
note "2: a child whose directory differs asks there, and gets an unnamed file"
note "ok"

#!/usr/bin/env bash
# lifecycle_exec: children started with fork+exec.
#  1. Default HEAPPROF_CHILDREN=1: the child inherits the preload and writes
#     its own profile under its own pid, with its own values only.
#  2. HEAPPROF_CHILDREN=0: the child's LD_PRELOAD no longer names libheapprof
#     (other entries stay, whether separated by ':' or ' '), and it writes no
#     profile; the parent still does.
#  3. exec in place (same pid): the new image is profiled too.  What happens
#     to the profile the process wrote before exec is reported (NOTE).
#  4. Every exec function (heapprof interposes them all) passes the
#     arguments and the environment on as it was given them; a failed one
#     returns -1 and its errno, and profiles go on being written, also
#     after a vfork child's exec (which shares the parent's memory).
#  5. exec in place while a profile is being written (holdsync.c, listed
#     first, holds it in its fdatasync): the exec waits for it, so the
#     profile is on disk whole and no temporary file is left; the image
#     before it wrote it, the new one its own next.
#  6. Another preloaded library, listed after libheapprof, whose execv calls
#     execve (execvia.c): heapprof's execve is then entered on a thread
#     whose exec of heapprof's already holds the dump lock.  It goes on at
#     once; it waited 10 s for itself and said a profile was being written.
source "$(dirname "$0")/lib.sh"
need_env LC_EXEC LC_EXECCHILD LC_NOOP LC_HOLDSYNC LC_EXECVIA

SZ=1000
libname=$(basename "$HEAPPROF_LIB")

# ---- 1 ------------------------------------------------------------------------------
run e1 HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/e1" -- "$LC_EXEC" forkexec "$LC_EXECCHILD"
expect_rc e1 0
no_heapprof_lines e1
read -r ppid cpid cst < <(awk '$1=="parent" {print $2, $4, $5}' "$W/e1.out")
[[ -n $cpid && $cst == 0 ]] || fail "1: the parent did not report a child that exited 0: $(cat "$W/e1.out")"
grep -q "child pid $cpid" "$W/e1.out" || fail "1: the child did not run: $(cat "$W/e1.out")"
grep -q "^child LD_PRELOAD=\[.*$libname.*\]" "$W/e1.out" ||
    fail "1: HEAPPROF_CHILDREN=1: expected the child's LD_PRELOAD to name $libname, found: $(grep 'child LD_PRELOAD' "$W/e1.out")"
got=$(pids_of "$W/e1" | tr '\n' ' ')
want=$(printf '%s\n' "$ppid" "$cpid" | sort -n | tr '\n' ' ')
[[ $got == "$want" ]] || fail "1: expected profiles from the parent ($ppid) and the exec'd child ($cpid), found pids: $got"
[[ $(expect_contiguous "$W/e1" "$cpid") -eq 1 ]] || fail "1: expected one (exit) profile from the child"
c1=$(printf '%s.%s.%04d.pb.gz' "$W/e1" "$cpid" 1)
p1=$(printf '%s.%s.%04d.pb.gz' "$W/e1" "$ppid" 1)
decode "$c1"
decode "$p1"
if have_go; then
    [[ $(comment "$c1.raw" pid) == "$cpid" && $(reason "$c1.raw") == exit ]] ||
        fail "1: $c1: expected pid=$cpid reason=exit, found pid=$(comment "$c1.raw" pid) reason=$(reason "$c1.raw")"
    values_eq "1: child: leaf ec_child_alloc" "$(leaf "$c1.raw" ec_child_alloc)" "10 $((10 * SZ)) 10 $((10 * SZ))"
    values_eq "1: child (a new image): leaf ex_parent" "$(leaf "$c1.raw" ex_parent)" "0 0 0 0"
    values_eq "1: parent: leaf ex_parent" "$(leaf "$p1.raw" ex_parent)" "5 $((5 * SZ)) 5 $((5 * SZ))"
fi
note "1: HEAPPROF_CHILDREN=1: the exec'd child $cpid wrote its own profile"

# ---- 2 ------------------------------------------------------------------------------
# run_plain with LD_PRELOAD among the variables: several entries.
i=0
for pre in "$LC_NOOP:$HEAPPROF_LIB" "$HEAPPROF_LIB $LC_NOOP" "$HEAPPROF_LIB"; do
    i=$((i + 1))
    want_pre="[$LC_NOOP]"
    [[ $pre == "$HEAPPROF_LIB" ]] && want_pre="[]"
    run_plain e2_$i HEAPPROF_CHILDREN=0 HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/e2_$i" LD_PRELOAD="$pre" \
        -- "$LC_EXEC" forkexec "$LC_EXECCHILD"
    expect_rc e2_$i 0
    no_heapprof_lines e2_$i
    read -r ppid cpid cst < <(awk '$1=="parent" {print $2, $4, $5}' "$W/e2_$i.out")
    [[ -n $cpid && $cst == 0 ]] || fail "2: the parent did not report a child that exited 0: $(cat "$W/e2_$i.out")"
    got_pre=$(sed -n 's/^child LD_PRELOAD=//p' "$W/e2_$i.out")
    [[ $got_pre == "$want_pre" ]] ||
        fail "2: HEAPPROF_CHILDREN=0 with LD_PRELOAD='$pre': expected the child to see LD_PRELOAD=$want_pre, found $got_pre"
    got=$(pids_of "$W/e2_$i" | tr '\n' ' ')
    [[ $got == "$ppid " ]] || fail "2: HEAPPROF_CHILDREN=0: expected profiles from the parent $ppid only, found pids: $got"
    decode "$(printf '%s.%s.%04d.pb.gz' "$W/e2_$i" "$ppid" 1)"
done
note "2: HEAPPROF_CHILDREN=0: libheapprof removed from the child's LD_PRELOAD (other entries kept), no child profile"

# ---- 3 ------------------------------------------------------------------------------
run e3 HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/e3" -- "$LC_EXEC" exec "$LC_EXECCHILD"
expect_rc e3 0
no_heapprof_lines e3
pid=$(awk '$1=="parent" {print $2}' "$W/e3.out")
grep -q "child pid $pid" "$W/e3.out" || fail "3: the exec'd image should keep pid $pid: $(cat "$W/e3.out")"
files=$(profiles "$W/e3" "$pid" | xargs -n1 basename | tr '\n' ' ')
[[ -n $files ]] || fail "3: no profile under pid $pid"
found_exit=0 found_signal=0
for f in $(profiles "$W/e3" "$pid"); do
    decode "$f"
    have_go || continue
    case $(reason "$f.raw") in
    exit)
        found_exit=1
        values_eq "3: exec'd image: leaf ec_child_alloc" "$(leaf "$f.raw" ec_child_alloc)" "10 $((10 * SZ)) 10 $((10 * SZ))" ;;
    signal) found_signal=1 ;;
    esac
done
if have_go; then
    ((found_exit)) || fail "3: the exec'd image (pid $pid) wrote no exit profile; files: $files"
    if ((!found_signal)); then
        note "NOTE 3: exec in place: the new image restarts the sequence at 0001 under the same pid and its exit profile replaced the profile written before exec (files now: $files)"
    else
        note "3: exec in place: both the pre-exec profile and the new image's profile are on disk: $files"
    fi
fi
# ---- 4 ------------------------------------------------------------------------------
run e4 HEAPPROF_OUT="$W/e4" -- "$LC_EXEC" forms /bin/sh
expect_rc e4 0
no_heapprof_lines e4
want="form execl: [zero] [one] [1]
form execlp: [zero] [one] [1]
form execle: [zero] [one] [1]
form execv: [zero] [one] [1]
form execvp: [zero] [one] [1]
form execvpe: [zero] [one] [1]
form execve: [zero] [one] [1]
form fexecve: [zero] [one] [1]
form execveat: [zero] [one] [1]
form vfork: [zero] [one] [1]
forms done"
[[ $(cat "$W/e4.out") == "$want" ]] || fail "4: the exec functions passed on other arguments or environments:
$(diff <(echo "$want") "$W/e4.out")"
note "4: each exec function passed its arguments and environment on; a failed one returned ENOENT"

# ---- 5 ------------------------------------------------------------------------------
HEAPPROF_LIB="$LC_HOLDSYNC $HEAPPROF_LIB" run e5 HEAPPROF_SAMPLE=1 HOLDSYNC_FILE="$W/e5.go" HEAPPROF_OUT="$W/e5" \
    -- "$LC_EXEC" held "$LC_EXECCHILD"
expect_rc e5 0
no_heapprof_lines e5
pid=$(awk '$1=="parent" {print $2}' "$W/e5.out")
[[ -n $pid ]] || fail "5: the program did not say it execs: $(cat "$W/e5.out")"
grep -q "child pid $pid" "$W/e5.out" || fail "5: the exec'd image did not run: $(cat "$W/e5.out")"
left=$(compgen -G "$W/e5.*.tmp" || true)
[[ -z $left ]] || fail "5: exec during a profile left its temporary file: $left"
f1=$(printf '%s.%s.%04d.pb.gz' "$W/e5" "$pid" 1)
f2=$(printf '%s.%s.%04d.pb.gz' "$W/e5" "$pid" 2)
[[ -s $f1 && -s $f2 ]] || fail "5: expected the held profile 0001 and the new image's 0002, found: $(profiles "$W/e5" "$pid" | xargs -n1 basename | tr '\n' ' ')"
decode "$f1"
decode "$f2"
if have_go; then
    [[ $(reason "$f1.raw") == signal && $(reason "$f2.raw") == exit ]] ||
        fail "5: expected 0001 reason=signal and 0002 reason=exit, found $(reason "$f1.raw") and $(reason "$f2.raw")"
    values_eq "5: the held profile: leaf ex_parent" "$(leaf "$f1.raw" ex_parent)" "5 $((5 * SZ)) 5 $((5 * SZ))"
    values_eq "5: the new image: leaf ec_child_alloc" "$(leaf "$f2.raw" ec_child_alloc)" "10 $((10 * SZ)) 10 $((10 * SZ))"
fi
note "5: exec waited for the profile being written: $(basename "$f1") whole, no temporary file"
# ---- 6 ------------------------------------------------------------------------------
t0=$SECONDS
HEAPPROF_LIB="$HEAPPROF_LIB $LC_EXECVIA" run e6 HEAPPROF_OUT="$W/e6" -- "$LC_EXEC" exec "$LC_EXECCHILD"
took=$((SECONDS - t0))
expect_rc e6 0
no_heapprof_lines e6
pid=$(awk '$1=="parent" {print $2}' "$W/e6.out")
grep -q "child pid $pid" "$W/e6.out" || fail "6: the exec'd image did not run: $(cat "$W/e6.out")"
((took < 8)) || fail "6: exec through another preload's execv took $took s (waited for its own lock?)"
note "6: exec through another preload's execv, which calls execve: no wait ($took s)"
note "ok"

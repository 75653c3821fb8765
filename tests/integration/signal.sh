#!/usr/bin/env bash
# integ_signal: HEAPPROF_SIGNAL writes a numbered profile when the signal
# arrives (default SIGUSR2; a name or a number; 0/off leaves the signal
# alone, and without another trigger heapprof then starts no writer
# thread).  Exact mode, so each profile's content is checked to the byte:
# a profile taken between two phases holds the first phase only.
source "$(dirname "$0")/lib.sh"
need_env PROG_TRIGGER

USR1=$(kill -l USR1)
USR2=$(kill -l USR2)

# profile_has_phases FILE.sum EXPECTFILE PHASES: the expect lines of the
# given sites match; the other phase sites are absent.
check_phase() {
    local sum=$1 exp=$2 site=$3 present=$4 want got
    want=$(awk -v s="$site" '$1=="expect" && $2==s {print $3, $4, $5, $6}' "$exp")
    got=$(field "$sum" leaf "$site")
    if [[ $present == yes ]]; then
        [[ -n $want && $got == "$want" ]] || fail "$sum: $site expected ($want), found (${got:-absent})"
    else
        [[ -z $got ]] || fail "$sum: $site allocated after the profile was taken, yet it shows ($got)"
    fi
}

# 1. Default signal (SIGUSR2), raised by the program itself.
run usr2 HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/u2" -- "$PROG_TRIGGER" raise "$USR2"
expect_rc usr2 0
no_heapprof_lines usr2
pid=$(only_pid "$W/u2")
got=$(profiles "$W/u2" | xargs -n1 basename | tr '\n' ' ')
[[ $got == "u2.$pid.0001.pb.gz u2.$pid.0002.pb.gz " ]] ||
    fail "expected profiles 0001 (signal) and 0002 (exit), found: $got"
p1="$W/u2.$pid.0001.pb.gz" p2="$W/u2.$pid.0002.pb.gz"
summarize "$p1"
summarize "$p2"
check_header "$p1.sum" 1
check_header "$p2.sum" 1
grep -q '^comment .*reason=signal seq=1' "$p1.sum" || fail "$p1: expected 'reason=signal seq=1' in the comments: $(grep '^comment' "$p1.sum" | head -n 1)"
grep -q '^comment .*reason=exit seq=2' "$p2.sum" || fail "$p2: expected 'reason=exit seq=2' in the comments: $(grep '^comment' "$p2.sum" | head -n 1)"
check_phase "$p1.sum" "$W/usr2.out" tr_phase1 yes
check_phase "$p1.sum" "$W/usr2.out" tr_phase2 no
compare_expect "$W/usr2.out" "$p2.sum"
a1=$(awk '$1=="total"{print $3}' "$p1.sum")
a2=$(awk '$1=="total"{print $3}' "$p2.sum")
[[ $a1 -lt $a2 ]] || fail "alloc_space of the signal profile ($a1) should be less than the exit profile's ($a2)"
no_tmp_left "$W"
pprof_check "$p1" tr_phase1
pprof_check "$p2" tr_phase1 tr_phase2

# 2. Several signals: one profile each, numbered in order, cumulative.
run rounds HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/r" -- "$PROG_TRIGGER" raise-n "$USR2" 3
expect_rc rounds 0
pid=$(only_pid "$W/r")
[[ $(profiles "$W/r" | wc -l) -eq 4 ]] || fail "3 signals + exit: expected 4 profiles, found: $(profiles "$W/r")"
for r in 1 2 3; do
    f="$W/r.$pid.000$r.pb.gz"
    [[ -f $f ]] || fail "missing $f"
    summarize "$f"
    want=$(awk -v r=$r '$1=="round" && $2==r {print $4}' "$W/rounds.out")
    got=$(field "$f.sum" leaf tr_round)
    [[ ${got:-} == "$r $want $r $want" ]] ||
        fail "$f: after $r rounds tr_round should be ($r $want $r $want), found (${got:-absent})"
    pprof_quick "$f"
done
f="$W/r.$pid.0004.pb.gz"
summarize "$f"
compare_expect "$W/rounds.out" "$f.sum"
pprof_quick "$f"

# 3. The default signal handler is installed, and only for SIGUSR2.
run probe_def HEAPPROF_OUT="$W/probe_def" -- "$PROG_TRIGGER" probe "$USR2"
grep -qx "disposition $USR2 handler" "$W/probe_def.out" ||
    fail "default config: SIGUSR2 should have heapprof's handler, found: $(cat "$W/probe_def.out")"
run_plain probe_none -- "$PROG_TRIGGER" probe "$USR2"
grep -qx "disposition $USR2 default" "$W/probe_none.out" ||
    fail "without the preload SIGUSR2 should be SIG_DFL, found: $(cat "$W/probe_none.out")"

# 4. HEAPPROF_SIGNAL=USR1 (a name): USR1 dumps, USR2 is left alone.
run probe_u1 HEAPPROF_SIGNAL=USR1 HEAPPROF_OUT="$W/probe_u1" -- "$PROG_TRIGGER" probe "$USR1"
grep -qx "disposition $USR1 handler" "$W/probe_u1.out" || fail "HEAPPROF_SIGNAL=USR1: SIGUSR1 has no handler: $(cat "$W/probe_u1.out")"
run probe_u1b HEAPPROF_SIGNAL=USR1 HEAPPROF_OUT="$W/probe_u1b" -- "$PROG_TRIGGER" probe "$USR2"
grep -qx "disposition $USR2 default" "$W/probe_u1b.out" || fail "HEAPPROF_SIGNAL=USR1: SIGUSR2 should stay SIG_DFL: $(cat "$W/probe_u1b.out")"
run usr1 HEAPPROF_SAMPLE=1 HEAPPROF_SIGNAL=USR1 HEAPPROF_OUT="$W/u1" -- "$PROG_TRIGGER" raise "$USR1"
expect_rc usr1 0
no_heapprof_lines usr1
pid=$(only_pid "$W/u1")
summarize "$W/u1.$pid.0001.pb.gz"
check_phase "$W/u1.$pid.0001.pb.gz.sum" "$W/usr1.out" tr_phase1 yes
check_phase "$W/u1.$pid.0001.pb.gz.sum" "$W/usr1.out" tr_phase2 no
summarize "$W/u1.$pid.0002.pb.gz"
compare_expect "$W/usr1.out" "$W/u1.$pid.0002.pb.gz.sum"
pprof_quick "$W/u1.$pid.0001.pb.gz"
pprof_quick "$W/u1.$pid.0002.pb.gz"

# 5. HEAPPROF_SIGNAL as a number (a real-time signal), sent by this script.
RT=$(($(kill -l RTMIN) + 6))
run probe_rt HEAPPROF_SIGNAL=$RT HEAPPROF_OUT="$W/probe_rt" -- "$PROG_TRIGGER" probe "$RT"
grep -qx "disposition $RT handler" "$W/probe_rt.out" || fail "HEAPPROF_SIGNAL=$RT: no handler for signal $RT: $(cat "$W/probe_rt.out")"
run_bg rt HEAPPROF_SAMPLE=1 HEAPPROF_SIGNAL=$RT HEAPPROF_OUT="$W/rt" -- "$PROG_TRIGGER" wait 1
bgpid=$BGPID
wait_for_line "$W/rt.out" '^ready$' 30 "$bgpid"
kill -s "$RT" "$bgpid"
finish "$bgpid"
expect_rc rt 0
no_heapprof_lines rt
summarize "$W/rt.$bgpid.0001.pb.gz"
check_phase "$W/rt.$bgpid.0001.pb.gz.sum" "$W/rt.out" tr_phase1 yes
check_phase "$W/rt.$bgpid.0001.pb.gz.sum" "$W/rt.out" tr_phase2 no
summarize "$W/rt.$bgpid.0002.pb.gz"
compare_expect "$W/rt.out" "$W/rt.$bgpid.0002.pb.gz.sum"
pprof_quick "$W/rt.$bgpid.0001.pb.gz"
pprof_quick "$W/rt.$bgpid.0002.pb.gz"

# 5b. A real-time signal by name.
run probe_rtname HEAPPROF_SIGNAL=RTMIN+3 HEAPPROF_OUT="$W/probe_rtname" -- "$PROG_TRIGGER" probe "$(($(kill -l RTMIN) + 3))"
grep -q " handler$" "$W/probe_rtname.out" || fail "HEAPPROF_SIGNAL=RTMIN+3: no handler installed: $(cat "$W/probe_rtname.out")"
no_heapprof_lines probe_rtname

# 6. HEAPPROF_SIGNAL=off and =0: the default disposition stays, so SIGUSR2
#    terminates the program as it would without the preload, and no profile
#    is written (neither for the signal nor at exit: the process was killed).
for v in off 0; do
    run "probe_$v" HEAPPROF_SIGNAL=$v HEAPPROF_OUT="$W/probe_$v" -- "$PROG_TRIGGER" probe "$USR2"
    grep -qx "disposition $USR2 default" "$W/probe_$v.out" ||
        fail "HEAPPROF_SIGNAL=$v: SIGUSR2 should stay SIG_DFL, found: $(cat "$W/probe_$v.out")"
    no_heapprof_lines "probe_$v"
    run "off_$v" HEAPPROF_SAMPLE=1 HEAPPROF_SIGNAL=$v HEAPPROF_OUT="$W/off$v" -- "$PROG_TRIGGER" raise "$USR2"
    expect_rc "off_$v" $((128 + USR2))
    [[ -z $(profiles "$W/off$v") ]] || fail "HEAPPROF_SIGNAL=$v: no profile expected, found: $(profiles "$W/off$v")"
done

# 7. The writer thread starts only when a trigger needs it.  With the signal
#    off and no period, high-water or limit trigger, the program keeps its
#    one thread (and glibc's single-thread malloc path), and the exit profile
#    is still written, complete.
run thr_def HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/td" -- "$PROG_TRIGGER" threads
expect_rc thr_def 0
grep -qx "threads 2" "$W/thr_def.out" ||
    fail "default config: expected the program's thread and heapprof's writer, found: $(grep '^threads' "$W/thr_def.out")"
#    The start-up sweep of temporary files left by killed processes runs
#    without the thread too: a dead process's goes, a live one's stays.
#    A name holds the writer's pid namespace: a dead pid of ours goes, the
#    same pid in another namespace (a container sharing the directory,
#    whose process may be alive) stays.
true & dead=$!
wait "$dead"
ns=$(stat -L -c %i /proc/self/ns/pid)
stale="$W/to.$dead.0001.pb.gz.$dead.tmp" live="$W/to.$$.0001.pb.gz.$$.tmp"
stale_ns="$W/to.$dead.0002.pb.gz.$dead.$ns.tmp" other_ns="$W/to.$dead.0003.pb.gz.$dead.$((ns + 1)).tmp"
echo partial >"$stale"
echo partial >"$live"
echo partial >"$stale_ns"
echo partial >"$other_ns"
run thr_off HEAPPROF_SAMPLE=1 HEAPPROF_SIGNAL=off HEAPPROF_OUT="$W/to" -- "$PROG_TRIGGER" threads
expect_rc thr_off 0
[[ ! -e $stale ]] || fail "HEAPPROF_SIGNAL=off: the stale $stale of dead process $dead was not removed"
[[ ! -e $stale_ns ]] || fail "the stale $stale_ns of dead process $dead in our pid namespace was not removed"
[[ -e $live ]] || fail "the temporary file $live of a live process (this test) was removed"
[[ -e $other_ns ]] || fail "$other_ns, of another pid namespace, was removed"
rm -f "$live" "$other_ns"
no_heapprof_lines thr_off
grep -qx "threads 1" "$W/thr_off.out" ||
    fail "HEAPPROF_SIGNAL=off and no other trigger: heapprof should start no thread, found: $(grep '^threads' "$W/thr_off.out")"
pid=$(only_pid "$W/to")
summarize "$W/to.$pid.0001.pb.gz"
grep -q '^comment .*reason=exit seq=1' "$W/to.$pid.0001.pb.gz.sum" || fail "HEAPPROF_SIGNAL=off: expected the exit profile as 0001"
compare_expect "$W/thr_off.out" "$W/to.$pid.0001.pb.gz.sum"
pprof_quick "$W/to.$pid.0001.pb.gz"
for t in HEAPPROF_PERIOD=3600 HEAPPROF_HIGHWATER=1g HEAPPROF_LIMIT_DUMP=90; do
    n=thr_${t%%=*}
    run "$n" HEAPPROF_SIGNAL=off "$t" HEAPPROF_OUT="$W/$n" -- "$PROG_TRIGGER" threads
    expect_rc "$n" 0
    grep -qx "threads 2" "$W/$n.out" ||
        fail "HEAPPROF_SIGNAL=off $t: that trigger needs the writer thread, found: $(grep '^threads' "$W/$n.out")"
done
no_tmp_left "$W"
note "ok"

#!/usr/bin/env bash
# lifecycle_host_lowfd_start: open() returns the lowest free descriptor
# number (POSIX) from the program's first instant too.  The writer thread,
# started by the constructor, probes whether pidfd_getfd works before it
# moves to a descriptor table of its own (threads.c); the probe made a
# pidfd and a copy of fd 2 in the program's table while the program ran,
# and a program that had closed fd 0 and opened a file at once got another
# number (one run in eleven).  Sixty runs of lowfdctor.c, each watching
# its first 30 ms: the number is always 0.  The writer's lines still reach
# the program's stderr (the probe still says pidfd_getfd works).
source "$(dirname "$0")/lib.sh"
need_env LC_LOWFDCTOR

for i in $(seq 60); do
    run lf HEAPPROF_OUT="$W/p" -- "$LC_LOWFDCTOR"
    [[ $RC -eq 0 ]] || fail "run $i: the program's open() got another number than 0: $(cat "$W/lf.out") $(cat "$W/lf.err")"
    no_heapprof_lines lf
done

# The writer still moves to a table of its own (the probe still says
# pidfd_getfd works): it has none of the program's descriptors.
run_bg bg HEAPPROF_OUT="$W/bg" -- sleep 30
tid=
for ((i = 0; i < 600; i++)); do # 30 s: a wait, not a timing
    for t in /proc/"$BGPID"/task/*; do
        [[ $(cat "$t/comm" 2>/dev/null) == heapprof-writer ]] && tid=${t##*/}
    done
    [[ -z $tid ]] || break
    sleep 0.05
done
[[ -n $tid ]] || fail "no thread named heapprof-writer in $BGPID after 30 s"
# It names itself first thing, then moves: wait for the move (30 s at most,
# on a loaded machine), not a fixed time.
moved=
for ((i = 0; i < 600; i++)); do # 30 s: a wait, not a timing
    if [[ $(readlink /proc/"$BGPID"/task/"$tid"/fd/2) != "$(readlink /proc/"$BGPID"/fd/2)" ]]; then
        moved=1
        break
    fi
    sleep 0.05
done
[[ -n $moved ]] ||
    fail "the writer shares the program's descriptor table after 30 s: $(ls -l /proc/"$BGPID"/task/"$tid"/fd)"
kill "$BGPID"

# A profile the writer cannot write is one line on the program's stderr,
# written from its own table through a pidfd of the process.  The writer's
# alone: no exit profile (HEAPPROF_ON_EXIT=0, and the process is killed),
# whose line, written on the program's thread, said the same (with the
# writer's lines lost, this passed), and waited for (30 s at most).
run_bg gone HEAPPROF_OUT="$W/none/p" HEAPPROF_PERIOD=0.01 HEAPPROF_ON_EXIT=0 -- sleep 30
said=
for ((i = 0; i < 600; i++)); do # 30 s: a wait, not a timing
    if hp_msgs "$W/gone.err" | grep -q "^cannot write profile $W/none/p"; then
        said=1
        break
    fi
    sleep 0.05
done
kill "$BGPID"
[[ -n $said ]] ||
    fail "the writer's line about the profile it cannot write is missing after 30 s: $(cat "$W/gone.err")"
note "ok: $(cat "$W/lf.out") in each of 60 runs"

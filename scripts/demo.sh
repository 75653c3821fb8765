#!/usr/bin/env bash
# Build heapprof, profile a leaking example program, and show the result:
# an early profile (taken by signal) against the exit profile, diffed with
# go tool pprof so the growing allocation site comes out on top, and with
# heapprof's own command (growth with its error, and how much of the late
# heap was allocated since the early profile); then the late profile alone,
# filtered to the objects that stayed live 2 s or more; last, a flame graph
# of what changed, as an SVG file.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
out=$(mktemp -d /tmp/heapprof-demo.XXXXXX)
cc -O1 -g -fno-omit-frame-pointer -o "$out/leaky" scripts/demo_leaky.c
export GOCACHE=${GOCACHE:-$out/gocache} HOME=${HOME:-$out}

echo "== running $out/leaky for 3 s under the profiler (sampling every 64 KiB on average)"
HEAPPROF_OUT="$out/leaky" HEAPPROF_SAMPLE=64k LD_PRELOAD="$PWD/build/libheapprof.so" \
  "$out/leaky" 3 &
pid=$!
sleep 1
kill -USR2 "$pid"          # the early profile: $out/leaky.<pid>.0001.pb.gz
wait "$pid"                # the exit profile:  $out/leaky.<pid>.0002.pb.gz
early="$out/leaky.$pid.0001.pb.gz" late="$out/leaky.$pid.0002.pb.gz"
ls -l "$early" "$late"

echo
echo "== what is live at exit (go tool pprof -top $late)"
go tool pprof -top -nodecount=8 "$late" 2>/dev/null
echo
echo "== what grew between the early and the late profile (go tool pprof -top -base EARLY LATE)"
go tool pprof -top -nodecount=8 -base "$early" "$late" 2>/dev/null
echo
echo "== the same with heapprof's command: growth ± error, new (allocated since EARLY) and old (heapprof leaks EARLY LATE)"
build/heapprof leaks -n 5 "$early" "$late"
echo
echo "== from the late profile alone: what has stayed live 2 s or more (go tool pprof -top -tagfocus age=2s: LATE)"
go tool pprof -top -nodecount=8 -tagfocus 'age=2s:' "$late" 2>/dev/null
echo
echo
echo "== a flame graph of what changed, as one SVG file (heapprof flame --base EARLY LATE)"
build/heapprof flame --base "$early" "$late" -o "$out/growth.svg"
echo "Open it in a browser: the leak is the red tower.  Or: go tool pprof -http=:8080 -base $early $late"

#!/usr/bin/env bash
# heapprof's benchmark suite: overhead against plain allocators and against
# the other heap profilers, memory, instructions per malloc+free, and the
# cost of writing a profile.  See docs/benchmarks.md.
#
# Usage: scripts/bench.sh [--quick] [--runs N] [--budget S] [--scale F] [--small-div D]
#                         [--workloads churn,xthread,large,cxx,deep,sites]
#                         [--configs glibc,hp,...] [--sections timing,rss,sidebyside,callgrind,samplecost,cachesim,dump]
#                         [--dump-runs N] [--dump-args ARGS] [--build-dir DIR] [--src DIR] [--out FILE]
#                         [--no-install]
#
#   (default)   full run: 15 runs of every configuration (fewer for one
#               slower than 6 s a run, see --budget), full sizes; about 45
#               minutes on 2 cores (much longer on a loaded machine).
#   --quick     smoke test: 3 runs, a quarter of the sizes, fewer dump runs;
#               1-2 minutes.
#   --runs N    timing runs per configuration (rounds of the A/B/C... rotation)
#   --budget S  seconds of timing runs per configuration and workload: one
#                whose first run is slow runs S/that times (at least 3);
#                0 for no limit (default 90)
#   --scale F   multiply every workload's size by F
#   --side-runs N  side-by-side rounds per pair (default 11)
#   --side-scale F side-by-side workload size, a fraction of the full size
#                (default 0.34)
#   --sim-scale F  cachesim section's workload size, a fraction of the full
#                size (default 0.05)
#   --dump-args ARGS  more arguments of the dump section's dumpstacks runs
#                (bands=1: three samples a stack, two lifetime bands and an
#                age band, instead of one)
#   --out FILE  also write the markdown report to FILE
#                (default: BUILD_DIR/bench-report.md)
#   --build-dir DIR  where the library and the workloads are built
#                (default: build-bench)
#   --src DIR   build the library from this source tree instead of this
#                checkout (e.g. an export of a commit:
#                git archive HEAD | tar -x -C /tmp/hp); the workloads and
#                the driver still come from this checkout
#   --lib-desc TEXT  how the report names the library's source (default:
#                the commit of this checkout, or the --src directory)
#   --no-install  do not apt-get the peers (they must be there already)
#
# Needs root (or sudo) for apt-get on Debian 12; everything else runs as the
# calling user.  Profiles and temporary files go to a fresh directory under
# $TMPDIR (removed at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

build=build-bench
src=.
desc=""
install=1
quick=0
py_args=()
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --no-install) install=0 ;;
    --build-dir) build=$2; shift ;;
    --src) src=$2; shift ;;
    --lib-desc) desc=$2; shift ;;
    --out) out=$2; shift ;;
    --runs|--budget|--scale|--small-div|--workloads|--configs|--sections|--dump-runs|--dump-args|--dump-stacks|--cg-pairs|--side-runs|--side-scale|--sim-scale)
      py_args+=("$1" "$2"); shift ;;
    -h|--help) awk 'NR == 1 { next } /^#/ { print; next } { exit }' "$0"; exit 0 ;;
    *) echo "bench: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ $quick = 1 ]; then
  # Later options win: --quick --runs 5 gives 5 runs.
  py_args=(--runs 3 --scale 0.25 --side-runs 3 --dump-runs 2 --cg-pairs 100000 "${py_args[@]}")
fi
[ -n "$out" ] || out=$build/bench-report.md

# ---- what the suite needs ----------------------------------------------------
if [ $install = 1 ]; then
  pkgs=(
    build-essential cmake pkg-config g++ libunwind-dev libprotobuf-c-dev
    protobuf-c-compiler zlib1g-dev          # heapprof itself
    libjemalloc2 libjemalloc-dev             # jemalloc and its profiler
    libgoogle-perftools-dev google-perftools # tcmalloc + its heap profiler
    heaptrack valgrind python3
  )
  missing=()
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO=sudo
    echo "bench: installing ${missing[*]}" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null
  fi
fi

# ---- the library (Release) and the workloads (-O2) ---------------------------
echo "bench: building libheapprof (Release) from $src in $build" >&2
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DHEAPPROF_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target heapprof >/dev/null
bin=$build/bench
mkdir -p "$bin"
CC=${CC:-cc}
CXX=${CXX:-c++}
# -g only adds symbols for the profiles; the code is the same as without it.
cflags=(-O2 -g -Wall -Wextra -pthread -I"$root/include")
for w in churn xthread large deep sites dumpstacks runstat; do
  "$CC" -std=gnu11 "${cflags[@]}" "tests/bench/$w.c" -o "$bin/$w" -lm
done
"$CXX" -std=c++17 "${cflags[@]}" tests/bench/cxx.cc -o "$bin/cxx"
# The floor of interposition (side-by-side section): forwards, profiles nothing.
"$CC" -std=gnu11 "${cflags[@]}" -fPIC -shared tests/bench/bareshim.c -o "$bin/bareshim.so" -ldl

if [ -z "$desc" ]; then
  if [ "$src" = . ]; then
    desc="commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
    [ -z "$(git status --porcelain -- src include proto CMakeLists.txt 2>/dev/null)" ] ||
      desc="$desc + uncommitted changes"
  else
    desc="source tree $src"
  fi
fi

exec python3 scripts/bench_run.py --lib-desc "$desc" --bin "$bin" --lib "$build/libheapprof.so" --out "$out" \
  "${py_args[@]}"

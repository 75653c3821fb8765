#!/usr/bin/env bash
# Install everything heapprof needs to build, test and demo on Debian 12.
# Safe to run again; run as root (or with sudo available).
set -euo pipefail

pkgs=(
  build-essential cmake pkg-config g++
  libunwind-dev libprotobuf-c-dev protobuf-c-compiler zlib1g-dev
  libcmocka-dev
  golang-go                      # go tool pprof: the client every profile must satisfy
  binutils util-linux procps     # c++filt, setpriv, ps: used by the integration tests
  curl prometheus                # the live-view tests: HTTP client, promtool and a real server
  libxml2-utils groff-base       # the CLI tests: xmllint for the SVG, groff for the man page
  python3 perl sqlite3 git       # the real programs the realprogs tests run under the profiler
  ripgrep                        # realprogs_rust: a Rust program
  libjemalloc2                   # integ_stacked: heapprof in front of another allocator
  libgoogle-perftools4           # integ_debug_allocator: tcmalloc_debug checks new/delete pairs
  libtcmalloc-minimal4           # integ_jemalloc_api: an allocator without jemalloc's API
  valgrind                       # perf_fastpath: instructions per unsampled malloc+free pair
  dwz                            # dwarfinline_dwz: DWARF as Debian and Fedora ship it
)
[ "${HEAPPROF_DEPS_EXTRA:-}" ] && read -r -a extra <<<"$HEAPPROF_DEPS_EXTRA" && pkgs+=("${extra[@]}")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all installed"
  exit 0
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"

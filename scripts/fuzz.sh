#!/usr/bin/env bash
# Fuzz every parser for a while: scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Builds the libFuzzer targets of tests/fuzz with clang (ASan + UBSan) in
# build-fuzz/, then runs each for SECONDS (default 60) on a scratch copy of
# its corpus tests/fuzz/corpus/<target>/, so the repository's corpus stays
# small.  New inputs that add coverage are kept in build-fuzz/fuzz-work/;
# merge the ones worth keeping with
#   build-fuzz/tests/fuzz/<target> -merge=1 tests/fuzz/corpus/<target> build-fuzz/fuzz-work/<target>/corpus
# (fuzz_profile_read: build-fuzz/tests/cli/fuzz_profile_read, tests/cli/corpus;
# fuzz_demangle_rust: build-fuzz/tests/cli/fuzz_demangle_rust, tests/cli/corpus_demangle)
# A crash, sanitizer report or failed check stops with exit status 1 and
# leaves the input in build-fuzz/fuzz-work/<target>/crash-*.
#
# Targets: fuzz_config fuzz_maps fuzz_elf fuzz_pprof fuzz_http fuzz_dwarfline
# fuzz_dwarfinline (the library's parsers, tests/fuzz), fuzz_profile_read (the heapprof command's profile
# reader, tests/cli, corpus tests/cli/corpus) and fuzz_demangle_rust (its
# Rust demanglers, tests/cli, corpus tests/cli/corpus_demangle); default: all.
# Installs clang and libFuzzer's runtime with apt-get when they are missing
# and we are root; otherwise says what is missing and fails.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(fuzz_config fuzz_maps fuzz_elf fuzz_pprof fuzz_http fuzz_dwarfline fuzz_dwarfinline fuzz_profile_read
    fuzz_demangle_rust)
# Where a target's binary (under the build) and seed corpus live.
target_dir() {
    case $1 in fuzz_profile_read | fuzz_demangle_rust) echo tests/cli ;; *) echo tests/fuzz ;; esac
}
seed_dir() {
    case $1 in
        fuzz_profile_read) echo tests/cli/corpus ;;
        fuzz_demangle_rust) echo tests/cli/corpus_demangle ;;
        *) echo "tests/fuzz/corpus/$1" ;;
    esac
}

have_fuzzer() {
    command -v clang >/dev/null 2>&1 &&
        [[ -f $(clang -print-file-name=libclang_rt.fuzzer-x86_64.a) ]]
}
if ! have_fuzzer; then
    if [[ $(id -u) -ne 0 ]]; then
        echo "fuzz: clang with libFuzzer is needed (apt-get install clang libclang-rt-dev)" >&2
        exit 1
    fi
    echo "fuzz: installing clang"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends clang >/dev/null
    if ! have_fuzzer; then
        ver=$(clang --version | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -n 1)
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "libclang-rt-$ver-dev" >/dev/null
    fi
    have_fuzzer || { echo "fuzz: libFuzzer runtime still missing" >&2; exit 1; }
fi

build=build-fuzz
CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DHEAPPROF_FUZZ=ON -DHEAPPROF_FAULT=OFF -DHEAPPROF_MEM_MALLOC=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}" >/dev/null

work=$build/fuzz-work
status=0
for t in "${targets[@]}"; do
    w=$work/$t
    mkdir -p "$w/corpus"
    cp -n "$(seed_dir "$t")"/* "$w/corpus/" 2>/dev/null || true
    start=$SECONDS
    set +e
    "$build/$(target_dir "$t")/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$w/" -print_final_stats=1 "$w/corpus" >"$w/log" 2>&1
    rc=$?
    set -e
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$w/log")
    cov=$(grep -o 'cov: [0-9]*' "$w/log" | tail -n 1)
    if [[ $rc -ne 0 ]]; then
        echo "fuzz: $t FAILED after $((SECONDS - start)) s (exit $rc); input and log in $w/"
        grep -E 'ERROR|runtime error|check failed|SUMMARY' "$w/log" | head -n 5
        status=1
    else
        echo "fuzz: $t ok, ${runs:-?} inputs in $((SECONDS - start)) s, ${cov:-cov: ?} edges, corpus $(ls "$w/corpus" | wc -l) files"
    fi
done
exit $status

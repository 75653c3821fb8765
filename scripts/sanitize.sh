#!/usr/bin/env bash
# Sanitizer and Valgrind runs: scripts/sanitize.sh [STAGE...]
#
# Stages (default: all four, in this order):
#   asan       -DHEAPPROF_ASAN=ON -DHEAPPROF_UBSAN=ON: every unit test (and
#              live_unit, the HTTP server's and metrics' unit test), the
#              accuracy test (fewer trials) and the replay of the fuzz corpora
#              under AddressSanitizer + UBSan.
#   tsan       -DHEAPPROF_TSAN=ON: the unit tests, among them the concurrent
#              ones of the tables (unit_live, unit_stacks, unit_labels), and
#              live_unit (a metrics scrape racing a sampling thread).
#   valgrind   memcheck (--error-exitcode=1 --leak-check=full, definite and
#              indirect leaks are errors) over the unit test binaries of a
#              plain build whose small blocks of the profiler's come from
#              malloc (HEAPPROF_MEM_MALLOC, as in asan's), the accuracy test
#              and the fuzz corpus replays.
#   ubsan-lib  the preloaded library itself built with UBSan (and the test
#              programs too), then the integration, fault-injection and
#              real-program tests run with it.  ASan/TSan cannot do this:
#              their runtimes interpose malloc themselves and must be first
#              in the process, which an LD_PRELOAD malloc interposer cannot
#              share; libubsan interposes no allocator function, so it can.
#
# Build directories: build-asan, build-tsan, build-valgrind, build-ubsan-lib.
# Exit status 0 only if every stage passed.  Installs valgrind with apt-get
# when missing and root.
set -euo pipefail
cd "$(dirname "$0")/.."
stages=("$@")
[[ ${#stages[@]} -gt 0 ]] || stages=(asan tsan valgrind ubsan-lib)
jobs=$(nproc)
failed=()

configure_build() { # DIR CMAKE-ARGS...  (logs in DIR/sanitize-*.log)
    local dir=$1; shift
    mkdir -p "$dir"
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >"$dir/sanitize-configure.log" 2>&1 ||
        { cat "$dir/sanitize-configure.log" >&2; return 1; }
    cmake --build "$dir" -j"$jobs" >"$dir/sanitize-build.log" 2>&1 ||
        { tail -n 40 "$dir/sanitize-build.log" >&2; return 1; }
}

stage_asan() {
    configure_build build-asan -DHEAPPROF_ASAN=ON -DHEAPPROF_UBSAN=ON -DHEAPPROF_FAULT=OFF || return 1
    # halt_on_error: the first report fails the test; detect_leaks: LSan too.
    ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest --test-dir build-asan -R '^(unit_|live_unit$|accuracy_|fuzz_)' -j"$jobs" --output-on-failure
}

stage_tsan() {
    configure_build build-tsan -DHEAPPROF_TSAN=ON -DHEAPPROF_FAULT=OFF || return 1
    TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
        ctest --test-dir build-tsan -R '^(unit_|live_unit$)' -j"$jobs" --output-on-failure
}

stage_valgrind() {
    if ! command -v valgrind >/dev/null 2>&1; then
        [[ $(id -u) -eq 0 ]] || { echo "valgrind is not installed (and we are not root)" >&2; return 1; }
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends valgrind >/dev/null
    fi
    configure_build build-valgrind -DHEAPPROF_FAULT=OFF -DHEAPPROF_MEM_MALLOC=ON || return 1
    local t rc=0 args
    for t in build-valgrind/tests/test_* build-valgrind/tests/accuracy/test_bias \
             build-valgrind/tests/fuzz/fuzz_*_replay; do
        [[ -x $t ]] || continue
        args=()
        [[ $t == *_replay ]] && args=(tests/fuzz/corpus/"$(basename "$t" _replay)")
        echo "valgrind: $(basename "$t")"
        ACCURACY_TRIALS=20 valgrind -q --error-exitcode=1 --leak-check=full \
            --suppressions=tests/valgrind.supp \
            --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
            "$t" "${args[@]}" >"$t.valgrind.log" 2>&1 || { rc=1; tail -n 40 "$t.valgrind.log" >&2; }
    done
    return $rc
}

stage_ubsan-lib() {
    local f="-fsanitize=undefined -fno-sanitize-recover=undefined"
    configure_build build-ubsan-lib -DCMAKE_C_FLAGS="$f" -DCMAKE_CXX_FLAGS="$f" \
        -DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=undefined \
        -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=undefined || return 1
    # A UBSan report aborts the process, which every test notices (changed
    # exit status or output); print_stacktrace names the place.
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest --test-dir build-ubsan-lib -L 'integration|faults|realprogs' -j"$jobs" --output-on-failure
}

for s in "${stages[@]}"; do
    declare -F "stage_$s" >/dev/null || { echo "unknown stage $s (asan tsan valgrind ubsan-lib)" >&2; exit 2; }
    start=$SECONDS
    echo "=== sanitize: $s"
    if "stage_$s"; then
        echo "=== sanitize: $s passed in $((SECONDS - start)) s"
    else
        echo "=== sanitize: $s FAILED after $((SECONDS - start)) s"
        failed+=("$s")
    fi
done
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "sanitize: failed stages: ${failed[*]}"
    exit 1
fi
echo "sanitize: all stages passed (${stages[*]})"

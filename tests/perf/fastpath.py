#!/usr/bin/env python3
"""perf_fastpath: the unsampled malloc+free pair, counted in instructions.

Issue 4's target: heapprof adds at most 15 instructions to a malloc+free
pair it does not sample.  Instruction counts under valgrind's callgrind are
repeatable (timings are not), so this is a pass/fail test:

  added = ((Ir_hp(N) - Ir_hp(0)) - slow(N) + slow(0)) / N
        - (Ir_glibc(N) - Ir_glibc(0)) / N

where Ir(N) is a whole run of `churn threads=1 pairs=N slots=4096 idle=1`
(idle=1: the workload starts an idle thread itself, so glibc takes its
multi-threaded path in both runs and only heapprof's own code differs) and
slow() is the inclusive cost of heapprof's slow paths (sampled allocations,
their frees, filter false positives), which is the sampled path's cost, not
the fast path's.  Subtracting the N=0 runs cancels start-up.

Usage: fastpath.py CHURN LIBHEAPPROF [PAIRS] [LIMIT]
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from bench_run import callgrind_totals  # noqa: E402  (the benchmark's own parser)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    churn, lib = sys.argv[1], sys.argv[2]
    pairs = int(sys.argv[3]) if len(sys.argv) > 3 else 100000
    limit = float(sys.argv[4]) if len(sys.argv) > 4 else 15.0
    tmp = tempfile.mkdtemp(prefix="hp-fastpath.")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HEAPPROF_", "LD_PRELOAD"))}
    env.update(HEAPPROF_ON_EXIT="0", HEAPPROF_OUT=os.path.join(tmp, "p"))
    r = {}
    for cfg in ("glibc", "hp"):
        for n in (0, pairs):
            out = os.path.join(tmp, f"cg.{cfg}.{n}")
            e = dict(env, LD_PRELOAD=lib) if cfg == "hp" else env
            cmd = ["valgrind", "--tool=callgrind", "--dump-instr=no", f"--callgrind-out-file={out}",
                   churn, "threads=1", f"pairs={n}", "slots=4096", "idle=1"]
            p = subprocess.run(cmd, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               universal_newlines=True)
            if p.returncode != 0:
                sys.exit(f"FAIL [perf_fastpath]: {' '.join(cmd)} exited {p.returncode}:\n{p.stderr[-2000:]}")
            r[cfg, n] = callgrind_totals(out)
            os.unlink(out)
    g = (r["glibc", pairs][0] - r["glibc", 0][0]) / pairs
    h = (r["hp", pairs][0] - r["hp", 0][0]) / pairs
    slow = (r["hp", pairs][1] - r["hp", 0][1]) / pairs
    calls = r["hp", pairs][2] - r["hp", 0][2]
    added = h - slow - g
    print(f"perf_fastpath: glibc {g:.1f} instructions per pair; heapprof {h:.1f} "
          f"({h - slow:.1f} without its {calls} slow-path calls): {added:+.1f} per unsampled pair "
          f"(limit {limit:g})")
    for f in os.listdir(tmp):
        os.unlink(os.path.join(tmp, f))
    os.rmdir(tmp)
    if calls > pairs // 20:
        sys.exit(f"FAIL [perf_fastpath]: {calls} slow-path calls in {pairs} pairs at the default "
                 "interval: the fast path is not taken")
    if not 0 <= added <= limit:
        sys.exit(f"FAIL [perf_fastpath]: heapprof adds {added:.1f} instructions per unsampled "
                 f"malloc+free pair, outside [0, {limit:g}] (read the fast path with "
                 "objdump -d build/libheapprof.so)")


if __name__ == "__main__":
    main()

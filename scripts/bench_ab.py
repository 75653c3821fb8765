#!/usr/bin/env python3
"""Compare two builds of libheapprof.so side by side on one workload.

    python3 scripts/bench_ab.py --a OLD.so --b NEW.so [--env K=V ...]
        [--rounds 15] -- build-bench/bench/churn pairs=4000000

Each round runs the workload twice at once, A pinned to one CPU and B to
the other, then again with the CPUs swapped and the other side started
first: bench_run.py's side-by-side method, which compares configurations of
one build, here applied to two builds.  Runs go through bench_run.py's
runner (runstat's CPU time, a clean environment with HEAPPROF_ON_EXIT=0 and
profiles in a temporary directory), and both sides must print the same
checksum.  A round's ratio is the geometric mean of its two runs' B/A
CPU-time ratios, so a slow moment of the machine or a slower core cancels.
Prints the median ratio, its interquartile range and the extremes.

Given the timing twins of two builds (libheapprof_timing.so, src/timing.h),
it also compares the ticks of one sample and of one sampled free: each
run's trim99 (the mean of its fastest 99 %; the median from an older twin),
paired the same way.  A change to the sample's own code moves
these by a few per cent where it moves the program's CPU time by less than
the machine's noise (finding 22 in docs/benchmarks.md).

--sequential runs A and B one after the other instead, each on the whole
machine (A B then B A in a round): slower and noisier, but the only way to
see what happens between cores.  Pinned, a two-thread workload's threads
share one core, so a cache line moving between the cores of a real
multi-threaded program costs nothing here (finding 15 in
docs/benchmarks.md: sharding the live table by address region read 0.834x
on `churn` at 4 KiB with --sequential, 1.034x pinned).

--env sets variables for both sides (HEAPPROF_SAMPLE=4k, ...); --a-env and
--b-env for one side only.  --a or --b may be "none" (no preload), to
measure one build against the plain allocator, or several libraries in one
argument as LD_PRELOAD takes them ("libheapprof.so libjemalloc.so.2":
heapprof over jemalloc).  The workload must be one
of the bench binaries (runstat is looked up beside it, or with --bin).

Needs two CPUs, unless --sequential.  Finding 14 in docs/benchmarks.md used it to time the
shard lock against the locked adds it replaced.
"""
import argparse
import os
import re
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_run  # noqa: E402  (the runner this script shares)


def parse_env(items, what):
    env = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            sys.exit(f"bench_ab: {what} {item!r} is not KEY=VALUE")
        env[key] = value
    return env


def side_env(lib, common, own):
    env = dict(common)
    if lib != "none":
        env["LD_PRELOAD"] = lib
    env.update(own)
    return env


def timing_of(run_dir):
    """The ticks of libheapprof_timing.so's exit line (src/timing.h) in a
    run's stderr: (ticks a sample, ticks a sampled free), or None.  Each is
    the line's trim99 (the mean of the fastest 99 %), or its median from a
    twin that does not print one: trim99 is finer where the counter moves
    in steps (finding 23 in docs/benchmarks.md)."""
    try:
        with open(os.path.join(run_dir, "stderr.txt")) as f:
            err = f.read()
    except OSError:
        return None
    # One line per process that loaded the twin (a forked child or a shell
    # wrapper has its own): the one with the most samples is the workload's.
    best = None
    kind = r"n=(\d+) median=(\d+)[^;]*?(?: trim99=([\d.]+))?"
    for m in re.finditer(r"timing: pid=\d+ samples " + kind + r";.*?sampled frees " + kind + r" \(", err):
        n, s, st, nf, f, ft = m.groups()
        if int(n) and int(nf) and (best is None or int(n) > best[0]):
            best = (int(n), float(st or s), float(ft or f))
    return best[1:] if best else None


def run_pair(cmd, tmp, first, second, cpus):
    """Both at once, first started on cpus[0]: (first's, second's) CPU
    seconds, stdout and ticks (timing_of)."""
    runs = []
    try:
        for (name, env), cpu in zip((first, second), cpus):
            runs.append(bench_run.start_run(cmd, bench_run.base_env(tmp), os.path.join(tmp, name),
                                            env, cpu))
        done = [bench_run.finish_run(r, cmd) for r in runs]
    except BaseException:
        bench_run.abandon(runs)
        raise
    ticks = [timing_of(os.path.join(tmp, name)) for name, _ in (first, second)]
    for name, _ in (first, second):
        bench_run.clean_outputs(os.path.join(tmp, name))
    return [(cpu_s, text, t) for (_, _, text, cpu_s), t in zip(done, ticks)]


def run_sequential(cmd, tmp, first, second):
    """One after the other, unpinned: (first's, second's) CPU seconds,
    stdout and ticks (timing_of)."""
    out = []
    for name, env in (first, second):
        _, _, text, cpu_s = bench_run.run_once(cmd, bench_run.base_env(tmp), os.path.join(tmp, name), env)
        t = timing_of(os.path.join(tmp, name))
        bench_run.clean_outputs(os.path.join(tmp, name))
        out.append((cpu_s, text, t))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n", 2)[2])
    ap.add_argument("--a", required=True, help="baseline libheapprof.so, or none")
    ap.add_argument("--b", required=True, help="library to compare, or none")
    ap.add_argument("--env", action="append", help="KEY=VALUE for both sides")
    ap.add_argument("--a-env", action="append", help="KEY=VALUE for A only")
    ap.add_argument("--b-env", action="append", help="KEY=VALUE for B only")
    ap.add_argument("--rounds", type=int, default=15, help="rounds (default 15)")
    ap.add_argument("--bin", help="directory of runstat (default: the workload's)")
    ap.add_argument("--sequential", action="store_true",
                    help="A then B, each on every CPU, instead of side by side pinned")
    ap.add_argument("cmd", nargs=argparse.REMAINDER, help="-- workload and its arguments")
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd[:1] == ["--"] else a.cmd
    if not cmd:
        ap.error("no workload given (put it after --)")
    if a.rounds < 1:
        ap.error("--rounds must be at least 1")
    # A side may stack libraries as LD_PRELOAD does ("libheapprof.so
    # libjemalloc.so.2": heapprof over jemalloc).
    for lib in (a.a, a.b):
        for one in lib.split() if lib != "none" else []:
            if not os.path.isfile(one):
                ap.error(f"no such library: {one}")
    cmd[0] = os.path.abspath(cmd[0])
    if not os.access(cmd[0], os.X_OK):
        ap.error(f"no such workload: {cmd[0]}")
    bench_run.RUNSTAT = os.path.join(os.path.abspath(a.bin or os.path.dirname(cmd[0])), "runstat")
    if not os.access(bench_run.RUNSTAT, os.X_OK):
        ap.error(f"no runstat at {bench_run.RUNSTAT} (build the bench first, or give --bin)")
    cpus = sorted(os.sched_getaffinity(0))[:2]
    if len(cpus) < 2 and not a.sequential:
        sys.exit("bench_ab: needs two CPUs (or --sequential)")
    common = parse_env(a.env, "--env")
    side_a = ("a", side_env(os.path.abspath(a.a) if a.a != "none" else "none", common,
                            parse_env(a.a_env, "--a-env")))
    side_b = ("b", side_env(os.path.abspath(a.b) if a.b != "none" else "none", common,
                            parse_env(a.b_env, "--b-env")))
    ratios = []
    ticks = {"a": [], "b": [], "sample": [], "free": []}
    timing_missed = 0  # rounds where some runs printed a timing line, not all
    with tempfile.TemporaryDirectory(prefix="bench_ab.") as tmp:
        for _ in range(a.rounds):
            if a.sequential:
                (a1, ta, ka1), (b1, tb, kb1) = run_sequential(cmd, tmp, side_a, side_b)
                (b2, _, kb2), (a2, _, ka2) = run_sequential(cmd, tmp, side_b, side_a)
            else:
                (a1, ta, ka1), (b1, tb, kb1) = run_pair(cmd, tmp, side_a, side_b, cpus)
                (b2, _, kb2), (a2, _, ka2) = run_pair(cmd, tmp, side_b, side_a, cpus)
            if any((ka1, kb1, ka2, kb2)) and not all((ka1, kb1, ka2, kb2)):
                timing_missed += 1
            if all((ka1, kb1, ka2, kb2)):
                ticks["a"] += [ka1, ka2]
                ticks["b"] += [kb1, kb2]
                for i, what in enumerate(("sample", "free")):
                    ticks[what].append(((kb1[i] / ka1[i]) * (kb2[i] / ka2[i])) ** 0.5)
            sa, sb = bench_run.field(ta, "checksum"), bench_run.field(tb, "checksum")
            if sa != sb:
                sys.exit(f"bench_ab: checksums differ: A {sa}, B {sb}")
            if min(a1, b1, a2, b2) <= 0:
                sys.exit("bench_ab: a run took no measurable CPU time; make the workload longer")
            ratios.append(((b1 / a1) * (b2 / a2)) ** 0.5)
    q1, q3 = bench_run.quantiles(ratios)
    print(f"B/A CPU time: median {statistics.median(ratios):.3f}x, IQR {q1:.3f}-{q3:.3f}, "
          f"min {min(ratios):.3f}, max {max(ratios):.3f}, {len(ratios)} rounds")
    # Both sides' libheapprof_timing.so (src/timing.h): the ticks of one
    # sample and of one sampled free, each run's trim99 (timing_of),
    # compared as above.
    if timing_missed:
        print(f"bench_ab: {timing_missed} round(s) without a timing line from every run "
              "(only one side a timing library, or runs without samples): left out of the ticks")
    for i, what in enumerate(("sample", "free")):
        rs = ticks[what]
        if not rs:
            continue
        q1, q3 = bench_run.quantiles(rs)
        ma = statistics.median(k[i] for k in ticks["a"])
        mb = statistics.median(k[i] for k in ticks["b"])
        print(f"B/A ticks a {what if what == 'sample' else 'sampled free'}: median {statistics.median(rs):.3f}x, "
              f"IQR {q1:.3f}-{q3:.3f} (A {ma:.1f}, B {mb:.1f} ticks), {len(rs)} rounds")


if __name__ == "__main__":
    main()

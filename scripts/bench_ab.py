#!/usr/bin/env python3
"""Compare two builds of libheapprof.so side by side on one workload.

    python3 scripts/bench_ab.py --a OLD.so --b NEW.so [--env K=V ...]
        [--rounds 15] -- build-bench/bench/churn pairs=4000000

Each round runs the workload twice at once, A pinned to one CPU and B to
the other, then again with the CPUs swapped (the method of bench_run.py's
side-by-side section, which compares configurations of one build).  A
round's ratio is the geometric mean of its two runs' B/A CPU-time ratios,
so a slow moment of the machine or a slower core cancels.  Prints the
median ratio, its interquartile range and the extremes.  --env sets
variables for both sides (HEAPPROF_SAMPLE=4k, HEAPPROF_ON_EXIT=0, ...);
--a-env and --b-env for one side only.  --a may be "none" (no preload),
to measure one build against the plain allocator.

Needs two CPUs and `taskset`.  Finding 14 in docs/benchmarks.md used it to
time the shard lock against the locked adds it replaced.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys


def parse_env(items, what):
    env = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            sys.exit(f"bench_ab: {what} {item!r} is not KEY=VALUE")
        env[key] = value
    return env


def side_env(lib, common, own):
    env = dict(os.environ)
    env.update(common)
    if lib != "none":
        env["LD_PRELOAD"] = lib
    env.update(own)
    return env


def run_pair(cmd, env_first, env_second, cpus):
    """Both at once, first on cpus[0], second on cpus[1]: their CPU seconds."""
    procs = []
    for env, cpu in ((env_first, cpus[0]), (env_second, cpus[1])):
        procs.append(subprocess.Popen(["taskset", "-c", str(cpu)] + cmd, env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
    cpu_s, failed = {}, []
    while len(cpu_s) < 2:
        pid, status, ru = os.wait4(-1, 0)
        cpu_s[pid] = ru.ru_utime + ru.ru_stime
        if status != 0:
            failed.append(pid)
    for p in procs:
        err = p.stderr.read().decode(errors="replace").strip()
        p.stderr.close()
        if p.pid in failed:
            sys.exit(f"bench_ab: {' '.join(cmd)} failed: {err[-500:] or 'no message'}")
    return cpu_s[procs[0].pid], cpu_s[procs[1].pid]


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
    ap.add_argument("cmd", nargs=argparse.REMAINDER, help="-- workload and its arguments")
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd[:1] == ["--"] else a.cmd
    if not cmd:
        ap.error("no workload given (put it after --)")
    if a.rounds < 1:
        ap.error("--rounds must be at least 1")
    for lib in (a.a, a.b):
        if lib != "none" and not os.path.isfile(lib):
            ap.error(f"no such library: {lib}")
    if not shutil.which("taskset"):
        sys.exit("bench_ab: needs taskset (util-linux)")
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        sys.exit("bench_ab: needs two CPUs")
    common = parse_env(a.env, "--env")
    env_a = side_env(a.a, common, parse_env(a.a_env, "--a-env"))
    env_b = side_env(a.b, common, parse_env(a.b_env, "--b-env"))
    ratios = []
    for _ in range(a.rounds):
        a1, b1 = run_pair(cmd, env_a, env_b, cpus)
        b2, a2 = run_pair(cmd, env_b, env_a, cpus)
        if min(a1, b1, a2, b2) <= 0:
            sys.exit("bench_ab: a run took no measurable CPU time; make the workload longer")
        ratios.append(((b1 / a1) * (b2 / a2)) ** 0.5)
    ratios.sort()
    if len(ratios) >= 2:
        q1, _, q3 = statistics.quantiles(ratios, n=4)
    else:
        q1 = q3 = ratios[0]
    print(f"B/A CPU time: median {statistics.median(ratios):.3f}x, IQR {q1:.3f}-{q3:.3f}, "
          f"min {ratios[0]:.3f}, max {ratios[-1]:.3f}, {len(ratios)} rounds")


if __name__ == "__main__":
    main()

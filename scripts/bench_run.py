#!/usr/bin/env python3
"""Run heapprof's benchmark suite and print markdown tables.

Called by scripts/bench.sh, which installs the peers and builds the library
and the workloads first; see docs/benchmarks.md.  It can also be run by hand:

    python3 scripts/bench_run.py --bin build-bench/bench --lib build-bench/libheapprof.so

Sections (all by default; pick with --sections):
  timing    wall time of every workload under every configuration, the
            configurations interleaved run by run (round r runs each
            configuration once, in an order rotated by r), medians and
            ratios pair by pair, plus the spread of every cell;
  rss       peak RSS of the same runs: heapprof's extra over plain glibc;
  sidebyside
            each (baseline, profiled) pair at the same time, one process
            pinned to each core, then again with the cores swapped: the two
            runs of a pair see the same moment's machine, so the rounds'
            ratios spread by a few per cent where the timing section's
            spread is 20 % or more;
  callgrind instructions added per unsampled malloc+free pair;
  samplecost
            instructions and simulated cache misses of one sample;
  cachesim  every workload under cachegrind's cache model, configuration by
            configuration: instructions and misses per unit of work and
            what each profiler adds (repeatable where timings are not);
  dump      time to write a profile of 1k/10k/100k distinct stacks, and
            the worst malloc+free latency of another thread meanwhile.
"""

import argparse
import gzip
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

LIBDIR = "/usr/lib/x86_64-linux-gnu"
JEMALLOC = f"{LIBDIR}/libjemalloc.so.2"
TCMALLOC = f"{LIBDIR}/libtcmalloc.so.4"
RUNSTAT = None  # set from --bin

# ---------------------------------------------------------------- workloads

# name -> (binary, [(arg, full-mode value)]): values are scaled by --scale.
WORKLOADS = {
    "churn": ("churn", [("threads", None, 2), ("pairs", "n", 30_000_000), ("slots", None, 4096)]),
    "xthread": ("xthread", [("objects", "n", 10_000_000), ("queue", None, 1024)]),
    "large": ("large", [("ops", "n", 3000), ("slots", None, 32)]),
    "cxx": ("cxx", [("ops", "n", 2_000_000), ("keys", None, 20000)]),
    "deep": ("deep", [("threads", None, 2), ("requests", "n", 900_000), ("allocs", None, 32),
                      ("depth", None, 32), ("slots", None, 4096)]),
    "sites": ("sites", [("threads", None, 2), ("requests", "n", 1_500_000), ("allocs", None, 8),
                        ("depth", None, 24), ("slots", None, 4096)]),
}


def workload_argv(bindir, name, scale):
    binary, args = WORKLOADS[name]
    argv = [os.path.join(bindir, binary)]
    for key, scaled, value in args:
        if scaled:
            value = max(1, int(value * scale))
        argv.append(f"{key}={value}")
    return argv


# ----------------------------------------------------------- configurations


class Config:
    def __init__(self, name, label, preload=(), env=None, wrap=None, small=False, side_only=False):
        self.side_only = side_only  # only in the side-by-side section
        self.name = name
        self.label = label
        self.preload = list(preload)
        self.env = dict(env or {})
        self.wrap = wrap  # function(tmpdir) -> argv prefix
        self.small = small  # runs the reduced workload size


def make_configs(lib, tmp, bindir):
    hp = lib
    shim = os.path.join(bindir, "bareshim.so")
    return [
        Config("glibc", "glibc"),
        Config("hp", "heapprof 512 KiB (default)", [hp]),
        Config("hp64k", "heapprof 64 KiB", [hp], {"HEAPPROF_SAMPLE": "64k"}),
        Config("hp4k", "heapprof 4 KiB", [hp], {"HEAPPROF_SAMPLE": "4k"}),
        Config("je", "jemalloc", [JEMALLOC]),
        Config("jeprof", "jemalloc prof (lg_prof_sample:19)", [JEMALLOC],
               {"MALLOC_CONF": f"prof:true,lg_prof_sample:19,prof_prefix:{tmp}/jeprof"}),
        Config("hpje", "heapprof 512 KiB over jemalloc", [hp, JEMALLOC]),
        Config("jeprof64k", "jemalloc prof (lg_prof_sample:16)", [JEMALLOC],
               {"MALLOC_CONF": f"prof:true,lg_prof_sample:16,prof_prefix:{tmp}/jeprof"}),
        Config("hpje64k", "heapprof 64 KiB over jemalloc", [hp, JEMALLOC], {"HEAPPROF_SAMPLE": "64k"}),
        Config("tc_s", "tcmalloc", [TCMALLOC], small=True),
        Config("tchp_s", "tcmalloc + gperftools heap profiler", [TCMALLOC],
               {"HEAPPROFILE": f"{tmp}/gperf",
                # Only the recording cost: no profile every 1 GiB allocated
                # (the default), as heapprof writes none in these runs.
                "HEAP_PROFILE_ALLOCATION_INTERVAL": "0",
                "HEAP_PROFILE_INUSE_INTERVAL": "0"}, small=True),
        Config("glibc_s", "glibc", small=True),
        Config("ht_s", "heaptrack", wrap=lambda t: ["heaptrack", "-o", f"{t}/heaptrack.%p"],
               small=True),
        # tests/bench/bareshim.c: what interposing malloc costs before any
        # profiling, the floor every LD_PRELOAD profiler stands on.
        Config("shim", "bare forwarding shim", [shim], side_only=True),
        Config("shimje", "bare forwarding shim over jemalloc", [shim, JEMALLOC], side_only=True),
    ]


# (baseline, profiled) pairs of the timing table
PAIRS = [
    ("glibc", "hp"),
    ("glibc", "hp64k"),
    ("glibc", "hp4k"),
    ("je", "jeprof"),
    ("je", "hpje"),
    ("je", "jeprof64k"),
    ("je", "hpje64k"),
    ("tc_s", "tchp_s"),
    ("glibc_s", "ht_s"),
]

# ------------------------------------------------------------------ running


def base_env(tmp):
    env = dict(os.environ)
    for k in list(env):
        if k.startswith(("HEAPPROF_", "MALLOC_CONF", "HEAPPROFILE", "HEAP_PROFILE")) or k == "LD_PRELOAD":
            del env[k]
    env["HEAPPROF_ON_EXIT"] = "0"
    env["HEAPPROF_OUT"] = f"{tmp}/heapprof"
    return env


def start_run(argv, env, tmp, extra_env=None, cpu=None):
    """Start argv through runstat in directory tmp, with extra_env set for it
    alone, pinned to one CPU if cpu is given; finish_run collects it."""
    os.makedirs(tmp, exist_ok=True)
    cmd = [RUNSTAT, os.path.join(tmp, "runstat.txt")]
    for k, v in (extra_env or {}).items():
        cmd += ["-e", f"{k}={v}"]
    cmd += ["--"] + argv
    out = open(os.path.join(tmp, "stdout.txt"), "w")
    err = open(os.path.join(tmp, "stderr.txt"), "w")
    pin = None if cpu is None else (lambda: os.sched_setaffinity(0, {cpu}))
    proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, cwd=tmp, preexec_fn=pin)
    return proc, tmp, out, err


class RunFailed(SystemExit):
    """A run exited with an error: the bench stops, unless the run was a
    peer's (is_peer), whose failure the section reports instead."""

    def __init__(self, msg, rc, stderr):
        super().__init__(msg)
        self.rc, self.stderr = rc, stderr


def finish_run(run, argv):
    """Wait for a run start_run began; return (wall seconds, max RSS KiB,
    stdout text, CPU seconds)."""
    proc, tmp, out, err = run
    try:
        rc = proc.wait()
    finally:
        out.close()
        err.close()
    if rc != 0:
        with open(os.path.join(tmp, "stderr.txt")) as f:
            tail = f.read()[-2000:]
        sys.stderr.write(tail)
        raise RunFailed(f"bench: {' '.join(argv)} exited with {rc}", rc, tail)
    with open(os.path.join(tmp, "stdout.txt")) as f:
        text = f.read()
    with open(os.path.join(tmp, "runstat.txt")) as f:
        st = f.read()
    return (int(field(st, "wall_ns")) / 1e9, int(field(st, "maxrss_kb")), text,
            int(field(st, "cpu_ns")) / 1e9)


def abandon(runs):
    """Kill and reap what start_run began, when one of them failed."""
    for proc, _, out, err in runs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        out.close()
        err.close()


def run_once(argv, env, tmp, extra_env=None):
    """start_run and finish_run, one run at a time."""
    return finish_run(start_run(argv, env, tmp, extra_env), argv)


def clean_outputs(tmp):
    for f in os.listdir(tmp):
        if f.startswith(("heapprof.", "jeprof", "gperf", "heaptrack.")):
            try:
                os.unlink(os.path.join(tmp, f))
            except OSError:
                pass


def field(text, key):
    m = re.search(rf"\b{key}=([^\s]+)", text)
    return m.group(1) if m else None


def quantiles(xs):
    xs = sorted(xs)
    if len(xs) < 2:
        return xs[0], xs[0]
    q = statistics.quantiles(xs, n=4, method="inclusive")
    return q[0], q[2]


def fmt_s(x):
    return f"{x:.3f}" if x < 10 else f"{x:.2f}"


def is_peer(config):
    """A profiler of someone else's: its failure is a finding, not ours."""
    return config.name in ("jeprof", "jeprof64k", "tchp_s", "ht_s")


def failure_text(e):
    """What a failed run said, for the report: its status and last lines."""
    last = [x for x in e.stderr.splitlines() if x.strip()][-3:]
    return f"exited with {e.rc}: " + " / ".join(last)


def left_out(label, workload, why):
    """The report's line for a peer that failed on a workload."""
    return f"- {label} failed on `{workload}` and is left out: {why}"


MIN_RUNS = 3


def runs_in_budget(a, seconds):
    """Runs of a configuration whose first run took `seconds`."""
    if a.budget <= 0:
        return a.runs
    return max(min(MIN_RUNS, a.runs), min(a.runs, int(a.budget / max(seconds, 1e-3))))


def run_timing(a, tmp, configs, log):
    """Returns {workload: {config: [(wall, rss KiB, checksum, live_peak, cpu)]}}, and
    {(workload, config): why} for peers that failed (then left out of that
    workload's remaining rounds)."""
    results, failed = {}, {}
    by_name = {c.name: c for c in configs}
    for w in a.workloads:
        res = {c.name: [] for c in configs}
        full = workload_argv(a.bin, w, a.scale)
        small = workload_argv(a.bin, w, a.scale / a.small_div)
        log(f"  {w}: {' '.join(os.path.basename(x) for x in full)} / small: "
            f"{' '.join(os.path.basename(x) for x in small)}")
        # Each configuration's runs on this workload, set after the first
        # round from its duration: as many as fit in --budget seconds, at
        # least MIN_RUNS, at most --runs.  A peer that takes a minute a run
        # (gperftools on `deep`, jemalloc on `large`'s realloc growth on an
        # AMD machine, finding 24) then runs 3 times, not 15, while every
        # configuration of up to budget/runs seconds a run (6 s by default)
        # keeps all its rounds.  Run i of every configuration comes from
        # round i, and a pair is compared over the rounds both sides ran
        # (timing_tables).
        quota = {c.name: a.runs for c in configs}
        for r in range(a.runs):
            k = r % len(configs)
            order = configs[k:] + configs[:k]
            t_round = time.perf_counter()
            for c in order:
                if (w, c.name) in failed or len(res[c.name]) >= quota[c.name]:
                    continue
                extra = dict(c.env)
                if c.preload:
                    extra["LD_PRELOAD"] = " ".join(c.preload)
                argv = (c.wrap(tmp) if c.wrap else []) + (small if c.small else full)
                try:
                    wall, rss, text, cpu = run_once(argv, base_env(tmp), tmp, extra)
                except RunFailed as e:
                    if not is_peer(c):
                        raise
                    failed[(w, c.name)] = failure_text(e)
                    res[c.name] = []
                    log(f"    {c.label} failed on {w} ({failed[(w, c.name)]}); left out")
                    clean_outputs(tmp)
                    continue
                res[c.name].append((wall, rss, field(text, "checksum"),
                                    int(field(text, "live_peak_bytes") or 0), cpu))
                clean_outputs(tmp)
                if r == 0:
                    quota[c.name] = runs_in_budget(a, wall)
                    if quota[c.name] < a.runs:
                        log(f"    {c.label}: {wall:.1f} s a run, {quota[c.name]} runs (--budget {a.budget:g})")
            log(f"    round {r + 1}/{a.runs} {time.perf_counter() - t_round:.1f}s")
        # Every configuration must compute the same thing.
        for size in (False, True):
            sums = {by_name[n].name: {x[2] for x in v} for n, v in res.items()
                    if by_name[n].small == size}
            allsums = set().union(*sums.values()) if sums else set()
            if len(allsums) > 1:
                raise SystemExit(f"bench: {w}: checksums differ between configurations: {sums}")
        results[w] = res
    return results, failed


def timing_tables(a, results, configs):
    label = {c.name: c.label for c in configs}
    cut_any = any(0 < len(v) < a.runs for res in results.values() for v in res.values())
    lines = []
    lines.append("Wall time in seconds: median [min-max] of the runs; ratio = median(profiled) / "
                 "median(baseline); paired = median of the per-round ratios [their min-max]; "
                 "CPU ratio = the same ratio of medians for user+system CPU time of the process "
                 "(less sensitive to other load on the machine, blind to time spent waiting); "
                 "min ratio = ratio of the fastest runs (other load only ever adds time)." +
                 (f" n = the rounds a pair is compared over, where --budget ({a.budget:g} s a "
                  f"configuration) cut one side below {a.runs}; every column of that row uses "
                  f"only those rounds." if cut_any else ""))
    lines.append("")
    lines.append("| workload | baseline | median s [min-max] | profiled | median s [min-max] | "
                 "ratio | paired ratio [min-max] | CPU ratio | min ratio |")
    lines.append("|---|---|---|---|---|---|---|---|---|")
    summary = {}
    for w, res in results.items():
        for base, prof in PAIRS:
            if base not in res or prof not in res or not res[base] or not res[prof]:
                continue
            # The rounds both sides ran (--budget may have cut one side):
            # run i of each comes from round i.
            k = min(len(res[base]), len(res[prof]))
            ra, rb = res[base][:k], res[prof][:k]
            A = [x[0] for x in ra]
            B = [x[0] for x in rb]
            ma, mb = statistics.median(A), statistics.median(B)
            paired = [b / a_ for a_, b in zip(A, B)]
            mp = statistics.median(paired)
            cpu = statistics.median(x[4] for x in rb) / statistics.median(x[4] for x in ra)
            summary[(w, prof)] = (mb / ma, mp, cpu, min(B) / min(A))
            small = " (small)" if prof.endswith("_s") else ""
            # The number of rounds, where --budget cut it below --runs.
            na = nb = f" n={k}" if k < a.runs else ""
            lines.append(
                f"| {w}{small} | {label[base]} | {fmt_s(ma)} [{fmt_s(min(A))}-{fmt_s(max(A))}]{na} | "
                f"{label[prof]} | {fmt_s(mb)} [{fmt_s(min(B))}-{fmt_s(max(B))}]{nb} | "
                f"**{mb / ma:.3f}x** | {mp:.3f}x [{min(paired):.2f}-{max(paired):.2f}] | "
                f"{cpu:.3f}x | {min(B) / min(A):.3f}x |")
    lines.append("")
    # Spread of the baselines: the noise floor of every ratio above.
    lines.append("Run-to-run spread of each configuration (IQR / median, %):")
    lines.append("")
    names = [c.name for c in configs]
    spread = {}
    lines.append("| workload | " + " | ".join(names) + " |")
    lines.append("|---|" + "---|" * len(names))
    for w, res in results.items():
        row = []
        for n in names:
            xs = [x[0] for x in res.get(n, [])]
            if not xs:
                row.append("")
                continue
            q1, q3 = quantiles(xs)
            iqr = 100 * (q3 - q1) / statistics.median(xs)
            spread[(w, n)] = iqr
            row.append(f"{iqr:.1f}")
        lines.append(f"| {w} | " + " | ".join(row) + " |")
    return lines, summary, spread


# (baseline, profiled) pairs of the side-by-side section: the ones the
# wall-time targets are about.
# The first row is a control: glibc beside glibc shows the method's own
# noise in every run.
# The last four have the bare shim as their baseline: what heapprof adds to
# the floor of interposition, the part of each ratio heapprof's own code
# decides (finding 18 in docs/benchmarks.md).  Their results are keyed
# (workload, "profiled/baseline"), the others' (workload, profiled).
FLOOR_PAIRS = [("shim", "hp"), ("shim", "hp64k"), ("shimje", "hpje"), ("shimje", "hpje64k")]
SIDE_PAIRS = ([("glibc", "glibc"), ("glibc", "shim")] + [p for p in PAIRS if p[0] == "glibc"] +
              [("je", "shimje")] + [p for p in PAIRS if p[0] == "je"] + FLOOR_PAIRS)


def side_key(w, base, prof):
    """The side-by-side result's key (see FLOOR_PAIRS)."""
    return (w, f"{prof}/{base}" if (base, prof) in FLOOR_PAIRS else prof)


SIDE_WORKLOADS = ("churn", "xthread")
# When the control row strays further than this from 1.00x, or spreads
# wider, no side-by-side verdict of its workload is taken as settled:
# session 7's quiet machine read 1.002x with IQRs of 1-7 %, a busy one
# 1.034x with 16 %.
CONTROL_TOLERANCE = 0.02
CONTROL_MAX_IQR = 5.0


def control_noisy(ctl):
    """ctl: the glibc/glibc row (wall, cpu, iqr, lo, hi), or None."""
    # Rounded: 1.02 - 1 is 0.020000000000000018, not over a 2 % tolerance.
    return ctl is not None and (round(abs(ctl[1] - 1), 9) > CONTROL_TOLERANCE or ctl[2] > CONTROL_MAX_IQR)


def run_side_by_side(a, tmp, configs, log):
    """Every pair of SIDE_PAIRS, baseline and profiled at once, each pinned
    to its own core, then again with the cores swapped.  This machine's
    noise moves slowly and moves both cores (one core may also be a few
    per cent slower than the other all along): a round's ratio, the
    geometric mean of its two runs' ratios, cancels both.  A process on one
    core runs its threads by turns, so a 2-thread workload here measures
    the work of its allocator calls, not their parallel scaling (the timing
    section does that, with its noise).  Returns (lines, {(w, prof): (wall
    ratio, CPU ratio, IQR of the CPU ratios in %, min, max)})."""
    by = {c.name: c for c in configs}
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return ["(skipped: needs two CPUs)"], {}
    cpu0, cpu1 = cpus[0], cpus[1]
    lines = [
        f"Baseline and profiled run at the same time, one process pinned to each core "
        f"(CPUs {cpu0} and {cpu1}), then with the cores swapped; a round's ratio is the geometric "
        f"mean of its two runs' ratios. {a.side_runs} rounds per pair; workloads at "
        f"{a.side_scale:g} of the timing section's size. Each process has one core, so "
        f"`churn`'s two threads and `xthread`'s producer and consumer take turns on it. "
        f"Ratio = median over the rounds [min-max]; IQR = spread of the rounds' CPU ratios.",
        "",
        "| workload | baseline | s (CPU) | profiled | s (CPU) | wall ratio | CPU ratio [min-max] | IQR % |",
        "|---|---|---|---|---|---|---|---|",
    ]
    summary = {}
    lines_after = []  # peers that failed
    for w in a.workloads:
        if w not in SIDE_WORKLOADS:
            continue
        argv = workload_argv(a.bin, w, a.scale * a.side_scale)
        log(f"  {w}: {' '.join(os.path.basename(x) for x in argv)}")
        for base, prof in SIDE_PAIRS:
            if base not in by or prof not in by:
                continue
            walls, cpus_r, ta, tb = [], [], [], []
            failure = None
            for r in range(a.side_runs):
                rw, rc = 1.0, 1.0
                for swap in (False, True):
                    # The side started first goes on cpu0, and it is the
                    # baseline in one run, the profiled side in the other:
                    # starting the second process disturbs the first (the
                    # glibc/glibc control row read 0.98x when the baseline
                    # always went first), and this cancels that too.
                    sides = [(by[base], "a"), (by[prof], "b")]
                    runs = {}
                    try:
                        for (c, sub), cpu in zip(sides[::-1] if swap else sides, (cpu0, cpu1)):
                            extra = dict(c.env)
                            if c.preload:
                                extra["LD_PRELOAD"] = " ".join(c.preload)
                            runs[sub] = start_run(argv, base_env(tmp), os.path.join(tmp, sub),
                                                  extra, cpu)
                        (wa, _, ta_, ca), (wb, _, tb_, cb) = [finish_run(runs[x], argv)
                                                              for x in ("a", "b")]
                    except RunFailed as e:
                        abandon(runs.values())
                        if not is_peer(by[prof]):
                            raise
                        failure = failure_text(e)
                        break
                    except BaseException:
                        abandon(runs.values())
                        raise
                    sa, sb = field(ta_, "checksum"), field(tb_, "checksum")
                    if not sa or sa != sb:
                        raise SystemExit(f"bench: {w}: checksums differ: {base} {sa}, {prof} {sb}")
                    rw *= wb / wa
                    rc *= cb / ca
                    ta.append(ca)
                    tb.append(cb)
                    for sub in ("a", "b"):
                        clean_outputs(os.path.join(tmp, sub))
                if failure:
                    break
                walls.append(rw ** 0.5)
                cpus_r.append(rc ** 0.5)
            if failure:
                lines_after.append(left_out(by[prof].label, w, failure))
                log(f"    {base} / {prof}: {by[prof].label} failed ({failure})")
                continue
            q1, q3 = quantiles(cpus_r)
            mc = statistics.median(cpus_r)
            iqr = 100 * (q3 - q1) / mc
            summary[side_key(w, base, prof)] = (statistics.median(walls), mc, iqr, min(cpus_r),
                                                max(cpus_r))
            lines.append(f"| {w} | {by[base].label} | {statistics.median(ta):.3f} | {by[prof].label} | "
                         f"{statistics.median(tb):.3f} | {statistics.median(walls):.3f}x | "
                         f"**{mc:.3f}x** [{min(cpus_r):.3f}-{max(cpus_r):.3f}] | {iqr:.1f} |")
            log(f"    {base} / {prof}: {mc:.3f}x (IQR {iqr:.1f}%)")
    if lines_after:
        lines += [""] + lines_after
    return lines, summary


def rss_table(results):
    lines = []
    lines.append("Peak RSS (max RSS of the process, median over the timing runs, MiB). Limit = "
                 "10% of the workload's own peak live heap + 16 MiB.")
    lines.append("")
    lines.append("| workload | live heap MiB | glibc | heapprof 512K (extra) | heapprof 64K (extra) | "
                 "heapprof 4K (extra) | jemalloc | heapprof over jemalloc (extra) | limit | within? |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|")
    verdicts = {}
    for w, res in results.items():
        def med(n):
            xs = [x[1] for x in res.get(n, [])]
            return statistics.median(xs) / 1024 if xs else None
        # The live heap is the workload's own figure, the same under every
        # configuration: glibc's runs, or any run when glibc was not run.
        live = max((x[3] for x in res.get("glibc") or
                    [x for runs in res.values() for x in runs]), default=0) / 2**20
        limit = 0.1 * live + 16
        g, je = med("glibc"), med("je")
        cells, worst, measured = [], 0.0, False
        for n, base in (("hp", g), ("hp64k", g), ("hp4k", g), (None, None), ("hpje", je)):
            if n is None:
                cells.append(f"{je:.1f}" if je is not None else "")
                continue
            v = med(n)
            if v is None or base is None:
                cells.append("")
                continue
            worst = max(worst, v - base)
            measured = True
            cells.append(f"{v:.1f} ({v - base:+.1f})")
        ok = worst <= limit
        if measured:  # no verdict without a profiled run beside its baseline
            verdicts[w] = (worst, limit, ok)
        gcell = f"{g:.1f}" if g is not None else ""
        within = ("yes" if ok else "**no**") if measured else ""
        lines.append(f"| {w} | {live:.1f} | {gcell} | " + " | ".join(cells) +
                     f" | {limit:.1f} | {within} |")
    return lines, verdicts


# ---------------------------------------------------------------- callgrind


def callgrind_totals(path):
    """(total Ir, inclusive Ir of heapprof's slow paths, calls to them)."""
    total = None
    names = {}
    slow = {"profiler_alloc_slow", "profiler_free_slow", "profiler_realloc_slow"}
    incl = calls = 0
    cur_fn = cur_cfn = None
    pending_calls = None
    with open(path) as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                total = int(line.split()[1])
                continue
            m = re.match(r"c?fn=\((\d+)\)(?: (.*))?", line)
            if m:
                if m.group(2):
                    names[m.group(1)] = m.group(2).strip()
                if line.startswith("cfn="):
                    cur_cfn = names.get(m.group(1))
                else:
                    cur_fn, cur_cfn = names.get(m.group(1)), None
                continue
            if line.startswith("calls="):
                pending_calls = int(line[6:].split()[0])
                continue
            if pending_calls is not None:
                # the line after calls= holds the inclusive cost of the call
                parts = line.split()
                if cur_cfn in slow and cur_fn not in slow and len(parts) >= 2:
                    incl += int(parts[1])
                    calls += pending_calls
                pending_calls = None
    return total, incl, calls


def run_callgrind(a, tmp, log):
    pairs = a.cg_pairs
    churn = os.path.join(a.bin, "churn")
    rows = []
    for idle in (0, 1):
        r = {}
        for cfg in ("glibc", "hp"):
            for n in (0, pairs):
                extra = {"LD_PRELOAD": a.lib} if cfg == "hp" else {}
                out = os.path.join(tmp, f"cg.{cfg}.{n}.{idle}.out")
                argv = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                        "--dump-instr=no", churn, "threads=1", f"pairs={n}", "slots=4096",
                        f"idle={idle}"]
                run_once(argv, base_env(tmp), tmp, extra)
                r[(cfg, n)] = callgrind_totals(out)
                os.unlink(out)
                clean_outputs(tmp)
        g0, g1 = r[("glibc", 0)][0], r[("glibc", pairs)][0]
        h0, (h1, slow_ir, slow_calls) = r[("hp", 0)][0], r[("hp", pairs)]
        slow_ir0 = r[("hp", 0)][1]
        per_g = (g1 - g0) / pairs
        per_h = (h1 - h0) / pairs
        per_h_unsampled = (h1 - h0 - (slow_ir - slow_ir0)) / pairs
        rows.append((idle, per_g, per_h, per_h_unsampled, slow_calls - r[("hp", 0)][2]))
        log(f"  idle={idle}: glibc {per_g:.1f}/pair, heapprof {per_h:.1f}/pair "
            f"({per_h_unsampled:.1f} without slow paths)")
    lines = [f"Instructions per malloc+free pair (callgrind Ir, churn threads=1 slots=4096, "
             f"(Ir(pairs={pairs}) - Ir(pairs=0)) / {pairs}). \"Unsampled\" leaves out the "
             "inclusive cost of heapprof's slow paths (profiler_alloc_slow/free_slow/"
             "realloc_slow: sampled allocations, their frees and filter false positives).",
             "",
             "| program threads | glibc | heapprof 512K, all | added, all | heapprof, unsampled | "
             "**added per unsampled pair** | slow-path calls |",
             "|---|---|---|---|---|---|---|"]
    for idle, g, h, hu, calls in rows:
        what = ("1 (heapprof's writer thread makes glibc multi-threaded; plain glibc stays "
                "single-threaded)" if idle == 0 else
                "1 + an idle thread in both runs (glibc multi-threaded in both)")
        lines.append(f"| {what} | {g:.1f} | {h:.1f} | {h - g:+.1f} | {hu:.1f} | "
                     f"**{hu - g:+.1f}** | {calls} |")
    return lines, rows


def cachegrind_totals(text):
    """(Ir, D1 misses, LL misses) from cachegrind's summary on stderr."""
    def num(label):
        m = re.search(rf"{label}:\s+([\d,]+)", text)
        return int(m.group(1).replace(",", "")) if m else 0
    return num("I +refs"), num("D1  misses"), num("LL misses")


def run_sample_cost(a, tmp, log):
    """What one sample costs, repeatably: cachegrind's instruction count and
    simulated cache misses of churn under heapprof at a small interval, at
    two workload sizes, less the same two runs at an interval so large that
    nothing is sampled, per extra sample.  The difference of sizes cancels
    what does not grow with the work (start-up, the profile written at
    exit); the baseline cancels the unsampled calls and the free filter.
    Timings on a shared machine move by more than the whole difference;
    these do not (the misses come from valgrind's model of the caches)."""
    churn = os.path.join(a.bin, "churn")
    big = a.cg_pairs * 5
    small = big // 2
    lines = [f"Cost of one sample with its free (cachegrind and its cache model, churn threads=1 "
             f"slots=4096): the difference between pairs={big} and pairs={small}, less the same "
             "difference at HEAPPROF_SAMPLE=1024g (nothing sampled), per extra sample taken. "
             "The L1 misses include the program's own misses on what a sample evicted. "
             "HEAPPROF_SEED=1, so every run samples the same allocations; "
             "HEAPPROF_FILTER_GRANULE=512 (the granule 64k and 4k get by default), so the "
             "baseline's unsampled frees cost what theirs do.",
             "",
             "| interval | samples | instructions per sample | L1 data misses per sample | "
             "last-level misses per sample |",
             "|---|---|---|---|---|"]

    def measure(interval, pairs):
        argv = ["valgrind", "--tool=cachegrind", "--cache-sim=yes",
                "--cachegrind-out-file=/dev/null", churn, "threads=1", f"pairs={pairs}",
                "slots=4096"]
        # A fixed seed: the same allocations are sampled by every library
        # measured, so two builds differ by their own cost, not by which
        # allocations each happened to sample (that moved the figures by
        # about 2 misses and 25 instructions per sample from run to run).
        # The same filter granule in every run: by default it follows the
        # interval (live.h), and the baseline at 1024g would get 64 KiB
        # granules, whose smaller footprint misses less than the measured
        # runs' on every free (that showed as 65 more misses per sample).
        run_once(argv, base_env(tmp), tmp, {"LD_PRELOAD": a.lib, "HEAPPROF_SAMPLE": interval,
                                             "HEAPPROF_ON_EXIT": "1", "HEAPPROF_SEED": "1",
                                             "HEAPPROF_FILTER_GRANULE": "512"})
        with open(os.path.join(tmp, "stderr.txt")) as f:
            err = f.read()
        # "heapprof[PID]: ..." (src/log.h), or "heapprof: ..." from a build
        # before the pid was in the prefix.
        if re.search(r"heapprof(\[\d+\])?:", err):
            raise SystemExit(f"bench: heapprof complained at HEAPPROF_SAMPLE={interval}:\n{err}")
        totals = cachegrind_totals(err)
        prof = [x for x in os.listdir(tmp) if x.startswith("heapprof.") and x.endswith(".pb.gz")]
        if len(prof) != 1:
            raise SystemExit(f"bench: expected one profile at exit, found {prof}")
        samples = profile_comment(os.path.join(tmp, prof[0]), "samples")
        clean_outputs(tmp)
        if samples is None:
            raise SystemExit("bench: the profile has no samples= comment")
        return totals, samples

    # 1024g is the largest interval the configuration takes (2^40 bytes)
    (b_big, s1), (b_small, s2) = measure("1024g", big), measure("1024g", small)
    if s1 > 1 or s2 > 1:
        raise SystemExit(f"bench: the baseline runs took {s1} and {s2} samples, not 0")
    for interval in ("64k", "4k"):
        (i_big, n_big), (i_small, n_small) = measure(interval, big), measure(interval, small)
        n = n_big - n_small
        if n <= 0:
            raise SystemExit(f"bench: no more samples at pairs={big} than at pairs={small}")
        ir, d1, ll = ((i_big[k] - i_small[k]) - (b_big[k] - b_small[k]) for k in range(3))
        log(f"  {interval}: {n:.0f} samples, {ir / n:.0f} Ir, {d1 / n:.1f} D1 misses per sample")
        lines.append(f"| {interval} | {n:.0f} | {ir / n:.0f} | {d1 / n:.1f} | {ll / n:.2f} |")
    return lines


# ------------------------------------------------------------------ cachesim

# Configurations of the cachesim section, each with its baseline.
SIM_PAIRS = [("glibc", None), ("hp", "glibc"), ("hp64k", "glibc"), ("hp4k", "glibc"),
             ("je", None), ("jeprof", "je"), ("hpje", "je"), ("jeprof64k", "je"), ("hpje64k", "je")]


def run_cache_sim(a, tmp, configs, log):
    """Every workload under cachegrind and its cache model, configuration by
    configuration: instructions and simulated misses per unit of work, and
    what each profiler adds to its allocator's.  Repeatable where the wall
    times of this machine are not.  Two sizes, per extra unit of work, so
    that start-up and exit cancel.  Valgrind runs the threads one at a time
    on one simulated cache, so contention between cores is not in these
    figures; the timing section has it."""
    by_name = {c.name: c for c in configs}
    pairs = [(n, b) for n, b in SIM_PAIRS if n in by_name and (b is None or b in by_name)]
    lines = [f"Per unit of work (pair, object or step) under cachegrind with its cache model, "
             f"workloads at {a.sim_scale:g} of the full size: (run at that size - run at half of "
             "it) / the extra units, so start-up and exit cancel. *Added* is over the same "
             "allocator without a profiler. Threads run one at a time under valgrind, so "
             "contention between cores is not in these figures. jemalloc runs with "
             "dirty_decay_ms:-1,muzzy_decay_ms:-1 here: its purges follow the wall clock, "
             "which valgrind's slowdown turns into noise.",
             "",
             "| workload | configuration | instructions | added | L1 data misses | added | "
             "last-level misses | added |",
             "|---|---|---|---|---|---|---|---|"]
    summary, failed = {}, []
    for w in a.workloads:
        binary, args = WORKLOADS[w]
        unit = next(k for k, scaled, _ in args if scaled)
        big = workload_argv(a.bin, w, a.scale * a.sim_scale)
        n_big = max(2, int(field(" ".join(big), unit)))  # two distinct sizes
        n_small = n_big // 2
        big = [x if not x.startswith(unit + "=") else f"{unit}={n_big}" for x in big]
        small = [x if not x.startswith(unit + "=") else f"{unit}={n_small}" for x in big]
        per = {}
        for name, _ in pairs:
            c = by_name[name]
            extra = dict(c.env)
            if c.preload:
                extra["LD_PRELOAD"] = " ".join(c.preload)
            extra["HEAPPROF_SEED"] = "1"  # the same sample points in both sizes, every run
            # jemalloc purges freed pages on a wall-clock timer, so under
            # valgrind's slowdown the purges land in one size's run or not
            # at random: `large` over jemalloc moved between -10 % and +12 %
            # from run to run with one library, and stays within 0.2 % with
            # decay off (docs/benchmarks.md, finding 8).
            if JEMALLOC in c.preload:
                extra["MALLOC_CONF"] = ",".join(
                    x for x in ("dirty_decay_ms:-1,muzzy_decay_ms:-1", extra.get("MALLOC_CONF")) if x)
            tot = []
            try:
                for argv in (big, small):
                    cmd = ["valgrind", "--tool=cachegrind", "--cache-sim=yes",
                           "--cachegrind-out-file=/dev/null"] + argv
                    run_once(cmd, base_env(tmp), tmp, extra)
                    with open(os.path.join(tmp, "stderr.txt")) as f:
                        tot.append(cachegrind_totals(f.read()))
                    clean_outputs(tmp)
            except RunFailed as e:
                if not is_peer(c):
                    raise
                clean_outputs(tmp)
                failed.append(left_out(c.label, w, failure_text(e)))
                log(f"  {w} {name}: failed")
                continue
            per[name] = [(x - y) / (n_big - n_small) for x, y in zip(*tot)]
            log(f"  {w} {name}: {per[name][0]:.1f} Ir, {per[name][1]:.2f} D1 misses per {unit}")
        for name, base in pairs:
            if name not in per or (base is not None and base not in per):
                continue
            v = per[name]
            cells = []
            for k in range(3):
                cells.append(f"{v[k]:.3g}" if k else f"{v[k]:.1f}")
                if base is None:
                    cells.append("")
                else:
                    d, b = v[k] - per[base][k], per[base][k]
                    # last-level misses are too few per unit for a percentage
                    cells.append(f"{d:+.3g} ({100 * d / b:+.1f}%)" if b and k < 2 else f"{d:+.3g}")
            if base is not None:
                summary[(w, name)] = tuple((v[k] - per[base][k]) / per[base][k]
                                           if per[base][k] else 0.0 for k in range(2))
            lines.append(f"| {w} (per {unit}) | {by_name[name].label} | " + " | ".join(cells) + " |")
    if failed:
        lines += [""] + failed
    return lines, summary


# --------------------------------------------------------------------- dump


def profile_strings(data):
    """The string table of a pprof Profile (field 6), read off the wire: a
    search of the raw bytes would take a length byte that happens to be a
    letter for part of the text."""
    def varint(i):
        v = shift = 0
        while True:
            b = data[i]
            i += 1
            v |= (b & 0x7f) << shift
            shift += 7
            if not b & 0x80:
                return v, i
    out, i = [], 0
    while i < len(data):
        key, i = varint(i)
        wire = key & 7
        if wire == 0:
            _, i = varint(i)
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        elif wire == 2:
            n, i = varint(i)
            if key >> 3 == 6:
                out.append(data[i:i + n].decode("utf-8", "replace"))
            i += n
        else:
            raise SystemExit(f"bench: unexpected wire type {wire} in a profile")
    return out


def profile_comment(path, key):
    """The number after KEY= in the profile's strings (its comments)."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    for text in profile_strings(data):
        m = re.search(r"(?:^| )" + re.escape(key) + r"=([0-9.]+)", text)
        if m:
            return float(m.group(1))
    return None


def run_dump(a, tmp, log):
    dumpstacks = os.path.join(a.bin, "dumpstacks")
    more = a.dump_args.split()
    lines = [f"`dumpstacks stacks=N dumps=3{''.join(' ' + x for x in more)}`, run "
             f"{a.dump_runs} times per N: HEAPPROF_SAMPLE=1 while the stacks are made, then "
             "the default interval. Dump 1 is cold (the symbolizer reads the ELF files), dumps "
             "2-3 warm; wall time of the `heapprof_dump(NULL)` call and the CPU time of the "
             "thread that made it, in a run without the latency thread. `last_dump_ms` is read "
             "back from the following profile's comment. Latency, from a second run of each: the worst single malloc(64)+free of another thread during the "
             "dumps, and during an equally busy window just before them (the machine's own "
             "noise); \"CPU\" is the most CPU time that thread spent in one pair (a pair slow in "
             "wall time but not in CPU time was off the CPU: preempted, or asleep on a lock).",
             "",
             "| stacks | profile KiB | dump 1 ms (cold) | dumps 2-3 ms median [max] | "
             "dumps 2-3 CPU ms | last_dump_ms (profile) | worst pair during dumps us (CPU us) "
             "| pairs > 1 ms during dumps | worst pair, quiet window us (CPU us) | pairs > 1 ms, quiet "
             "| peak RSS MiB no dump / 3 dumps |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    verdict = {}
    for n in a.dump_stacks:
        cold, warm, warm_cpu, lastms, size = [], [], [], [], []
        lat_d, lat_dc, over_d, lat_q, lat_qc, over_q = [], [], [], [], [], []
        rss_nodump = rss_dump = None
        for r in range(a.dump_runs):
            env = base_env(tmp)
            # HEAPPROF_STACK_MEMORY: the target is the time to write n whole
            # stacks; under the default budget 100k stacks would be merged.
            extra = {"LD_PRELOAD": a.lib, "HEAPPROF_SAMPLE": "1", "HEAPPROF_STACK_MEMORY": "1g"}
            # Times from a run without the latency thread (on 2 cores it would
            # take one of them from the dumping thread), latencies from one with.
            _, rss, text, _ = run_once([dumpstacks, f"stacks={n}", "dumps=3", "quiet_ms=0",
                                        "latency=0"] + more, env, tmp, extra)
            rss_dump = max(rss_dump or 0, rss)
            f = lambda k: float(field(text, k))
            cold.append(f("dump_ms_1"))
            warm += [f("dump_ms_2"), f("dump_ms_3")]
            warm_cpu += [f("dump_cpu_ms_2"), f("dump_cpu_ms_3")]
            files = sorted(x for x in os.listdir(tmp) if x.startswith("heapprof.") and x.endswith(".pb.gz"))
            for x in files[1:]:
                v = profile_comment(os.path.join(tmp, x), "last_dump_ms")
                if v is not None:
                    lastms.append(v)
            if files:
                size.append(os.path.getsize(os.path.join(tmp, files[-1])) / 1024)
            clean_outputs(tmp)
            _, rss, text, _ = run_once([dumpstacks, f"stacks={n}", "dumps=3", "quiet_ms=300"]
                                       + more, env, tmp, extra)
            rss_dump = max(rss_dump, rss)
            lat_d.append(f("lat_dump_max_us"))
            lat_dc.append(f("lat_dump_max_cpu_us"))
            over_d.append(int(f("lat_dump_over_1ms")))
            lat_q.append(f("lat_quiet_max_us"))
            lat_qc.append(f("lat_quiet_max_cpu_us"))
            over_q.append(int(f("lat_quiet_over_1ms")))
            clean_outputs(tmp)
            if r == 0:
                _, rss0, _, _ = run_once([dumpstacks, f"stacks={n}", "dumps=0", "quiet_ms=0",
                                          "latency=0"] + more, env, tmp, extra)
                rss_nodump = rss0
                clean_outputs(tmp)
        mw, mc = statistics.median(warm), statistics.median(warm_cpu)
        verdict[n] = (mw, max(lat_d), sum(over_d), mc, max(lat_dc), max(lat_q), sum(over_q))
        lines.append(
            f"| {n} | {statistics.median(size):.0f} | {statistics.median(cold):.1f} | "
            f"{mw:.1f} [{max(warm):.1f}] | {mc:.1f} | "
            f"{statistics.median(lastms) if lastms else float('nan'):.1f} | "
            f"{max(lat_d):.0f} ({max(lat_dc):.0f}) | {sum(over_d)} in {a.dump_runs} runs | "
            f"{max(lat_q):.0f} ({max(lat_qc):.0f}) | {sum(over_q)} | "
            f"{rss_nodump / 1024:.0f} / {rss_dump / 1024:.0f} |")
        log(f"  {n} stacks: warm dump {mw:.1f} ms ({mc:.1f} ms CPU), worst pair {max(lat_d):.0f} us")
    return lines, verdict


# --------------------------------------------------------------------- main


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except Exception:
        return "?"


def jemalloc_prof_status():
    """Whether this jemalloc accepts prof:true (built with --enable-prof)."""
    env = dict(os.environ, LD_PRELOAD=JEMALLOC,
               MALLOC_CONF="prof:true,lg_prof_sample:19,stats_print:true")
    try:
        out = subprocess.run(["/bin/true"], env=env, capture_output=True, text=True).stderr
    except OSError as e:
        return f"not checked ({e})"
    if re.search(r"opt\.prof: true", out):
        return "enabled (stats_print shows config.prof: true, opt.prof: true)"
    if "Invalid conf" in out or "config.prof: false" in out:
        return "**REJECTED: this jemalloc was built without profiling; the jeprof rows are plain jemalloc**"
    return "unknown (no stats output)"


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def machine_lines(a):
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ver = lambda p: sh(f"dpkg-query -W -f='${{Version}}' {p} 2>/dev/null") or "not installed"
    return [
        f"- date: {time.strftime('%Y-%m-%d %H:%M %Z')}",
        f"- machine: {os.cpu_count()} CPUs (nproc {sh('nproc')}), {cpu}, "
        f"{round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30)} GiB",
        f"- kernel: {platform.release()}",
        f"- glibc {sh('ldd --version | head -1').split()[-1]}, jemalloc {ver('libjemalloc2')}, "
        f"gperftools {ver('libgoogle-perftools4')}, heaptrack {ver('heaptrack')}, "
        f"valgrind {ver('valgrind')}, cc: {sh('cc --version | head -1')}",
        f"- heapprof: {a.lib_desc} (Release build), workloads -O2",
        f"- jemalloc prof:true: {jemalloc_prof_status()}",
        f"- settings: --runs {a.runs} --budget {a.budget:g} --scale {a.scale} --small-div {a.small_div} "
        f"(heaptrack and gperftools pairs run the workloads at 1/{a.small_div:g} of the size)",
    ]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bin", required=True, help="directory of the workload binaries")
    p.add_argument("--lib", required=True, help="libheapprof.so")
    p.add_argument("--runs", type=int, default=15, help="timing runs per configuration (default 15)")
    p.add_argument("--budget", type=float, default=90,
                   help="seconds of timing runs per configuration and workload: a configuration "
                        "whose first run is slow runs budget/that times (at least 3, at most "
                        "--runs); 0 for no limit (default 90)")
    p.add_argument("--scale", type=float, default=1.0, help="workload size factor (default 1)")
    p.add_argument("--small-div", type=float, default=25,
                   help="heaptrack/gperftools pairs use size/this (default 25)")
    p.add_argument("--workloads", default="churn,xthread,large,cxx,deep,sites")
    p.add_argument("--configs", default="",
                   help="comma list of configuration names to run (default all): "
                        "glibc,hp,hp64k,hp4k,je,jeprof,hpje,jeprof64k,hpje64k,tc_s,tchp_s,"
                        "glibc_s,ht_s,shim,shimje")
    p.add_argument("--sections", default="timing,rss,sidebyside,callgrind,samplecost,cachesim,dump")
    p.add_argument("--side-runs", type=int, default=11,
                   help="side-by-side rounds per pair (default 11; each round is two runs of both)")
    p.add_argument("--side-scale", type=float, default=0.34,
                   help="side-by-side workload size, a fraction of the full size (default 0.34)")
    p.add_argument("--sim-scale", type=float, default=0.05,
                   help="cachesim workload size, a fraction of the full size (default 0.05)")
    p.add_argument("--cg-pairs", type=int, default=400_000)
    p.add_argument("--dump-stacks", default="1000,10000,100000")
    p.add_argument("--dump-runs", type=int, default=5)
    p.add_argument("--dump-args", default="",
                   help="more dumpstacks arguments, e.g. bands=1 (three samples a stack)")
    p.add_argument("--out", help="also write the report (markdown) here")
    p.add_argument("--lib-desc", default="?", help="where the library was built from")
    a = p.parse_args()
    a.workloads = [w for w in a.workloads.split(",") if w]
    if a.runs < 1:
        raise SystemExit("bench: --runs must be at least 1")
    if not 0 <= a.budget < float("inf"):
        raise SystemExit("bench: --budget must be a number of seconds, 0 or more")
    if a.side_runs < 1:
        raise SystemExit("bench: --side-runs must be at least 1")
    for w in a.workloads:
        if w not in WORKLOADS:
            raise SystemExit(f"bench: unknown workload {w}")
    a.dump_stacks = [int(x) for x in a.dump_stacks.split(",") if x]
    a.lib = os.path.abspath(a.lib)
    a.bin = os.path.abspath(a.bin)
    global RUNSTAT
    RUNSTAT = os.path.join(a.bin, "runstat")
    sections = set(a.sections.split(","))
    if "rss" in sections:
        sections.add("timing")

    tmp = tempfile.mkdtemp(prefix="heapprof-bench.")
    t_start = time.time()

    def log(msg):
        print(f"[{time.time() - t_start:6.0f}s] {msg}", file=sys.stderr, flush=True)

    report = ["## Results", ""] + machine_lines(a)
    report.append(f"- load average at start: {loadavg()}")
    verdicts = {}
    try:
        configs = make_configs(a.lib, tmp, a.bin)
        if a.configs:
            keep = set(a.configs.split(","))
            configs = [c for c in configs if c.name in keep]
        side_configs = configs
        configs = [c for c in configs if not c.side_only]
        if not configs:  # only side-by-side configurations were asked for
            sections -= {"timing", "rss", "cachesim"}
        if "timing" in sections:
            log(f"timing: {len(configs)} configurations x {a.runs} runs x {len(a.workloads)} workloads")
            results, failed = run_timing(a, tmp, configs, log)
            lines, summary, spread = timing_tables(a, results, configs)
            label = {c.name: c.label for c in configs}
            for (w, n), why in failed.items():
                lines += ["", left_out(label[n], w, why)]
            verdicts["timing"] = summary
            verdicts["spread"] = spread
            report += ["", "### Wall time", ""] + lines
            if "rss" in sections:
                lines, v = rss_table(results)
                verdicts["rss"] = v
                report += ["", "### Memory", ""] + lines
        if "sidebyside" in sections:
            names = {c.name for c in side_configs}
            n_pairs = sum(b in names and p_ in names for b, p_ in SIDE_PAIRS)
            log(f"side by side: {n_pairs} pairs x {a.side_runs} rounds")
            lines, v = run_side_by_side(a, tmp, side_configs, log)
            verdicts["side"] = v
            report += ["", "### Side by side (one core each)", ""] + lines
        if "callgrind" in sections:
            log("callgrind")
            lines, rows = run_callgrind(a, tmp, log)
            verdicts["callgrind"] = rows
            report += ["", "### Instructions per pair", ""] + lines
        if "samplecost" in sections:
            log("sample cost (cachegrind)")
            report += ["", "### Cost of one sample", ""] + run_sample_cost(a, tmp, log)
        if "cachesim" in sections:
            log("cachesim (cachegrind, every workload)")
            lines, v = run_cache_sim(a, tmp, configs, log)
            verdicts["cachesim"] = v
            report += ["", "### Instructions and cache misses per unit of work", ""] + lines
        if "dump" in sections:
            log("dump")
            lines, v = run_dump(a, tmp, log)
            verdicts["dump"] = v
            report += ["", "### Profile write", ""] + lines
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    report += ["", f"- load average at end: {loadavg()}; "
               f"total time {time.time() - t_start:.0f} s"]
    report += ["", "### Targets", ""] + targets(verdicts)
    text = "\n".join(report) + "\n"
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)


def targets(v):
    out = []
    t = v.get("timing", {})
    spread = v.get("spread", {})

    def chk(w, base, prof, limit, what):
        if (w, prof) not in t:
            return
        r, pr, cpu, mn = t[(w, prof)]
        noise = max(spread.get((w, base), 0), spread.get((w, prof), 0))
        margin = round(100 * (limit - 1), 9)  # 15, not 14.999999999999991
        verdict = "met" if r <= limit else "**missed**"
        if noise > margin:
            verdict += (f" - but inconclusive: the runs' spread (IQR {noise:.0f}% of the median) "
                        f"is wider than the {margin:.0f}% margin")
        out.append(f"- {what}, {w}: {r:.3f}x (paired {pr:.3f}x, CPU {cpu:.3f}x, min {mn:.3f}x) "
                   f"vs <= {limit}x: "
                   f"{verdict}")

    for w in ("churn", "xthread"):
        chk(w, "glibc", "hp", 1.05, "default interval over glibc")
        chk(w, "je", "hpje", 1.05, "default interval over jemalloc")
        chk(w, "glibc", "hp64k", 1.15, "64 KiB over glibc")
        chk(w, "je", "hpje64k", 1.15, "64 KiB over jemalloc")
        for prof, peer, what in (("hpje", "jeprof", "512 KiB"), ("hpje64k", "jeprof64k", "64 KiB")):
            if (w, prof) in t and (w, peer) in t:
                a_, b_ = t[(w, prof)], t[(w, peer)]
                out.append(f"- {what} over jemalloc, {w}: heapprof {a_[0]:.3f}x (CPU {a_[2]:.3f}x) vs "
                           f"jemalloc's own profiler {b_[0]:.3f}x (CPU {b_[2]:.3f}x): heapprof "
                           f"{'cheaper' if a_[2] < b_[2] else '**dearer**'} in CPU time")
    side = v.get("side", {})

    def chk_side(w, prof, limit, what):
        if (w, prof) not in side:
            return
        wall, cpu, iqr, lo, hi = side[(w, prof)]
        margin = round(100 * (limit - 1), 9)  # 15, not 14.999999999999991
        verdict = "met" if cpu <= limit else "**missed**"
        shim = "shimje" if prof.startswith("hpje") else "shim"
        floor = side.get((w, shim))
        own = side.get(side_key(w, shim, prof))
        ctl = side.get((w, "glibc"))  # glibc beside glibc: should read 1.00x
        if cpu > limit and floor and floor[1] > limit:
            verdict += (f" - below the floor: the bare forwarding shim alone costs {floor[1]:.3f}x, "
                        f"heapprof {cpu / floor[1]:.3f}x of that")
        elif control_noisy(ctl):
            verdict += (f" - but inconclusive: the control row (glibc beside glibc) reads "
                        f"{ctl[1]:.3f}x, IQR {ctl[2]:.1f}%")
        elif iqr > margin:
            verdict += f" - but inconclusive: the rounds' spread (IQR {iqr:.1f}%) is wider than the {margin:.0f}% margin"
        if own and floor:
            # What the target leaves heapprof once the floor is paid.
            room = limit / floor[1]
            verdict += (f"; heapprof over the bare shim: {own[1]:.3f}x [IQR {own[2]:.1f}%], "
                        + (f"where the target leaves it at most {room:.3f}x over this run's floor"
                           if room >= 1 else "where this run's floor alone is over the target"))
        out.append(f"- side by side, {what}, {w}: CPU {cpu:.3f}x [{lo:.3f}-{hi:.3f}] (wall {wall:.3f}x) "
                   f"vs <= {limit}x: {verdict}")

    for w in SIDE_WORKLOADS:
        if (w, "glibc") in side:
            ctl = side[(w, "glibc")]
            out.append(f"- side by side, {w}: the control row (glibc beside glibc) reads {ctl[1]:.3f}x, "
                       f"IQR {ctl[2]:.1f}%: " + ("**the machine is too noisy** for a verdict within a "
                       "few per cent" if control_noisy(ctl) else "the method's own error is small"))
        for shim, what in (("shim", "glibc"), ("shimje", "jemalloc")):
            if (w, shim) in side:
                out.append(f"- side by side, {w}: a bare forwarding shim (no profiler) costs "
                           f"{side[(w, shim)][1]:.3f}x over {what}: the floor of interposition")
        chk_side(w, "hp", 1.05, "default interval over glibc")
        chk_side(w, "hpje", 1.05, "default interval over jemalloc")
        chk_side(w, "hp64k", 1.15, "64 KiB over glibc")
        chk_side(w, "hpje64k", 1.15, "64 KiB over jemalloc")
        for prof, peer, what in (("hpje", "jeprof", "512 KiB"), ("hpje64k", "jeprof64k", "64 KiB")):
            if (w, prof) in side and (w, peer) in side:
                h, j = side[(w, prof)][1], side[(w, peer)][1]
                out.append(f"- side by side, {what} over jemalloc, {w}: heapprof {h:.3f}x vs jemalloc's "
                           f"own profiler {j:.3f}x: heapprof {'cheaper' if h < j else '**dearer**'}")
    cs = v.get("cachesim", {})
    for w in WORKLOADS:
        if (w, "hp") in cs:
            i, m = cs[(w, "hp")]
            out.append(f"- cachesim, {w}, default interval over glibc: {100 * i:+.1f}% instructions, "
                       f"{100 * m:+.1f}% L1 misses (repeatable; not a timing)")
        if (w, "hpje") in cs and (w, "jeprof") in cs:
            (i, m), (ji, jm) = cs[(w, "hpje")], cs[(w, "jeprof")]
            out.append(f"- cachesim, {w}, over jemalloc: heapprof {100 * i:+.1f}% instructions, "
                       f"{100 * m:+.1f}% L1 misses; jemalloc's profiler {100 * ji:+.1f}%, "
                       f"{100 * jm:+.1f}%: heapprof adds "
                       f"{'less' if i < ji else '**more**'} work and "
                       f"{'fewer' if m < jm else '**more**'} misses")
    for w, (extra, limit, ok) in v.get("rss", {}).items():
        out.append(f"- extra peak RSS, {w}: worst {extra:+.1f} MiB vs {limit:.1f} MiB: "
                   f"{'met' if ok else '**missed**'}")
    for idle, g, h, hu, calls in v.get("callgrind", []):
        out.append(f"- instructions added per unsampled pair ({'idle thread in both' if idle else 'as is'}): "
                   f"{hu - g:+.1f} vs <= 15: {'met' if hu - g <= 15 else '**missed**'}")
    d = v.get("dump", {})
    if 100000 in d:
        ms, lat, over, cpu = d[100000][:4]
        out.append(f"- 100k-stack profile write: {ms:.0f} ms ({cpu:.0f} ms CPU) vs < 250 ms: "
                   f"{'met' if ms < 250 else '**missed**'}")
    for n, (ms, lat, over, cpu, lat_cpu, lat_q, over_q) in sorted(d.items()):
        if lat < 1000:
            verdict = "met"
        elif lat_cpu < 1000 and over_q:
            verdict = (f"**missed** in wall time, but no pair used 1 ms of CPU ({lat_cpu:.0f} us at "
                       f"most) and the quiet window had {over_q} such pairs too: preemption by "
                       "other load, not blocking")
        else:
            verdict = "**missed**"
        out.append(f"- worst malloc+free of another thread while writing {n} stacks: "
                   f"{lat / 1000:.2f} ms vs < 1 ms: {verdict}")
    return out


if __name__ == "__main__":
    main()

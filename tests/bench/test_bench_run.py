#!/usr/bin/env python3
"""Unit tests of the arithmetic in scripts/bench_run.py, the benchmark driver.

Every figure docs/benchmarks.md reports comes from these functions: the
medians and ratios of the timing table (compared over the rounds both sides
ran), the run budget, the quartiles behind every spread, the target lines'
verdicts (met / missed / inconclusive / below the floor), and the parsers of
callgrind, cachegrind and pprof output.  The benchmark itself is too slow and
too noisy to check them; these tests feed them small hand-made inputs whose
right answers are worked out by hand in the comments.

Standard library only, no binaries: run by ctest as bench_driver_unit, or
by hand with `python3 tests/bench/test_bench_run.py -v`.
"""

import gzip
import importlib.util
import os
import pathlib
import tempfile
import types
import unittest

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "scripts" / "bench_run.py"


def load_bench_run():
    # Imported by path: scripts/ is no package.  Importing it must not run
    # main() (it is behind `if __name__ == "__main__"`); if it did, argparse
    # would exit here for want of --bin/--lib.
    spec = importlib.util.spec_from_file_location("bench_run", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


br = load_bench_run()


def args(**kw):
    """The parsed-options object the functions take (only what they read)."""
    return types.SimpleNamespace(**kw)


def run(wall, cpu=None):
    """One timing-section result: (wall, rss KiB, checksum, live peak, cpu)."""
    return (wall, 1024, "c0ffee", 0, wall if cpu is None else cpu)


class FieldTest(unittest.TestCase):
    """field(text, key): the value after `key=` in runstat/workload output."""

    def test_value_and_missing_key(self):
        text = "wall_ns=1500000000 maxrss_kb=2048\ncpu_ns=42\n"
        self.assertEqual(br.field(text, "wall_ns"), "1500000000")
        self.assertEqual(br.field(text, "maxrss_kb"), "2048")  # stops at the newline
        self.assertEqual(br.field(text, "cpu_ns"), "42")
        self.assertIsNone(br.field(text, "checksum"))

    def test_key_is_not_matched_inside_a_longer_key(self):
        # "_" is a word character, so \b keeps dump_ms= from matching inside
        # last_dump_ms=: the first whole-word dump_ms= is 7.
        self.assertEqual(br.field("last_dump_ms=99 dump_ms=7", "dump_ms"), "7")
        self.assertIsNone(br.field("last_dump_ms=99", "dump_ms"))


class QuantilesTest(unittest.TestCase):
    """quantiles(xs): (Q1, Q3), inclusive method, behind every IQR."""

    def test_odd_length(self):
        # Inclusive quartiles of 1..5 fall on elements 1 and 3 (0-based): 2, 4.
        self.assertEqual(br.quantiles([1, 2, 3, 4, 5]), (2, 4))

    def test_order_does_not_matter(self):
        self.assertEqual(br.quantiles([5, 1, 4, 2, 3]), (2, 4))

    def test_even_length_interpolates(self):
        # 1..4: positions 0.75 and 2.25 of the sorted list:
        # 1 + 0.75 * (2 - 1) = 1.75 and 3 + 0.25 * (4 - 3) = 3.25.
        q1, q3 = br.quantiles([4, 3, 2, 1])
        self.assertAlmostEqual(q1, 1.75)
        self.assertAlmostEqual(q3, 3.25)

    def test_two_values(self):
        # Positions 0.25 and 0.75 between 1 and 2.
        q1, q3 = br.quantiles([2, 1])
        self.assertAlmostEqual(q1, 1.25)
        self.assertAlmostEqual(q3, 1.75)

    def test_one_value_has_no_spread(self):
        # statistics.quantiles needs two points; one run means IQR 0.
        self.assertEqual(br.quantiles([7.5]), (7.5, 7.5))


class RunsInBudgetTest(unittest.TestCase):
    """runs_in_budget: --budget S gives a configuration whose first run took
    t seconds S/t runs, at least 3, at most --runs; 0 means no limit
    (docs/benchmarks.md, "One command")."""

    a = args(runs=15, budget=90)  # the defaults

    def test_fast_configuration_keeps_every_round(self):
        self.assertEqual(br.runs_in_budget(self.a, 1.0), 15)  # 90 runs fit: capped at 15

    def test_exactly_budget_over_runs_keeps_every_round(self):
        # 90 / 15 = 6 s a run: the docs' "up to budget/runs seconds" boundary.
        self.assertEqual(br.runs_in_budget(self.a, 6.0), 15)

    def test_slower_runs_budget_over_first_run(self):
        self.assertEqual(br.runs_in_budget(self.a, 6.5), 13)  # 90 / 6.5 = 13.8, whole runs
        self.assertEqual(br.runs_in_budget(self.a, 9.0), 10)  # 90 / 9 = 10
        self.assertEqual(br.runs_in_budget(self.a, 30.0), 3)  # 90 / 30 = 3

    def test_at_least_three(self):
        self.assertEqual(br.runs_in_budget(self.a, 45.0), 3)  # 90 / 45 = 2 -> 3
        self.assertEqual(br.runs_in_budget(self.a, 600.0), 3)  # 0 runs fit -> 3

    def test_never_more_than_runs_even_for_the_minimum(self):
        self.assertEqual(br.runs_in_budget(args(runs=2, budget=90), 600.0), 2)
        self.assertEqual(br.runs_in_budget(args(runs=1, budget=90), 600.0), 1)

    def test_zero_budget_means_no_limit(self):
        self.assertEqual(br.runs_in_budget(args(runs=15, budget=0), 1000.0), 15)

    def test_zero_seconds_does_not_divide_by_zero(self):
        self.assertEqual(br.runs_in_budget(self.a, 0.0), 15)


class FmtSTest(unittest.TestCase):
    def test_three_decimals_below_ten_two_above(self):
        self.assertEqual(br.fmt_s(1.5), "1.500")
        self.assertEqual(br.fmt_s(9.9994), "9.999")
        self.assertEqual(br.fmt_s(10), "10.00")
        self.assertEqual(br.fmt_s(12.5), "12.50")


class WorkloadArgvTest(unittest.TestCase):
    def test_only_the_unit_of_work_is_scaled(self):
        # churn: pairs (30M in full) scales, threads and slots do not.
        self.assertEqual(br.workload_argv("/b", "churn", 0.5),
                         ["/b/churn", "threads=2", "pairs=15000000", "slots=4096"])

    def test_scaled_size_is_at_least_one(self):
        self.assertEqual(br.workload_argv("/b", "large", 1e-9),
                         ["/b/large", "ops=1", "slots=32"])


class TimingTablesTest(unittest.TestCase):
    """timing_tables: ratio of medians, paired ratio, CPU ratio, min ratio,
    over the rounds both sides of a pair ran, and the spread table."""

    def configs(self, *names):
        by = {c.name: c for c in br.make_configs("/lib.so", "/tmp", "/bin")}
        return [by[n] for n in names]

    def test_pair_compared_over_the_rounds_both_sides_ran(self):
        a = args(runs=5, budget=90)
        results = {"churn": {
            # glibc ran all 5 rounds; its last two are slow, so a ratio that
            # used them would read median 2.0 instead of 1.5.
            "glibc": [run(1.0, 1.0), run(2.0, 2.0), run(1.5, 3.0), run(10.0, 0.1), run(10.0, 0.2)],
            # --budget cut hp to the first 3 rounds.
            "hp": [run(1.2, 3.0), run(2.0, 3.0), run(1.8, 3.0)],
            # A peer that failed is left with no runs: no row.
            "hp4k": [],
        }}
        lines, summary, spread = br.timing_tables(a, results, self.configs("glibc", "hp", "hp4k"))

        # Rounds 1-3 only: glibc [1.0, 2.0, 1.5] median 1.5, hp [1.2, 2.0, 1.8]
        # median 1.8 -> ratio 1.2.  Per-round ratios 1.2, 1.0, 1.2 -> paired
        # median 1.2 [1.00-1.20].  CPU: glibc [1, 2, 3] median 2 (all five
        # would give 1.0), hp 3 -> 1.5.  Fastest runs 1.2 / 1.0 = 1.2.
        ratio, paired, cpu, mn = summary[("churn", "hp")]
        self.assertAlmostEqual(ratio, 1.2)
        self.assertAlmostEqual(paired, 1.2)
        self.assertAlmostEqual(cpu, 1.5)
        self.assertAlmostEqual(mn, 1.2)
        self.assertEqual(set(summary), {("churn", "hp")})  # no hp4k row

        # Both sides' cells are marked n=3 (3 < --runs 5).
        self.assertIn("| churn | glibc | 1.500 [1.000-2.000] n=3 | heapprof 512 KiB (default) | "
                      "1.800 [1.200-2.000] n=3 | **1.200x** | 1.200x [1.00-1.20] | 1.500x | 1.200x |",
                      lines)
        # ... and the header explains n= since a side was cut.
        self.assertIn("n = the rounds a pair is compared over", lines[0])
        self.assertIn("cut one side below 5", lines[0])

        # The spread table uses every run of a configuration.
        # glibc sorted [1, 1.5, 2, 10, 10]: Q1 1.5, Q3 10, median 2 ->
        # 100 * 8.5 / 2 = 425.0.  hp sorted [1.2, 1.8, 2.0]: Q1 1.5, Q3 1.9,
        # median 1.8 -> 100 * 0.4 / 1.8 = 22.2.  hp4k: empty cell.
        self.assertAlmostEqual(spread[("churn", "glibc")], 425.0)
        self.assertAlmostEqual(spread[("churn", "hp")], 100 * 0.4 / 1.8)
        self.assertNotIn(("churn", "hp4k"), spread)
        self.assertIn("| churn | 425.0 | 22.2 |  |", lines)
        self.assertIn("| workload | glibc | hp | hp4k |", lines)

    def test_no_cut_no_n_marks(self):
        a = args(runs=3, budget=90)
        results = {"churn": {"glibc_s": [run(1.0)] * 3, "ht_s": [run(3.0)] * 3}}
        lines, summary, _ = br.timing_tables(a, results, self.configs("glibc_s", "ht_s"))
        # A small pair is labelled so; every ratio is 3 / 1.
        self.assertIn("| churn (small) | glibc | 1.000 [1.000-1.000] | heaptrack | 3.000 [3.000-3.000] | "
                      "**3.000x** | 3.000x [3.00-3.00] | 3.000x | 3.000x |", lines)
        self.assertEqual(summary[("churn", "ht_s")], (3.0, 3.0, 3.0, 3.0))
        self.assertFalse(any("n=" in x for x in lines))
        self.assertNotIn("n = the rounds", lines[0])


class SideBySideKeysTest(unittest.TestCase):
    """side_key and control_noisy: how side-by-side results are looked up
    and when the glibc-beside-glibc control row voids a workload's verdicts."""

    def test_side_key(self):
        self.assertEqual(br.side_key("churn", "glibc", "hp"), ("churn", "hp"))
        self.assertEqual(br.side_key("churn", "glibc", "glibc"), ("churn", "glibc"))  # control
        # Pairs over the bare shim are keyed profiled/baseline.
        self.assertEqual(br.side_key("churn", "shim", "hp"), ("churn", "hp/shim"))
        self.assertEqual(br.side_key("churn", "shimje", "hpje64k"), ("churn", "hpje64k/shimje"))
        self.assertEqual(br.SIDE_PAIRS[0], ("glibc", "glibc"))

    def test_control_noisy(self):
        # ctl = (wall, cpu, iqr, lo, hi); noisy if |cpu - 1| > 2 % or IQR > 5 %.
        self.assertFalse(br.control_noisy(None))
        self.assertFalse(br.control_noisy((1.0, 1.003, 0.9, 0.99, 1.01)))
        self.assertFalse(br.control_noisy((1.0, 1.019, 4.9, 0.99, 1.01)))
        self.assertFalse(br.control_noisy((1.0, 0.981, 4.9, 0.99, 1.01)))
        # Exactly 2 % is not "more than 2 %" (1.02 - 1 is 0.020000000000000018).
        self.assertFalse(br.control_noisy((1.0, 1.02, 1.0, 0.99, 1.01)))
        self.assertFalse(br.control_noisy((1.0, 0.98, 1.0, 0.99, 1.01)))
        self.assertTrue(br.control_noisy((1.0, 1.021, 1.0, 0.99, 1.05)))
        self.assertTrue(br.control_noisy((1.0, 0.979, 1.0, 0.95, 1.01)))
        self.assertTrue(br.control_noisy((1.0, 1.003, 5.1, 0.9, 1.1)))  # docs: 9.1 % was too noisy


class TargetsTimingTest(unittest.TestCase):
    """targets(): the timing section's lines (ratio of medians vs the limit,
    inconclusive when either side's IQR is wider than the margin)."""

    def test_met(self):
        v = {"timing": {("churn", "hp"): (1.04, 1.03, 1.02, 1.01)},
             "spread": {("churn", "glibc"): 3.0, ("churn", "hp"): 4.0}}
        self.assertEqual(br.targets(v), [
            "- default interval over glibc, churn: 1.040x (paired 1.030x, CPU 1.020x, min 1.010x) "
            "vs <= 1.05x: met"])

    def test_limit_itself_is_met(self):
        v = {"timing": {("churn", "hp"): (1.05, 1.0, 1.0, 1.0)}}
        self.assertTrue(br.targets(v)[0].endswith("vs <= 1.05x: met"))

    def test_missed(self):
        # 1.051 > 1.05 (docs' session-18 churn line).
        v = {"timing": {("churn", "hp"): (1.051, 1.054, 1.049, 1.049)}}
        self.assertEqual(br.targets(v), [
            "- default interval over glibc, churn: 1.051x (paired 1.054x, CPU 1.049x, min 1.049x) "
            "vs <= 1.05x: **missed**"])

    def test_inconclusive_when_either_side_spreads_wider_than_the_margin(self):
        # The baseline's spread (20 %) is over the 5 % margin; the profiled
        # side's is small: the wider of the two counts.
        v = {"timing": {("xthread", "hp"): (1.026, 1.028, 1.025, 0.839)},
             "spread": {("xthread", "glibc"): 20.0, ("xthread", "hp"): 1.0}}
        self.assertEqual(br.targets(v), [
            "- default interval over glibc, xthread: 1.026x (paired 1.028x, CPU 1.025x, min 0.839x) "
            "vs <= 1.05x: met - but inconclusive: the runs' spread (IQR 20% of the median) is "
            "wider than the 5% margin"])

    def test_64k_limit_and_jemalloc_baseline(self):
        # hpje64k's limit is 1.15, and its spread is checked against je's.
        v = {"timing": {("churn", "hpje64k"): (1.193, 1.175, 1.171, 1.156)},
             "spread": {("churn", "je"): 16.0}}
        self.assertEqual(br.targets(v), [
            "- 64 KiB over jemalloc, churn: 1.193x (paired 1.175x, CPU 1.171x, min 1.156x) "
            "vs <= 1.15x: **missed** - but inconclusive: the runs' spread (IQR 16% of the median) "
            "is wider than the 15% margin"])
        # A spread of exactly 15 % is not wider than the 15 % margin
        # (100 * (1.15 - 1) is 14.999999999999991 unrounded).
        v["spread"] = {("churn", "je"): 15.0}
        self.assertNotIn("inconclusive", br.targets(v)[0])

    def test_against_jemallocs_profiler_by_cpu_ratio(self):
        # Compared by CPU ratio (index 2), not wall: 1.097 < 1.140 -> cheaper.
        v = {"timing": {("churn", "hpje"): (1.108, 1.091, 1.097, 1.102),
                        ("churn", "jeprof"): (1.149, 1.15, 1.140, 1.14)}}
        self.assertIn("- 512 KiB over jemalloc, churn: heapprof 1.108x (CPU 1.097x) vs jemalloc's own "
                      "profiler 1.149x (CPU 1.140x): heapprof cheaper in CPU time", br.targets(v))
        # Wall ratio lower but CPU ratio higher: dearer in CPU time.
        v = {"timing": {("churn", "hpje"): (1.0, 1.0, 1.2, 1.0),
                        ("churn", "jeprof"): (1.1, 1.1, 1.1, 1.1)}}
        self.assertTrue(br.targets(v)[-1].endswith("heapprof **dearer** in CPU time"))

    def test_nothing_measured_nothing_said(self):
        self.assertEqual(br.targets({}), [])


class TargetsSideBySideTest(unittest.TestCase):
    """targets(): side-by-side lines, with the control row, the bare-shim
    floor and heapprof's own cost over the shim.  Rows are
    (wall, cpu, iqr %, min, max) as run_side_by_side returns them."""

    def test_control_and_floor_lines_and_met(self):
        side = {("xthread", "glibc"): (1.0, 0.999, 0.9, 0.99, 1.01),
                ("xthread", "shim"): (1.0, 1.015, 1.0, 1.0, 1.03),
                ("xthread", "hp"): (1.039, 1.035, 2.0, 1.002, 1.057),
                ("xthread", "hp/shim"): (1.0, 1.027, 0.8, 1.0, 1.05)}
        # Room over the floor: 1.05 / 1.015 = 1.0345 -> "1.034".
        self.assertEqual(br.targets({"side": side}), [
            "- side by side, xthread: the control row (glibc beside glibc) reads 0.999x, IQR 0.9%: "
            "the method's own error is small",
            "- side by side, xthread: a bare forwarding shim (no profiler) costs 1.015x over glibc: "
            "the floor of interposition",
            "- side by side, default interval over glibc, xthread: CPU 1.035x [1.002-1.057] "
            "(wall 1.039x) vs <= 1.05x: met; heapprof over the bare shim: 1.027x [IQR 0.8%], "
            "where the target leaves it at most 1.034x over this run's floor"])

    def test_below_the_floor_wins_over_a_noisy_control(self):
        # The docs' session-18 churn/hpje line: missed, and the shim over
        # jemalloc alone (1.079x) is already over the 1.05 target, which is
        # said rather than the noisy control.  1.114 / 1.079 = 1.0324.
        side = {("churn", "glibc"): (1.0, 1.003, 9.1, 0.9, 1.1),
                ("churn", "shimje"): (1.08, 1.079, 1.0, 1.07, 1.09),
                ("churn", "hpje"): (1.105, 1.114, 1.5, 1.072, 1.135),
                ("churn", "hpje/shimje"): (1.04, 1.043, 1.3, 1.03, 1.05)}
        self.assertIn(
            "- side by side, default interval over jemalloc, churn: CPU 1.114x [1.072-1.135] "
            "(wall 1.105x) vs <= 1.05x: **missed** - below the floor: the bare forwarding shim alone "
            "costs 1.079x, heapprof 1.032x of that; heapprof over the bare shim: 1.043x [IQR 1.3%], "
            "where this run's floor alone is over the target", br.targets({"side": side}))

    def test_missed_with_noisy_control_is_inconclusive(self):
        # Floor 1.025 is under the 1.15 limit, so the noisy control (IQR
        # 9.1 % > 5 %) decides.  Room: 1.15 / 1.025 = 1.1220 -> "1.122".
        side = {("churn", "glibc"): (1.0, 1.003, 9.1, 0.9, 1.1),
                ("churn", "shimje"): (1.02, 1.025, 1.0, 1.0, 1.05),
                ("churn", "hpje64k"): (1.157, 1.154, 1.0, 1.146, 1.168),
                ("churn", "hpje64k/shimje"): (1.08, 1.082, 2.2, 1.07, 1.09)}
        out = br.targets({"side": side})
        self.assertIn("- side by side, churn: the control row (glibc beside glibc) reads 1.003x, "
                      "IQR 9.1%: **the machine is too noisy** for a verdict within a few per cent", out)
        self.assertIn("- side by side, churn: a bare forwarding shim (no profiler) costs 1.025x over "
                      "jemalloc: the floor of interposition", out)
        self.assertIn(
            "- side by side, 64 KiB over jemalloc, churn: CPU 1.154x [1.146-1.168] (wall 1.157x) "
            "vs <= 1.15x: **missed** - but inconclusive: the control row (glibc beside glibc) reads "
            "1.003x, IQR 9.1%; heapprof over the bare shim: 1.082x [IQR 2.2%], where the target "
            "leaves it at most 1.122x over this run's floor", out)

    def test_missed_over_a_floor_under_the_limit_is_just_missed(self):
        # Floor 1.04 < 1.05, quiet control, tight rounds: plainly missed.
        side = {("churn", "glibc"): (1.0, 1.0, 1.0, 0.99, 1.01),
                ("churn", "shim"): (1.04, 1.04, 1.0, 1.03, 1.05),
                ("churn", "hp"): (1.07, 1.07, 2.0, 1.06, 1.08)}
        line = [x for x in br.targets({"side": side}) if "default interval over glibc" in x]
        self.assertEqual(line, ["- side by side, default interval over glibc, churn: CPU 1.070x "
                                "[1.060-1.080] (wall 1.070x) vs <= 1.05x: **missed**"])

    def test_wide_rounds_are_inconclusive(self):
        # No control row, no shim rows: the pair's own IQR (7 % > 5 %) decides,
        # and there is no "over the bare shim" clause.
        side = {("xthread", "hp"): (1.03, 1.03, 7.0, 0.95, 1.1)}
        self.assertEqual(br.targets({"side": side}), [
            "- side by side, default interval over glibc, xthread: CPU 1.030x [0.950-1.100] "
            "(wall 1.030x) vs <= 1.05x: met - but inconclusive: the rounds' spread (IQR 7.0%) is "
            "wider than the 5% margin"])

    def test_against_jemallocs_profiler(self):
        side = {("xthread", "hpje64k"): (1.047, 1.042, 1.3, 1.027, 1.057),
                ("xthread", "jeprof64k"): (1.3, 1.299, 2.0, 1.2, 1.4)}
        self.assertIn("- side by side, 64 KiB over jemalloc, xthread: heapprof 1.042x vs jemalloc's "
                      "own profiler 1.299x: heapprof cheaper", br.targets({"side": side}))


class TargetsOtherSectionsTest(unittest.TestCase):
    """targets(): cachesim, RSS, callgrind and profile-write lines."""

    def test_cachesim(self):
        cs = {("churn", "hp"): (0.051, 0.017),
              ("churn", "hpje"): (0.076, 0.021), ("churn", "jeprof"): (0.124, 0.063),
              ("cxx", "hpje"): (0.020, 0.019), ("cxx", "jeprof"): (0.005, -0.001)}
        self.assertEqual(br.targets({"cachesim": cs}), [
            "- cachesim, churn, default interval over glibc: +5.1% instructions, +1.7% L1 misses "
            "(repeatable; not a timing)",
            "- cachesim, churn, over jemalloc: heapprof +7.6% instructions, +2.1% L1 misses; "
            "jemalloc's profiler +12.4%, +6.3%: heapprof adds less work and fewer misses",
            "- cachesim, cxx, over jemalloc: heapprof +2.0% instructions, +1.9% L1 misses; "
            "jemalloc's profiler +0.5%, -0.1%: heapprof adds **more** work and **more** misses"])

    def test_rss_and_callgrind(self):
        v = {"rss": {"churn": (1.3, 16.4, True), "sites": (151.8, 16.4, False)},
             # (idle, glibc, heapprof all, heapprof unsampled, slow calls):
             # added per unsampled pair = unsampled - glibc: 13.4 met, 16.0 missed.
             "callgrind": [(0, 100.0, 115.0, 113.4, 400), (1, 100.0, 120.0, 116.0, 400)]}
        self.assertEqual(br.targets(v), [
            "- extra peak RSS, churn: worst +1.3 MiB vs 16.4 MiB: met",
            "- extra peak RSS, sites: worst +151.8 MiB vs 16.4 MiB: **missed**",
            "- instructions added per unsampled pair (as is): +13.4 vs <= 15: met",
            "- instructions added per unsampled pair (idle thread in both): +16.0 vs <= 15: **missed**"])

    def test_profile_write(self):
        # run_dump's verdict: n -> (warm ms, worst pair us, pairs > 1 ms,
        # warm CPU ms, worst pair CPU us, worst quiet us, quiet pairs > 1 ms).
        d = {1000: (5.0, 20.0, 0, 4.0, 15.0, 30.0, 0),
             10000: (9.0, 1500.0, 1, 8.0, 1200.0, 40.0, 3),   # used 1.2 ms of CPU: blocking
             50000: (15.0, 1300.0, 1, 14.0, 60.0, 50.0, 0),   # quiet window clean: no excuse
             100000: (28.0, 1070.0, 1, 27.0, 50.0, 900.0, 2)}  # off the CPU, quiet had 2 too
        self.assertEqual(br.targets({"dump": d}), [
            "- 100k-stack profile write: 28 ms (27 ms CPU) vs < 250 ms: met",
            "- worst malloc+free of another thread while writing 1000 stacks: 0.02 ms vs < 1 ms: met",
            "- worst malloc+free of another thread while writing 10000 stacks: 1.50 ms vs < 1 ms: "
            "**missed**",
            "- worst malloc+free of another thread while writing 50000 stacks: 1.30 ms vs < 1 ms: "
            "**missed**",
            "- worst malloc+free of another thread while writing 100000 stacks: 1.07 ms vs < 1 ms: "
            "**missed** in wall time, but no pair used 1 ms of CPU (50 us at most) and the quiet "
            "window had 2 such pairs too: preemption by other load, not blocking"])

    def test_slow_profile_write(self):
        d = {100000: (300.0, 10.0, 0, 290.0, 5.0, 5.0, 0)}
        self.assertEqual(br.targets({"dump": d})[0],
                         "- 100k-stack profile write: 300 ms (290 ms CPU) vs < 250 ms: **missed**")


# A callgrind.out as `--dump-instr=no` writes it, with name compression:
# "fn=(2) name" the first time, "fn=(2)" after.  A calls= line is followed
# by the call's position and inclusive cost.
CALLGRIND_OUT = """\
version: 1
creator: callgrind-3.19.0
pid: 4242
cmd: churn threads=1 pairs=10 slots=4096
part: 1

positions: line
events: Ir
summary: 5000

ob=(1) /work/libheapprof.so
fl=(1) profiler.c
fn=(1) malloc
10 100
cfl=(1)
cfn=(2) profiler_alloc_slow
calls=3 50
+1 600
fn=(2)
50 400
cfn=(3) profiler_free_slow
calls=1 60
51 90
fn=(4) free
20 50
cfn=(3)
calls=2 60
21 300
fn=(5) main
5 10
cfn=(1)
calls=1000 10
6 2000
cfn=(4)
calls=1000 20
7 1500

totals: 5000
"""


class RssTableTest(unittest.TestCase):
    """rss_table: peak RSS medians (KiB in, MiB out), each profiled row's
    extra over its own baseline, the limit from the workload's live heap."""

    @staticmethod
    def one(rss_kib, live_bytes=4 << 20):
        return (1.0, rss_kib, "c", live_bytes, 1.0)

    def test_extra_over_each_baseline_and_the_limit(self):
        res = {"w": {"glibc": [self.one(7 * 1024), self.one(8 * 1024), self.one(9 * 1024)],
                     "hp": [self.one(10 * 1024)], "hp64k": [self.one(26 * 1024)],
                     "je": [self.one(9 * 1024)], "hpje": [self.one(10 * 1024)]}}
        lines, v = br.rss_table(res)
        # glibc's median is 8 MiB; hp64k +18 MiB is the worst, over the limit
        # of 0.1 x 4 MiB + 16 = 16.4 MiB; hpje's extra is over jemalloc's 9.
        self.assertEqual(lines[-1], "| w | 4.0 | 8.0 | 10.0 (+2.0) | 26.0 (+18.0) |  | 9.0 "
                                    "| 10.0 (+1.0) | 16.4 | **no** |")
        worst, limit, ok = v["w"]
        self.assertAlmostEqual(worst, 18.0)
        self.assertAlmostEqual(limit, 16.4)
        self.assertFalse(ok)

    def test_without_glibc_no_crash_and_no_verdict_from_nothing(self):
        # --configs hp,je --sections rss: no glibc baseline for the hp rows;
        # hpje still has jemalloc's.  The live heap comes from any run.
        res = {"w": {"hp": [self.one(10 * 1024)], "je": [self.one(9 * 1024)],
                     "hpje": [self.one(10 * 1024)]},
               "x": {"hp": [self.one(10 * 1024)]}}
        lines, v = br.rss_table(res)
        self.assertEqual(lines[-2], "| w | 4.0 |  |  |  |  | 9.0 | 10.0 (+1.0) | 16.4 | yes |")
        self.assertEqual(lines[-1], "| x | 4.0 |  |  |  |  |  |  | 16.4 |  |")
        self.assertIn("w", v)
        self.assertNotIn("x", v)


class CallgrindTotalsTest(unittest.TestCase):
    """callgrind_totals: (total Ir, inclusive Ir of the slow paths called
    from outside them, number of such calls)."""

    def test_tiny_file(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "callgrind.out")
            with open(path, "w") as f:
                f.write(CALLGRIND_OUT)
            total, incl, calls = br.callgrind_totals(path)
        self.assertEqual(total, 5000)
        # malloc -> profiler_alloc_slow: 3 calls, 600 Ir inclusive;
        # free -> profiler_free_slow (named by number only, first named on
        # a cfn= line): 2 calls, 300 Ir.  alloc_slow -> free_slow (90 Ir)
        # is inside a slow path already and counted in the 600; main ->
        # malloc/free are no slow paths.  600 + 300 = 900, 3 + 2 = 5 calls.
        self.assertEqual(incl, 900)
        self.assertEqual(calls, 5)

    def test_no_slow_paths(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "callgrind.out")
            with open(path, "w") as f:
                f.write("events: Ir\nfn=(1) main\n1 10\ncfn=(2) malloc\ncalls=5 3\n2 70\ntotals: 80\n")
            self.assertEqual(br.callgrind_totals(path), (80, 0, 0))


# cachegrind's summary on stderr, --cache-sim=yes (valgrind 3.19).
CACHEGRIND_STDERR = """\
==31751== Cachegrind, a cache and branch-prediction profiler
==31751== I   refs:      27,742,716
==31751== I1  misses:           276
==31751== LLi misses:           275
==31751== I1  miss rate:       0.00%
==31751== LLi miss rate:       0.00%
==31751==
==31751== D   refs:      15,430,290  (10,955,517 rd   + 4,474,773 wr)
==31751== D1  misses:        41,185  (    21,905 rd   +    19,280 wr)
==31751== LLd misses:        23,085  (     3,987 rd   +    19,098 wr)
==31751== D1  miss rate:        0.3% (       0.2%     +       0.4%  )
==31751== LLd miss rate:        0.1% (       0.0%     +       0.4%  )
==31751==
==31751== LL refs:           41,461  (    22,181 rd   +    19,280 wr)
==31751== LL misses:         23,360  (     4,262 rd   +    19,098 wr)
==31751== LL miss rate:         0.1% (       0.0%     +       0.4%  )
"""


class CachegrindTotalsTest(unittest.TestCase):
    """cachegrind_totals: (I refs, D1 misses, LL misses), commas dropped."""

    def test_summary(self):
        # LL misses is the combined line, not LLi/LLd; D1 the data cache.
        self.assertEqual(br.cachegrind_totals(CACHEGRIND_STDERR), (27742716, 41185, 23360))

    def test_missing_lines_read_zero(self):
        self.assertEqual(br.cachegrind_totals("==1== I refs: 1,000\n"), (1000, 0, 0))


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def pb_field(number, wire, payload):
    """One protobuf field: key varint, then payload (a length-delimited
    payload gets its length varint here)."""
    key = varint(number << 3 | wire)
    if wire == 2:
        return key + varint(len(payload)) + payload
    return key + payload


# A pprof Profile by hand: string_table is field 6 (repeated string).
PAD_115 = "amples=7" + " " * 107  # length 115 = 0x73 = "s" on the wire
LONG = "y" * 200  # length 200 takes a two-byte varint
PROFILE = b"".join([
    # sample_type (field 1), a nested ValueType: the field-6 bytes inside it
    # are not the profile's strings.
    pb_field(1, 2, pb_field(1, 0, varint(1)) + pb_field(6, 2, b"bad")),
    pb_field(6, 2, b""),  # string_table[0] is always ""
    pb_field(6, 2, b"alloc_space"),
    pb_field(9, 0, varint(1_700_000_000_000_000_000)),  # time_nanos: a long varint
    pb_field(6, 2, PAD_115.encode()),
    pb_field(6, 2, LONG.encode()),
    pb_field(12, 0, varint(524288)),  # period
    pb_field(15, 1, b"\x01" * 8),  # fixed64 (no such field in pprof; skipped)
    pb_field(16, 5, b"\x02" * 4),  # fixed32, with a two-byte key
    pb_field(13, 0, varint(5)),  # comment: index of the next string
    pb_field(6, 2, b"heapprof samples=3 last_dump_ms=12.5"),
])


class ProfileStringsTest(unittest.TestCase):
    """profile_strings / profile_comment: the pprof string table read off the
    wire, and KEY=number from the profile's comments."""

    def test_string_table(self):
        self.assertEqual(br.profile_strings(PROFILE),
                         ["", "alloc_space", PAD_115, LONG, "heapprof samples=3 last_dump_ms=12.5"])

    def test_unknown_wire_type_is_an_error(self):
        # Wire type 3 (start group) is not in a pprof profile.
        with self.assertRaises(SystemExit):
            br.profile_strings(varint(1 << 3 | 3))

    def test_profile_comment(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "heapprof.1.pb.gz")
            with gzip.open(path, "wb") as f:
                f.write(PROFILE)
            # The raw bytes hold "samples=7" (length byte "s" + "amples=7"),
            # before the real comment; read as strings, samples=3.
            self.assertIn(b"samples=7", PROFILE)
            self.assertEqual(br.profile_comment(path, "samples"), 3.0)
            self.assertEqual(br.profile_comment(path, "last_dump_ms"), 12.5)
            # KEY= must start a word: dump_ms is not last_dump_ms.
            self.assertIsNone(br.profile_comment(path, "dump_ms"))
            self.assertIsNone(br.profile_comment(path, "stacks"))


class BenchShOptionsTest(unittest.TestCase):
    """Every option docs/benchmarks.md's table lists is one scripts/bench.sh
    takes: `bench.sh OPTION [VALUE] --help` parses the option, then prints
    the help and exits 0, building and running nothing; an unknown option
    exits 2 before that."""

    @staticmethod
    def bench_sh(*argv):
        import signal
        import subprocess
        root = SCRIPT.parents[1]
        p = subprocess.Popen(["bash", str(root / "scripts" / "bench.sh"), *argv],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
        try:
            _, err = p.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)  # it went past the options: stop its build
            p.communicate()
            raise AssertionError(f"bench.sh {' '.join(argv)} did not stop at --help")
        return p.returncode, err.strip()

    def test_documented_options_accepted(self):
        import re
        doc = (SCRIPT.parents[1] / "docs" / "benchmarks.md").read_text()
        table = doc.split("Options (`scripts/bench.sh --help`):", 1)[1].split("\n\n", 2)[1]
        opts = set()
        for line in table.splitlines():
            cell = line.split("|")[1] if line.startswith("|") else ""
            for m in re.finditer(r"`(--[a-z-]+)( [^`]+)?`", cell):
                opts.add((m.group(1), m.group(2) is not None))
        self.assertGreater(len(opts), 15)
        for opt, has_value in sorted(opts):
            rc, err = self.bench_sh(opt, *(["1"] if has_value else []), "--help")
            self.assertEqual(rc, 0, f"{opt}: {err}")
        self.assertEqual(self.bench_sh("--no-such", "--help")[0], 2)


if __name__ == "__main__":
    unittest.main()

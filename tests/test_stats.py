"""Statistics over replications."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.analysis.stats import compare, paired_difference, replications_needed, summarise, t_interval, welch_difference


def test_t_interval_matches_scipy_for_n_two_and_more():
    for x in ([1.0, 3.0], [2.0, 4.0, 9.0, 1.0]):
        mean, sd, lo, hi, n = t_interval(x)
        ref = stats.t.interval(0.95, len(x) - 1, loc=np.mean(x), scale=stats.sem(x))
        assert n == len(x) and math.isclose(mean, np.mean(x)) and math.isclose(sd, np.std(x, ddof=1))
        assert math.isclose(lo, ref[0]) and math.isclose(hi, ref[1])


def test_t_interval_with_one_value_is_unbounded_not_nan():
    mean, sd, lo, hi, n = t_interval([5.0])
    assert (mean, sd, n) == (5.0, 0.0, 1)
    assert lo == -math.inf and hi == math.inf


def test_zero_variance_gives_zero_width():
    assert t_interval([2.0, 2.0, 2.0])[1:4] == (0.0, 2.0, 2.0)
    assert paired_difference([3, 3, 3], [1, 1, 1]) == (2.0, 2.0, 2.0, 0.0)
    assert paired_difference([1, 2, 3], [1, 2, 3]) == (0.0, 0.0, 0.0, 1.0)


def test_nan_values_are_left_out():
    assert t_interval([1.0, float("nan"), 3.0])[4] == 2
    assert t_interval([float("nan")])[4] == 0


def test_paired_and_welch_agree_with_scipy():
    a, b = np.array([10.0, 12, 11, 14, 13]), np.array([9.0, 11.5, 10, 12, 12.5])
    p = paired_difference(a, b)[3]
    assert math.isclose(p, stats.ttest_rel(a, b).pvalue)
    w = welch_difference(a, b)[3]
    assert math.isclose(w, stats.ttest_ind(a, b, equal_var=False).pvalue)


def test_summarise_and_compare_are_nan_free_for_n_one_and_two():
    rows = []
    for scen, shift in (("base", 0.0), ("alt", 1.0)):
        for rep in range(2):
            rows += [(scen, rep, "calls", "", 100.0), (scen, rep, "wait_min_mean", "", 5 + shift + rep),
                     (scen, rep, "utilization", "police", 0.5)]
    summary = pd.DataFrame(rows, columns=["scenario", "replication", "metric", "team", "value"])
    m = summarise(summary)
    assert not m[["mean", "sd", "ci_low", "ci_high"]].isna().any().any()
    c = compare(summary, "base", {"base": True, "alt": True})
    assert not c[["diff_mean", "ci_low", "ci_high"]].isna().any().any()
    row = c[c["metric"] == "wait_min_mean"].iloc[0]
    assert row["diff_mean"] == 1.0 and row["ci_low"] == 1.0  # constant difference: zero width
    one = summarise(summary[summary["replication"] == 0])
    assert not one[["mean", "sd"]].isna().any().any()


def test_replications_needed_reaches_the_target():
    rng = np.random.default_rng(0)
    x = rng.normal(100, 30, 5)
    n = replications_needed(x, 0.10)
    sd = np.std(x, ddof=1)
    goal = 0.10 / 1.10  # Law & Kelton's relative error: γ/(1+γ)
    half = stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n)
    assert half / abs(x.mean()) <= goal
    half_less = stats.t.ppf(0.975, n - 2) * sd / math.sqrt(n - 1)
    assert n == len(x) or half_less / abs(x.mean()) > goal
    assert replications_needed([1.0]) is None


def test_replications_to_resolve_a_difference_exclude_zero():
    from sim.analysis.stats import replications_to_resolve

    rng = np.random.default_rng(1)
    d = rng.normal(2.0, 5.0, 6)
    n = replications_to_resolve(d)
    sd, mean = np.std(d, ddof=1), np.mean(d)
    assert stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n) < abs(mean)
    assert n == len(d) or stats.t.ppf(0.975, n - 2) * sd / math.sqrt(n - 1) >= abs(mean)
    assert replications_to_resolve([0.0, 0.0]) is None


@pytest.mark.parametrize("values", [[0.0, 0.0], [1.0, 1.0]])
def test_replications_needed_edge_cases(values):
    out = replications_needed(values)
    assert out is None or out == len(values)


def test_holm_and_bh_match_reference_implementations():
    from sim.analysis.stats import benjamini_hochberg, holm

    p = np.array([0.01, 0.04, 0.03, 0.005, np.nan, 0.5])
    # reference: Holm (1979) and Benjamini & Hochberg (1995) by their definitions, written out
    finite = [0.01, 0.04, 0.03, 0.005, 0.5]
    m = len(finite)
    order = sorted(range(m), key=lambda i: finite[i])
    holm_ref, running = [0.0] * m, 0.0
    for rank, i in enumerate(order):
        running = max(running, (m - rank) * finite[i])
        holm_ref[i] = min(running, 1.0)
    bh_ref, running = [0.0] * m, 1.0
    for rank in range(m - 1, -1, -1):
        i = order[rank]
        running = min(running, finite[i] * m / (rank + 1))
        bh_ref[i] = min(running, 1.0)
    got_holm, got_bh = holm(p), benjamini_hochberg(p)
    assert np.isnan(got_holm[4]) and np.isnan(got_bh[4])
    np.testing.assert_allclose(np.delete(got_holm, 4), holm_ref)
    np.testing.assert_allclose(np.delete(got_bh, 4), bh_ref)
    # scipy's implementation agrees for BH
    from scipy.stats import false_discovery_control

    np.testing.assert_allclose(np.delete(got_bh, 4), false_discovery_control(finite, method="bh"))


def test_rare_and_all_zero_counts_get_exact_poisson_bounds_not_zero_width():
    from sim.analysis.stats import honest_bounds, poisson_interval

    lo, hi = honest_bounds("unserved", [0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0.0, 0.0)
    assert lo == 0 and hi == pytest.approx(-math.log(0.025) / 10, rel=1e-9)  # 3.689/n
    lo, hi = poisson_interval(3, 10)
    assert 0 < lo < 0.3 < hi
    # negative lower bounds of counts, costs and hours are cut at 0; shares stay in [0, 1]
    assert honest_bounds("police_hours_crisis", [1.0, 900.0], -300.0, 1200.0) == (0.0, 1200.0)
    assert honest_bounds("fallback_share", [0.9, 1.0], 0.7, 1.2) == (0.7, 1.0)
    # a common count keeps its t-interval
    assert honest_bounds("calls", [1000, 1010, 990], 980.0, 1020.0) == (980.0, 1020.0)


def test_poisson_bounds_cover_a_rare_rate_at_the_nominal_level():
    """Coverage over many simulated experiments: true mean 0.1 events per replication, 10 replications."""
    from sim.analysis.stats import poisson_interval

    rng = np.random.default_rng(12)
    trials, covered = 4000, 0
    for _ in range(trials):
        total = int(rng.poisson(0.1, 10).sum())
        lo, hi = poisson_interval(total, 10)
        covered += lo <= 0.1 <= hi
    share = covered / trials
    # exact intervals are conservative: at least 95% less Monte Carlo error (3 SE ~ 1%)
    assert share >= 0.94, share

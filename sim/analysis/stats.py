"""Statistics over replications: t-intervals, paired and unpaired differences, replication guidance."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import special

CONFIDENCE = 0.95


# The quantiles below are what scipy.stats computes (its t.ppf is stdtrit, t.sf is stdtr at -x,
# chi2.ppf is 2 * gammaincinv(df / 2, q)), without importing scipy.stats (about 0.4 s), which a
# run needs only for paired p-values.
def _t_ppf(q: float, df):
    return special.stdtrit(df, q)


def _t_sf(x: float, df):
    return special.stdtr(df, -x)


def _chi2_ppf(q: float, df):
    return 2 * special.gammaincinv(df / 2, q)


def t_interval(values, confidence: float = CONFIDENCE) -> tuple[float, float, float, float, int]:
    """(mean, sd, ci_low, ci_high, n) of a sample, ignoring NaN.

    With one value the spread is unknown: sd is 0 and the interval is infinite, never a
    falsely precise zero width. With no values everything is NaN and n is 0.
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return (math.nan, math.nan, math.nan, math.nan, 0)
    mean = float(np.mean(x))
    if n == 1:
        return (mean, 0.0, -math.inf, math.inf, 1)
    sd = float(np.std(x, ddof=1))
    half = float(_t_ppf(0.5 + confidence / 2, n - 1)) * sd / math.sqrt(n)
    return (mean, sd, mean - half, mean + half, n)


RARE_EVENTS = 20  # below this many events over all replications, a count gets exact Poisson bounds


def poisson_interval(total: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Exact (Garwood) bounds on the mean count per replication, from `total` events in n replications.

    With no events at all the lower bound is 0 and the upper about 3.7/n: never the falsely
    certain [0, 0] of a t-interval on an all-zero sample.
    """
    alpha = 1 - confidence
    lo = 0.0 if total == 0 else float(_chi2_ppf(alpha / 2, 2 * total)) / 2
    hi = float(_chi2_ppf(1 - alpha / 2, 2 * total + 2)) / 2
    return lo / n, hi / n


def honest_bounds(metric: str, values, lo: float, hi: float) -> tuple[float, float]:
    """A metric's 95% bounds kept within what it can be: counts, hours and costs never below 0,
    shares within [0, 1], and rare counts (fewer than RARE_EVENTS events in all) by exact
    Poisson bounds instead of a t-interval that can be [0, 0] or negative."""
    from .catalogue import METRICS

    entry = METRICS.get(metric)
    if entry is None:
        return lo, hi
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if entry.unit == "count" and len(x) >= 1 and np.all(x == np.round(x)) and np.all(x >= 0):
        total = int(x.sum())
        if total < RARE_EVENTS:
            return poisson_interval(total, len(x))
    if entry.unit in ("count", "hours", "money") and np.isfinite(lo):
        lo = max(lo, 0.0)
    if entry.unit == "share":
        lo = max(lo, 0.0) if np.isfinite(lo) else lo
        hi = min(hi, 1.0) if np.isfinite(hi) else hi
    return lo, hi


def with_zone(table: pd.DataFrame) -> pd.DataFrame:
    """A summary, metrics or comparison table with its `zone` column (empty = whole city), as written
    since zones exist; tables from before have none."""
    if "zone" in table:
        return table
    table = table.copy()
    table.insert(list(table.columns).index("team") + 1, "zone", "")
    return table


def whole_city(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of a summary, metrics or comparison table that are not for one zone."""
    return table[table["zone"] == ""] if "zone" in table else table


def summarise(summary: pd.DataFrame) -> pd.DataFrame:
    """metrics.csv: per scenario, metric, team and zone, the mean over replications with a 95% t-interval."""
    summary = with_zone(summary)
    rows = []
    for (scenario, metric, team, zone), grp in summary.groupby(["scenario", "metric", "team", "zone"], sort=False):
        mean, sd, lo, hi, n = t_interval(grp["value"].to_numpy())
        lo, hi = honest_bounds(metric, grp["value"].to_numpy(), lo, hi)
        half = (hi - lo) / 2
        rel = abs(half / mean) if n > 1 and mean not in (0.0,) and np.isfinite(mean) else math.nan
        rows.append((scenario, metric, team, zone, mean, sd, lo, hi, n, rel))
    return pd.DataFrame(rows, columns=["scenario", "metric", "team", "zone", "mean", "sd", "ci_low", "ci_high", "n",
                                       "rel_half_width"])


def paired_difference(treatment, baseline, confidence: float = CONFIDENCE) -> tuple[float, float, float, float]:
    """(diff_mean, ci_low, ci_high, p_value) of treatment - baseline, paired by replication."""
    d = np.asarray(treatment, dtype=float) - np.asarray(baseline, dtype=float)
    d = d[~np.isnan(d)]
    mean, sd, lo, hi, n = t_interval(d, confidence)
    if n < 2:
        return (mean, lo, hi, math.nan)
    if sd == 0:
        return (mean, mean, mean, 1.0 if mean == 0 else 0.0)
    from scipy import stats

    p = float(stats.ttest_1samp(d, 0.0).pvalue)
    return (mean, lo, hi, p)


def welch_difference(treatment, baseline, confidence: float = CONFIDENCE) -> tuple[float, float, float, float]:
    """(diff_mean, ci_low, ci_high, p_value) of two independent samples (Welch's t)."""
    a = np.asarray(treatment, dtype=float)
    b = np.asarray(baseline, dtype=float)
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if len(a) < 2 or len(b) < 2:
        mean = float(np.mean(a) - np.mean(b)) if len(a) and len(b) else math.nan
        return (mean, -math.inf, math.inf, math.nan)
    va, vb = np.var(a, ddof=1) / len(a), np.var(b, ddof=1) / len(b)
    mean = float(np.mean(a) - np.mean(b))
    se = math.sqrt(va + vb)
    if se == 0:
        return (mean, mean, mean, 1.0 if mean == 0 else 0.0)
    dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = float(_t_ppf(0.5 + confidence / 2, dof)) * se
    p = float(2 * _t_sf(abs(mean / se), dof))
    return (mean, mean - half, mean + half, p)


def compare(summary: pd.DataFrame, baseline: str, paired: dict[str, bool]) -> pd.DataFrame:
    """comparison.csv: each scenario against the baseline, for every metric and team metric.

    `paired[s]` says whether scenario s shares the baseline's demand (common random numbers);
    if not, the interval is Welch's unpaired one and the `paired` column says so.
    """
    summary = with_zone(summary)
    rows = []
    base = summary[summary["scenario"] == baseline]
    keys = ["metric", "team", "zone"]
    base_values = {k: g.set_index("replication")["value"] for k, g in base.groupby(keys, sort=False)}
    for scenario in summary["scenario"].unique():
        if scenario == baseline:
            continue
        mine = summary[summary["scenario"] == scenario]
        for (metric, team, zone), grp in mine.groupby(keys, sort=False):
            b = base_values.get((metric, team, zone))
            if b is None:
                continue
            t = grp.set_index("replication")["value"]
            if paired[scenario]:
                common = t.index.intersection(b.index)
                diff, lo, hi, p = paired_difference(t[common].to_numpy(), b[common].to_numpy())
            else:
                diff, lo, hi, p = welch_difference(t.to_numpy(), b.to_numpy())
            finite = b.to_numpy()[~np.isnan(b.to_numpy())]
            b_mean = float(np.mean(finite)) if len(finite) else math.nan
            rel = diff / b_mean if b_mean not in (0.0,) and np.isfinite(b_mean) else math.nan
            rows.append((scenario, baseline, metric, team, zone, diff, lo, hi, rel, p, paired[scenario]))
    return pd.DataFrame(rows, columns=["scenario", "baseline", "metric", "team", "zone", "diff_mean", "ci_low", "ci_high",
                                       "rel_diff", "p_value", "paired"])


def replications_needed(values, target_rel_half_width: float = 0.10, confidence: float = CONFIDENCE) -> int | None:
    """Smallest n whose t-interval half-width would be within the target share of the mean.

    The relative-error criterion of Law & Kelton, which Hoad, Robinson & Davies (2010)
    apply sequentially: for the estimate to be within γ of the true mean, the half-width must
    be within γ/(1 + γ) of the estimate. Here it is projected once from the current sample's
    mean and sd (not run sequentially). None when the mean is zero or there is no spread data.
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if len(x) < 2:
        return None
    mean, sd = float(np.mean(x)), float(np.std(x, ddof=1))
    if mean == 0:
        return None
    if sd == 0:
        return len(x)
    goal = target_rel_half_width / (1 + target_rel_half_width)
    for n in range(2, 100_000):
        half = _t_ppf(0.5 + confidence / 2, n - 1) * sd / math.sqrt(n)
        if half / abs(mean) <= goal:
            return max(n, len(x))
    return None


def replications_to_resolve(differences, confidence: float = CONFIDENCE) -> int | None:
    """Replications for a paired difference's interval to exclude zero, were the true difference
    the current estimate: n with t(n-1) * sd / √n < |mean|. None when the estimate is 0."""
    d = np.asarray(differences, dtype=float)
    d = d[~np.isnan(d)]
    if len(d) < 2:
        return None
    mean, sd = float(np.mean(d)), float(np.std(d, ddof=1))
    if mean == 0:
        return None
    if sd == 0:
        return len(d)
    for n in range(2, 100_000):
        if _t_ppf(0.5 + confidence / 2, n - 1) * sd / math.sqrt(n) < abs(mean):
            return max(n, len(d))
    return None


def _adjusted(p_values, adjust) -> np.ndarray:
    """Apply `adjust(sorted p-values, m)` to the non-NaN p-values in ascending order; NaN left as NaN."""
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    if len(ok):
        order = ok[np.argsort(p[ok], kind="stable")]
        out[order] = np.minimum(adjust(p[order], len(ok)), 1.0)
    return out


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjusted p-values (family-wise error), NaN left as NaN."""
    return _adjusted(p_values, lambda p, m: np.maximum.accumulate((m - np.arange(m)) * p))


def benjamini_hochberg(p_values) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (false discovery rate), NaN left as NaN."""
    return _adjusted(p_values, lambda p, m: np.minimum.accumulate((p * m / np.arange(1, m + 1))[::-1])[::-1])


def adjust_for_multiplicity(comparison: pd.DataFrame, primary: tuple[str, ...]) -> pd.DataFrame:
    """comparison.csv with `primary` (a headline metric named in advance) and Holm and
    Benjamini–Hochberg adjusted p-values, each family being one scenario's rows against the
    baseline (all its metrics, system-wide and per team)."""
    out = comparison.copy()
    out["primary"] = out["metric"].isin(primary) & (out["team"] == "") & (with_zone(out)["zone"] == "")
    out["p_holm"] = np.nan
    out["p_bh"] = np.nan
    for _scenario, rows in out.groupby("scenario", sort=False):
        out.loc[rows.index, "p_holm"] = holm(rows["p_value"].to_numpy())
        out.loc[rows.index, "p_bh"] = benjamini_hochberg(rows["p_value"].to_numpy())
    return out

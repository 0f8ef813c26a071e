"""Is a run long enough for its waits and tails? Two checks on the replications themselves.

Each replication estimates a metric from one run of `days`. For a queue's mean wait and, more
so, its 90th percentile, that estimate is biased when the run is short next to the stretches
over which a busy team's queue builds up and drains: a 30-day replication of a team 90% busy
sees few such stretches, and its p90 averages well below the long-run p90. Replications do not
remove this bias; they only narrow the interval around the biased value, so its coverage of the
long-run value falls (to 67% for p90 in an M/M/1 at 90% load over 30 days).

**A busy team** (needs only summary.csv). A queue forgets its past over its relaxation time,
1/(μ(1 − √ρ)²) for one server at utilisation ρ (Morse 1955; Abate & Whitt 1987); a team of c
units, all busy, drains like one server c times as fast, which heavy traffic makes exact. A
team that did J jobs at utilisation ρ in a replication therefore ran for about

    relaxation times per replication = J (1 − √ρ)² / ρ

(J/ρ jobs-worth of time over ρ/(1 − √ρ)² jobs per relaxation time). Measured with this code on
M/M/c queues (10 replications, exact Erlang C values): at 2 relaxation times (M/M/1 at 90% over
30 days) the 95% CI on the mean wait covers 79% of the time and on p90 67%; at 19-54 relaxation
times 89-92%; at 77, 92-95%; the shipped 365-day runs span over 2,000. Below MIN_RELAXATION_TIMES
the run is reported. Only teams that take calls are checked (a team that only makes follow-ups
has no call queue).

**Tails** (needs the per-call table). The check needs no theory of the model, only that the bias
shrinks as 1/run length.
Within one replication of m days, its first and second halves (k = 2 batches of m/2 days) are
two runs half as long, each with twice the bias, so a replication's own estimate of its bias is

    (mean of the halves' values - the whole run's value) / (k - 1)

(the jackknife of Quenouille 1956 with batches as groups; Efron & Tibshirani 1993, ch. 10);
averaged over replications it comes with a t-interval. A bias beyond a quarter of the metric's
95% CI half-width lowers the interval's coverage of the long-run value below about 92% (normal
approximation: bias/se = 0.49 gives 92.2%); one beyond 1% of the value matters to a reader.
A warning needs both, and the bias's own 95% interval must exclude zero.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

BIAS_SHARE_OF_HALF_WIDTH = 0.25
"""A bias estimate larger than this share of the 95% CI half-width is reported."""
BIAS_SHARE_OF_VALUE = 0.01
"""...and larger than this share of the value itself (smaller biases do not matter to a reader)."""
MIN_RELAXATION_TIMES = 100
"""A team whose replication spans fewer relaxation times than this is reported as busy for the run length."""
BATCHES = 2
"""Each replication's calls are cut into this many consecutive stretches of equal time."""
CHECKED = (("wait_min_mean", "wait_min", None), ("response_min_mean", "response_min", None),
           ("response_min_p90", "response_min", 0.9))
"""(metric, column of the calls table, quantile or None for the mean); system-wide and per team."""


def _estimate(x: np.ndarray, q: float | None) -> float:
    x = x[~np.isnan(x)]
    if not len(x):
        return float("nan")
    return float(np.mean(x)) if q is None else float(np.quantile(x, q))


def run_length_bias(calls: pd.DataFrame, summary: pd.DataFrame, metrics: pd.DataFrame,
                    batches: int = BATCHES) -> pd.DataFrame:
    """Per scenario, metric and team (empty = system-wide): the batched-jackknife estimate of one
    replication's bias against the long-run value, and whether it is large enough to report.

    Each replication gives its own estimate, (mean over its batches - its whole-run value) / (k - 1);
    their mean is the bias and their 95% t-interval its uncertainty. Columns: scenario, metric,
    team, replications, mean (of the replications' values), bias, bias_low, bias_high, half_width
    (of the metric's 95% CI), flagged (the bias is beyond both thresholds and its interval excludes 0).
    """
    from .stats import t_interval

    columns = ["scenario", "metric", "team", "replications", "mean", "bias", "bias_low", "bias_high", "half_width",
               "flagged"]
    if calls is None or calls.empty or "team" not in calls or "arrival_min" not in calls:
        return pd.DataFrame(columns=columns)
    summary = summary[summary["zone"] == ""] if "zone" in summary else summary
    metrics = metrics[metrics["zone"] == ""] if "zone" in metrics else metrics
    rows = []
    # only the columns read here: a copy of the whole calls table (every column) would be made below
    needed = ["scenario", "replication", "team", "arrival_min", *dict.fromkeys(c for _, c, _ in CHECKED)]
    for scenario, every in calls[needed].groupby("scenario", sort=False):
        first = every.groupby("replication")["arrival_min"].transform("min")
        last = every.groupby("replication")["arrival_min"].transform("max")
        share = ((every["arrival_min"] - first) / (last - first).where(last > first)).fillna(0.0)
        every = every.assign(_batch=np.minimum((share * batches).astype(int), batches - 1))
        mine = every[every["team"] != ""]
        for team in [""] + sorted(t for t in mine["team"].unique() if t):
            handled = mine if team == "" else mine[mine["team"] == team]
            for metric, column, q in CHECKED:
                if metric == "wait_min_mean" and team:
                    continue  # a system metric only
                m = metrics[(metrics["scenario"] == scenario) & (metrics["metric"] == metric) & (metrics["team"] == team)]
                if m.empty:
                    continue
                per_rep = []
                for _rep, g in handled.groupby("replication", sort=False):
                    whole = _estimate(g[column].to_numpy(float), q)
                    parts = [_estimate(b[column].to_numpy(float), q) for _b, b in g.groupby("_batch", sort=False)]
                    if len(parts) == batches and np.all(np.isfinite(parts)) and np.isfinite(whole):
                        per_rep.append((float(np.mean(parts)) - whole) / (batches - 1))
                bias, _sd, lo, hi, r = t_interval(per_rep)
                if r < 2:
                    continue
                mean = float(m["mean"].iloc[0])
                half = float(m["ci_high"].iloc[0] - m["ci_low"].iloc[0]) / 2
                flagged = bool(np.isfinite(half) and abs(bias) > BIAS_SHARE_OF_HALF_WIDTH * half
                               and abs(bias) > BIAS_SHARE_OF_VALUE * abs(mean) and not lo <= 0 <= hi)
                rows.append((scenario, metric, team, r, mean, bias, lo, hi, half, flagged))
    return pd.DataFrame(rows, columns=columns)


def relaxation_times(summary: pd.DataFrame) -> pd.DataFrame:
    """Per scenario and team: mean jobs and utilisation per replication, and the relaxation times a
    replication spans, J (1 - √ρ)² / ρ (inf for an idle team, 0 for a saturated one).

    Columns: scenario, team, handled, utilization, relaxation_times.
    """
    columns = ["scenario", "team", "handled", "utilization", "relaxation_times"]
    s = summary[summary["zone"] == ""] if "zone" in summary else summary
    s = s[(s["team"] != "") & s["metric"].isin(["handled", "utilization"])]
    if s.empty:
        return pd.DataFrame(columns=columns)
    wide = s.pivot_table(index=["scenario", "team"], columns="metric", values="value", aggfunc="mean", sort=False)
    if "handled" not in wide or "utilization" not in wide:
        return pd.DataFrame(columns=columns)
    wide = wide.reset_index()
    wide = wide[wide["handled"] > 0]
    rho = wide["utilization"].clip(lower=0.0, upper=1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        times = np.where(rho > 0, wide["handled"] * (1 - np.sqrt(rho)) ** 2 / rho, np.inf)
    wide = wide.assign(relaxation_times=times)
    return wide[columns]


def run_length_warnings(summary: pd.DataFrame, metrics: pd.DataFrame, days: float, calls: pd.DataFrame | None = None,
                        label=lambda name: name) -> list[str]:
    """One plain-words warning per scenario whose run is too short for a busy team or for some tails."""
    busy = relaxation_times(summary)
    busy = busy.loc[(busy["relaxation_times"] < MIN_RELAXATION_TIMES).astype(bool)]
    tails = run_length_bias(calls, summary, metrics) if calls is not None and len(calls) else None
    tails = (tails.loc[tails["flagged"].astype(bool)] if tails is not None
             else pd.DataFrame(columns=["scenario", "metric", "team", "bias", "mean"]))
    out = []
    for scenario in dict.fromkeys([*busy["scenario"], *tails["scenario"]]):
        parts = [f"team {r.team} is {r.utilization:.0%} busy and a replication spans only about "
                 f"{r.relaxation_times:.0f} of its queue's relaxation times (fewer than {MIN_RELAXATION_TIMES})"
                 for r in busy[busy["scenario"] == scenario].itertuples()]
        for r in tails[tails["scenario"] == scenario].itertuples():
            name = r.metric + (f"[{r.team}]" if r.team else "")
            parts.append(f"{name} is estimated {abs(r.bias / r.mean):.0%} {'below' if r.bias < 0 else 'above'} its "
                         f"long-run value in one replication (batch jackknife; beyond a quarter of its CI half-width)")
        out.append(f"{label(scenario)}: {days:g} days a replication is short for its waits and tails: "
                   + "; ".join(parts) + ". Waits and percentiles from runs this short are skewed and biased, so their "
                   "95% intervals cover less often than 95%; simulate more days (--days): more replications "
                   "narrow the interval, not the bias")
    return out

"""Warm-up evidence: MSER-5 truncation and Welch's moving averages on daily output series.

A run starts empty: no one is in the middle of a crisis, no one has been linked to services,
and repeat crises have not yet built up. The daily series of a run with no warm-up show that
transient; these functions say when it has passed.

- MSER-5 (White 1997; Hoad, Robinson & Davies 2010): batch the series into means of 5 days,
  and truncate at the batch d ≤ n/2 that minimises the squared standard error of the mean of
  what remains.
- Welch's method (Welch 1983): average the daily series over replications, smooth with a
  centred moving average, and read where the curve flattens (drawn as a chart).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..engine.eventlog import EventLog

BATCH_DAYS = 5
SERIES = ("calls", "repeat_calls", "busy_hours")


def mser(series, batch: int = BATCH_DAYS) -> int:
    """The MSER-`batch` truncation point of a series, in observations (days), a multiple of `batch`."""
    y = np.asarray(series, dtype=float)
    n_batches = len(y) // batch
    if n_batches < 4:
        return 0
    means = y[: n_batches * batch].reshape(n_batches, batch).mean(axis=1)
    best, best_d = np.inf, 0
    for d in range(0, n_batches // 2 + 1):
        rest = means[d:]
        score = np.sum((rest - rest.mean()) ** 2) / len(rest) ** 2
        if score < best:
            best, best_d = score, d
    return best_d * batch


def moving_average(series, window: int) -> np.ndarray:
    """Welch's centred moving average, with the shorter windows of his method near the start."""
    y = np.asarray(series, dtype=float)
    out = np.full(len(y), np.nan)
    for i in range(len(y) - window):
        half = min(i, window)
        out[i] = y[i - half: i + half + 1].mean()
    return out


def daily_series(log: EventLog, replication: int) -> pd.DataFrame:
    """Per simulated day: crisis calls, repeat crises, and unit-hours busy (every team, every job)."""
    days = int(np.ceil(log.horizon_min / 1440))
    calls = log.table("calls")
    jobs = log.table("jobs")
    day = (np.asarray(calls["arrival_min"], dtype=float) // 1440).astype(np.int64)
    repeat = np.asarray(calls["generation"], dtype=np.int64) > 0 if len(day) else np.zeros(0, bool)
    n_calls = np.bincount(day, minlength=days)[:days]
    n_repeat = np.bincount(day[repeat], minlength=days)[:days]
    busy = np.zeros(days)
    if len(jobs["kind"]):
        start = np.asarray(jobs["assigned_min"], dtype=float)
        end = np.minimum(np.asarray(jobs["clear_min"], dtype=float), log.horizon_min)
        # busy minutes credited to the day each job was assigned (jobs last minutes to hours)
        busy = np.bincount((start // 1440).astype(np.int64), weights=np.maximum(end - start, 0) / 60,
                           minlength=days)[:days]
    return pd.DataFrame({"replication": replication, "day": np.arange(days), "calls": n_calls,
                         "repeat_calls": n_repeat, "busy_hours": busy})


def recommend(daily: pd.DataFrame, batch: int = BATCH_DAYS) -> pd.DataFrame:
    """MSER-5 on the replication-averaged daily series: the warm-up each series needs, in days."""
    mean = daily.groupby("day")[list(SERIES)].mean()
    rows = [{"series": name, "mser_days": mser(mean[name].to_numpy(), batch),
             "per_replication_max": max(mser(g[name].to_numpy(), batch) for _, g in daily.groupby("replication"))}
            for name in SERIES]
    return pd.DataFrame(rows)


def warmup_warning(scenario) -> str | None:
    """A warning when the scenario has repeat crises but a warm-up shorter than their window:
    the measured period then starts before repeats have built up, and undercounts them."""
    repeat = scenario.demand.repeat
    if repeat is None or scenario.run.warmup_days >= repeat.within_days:
        return None
    return (f"run.warmup_days is {scenario.run.warmup_days:g} days, shorter than demand.repeat.within_days "
            f"({repeat.within_days:g}): repeat crises are still building up when measuring starts, so repeats "
            "and everything they drive are undercounted; `crisis-sim warmup` measures how long is needed")

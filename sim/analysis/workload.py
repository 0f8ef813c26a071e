"""Workload measures of a call record, the same code for a CAD export and for a simulated run.

A backtest sets the two side by side, so both go through `workload_measures`: calls per day
by hour of day, received → dispatched waits by hour, units busy by hour (dispatched →
cleared), and quantiles of crisis calls' travel (dispatched → arrived) and time on scene
(arrived → cleared, transport included, as a CAD clears it). Times are minutes from a Monday
00:00; `days` says how many whole days the record covers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
MEASURES = {  # name -> (label, unit, x label)
    "calls_by_hour": ("Calls per day by hour", "calls per day", "hour of day"),
    "wait_by_hour": ("Wait to dispatch by hour", "minutes, received to dispatched (mean)", "hour of day"),
    "busy_by_hour": ("Units busy by hour", "units busy (mean)", "hour of day"),
    "travel_quantiles": ("Travel time, crisis calls", "minutes, dispatched to arrived", "quantile"),
    "on_scene_quantiles": ("Time on scene, crisis calls", "minutes, arrived to cleared", "quantile"),
}


@dataclass
class CallRecord:
    """What both sides know about calls: arrays in minutes (NaN where unknown)."""

    received: np.ndarray        # every call
    crisis: np.ndarray          # bool, per call
    wait: np.ndarray            # received -> dispatched, per call
    travel: np.ndarray          # dispatched -> arrived, per call
    on_scene: np.ndarray        # arrived -> cleared, per call
    busy_start: np.ndarray      # per unit job (dispatched)
    busy_end: np.ndarray        # per unit job (cleared)
    days: np.ndarray            # bool per calendar day from minute 0: covered by the record
    busy_scale: float = 1.0     # busy time seen × this = all busy time (jobs with unknown times left out)


def _by_hour(minutes: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    hour = (np.floor(minutes / 60).astype(np.int64)) % 24
    return np.bincount(hour, weights=weights, minlength=24)[:24]


def busy_per_hour_of_day(start: np.ndarray, end: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Mean units busy in each hour of the day over the covered days (overlap of jobs with each clock hour)."""
    n_bins = len(days) * 24
    first = np.floor(start / 60).astype(np.int64)
    last = np.floor(np.maximum(end - 1e-9, start) / 60).astype(np.int64)
    counts = last - first + 1
    rows = np.repeat(np.arange(len(first)), counts)
    bins = np.repeat(first, counts) + (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts))
    overlap = np.minimum(end[rows], (bins + 1) * 60.0) - np.maximum(start[rows], bins * 60.0)
    ok = (bins >= 0) & (bins < n_bins)
    per_bin = np.bincount(bins[ok], weights=np.maximum(overlap[ok], 0) / 60, minlength=n_bins)[:n_bins]
    grid = per_bin.reshape(-1, 24)[days]
    return grid.mean(axis=0) if len(grid) else np.zeros(24)


def workload_measures(rec: CallRecord) -> pd.DataFrame:
    """Tidy measures: measure, x (hour 0-23 or quantile), value."""
    n_days = max(int(rec.days.sum()), 1)
    day = np.floor(rec.received / 1440).astype(np.int64)
    inside = (day >= 0) & (day < len(rec.days))
    covered = np.zeros(len(day), bool)
    covered[inside] = rec.days[day[inside]]
    rows = []
    calls = _by_hour(rec.received[covered]) / n_days
    rows += [("calls_by_hour", h, v) for h, v in enumerate(calls)]
    ok = covered & np.isfinite(rec.wait)
    n = _by_hour(rec.received[ok])
    total = _by_hour(rec.received[ok], rec.wait[ok])
    rows += [("wait_by_hour", h, t / c if c else np.nan) for h, (t, c) in enumerate(zip(total, n))]
    busy = busy_per_hour_of_day(rec.busy_start, rec.busy_end, rec.days) * rec.busy_scale
    rows += [("busy_by_hour", h, v) for h, v in enumerate(busy)]
    for name, values in (("travel_quantiles", rec.travel), ("on_scene_quantiles", rec.on_scene)):
        v = values[covered & rec.crisis & np.isfinite(values)]
        q = np.quantile(v, QUANTILES) if len(v) else np.full(len(QUANTILES), np.nan)
        rows += [(name, p, x) for p, x in zip(QUANTILES, q)]
    return pd.DataFrame(rows, columns=["measure", "x", "value"])

"""Backtest: simulate a fitted scenario and set the CAD export's own workload against it.

Each replication is another history of the same length as the export (its days observed),
so the spread over replications is the spread the export itself could have shown. A measure
passes when every point of the export lies inside the 95% prediction band of one
replication: mean ± t × sd × √(1 + 1/R), with t taken at 1 - 0.05 / (2 × points) so that a
correct model puts a whole curve inside with 95% chance (Bonferroni over its points).
Nothing here writes files or draws; sim.outputs.backtest does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
from scipy import stats

from ..analysis.workload import MEASURES, QUANTILES, CallRecord, workload_measures
from ..citydata.cad import OTHER, CadData
from ..engine.eventlog import OTHER as OTHER_JOB, PRIMARY
from ..engine.model import simulate
from ..errors import ScenarioError
from ..scenario.schema import Scenario
from .executors import describe, run_jobs

CONFIDENCE = 0.95


@dataclass(frozen=True)
class BacktestJob:
    scenario: Scenario
    replication: int
    seed: int
    days: int
    warmup_days: float


def simulated_record(job: BacktestJob) -> CallRecord:
    """One replication's calls in the export's terms (minutes from the end of the warm-up)."""
    log = simulate(job.scenario, job.replication, job.seed, job.days, job.warmup_days)
    w = log.warmup_min
    calls, jobs = log.table("calls"), log.table("jobs")
    kind = jobs["kind"]
    n = len(calls["call_id"])
    wait, travel, scene = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    prim = np.flatnonzero(kind == PRIMARY)
    pos = pd.Index(calls["call_id"]).get_indexer(jobs["call_id"][prim])
    ok = pos >= 0
    pos, prim = pos[ok], prim[ok]
    wait[pos] = jobs["assigned_min"][prim] - calls["arrival_min"][pos]
    travel[pos] = jobs["on_scene_min"][prim] - jobs["assigned_min"][prim]
    scene[pos] = jobs["clear_min"][prim] - jobs["on_scene_min"][prim]
    other = np.flatnonzero(kind == OTHER_JOB)
    received = np.concatenate([calls["arrival_min"], jobs["requested_min"][other]]) - w
    nan = np.full(len(other), np.nan)
    return CallRecord(
        received=received,
        crisis=np.concatenate([np.ones(n, bool), np.zeros(len(other), bool)]),
        wait=np.concatenate([wait, jobs["assigned_min"][other] - jobs["requested_min"][other]]),
        travel=np.concatenate([travel, nan]), on_scene=np.concatenate([scene, nan]),
        busy_start=jobs["assigned_min"] - w, busy_end=jobs["clear_min"] - w,
        days=np.ones(job.days, bool))


def replication_measures(job: BacktestJob) -> pd.DataFrame:
    out = workload_measures(simulated_record(job))
    out["replication"] = job.replication
    return out


def observed_record(data: CadData) -> CallRecord:
    """The export's calls in the same terms."""
    f = data.frame
    start, end = data.minutes("dispatched"), data.minutes("cleared")
    cap = data.cad_map.max_duration_hours * 60
    dispatched = np.isfinite(start)
    ok = dispatched & np.isfinite(end) & (end >= start) & (end - start <= cap)
    return CallRecord(
        received=data.minutes("received"), crisis=(f["call_type"] != OTHER).to_numpy(),
        wait=data.durations["wait"], travel=data.durations["travel"], on_scene=data.durations["on_scene"],
        busy_start=start[ok], busy_end=end[ok], days=data.observed_mask_by_day(),
        busy_scale=dispatched.sum() / max(ok.sum(), 1))


@dataclass
class BacktestResult:
    """Observed against simulated, per measure and point, with bands and verdicts."""

    scenario: Scenario
    source: str
    replications: int
    days: int
    table: pd.DataFrame      # measure, x, observed, sim_mean, band_low, band_high, inside
    verdicts: pd.DataFrame   # measure, label, points, outside, verdict
    simulated: pd.DataFrame  # measure, x, value, replication
    executor: str
    seed: int
    wall_time_s: float

    @property
    def all_inside(self) -> bool:
        return bool((self.verdicts["outside"] == 0).all())


def _x_words(measure: str, x: float) -> str:
    return f"{int(x):02d}:00" if measure.endswith("_by_hour") else f"{x * 100:.0f}th percentile"


def bands(simulated: pd.DataFrame, observed: pd.DataFrame, replications: int) -> pd.DataFrame:
    """Prediction bands per measure point (Bonferroni over the points of each measure)."""
    g = simulated.groupby(["measure", "x"], sort=False)["value"]
    table = pd.DataFrame({"sim_mean": g.mean(), "sim_sd": g.std(ddof=1)}).reset_index()
    table = table.merge(observed.rename(columns={"value": "observed"}), on=["measure", "x"], how="left")
    points = table.groupby("measure")["x"].transform("size")
    t = stats.t.ppf(1 - (1 - CONFIDENCE) / (2 * points), replications - 1)
    half = t * table["sim_sd"].fillna(0) * np.sqrt(1 + 1 / replications)
    table["band_low"] = (table["sim_mean"] - half).clip(lower=0)  # counts, times and units are never negative
    table["band_high"] = table["sim_mean"] + half
    table["inside"] = (table["observed"] >= table["band_low"] - 1e-9) & (table["observed"] <= table["band_high"] + 1e-9)
    table.loc[table["observed"].isna(), "inside"] = True  # nothing observed (e.g. no calls that hour): nothing to judge
    return table[["measure", "x", "observed", "sim_mean", "band_low", "band_high", "inside"]]


def verdicts(table: pd.DataFrame) -> pd.DataFrame:
    """A plain verdict per measure: inside the band everywhere, or where it is not and which way."""
    rows = []
    for measure, grp in table.groupby("measure", sort=False):
        out = grp[~grp["inside"]]
        if out.empty:
            verdict = "inside the band at every " + ("hour" if measure.endswith("_by_hour") else "quantile")
        else:
            higher = out[out["observed"] > out["band_high"]]
            lower = out[out["observed"] < out["band_low"]]
            parts = []
            if len(higher):
                parts.append("observed higher at " + ", ".join(_x_words(measure, x) for x in higher["x"]))
            if len(lower):
                parts.append("observed lower at " + ", ".join(_x_words(measure, x) for x in lower["x"]))
            verdict = "outside the band: " + "; ".join(parts)
        rows.append((measure, MEASURES[measure][0], len(grp), len(out), verdict))
    return pd.DataFrame(rows, columns=["measure", "label", "points", "outside", "verdict"])


def run_backtest(scenario: Scenario, data: CadData, replications: int = 10, seed: int | None = None,
                 workers: int = 1, scheduler: str | None = None,
                 on_done: Callable[[int], None] | None = None) -> BacktestResult:
    """Simulate `replications` histories as long as the export and judge each measure."""
    if replications < 2:
        raise ScenarioError(f"a backtest needs at least 2 replications for a band, got {replications}")
    days = int(data.observed_mask_by_day().sum())
    seed = scenario.run.seed if seed is None else seed
    jobs = [BacktestJob(scenario, r, seed, days, scenario.run.warmup_days) for r in range(replications)]
    started = time.perf_counter()
    simulated = pd.concat(run_jobs(replication_measures, jobs, workers=workers, scheduler=scheduler,
                                   on_done=on_done), ignore_index=True)
    observed = workload_measures(observed_record(data))
    table = bands(simulated, observed, replications)
    return BacktestResult(scenario, data.source, replications, days, table, verdicts(table), simulated,
                          describe(workers, scheduler), seed, time.perf_counter() - started)


__all__ = ["BacktestResult", "run_backtest", "QUANTILES"]

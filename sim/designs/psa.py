"""Probabilistic sensitivity analysis: uncertain inputs drawn N times, every scenario run per draw.

Draw k sets each uncertain input (the scenarios' `uncertainty:` sections, key path ->
distribution) to one value, the same in every scenario that has that key path (common
parameter draws); the value comes from the named stream ("uncertainty:<key path>") of
draw k, so it does not depend on which other inputs are uncertain or on the scenarios run.
Within a draw, every scenario runs the same replications (common random numbers);
replication j of draw k is replication k × R + j, so draws see fresh calls.

Results stream: draws run in chunks, each chunk's per-draw values are handed to a sink (the
results folder writer) and only a compact array per scenario is kept for the comparison,
so memory does not grow with N beyond those summary values. This module returns results;
it never writes files or draws charts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..analysis.metrics import replication_tables
from ..engine.model import simulate
from ..engine.streams import uniforms
from ..errors import ScenarioError
from ..scenario.loading import get_key_path
from ..scenario.schema import Scenario
from ..scenario.uncertainty import check_ranges, parameter_value
from ..scenario.variants import derive
from .executors import DASK_TIMEOUT_S, describe, run_jobs
from .experiment import same_demand

UI_LOW, UI_HIGH = 2.5, 97.5
"""Percentiles over draws of the uncertainty interval."""
DRIVER_METRICS = ("cost_city", "cost_total", "cost_new_teams", "police_hours_crisis", "involuntary_holds", "arrests")
"""Differences whose drivers (rank correlation with each input) are reported."""
STREAM_PREFIX = "uncertainty:"


def derive_draw(scenario: Scenario, values: dict[str, float | int], draw: int) -> Scenario:
    """The scenario with one draw's values set (its own uncertainty consumed: a draw's scenario is fixed)."""
    shown = ", ".join(f"{k}={v:.6g}" for k, v in values.items())
    return derive(scenario, {**values, "uncertainty": {}}, scenario.name, scenario.display_label,
                  context=f"draw {draw} ({shown})")


@dataclass(frozen=True)
class Parameter:
    """One uncertain input: its key path, distribution and the scenarios that have the key."""

    key: str
    dist: object
    scenarios: tuple[str, ...]
    declared_by: str


@dataclass(frozen=True)
class PsaDesign:
    """What to run: scenarios, number of draws, replications per draw and run settings."""

    scenarios: tuple[Scenario, ...]
    draws: int
    replications: int = 1
    seed: int | None = None
    days: float | None = None
    warmup_days: float | None = None
    baseline: str | None = None
    keep_calls: bool = False

    def __post_init__(self):
        first = self.scenarios[0].run if self.scenarios else None
        if first is not None:
            for name, default in (("seed", first.seed), ("days", first.days), ("warmup_days", first.warmup_days)):
                if getattr(self, name) is None:
                    object.__setattr__(self, name, default)
            if self.baseline is None:
                object.__setattr__(self, "baseline", self.scenarios[0].name)

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.scenarios]

    def check(self) -> None:
        """Raise ScenarioError for anything that would stop the run (before it starts)."""
        if not self.scenarios:
            raise ScenarioError("no scenarios given")
        names = self.names
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ScenarioError(f"scenario names must differ; used twice: {', '.join(dupes)}")
        if self.baseline not in names:
            raise ScenarioError(f"baseline {self.baseline!r} is not one of the scenarios: {', '.join(names)}")
        if self.draws < 1:
            raise ScenarioError(f"--draws must be at least 1, got {self.draws}")
        if self.replications < 1:
            raise ScenarioError(f"replications must be at least 1, got {self.replications}")
        if not self.parameters():
            raise ScenarioError("--draws needs uncertain inputs: none of the scenarios has an `uncertainty:` section")
        for s in self.scenarios:
            check_ranges(s)
        # every draw's variants are valid scenarios: a combination of inputs the ranges allow but no city can
        # have (chances past 1) stops the run here, before anything is simulated, naming the draw and its values
        for k in range(self.draws):
            self.scenarios_for(k)

    def parameters(self) -> list[Parameter]:
        """Every uncertain input over the scenarios (a key declared twice must have one distribution)."""
        return list(self._parameters)

    @cached_property
    def _parameters(self) -> tuple[Parameter, ...]:
        declared: dict[str, tuple[object, str]] = {}
        for s in self.scenarios:
            for key, dist in s.uncertainty.items():
                if key in declared and declared[key][0] != dist:
                    raise ScenarioError(
                        f"{s.name} and {declared[key][1]} give different distributions for {key}; a draw sets one "
                        "value in every scenario, so give it once (or the same in both)", path=f"uncertainty.{key}")
                declared.setdefault(key, (dist, s.name))
        out = []
        for key, (dist, owner) in declared.items():
            having = tuple(s.name for s in self.scenarios if _has_number(s, key))
            out.append(Parameter(key, dist, having, owner))
        return tuple(out)

    @cached_property
    def _current(self) -> dict[str, object]:
        """Each input's value in the scenario that declares it (its type decides integer rounding)."""
        owners = {s.name: s.to_dict() for s in self.scenarios}
        return {p.key: get_key_path(owners[p.declared_by], p.key) for p in self._parameters}

    def values(self, draw: int) -> dict[str, float | int]:
        """Draw k's value of every uncertain input (from the stream named after its key path)."""
        out = {}
        for p in self._parameters:
            u = float(uniforms(self.seed, draw, STREAM_PREFIX + p.key, 1)[0])
            out[p.key] = parameter_value(p.dist, u, self._current[p.key])
        return out

    def scenarios_for(self, draw: int) -> list[Scenario]:
        """Every scenario with draw k's values set where it has the key path."""
        values = self.values(draw)
        params = {p.key: p for p in self.parameters()}
        out = []
        for s in self.scenarios:
            mine = {k: v for k, v in values.items() if s.name in params[k].scenarios}
            out.append(derive_draw(s, mine, draw))
        return out

    def draws_table(self) -> pd.DataFrame:
        """draws.csv: draw, key_path, value."""
        rows = [(k, key, float(v)) for k in range(self.draws) for key, v in self.values(k).items()]
        return pd.DataFrame(rows, columns=["draw", "key_path", "value"])


def _has_number(scenario: Scenario, key: str) -> bool:
    try:
        value = get_key_path(scenario.to_dict(), key)
    except ScenarioError:
        return False
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(frozen=True)
class DrawJob:
    """One draw: every scenario with its values, run for the same replications. Picklable."""

    draw: int
    scenarios: tuple[Scenario, ...]
    replications: tuple[int, ...]
    seed: int
    days: float
    warmup_days: float
    keep_calls: bool


@dataclass
class DrawResult:
    """One draw's values per scenario, metric and team (mean over its replications)."""

    draw: int
    values: pd.DataFrame
    calls: pd.DataFrame | None


def run_draw(job: DrawJob) -> DrawResult:
    """Simulate every scenario of one draw and average each metric over the draw's replications."""
    summaries, calls = [], []
    for s in job.scenarios:
        for r in job.replications:
            tables = replication_tables(simulate(s, r, job.seed, job.days, job.warmup_days), s, r)
            summaries.append(tables["summary"])
            if job.keep_calls:
                calls.append(tables["calls"])
    summary = pd.concat(summaries, ignore_index=True)
    values = summary.groupby(["scenario", "metric", "team"], sort=False)["value"].mean().reset_index()
    values.insert(0, "draw", job.draw)
    return DrawResult(job.draw, values, pd.concat(calls, ignore_index=True) if calls else None)


Sink = Callable[[DrawResult], None]


@dataclass
class PsaResult:
    """A PSA's results: the draws, per-scenario summaries over draws, and the comparison."""

    kind = "psa"

    design: PsaDesign
    draws: pd.DataFrame
    metrics: pd.DataFrame
    comparison: pd.DataFrame
    drivers: pd.DataFrame
    psa: pd.DataFrame | None
    executor: str
    wall_time_s: float
    peak_rows_held: int
    summary_values_held: int
    paired: dict[str, bool] = field(default_factory=dict)

    @property
    def scenarios(self) -> list[Scenario]:
        return list(self.design.scenarios)

    @property
    def names(self) -> list[str]:
        return self.design.names

    def scenario(self, name: str) -> Scenario:
        return next(s for s in self.design.scenarios if s.name == name)


class _Accumulator:
    """Per scenario, one row per draw and one column per (metric, team): all the comparison needs."""

    def __init__(self, draws: int):
        self.draws = draws
        self.columns: dict[str, dict[tuple[str, str], int]] = {}
        self.values: dict[str, np.ndarray] = {}

    def add(self, values: pd.DataFrame) -> None:
        for (scenario, draw), grp in values.groupby(["scenario", "draw"], sort=False):
            cols = self.columns.setdefault(scenario, {})
            for key in zip(grp["metric"], grp["team"]):
                cols.setdefault(key, len(cols))
            arr = self.values.get(scenario)
            if arr is None or arr.shape[1] < len(cols):
                grown = np.full((self.draws, len(cols)), np.nan)
                if arr is not None:
                    grown[:, : arr.shape[1]] = arr
                arr = self.values[scenario] = grown
            idx = [cols[k] for k in zip(grp["metric"], grp["team"])]
            arr[draw, idx] = grp["value"].to_numpy()

    def series(self, scenario: str, metric: str, team: str) -> np.ndarray | None:
        i = self.columns.get(scenario, {}).get((metric, team))
        return None if i is None else self.values[scenario][:, i]

    def keys(self, scenario: str) -> list[tuple[str, str]]:
        return list(self.columns.get(scenario, {}))


def _chunk_size(workers: int, scheduler: str | None) -> int:
    return 64 if scheduler else max(4 * workers, 8)


def run_psa(design: PsaDesign, workers: int = 1, scheduler: str | None = None,
            on_done: Callable[[int], None] | None = None, sink: Sink | None = None,
            chunk: int | None = None, dask_timeout_s: float = DASK_TIMEOUT_S) -> PsaResult:
    """Run every draw (in chunks of `chunk` draws) and summarise over draws.

    Each draw's values go to `sink` as soon as its chunk is done; without a sink they are
    kept and returned as `psa`. Identical results whatever `workers`, `scheduler` or `chunk`.
    """
    design.check()
    chunk = chunk or _chunk_size(workers, scheduler)
    acc = _Accumulator(design.draws)
    kept: list[pd.DataFrame] = []
    peak = 0
    started = time.perf_counter()
    reps = design.replications
    for start in range(0, design.draws, chunk):
        jobs = [DrawJob(k, tuple(design.scenarios_for(k)), tuple(range(k * reps, (k + 1) * reps)), design.seed,
                        design.days, design.warmup_days, design.keep_calls)
                for k in range(start, min(start + chunk, design.draws))]
        results = run_jobs(run_draw, jobs, workers=workers, scheduler=scheduler, on_done=on_done,
                           dask_timeout_s=dask_timeout_s)
        # table rows this process holds at once: one chunk's per-draw values (and calls, when kept), plus the
        # values of earlier draws when there is no sink; the per-replication tables live only inside run_draw
        peak = max(peak, sum(len(r.values) + (len(r.calls) if r.calls is not None else 0) for r in results)
                   + sum(len(v) for v in kept))
        for r in results:
            acc.add(r.values)
            if sink is not None:
                sink(r)
            else:
                kept.append(r.values)
        del results, jobs
    wall = time.perf_counter() - started
    base = next(s for s in design.scenarios if s.name == design.baseline)
    draws = design.draws_table()
    return PsaResult(
        design=design, draws=draws, metrics=_metrics(acc, design), comparison=_comparison(acc, design),
        drivers=_drivers(acc, design, draws), psa=pd.concat(kept, ignore_index=True) if sink is None else None,
        executor=describe(workers, scheduler), wall_time_s=wall, peak_rows_held=peak,
        summary_values_held=sum(a.size for a in acc.values.values()),
        paired={s.name: same_demand(s, base) for s in design.scenarios},
    )


def _interval(x: np.ndarray) -> tuple[float, float, float, int]:
    x = x[~np.isnan(x)]
    if not len(x):
        return (np.nan, np.nan, np.nan, 0)
    lo, hi = np.percentile(x, [UI_LOW, UI_HIGH])
    return (float(np.mean(x)), float(lo), float(hi), len(x))


def _metrics(acc: _Accumulator, design: PsaDesign) -> pd.DataFrame:
    """psa_metrics.csv: per scenario, metric and team, the mean over draws and the 95% uncertainty interval."""
    rows = []
    for s in design.names:
        for metric, team in acc.keys(s):
            mean, lo, hi, n = _interval(acc.series(s, metric, team))
            rows.append((s, metric, team, mean, lo, hi, n))
    return pd.DataFrame(rows, columns=["scenario", "metric", "team", "mean", "ui_low", "ui_high", "n_draws"])


def differences(acc: _Accumulator, scenario: str, baseline: str, metric: str, team: str) -> np.ndarray | None:
    a, b = acc.series(scenario, metric, team), acc.series(baseline, metric, team)
    return None if a is None or b is None else a - b


def _comparison(acc: _Accumulator, design: PsaDesign) -> pd.DataFrame:
    """psa_comparison.csv: each scenario minus the baseline per draw; mean, 2.5/97.5 percentiles,
    and prob_lower, the share of draws in which the difference is below 0."""
    rows = []
    base = design.baseline
    for s in design.names:
        if s == base:
            continue
        for metric, team in acc.keys(s):
            d = differences(acc, s, base, metric, team)
            if d is None:
                continue
            mean, lo, hi, n = _interval(d)
            ok = d[~np.isnan(d)]
            rows.append((s, base, metric, team, mean, lo, hi, float(np.mean(ok < 0)) if n else np.nan, n))
    return pd.DataFrame(rows, columns=["scenario", "baseline", "metric", "team", "diff_mean", "ui_low", "ui_high",
                                       "prob_lower", "n_draws"])


def _drivers(acc: _Accumulator, design: PsaDesign, draws: pd.DataFrame) -> pd.DataFrame:
    """drivers.csv: Spearman rank correlation of each input with each scenario's difference to the baseline."""
    rows = []
    wide = draws.pivot(index="draw", columns="key_path", values="value") if len(draws) else pd.DataFrame()
    for s in design.names:
        if s == design.baseline:
            continue
        for metric in DRIVER_METRICS:
            d = differences(acc, s, design.baseline, metric, "")
            if d is None:
                continue
            # only inputs this comparison sees: set in the scenario or in the baseline (others correlate by chance)
            relevant = {p.key for p in design.parameters() if s in p.scenarios or design.baseline in p.scenarios}
            for key in [k for k in wide.columns if k in relevant]:
                x = wide[key].to_numpy()
                ok = ~np.isnan(d)
                if ok.sum() < 3 or np.ptp(x[ok]) == 0 or np.ptp(d[ok]) == 0:
                    rho = np.nan
                else:
                    rho = float(stats.spearmanr(x[ok], d[ok]).statistic)
                rows.append((s, design.baseline, metric, key, rho))
    return pd.DataFrame(rows, columns=["scenario", "baseline", "metric", "key_path", "spearman"])


def total_jobs(design: PsaDesign) -> int:
    """Draws to run (for a progress bar)."""
    return design.draws


def run_draws(scenarios: Sequence[Scenario], draws: int, **options) -> PsaResult:
    """PSA from Python (notebooks): the scenarios, the number of draws, and PsaDesign / run_psa options."""
    run_keys = {"workers", "scheduler", "on_done", "sink", "chunk", "dask_timeout_s"}
    design = PsaDesign(tuple(scenarios), draws, **{k: v for k, v in options.items() if k not in run_keys})
    return run_psa(design, **{k: v for k, v in options.items() if k in run_keys})

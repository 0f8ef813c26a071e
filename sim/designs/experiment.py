"""Experiments: every scenario for the same replications, with common random numbers.

The Python API for notebooks lives here; the command line is a thin layer over it.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import pandas as pd

from ..analysis.metrics import HEADLINE_METRICS, replication_tables
from ..analysis.stats import adjust_for_multiplicity, compare, replications_needed, summarise
from ..engine.memory import arrow_uses_malloc, big_blocks_from_the_system, give_back
from ..engine.model import simulate
from ..errors import ScenarioError
from ..scenario.loading import load_scenario
from ..scenario.schema import Scenario
from .executors import DASK_TIMEOUT_S, describe, run_jobs


# Precision advice: a count averaging fewer events than this per replication, or a metric that
# would need more replications than MAX_ADVISED, is "too rare to estimate at this length".
RARE_COUNT = 10
MAX_ADVISED = 500


@dataclass(frozen=True)
class ReplicationJob:
    """One replication of one scenario: all a worker needs, picklable."""

    scenario: Scenario
    replication: int
    seed: int
    days: float
    warmup_days: float
    keep_calls: bool = True


def run_replication(job: ReplicationJob) -> dict[str, pd.DataFrame]:
    """Simulate one replication and turn its event log into tidy tables (the per-call table
    left empty when the job does not keep calls)."""
    arrow_uses_malloc()
    big_blocks_from_the_system()
    log = simulate(job.scenario, job.replication, job.seed, job.days, job.warmup_days)
    tables = replication_tables(log, job.scenario, job.replication)
    if not job.keep_calls:
        tables["calls"] = tables["calls"].iloc[0:0]
    del log
    give_back()  # the log's memory, before the next replication or the results folder
    return tables


def same_demand(a: Scenario, b: Scenario) -> bool:
    """True when two scenarios generate identical calls (so they pair by replication)."""
    return a.demand == b.demand


@dataclass
class Experiment:
    """The results of running scenarios side by side: tidy tables and how they were made."""

    kind = "run"
    scenarios: list[Scenario]
    replications: int
    seed: int
    days: float
    warmup_days: float
    baseline: str
    calls: pd.DataFrame
    summary: pd.DataFrame
    hourly: pd.DataFrame
    metrics: pd.DataFrame
    comparison: pd.DataFrame | None
    executor: str
    wall_time_s: float
    paired: dict[str, bool] = field(default_factory=dict)
    keep_calls: bool = True
    units: pd.DataFrame | None = None  # per unit: base, staffed and busy hours, jobs

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.scenarios]

    def scenario(self, name: str) -> Scenario:
        return next(s for s in self.scenarios if s.name == name)

    def warnings(self) -> list[str]:
        """Plain-words warnings: scenarios that cannot work as intended, calls left unserved, and runs
        too short for a busy team's waits or for tails (sim.analysis.run_length)."""
        from ..analysis.run_length import run_length_warnings
        from ..scenario.sanity import scenario_warnings, unserved_warnings

        if "_warnings" not in self.__dict__:  # the results folder and the console both ask
            label = lambda name: self.scenario(name).display_label  # noqa: E731
            out = [f"{s.display_label}: {w}" for s in self.scenarios for w in scenario_warnings(s)]
            out += unserved_warnings(self.metrics, label)
            self.__dict__["_warnings"] = out + run_length_warnings(
                self.summary, self.metrics, self.days, self.calls if self.keep_calls else None, label)
        return list(self.__dict__["_warnings"])

    def headline(self) -> pd.DataFrame:
        """System-wide headline metrics, one row per scenario and metric."""
        m = self.metrics
        return m[(m["team"] == "") & (m["zone"] == "") & m["metric"].isin(HEADLINE_METRICS)]

    def imprecise(self, target: float = 0.10) -> pd.DataFrame:
        """Headline metrics whose 95% CI half-width exceeds `target` of the mean.

        Columns: scenario, metric, mean, rel_half_width, replications_needed (the sequential CI
        method of Hoad, Robinson & Davies 2010 with the current mean and sd; NaN if unknown),
        too_rare (a count averaging under RARE_COUNT per replication: more replications are the
        wrong remedy for its relative width; more days, or reading it as a rate, are the right one).
        """
        from ..analysis.catalogue import metric as catalogued

        rows = []
        for row in self.headline().itertuples():
            if row.n > 1 and row.rel_half_width == row.rel_half_width and row.rel_half_width > target:
                s = self.summary
                values = s[(s["scenario"] == row.scenario) & (s["metric"] == row.metric) & (s["team"] == "")
                           & (s["zone"] == "")]["value"]
                need = replications_needed(values.to_numpy(), target)
                rare = catalogued(row.metric).unit == "count" and abs(row.mean) < RARE_COUNT
                rows.append((row.scenario, row.metric, row.mean, row.rel_half_width,
                             float("nan") if need is None else need, rare or need is None or need > MAX_ADVISED))
        return pd.DataFrame(rows, columns=["scenario", "metric", "mean", "rel_half_width", "replications_needed",
                                           "too_rare"])


def unresolved_differences(experiment: "Experiment") -> pd.DataFrame:
    """Headline differences to the baseline whose 95% CI still includes zero, with the
    replications that would resolve each were the true difference the current estimate.

    Columns: scenario, metric, diff_mean, replications_needed (NaN: the estimate is exactly 0),
    too_small (it would take more than MAX_ADVISED replications).
    """
    from ..analysis.stats import replications_to_resolve, whole_city

    rows = []
    comp = experiment.comparison
    if comp is None:
        return pd.DataFrame(columns=["scenario", "metric", "diff_mean", "replications_needed", "too_small"])
    s = whole_city(experiment.summary)
    s = s[s["team"] == ""]
    base = s[s["scenario"] == experiment.baseline]
    comp = whole_city(comp)
    for row in comp[(comp["team"] == "") & comp["metric"].isin(HEADLINE_METRICS)].itertuples():
        if not experiment.paired.get(row.scenario, True) or not (row.ci_low <= 0 <= row.ci_high) or row.diff_mean == 0:
            continue
        mine = s[(s["scenario"] == row.scenario) & (s["metric"] == row.metric)].set_index("replication")["value"]
        theirs = base[base["metric"] == row.metric].set_index("replication")["value"]
        common = mine.index.intersection(theirs.index)
        need = replications_to_resolve((mine[common] - theirs[common]).to_numpy())
        rows.append((row.scenario, row.metric, row.diff_mean, math.nan if need is None else need,
                     need is None or need > MAX_ADVISED))
    return pd.DataFrame(rows, columns=["scenario", "metric", "diff_mean", "replications_needed", "too_small"])


def run_experiment(
    scenarios: Sequence[Scenario | str | os.PathLike],
    replications: int | None = None,
    seed: int | None = None,
    days: float | None = None,
    warmup_days: float | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    baseline: str | None = None,
    on_done: Callable[[int], None] | None = None,
    keep_calls: bool = True,
    dask_timeout_s: float = DASK_TIMEOUT_S,
) -> Experiment:
    """Run each scenario for the same replications with common random numbers.

    Run settings not given here come from the first scenario's `run:` block. Results are
    identical whatever `workers` or `scheduler`. `keep_calls=False` drops the per-call table
    (every metric is still computed, in the workers).
    """
    loaded = [s if isinstance(s, Scenario) else load_scenario(s) for s in scenarios]
    if not loaded:
        raise ScenarioError("no scenarios given")
    names = [s.name for s in loaded]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ScenarioError(f"scenario names must differ; used twice: {', '.join(dupes)}")
    first = loaded[0].run
    replications = first.replications if replications is None else replications
    seed = first.seed if seed is None else seed
    days = first.days if days is None else days
    warmup_days = first.warmup_days if warmup_days is None else warmup_days
    if replications < 1:
        raise ScenarioError(f"replications must be at least 1, got {replications}")
    if days <= 0:
        raise ScenarioError(f"days must be positive, got {days}")
    baseline = names[0] if baseline is None else baseline
    if baseline not in names:
        raise ScenarioError(f"baseline {baseline!r} is not one of the scenarios: {', '.join(names)}")
    jobs = [ReplicationJob(s, r, seed, days, warmup_days, keep_calls) for s in loaded for r in range(replications)]
    started = time.perf_counter()
    results = run_jobs(run_replication, jobs, workers=workers, scheduler=scheduler, on_done=on_done,
                       dask_timeout_s=dask_timeout_s)
    wall = time.perf_counter() - started
    tables = {name: pd.concat([r[name] for r in results], ignore_index=True)
              for name in ("calls", "summary", "hourly", "units")}
    return assemble_experiment(loaded, tables, replications=replications, seed=seed, days=days,
                               warmup_days=warmup_days, baseline=baseline,
                               executor=describe(workers, scheduler), wall_time_s=wall, keep_calls=keep_calls)


def assemble_experiment(scenarios: Sequence[Scenario], tables: dict[str, pd.DataFrame], replications: int,
                        seed: int, days: float, warmup_days: float, baseline: str, executor: str,
                        wall_time_s: float, keep_calls: bool = True) -> Experiment:
    """An Experiment from the replication tables (calls, summary, hourly, units) of its scenarios.

    Each scenario's rows depend only on that scenario and the run settings, so tables run at
    different times (the planner's page caches them per scenario) assemble into the same
    Experiment as one run of every scenario together.
    """
    scenarios = list(scenarios)
    names = [s.name for s in scenarios]
    base_scenario = scenarios[names.index(baseline)]
    paired = {s.name: same_demand(s, base_scenario) for s in scenarios}
    summary = tables["summary"]
    comparison = (adjust_for_multiplicity(compare(summary, baseline, paired), HEADLINE_METRICS)
                  if len(scenarios) > 1 else None)
    return Experiment(
        scenarios=scenarios, replications=replications, seed=seed, days=days, warmup_days=warmup_days,
        baseline=baseline, calls=tables["calls"], summary=summary, hourly=tables["hourly"],
        metrics=summarise(summary), comparison=comparison, executor=executor, wall_time_s=wall_time_s,
        paired=paired, keep_calls=keep_calls, units=tables.get("units"),
    )

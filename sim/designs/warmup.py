"""How long a warm-up a scenario needs: replications run from an empty start, their daily
series, and the MSER-5 recommendation (no files, no charts; `sim.save` writes the result)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import pandas as pd

from ..analysis.warmup import daily_series, recommend
from ..engine.model import simulate
from ..scenario.schema import Scenario
from .executors import DASK_TIMEOUT_S, describe, run_jobs


@dataclass(frozen=True)
class WarmupJob:
    scenario: Scenario
    replication: int
    seed: int
    days: float


def warmup_replication(job: WarmupJob) -> pd.DataFrame:
    """One replication from an empty start, no warm-up cut: its daily series."""
    return daily_series(simulate(job.scenario, job.replication, job.seed, job.days, 0.0), job.replication)


@dataclass
class WarmupResult:
    """Daily series of every replication and the warm-up each series needs."""

    kind = "warmup"

    scenario: Scenario
    daily: pd.DataFrame
    recommendation: pd.DataFrame
    replications: int
    days: float
    seed: int
    executor: str
    wall_time_s: float

    @property
    def warmup_days(self) -> int:
        """The recommended warm-up: the longest MSER-5 truncation over the series, in days."""
        return int(self.recommendation["mser_days"].max())

    @property
    def scenarios(self) -> list[Scenario]:
        return [self.scenario]


def run_warmup(scenario: Scenario, replications: int = 10, days: float = 730, seed: int | None = None,
               workers: int = 1, scheduler: str | None = None,
               on_done: Callable[[int], None] | None = None, dask_timeout_s: float = DASK_TIMEOUT_S) -> WarmupResult:
    """Simulate `replications` runs of `days` from an empty start and recommend a warm-up."""
    seed = scenario.run.seed if seed is None else seed
    jobs = [WarmupJob(scenario, r, seed, days) for r in range(replications)]
    started = time.perf_counter()
    daily = pd.concat(run_jobs(warmup_replication, jobs, workers=workers, scheduler=scheduler, on_done=on_done,
                                dask_timeout_s=dask_timeout_s),
                      ignore_index=True)
    return WarmupResult(scenario, daily, recommend(daily), replications, days, seed, describe(workers, scheduler),
                        time.perf_counter() - started)

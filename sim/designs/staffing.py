"""The staffing finder: the fewest units of one team for which every target holds with 95% confidence.

The search is a bisection on units, assuming each target gets easier to meet as units are
added (waits, response times, fallbacks and utilisation fall). At each staffing level it
runs the initial replications and, while a target's 95% interval straddles its bound, adds
replications (doubling, up to a cap); a level counts as meeting a target only when the
interval's bound does, so an undecided level at the cap counts as not meeting it. All
levels use the same seeds, so replication r sees the same calls at every level (common
random numbers).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import pandas as pd

from ..analysis.stats import summarise
from ..analysis.targets import Target, Verdict
from ..errors import ScenarioError
from ..scenario.schema import Scenario
from ..scenario.variants import derive
from .executors import DASK_TIMEOUT_S, describe, run_jobs
from .experiment import ReplicationJob, run_replication


@dataclass(frozen=True)
class StaffingQuestion:
    """What to staff, what must hold, and how hard to look."""

    scenario: Scenario
    team: str
    targets: tuple[Target, ...]
    max_units: int = 20
    min_units: int = 1
    shift: int | None = None
    replications: int = 10
    max_replications: int = 40
    days: float | None = None
    warmup_days: float | None = None
    seed: int | None = None

    def check(self) -> None:
        """Raise ScenarioError for a question that cannot be asked of this scenario."""
        s = self.scenario
        if self.team not in s.teams:
            raise ScenarioError(f"unknown team {self.team!r}; teams: {', '.join(s.teams)}", path="--team")
        if not self.targets:
            raise ScenarioError('give at least one --target, e.g. "response_min_p90<=20"', path="--target")
        for target in self.targets:
            target.ref.check(s, "--target")
        team = s.teams[self.team]
        if self.shift is not None:
            if team.shifts is None:
                raise ScenarioError(f"team {self.team!r} has `units` around the clock, not shifts; drop --shift",
                                    path="--shift")
            if not 0 <= self.shift < len(team.shifts):
                raise ScenarioError(f"team {self.team!r} has shifts 0 to {len(team.shifts) - 1}, got {self.shift}",
                                    path="--shift")
        if not 0 <= self.min_units <= self.max_units:
            raise ScenarioError(f"need 0 <= min units <= max units, got {self.min_units} and {self.max_units}",
                                path="--max-units")
        if self.max_replications < self.replications:
            raise ScenarioError(f"max replications ({self.max_replications}) is below the initial "
                                f"replications ({self.replications})", path="--max-replications")
        if self.replications < 2:
            raise ScenarioError("a 95% interval needs at least 2 replications", path="--replications")

    def describe_staffing(self) -> str:
        team = self.scenario.teams[self.team]
        name = team.label or self.team
        if team.shifts is None:
            return f"{name} units (around the clock)"
        if self.shift is not None:
            sh = team.shifts[self.shift]
            return f"{name} units on shift {self.shift + 1} ({', '.join(sh.days)} {sh.start}-{sh.end})"
        return f"{name} units on every shift" if len(team.shifts) > 1 else f"{name} units on shift"


def staffed(question: StaffingQuestion, units: int) -> Scenario:
    """The scenario with the team at this many units (every shift, or the chosen one)."""
    team = question.scenario.teams[question.team]
    if not team.shifts:
        changes = {f"teams.{question.team}.units": units}
    else:
        changes = {f"teams.{question.team}.shifts[{i}].units": units for i in range(len(team.shifts))
                   if question.shift is None or i == question.shift}
    return derive(question.scenario, changes, f"{question.scenario.name}__{question.team}_{units}u",
                  f"{question.scenario.display_label}: {units} {question.describe_staffing()}")


@dataclass
class Level:
    """Every replication run so far at one staffing level."""

    units: int
    scenario: Scenario
    summary: pd.DataFrame
    hourly: pd.DataFrame

    @property
    def n(self) -> int:
        return int(self.summary["replication"].nunique()) if len(self.summary) else 0

    def judge(self, targets) -> list[tuple[Target, Verdict, float, float, float, int]]:
        return [(t, *t.judge(t.ref.values(self.summary)["value"].to_numpy())) for t in targets]


def overall(verdicts) -> Verdict:
    kinds = [v[1] for v in verdicts]
    if "not met" in kinds:
        return "not met"
    return "met" if all(k == "met" for k in kinds) else "undecided"


@dataclass
class StaffingResult:
    """The answer (None when nothing up to max_units meets every target) and how it was found."""

    kind = "staffing"
    question: StaffingQuestion
    answer: int | None
    levels: dict[int, Level]
    search: pd.DataFrame
    replication_settings: dict
    executor: str
    wall_time_s: float
    summary: pd.DataFrame = field(init=False)
    metrics: pd.DataFrame = field(init=False)
    confirmation: object | None = field(default=None, init=False)  # a designs.confirm.Confirmation, once run

    def __post_init__(self):
        levels = sorted(self.levels.values(), key=lambda lv: lv.units)
        self.summary = pd.concat([lv.summary for lv in levels], ignore_index=True)
        metrics = summarise(self.summary)
        units = {lv.scenario.name: lv.units for lv in levels}
        for table in (self.summary, metrics):
            table.insert(1, "units", table["scenario"].map(units))
        self.metrics = metrics

    @property
    def scenarios(self) -> list[Scenario]:
        """The staffed scenarios, fewest units first."""
        return [lv.scenario for lv in sorted(self.levels.values(), key=lambda lv: lv.units)]

    @property
    def hourly(self) -> pd.DataFrame:
        levels = sorted(self.levels.values(), key=lambda lv: lv.units)
        return pd.concat([lv.hourly for lv in levels], ignore_index=True)

    @property
    def runs(self) -> int:
        """Replications simulated in the whole search."""
        return int(self.search["new_replications"].sum())

    def message(self) -> str:
        q = self.question
        targets = " and ".join(str(t) for t in q.targets)
        if self.answer is None:
            return (f"No staffing up to {q.max_units} {q.describe_staffing()} meets {targets} with 95% confidence "
                    f"({self.runs} replications simulated).")
        return (f"{self.answer} {q.describe_staffing()} is the smallest staffing that meets {targets} "
                f"with 95% confidence ({self.runs} replications simulated over {len(self.levels)} staffing levels).")


def find_staffing(question: StaffingQuestion, workers: int = 1, scheduler: str | None = None,
                  on_done: Callable[[int], None] | None = None, dask_timeout_s: float = DASK_TIMEOUT_S) -> StaffingResult:
    """Bisect on units for the smallest staffing that meets every target with 95% confidence."""
    question.check()
    run = question.scenario.run
    seed = run.seed if question.seed is None else question.seed
    days = run.days if question.days is None else question.days
    warmup = run.warmup_days if question.warmup_days is None else question.warmup_days
    levels: dict[int, Level] = {}
    rows: list[dict] = []
    started = time.perf_counter()

    def simulate(units: int, first: int, stop: int) -> None:
        level = levels.get(units)
        scenario = level.scenario if level else staffed(question, units)
        jobs = [ReplicationJob(scenario, r, seed, days, warmup) for r in range(first, stop)]
        results = run_jobs(run_replication, jobs, workers=workers, scheduler=scheduler, on_done=on_done,
                           dask_timeout_s=dask_timeout_s)
        summary = pd.concat([r["summary"] for r in results], ignore_index=True)
        hourly = pd.concat([r["hourly"] for r in results], ignore_index=True)
        if level is None:
            levels[units] = Level(units, scenario, summary, hourly)
        else:
            level.summary = pd.concat([level.summary, summary], ignore_index=True)
            level.hourly = pd.concat([level.hourly, hourly], ignore_index=True)

    def meets(units: int) -> bool:
        n = 0
        new = question.replications
        while True:
            simulate(units, n, n + new)
            n += new
            verdicts = levels[units].judge(question.targets)
            verdict = overall(verdicts)
            row = {"step": len(rows) + 1, "units": units, "new_replications": new, "replications": n,
                   "verdict": verdict}
            for t, v, mean, lo, hi, _n in verdicts:
                row.update({f"{t} mean": mean, f"{t} ci_low": lo, f"{t} ci_high": hi, f"{t} verdict": v})
            rows.append(row)
            if verdict != "undecided" or n >= question.max_replications:
                return verdict == "met"
            new = min(n, question.max_replications - n)

    lo, hi = question.min_units - 1, question.max_units
    answer: int | None = None
    if meets(hi):
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if meets(mid):
                hi = mid
            else:
                lo = mid
        answer = hi
    return StaffingResult(question, answer, levels, pd.DataFrame(rows),
                          {"seed": seed, "days": days, "warmup_days": warmup}, describe(workers, scheduler),
                          time.perf_counter() - started)

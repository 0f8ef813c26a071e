"""The staffing finder: the fewest units of one team whose 95% intervals meet every target.

The search is a bisection on units, assuming each target gets easier to meet as units are
added (waits, response times, fallbacks and utilisation fall). At each staffing level it
runs the initial replications and, while a target's 95% interval straddles its bound, adds
replications (doubling, up to a cap); a level counts as meeting a target only when the
interval's bound does (one-sided 97.5% per target at one look; the looks add error, so the
answer is confirmed with fresh seeds by sim.designs.confirm), and an undecided level at the cap
counts as not meeting it. All levels use the same seeds, so replication r sees the same calls at every level (common
random numbers).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import pandas as pd

from ..analysis.stats import summarise
from ..analysis.budget import team_cost_per_year
from ..analysis.targets import Target, Verdict
from ..errors import ScenarioError
from ..scenario.schema import Scenario
from ..scenario.variants import derive
from .executors import DASK_TIMEOUT_S, describe, run_jobs
from .experiment import ReplicationJob, run_replication


def check_team_and_targets(scenario, team: str, targets, example: str) -> None:
    """The part of a staffing or planning question every tool checks: a known team and at least one valid target."""
    if team not in scenario.teams:
        raise ScenarioError(f"unknown team {team!r}; teams: {', '.join(scenario.teams)}", path="--team")
    if not targets:
        raise ScenarioError(f'give at least one --target, e.g. "{example}"', path="--target")
    for target in targets:
        target.ref.check(scenario, "--target")


@dataclass(frozen=True)
class StaffingQuestion:
    """What to staff, what must hold, and how hard to look."""

    scenario: Scenario
    team: str
    targets: tuple[Target, ...]
    max_units: int = 20
    min_units: int = 1
    shift: str | None = None
    budget: float | None = None
    replications: int = 10
    max_replications: int = 40
    days: float | None = None
    warmup_days: float | None = None
    seed: int | None = None

    def check(self) -> None:
        """Raise ScenarioError for a question that cannot be asked of this scenario."""
        s = self.scenario
        check_team_and_targets(s, self.team, self.targets, "response_min_p90<=20")
        team = s.teams[self.team]
        if self.shift is not None:
            if team.shifts is None:
                raise ScenarioError(f"team {self.team!r} has `units` around the clock, not shifts; drop --shift",
                                    path="--shift")
            try:
                team.shift_index(self.shift)
            except ValueError as exc:
                raise ScenarioError(f"team {self.team!r}: {exc}", path="--shift") from None
        if not 0 <= self.min_units <= self.max_units:
            raise ScenarioError(f"need 0 <= min units <= max units, got {self.min_units} and {self.max_units}",
                                path="--max-units")
        if self.max_replications < self.replications:
            raise ScenarioError(f"max replications ({self.max_replications}) is below the initial "
                                f"replications ({self.replications})", path="--max-replications")
        if self.replications < 2:
            raise ScenarioError("a 95% interval needs at least 2 replications", path="--replications")
        if self.budget is not None and self.units_within_budget() < self.min_units:
            fixed = self.scenario.teams[self.team].fixed_per_year
            with_fixed = f", with the team's fixed {fixed:,.0f}" if fixed else ""
            raise ScenarioError(f"a budget of {self.budget:,.0f} a year does not pay for {self.min_units} "
                                f"{self.describe_staffing()} ({self.cost_per_year(self.min_units):,.0f} a year"
                                f"{with_fixed})", path="--budget")

    @property
    def shift_index(self) -> int | None:
        """The staffed shift's 0-based index (the question names it by name or 1-based number)."""
        return None if self.shift is None else self.scenario.teams[self.team].shift_index(str(self.shift))

    def cost_per_year(self, units: int) -> float:
        """The team's yearly cost at this staffing level (the new budget line, fixed cost included)."""
        return team_cost_per_year(staffed(self, units).teams[self.team])

    def units_within_budget(self) -> int:
        """The most units (up to max_units) whose yearly cost is within the budget."""
        if self.budget is None:
            return self.max_units
        within = [u for u in range(self.min_units, self.max_units + 1) if self.cost_per_year(u) <= self.budget]
        return max(within) if within else self.min_units - 1

    def describe_staffing(self) -> str:
        team = self.scenario.teams[self.team]
        name = team.label or self.team
        if team.shifts is None:
            return f"{name} units (around the clock)"
        if self.shift is not None:
            i = self.shift_index
            sh = team.shifts[i]
            called = f"shift {i + 1}" + (f" ({sh.name})" if sh.name else "")
            return f"{name} units on {called} ({', '.join(sh.days)} {sh.start}-{sh.end})"
        return f"{name} units on every shift" if len(team.shifts) > 1 else f"{name} units on shift"


def staffed(question: StaffingQuestion, units: int) -> Scenario:
    """The scenario with the team at this many units (every shift, or the chosen one)."""
    team = question.scenario.teams[question.team]
    if not team.shifts:
        changes = {f"teams.{question.team}.units": units}
    else:
        changes = {f"teams.{question.team}.shifts[{i}].units": units for i in range(len(team.shifts))
                   if question.shift is None or i == question.shift_index}
    return derive(question.scenario, changes, f"{question.scenario.name}__{question.team}_{units}u",
                  f"{question.scenario.display_label}: {units} {question.describe_staffing()}")


@dataclass
class Level:
    """Every replication run so far of one staffing (a number of units, or a planner's schedule)."""

    key: int
    scenario: Scenario
    summary: pd.DataFrame
    hourly: pd.DataFrame

    @property
    def units(self) -> int:
        return self.key

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
        """The search's answer. Its "meets" is each target's 95% interval on its side (one-sided 97.5%
        per target at one look); the search looks up to three times, so designs.confirm reruns it."""
        q = self.question
        targets = " and ".join(str(t) for t in q.targets)
        if self.answer is None:
            top = q.units_within_budget()
            within = f" (the most a budget of {q.budget:,.0f} a year pays for)" if q.budget is not None else ""
            return (f"No staffing up to {top} {q.describe_staffing()}{within} has 95% intervals within "
                    f"{targets} in the search ({self.runs} replications simulated).")
        return (f"{self.answer} {q.describe_staffing()} is the smallest staffing whose 95% intervals are within "
                f"{targets} in the search, at {q.cost_per_year(self.answer):,.0f} a year for the team "
                f"({self.runs} replications simulated over {len(self.levels)} staffing levels).")


@dataclass
class Confirmation:
    """Simulates staffings with common random numbers and judges each target by its 95% interval.

    Every staffing runs replications 0, 1, ... with the same seed, so replication r sees the
    same calls in all of them. A staffing starts with `replications`; while a target's
    interval straddles its bound, replications double up to `max_replications`; still
    undecided then counts as not meeting it. `rows` records every step.
    """

    targets: tuple[Target, ...]
    replications: int
    max_replications: int
    seed: int
    days: float
    warmup_days: float
    workers: int = 1
    scheduler: str | None = None
    on_done: Callable[[int], None] | None = None
    dask_timeout_s: float = DASK_TIMEOUT_S
    levels: dict[int, Level] = field(default_factory=dict)
    rows: list[dict] = field(default_factory=list)

    def simulate(self, key: int, scenario: Scenario, first: int, stop: int) -> Level:
        """Run replications first..stop-1 of this staffing and add them to its level."""
        level = self.levels.get(key)
        scenario = level.scenario if level else scenario
        # levels keep summaries only: the workers drop the per-call table
        jobs = [ReplicationJob(scenario, r, self.seed, self.days, self.warmup_days, keep_calls=False)
                for r in range(first, stop)]
        results = run_jobs(run_replication, jobs, workers=self.workers, scheduler=self.scheduler, on_done=self.on_done,
                           dask_timeout_s=self.dask_timeout_s)
        summary = pd.concat([r["summary"] for r in results], ignore_index=True)
        hourly = pd.concat([r["hourly"] for r in results], ignore_index=True)
        if level is None:
            level = self.levels[key] = Level(key, scenario, summary, hourly)
        else:
            level.summary = pd.concat([level.summary, summary], ignore_index=True)
            level.hourly = pd.concat([level.hourly, hourly], ignore_index=True)
        return level

    def meets(self, key: int, scenario: Scenario, columns: dict | None = None) -> bool:
        """Whether this staffing's 95% intervals meet every target (a row per step, with `columns`)."""
        level = self.levels.get(key)
        n = level.n if level else 0
        new = self.replications - n if n < self.replications else 0
        while True:
            if new > 0:
                level = self.simulate(key, scenario, n, n + new)
                n += new
            verdicts = level.judge(self.targets)
            verdict = overall(verdicts)
            row = {"step": len(self.rows) + 1, **(columns or {}), "new_replications": new, "replications": n,
                   "verdict": verdict}
            for t, v, mean, lo, hi, _n in verdicts:
                row.update({f"{t} mean": mean, f"{t} ci_low": lo, f"{t} ci_high": hi, f"{t} verdict": v})
            self.rows.append(row)
            if verdict != "undecided" or n >= self.max_replications:
                return verdict == "met"
            new = min(n, self.max_replications - n)


def find_staffing(question: StaffingQuestion, workers: int = 1, scheduler: str | None = None,
                  on_done: Callable[[int], None] | None = None, dask_timeout_s: float = DASK_TIMEOUT_S) -> StaffingResult:
    """Bisect on units for the smallest staffing whose 95% intervals meet every target."""
    question.check()
    run = question.scenario.run
    seed = run.seed if question.seed is None else question.seed
    days = run.days if question.days is None else question.days
    warmup = run.warmup_days if question.warmup_days is None else question.warmup_days
    started = time.perf_counter()
    confirm = Confirmation(question.targets, question.replications, question.max_replications, seed, days, warmup,
                           workers, scheduler, on_done, dask_timeout_s)

    def meets(units: int) -> bool:
        scenario = staffed(question, units)
        cost = team_cost_per_year(scenario.teams[question.team])
        return confirm.meets(units, scenario, {"units": units, "cost_per_year": cost})

    lo, hi = question.min_units - 1, question.units_within_budget()
    answer: int | None = None
    if meets(hi):
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if meets(mid):
                hi = mid
            else:
                lo = mid
        answer = hi
    return StaffingResult(question, answer, confirm.levels, pd.DataFrame(confirm.rows),
                          {"seed": seed, "days": days, "warmup_days": warmup}, describe(workers, scheduler),
                          time.perf_counter() - started)

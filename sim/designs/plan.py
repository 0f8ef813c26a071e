"""The shift planner: the cheapest weekly schedule of tours that meets the targets, or the best within a budget.

Two stages, as in Kolesar et al. (1975) and RAND's Patrol Car Allocation Model:

1. **Screen** (no simulation): the team's lagged offered load hour by hour over the week
   (sim.analysis.queueing) gives, for every hour and number of units on duty, the share of
   first-choice calls reached within the routing rule's wait limit (M/M/c with that patience)
   and the mean wait (Erlang C). An integer program (scipy.optimize.milp) chooses how many
   units work each tour (start, length, days) so that the week's targets hold at least cost,
   or so that the team reaches the most calls within a budget. Solving it for targets made a
   little easier or harder than asked gives a ladder of candidate schedules, cheapest first.
2. **Search by simulation**: candidates are simulated with common random numbers (the staffing
   finder's Confirmation: replications double while undecided) and the ladder is bisected
   for the cheapest candidate whose 95% intervals meet every target; where the screen was
   wrong, the bisection moves up or down the ladder.
3. **Confirmation with fresh seeds**, as `staff` does (sim.designs.confirm): the search looks
   at a candidate up to three times and keeps the first look that decides, which errs more
   often than the nominal one-sided 2.5% per target. The answer is run again with fresh seeds
   at `max_replications` and each target judged once; if it fails, the next candidates up the
   ladder are confirmed in turn. The claim is then one-sided 97.5% per target.

The module returns results; sim.outputs.plan writes and draws them.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from ..analysis.budget import WEEKS_PER_YEAR, fixed_cost_per_year, team_cost_per_year, unit_hour_cost
from ..analysis.numbers import interval
from ..analysis.queueing import HOURS_PER_WEEK, HourlyLoad, hourly_load
from ..analysis.stations import StationModel
from ..analysis.stats import t_interval
from ..analysis.targets import CLAIM, Target
from ..errors import ScenarioError
from ..scenario.schema import DAYS, Scenario
from ..scenario.variants import derive
from .executors import DASK_TIMEOUT_S, describe
from .staffing import Confirmation, check_team_and_targets, overall

DAY_PATTERNS = {"all": (DAYS,), "weekdays": (DAYS[:5], DAYS[5:])}
SCREENED = {
    "eligible_reached_share": "share of the team's first-choice calls it reaches (per team, >=)",
    "fallback_share": "share of dispatched calls not handled by their first-choice team (<=)",
    "utilization": "time busy as a share of staffed hours (per team, <=)",
    "response_min_mean": "mean response time of the calls the team handles (per team, <=)",
}
LADDER_STEP = 0.01  # how much easier or harder each rung of the candidate ladder asks the screen to be
SATURATED = 0.999  # an hour needs no more units once this share of its calls is reached
# the integer program stops within 1% of the least cost: less than one unit-hour a day for a
# year on the shipped team (1.8% of its cost), so the schedule found is the cheapest there
MIP_GAP = 0.01


@dataclass(frozen=True)
class Tour:
    """Units working `length_hours` from `start_hour` on each of `days`."""

    days: tuple[str, ...]
    start_hour: int
    length_hours: int

    def hours(self) -> list[int]:
        """Hours of the week (0 = Monday 00:00-01:00) a unit on this tour is on duty."""
        return [(24 * DAYS.index(d) + self.start_hour + i) % HOURS_PER_WEEK
                for d in self.days for i in range(self.length_hours)]

    @property
    def start(self) -> str:
        return f"{self.start_hour:02d}:00"

    @property
    def end(self) -> str:
        end = (self.start_hour + self.length_hours) % 24
        return "24:00" if end == 0 and self.start_hour + self.length_hours == 24 else f"{end:02d}:00"

    @property
    def name(self) -> str:
        days = "daily" if len(self.days) == 7 else "weekdays" if self.days == DAYS[:5] else "weekends"
        return f"{days}_{self.start_hour:02d}_{self.length_hours}h"


@dataclass(frozen=True)
class PlanQuestion:
    """Which team to schedule, what must hold, what tours are allowed, and how hard to look."""

    scenario: Scenario
    team: str
    targets: tuple[Target, ...]
    budget: float | None = None
    shift_lengths: tuple[int, ...] = (8, 10, 12)
    starts: tuple[int, ...] = tuple(range(24))
    days: str = "all"
    replications: int = 10
    max_replications: int = 40
    curve_replications: int = 3
    curve_points: int = 6
    budget_step: float = 500_000.0
    sim_days: float | None = None
    warmup_days: float | None = None
    seed: int | None = None

    def check(self) -> None:
        """Raise ScenarioError for a question the planner cannot answer for this scenario."""
        s = self.scenario
        check_team_and_targets(s, self.team, self.targets, "eligible_reached_share[peer_team]>=0.6")
        for target in self.targets:
            metric, team = target.ref.metric, target.ref.team
            if metric not in SCREENED or (team and team != self.team) or (metric != "fallback_share" and not team):
                raise ScenarioError(
                    f"the planner's screen cannot model {target}; it models, for the planned team "
                    f"({self.team}): " + "; ".join(f"{m}: {what}" for m, what in SCREENED.items())
                    + ". Use `staff` or `sweep` for other metrics", path="--target")
            bad_op = ">=" if metric != "eligible_reached_share" else "<="
            if target.op == bad_op:
                raise ScenarioError(f"{target}: the planner takes {metric} with {'>=' if bad_op == '<=' else '<='} "
                                    "only (more units move it one way)", path="--target")
        if not self.shift_lengths or any(not 1 <= n <= 23 for n in self.shift_lengths):
            raise ScenarioError(f"shift lengths must be whole hours from 1 to 23, got {list(self.shift_lengths)}",
                                path="--shift-lengths")
        if not self.starts or any(not 0 <= h <= 23 for h in self.starts):
            raise ScenarioError(f"start times must be whole hours 00:00 to 23:00, got {list(self.starts)}",
                                path="--starts")
        if self.days not in DAY_PATTERNS:
            raise ScenarioError(f"--days must be one of {', '.join(DAY_PATTERNS)}, got {self.days!r}", path="--days")
        if self.replications < 2:
            raise ScenarioError("a 95% interval needs at least 2 replications", path="--replications")
        if self.max_replications < self.replications:
            raise ScenarioError(f"max replications ({self.max_replications}) is below the initial "
                                f"replications ({self.replications})", path="--max-replications")
        if self.budget is not None:
            if unit_hour_cost(s.teams[self.team]) <= 0:
                raise ScenarioError(f"team {self.team!r} has no cost_per_unit_hour, so a budget buys everything",
                                    path="--budget")
            cheapest = min(self.tour_cost(t) for t in self.tours())
            if self.budget < self.fixed_cost + cheapest:
                fixed = f"the team's fixed cost ({self.fixed_cost:,.0f}) plus " if self.fixed_cost else ""
                raise ScenarioError(f"a budget of {self.budget:,.0f} a year is below {fixed}one unit on the cheapest "
                                    f"tour ({cheapest:,.0f} a year)", path="--budget")
        ceiling = Screen(self).ceiling()
        for target in self.targets:
            if target.ref.metric in ("eligible_reached_share", "fallback_share"):
                reachable = ceiling[str(target.ref)]
                beyond = reachable < target.value - 1e-9 if target.op == ">=" else reachable > target.value + 1e-9
                if beyond:
                    raise ScenarioError(f"{target} is impossible under the routing rules: with a unit free for every "
                                        f"call the screen puts it at {reachable:.3g}", path="--target")

    def tours(self) -> list[Tour]:
        return [Tour(tuple(days), start, length) for days in DAY_PATTERNS[self.days]
                for start in sorted(set(self.starts)) for length in sorted(set(self.shift_lengths))]

    @property
    def fixed_cost(self) -> float:
        """The team's `fixed_per_year`: in every schedule's yearly cost, and paid first out of a budget."""
        return fixed_cost_per_year(self.scenario.teams[self.team])

    def tour_cost(self, tour: Tour) -> float:
        """Yearly cost of one unit on this tour (staffed hours at the loaded rate)."""
        return unit_hour_cost(self.scenario.teams[self.team]) * tour.length_hours * len(tour.days) * WEEKS_PER_YEAR

    def settings(self) -> dict:
        run = self.scenario.run
        return {"seed": run.seed if self.seed is None else self.seed,
                "days": run.days if self.sim_days is None else self.sim_days,
                "warmup_days": run.warmup_days if self.warmup_days is None else self.warmup_days}


@dataclass(frozen=True)
class Schedule:
    """Units on each tour, and what the screen expects of it."""

    units: tuple[int, ...]  # per tour, in PlanQuestion.tours() order
    cost: float  # a year: the tours' staffed hours at the loaded rate plus the team's fixed cost
    screen: dict  # str(target ref) -> the screen's estimate
    bases: dict[str, int] | None = None  # with geography: units per base zone in the busiest hour
    travel_min: float | None = None  # with geography: the hypercube approximation's mean assignment-to-arrival

    def on_duty(self, tours: list[Tour]) -> np.ndarray:
        """Units on duty in each hour of the week."""
        c = np.zeros(HOURS_PER_WEEK, dtype=int)
        for n, tour in zip(self.units, tours):
            for h in tour.hours():
                c[h] += n
        return c


class Screen:
    """The queueing approximation and the integer program over tours."""

    def __init__(self, question: PlanQuestion, travel_min: float | None = None):
        self.q = question
        self.load: HourlyLoad = hourly_load(question.scenario, question.team, travel_min)
        self.stations = StationModel.of(question.scenario, question.team)
        self._schedules: dict[tuple[int, ...], Schedule] = {}
        self.tours = question.tours()
        self.cost = np.array([question.tour_cost(t) for t in self.tours])
        peak = float(self.load.effective_calls_per_min().max()) * self.load.service_min
        most = max(1, math.ceil(peak))
        reach = self.load.reach_table(most)
        travel = self.load.travel_min
        waits = [t.value - travel for t in question.targets if t.ref.metric == "response_min_mean"]

        def short(most: int) -> bool:  # more units could still raise reach or shorten the wait
            if reach[:, -1].min() < SATURATED:
                return True
            return bool(waits) and self.load.wait_table(most)[:, -1].max() > min(waits) * 0.5
        while short(most) and most < 400:
            most = math.ceil(most * 1.5) + 1
            reach = self.load.reach_table(most)
        self.most = most
        self.reach = reach  # [hour, units]
        self.cover = np.zeros((HOURS_PER_WEEK, len(self.tours)))
        for j, tour in enumerate(self.tours):
            for h in tour.hours():
                self.cover[h, j] += 1

    # --- what a staffing by hour gives --------------------------------------------------
    def estimate(self, on_duty: np.ndarray, travel_min: float | None = None) -> dict:
        """The screen's value of each modelled metric for units on duty by hour (travel: the screen's unless given)."""
        load = self.load
        c = np.minimum(on_duty, self.most)
        r = self.reach[np.arange(HOURS_PER_WEEK), c]
        reached = float((load.calls_per_hour * r).sum())
        team = self.q.team
        busy = reached * load.service_min + float(load.follow_up_min_per_hour.sum())
        staffed = float(on_duty.sum()) * 60
        waits = self.load.wait_table(self.most)[np.arange(HOURS_PER_WEEK), c]
        handled = load.calls_per_hour * r
        finite = np.isfinite(waits) & (handled > 0)
        travel = self.load.travel_min if travel_min is None else travel_min
        mean_wait = float((handled[finite] * waits[finite]).sum() / handled[finite].sum()) if finite.any() else math.inf
        return {
            f"eligible_reached_share[{team}]": reached / load.eligible_per_week if load.eligible_per_week else math.nan,
            "fallback_share": (load.eligible_per_week - reached) / load.dispatched_per_week,
            f"utilization[{team}]": busy / staffed if staffed else math.nan,
            f"response_min_mean[{team}]": travel + mean_wait,
        }

    def ceiling(self) -> dict:
        return self.estimate(np.full(HOURS_PER_WEEK, self.most))

    def needs(self, tighten: int = 0, per_hour_only: bool = False) -> np.ndarray:
        """Units each hour needs to meet the targets on its own (stationary independent period by period).

        The integer program uses these only for the mean response time; a share target is a
        week-long total, so it is met by the week's reach, which may run below the target in
        quiet hours and above it in busy ones (`per_hour_only` leaves shares out)."""
        need = np.zeros(HOURS_PER_WEEK, dtype=int)
        waits = self.load.wait_table(self.most)
        travel = self.load.travel_min
        for target in self.q.targets:
            metric = target.ref.metric
            value = self._tightened(target, tighten)
            for h in range(HOURS_PER_WEEK):
                if self.load.calls_per_hour[h] <= 0:
                    continue
                if metric == "response_min_mean":
                    ok = np.flatnonzero(waits[h] + travel <= value)
                elif metric == "eligible_reached_share" and not per_hour_only:
                    ok = np.flatnonzero(self.reach[h] >= min(value, self.reach[h, -1]))
                else:
                    continue
                need[h] = max(need[h], int(ok[0]) if len(ok) else self.most)
        return need

    def _tightened(self, target: Target, tighten: int) -> float:
        if target.ref.metric == "response_min_mean":
            return target.value * (1 - 0.05 * tighten)
        step = LADDER_STEP * tighten
        return target.value + step if target.op == ">=" else target.value - step

    # --- the integer program ---------------------------------------------------------------
    def solve(self, tighten: int = 0, budget: float | None = None) -> Schedule | None:
        """Least-cost tours meeting the (tightened) targets; with a budget and no targets, the most reach."""
        from scipy.optimize import Bounds, LinearConstraint, milp
        from scipy.sparse import bmat, csr_matrix, diags, eye, hstack, kron

        n_tours, n_hours, k = len(self.tours), HOURS_PER_WEEK, self.most
        load = self.load
        # y[h, i] = 1 when the (i+1)-th unit is on duty in hour h; its gain is the reach it adds
        gain = np.diff(self.reach, axis=1)  # [hour, k]
        calls_gain = (load.calls_per_hour[:, None] * gain).ravel()
        n_y = n_hours * k
        rows, lower, upper = [], [], []
        # units counted in hour h never exceed the units on duty then
        rows.append(hstack([csr_matrix(-self.cover), kron(eye(n_hours), np.ones((1, k)))]))
        lower.append(np.full(n_hours, -np.inf))
        upper.append(np.zeros(n_hours))
        # the (i+1)-th unit only counts if the i-th does; needed only where a unit adds more than
        # the one before it (otherwise the program takes the larger gains first anyway)
        concave = bool(np.all(np.diff(gain, axis=1) <= 1e-12))
        if k > 1 and not concave:
            order = kron(eye(n_hours), diags([np.ones(k - 1), -np.ones(k - 1)], [0, 1], shape=(k - 1, k)))
            rows.append(hstack([csr_matrix((n_hours * (k - 1), n_tours)), order]))
            lower.append(np.zeros(n_hours * (k - 1)))
            upper.append(np.full(n_hours * (k - 1), np.inf))
        if budget is None:
            for target in self.q.targets:
                value = self._tightened(target, tighten)
                metric = target.ref.metric
                if metric == "eligible_reached_share":
                    rows.append(csr_matrix(np.concatenate([np.zeros(n_tours), calls_gain])[None, :]))
                    lower.append(np.array([value * load.eligible_per_week]))
                    upper.append(np.array([np.inf]))
                elif metric == "fallback_share":
                    need = load.eligible_per_week - value * load.dispatched_per_week
                    rows.append(csr_matrix(np.concatenate([np.zeros(n_tours), calls_gain])[None, :]))
                    lower.append(np.array([need]))
                    upper.append(np.array([np.inf]))
                elif metric == "utilization":
                    # busy minutes <= value x staffed minutes
                    staffed = self.cover.sum(axis=0) * 60 * value
                    row = np.concatenate([-staffed, calls_gain * load.service_min])
                    rows.append(csr_matrix(row[None, :]))
                    lower.append(np.array([-np.inf]))
                    upper.append(np.array([-float(load.follow_up_min_per_hour.sum())]))
            need = self.needs(tighten, per_hour_only=True)
            if need.any():
                rows.append(hstack([csr_matrix(self.cover), csr_matrix((n_hours, n_y))]))
                lower.append(need.astype(float))
                upper.append(np.full(n_hours, np.inf))
            objective = np.concatenate([self.cost / self.cost.max(), np.zeros(n_y)])
        else:
            if budget < self.q.fixed_cost:
                return None
            # the fixed cost comes out of the budget first; the tours share the rest
            rows.append(csr_matrix(np.concatenate([self.cost, np.zeros(n_y)])[None, :]))
            lower.append(np.array([-np.inf]))
            upper.append(np.array([budget - self.q.fixed_cost]))
            # most calls reached; among equals the cheaper
            objective = np.concatenate([1e-4 * self.cost / budget, -calls_gain / load.eligible_per_week])
        matrix = bmat([[r] for r in rows]).tocsr()
        constraint = LinearConstraint(matrix, np.concatenate(lower), np.concatenate(upper))
        upper_x = np.full(n_tours, float(k))
        bounds = Bounds(np.zeros(n_tours + n_y), np.concatenate([upper_x, np.ones(n_y)]))
        # with each extra unit adding less than the one before (the usual case), the best y is
        # whole anyway once x is, so only the tours need to be integers
        integrality = np.concatenate([np.ones(n_tours), np.zeros(n_y) if concave else np.ones(n_y)])
        result = milp(objective, constraints=[constraint], integrality=integrality, bounds=bounds,
                      options={"time_limit": 20, "mip_rel_gap": MIP_GAP})
        if result.x is None:
            return None
        units = tuple(int(round(v)) for v in result.x[:n_tours])
        return self.schedule(units)

    def schedule(self, units: tuple[int, ...]) -> Schedule:
        """The schedule with these units per tour; with geography, its stations and their travel."""
        if units in self._schedules:
            return self._schedules[units]
        on_duty = Schedule(units, 0.0, {}).on_duty(self.tours)
        bases = travel = None
        if self.stations is not None and on_duty.max(initial=0) > 0:
            counts = self.stations.best_counts(*self._station_inputs(on_duty), start=self.current_counts(on_duty.max()))
            bases = self.stations.bases_of(counts)
            travel = self.stations.weekly_travel(counts, *self._station_inputs(on_duty))
        s = Schedule(units, float(np.dot(units, self.cost)) + self.q.fixed_cost, self.estimate(on_duty, travel),
                     bases, travel)
        self._schedules[units] = s
        return s

    def _station_inputs(self, on_duty: np.ndarray) -> tuple:
        load = self.load
        return on_duty, load.effective_calls_per_min(), load.calls_per_hour, load.service_min, load.max_wait_min

    def current_counts(self, most: int) -> np.ndarray:
        """The scenario's bases (counts or weights) as the first `most` units on duty are stationed."""
        st = self.stations
        weights = st.counts_of(self.q.scenario.teams[self.q.team].bases)
        return np.bincount(st.on_duty_bases(weights, int(most)), minlength=len(st.zone_names)).astype(float)

    def station_table(self, schedule: Schedule) -> pd.DataFrame:
        """Per zone: its share of calls, units based there now and as planned (busiest hour), and travel to it."""
        st = self.stations
        on_duty = schedule.on_duty(self.tours)
        most = int(on_duty.max(initial=0))
        planned = st.counts_of(schedule.bases) if schedule.bases else np.zeros(len(st.zone_names))
        now = self.current_counts(most)
        return pd.DataFrame({
            "zone": st.zone_names, "call_share": st.shares, "current_units": now.astype(int),
            "planned_units": planned.astype(int),
            "nearest_planned_min": [float(st.travel[planned > 0, z].min()) if planned.any() else np.nan
                                    for z in range(len(st.zone_names))],
            "nearest_current_min": [float(st.travel[now > 0, z].min()) if now.any() else np.nan
                                    for z in range(len(st.zone_names))],
            "screen_travel_planned_min": schedule.travel_min,
            "screen_travel_current_min": st.weekly_travel(now, *self._station_inputs(on_duty)),
        })


def shifts_yaml(tours: list[Tour], units: tuple[int, ...]) -> list[dict]:
    """The schedule as a team's `shifts:` list (named, ready to paste)."""
    return [{"name": t.name, "days": list(t.days), "start": t.start, "end": t.end, "units": int(n)}
            for t, n in zip(tours, units) if n > 0]


def shifts_text(shifts: list[dict], bases: dict[str, int] | None = None) -> str:
    """`shifts:` (and `bases:` with geography) as YAML, one flow mapping a line, clock times quoted
    (ready to paste under a team)."""
    lines = ["shifts:"]
    for sh in shifts:
        lines.append(f'  - {{name: {sh["name"]}, days: [{", ".join(sh["days"])}], start: "{sh["start"]}", '
                     f'end: "{sh["end"]}", units: {sh["units"]}}}')
    if bases:
        lines.append("# units per base zone in the busiest hour; fewer on duty follow these weights")
        lines.append("bases: {" + ", ".join(f"{z}: {n}" for z, n in bases.items()) + "}")
    return "\n".join(lines) + "\n"


def scheduled(question: PlanQuestion, tours: list[Tour], schedule: Schedule, name: str,
              planned_bases: bool = True) -> Scenario:
    """The scenario with the team on this schedule (and its planned bases, unless `planned_bases` is False)."""
    team = question.scenario.teams[question.team]
    label = f"{question.scenario.display_label}: {team.label or question.team}, planned shifts ({schedule.cost:,.0f} a year)"
    changes: dict = {f"teams.{question.team}.shifts": shifts_yaml(tours, schedule.units)}
    if schedule.bases and planned_bases:
        changes[f"teams.{question.team}.bases"] = dict(schedule.bases)
    elif schedule.bases:
        label += ", the scenario's bases"
    raw = question.scenario.to_dict()
    raw["teams"][question.team].pop("units", None)
    raw["teams"][question.team]["shifts"] = []
    return derive(raw, changes, name, label)


@dataclass
class PlanResult:
    """The answer (the index of the chosen candidate, or None) and everything that led to it."""

    kind = "plan"

    question: PlanQuestion
    tours: list[Tour]
    candidates: list[Schedule]
    answer: int | None
    met: bool  # the answer's 95% intervals meet every target (confirmed with fresh seeds unless not asked)
    confirmation: Confirmation  # the search (its levels keyed by candidate index; negative: budget curve)
    hourly: pd.DataFrame  # hour of week: calls, offered load, needed units, scheduled units, current units
    budget_curve: pd.DataFrame  # budget: screen estimate, simulated mean and CI (curve points)
    ceiling: dict
    ceiling_cost: float | None
    current_cost: float
    executor: str
    wall_time_s: float
    settings: dict
    search: pd.DataFrame = field(init=False)
    stations: pd.DataFrame | None = None  # with geography: per zone, the answer's units by base against the scenario's
    station_check: pd.DataFrame | None = None  # the answer simulated with its planned bases and with the scenario's
    fresh: Confirmation | None = None  # the confirmation of the search's answer with fresh seeds (None: not run)
    search_answer: int | None = None  # the search's answer before confirmation

    def __post_init__(self):
        self.search = pd.DataFrame(self.confirmation.rows)

    @property
    def confirmed(self) -> bool:
        return self.fresh is not None and len(self.fresh.rows) > 0

    def confirmation_table(self) -> pd.DataFrame:
        """confirmation.csv: each candidate confirmed with fresh seeds (cost, replications, per-target values, verdict)."""
        return pd.DataFrame(self.fresh.rows if self.fresh is not None else [])

    def _level(self, key: int):
        if self.fresh is not None and key in self.fresh.levels:
            return self.fresh.levels[key]
        return self.confirmation.levels.get(key)

    @property
    def runs(self) -> int:
        """Replications simulated (confirmation, the stations' check and the budget curve)."""
        confirming = int(self.search["new_replications"].sum()) if len(self.search) else 0
        stations = int(self.station_check["replications"].iloc[0]) if self.station_check is not None else 0
        fresh = self.confirmation_table()
        confirming += int(fresh["new_replications"].sum()) if len(fresh) else 0
        return confirming + stations + self.curve_runs

    @property
    def curve_runs(self) -> int:
        """Replications simulated for the budget curve (steps buying the same schedule share them)."""
        curve = self.budget_curve
        if not len(curve):
            return 0
        simulated = curve[curve["replications"] > 0].drop_duplicates("simulated_schedule")
        return int(simulated["replications"].sum())

    def answer_schedule(self) -> Schedule | None:
        return None if self.answer is None else self.candidates[self.answer]

    def answer_scenario(self) -> Scenario | None:
        level = self._level(self.answer) if self.answer is not None else None
        return level.scenario if level else None

    def shifts(self) -> list[dict]:
        s = self.answer_schedule()
        return [] if s is None else shifts_yaml(self.tours, s.units)

    def bases(self) -> dict[str, int] | None:
        """The answer's units per base zone (busiest hour), or None without geography."""
        s = self.answer_schedule()
        return None if s is None else s.bases

    def target_values(self, key: int) -> dict:
        """str(target) -> (mean, ci_low, ci_high, verdict) of a simulated candidate (its fresh-seed
        confirmation when it has one)."""
        level = self._level(key)
        return {str(t): (mean, lo, hi, v) for t, v, mean, lo, hi, _n in level.judge(self.question.targets)}

    def table(self) -> pd.DataFrame:
        """One row per simulated candidate: cost, each target's mean and 95% CI, verdict."""
        rows = []
        for key, level in sorted(self.confirmation.levels.items()):
            if key < 0:
                continue
            s = self.candidates[key]
            row = {"candidate": key + 1, "cost_per_year": s.cost, "unit_hours_per_week": int(s.on_duty(self.tours).sum()),
                   "replications": level.n, "shifts": "; ".join(_shift_text(d) for d in shifts_yaml(self.tours, s.units))}
            if s.bases:
                row["bases"] = ", ".join(f"{z} {n}" for z, n in s.bases.items())
            verdicts = level.judge(self.question.targets)
            for t, v, mean, lo, hi, _n in verdicts:
                row.update({f"{t} screen": s.screen.get(str(t.ref)), f"{t} mean": mean, f"{t} ci_low": lo,
                            f"{t} ci_high": hi})
            row["verdict"] = overall(verdicts)
            row["chosen"] = key == self.answer
            rows.append(row)
        return pd.DataFrame(rows).sort_values("cost_per_year").reset_index(drop=True)

    def message(self) -> str:
        q = self.question
        targets = " and ".join(str(t) for t in q.targets)
        how = (f"{CLAIM}, confirmed with fresh replications" if self.confirmed
               else "not confirmed with fresh replications, so it errs more often than its nominal "
                    f"{CLAIM}")
        s = self.answer_schedule()
        if s is None:
            if self.search_answer is not None:
                return (f"No schedule tried confirmed with fresh replications: the search's answer (candidate "
                        f"{self.search_answer + 1}) and those above it on the ladder do not have 95% intervals "
                        f"within {targets} on fresh seeds ({self.runs} replications simulated).")
            return f"No schedule tried has 95% intervals within {targets} ({self.runs} replications simulated)."
        first = q.targets[0]
        mean, lo, hi, _v = self.target_values(self.answer)[str(first)]
        reach = f"{first.ref} {interval(mean, lo, hi, first.ref.metric, short=True)}"  # as the tables show it
        fixed = f"the fixed {q.fixed_cost:,.0f} included; " if q.fixed_cost else ""
        if self.met:
            moved = ("" if self.search_answer in (None, self.answer) else
                     f"; the search's cheaper candidate {self.search_answer + 1} did not confirm")
            return (f"The cheapest schedule found whose 95% intervals are within {targets} costs {s.cost:,.0f} a year "
                    f"({fixed}{reach}, simulated; {how}{moved}; {self.runs} replications).")
        return (f"No schedule within the budget of {q.budget:,.0f} has 95% intervals within {targets}; the best "
                f"within it costs {s.cost:,.0f} a year ({fixed}{reach}, simulated; {self.runs} replications).")


def _shift_text(shift: dict) -> str:
    days = shift["name"].split("_")[0]
    return f"{shift['units']} × {days} {shift['start']}-{shift['end']}"


def plan_shifts(question: PlanQuestion, workers: int = 1, scheduler: str | None = None,
                on_done: Callable[[int], None] | None = None, ladder: int = 12, confirm_fresh: bool = True,
                dask_timeout_s: float = DASK_TIMEOUT_S) -> PlanResult:
    """Screen, build a ladder of candidate schedules, search it by simulation for the cheapest that
    meets the targets, and confirm that one with fresh seeds (moving up the ladder if it fails)."""
    from .confirm import fresh_seed

    question.check()
    started = time.perf_counter()
    screen = Screen(question)
    if screen.stations is not None:
        # travel depends on where units are and how busy they are: the screen's first schedule,
        # stationed by the hypercube approximation, gives the travel every later solve uses
        first = screen.solve(0) if question.budget is None else (screen.solve(0) or screen.solve(budget=question.budget))
        if first is not None and first.travel_min is not None:
            screen = Screen(question, travel_min=first.travel_min)
    settings = question.settings()
    confirm = Confirmation(question.targets, question.replications, question.max_replications, settings["seed"],
                           settings["days"], settings["warmup_days"], workers, scheduler, on_done, dask_timeout_s)
    # The ladder: rung t asks the screen for targets t points harder (t < 0: easier). Rungs are
    # solved only when the search reaches them; rungs giving the same schedule share its runs.
    candidates: list[Schedule] = []
    index: dict[tuple[int, ...], int] = {}
    rungs: dict[int, int | None] = {}
    name = question.scenario.name

    def candidate(t: int) -> int | None:
        if t not in rungs:
            s = screen.solve(t) if -ladder <= t <= ladder else None
            if s is not None and question.budget is not None and s.cost > question.budget + 1e-6:
                s = None
            if s is not None and s.units not in index:
                index[s.units] = len(candidates)
                candidates.append(s)
            rungs[t] = None if s is None else index[s.units]
        return rungs[t]

    def meets(i: int) -> bool:
        s = candidates[i]
        scenario = scheduled(question, screen.tours, s, f"{name}__plan{i + 1}")
        return confirm.meets(i, scenario, {"candidate": i + 1, "cost_per_year": s.cost})

    def rung_meets(t: int) -> bool | None:
        i = candidate(t)
        return None if i is None else meets(i)

    # from the rung that asks for exactly the targets, step (doubling) towards the boundary
    # between rungs that miss and rungs that meet, then bisect it
    met_rungs: list[int] = []
    first = rung_meets(0)
    if first is not None:
        direction = -1 if first else 1
        inside, step = 0, 1
        if first:
            met_rungs.append(0)
        outside = None
        while outside is None:
            t = inside + direction * step
            result = rung_meets(t) if -ladder <= t <= ladder else None
            if result is None:
                outside = t if first else None
                break
            if result == first:
                inside = t
                if result:
                    met_rungs.append(t)
                step *= 2
            else:
                outside = t
                if result:
                    met_rungs.append(t)
        if outside is not None:
            lo, hi = sorted((inside, outside))  # the boundary lies between lo (misses) and hi (meets)
            while hi - lo > 1:
                mid = (lo + hi) // 2
                result = rung_meets(mid)
                if result:
                    met_rungs.append(mid)
                    hi = mid
                else:
                    lo = mid
    met_candidates = [rungs[t] for t in met_rungs if rungs.get(t) is not None]
    answer, met = None, False
    if met_candidates:
        answer, met = min(met_candidates, key=lambda i: candidates[i].cost), True
    search_answer = answer
    fresh = (Confirmation(question.targets, question.max_replications, question.max_replications,
                          fresh_seed(settings["seed"]), settings["days"], settings["warmup_days"], workers, scheduler,
                          on_done, dask_timeout_s) if confirm_fresh else None)

    def confirmed(i: int) -> bool:
        """Candidate i judged once on fresh seeds at max_replications (True when not confirming)."""
        s = candidates[i]
        return fresh is None or fresh.meets(i, scheduled(question, screen.tours, s, f"{name}__plan{i + 1}"),
                                            {"candidate": i + 1, "cost_per_year": s.cost})

    if fresh is not None and answer is not None:
        # the search's answer, then the candidates up the ladder from its rung, until one confirms
        start = min(t for t in met_rungs if rungs.get(t) == answer)
        upward = (candidate(t) for t in range(start + 1, ladder + 1))
        answer, met, seen = None, False, set()
        for i in (search_answer, *filter(lambda i: i is not None, upward)):
            if i in seen:
                continue
            seen.add(i)
            if confirmed(i):
                answer, met = i, True
                break
    if not met and question.budget is not None:
        best = screen.solve(budget=question.budget)
        if best is not None:
            candidates.append(best)
            i = len(candidates) - 1
            met = meets(i) and confirmed(i)
            answer = i
    stations = check = None
    if answer is not None and candidates[answer].bases:
        stations = screen.station_table(candidates[answer])
        # paired with the runs the answer was judged on: its fresh confirmation when there is one
        judged = fresh if fresh is not None and answer in fresh.levels else confirm
        check = _station_check(question, screen, judged, candidates[answer], answer)
    ceiling = screen.ceiling()
    ceiling_cost = _ceiling_cost(screen, question)
    curve = budget_curve(question, screen, confirm, ceiling_cost)
    on_duty_now = _current_on_duty(question)
    hourly = pd.DataFrame({
        "hour_of_week": np.arange(HOURS_PER_WEEK), "calls_per_hour": screen.load.calls_per_hour,
        "offered_load": screen.load.offered_load(), "needed_units": screen.needs(0),
        "scheduled_units": (candidates[answer].on_duty(screen.tours) if answer is not None
                            else np.zeros(HOURS_PER_WEEK, dtype=int)),
        "current_units": on_duty_now,
    })
    return PlanResult(question, screen.tours, candidates, answer, met, confirm, hourly, curve, ceiling, ceiling_cost,
                      team_cost_per_year(question.scenario.teams[question.team]), describe(workers, scheduler),
                      time.perf_counter() - started, settings, stations, check, fresh=fresh,
                      search_answer=search_answer)


STATION_CHECK_KEY = -10_000  # the confirmation's key for the answer run with the scenario's own bases


def _station_check(question: PlanQuestion, screen: Screen, confirm: Confirmation, schedule: Schedule,
                   answer: int) -> pd.DataFrame | None:
    """The answer's schedule simulated with its planned bases and with the scenario's (same replications,
    common random numbers): each target's metric and the team's mean response, and the paired difference."""
    on_duty = schedule.on_duty(screen.tours)
    st = screen.stations
    now = st.counts_of(question.scenario.teams[question.team].bases)
    planned = st.counts_of(schedule.bases)
    if all(st.on_duty_bases(now, int(n)) == st.on_duty_bases(planned, int(n)) for n in np.unique(on_duty) if n > 0):
        return None  # the scenario's bases already put every unit on duty where the plan does
    level = confirm.levels[answer]
    scenario = scheduled(question, screen.tours, schedule, f"{question.scenario.name}__plan{answer + 1}_bases_as_given",
                         planned_bases=False)
    other = confirm.simulate(STATION_CHECK_KEY, scenario, 0, level.n)
    from ..analysis.targets import MetricRef

    refs = [t.ref for t in question.targets]
    response = MetricRef("response_min_mean", question.team)
    if all(str(r) != str(response) for r in refs):
        refs.append(response)
    rows = []
    for ref in refs:
        a = ref.values(level.summary).sort_values("replication")["value"].to_numpy()
        b = ref.values(other.summary).sort_values("replication")["value"].to_numpy()
        mean_a, _sd, lo_a, hi_a, n = t_interval(a)
        mean_b, _sd, lo_b, hi_b, _n = t_interval(b)
        diff, _sd, lo_d, hi_d, _n = t_interval(a - b)
        rows.append({"metric": str(ref), "planned_bases": mean_a, "planned_ci_low": lo_a, "planned_ci_high": hi_a,
                     "scenario_bases": mean_b, "scenario_ci_low": lo_b, "scenario_ci_high": hi_b,
                     "difference": diff, "difference_ci_low": lo_d, "difference_ci_high": hi_d, "replications": n})
    return pd.DataFrame(rows)


def _current_on_duty(question: PlanQuestion) -> np.ndarray:
    from ..engine.teams import weekly_schedule

    changes = weekly_schedule(question.scenario.teams[question.team])
    level = np.zeros(7 * 24 * 60, dtype=int)
    for (minute, units), nxt in zip(changes, [c[0] for c in changes[1:]] + [7 * 24 * 60]):
        level[minute:nxt] = units
    return level.reshape(HOURS_PER_WEEK, 60).mean(axis=1)


def _ceiling_cost(screen: Screen, question: PlanQuestion) -> float | None:
    """Least cost for the screen's ceiling of the reach, within half a point."""
    from dataclasses import replace

    from ..analysis.targets import MetricRef

    ceiling = screen.ceiling()[f"eligible_reached_share[{question.team}]"]
    near = Target(MetricRef("eligible_reached_share", question.team), ">=", max(0.0, ceiling - 0.005))
    s = Screen.solve(_with_targets(screen, replace(question, targets=(near,))))
    return None if s is None else s.cost


def _with_targets(screen: Screen, question: PlanQuestion) -> Screen:
    other = object.__new__(Screen)
    other.__dict__.update(screen.__dict__)
    other.q = question
    return other


def curve_points_to_simulate(reach: list[float], budgets: list[float], ceiling: float, most: int,
                             budget: float | None = None, target: float | None = None) -> list[int]:
    """Which budget steps the curve simulates: at most `most` of them, spread evenly from the cheapest
    step to the first that the screen puts within a point of its ceiling (steps beyond that only show
    the flat top), always including the step that holds the question's budget and the first step
    the screen says reaches the `target` share (where the curve crosses the target)."""
    if most <= 0 or not reach:
        return []
    knee = next((i for i, r in enumerate(reach) if r >= ceiling - 0.01), len(reach) - 1)
    chosen = {int(round(x)) for x in np.linspace(0, knee, min(most, knee + 1))}
    must = []
    if budget is not None:
        must.append(max((i for i, b in enumerate(budgets) if b <= budget + 1e-6), default=None))
    if target is not None:
        must.append(next((i for i, r in enumerate(reach) if r >= target), None))
    for step in (m for m in must if m is not None):
        if step in chosen:
            continue
        # the step replaces the evenly spread step nearest to it (the ends and earlier musts stay)
        movable = sorted(chosen - {0, knee, *must})
        if len(chosen) >= most and movable:
            chosen.discard(min(movable, key=lambda i: abs(i - step)))
        chosen.add(step)
    return sorted(chosen)


def budget_curve(question: PlanQuestion, screen: Screen, confirm: Confirmation,
                 ceiling_cost: float | None) -> pd.DataFrame:
    """What each budget step buys: the screen's most reach within it, and for up to `curve_points` steps
    (`curve_points_to_simulate`) the same schedule simulated (few replications, CRN)."""
    team = question.team
    ref = f"eligible_reached_share[{team}]"
    top = ceiling_cost or 0.0
    if question.budget is not None:
        top = max(top, question.budget)
    steps = np.arange(question.budget_step, top + question.budget_step, question.budget_step)
    steps = [b for b in steps if b >= min(screen.cost) + question.fixed_cost]
    from ..analysis.targets import MetricRef

    reach_target = Target(MetricRef("eligible_reached_share", team), ">=", 0.0)
    solved = [(float(b), s) for b in steps if (s := screen.solve(budget=float(b))) is not None]
    rows = [{"budget": b, "cost_per_year": s.cost, "screen": s.screen[ref], "replications": 0,
             "mean": math.nan, "ci_low": math.nan, "ci_high": math.nan, "simulated_schedule": 0} for b, s in solved]
    if question.curve_replications >= 2:
        ceiling = screen.ceiling()[ref]
        shares = [t.value for t in question.targets if t.ref.metric == "eligible_reached_share" and t.op == ">="]
        pick = curve_points_to_simulate([r["screen"] for r in rows], [b for b, _s in solved], ceiling,
                                        question.curve_points, question.budget, max(shares, default=None))
        keys: dict[tuple[int, ...], int] = {}
        for j in pick:
            s = solved[j][1]
            key = keys.setdefault(s.units, -(len(keys) + 1))  # steps buying the same schedule share its runs
            scenario = scheduled(question, screen.tours, s, f"{question.scenario.name}__budget{-key}")
            level = confirm.simulate(key, scenario, 0, question.curve_replications) if key not in confirm.levels \
                else confirm.levels[key]
            _v, mean, lo, hi, n = reach_target.judge(reach_target.ref.values(level.summary)["value"].to_numpy())
            rows[j].update({"replications": n, "mean": mean, "ci_low": lo, "ci_high": hi, "simulated_schedule": -key})
    return pd.DataFrame(rows)

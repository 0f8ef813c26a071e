"""Offered load: how busy each team would be, hour by hour, before anything is simulated.

Offered load of a team in an hour = calls routed to it per hour × mean busy time per call ÷
units on shift. It is what `check` warns about: a team over 85% busy at some hour will build
queues (the first run of a new city often shows a team 100% busy every evening); a team
under 10% is mostly idle. The estimate follows each call's first choice (a team with no unit
on shift passes its calls to the next team in `send`, as the model does); calls moving on
after `max_wait_min` are not followed, so a first choice's load is its offered load. Repeat
crises are added at their largest rate, p / (1 - p) per first crisis over the repeat groups
(`repeats_per_first_crisis`; linkage lowers it).
With triage, routing reads the coded risk (and calls not recognised go to
`unrecognised_send`) while outcomes follow the true risk, as in the model; a call sending
several units (`units_per_call`) keeps the extra units for their travel and time on scene.
Travel is `sim.analysis.travel.mean_travel_min` (with geography: from the nearest base, a
floor). A follow-up program's time (attempts until one reaches the person) goes to the team
that makes the follow-ups, spread over the hours it is on shift (due follow-ups wait for them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..scenario.schema import DAYS, DISPOSITIONS, RISKS, Scenario
from .travel import mean_travel_min

HIGH, LOW = 0.85, 0.10
HOURS_PER_WEEK = 168


def _profile_per_hour(scenario: Scenario, per_day: float) -> np.ndarray:
    """Expected calls in each hour of the week (Monday 00:00 first)."""
    d = scenario.demand
    hourly = np.asarray(d.hourly_profile or [1.0] * 24, float)
    weekday = np.asarray(d.weekday_profile or [1.0] * 7, float)
    return per_day / 24 * np.outer(weekday / weekday.mean(), hourly / hourly.mean()).ravel()


def units_by_hour(team) -> np.ndarray:
    """Mean units on shift in each hour of the week."""
    minutes = np.zeros(HOURS_PER_WEEK * 60)
    for shift in team.weekly_shifts():
        for day in shift.days:
            start = DAYS.index(day) * 1440
            minutes[start + shift.start_min:start + shift.end_min] += shift.units
    return minutes.reshape(HOURS_PER_WEEK, 60).mean(axis=1)


def rule_shares(scenario: Scenario, call_type: str, risk: str) -> list[tuple[int, float]]:
    """(rule index, chance the rule takes the call): `Scenario.rule_shares`."""
    return scenario.rule_shares(call_type, risk)


def busy_min(scenario: Scenario, team_name: str, call_type: str, risk: str, coded_risk: str | None = None,
             travel_min: float | None = None) -> float:
    """Mean unit-minutes the team gives one crisis call: travel, scene and transport for the unit that
    handles it, plus travel and scene for the extra units it sends (`units_per_call`, by the coded risk).
    Travel is `sim.analysis.travel.mean_travel_min` (free units) unless `travel_min` is given."""
    from ..scenario.outcomes import team_outcomes

    team = scenario.teams[team_name]
    scene = team.on_scene_min_by_type.get(call_type, team.on_scene_min).mean
    travel = mean_travel_min(scenario, team_name) if travel_min is None else travel_min
    chances = team_outcomes(scenario, team_name)[call_type][risk].dispositions()
    transport = sum(p * team.transport_min[d].mean for d, p in zip(DISPOSITIONS, chances) if d in team.transport_min)
    extra_units = team.units_for(call_type, coded_risk or risk) - 1
    return travel + scene + transport + extra_units * (travel + scene)


def repeats_per_first_crisis(repeat) -> float:
    """Expected repeat crises after a first one: a chain with each person's repeat chance, p / (1 - p),
    over the repeat groups and the people in none (linkage, which lowers it, is left out: an upper bound)."""
    if repeat is None:
        return 0.0
    groups = [(g.share, g.probability) for g in repeat.groups.values()]
    rest = 1 - sum(share for share, _p in groups)
    return sum(share * p / (1 - p) if p < 1 else math.inf for share, p in [*groups, (rest, repeat.probability)])


def follow_up_hours(scenario: Scenario, program, by: str, call_type: str) -> float:
    """Expected unit-hours of follow-up per call: chance × attempts until one reaches the person × time each."""
    from ..scenario.roles import follow_up_chance

    contact = follow_up_chance(scenario, by, call_type, "contact", program.contact)
    attempts = sum((1 - contact) ** k for k in range(program.attempts))
    return program.probability * attempts * program.duration_min.mean / 60


def first_choice_rules(scenario: Scenario, call_type: str, risk: str) -> list[tuple[int | None, list[str], str, float]]:
    """(routing rule index, teams in order, coded risk, chance) for a dispatched call of this type and true risk.

    Triage codes the risk (routing reads the coded risk) and may not recognise the call
    (then it goes to `unrecognised_send`, rule index None); without triage the coded risk
    is the true one."""
    triage = scenario.triage
    coded = triage.matrix()[RISKS.index(risk)] if triage is not None else [float(r == risk) for r in RISKS]
    recognised = triage.recognised.get(call_type, 1.0) if triage is not None else 1.0
    out = []
    for c_risk, m in zip(RISKS, coded):
        if m <= 0:
            continue
        if recognised < 1:
            out.append((None, scenario.unrecognised_send(), c_risk, m * (1 - recognised)))
        for i, p in rule_shares(scenario, call_type, c_risk):
            out.append((i, list(scenario.routing[i].send), c_risk, m * recognised * p))
    return out


def first_choices(scenario: Scenario, call_type: str, risk: str) -> list[tuple[list[str], str, float]]:
    """(teams in order, coded risk, chance) for a dispatched call of this type and true risk (see first_choice_rules)."""
    return [(send, coded, p) for _rule, send, coded, p in first_choice_rules(scenario, call_type, risk)]


@dataclass
class TeamLoad:
    team: str
    busy_hours: np.ndarray  # offered unit-hours in each hour of the week
    units: np.ndarray       # units on shift in each hour of the week

    @property
    def load(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.units > 0, self.busy_hours / np.where(self.units > 0, self.units, 1), np.nan)


def offered_load(scenario: Scenario) -> dict[str, TeamLoad]:
    """Offered load of every team, hour by hour of the week."""
    d = scenario.demand
    repeats = repeats_per_first_crisis(d.repeat)
    repeat = 1 + repeats if math.isfinite(repeats) else 1.0  # a person certain to repeat: not estimated
    crisis = _profile_per_hour(scenario, d.crisis_calls_per_day * repeat)
    units = {n: units_by_hour(t) for n, t in scenario.teams.items()}
    busy = {n: np.zeros(HOURS_PER_WEEK) for n in scenario.teams}
    follow = {n: 0.0 for n in scenario.teams}  # follow-up unit-hours a week, done when the team is on shift
    for ct, spec in d.call_types.items():
        dispatched = spec.share * (1 - d.phone_resolution.get(ct, 0.0))
        for risk, r_share in zip(RISKS, spec.risk_shares()):
            if r_share == 0:
                continue
            for send, coded, p in first_choices(scenario, ct, risk):
                rate = crisis * dispatched * r_share * p
                # the first team with someone on shift takes the call (the last one always queues it)
                remaining = np.ones(HOURS_PER_WEEK, bool)
                for k, team_name in enumerate(send):
                    takes = remaining & ((units[team_name] > 0) | (k == len(send) - 1))
                    team = scenario.teams[team_name]
                    minutes = busy_min(scenario, team_name, ct, risk, coded)
                    busy[team_name] += np.where(takes, rate * minutes / 60, 0.0)
                    if team.follow_up is not None:
                        by = team.follow_up.by or team_name
                        calls_a_week = float(np.sum(np.where(takes, rate, 0.0)))
                        follow[by] += calls_a_week * follow_up_hours(scenario, team.follow_up, by, ct)
                    if team.backup is not None:
                        b = scenario.teams[team.backup.team]
                        extra = mean_travel_min(scenario, team.backup.team) + b.on_scene_min_by_type.get(ct, b.on_scene_min).mean
                        bk = team.backup
                        p_backup = bk.probability if bk.probability is not None else (bk.probability_by_risk or {}).get(risk, 0.0)
                        busy[team.backup.team] += np.where(takes, rate * p_backup * extra / 60, 0.0)
                    remaining &= ~takes
    other = d.other_police_calls
    if other is not None and other.per_day > 0:
        name = scenario.other_calls_team()
        per_call = mean_travel_min(scenario, name) + other.on_scene_min.mean
        busy[name] += _profile_per_hour(scenario, other.per_day) * per_call / 60
    phone_fu = scenario.follow_up_phone
    if phone_fu is not None and phone_fu.by is not None:
        for ct, spec in d.call_types.items():
            phoned = float(crisis.sum()) * spec.share * d.phone_resolution.get(ct, 0.0)
            follow[phone_fu.by] += phoned * follow_up_hours(scenario, phone_fu, phone_fu.by, ct)
    for n, hours in follow.items():
        if hours > 0 and units[n].sum() > 0:
            busy[n] += hours * units[n] / units[n].sum()
    return {n: TeamLoad(n, busy[n], units[n]) for n in scenario.teams}


def _hour_ranges(hours: list[int]) -> str:
    """[16, 17, 18, 22] -> '16:00-19:00, 22:00-23:00'."""
    out, start = [], None
    for h in range(25):
        if h < 24 and h in hours:
            start = h if start is None else start
        elif start is not None:
            out.append(f"{start:02d}:00-{h:02d}:00")
            start = None
    return ", ".join(out)


def _when(flags: np.ndarray) -> str:
    """Hours of the week flagged (7 × 24) in words: hour ranges, with their days when not every day."""
    grid = flags.reshape(7, 24)
    parts, groups = [], {}
    for h in range(24):
        days = tuple(np.flatnonzero(grid[:, h]))
        if days:
            groups.setdefault(days, []).append(h)
    for days, hours in groups.items():
        which = "every day" if len(days) == 7 else ", ".join(DAYS[i] for i in days)
        parts.append(f"{_hour_ranges(hours)} ({which})")
    return "; ".join(parts)


def load_warnings(scenario: Scenario, high: float = HIGH, low: float = LOW) -> list[str]:
    """One line per team with hours of offered load over `high` or under `low`."""
    out = []
    for name, tl in offered_load(scenario).items():
        load = tl.load
        label = scenario.teams[name].label or name
        over = np.nan_to_num(load, nan=0) > high
        if over.any():
            out.append(f"{label} would be over {high:.0%} busy (offered load, up to {np.nanmax(load):.0%}) at "
                       f"{_when(over)}: expect queues (or calls moving on after max_wait_min); add units at those hours or route fewer calls to it")
        stranded = (tl.units == 0) & (tl.busy_hours > 0)
        if stranded.any():
            out.append(f"{label} is sent calls with no unit on shift at {_when(stranded)}: they wait for the next shift")
        under = np.nan_to_num(load, nan=1) < low
        if under.any():
            out.append(f"{label} would be under {low:.0%} busy (offered load, down to {np.nanmin(load):.0%}) at "
                       f"{_when(under)}: mostly idle at those hours")
    return out


def routing_reach(scenario: Scenario) -> list[str]:
    """For each routing rule, the most of the calls its first team can get through it."""
    d = scenario.demand
    lines = []
    for i, rule in enumerate(scenario.routing):
        total = named = reach = 0.0
        for ct, spec in d.call_types.items():
            dispatched = spec.share * (1 - d.phone_resolution.get(ct, 0.0))
            total += dispatched
            in_types = rule.match.call_type is None or ct in rule.match.call_type
            named += dispatched if in_types else 0.0
            for risk, r_share in zip(RISKS, spec.risk_shares()):
                p = dict(rule_shares(scenario, ct, risk)).get(i, 0.0)
                reach += dispatched * r_share * p
        first = scenario.teams[rule.send[0]].label or rule.send[0]
        what = ", ".join(rule.match.call_type) if rule.match.call_type else "all types"
        risks = f"; {', '.join(rule.match.risk)} risk only" if rule.match.risk else ""
        share = f"; share {rule.share:g}" if rule.share < 1 else ""
        of_named = f"at most {reach / named:.0%} of {what} calls, " if rule.match.call_type and named else "at most "
        lines.append(f"routing[{i}] ({what}{risks}{share}) → {first}: {of_named}{reach / total:.0%} of dispatched "
                     "crisis calls")
    return lines

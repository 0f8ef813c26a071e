"""The scenario: validated, frozen pydantic models for every key of a scenario file.

Field descriptions feed `crisis-sim schema` and the docs. Cross-references (routing to a
team that exists, call types that exist) are checked here too, each naming its key path.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .bounds import check_magnitudes
from .distributions import Constant, Distribution
from ..errors import PathValueError

RISKS = ("low", "medium", "high")
Risk = Literal["low", "medium", "high"]
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
TEAM_KINDS = ("police", "co_responder", "civilian")
TeamKind = Literal["police", "co_responder", "civilian"]
DISPOSITIONS = ("arrest", "involuntary_hold", "ed_transport", "crisis_center", "linked_to_services")
"""Mutually exclusive dispositions, in the order a call's outcome draw is read; the rest resolve on scene."""
Disposition = Literal["arrest", "involuntary_hold", "ed_transport", "crisis_center", "linked_to_services"]
Probability = Annotated[float, Field(ge=0, le=1)]
Identifier = Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]
SHARE_TOLERANCE = 1e-9


class Strict(BaseModel):
    """Every scenario model: unknown keys refused, numbers finite and within the bounds of
    sim/scenario/bounds.py, and no coercion (`units: true` is not 1, `"3"` is not 3)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, strict=True, allow_inf_nan=False)

    @model_validator(mode="after")
    def _bounded(self):
        check_magnitudes(self)
        return self


class RunSettings(Strict):
    """Experiment defaults; the command line may override them."""

    days: float = Field(365, gt=0, description="Simulated days measured after the warm-up.")
    warmup_days: float = Field(14, ge=0, description="Days simulated first and left out of every metric.")
    replications: int = Field(20, ge=1, le=10_000, description="Independent replications (common random numbers across scenarios).")
    seed: int = Field(2026, ge=0, le=2**63 - 1, description="Base seed; replication i uses the same streams in every scenario.")


def _check_sum_to_one(weights: dict[str, float], what: str) -> None:
    total = sum(weights.values())
    if abs(total - 1.0) > SHARE_TOLERANCE:
        raise ValueError(f"{what} must sum to 1, got {total:.6g}")


class CallType(Strict):
    """One kind of crisis call: its share of calls and how risk is spread within it."""

    share: Probability = Field(description="Share of crisis calls of this type; shares over types sum to 1.")
    risk: dict[Risk, Probability] | None = Field(
        None, description="Share of low/medium/high-risk calls of this type (sums to 1); absent means all low."
    )

    @field_validator("risk")
    @classmethod
    def _risk_sums(cls, v):
        if v is not None:
            _check_sum_to_one(v, "risk shares")
        return v

    def risk_shares(self) -> tuple[float, float, float]:
        """(low, medium, high) shares."""
        if self.risk is None:
            return (1.0, 0.0, 0.0)
        return tuple(float(self.risk.get(r, 0.0)) for r in RISKS)  # type: ignore[return-value]


class RepeatGroup(Strict):
    """A group of people with their own repeat chance (for example frequent callers)."""

    share: Probability = Field(description="Share of people in this group (drawn once per person).")
    probability: Probability = Field(description="Chance of another crisis within the window, for people in this group.")


class Repeat(Strict):
    """Person-level repeat crises. A person keeps their call type from one crisis to the next."""

    probability: Probability = Field(
        description="Chance of another crisis for the same person within the window (people in no group)."
    )
    within_days: float = Field(gt=0, description="Window after a crisis call in which a repeat can come (uniformly).")
    reduction_if_linked: Probability = Field(
        0.0, description="Relative cut in the repeat chance while the person is linked to services (by any team)."
    )
    groups: dict[Identifier, RepeatGroup] = Field(
        default_factory=dict,
        description="Groups of people with their own repeat chance; shares sum to at most 1, the rest use `probability`.",
    )
    linkage_lasts_days: float | None = Field(
        None, gt=0, description="Days a linkage to services keeps cutting the repeat chance; absent: for good."
    )

    @field_validator("groups")
    @classmethod
    def _group_shares(cls, v):
        total = sum(g.share for g in v.values())
        if total > 1 + SHARE_TOLERANCE:
            raise ValueError(f"group shares must sum to at most 1 (the rest use `probability`), got {total:.6g}")
        return v


class OtherPoliceCalls(Strict):
    """Non-crisis calls that compete with crisis calls for police units."""

    per_day: float = Field(ge=0, description="Mean calls per day (same hourly and weekday profile as crisis calls).")
    on_scene_min: Distribution = Field(description="Time on scene per call, minutes.")
    priority: int = Field(
        2, ge=1, le=9, description="Queue priority (1 most urgent); crisis calls are 1 high, 2 medium, 3 low risk."
    )
    team: Identifier | None = Field(None, description="Police team that serves them; default the first team of kind police.")


class Demand(Strict):
    """Crisis call volume, timing and mix."""

    crisis_calls_per_day: float = Field(ge=0, description="Mean crisis calls per day (repeat crises come on top).")
    hourly_profile: list[Annotated[float, Field(ge=0)]] | None = Field(
        None, min_length=24, max_length=24, description="24 relative weights by hour of day, midnight first; flat when absent."
    )
    weekday_profile: list[Annotated[float, Field(ge=0)]] | None = Field(
        None, min_length=7, max_length=7, description="7 relative weights by weekday, Monday first; flat when absent."
    )
    call_types: dict[Identifier, CallType] = Field(min_length=1, description="Crisis call types; shares sum to 1.")
    phone_resolution: dict[Identifier, Probability] = Field(
        default_factory=dict, description="Share of each call type resolved by phone with no dispatch."
    )
    repeat: Repeat | None = Field(None, description="Repeat crises for the same person.")
    other_police_calls: OtherPoliceCalls | None = Field(None, description="Non-crisis police workload.")

    @field_validator("hourly_profile", "weekday_profile")
    @classmethod
    def _positive_profile(cls, v):
        if v is not None and sum(v) <= 0:
            raise ValueError("a profile needs at least one positive weight")
        return v

    @model_validator(mode="after")
    def _shares(self):
        total = sum(ct.share for ct in self.call_types.values())
        if abs(total - 1.0) > SHARE_TOLERANCE:
            raise PathValueError("call_types", f"shares must sum to 1, got {total:.6g}")
        for name in self.phone_resolution:
            if name not in self.call_types:
                raise PathValueError(
                    f"phone_resolution.{name}",
                    f"unknown call type {name!r}; allowed: {', '.join(self.call_types)}",
                )
        return self


_TIME = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


class Shift(Strict):
    """Units on duty on some weekdays between two clock times."""

    days: list[Day] = Field(min_length=1, description="Weekdays the shift starts on: mon..sun.")
    start: str = Field(description='Start time "HH:MM".')
    end: str = Field(description='End time "HH:MM" (up to "24:00"), after start on the same day.')
    units: int = Field(ge=0, le=10_000, description="Units on duty during the shift.")

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, v):
        if not _TIME.match(v) or _minutes(v) > 24 * 60:
            raise ValueError(f'must be a time "HH:MM" between 00:00 and 24:00, got {v!r}')
        return v

    @model_validator(mode="after")
    def _order(self):
        if self.end_min <= self.start_min:
            raise PathValueError(
                "end",
                f"must be after start ({self.start}), got {self.end}; a shift past midnight is two shifts "
                '(e.g. "22:00"-"24:00" and "00:00"-"06:00" on the next day)',
            )
        return self

    @property
    def start_min(self) -> int:
        return _minutes(self.start)

    @property
    def end_min(self) -> int:
        return _minutes(self.end)


class Backup(Strict):
    """Another team sent to the scene as well (for example police with a civilian team)."""

    team: Identifier = Field(description="Team that provides the backup unit.")
    probability: Probability = Field(description="Chance a call handled by this team also gets a backup unit.")


class FollowUp(Strict):
    """A later visit by the same team (peer follow-up), which may link the person to services."""

    probability: Probability = Field(description="Chance a handled call gets a follow-up.")
    after_hours: float = Field(ge=0, description="Hours after the unit clears the call that the follow-up is due.")
    duration_min: Distribution = Field(description="Time a unit spends on the follow-up, minutes.")
    links: Probability = Field(description="Chance a follow-up links the person to services.")


class Outcomes(Strict):
    """Chances of each disposition; mutually exclusive, summing to at most 1 (the rest resolve on scene)."""

    arrest: Probability = 0.0
    involuntary_hold: Probability = 0.0
    ed_transport: Probability = 0.0
    crisis_center: Probability = 0.0
    linked_to_services: Probability = 0.0

    @model_validator(mode="after")
    def _sum(self):
        total = sum(self.as_tuple())
        if total > 1 + SHARE_TOLERANCE:
            raise ValueError(f"disposition chances must sum to at most 1, got {total:.6g}")
        return self

    def as_tuple(self) -> tuple[float, ...]:
        return tuple(getattr(self, d) for d in DISPOSITIONS)


class OutcomesOverride(Strict):
    """Disposition chances for one call type; keys left out keep the team's value."""

    arrest: Probability | None = None
    involuntary_hold: Probability | None = None
    ed_transport: Probability | None = None
    crisis_center: Probability | None = None
    linked_to_services: Probability | None = None


class Team(Strict):
    """A kind of responding unit, its staffing, times and outcomes."""

    kind: TeamKind = Field(description="police | co_responder | civilian; police and co_responder put police on scene.")
    label: str | None = Field(None, description="Plain-words name for charts; defaults to the team id.")
    members: list[str] = Field(default_factory=list, description="Who is on a unit (descriptive, shown in reports).")
    units: int | None = Field(None, ge=0, le=10_000, description="Units around the clock (instead of shifts).")
    shifts: list[Shift] | None = Field(None, description="Weekly schedule (instead of units).")
    cost_per_unit_hour: float = Field(0.0, ge=0, description="Cost of a staffed unit-hour, busy or not.")
    response_min: Distribution = Field(
        default_factory=lambda: Constant(dist="constant", value=0), description="Travel time to the scene, minutes."
    )
    on_scene_min: Distribution = Field(description="Time on scene, minutes.")
    on_scene_min_by_type: dict[Identifier, Distribution] = Field(
        default_factory=dict, description="Time on scene for particular call types."
    )
    transport_min: dict[Disposition, Distribution] = Field(
        default_factory=dict, description="Extra busy time after the scene, by disposition (none when absent)."
    )
    outcomes: Outcomes = Field(default_factory=Outcomes, description="Disposition chances for calls this team handles.")
    outcomes_by_risk: dict[Risk, OutcomesOverride] = Field(
        default_factory=dict, description="Disposition chances for particular risk levels (over `outcomes`)."
    )
    outcomes_by_type: dict[Identifier, OutcomesOverride] = Field(
        default_factory=dict,
        description="Disposition chances for particular call types (over `outcomes` and `outcomes_by_risk`).",
    )
    use_of_force: Probability = Field(0.0, description="Chance of use of force per encounter (independent of disposition).")
    injury: Probability = Field(0.0, description="Chance of an injury per encounter (independent of disposition).")
    backup: Backup | None = Field(None, description="Another team's unit sent as well.")
    follow_up: FollowUp | None = Field(None, description="Later follow-up visits by this team.")

    @model_validator(mode="after")
    def _staffing(self):
        if (self.units is None) == (self.shifts is None):
            raise ValueError("give exactly one of `units` (around the clock) or `shifts` (a weekly schedule)")
        return self

    def outcomes_for(self, call_type: str, risk: str = "low") -> tuple[float, ...]:
        """Disposition chances (in DISPOSITIONS order) for a call: the team's defaults, then its
        values for the risk level, then for the call type (the most specific wins)."""
        chances = self.outcomes.model_dump()
        for override in (self.outcomes_by_risk.get(risk), self.outcomes_by_type.get(call_type)):
            if override is not None:
                chances.update({k: v for k, v in override.model_dump().items() if v is not None})
        return tuple(chances[d] for d in DISPOSITIONS)

    def weekly_shifts(self) -> list[Shift]:
        """The schedule, with `units` expanded to one around-the-clock shift."""
        if self.shifts is not None:
            return list(self.shifts)
        return [Shift(days=list(DAYS), start="00:00", end="24:00", units=self.units or 0)]

    def unit_hours_per_week(self) -> float:
        return sum(len(s.days) * s.units * (s.end_min - s.start_min) / 60 for s in self.weekly_shifts())


class RoutingMatch(Strict):
    """Which calls a rule takes; an absent key matches everything."""

    call_type: list[Identifier] | None = Field(None, description="Call types this rule takes.")
    risk: list[Risk] | None = Field(None, description="Risk levels this rule takes.")


class RoutingRule(Strict):
    """Where matching calls go, in order of preference."""

    match: RoutingMatch = Field(default_factory=RoutingMatch, description="Calls this rule takes; {} takes all.")
    send: list[Identifier] = Field(min_length=1, description="Teams in order of preference.")
    max_wait_min: float | None = Field(
        None, ge=0, description="Minutes to wait for a busy team before trying the next; absent waits as long as it takes."
    )
    share: Probability = Field(
        1.0,
        description="Share of the matching calls this rule takes (dispatcher discretion, or a pilot area); "
        "the rest go on to the next matching rule.",
    )

    def matches(self, call_type: str, risk: str) -> bool:
        m = self.match
        return (m.call_type is None or call_type in m.call_type) and (m.risk is None or risk in m.risk)


class Costs(Strict):
    """Downstream cost per event, in the scenario's currency."""

    arrest: float = Field(0.0, ge=0)
    involuntary_hold: float = Field(0.0, ge=0)
    ed_transport: float = Field(0.0, ge=0)
    crisis_center: float = Field(0.0, ge=0)
    linked_to_services: float = Field(0.0, ge=0)


class Scenario(Strict):
    """A whole scenario: demand, teams, routing and costs, as run."""

    name: Identifier = Field(description="Id used in file names: [a-z0-9_]+.")
    label: str | None = Field(None, description="Plain-words name for charts; defaults to the name.")
    description: str = Field("", description="One or two sentences for reports.")
    run: RunSettings = Field(default_factory=RunSettings)
    demand: Demand
    teams: dict[Identifier, Team] = Field(min_length=1)
    routing: list[RoutingRule] = Field(min_length=1, description="First matching rule wins.")
    costs: Costs = Field(default_factory=Costs)

    @model_validator(mode="after")
    def _references(self):
        types = list(self.demand.call_types)
        teams = list(self.teams)

        def known_type(path: str, name: str) -> None:
            if name not in types:
                raise PathValueError(path, f"unknown call type {name!r}; allowed: {', '.join(types)}")

        def known_team(path: str, name: str) -> None:
            if name not in teams:
                raise PathValueError(path, f"unknown team {name!r}; defined teams: {', '.join(teams)}")

        for t_name, team in self.teams.items():
            for ct in team.on_scene_min_by_type:
                known_type(f"teams.{t_name}.on_scene_min_by_type.{ct}", ct)
            for ct in team.outcomes_by_type:
                known_type(f"teams.{t_name}.outcomes_by_type.{ct}", ct)
            for ct in types:
                for risk in RISKS:
                    total = sum(team.outcomes_for(ct, risk))
                    if total > 1 + SHARE_TOLERANCE:
                        where = f"outcomes_by_type.{ct}" if ct in team.outcomes_by_type else f"outcomes_by_risk.{risk}"
                        raise PathValueError(
                            f"teams.{t_name}.{where}",
                            f"disposition chances for {risk}-risk {ct} calls (with the team's other values) must sum "
                            f"to at most 1, got {total:.6g}",
                        )
            if team.backup is not None:
                known_team(f"teams.{t_name}.backup.team", team.backup.team)
                if team.backup.team == t_name:
                    raise PathValueError(f"teams.{t_name}.backup.team", "a team cannot be its own backup")
        for i, rule in enumerate(self.routing):
            for j, ct in enumerate(rule.match.call_type or []):
                known_type(f"routing[{i}].match.call_type[{j}]", ct)
            for j, t in enumerate(rule.send):
                known_team(f"routing[{i}].send[{j}]", t)
            if len(set(rule.send)) != len(rule.send):
                raise PathValueError(f"routing[{i}].send", "a team appears twice")
        for ct, spec in self.demand.call_types.items():
            for risk, share in zip(RISKS, spec.risk_shares()):
                if share > 0 and self.rule_for(ct, risk, 1.0) is None:
                    raise PathValueError(
                        "routing",
                        f"{risk}-risk {ct} calls match no rule that takes all of them (share 1); add a last rule "
                        "`match: {}` that takes the rest",
                    )
        other = self.demand.other_police_calls
        if other is not None and other.per_day > 0:
            team = self.other_calls_team()
            if team is None:
                raise PathValueError("demand.other_police_calls", "needs a team of kind police (or name one with `team`)")
            known_team("demand.other_police_calls.team", team)
        return self

    @property
    def display_label(self) -> str:
        return self.label or self.name

    def rule_for(self, call_type: str, risk: str, u: float = 0.0) -> int | None:
        """Index of the routing rule that takes a call, or None: the first that matches it and whose
        `share` is above the call's routing draw `u` (0 <= u <= 1; u = 1 finds the rule that takes all)."""
        for i, rule in enumerate(self.routing):
            if rule.matches(call_type, risk) and (u < rule.share or rule.share == 1.0):
                return i
        return None

    def other_calls_team(self) -> str | None:
        other = self.demand.other_police_calls
        if other is not None and other.team is not None:
            return other.team
        return next((n for n, t in self.teams.items() if t.kind == "police"), None)

    def to_dict(self) -> dict:
        """The resolved scenario as plain data (YAML/JSON ready), every default filled in."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

"""The scenario: validated, frozen pydantic models for every key of a scenario file.

Field descriptions feed `crisis-sim schema` and the docs. Cross-references (routing to a
team that exists, call types that exist) are checked here too, each naming its key path.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, PrivateAttr, field_validator, model_validator

from .costs import Costs
from .distributions import Constant, Distribution
from .triage import Triage
from .outcomes import Effects, OutcomeCell, OutcomeTable, legacy_table, validate_outcomes
from .presentation import ChartSettings, Colour, check_colour
from .uncertainty import ParameterDistribution, check_uncertainty
from .geography import Geography, check_team_geography
from ..errors import PathValueError

from .common import (  # noqa: F401  (re-exported: the vocabulary is part of the schema)
    DISPOSITIONS, ENCOUNTER_EVENTS, OUTCOME_KEYS, RISKS, SHARE_TOLERANCE, Disposition, Identifier, Probability, Risk,
    Strict,
)

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
TEAM_KINDS = ("police", "co_responder", "civilian")
TeamKind = Literal["police", "co_responder", "civilian"]


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
    priorities: dict[Annotated[int, Field(ge=1, le=9)], Probability] | None = Field(
        None, description="Shares of the calls at each queue priority 1..9 (sum to 1); instead of `priority`."
    )
    team: Identifier | None = Field(None, description="Police team that serves them; default the first team of kind police.")

    @field_validator("priorities", mode="before")
    @classmethod
    def _priority_keys(cls, v):
        # a resolved scenario written as YAML/JSON may carry the priorities as strings ("1")
        if isinstance(v, dict):
            return {int(k) if isinstance(k, str) and k.isdigit() else k: p for k, p in v.items()}
        return v

    @field_validator("priorities")
    @classmethod
    def _priority_shares(cls, v):
        if v is not None:
            _check_sum_to_one(v, "priority shares")
        return v

    def priority_shares(self) -> dict[int, float]:
        """Share of calls at each priority."""
        return dict(sorted(self.priorities.items())) if self.priorities is not None else {self.priority: 1.0}


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


class _Clock(Strict):
    """Weekdays and two clock times "HH:MM" (the shared part of a window and a shift)."""

    @field_validator("start", "end", check_fields=False)
    @classmethod
    def _clock(cls, v):
        if not _TIME.match(v) or _minutes(v) > 24 * 60:
            raise ValueError(f'must be a time "HH:MM" between 00:00 and 24:00, got {v!r}')
        return v

    @property
    def start_min(self) -> int:
        return _minutes(self.start)

    @property
    def end_min(self) -> int:
        return _minutes(self.end)


class Window(_Clock):
    """Some weekdays between two clock times on the same day (for example 09:00-17:00 on weekdays)."""

    days: list[Day] = Field(min_length=1, description="Weekdays: mon..sun.")
    start: str = Field(description='Start time "HH:MM".')
    end: str = Field(description='End time "HH:MM" (up to "24:00"), after start on the same day.')

    @model_validator(mode="after")
    def _order(self):
        if self.end_min <= self.start_min:
            raise PathValueError(
                "end",
                f"must be after start ({self.start}), got {self.end}; a window past midnight is two windows "
                '(e.g. "22:00"-"24:00" and "00:00"-"06:00" on the next day)',
            )
        return self


class Shift(_Clock):
    """Units on duty on some weekdays between two clock times (a shift may run past midnight)."""

    name: Identifier | None = Field(None, description="Optional name, e.g. `night`; the staffing tools accept it.")
    days: list[Day] = Field(min_length=1, description="Weekdays the shift starts on: mon..sun.")
    start: str = Field(description='Start time "HH:MM".')
    end: str = Field(
        description='End time "HH:MM" (up to "24:00"); an end before the start runs past midnight into the next day '
        '("22:00"-"06:00").'
    )
    units: int = Field(ge=0, le=10_000, description="Units on duty during the shift.")

    @model_validator(mode="after")
    def _order(self):
        if self.start_min == 24 * 60:
            raise PathValueError("start", 'must be before 24:00 (a shift starting at midnight starts at "00:00")')
        if self.end_min == self.start_min:
            raise PathValueError("end", f"must differ from start ({self.start}); a shift lasts more than 0 and less "
                                        "than 24 hours, or give `units` for around the clock")
        return self

    @property
    def duration_min(self) -> int:
        """Length in minutes; a shift ending before it starts ends the next day."""
        return (self.end_min - self.start_min) % (24 * 60) or 24 * 60

    @property
    def crosses_midnight(self) -> bool:
        return self.start_min + self.duration_min > 24 * 60


class Backup(Strict):
    """Another team sent to the scene as well (for example police with a civilian team).

    The request is made when the team arrives on scene; the backup unit is dispatched like
    any job, at the call's priority.
    """

    team: Identifier = Field(description="Team that provides the backup unit.")
    probability: Probability | None = Field(
        None, description="Chance a call handled by this team asks for backup (every risk level)."
    )
    probability_by_risk: dict[Risk, Probability] | None = Field(
        None, description="Chance of a backup request by the call's true risk (levels left out: 0)."
    )

    @model_validator(mode="after")
    def _one_form(self):
        if (self.probability is None) == (self.probability_by_risk is None):
            raise ValueError("give exactly one of `probability` or `probability_by_risk`")
        return self

    def chance(self, risk: str) -> float:
        """Chance of a backup request for a call of this true risk."""
        if self.probability is not None:
            return self.probability
        return float(self.probability_by_risk.get(risk, 0.0))


class FollowUp(Strict):
    """A follow-up program: later visits (by this team or another, e.g. a peer-only team) that may
    link the person to services. Attempts are made until one reaches the person or `attempts` run out."""

    probability: Probability = Field(description="Chance a handled (or phone-resolved) call gets a follow-up.")
    after_hours: float = Field(ge=0, description="Hours after the unit clears the call (or the phone call) that the follow-up is due.")
    duration_min: Distribution = Field(description="Time a unit spends on one attempt, minutes.")
    links: Probability = Field(description="Chance that reaching the person links them to services.")
    by: Identifier | None = Field(None, description="Team that makes the follow-ups; default the team that handled the call.")
    attempts: int = Field(1, ge=1, le=20, description="Attempts at most; they stop once one reaches the person.")
    interval_hours: float = Field(24, gt=0, description="Hours from one attempt to the next.")
    contact: Probability = Field(1.0, description="Chance that an attempt reaches the person.")
    hours: list[Window] | None = Field(
        None, min_length=1,
        description="When follow-ups are made (e.g. weekdays 09:00-17:00); a due attempt waits for them. Absent: any time.",
    )


RiskRatio = Annotated[float, Field(ge=0, le=100)]


class RoleEffects(Strict):
    """Risk ratios a role brings to the calls its team handles (1 = no change); they multiply the
    team's chances, and each other's when a team has several roles with effects."""

    arrest: RiskRatio | None = None
    involuntary_hold: RiskRatio | None = None
    ed_transport: RiskRatio | None = None
    crisis_center: RiskRatio | None = None
    linked_to_services: RiskRatio | None = None
    follow_up_contact: RiskRatio | None = Field(
        None, description="On the chance that a follow-up attempt by a team with this role reaches the person."
    )
    follow_up_links: RiskRatio | None = Field(
        None, description="On the chance that reaching the person at a follow-up links them to services."
    )


class Role(Strict):
    """A member of a unit: what an hour of them costs, whether they are police, and what they change."""

    label: str | None = Field(None, description="Plain-words name for reports; defaults to the role id.")
    cost_per_hour: float = Field(0.0, ge=0, description="Cost of one staffed hour of this member.")
    police: bool = Field(False, description="A sworn officer: a unit with this role puts police on scene.")
    effects: RoleEffects = Field(default_factory=RoleEffects, description="Risk ratios on every call type.")
    effects_by_type: dict[Identifier, RoleEffects] = Field(
        default_factory=dict, description="Risk ratios for particular call types (over `effects`, key by key)."
    )


class Team(Strict):
    """A kind of responding unit, its staffing, times and outcomes."""

    kind: TeamKind | None = Field(
        None,
        description="police | co_responder | civilian; police and co_responder put police on scene. With `roles`, "
        "follows from the members (and is checked against them when given).",
    )
    label: str | None = Field(None, description="Plain-words name for charts; defaults to the team id.")
    members: list[str] = Field(
        default_factory=list,
        description="Who is on a unit: role ids when the scenario has `roles` (cost and police on scene follow from "
        "them), else descriptive.",
    )
    units: int | None = Field(None, ge=0, le=10_000, description="Units around the clock (instead of shifts).")
    shifts: list[Shift] | None = Field(None, description="Weekly schedule (instead of units).")
    cost_per_unit_hour: float = Field(0.0, ge=0, description="Cost of a staffed unit-hour, busy or not (pay of the unit's members); "
                                      "with `roles`, default the members' sum.")
    overhead: float = Field(0.0, ge=0, le=10, description="Share added to the unit-hour cost for benefits, supervision, "
                            "dispatch and administration (0.3 = +30%).")
    fixed_per_year: float = Field(0.0, ge=0, description="Fixed cost a year whatever the hours: vehicles, training, "
                                  "management (prorated to the simulated days).")
    overtime_cost_per_unit_hour: float | None = Field(
        None, ge=0, description="Cost of an overtime unit-hour, all-in; default the unit-hour cost with overhead.")
    response_min: Distribution = Field(
        default_factory=lambda: Constant(dist="constant", value=0), description="Travel time to the scene, minutes."
    )
    on_scene_min: Distribution | None = Field(
        None, description="Time on scene, minutes; needed by a team that takes calls (a follow-up-only team may leave it out)."
    )
    on_scene_min_by_type: dict[Identifier, Distribution] = Field(
        default_factory=dict, description="Time on scene for particular call types."
    )
    transport_min: dict[Disposition, Distribution] = Field(
        default_factory=dict, description="Extra busy time after the scene, by disposition (none when absent)."
    )
    outcomes: OutcomeTable | None = Field(
        None,
        description="The team's own absolute chances (default, by_risk, by_type, by_type_risk); they replace "
        "the reference's. A 0.1 flat mapping of disposition chances is read as `default`.",
    )
    outcomes_by_risk: dict[Risk, OutcomeCell] = Field(
        default_factory=dict, description="0.1 form of `outcomes.by_risk` (still accepted)."
    )
    outcomes_by_type: dict[Identifier, OutcomeCell] = Field(
        default_factory=dict, description="0.1 form of `outcomes.by_type` (still accepted)."
    )
    use_of_force: Probability | None = Field(None, description="0.1 form of `outcomes.default.use_of_force`.")
    injury: Probability | None = Field(None, description="0.1 form of `outcomes.default.injury`.")
    effects: Effects | None = Field(
        None, description="Risk ratios against the reference table for the same call type and risk."
    )
    effects_by_type: dict[Identifier, Effects] = Field(
        default_factory=dict, description="Risk ratios for particular call types (over `effects`)."
    )
    units_per_call: dict[Risk, Annotated[int, Field(ge=1, le=20)]] = Field(
        default_factory=dict, description="Units sent to a call by its coded risk (levels left out: 1)."
    )
    units_per_call_by_type: dict[Identifier, dict[Risk, Annotated[int, Field(ge=1, le=20)]]] = Field(
        default_factory=dict, description="Units sent by call type and coded risk (over `units_per_call`)."
    )
    backup: Backup | None = Field(None, description="Another team's unit sent as well.")
    follow_up: FollowUp | None = Field(None, description="Later follow-up visits by this team.")
    bases: dict[Identifier, Annotated[float, Field(ge=0)]] | None = Field(
        None, description="With geography: units stationed per zone (counts summing to `units`; for shifts, weights "
        "applied to the units on duty). Absent: every unit in the first zone.")
    travel_factor: float = Field(1.0, gt=0, allow_inf_nan=False,
                                 description="With geography: multiplies travel (e.g. 1.3 without lights and sirens).")
    turnout_min: Distribution | None = Field(None, description="With geography: minutes from assignment to rolling.")
    starts_day: float | None = Field(
        None, ge=0, description="The program's launch: its units come on shift from this day of the measured period "
        "(0 = the first day after the warm-up); until then routing skips the team as when it is off shift.")
    color: Colour | None = Field(None, description="The team's colour in charts (a scenario whose program this team "
                                 "is takes it, unless the scenario gives its own `color`).")

    _colour = field_validator("color")(lambda cls, v: v if v is None else check_colour(v))

    @model_validator(mode="after")
    def _staffing(self):
        if (self.units is None) == (self.shifts is None):
            raise ValueError("give exactly one of `units` (around the clock) or `shifts` (a weekly schedule)")
        names = [sh.name for sh in self.shifts or () if sh.name]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise PathValueError("shifts", f"shift names must differ; used twice: {', '.join(twice)}")
        return self

    def shift_index(self, ref: str) -> int:
        """The 0-based index of a shift given by its name or its 1-based number; ValueError otherwise."""
        shifts = self.shifts or []
        names = {sh.name: i for i, sh in enumerate(shifts) if sh.name}
        if ref in names:
            return names[ref]
        allowed = f"1 to {len(shifts)}" + (f" or a name ({', '.join(names)})" if names else "")
        if not str(ref).isdigit():
            raise ValueError(f"no shift named {ref!r}; give {allowed}")
        number = int(ref)
        if not 1 <= number <= len(shifts):
            raise ValueError(f"no shift {number}; give {allowed}")
        return number - 1

    @field_validator("outcomes", mode="before")
    @classmethod
    def _legacy_outcomes(cls, v):
        return legacy_table(v)

    def own_outcome_table(self) -> OutcomeTable | None:
        """The team's absolute chances with the 0.1 keys folded in, or None when it states none."""
        legacy_default = {k: v for k, v in (("use_of_force", self.use_of_force), ("injury", self.injury)) if v is not None}
        if self.outcomes is None and not (self.outcomes_by_risk or self.outcomes_by_type or legacy_default):
            return None
        table = self.outcomes or OutcomeTable()
        default = {**legacy_default, **table.default.given()}
        return OutcomeTable(default=OutcomeCell(**default), by_risk={**self.outcomes_by_risk, **table.by_risk},
                            by_type={**self.outcomes_by_type, **table.by_type}, by_type_risk=table.by_type_risk)

    def units_for(self, call_type: str, coded_risk: str) -> int:
        """Units sent to a call of this type and coded risk."""
        by_type = self.units_per_call_by_type.get(call_type, {})
        return by_type.get(coded_risk, self.units_per_call.get(coded_risk, 1))

    def weekly_shifts(self) -> list[Shift]:
        """The schedule, with `units` expanded to one around-the-clock shift."""
        if self.shifts is not None:
            return list(self.shifts)
        return [Shift(days=list(DAYS), start="00:00", end="24:00", units=self.units or 0)]

    def unit_hours_per_week(self) -> float:
        return sum(len(s.days) * s.units * s.duration_min / 60 for s in self.weekly_shifts())


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


class Scenario(Strict):
    """A whole scenario: demand, teams, routing and costs, as run."""

    name: Identifier = Field(description="Id used in file names: [a-z0-9_]+.")
    label: str | None = Field(None, description="Plain-words name for charts; defaults to the name.")
    description: str = Field("", description="One or two sentences for reports.")
    city: str | None = Field(None, max_length=120, description="The place, in a few words, for chart captions "
                             "(e.g. \"A mid-sized US city, synthetic\"); default the description.")
    note: str | None = Field(None, max_length=300, description="A caveat shown in the caption of every chart with this scenario.")
    currency: str | None = Field(None, max_length=12, description="Currency of every cost (e.g. USD, $, EUR); absent: "
                                 "charts say costs are in the scenario's currency units.")
    color: Colour | None = Field(None, description="The scenario's colour in every chart (default: by its new teams' kind).")
    charts: ChartSettings | None = Field(None, description="How its charts are drawn (the baseline's block is used "
                                         "for a run; `crisis-sim plot` options override it).")
    run: RunSettings = Field(default_factory=RunSettings)
    demand: Demand
    roles: dict[Identifier, Role] = Field(
        default_factory=dict, description="Members a unit can have (peer, clinician, officer, ...); teams list them."
    )
    teams: dict[Identifier, Team] = Field(min_length=1)
    routing: list[RoutingRule] = Field(min_length=1, description="First matching rule wins.")
    outcomes: OutcomeTable | None = Field(
        None, description="Reference table: what happens when police respond (teams state effects against it)."
    )
    triage: Triage | None = Field(None, description="How dispatch codes a call: risk as coded, recognised or not.")
    follow_up_phone: FollowUp | None = Field(
        None, description="Follow-ups of calls resolved by phone (988, a clinician in 911); `by` names the team."
    )
    costs: Costs = Field(default_factory=Costs)
    geography: Geography | None = Field(None, description="Zones, travel between them and where units are based; "
                                        "travel then comes out of the model instead of `response_min`.")
    uncertainty: dict[str, ParameterDistribution] = Field(
        default_factory=dict, description="Uncertain inputs for `run --draws N`: key path (as in sweeps) -> distribution.")

    _derived: set[tuple[str, str]] = PrivateAttr(default_factory=set)  # (team, key) filled in from roles

    _colour = field_validator("color")(lambda cls, v: v if v is None else check_colour(v))

    @model_validator(mode="after")
    def _roles(self):
        from .roles import resolve_roles  # roles.py reads these models

        resolve_roles(self)
        return self

    @model_validator(mode="after")
    def _uncertain_keys(self):
        if self.uncertainty:
            resolved = self.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"uncertainty"})
            check_uncertainty(resolved, self.uncertainty)
        return self

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
            for ct in team.units_per_call_by_type:
                known_type(f"teams.{t_name}.units_per_call_by_type.{ct}", ct)
            if team.follow_up is not None and team.follow_up.by is not None:
                known_team(f"teams.{t_name}.follow_up.by", team.follow_up.by)
            if team.backup is not None:
                known_team(f"teams.{t_name}.backup.team", team.backup.team)
                if team.backup.team == t_name:
                    raise PathValueError(f"teams.{t_name}.backup.team", "a team cannot be its own backup")
        validate_outcomes(self)
        from .roles import check_effects  # roles.py reads these models

        check_effects(self)
        if self.triage is not None:
            for ct in self.triage.recognised:
                known_type(f"triage.recognised.{ct}", ct)
            for j, t in enumerate(self.triage.unrecognised_send or []):
                known_team(f"triage.unrecognised_send[{j}]", t)
            if self.triage.unrecognised_send is None and self.police_team() is None and any(
                    v < 1 for v in self.triage.recognised.values()):
                raise PathValueError("triage.unrecognised_send", "no police team to send unrecognised calls to; name "
                                     "the teams with `unrecognised_send`")

        def takes_calls(path: str, name: str) -> None:
            if self.teams[name].on_scene_min is None:
                raise PathValueError(f"teams.{name}.on_scene_min", f"required: the team takes calls ({path})")

        for t_name, team in self.teams.items():
            if team.backup is not None:
                takes_calls(f"teams.{t_name}.backup.team", team.backup.team)
        for i, rule in enumerate(self.routing):
            for j, ct in enumerate(rule.match.call_type or []):
                known_type(f"routing[{i}].match.call_type[{j}]", ct)
            for j, t in enumerate(rule.send):
                known_team(f"routing[{i}].send[{j}]", t)
                takes_calls(f"routing[{i}].send[{j}]", t)
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
        if self.follow_up_phone is not None:
            if self.follow_up_phone.by is None:
                raise PathValueError("follow_up_phone.by", "name the team that follows up phone-resolved calls")
            known_team("follow_up_phone.by", self.follow_up_phone.by)
        other = self.demand.other_police_calls
        if other is not None and other.per_day > 0:
            team = self.other_calls_team()
            if team is None:
                raise PathValueError("demand.other_police_calls", "needs a team of kind police (or name one with `team`)")
            known_team("demand.other_police_calls.team", team)
        check_team_geography(self)
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

    def rule_shares(self, call_type: str, risk: str) -> list[tuple[int, float]]:
        """(rule index, chance the rule takes the call) for a call type and risk: one routing draw u
        decides, the first matching rule with u < share wins (as `rule_for`)."""
        out, taken = [], 0.0
        for i, rule in enumerate(self.routing):
            if not rule.matches(call_type, risk):
                continue
            top = 1.0 if rule.share == 1.0 else rule.share
            if top > taken:
                out.append((i, top - taken))
                taken = top
            if taken >= 1.0:
                break
        return out

    def police_team(self) -> str | None:
        """The first team of kind police."""
        return next((n for n, t in self.teams.items() if t.kind == "police"), None)

    def unrecognised_send(self) -> list[str]:
        """Teams for calls that triage does not recognise as crisis calls."""
        if self.triage is not None and self.triage.unrecognised_send is not None:
            return list(self.triage.unrecognised_send)
        return [self.police_team()]

    def answering_teams(self) -> list[str]:
        """Teams that answer crisis calls (in the file's order): sent by a routing rule or by triage's route for
        calls it does not recognise, or another team's backup. The others make follow-up visits only."""
        named = {t for rule in self.routing for t in rule.send}
        named |= {team.backup.team for team in self.teams.values() if team.backup is not None}
        if self.triage is not None and any(v < 1 for v in self.triage.recognised.values()):
            named |= set(self.unrecognised_send())
        return [t for t in self.teams if t in named]

    def other_calls_team(self) -> str | None:
        other = self.demand.other_police_calls
        if other is not None and other.team is not None:
            return other.team
        return next((n for n, t in self.teams.items() if t.kind == "police"), None)

    def to_dict(self, derived: bool = True) -> dict:
        """The resolved scenario as plain data (YAML/JSON ready), every default filled in.

        With `derived=False`, values that follow from the roles (a team's kind and unit-hour
        cost) are left out, so a variant that changes a role or a team's members derives them again."""
        data = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        if not derived:
            for team, key in self._derived:
                data["teams"][team].pop(key, None)
        return data

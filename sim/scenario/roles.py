"""Roles: who is on a unit, and what follows from it.

With top-level `roles`, a team's `members` are role ids. From them follow whether the team
puts police on scene (`kind`: police if every member is police, co_responder if some are,
civilian if none; a `kind` given is checked against them), the unit-hour cost (the members'
sum, unless `cost_per_unit_hour` is given), and the roles' effects.

Effects are risk ratios: each member multiplies the team's chance of a disposition (and a
follow-up team's chance of reaching the person, or of linking them) by its ratio for that
key, `effects_by_type` for the call's type winning over `effects` key by key. Several
members multiply (a peer's x1.25 on linkage and an IDD peer's x1.4 on IDD calls give x1.75).
A key no member names is left exactly as it was, so roles without effects change nothing.
"""

from __future__ import annotations

from ..errors import PathValueError
from .outcomes import LINK, saturated_linkage
from .outcomes import team_outcomes as resolved_outcomes
from .schema import DISPOSITIONS, RISKS, SHARE_TOLERANCE, RoleEffects, Scenario

POLICE_KINDS = ("police", "co_responder")
EFFECT_KEYS = tuple(RoleEffects.model_fields)


def role_ratios(scenario: Scenario, team_name: str, call_type: str) -> dict[str, float]:
    """The product of the team's members' risk ratios for one call type, for the keys any member names."""
    ratios: dict[str, float] = {}
    if not scenario.roles:
        return ratios
    for member in scenario.teams[team_name].members:
        role = scenario.roles[member]
        specific = role.effects_by_type.get(call_type)
        for key in EFFECT_KEYS:
            ratio = getattr(specific, key) if specific is not None else None
            if ratio is None:
                ratio = getattr(role.effects, key)
            if ratio is not None:
                ratios[key] = ratios.get(key, 1.0) * ratio
    return ratios


def with_role_effects(scenario: Scenario, team_name: str, call_type: str, values: dict[str, float]) -> dict[str, float]:
    """A team's resolved chances for one cell (`sim.scenario.outcomes`) times its roles' risk ratios.

    A ratio above 1 on linkage links at most everyone the other dispositions leave (linkage comes
    out of "resolved on scene"), so it saturates instead of pushing the chances past 1."""
    ratios = role_ratios(scenario, team_name, call_type)
    if not ratios:
        return values
    out = {k: v * ratios[k] if k in ratios else v for k, v in values.items()}
    out[LINK] = saturated_linkage(out, values[LINK])
    return out


def team_outcomes(scenario: Scenario, team_name: str, call_type: str, risk: str) -> tuple[float, ...]:
    """Disposition chances (DISPOSITIONS order) of a team for a call: the team's resolved cell, times its roles' effects."""
    cell = resolved_outcomes(scenario, team_name)[call_type][risk]
    values = with_role_effects(scenario, team_name, call_type, cell.values)
    return tuple(values[d] for d in DISPOSITIONS)


def follow_up_chance(scenario: Scenario, by_team: str, call_type: str, key: str, chance: float) -> float:
    """A follow-up program's `contact` or `links` chance when `by_team` makes the attempt."""
    ratio = role_ratios(scenario, by_team, call_type).get(f"follow_up_{key}")
    return chance if ratio is None else chance * ratio


def derived_kind(police_members: int, members: int) -> str:
    if police_members == 0:
        return "civilian"
    return "police" if police_members == members else "co_responder"


def resolve_roles(scenario: Scenario) -> None:
    """Check every team against the roles; fill in `kind` and `cost_per_unit_hour` that follow from them.

    Runs while the scenario is validated (it replaces team entries of the scenario being built).
    """
    roles = scenario.roles
    types = list(scenario.demand.call_types)
    for r_name, role in roles.items():
        for ct in role.effects_by_type:
            if ct not in types:
                raise PathValueError(f"roles.{r_name}.effects_by_type.{ct}",
                                     f"unknown call type {ct!r}; allowed: {', '.join(types)}")
    for t_name, team in list(scenario.teams.items()):
        if not (roles and team.members):
            if team.kind is None:
                raise PathValueError(f"teams.{t_name}.kind", "required: police | co_responder | civilian "
                                     "(or give `members` that are roles defined under `roles`)")
            continue
        for i, member in enumerate(team.members):
            if member not in roles:
                raise PathValueError(f"teams.{t_name}.members[{i}]",
                                     f"unknown role {member!r}; defined roles: {', '.join(roles)}")
        police = [m for m in team.members if roles[m].police]
        update = {}
        if team.kind is None:
            update["kind"] = derived_kind(len(police), len(team.members))
        elif (team.kind in POLICE_KINDS) != bool(police):
            have = f"its police members are {', '.join(police)}" if police else "none of its members is police"
            raise PathValueError(f"teams.{t_name}.kind", f"{team.kind!r} does not match the roles: {have} "
                                 f"(members: {', '.join(team.members)}); leave `kind` out to derive it")
        if "cost_per_unit_hour" not in team.model_fields_set:
            update["cost_per_unit_hour"] = float(sum(roles[m].cost_per_hour for m in team.members))
        if update:
            scenario.teams[t_name] = team.model_copy(update=update)
            scenario._derived.update((t_name, key) for key in update)


def check_effects(scenario: Scenario) -> None:
    """Every chance a role's effect touches stays a chance: dispositions sum to at most 1, contact at most 1.

    Runs after the teams' own cells are checked (`validate_outcomes`), so an error here is the roles'."""
    for t_name in scenario.teams:
        table = None
        for ct in scenario.demand.call_types:
            if not role_ratios(scenario, t_name, ct):
                continue
            table = table or resolved_outcomes(scenario, t_name)
            for risk in RISKS:
                values = with_role_effects(scenario, t_name, ct, table[ct][risk].values)
                chances = [values[d] for d in DISPOSITIONS]
                if sum(chances) > 1 + SHARE_TOLERANCE:
                    raise PathValueError(
                        f"teams.{t_name}.members",
                        f"with the roles' effects, disposition chances for {risk}-risk {ct} calls sum to "
                        f"{sum(chances):.6g}; they must sum to at most 1 (lower the team's chances or the effects)")
    programs = [(f"teams.{n}.follow_up", t.follow_up, t.follow_up.by or n)
                for n, t in scenario.teams.items() if t.follow_up is not None]
    if scenario.follow_up_phone is not None and scenario.follow_up_phone.by in scenario.teams:
        programs.append(("follow_up_phone", scenario.follow_up_phone, scenario.follow_up_phone.by))
    for path, spec, by in programs:
        if by not in scenario.teams:
            continue  # named in an error of its own
        for ct in scenario.demand.call_types:
            for key in ("contact", "links"):
                p = follow_up_chance(scenario, by, ct, key, getattr(spec, key))
                if p > 1 + SHARE_TOLERANCE:
                    raise PathValueError(f"{path}.{key}", f"with the roles of team {by!r}, the chance on {ct} calls "
                                         f"is {p:.6g}; it must be at most 1")

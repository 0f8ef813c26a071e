"""Scenarios that are valid but cannot mean what their author intended: warnings, not errors.

A team with no units at the end of a routing rule holds its calls until the run ends; a team
whose own calls need more unit-hours than it has falls further behind every day. Both are
legal (a what-if may ask exactly that), so `check`, the run summary and the report warn.
"""

from __future__ import annotations

from .schema import RISKS, Scenario


def _busy_min(scenario: Scenario, team: str, call_type: str) -> float:
    """A lower bound on a unit's busy minutes per call: travel and time on scene."""
    t = scenario.teams[team]
    on_scene = t.on_scene_min_by_type.get(call_type, t.on_scene_min)
    return t.response_min.mean + on_scene.mean


def sole_team_load(scenario: Scenario) -> dict[str, float]:
    """Unit-minutes a day each team must give to the calls that only it can take (rules that
    send to one team, and other police calls): a lower bound on its workload."""
    load = {name: 0.0 for name in scenario.teams}
    d = scenario.demand
    for ct, spec in d.call_types.items():
        dispatched = d.crisis_calls_per_day * spec.share * (1 - d.phone_resolution.get(ct, 0.0))
        for risk, risk_share in zip(RISKS, spec.risk_shares()):
            for i, taken in scenario.rule_shares(ct, risk):  # as the model routes: one draw, first rule above it
                rule = scenario.routing[i]
                if len(rule.send) == 1:
                    team = rule.send[0]
                    load[team] += dispatched * risk_share * taken * _busy_min(scenario, team, ct)
    other = d.other_police_calls
    team = scenario.other_calls_team()
    if other is not None and other.per_day > 0 and team is not None:
        load[team] += other.per_day * other.on_scene_min.mean
    return load


def scenario_warnings(scenario: Scenario) -> list[str]:
    """Plain-words warnings for a valid scenario that cannot work as intended (empty when fine)."""
    out = []
    for i, rule in enumerate(scenario.routing):
        last = rule.send[-1]
        team = scenario.teams[last]
        if team.unit_hours_per_week() == 0:
            out.append(f"routing[{i}] sends calls last to {team.label or last}, which has no units on any shift: "
                       "calls that reach it wait until the run ends")
    for name, need in sole_team_load(scenario).items():
        team = scenario.teams[name]
        staffed = team.unit_hours_per_week() * 60 / 7
        if need > staffed and staffed > 0:
            out.append(f"{team.label or name} is overloaded: the calls only it can take need about "
                       f"{need / 60:,.0f} unit-hours a day and it is staffed for {staffed / 60:,.0f}; unserved calls "
                       "will grow with time")
    return out


def unserved_warnings(metrics, label=lambda name: name, threshold: float = 0.01) -> list[str]:
    """Warnings for scenarios whose calls were left unserved at the end of a run (more than
    `threshold` of calls on average): a team is overloaded or unstaffed. `metrics` is a run's
    metrics table (scenario, metric, team, mean)."""
    system = metrics[metrics["team"] == ""]
    out = []
    for scenario, rows in system.groupby("scenario", sort=False):
        means = dict(zip(rows["metric"], rows["mean"]))
        calls, unserved = means.get("calls", 0.0), means.get("unserved", 0.0)
        if calls > 0 and unserved / calls > threshold:
            out.append(f"{label(scenario)}: {unserved:,.0f} of {calls:,.0f} calls ({unserved / calls:.0%}) were never "
                       "served by the end of the run; a team is overloaded or has no units (see crisis-sim check)")
    return out

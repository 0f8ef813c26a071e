"""Costs of one replication, split the way a budget office reads them.

- Each team's cost (its budget line): staffed unit-hours × unit-hour cost × (1 + overhead)
  + overtime hours at the overtime rate + `fixed_per_year` prorated to the simulated days.
  Teams other than police are the city's new budget line (`cost_new_teams`).
- Downstream costs per payer (justice, health, behavioral_health, city, ...), from events.
- Police time stays hours (capacity, not cash) unless `costs.police_hour_value` prices it.

`cost_total` is the all-payer figure: every team's staffing plus every payer's downstream
cost. `cost_city` is the city's own: every team's staffing plus downstream costs paid by
the city or its police.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..scenario.costs import CITY_PAYERS, COST_EVENTS
from ..scenario.schema import Scenario, Team

DAYS_PER_YEAR = 365.0
NEW_TEAM_KINDS = ("co_responder", "civilian")


@dataclass(frozen=True)
class TeamHours:
    """What a team's cost is made of in one replication (after the warm-up)."""

    staffed_hours: float
    overtime_hours: float
    handled: int


def unit_hour_cost(team: Team) -> float:
    """Pay for one staffed unit-hour, before overhead."""
    return float(team.cost_per_unit_hour)


def team_cost(team: Team, hours: TeamHours, days: float) -> float:
    """Staffed hours at the loaded rate, overtime at its own rate, and the fixed cost for `days`."""
    loaded = unit_hour_cost(team) * (1 + team.overhead)
    overtime_rate = loaded if team.overtime_cost_per_unit_hour is None else team.overtime_cost_per_unit_hour
    return hours.staffed_hours * loaded + hours.overtime_hours * overtime_rate + team.fixed_per_year * days / DAYS_PER_YEAR


def payer_metric(payer: str) -> str:
    """The metric name of one payer's downstream cost."""
    return f"cost_downstream_{payer}"


def cost_rows(scenario: Scenario, hours: dict[str, TeamHours], events: dict[str, int], police_hours: float,
              days: float, n_calls: int) -> list[tuple[str, str, float]]:
    """(metric, team, value) rows: every cost metric of one replication.

    `events` counts each event of COST_EVENTS after the warm-up; `days` is the measured period.
    """
    team_rows: list[tuple[str, str, float]] = []
    staffing = new_teams = 0.0
    for name, h in hours.items():
        team = scenario.teams[name]
        cost = team_cost(team, h, days)
        staffing += cost
        if team.kind in NEW_TEAM_KINDS:
            new_teams += cost
        team_rows.append(("cost_team", name, cost))
        team_rows.append(("cost_per_call_handled", name, cost / h.handled if h.handled else np.nan))
    by_payer = dict.fromkeys(scenario.costs.payers(), 0.0)
    for event in COST_EVENTS:
        item = scenario.costs.item(event)
        by_payer[item.payer] += item.cost * events.get(event, 0)
    downstream = sum(by_payer.values())
    city = staffing + sum(v for p, v in by_payer.items() if p in CITY_PAYERS)
    rows = [
        ("cost_staffing", "", staffing),
        ("cost_downstream", "", downstream),
        ("cost_total", "", staffing + downstream),
        ("cost_per_call", "", (staffing + downstream) / n_calls if n_calls else np.nan),
        ("cost_new_teams", "", new_teams),
        ("cost_city", "", city),
    ]
    rows += [(payer_metric(p), "", v) for p, v in by_payer.items()]
    if scenario.costs.police_hour_value is not None:
        rows.append(("police_time_value", "", police_hours * scenario.costs.police_hour_value))
    return rows + team_rows

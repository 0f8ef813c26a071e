"""What a team's staffing costs a year: the new budget line a city would have to find.

A staffed unit-hour costs the loaded rate of `sim.analysis.costs` (pay x (1 + overhead), as in
the simulated `cost_team`) whether the unit is busy or not; a year is 365/7 weeks of the
team's weekly schedule. The team's `fixed_per_year` (vans, training, management) is part of
the budget line too: a budget given to `plan` or `staff --budget` pays for it first and the
schedule from what is left, and every yearly cost they report includes it. Overtime (paid
past a shift's end) is simulated only, so it is in `cost_team` but not in these figures.
"""

from __future__ import annotations

from ..scenario.schema import Team
from .costs import unit_hour_cost as pay_per_unit_hour

WEEKS_PER_YEAR = 365 / 7


def team_cost_per_year(team: Team) -> float:
    """Yearly budget line of the team's weekly schedule: staffed unit-hours at the loaded rate + the fixed cost."""
    return schedule_cost_per_year(team) + fixed_cost_per_year(team)


def schedule_cost_per_year(team: Team) -> float:
    """Staffed unit-hours a year at the loaded rate (the part of the cost the schedule decides)."""
    return unit_hour_cost(team) * team.unit_hours_per_week() * WEEKS_PER_YEAR


def fixed_cost_per_year(team: Team) -> float:
    """The team's cost a year whatever its hours (`fixed_per_year`)."""
    return float(team.fixed_per_year)


def unit_hour_cost(team: Team) -> float:
    """Loaded cost of one staffed unit-hour: pay with the team's overhead (the rate `costs.team_cost` uses)."""
    return pay_per_unit_hour(team) * (1 + team.overhead)

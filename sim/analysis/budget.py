"""What a team's staffing costs a year: the new budget line a city would have to find.

A staffed unit-hour costs the loaded rate of `sim.analysis.costs` (pay x (1 + overhead), as in
the simulated `cost_team`) whether the unit is busy or not; a year is 365/7 weeks of the
team's weekly schedule. Overtime (paid past a shift's end) is simulated, and `fixed_per_year`
does not depend on the schedule: neither is in this planning figure (both are in `cost_team`).
"""

from __future__ import annotations

from ..scenario.schema import Team
from .costs import unit_hour_cost as pay_per_unit_hour

WEEKS_PER_YEAR = 365 / 7


def team_cost_per_year(team: Team) -> float:
    """Yearly cost of the team's weekly schedule (staffed unit-hours x unit-hour cost)."""
    return unit_hour_cost(team) * team.unit_hours_per_week() * WEEKS_PER_YEAR


def unit_hour_cost(team: Team) -> float:
    """Loaded cost of one staffed unit-hour: pay with the team's overhead (the rate `costs.team_cost` uses)."""
    return pay_per_unit_hour(team) * (1 + team.overhead)

"""What a team's staffing costs a year: the new budget line a city would have to find.

A staffed unit-hour costs `cost_per_unit_hour` whether the unit is busy or not; a year is
365/7 weeks of the team's weekly schedule. Overtime (paid past a shift's end) is a
simulated quantity and is not in this planning figure; `cost_staffing` includes it.
"""

from __future__ import annotations

from ..scenario.schema import Team

WEEKS_PER_YEAR = 365 / 7


def team_cost_per_year(team: Team) -> float:
    """Yearly cost of the team's weekly schedule (staffed unit-hours x unit-hour cost)."""
    return unit_hour_cost(team) * team.unit_hours_per_week() * WEEKS_PER_YEAR


def unit_hour_cost(team: Team) -> float:
    """Cost of one staffed unit-hour, with the team's overhead when the scenario gives one."""
    return team.cost_per_unit_hour * (1 + (getattr(team, "overhead", 0.0) or 0.0))

"""A team's mean travel per call before anything is simulated (for load estimates and screens).

Without geography it is the team's `response_min` mean. With geography it is the mean
turnout plus, over the zones weighted by their share of calls, the mean travel from the
team's nearest base (× its `travel_factor`): the travel when the nearest unit is free. When
it is busy a farther unit goes, so this is a floor, close when the team is lightly loaded.
"""

from __future__ import annotations

from ..scenario.geography import nearest_base_travel
from ..scenario.schema import Scenario


def mean_travel_min(scenario: Scenario, team_name: str) -> float:
    """Mean minutes from assignment to arrival on scene when the nearest unit is free."""
    team = scenario.teams[team_name]
    geo = scenario.geography
    if geo is None:
        return float(team.response_min.mean)
    nearest = nearest_base_travel(scenario, team_name)
    turnout = float(team.turnout_min.mean) if team.turnout_min is not None else 0.0
    return turnout + sum(zone.share * nearest[name] for name, zone in geo.zones.items() if zone.share > 0)

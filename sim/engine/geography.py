"""Geography at run time: zones as indices, the mean travel matrix, where each unit is based,
and each call's zone and travel factor, drawn before the run from the call's own streams.

Everything a dispatch needs is precomputed here once per replication: for each team and
call zone, the team's base zones in order of mean travel (ties in zone order), so finding
the nearest free unit looks at base zones in that order and stops at the first with a free
unit, whatever the number of zones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..scenario.distributions import Lognormal
from ..scenario.schema import Scenario, Team


@dataclass
class Places:
    """Where the calls of one generation (or the other police calls) are, and how far."""

    zone: np.ndarray  # zone index per call
    travel_factor: np.ndarray  # the call's travel factor (mean 1), the same whichever unit goes
    turnout_min: list[np.ndarray]  # per team: minutes from assignment to rolling


class CityMap:
    """Zones, mean travel minutes base zone -> call zone, and the teams' base sequences."""

    def __init__(self, scenario: Scenario):
        geo = scenario.geography
        self.scenario = scenario
        self.zone_names = geo.zone_names
        n = len(self.zone_names)
        self.shares = np.array([geo.zones[z].share for z in self.zone_names])
        mean = np.full((n, n), math.inf)
        for i, base in enumerate(self.zone_names):
            for j, zone in enumerate(self.zone_names):
                minutes = geo.mean_travel_min(base, zone)
                if minutes is not None:
                    mean[i, j] = minutes
        self.mean_min = mean
        cv = geo.travel_cv
        self._factor = Lognormal(dist="lognormal", mean=1.0, sd=cv) if cv > 0 else None

    @classmethod
    def of(cls, scenario: Scenario) -> CityMap | None:
        return cls(scenario) if scenario.geography is not None else None

    # --- per call ---------------------------------------------------------------------

    def zones_from_uniform(self, u: np.ndarray) -> np.ndarray:
        """A zone per uniform, in proportion to the shares (a zone with share 0 never comes up)."""
        cum = np.cumsum(self.shares)
        last = int(np.flatnonzero(self.shares > 0)[-1])
        cum[last:] = 1.0 + 1e-12
        return np.searchsorted(cum, u, side="right").astype(np.int64)

    def travel_factors(self, u: np.ndarray) -> np.ndarray:
        """The call's travel factor: lognormal with mean 1 and cv `travel_cv` (all 1 when cv = 0)."""
        if self._factor is None:
            return np.ones(len(u))
        return self._factor.from_uniform(u)

    def places(self, team_names: list[str], u_zone: np.ndarray, u_travel: np.ndarray,
               u_turnout: np.ndarray) -> Places:
        teams = self.scenario.teams
        turnout = [teams[t].turnout_min.from_uniform(u_turnout) if teams[t].turnout_min is not None
                   else np.zeros(len(u_turnout)) for t in team_names]
        return Places(self.zones_from_uniform(u_zone), self.travel_factors(u_travel), turnout)

    # --- per team ---------------------------------------------------------------------

    def base_weights(self, team: Team) -> np.ndarray:
        """A team's weight (unit count or shift weight) per zone; absent `bases`: all in the first zone."""
        weights = np.zeros(len(self.zone_names))
        if team.bases is None:
            weights[0] = 1.0
        else:
            for zone, w in team.bases.items():
                weights[self.zone_names.index(zone)] = w
        return weights

    def preference(self, team: Team) -> list[list[int]]:
        """For each call zone, the team's base zones by mean travel to it (ties: zone order)."""
        bases = np.flatnonzero(self.base_weights(team) > 0)
        return [sorted(bases.tolist(), key=lambda b: (self.mean_min[b, z], b)) for z in range(len(self.zone_names))]


class BaseSequence:
    """The base zone of unit 0, 1, 2, ...: after n units, the counts per zone are as close to
    n × the weights' shares as whole units allow (each next unit goes where the count falls
    furthest short, ties in zone order).

    With unit counts that sum to the team's units, the first `units` units are exactly those
    counts; for a shift team, units come on duty lowest id first, so the units on duty follow
    the weights.
    """

    def __init__(self, weights: np.ndarray):
        self.shares = weights / weights.sum()
        self.counts = np.zeros(len(weights))
        self.bases: list[int] = []

    def base(self, unit: int) -> int:
        while len(self.bases) <= unit:
            n = len(self.bases) + 1
            short = n * self.shares - self.counts
            short[self.shares == 0] = -math.inf
            zone = int(np.argmax(short))  # first maximum: zone order breaks ties
            self.counts[zone] += 1
            self.bases.append(zone)
        return self.bases[unit]

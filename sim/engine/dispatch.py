"""Dispatch with geography: the nearest free unit of a team goes to a call.

`ZonedUnitPool` is a team's pool whose free units are kept per base zone. `take_free(zone)`
is the dispatch rule: the free on-duty unit whose base has the smallest mean travel to the
call's zone; ties go to the zone listed first, then to the lowest unit id. It walks the
team's base zones in the order precomputed for the call's zone (see `CityMap.preference`)
and stops at the first that has a free unit, so its cost does not grow with the number of
zones. A free unit is at its base; a unit that clears takes the next waiting job and
travels from its base (return travel is not modelled).

Every job that needs a unit (a crisis call, a backup, a follow-up, another police call, an
extra unit of a multi-unit call) gets one through `take_free`, so all are dispatched alike.
"""

from __future__ import annotations

import heapq

from ..scenario.schema import Team
from .geography import BaseSequence, CityMap
from .teams import UnitPool


class ZonedUnitPool(UnitPool):
    """A team's units, each stationed at a base zone, dispatched nearest first."""

    def __init__(self, index: int, name: str, team: Team, city: CityMap):
        super().__init__(index, name, team)
        self.city = city
        self.sequence = BaseSequence(city.base_weights(team))
        self.base_of: list[int] = []  # unit id -> base zone index
        self.free_at: list[list[int]] = [[] for _ in city.zone_names]  # heaps of free unit ids per base zone
        self.prefer = city.preference(team)
        # mean minutes from each base zone to each call zone, for this team's vehicles
        self.travel = (city.mean_min * team.travel_factor).tolist()

    def take_free(self, zone: int = -1) -> int | None:
        free_at = self.free_at
        for base in self.prefer[zone]:
            if free_at[base]:
                return heapq.heappop(free_at[base])
        return None

    def put_free(self, unit: int) -> None:
        heapq.heappush(self.free_at[self.base_of[unit]], unit)

    def come_on(self, now: float = 0.0) -> int:
        unit = super().come_on(now)
        while len(self.base_of) <= unit:
            self.base_of.append(self.sequence.base(len(self.base_of)))
        return unit

    def go_off(self, now: float) -> None:
        """One fewer unit on duty: the idle unit with the highest id leaves now, else the next busy one to clear."""
        heaps = [h for h in self.free_at if h]
        if not heaps:
            self.retire_since.append(now)
            return
        heap = max(heaps, key=max)
        unit = max(heap)
        heap.remove(unit)
        heapq.heapify(heap)
        self._off_duty(unit, now)

    def travel_min(self, unit: int, zone: int, factor: float) -> float:
        """Travel of `unit` from its base to a call in `zone` with the call's travel factor."""
        return self.travel[self.base_of[unit]][zone] * factor


def make_pool(index: int, name: str, team: Team, city: CityMap | None) -> UnitPool:
    """A team's pool: zoned when the scenario has geography, else 0.1's (lowest free unit id first)."""
    return UnitPool(index, name, team) if city is None else ZonedUnitPool(index, name, team, city)

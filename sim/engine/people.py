"""People in crisis: who may call again, how likely, and whether they are linked to services.

A person is the primary call that started their chain of crises (person id = that call's
row). Their repeat group is drawn once, from the person's own named stream, so the same
person is in the same group in every scenario of a replication (common random numbers);
their call type is the first call's (see calls.py). Linkage to services, made by any team
on scene or at a follow-up, cuts their repeat chance for `linkage_lasts_days` (for good
when absent).
"""

from __future__ import annotations

import math
from array import array

import numpy as np

from ..scenario.schema import Repeat
from .streams import uniforms

GROUP_STREAM = "person.group"


def person_groups(repeat: Repeat, seed: int, replication: int, n_people: int) -> np.ndarray:
    """Each person's group index into `repeat.groups` (len(groups) = in no group)."""
    shares = [g.share for g in repeat.groups.values()]
    if not shares:
        return np.zeros(n_people, dtype=np.int64)
    edges = np.cumsum(shares)
    return np.searchsorted(edges, uniforms(seed, replication, GROUP_STREAM, n_people), side="right")


class People:
    """Repeat chances and linkage of the people of one replication."""

    def __init__(self, repeat: Repeat | None, seed: int, replication: int, n_people: int):
        self.repeat = repeat
        self.links: dict[int, list[float]] = {}
        if repeat is None:
            self.group = np.zeros(n_people, dtype=np.int64)
            self._chance = array("d")
            return
        self.group = person_groups(repeat, seed, replication, n_people)
        by_group = [g.probability for g in repeat.groups.values()] + [repeat.probability]
        self._chance = array("d", np.asarray(by_group)[self.group].tobytes()) if repeat.groups else array("d")
        self._lasts_min = math.inf if repeat.linkage_lasts_days is None else repeat.linkage_lasts_days * 24 * 60

    def chance_max(self) -> np.ndarray:
        """Each person's highest possible repeat chance (linked or not): a repeat uniform at or
        above it never makes a repeat, whatever the scenario."""
        n = len(self.group)
        if self.repeat is None:
            return np.zeros(n)
        base = np.frombuffer(self._chance, dtype=np.float64) if self._chance else np.full(n, self.repeat.probability)
        cut = self.repeat.reduction_if_linked or 0.0
        return np.maximum(base, base * (1 - cut))

    def link(self, person: int, at: float) -> None:
        """The person is linked to services from time `at` on."""
        self.links.setdefault(person, []).append(at)

    def linked(self, person: int, now: float) -> bool:
        """Whether a linkage made by `now` still holds then."""
        return any(at <= now < at + self._lasts_min for at in self.links.get(person, ()))

    def repeat_chance(self, person: int, now: float) -> float:
        """The chance that this person's crisis now is followed by another within the window."""
        repeat = self.repeat
        p = self._chance[person] if self._chance else repeat.probability
        if repeat.reduction_if_linked and self.linked(person, now):
            p *= 1 - repeat.reduction_if_linked
        return p

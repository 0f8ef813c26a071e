"""Where to station a team's units: who answers each zone's calls when the nearest unit may be busy.

With geography a call goes to the nearest free unit (sim.engine.dispatch), so travel depends
on where units are based and which of them are busy. The exact model of that rule is Larson's
hypercube chain, with 2^N states for N units (tests/test_geography.py solves it for small N).
The planner uses **Larson's hypercube approximation** (Larson 1975, "Approximating the
performance of urban emergency service systems", Operations Research 23(5); Larson & Odoni,
Urban Operations Research, section 5.5): the share of zone j's calls sent at once to its k-th
nearest unit n_k is

    f_jk = g(k-1) x prod_{l<k} (rho_{n_l} / r) x (1 - rho_{n_k}) / (1 - r),

where rho_n is unit n's workload (a fixed point, solved by iteration), r their mean, and
g(j) = P(j given units busy and one given other unit free) when units are alike. Larson's
correction factor Q(N, r, j) is g(j) / (r^j (1 - r)) for the M/M/N queue; here g comes from the
busy-count distribution of the screen's queue for the hour (M/M/c with the routing rule's wait
limit, or Erlang C without one), so calls that leave for another team are covered too. A call
that waits is taken by the first unit to clear, each busy unit alike (exponential service).

`StationModel.weekly_travel` applies it hour by hour to the units on duty (the first n of the
team's base sequence, as the engine puts them on duty), and `best_counts` searches the
whole-unit counts per base zone: a greedy start (each next unit where it cuts the week's
expected travel most, in the hours it would be on duty), then single moves of a unit from
one base to another while any lowers it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import comb

import numpy as np

from ..engine.geography import BaseSequence
from ..scenario.schema import Scenario
from .queueing import busy_distribution, reached_within


def given_busy_one_free(p_busy: np.ndarray) -> np.ndarray:
    """g[j], j = 0..N-1: P(j given units busy and a given other unit free), units alike.

    `p_busy` is P(k busy), k = 0..N-1, then P(all N busy). With k busy the busy set is any of
    the C(N, k) sets alike, C(N-j-1, k-j) of which hold the j given units and not the other.
    """
    n = len(p_busy) - 1
    return np.array([sum(p_busy[k] * comb(n - j - 1, k - j) / comb(n, k) for k in range(j, n)) for j in range(n)])


def dispatch_shares(workload: np.ndarray, prefs: np.ndarray, g: np.ndarray, mean_busy: float,
                    free: float) -> np.ndarray:
    """[zone, k]: share of the zone's calls sent at once to its k-th choice (rows add up to `free`)."""
    n_zones, n = prefs.shape
    f = np.zeros((n_zones, n))
    if free <= 0:
        return f
    if mean_busy <= 1e-12:
        f[:, 0] = free
        return f
    rho = workload[prefs]
    before = np.cumprod(np.hstack([np.ones((n_zones, 1)), rho[:, :-1] / mean_busy]), axis=1)
    f = g[None, :] * before * (1 - rho) / max(1 - mean_busy, 1e-12)
    total = f.sum(axis=1, keepdims=True)
    return np.where(total > 0, f / np.where(total > 0, total, 1) * free, 0.0)


def hypercube_approximation(loads: np.ndarray, prefs: np.ndarray, p_busy: np.ndarray, reached: float,
                            tol: float = 1e-10, max_iter: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """Larson's approximation: (each unit's workload, [zone, k] share sent at once to the k-th choice).

    `loads`: erlangs offered by each zone's calls; `prefs[j]`: units in zone j's order of
    preference; `p_busy`: the busy-count distribution; `reached`: share of calls that get a
    unit (at once or after waiting). Waiting calls that are reached go to each unit alike.
    """
    n = prefs.shape[1]
    free = 1.0 - float(p_busy[-1])
    mean_busy = float(np.arange(n) @ p_busy[:-1] + n * p_busy[-1]) / n
    g = given_busy_one_free(p_busy)
    queued_each = float(loads.sum()) * max(reached - free, 0.0) / n
    workload = np.full(n, mean_busy)
    f = dispatch_shares(workload, prefs, g, mean_busy, free)
    for _ in range(max_iter):
        new = np.full(n, queued_each)
        np.add.at(new, prefs, loads[:, None] * f)
        new = np.clip(new, 0.0, 1.0)
        done = np.abs(new - workload).max() < tol
        # damped: the plain iteration can swing between two states when units' loads differ a lot
        workload = 0.5 * (workload + new)
        f = dispatch_shares(workload, prefs, g, mean_busy, free)
        if done:
            break
    return workload, f


@dataclass
class StationModel:
    """A team's zones, travel by base zone and the hypercube approximation over its units on duty."""

    zone_names: list[str]
    shares: np.ndarray  # share of calls per zone
    travel: np.ndarray  # [base zone, call zone] mean minutes for this team's vehicles
    turnout_min: float
    candidates: list[int]  # zones that can be a base: a travel time to every zone with calls
    _hours: dict = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, scenario: Scenario, team: str) -> StationModel | None:
        """The team's station model, or None without geography."""
        geo = scenario.geography
        if geo is None:
            return None
        t = scenario.teams[team]
        names = geo.zone_names
        travel = np.full((len(names), len(names)), np.inf)
        for i, base in enumerate(names):
            for j, zone in enumerate(names):
                minutes = geo.mean_travel_min(base, zone)
                if minutes is not None:
                    travel[i, j] = minutes * t.travel_factor
        shares = np.array([geo.zones[z].share for z in names])
        candidates = [i for i in range(len(names)) if np.isfinite(travel[i, shares > 0]).all()]
        turnout = float(t.turnout_min.mean) if t.turnout_min is not None else 0.0
        return cls(names, shares, travel, turnout, candidates)

    def counts_of(self, bases: dict[str, float] | None) -> np.ndarray:
        counts = np.zeros(len(self.zone_names))
        for zone, w in (bases or {self.zone_names[0]: 1}).items():
            counts[self.zone_names.index(zone)] = w
        return counts

    def bases_of(self, counts: np.ndarray) -> dict[str, int]:
        """Counts as a team's `bases:` mapping (zones without units left out, zone order)."""
        return {z: int(c) for z, c in zip(self.zone_names, counts) if c > 0}

    def on_duty_bases(self, counts: np.ndarray, n: int) -> list[int]:
        """Base zone of each of the first n units, as the engine stations them (sim.engine.geography.BaseSequence)."""
        seq = BaseSequence(np.asarray(counts, dtype=float))
        return [seq.base(i) for i in range(n)]

    def hour(self, bases: tuple[int, ...], calls_per_min: float, service_min: float,
             limit_min: float | None) -> tuple[float, float]:
        """(mean minutes from assignment to arrival, share reached) for units at `bases` in one hour."""
        key = (bases, round(calls_per_min, 12), service_min, limit_min)
        if key in self._hours:
            return self._hours[key]
        n = len(bases)
        base = np.asarray(bases)
        zones = np.flatnonzero(self.shares > 0)
        cells = self.travel[base][:, zones]  # [unit, zone]
        # each zone's units nearest first; ties: the base zone listed first, then the lowest unit id
        prefs = np.array([sorted(range(n), key=lambda u: (cells[u, k], base[u], u)) for k in range(len(zones))])
        if calls_per_min <= 0:
            value = (self.turnout_min + float(self.shares[zones] @ cells[prefs[:, 0], np.arange(len(zones))]), 1.0)
            self._hours[key] = value
            return value
        p_busy = busy_distribution(n, calls_per_min, service_min, limit_min)
        reached = reached_within(n, calls_per_min, service_min, limit_min)
        loads = self.shares[zones] * calls_per_min * service_min
        _workload, f = hypercube_approximation(loads, prefs, p_busy, reached)
        queued = max(reached - (1.0 - float(p_busy[-1])), 0.0)
        at_once = (f * np.take_along_axis(cells.T, prefs, axis=1)).sum(axis=1)
        waited = queued * cells.mean(axis=0)
        travel = float(self.shares[zones] @ (at_once + waited)) / reached if reached > 0 else float("nan")
        value = (self.turnout_min + travel, reached)
        self._hours[key] = value
        return value

    def weekly_travel(self, counts: np.ndarray, on_duty: np.ndarray, calls_per_min: np.ndarray,
                      calls_per_hour: np.ndarray, service_min: float, limit_min: float | None) -> float:
        """Mean minutes from assignment to arrival over the week's reached calls.

        Hours with the same units on duty share one approximation, at their call-weighted
        mean arrival rate."""
        total = weight = 0.0
        for n in np.unique(on_duty):
            if n <= 0:
                continue
            hours = on_duty == n
            w = calls_per_hour[hours]
            if w.sum() <= 0:
                continue
            rate = float((calls_per_min[hours] * w).sum() / w.sum())
            bases = tuple(self.on_duty_bases(counts, int(n)))
            travel, reached = self.hour(bases, rate, service_min, limit_min)
            total += float(w.sum()) * reached * travel
            weight += float(w.sum()) * reached
        return total / weight if weight > 0 else float("nan")

    def best_counts(self, on_duty: np.ndarray, calls_per_min: np.ndarray, calls_per_hour: np.ndarray,
                    service_min: float, limit_min: float | None, start: np.ndarray | None = None) -> np.ndarray:
        """Whole units per base zone (summing to the most on duty at once) with the least weekly travel."""
        on_duty = np.asarray(on_duty, dtype=int)
        most = int(on_duty.max(initial=0))
        if most <= 0 or not self.candidates:
            return np.zeros(len(self.zone_names))

        def cost(counts: np.ndarray, profile: np.ndarray = on_duty) -> float:
            return self.weekly_travel(counts, profile, calls_per_min, calls_per_hour, service_min, limit_min)

        # greedy: unit k (k = 1..most) works the hours with at least k units on duty
        counts = np.zeros(len(self.zone_names))
        for k in range(1, most + 1):
            profile = np.minimum(on_duty, k)
            best = None
            for z in self.candidates:
                trial = counts.copy()
                trial[z] += 1
                value = cost(trial, profile)
                if best is None or value < best[0] - 1e-12:
                    best = (value, z)
            counts[best[1]] += 1
        starts = [counts]
        if start is not None and start.sum() == most and all(start[z] == 0 or z in self.candidates
                                                             for z in range(len(start))):
            starts.append(np.asarray(start, dtype=float))
        best_counts, best_value = None, np.inf
        for counts in starts:
            value = cost(counts)
            improved = True
            while improved:
                improved = False
                for a in [z for z in self.candidates if counts[z] > 0]:
                    for b in self.candidates:
                        if a == b or counts[a] == 0:
                            continue
                        trial = counts.copy()
                        trial[a] -= 1
                        trial[b] += 1
                        v = cost(trial)
                        if v < value - 1e-9:
                            counts, value, improved = trial, v, True
            if value < best_value - 1e-12:
                best_counts, best_value = counts, value
        return best_counts

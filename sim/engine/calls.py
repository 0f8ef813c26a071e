"""Call generation: arrival times, and every draw a call needs, made before the model runs.

Each quantity comes from its own named stream, indexed by call, so a call is the same in
every scenario that shares the demand: common random numbers by construction.

Times are drawn per call, not per team: one uniform says how far away the call is and one
how long it takes on scene, and each team's distribution turns that uniform into minutes
(inversion). A call that is far away or long is so whichever team takes it, which is what
keeps paired comparisons between response models sharp.

Repeat crises form chains: repeat j of primary call i takes row i of generation j's draws,
so whether a repeat happens may differ between scenarios (it depends on linkage), but a
repeat that happens is the same call everywhere. A repeat keeps the person's call type
(an IDD person's next crisis is an IDD call); its risk and everything else are drawn again.

Only the rows of a repeat generation that can ever be read are kept (`CallBook.next_generation`):
row i of generation j is a call only if row i of generation j-1 was one, its repeat uniform
is below the person's highest repeat chance, and it falls before the horizon. That set
depends on the demand alone, not on routing, so it is the same in every scenario; the
numbers in it are those of the whole generation (each stream is drawn whole, then the rows
are taken), so a repeat is the same call whichever way it is stored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..scenario.schema import DAYS, DISPOSITIONS, RISKS, Demand, Scenario
from .geography import CityMap, Places
from .streams import stream, uniforms
from .triage import code_calls

MIN_PER_HOUR = 60
MIN_PER_DAY = 24 * 60
MIN_PER_WEEK = 7 * MIN_PER_DAY


def hourly_rate_per_min(demand: Demand, per_day: float) -> np.ndarray:
    """Rate (per minute) for each of the 168 hours of the week, Monday 00:00 first.

    Each profile is normalised to mean 1, so the weekly mean rate is `per_day` / 1440.
    """
    hourly = np.asarray(demand.hourly_profile or [1.0] * 24, dtype=float)
    weekday = np.asarray(demand.weekday_profile or [1.0] * 7, dtype=float)
    hourly = hourly / hourly.mean()
    weekday = weekday / weekday.mean()
    return (per_day / MIN_PER_DAY) * np.outer(weekday, hourly).ravel()


def poisson_arrivals(rate_per_min_by_hour: np.ndarray, horizon_min: float, rng: np.random.Generator) -> np.ndarray:
    """Non-homogeneous Poisson arrival times on [0, horizon) by inverting the cumulative rate.

    Unit-rate exponential gaps are mapped through the inverse of the cumulative intensity
    (piecewise linear by hour). A higher rate maps the same gaps to more, earlier calls, which
    keeps demand sweeps well coupled.
    """
    n_hours = int(np.ceil(horizon_min / MIN_PER_HOUR))
    rates = np.resize(rate_per_min_by_hour, n_hours) * MIN_PER_HOUR  # expected calls per hour bin
    edges = np.arange(n_hours + 1, dtype=float) * MIN_PER_HOUR
    edges[-1] = min(edges[-1], horizon_min)
    widths = np.diff(edges)
    cum = np.concatenate([[0.0], np.cumsum(rates * widths / MIN_PER_HOUR)])
    total = cum[-1]
    if total <= 0:
        return np.empty(0)
    gaps = rng.exponential(1.0, int(total + 6 * np.sqrt(total) + 20))
    points = np.cumsum(gaps)
    while points[-1] < total:
        more = np.cumsum(rng.exponential(1.0, int(0.1 * total) + 20)) + points[-1]
        points = np.concatenate([points, more])
    points = points[points < total]
    bins = np.searchsorted(cum, points, side="right") - 1
    bins = np.minimum(bins, n_hours - 1)
    frac = (points - cum[bins]) / (cum[bins + 1] - cum[bins])
    return edges[bins] + frac * widths[bins]


@dataclass
class TeamDraws:
    """One team's times for every call of a generation."""

    response_min: np.ndarray
    on_scene_min: np.ndarray
    transport_min: dict[int, np.ndarray]  # disposition index -> minutes


@dataclass
class Generation:
    """Draws for all calls of one repeat generation (0 = first crises)."""

    call_type: np.ndarray  # int index into call type names
    risk: np.ndarray  # 0 low, 1 medium, 2 high
    coded_risk: np.ndarray  # as the dispatcher codes it (triage); equals risk without triage
    recognised: np.ndarray  # bool: recognised as a crisis call at intake
    phone: np.ndarray  # bool
    u_outcome: np.ndarray
    u_force: np.ndarray
    u_injury: np.ndarray
    u_backup: np.ndarray
    u_follow_up: np.ndarray
    u_follow_up_link: np.ndarray
    u_repeat: np.ndarray
    u_routing: np.ndarray
    repeat_delay_min: np.ndarray
    teams: list[TeamDraws]
    places: Places | None = None  # with geography: zone, travel factor, turnout
    persons: np.ndarray | None = None  # the rows (people) these draws are for; None: every row


def _choice_from_uniform(u: np.ndarray, probs: np.ndarray) -> np.ndarray:
    cum = np.cumsum(probs)
    cum[-1] = 1.0 + 1e-12
    return np.searchsorted(cum, u, side="right")


@dataclass
class CallBook:
    """Every crisis call of one replication: primary arrivals and lazily drawn repeat generations."""

    scenario: Scenario
    seed: int
    replication: int
    arrival_min: np.ndarray
    type_names: list[str]
    team_names: list[str]
    generations: list[Generation] = field(default_factory=list)
    city: CityMap | None = None
    horizon_min: float = math.inf
    # the calls of the newest generation drawn by next_generation: (persons, arrival, u_repeat, repeat delay)
    _frontier: tuple | None = field(default=None, repr=False)
    _next_j: int = field(default=1, repr=False)

    @property
    def n_primary(self) -> int:
        return len(self.arrival_min)

    def generation(self, j: int) -> Generation:
        while len(self.generations) <= j:
            self.generations.append(self._draw_generation(len(self.generations)))
        return self.generations[j]

    def next_generation(self, chance_max: np.ndarray) -> Generation:
        """The next repeat generation (1, 2, ...) for the rows that can be calls: the rows of the
        previous one whose repeat uniform is below `chance_max` (each person's highest repeat
        chance) and whose repeat comes by the horizon. Its arrays hold those rows only
        (`persons` says which), with the numbers of the whole generation (`generation(j)`)."""
        j = self._next_j
        if self._frontier is None:  # the first crises: every row is a call
            g0 = self.generation(0)
            self._frontier = (np.arange(self.n_primary), self.arrival_min, g0.u_repeat, g0.repeat_delay_min)
        persons, arrival, u_repeat, delay = self._frontier
        arrival = arrival + delay
        keep = (u_repeat < chance_max[persons]) & (arrival <= self.horizon_min)
        persons, arrival = persons[keep], arrival[keep]
        g = self._draw_generation(j, persons)
        g.persons = persons
        self._frontier = (persons, arrival, g.u_repeat, g.repeat_delay_min)
        self._next_j = j + 1
        return g

    def forget_first(self) -> None:
        """Drop generation 0's arrays once the model holds its own copy (repeats keep only the call types)."""
        if self.generations:
            g0 = self.generations[0]
            self._call_type0 = g0.call_type
            self._frontier = (np.arange(self.n_primary), self.arrival_min, g0.u_repeat, g0.repeat_delay_min)
            self.generations.clear()

    def _first_call_types(self) -> np.ndarray:
        kept = getattr(self, "_call_type0", None)
        return kept if kept is not None else self.generation(0).call_type

    def _stream_name(self, j: int, name: str) -> str:
        return name if j == 0 else f"repeat{j}.{name}"

    def _u(self, j: int, name: str, rows: np.ndarray | None = None) -> np.ndarray:
        """Uniforms of a named stream of generation j: one per row, or the given rows of it."""
        u = uniforms(self.seed, self.replication, self._stream_name(j, name), self.n_primary)
        return u if rows is None else u[rows]

    def _draw_generation(self, j: int, rows: np.ndarray | None = None) -> Generation:
        """Generation j's draws, for every call or for the given rows only (the same numbers: every
        draw below is one uniform per call, turned into a value call by call)."""
        sc = self.scenario
        demand = sc.demand
        n = self.n_primary if rows is None else len(rows)
        if j == 0:
            shares = np.array([demand.call_types[t].share for t in self.type_names])
            call_type = _choice_from_uniform(self._u(j, "call.type", rows), shares)
        else:  # a person keeps their call type from one crisis to the next; risk is drawn again
            call_type = self._first_call_types()
            if rows is not None:
                call_type = call_type[rows]
        u_risk = self._u(j, "call.risk", rows)
        risk = np.zeros(n, dtype=np.int8)
        phone_p = np.zeros(n)
        for k, t in enumerate(self.type_names):
            mask = call_type == k
            risk[mask] = _choice_from_uniform(u_risk[mask], np.array(demand.call_types[t].risk_shares()))
            phone_p[mask] = demand.phone_resolution.get(t, 0.0)
        phone = self._u(j, "call.phone", rows) < phone_p
        triage = sc.triage
        coded_risk, recognised = code_calls(
            triage, call_type, risk, self.type_names,
            self._u(j, "call.coded_risk", rows) if triage is not None else None,
            self._u(j, "call.recognised", rows) if triage is not None else None,
        )
        within = demand.repeat.within_days * MIN_PER_DAY if demand.repeat else 0.0
        u_response = self._u(j, "call.response", rows)
        u_on_scene = self._u(j, "call.on_scene", rows)
        u_transport = self._u(j, "call.transport", rows)
        teams = []
        for t_name in self.team_names:
            team = sc.teams[t_name]
            on_scene = team.on_scene_min.from_uniform(u_on_scene) if team.on_scene_min is not None else np.zeros(n)
            for ct, dist in team.on_scene_min_by_type.items():
                mask = call_type == self.type_names.index(ct)
                on_scene[mask] = dist.from_uniform(u_on_scene[mask])
            teams.append(
                TeamDraws(
                    response_min=team.response_min.from_uniform(u_response),
                    on_scene_min=on_scene,
                    transport_min={DISPOSITIONS.index(d): dist.from_uniform(u_transport)
                                   for d, dist in team.transport_min.items()},
                )
            )
        return Generation(
            call_type=call_type,
            risk=risk,
            coded_risk=coded_risk,
            recognised=recognised,
            phone=phone,
            u_outcome=self._u(j, "call.outcome", rows),
            u_force=self._u(j, "call.use_of_force", rows),
            u_injury=self._u(j, "call.injury", rows),
            u_backup=self._u(j, "call.backup", rows),
            u_follow_up=self._u(j, "call.follow_up", rows),
            u_follow_up_link=self._u(j, "call.follow_up_link", rows),
            u_repeat=self._u(j, "call.repeat", rows),
            u_routing=self._u(j, "call.routing", rows),
            repeat_delay_min=self._u(j, "call.repeat_delay", rows) * within,
            teams=teams,
            # the travel factor reuses the call's travel uniform: a far call is far for every unit
            places=None if self.city is None else self.city.places(
                self.team_names, self._u(j, "call.zone", rows), u_response, self._u(j, "call.turnout", rows)),
        )


def make_call_book(scenario: Scenario, seed: int, replication: int, horizon_min: float) -> CallBook:
    """Primary crisis calls of one replication and the means to draw their repeats."""
    rates = hourly_rate_per_min(scenario.demand, scenario.demand.crisis_calls_per_day)
    arrivals = poisson_arrivals(rates, horizon_min, stream(seed, replication, "arrivals"))
    book = CallBook(
        scenario=scenario,
        seed=seed,
        replication=replication,
        arrival_min=arrivals,
        type_names=list(scenario.demand.call_types),
        team_names=list(scenario.teams),
        city=CityMap.of(scenario),
        horizon_min=horizon_min,
    )
    book.generation(0)
    return book


OTHER_CHUNK = 16_384  # other police calls drawn together


@dataclass
class OtherDraws:
    """The own draws of a run of other police calls (rows lo..hi): travel and busy minutes (travel + on
    scene; on scene only with geography), queue priority, and with geography the zone, travel factor and
    the police team's turnout."""

    travel_min: np.ndarray
    busy_min: np.ndarray
    priority: np.ndarray
    zone: np.ndarray | None = None
    travel_factor: np.ndarray | None = None
    turnout_min: np.ndarray | None = None


@dataclass
class OtherCalls:
    """Non-crisis police calls: every arrival time, and each call's own draws from named streams.

    The draws are made in call order a chunk at a time (`next_draws`), as the calls arrive,
    from the same streams and positions as drawing them for every call at once (`dense`), so
    only the calls of the current chunk are held.
    """

    arrival_min: np.ndarray
    team: str
    scenario: Scenario
    seed: int
    replication: int
    city: CityMap | None = None
    _streams: dict = field(default_factory=dict, repr=False)
    _next: int = field(default=0, repr=False)

    def _draw(self, streams, n: int) -> OtherDraws:
        sc = self.scenario
        other = sc.demand.other_police_calls
        team = sc.teams[self.team]
        u_travel = streams["other.response"].random(n)
        travel = team.response_min.from_uniform(u_travel)
        busy = travel + other.on_scene_min.from_uniform(streams["other.on_scene"].random(n))
        shares = other.priority_shares()
        levels = np.array(list(shares), dtype=np.int64)
        if len(levels) == 1:
            priority = np.full(n, levels[0], dtype=np.int64)
        else:
            priority = levels[_choice_from_uniform(streams["other.priority"].random(n), np.array(list(shares.values())))]
        if self.city is None:
            return OtherDraws(travel, busy, priority)
        places = self.city.places([self.team], streams["other.zone"].random(n), u_travel,
                                  streams["other.turnout"].random(n))
        return OtherDraws(travel, busy, priority, places.zone, places.travel_factor, places.turnout_min[0])

    def _fresh_streams(self) -> dict:
        names = ("other.response", "other.on_scene", "other.priority", "other.zone", "other.turnout")
        return {name: stream(self.seed, self.replication, name) for name in names}

    def next_draws(self, n: int = OTHER_CHUNK) -> tuple[int, OtherDraws]:
        """(first row, draws) of the next n calls (fewer at the end), continuing each stream."""
        if not self._streams:
            self._streams = self._fresh_streams()
        lo = self._next
        n = max(0, min(n, len(self.arrival_min) - lo))
        self._next = lo + n
        return lo, self._draw(self._streams, n)

    def dense(self) -> OtherDraws:
        """Every call's draws at once (the same numbers as `next_draws` chunk by chunk)."""
        return self._draw(self._fresh_streams(), len(self.arrival_min))

    @property
    def priority(self) -> np.ndarray:
        return self.dense().priority


def make_other_calls(scenario: Scenario, seed: int, replication: int, horizon_min: float) -> OtherCalls | None:
    other = scenario.demand.other_police_calls
    if other is None or other.per_day <= 0:
        return None
    rates = hourly_rate_per_min(scenario.demand, other.per_day)
    arrivals = poisson_arrivals(rates, horizon_min, stream(seed, replication, "other.arrivals"))
    return OtherCalls(arrival_min=arrivals, team=scenario.other_calls_team(), scenario=scenario, seed=seed,
                      replication=replication, city=CityMap.of(scenario))


__all__ = ["CallBook", "OtherCalls", "OtherDraws", "make_call_book", "make_other_calls", "hourly_rate_per_min", "RISKS", "DAYS"]

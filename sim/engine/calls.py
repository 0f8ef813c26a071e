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
"""

from __future__ import annotations

import dataclasses
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

    @property
    def n_primary(self) -> int:
        return len(self.arrival_min)

    def generation(self, j: int) -> Generation:
        while len(self.generations) <= j:
            self.generations.append(self._draw_generation(len(self.generations)))
        return self.generations[j]

    def sparse_generation(self, j: int) -> Generation:
        """Repeat generation j (j >= 1) as the model reads it: the same numbers as `generation(j)`,
        drawn a block of rows at a time when a row of the block is first read (few rows of a
        repeat generation ever are), so its memory follows the repeats, not the first crises."""
        return SparseGeneration(self, j).view()

    def _stream_name(self, j: int, name: str) -> str:
        return name if j == 0 else f"repeat{j}.{name}"

    def _u(self, j: int, name: str, rows: tuple[int, int] | None = None) -> np.ndarray:
        if rows is None:
            return uniforms(self.seed, self.replication, self._stream_name(j, name), self.n_primary)
        # rows lo..hi of the same stream: each uniform is one 64-bit step of the generator
        lo, hi = rows
        rng = stream(self.seed, self.replication, self._stream_name(j, name))
        rng.bit_generator.advance(int(lo))
        return rng.random(hi - lo)

    def _draw_generation(self, j: int, rows: tuple[int, int] | None = None) -> Generation:
        """Generation j's draws, for every call or for rows lo..hi only (the same numbers: every
        draw below is one uniform per call, turned into a value call by call)."""
        sc = self.scenario
        demand = sc.demand
        n = self.n_primary if rows is None else rows[1] - rows[0]
        if j == 0:
            shares = np.array([demand.call_types[t].share for t in self.type_names])
            call_type = _choice_from_uniform(self._u(j, "call.type", rows), shares)
        else:  # a person keeps their call type from one crisis to the next; risk is drawn again
            call_type = self.generations[0].call_type
            if rows is not None:
                call_type = call_type[rows[0]:rows[1]]
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


REPEAT_BLOCK = 2048  # rows of a repeat generation drawn together


class SparseGeneration:
    """A repeat generation drawn by blocks of rows on first read (see CallBook.sparse_generation)."""

    def __init__(self, book: CallBook, j: int):
        self.book, self.j = book, j
        self.blocks: dict[int, Generation] = {}

    def block(self, b: int) -> Generation:
        got = self.blocks.get(b)
        if got is None:
            rows = (int(b) * REPEAT_BLOCK, min((int(b) + 1) * REPEAT_BLOCK, self.book.n_primary))
            got = self.blocks[b] = self.book._draw_generation(self.j, rows)
        return got

    def view(self) -> Generation:
        """A Generation whose arrays read rows through the blocks (same structure as a drawn one)."""
        return _rows_view(self.block(0), self, lambda g: g)


class _Rows:
    """One array of a sparse generation: row r read from the block that holds it."""

    __slots__ = ("_gen", "_pick")

    def __init__(self, gen: SparseGeneration, pick):
        self._gen, self._pick = gen, pick

    def __getitem__(self, r):
        b, i = divmod(r, REPEAT_BLOCK)
        return self._pick(self._gen.block(b))[i]


def _rows_view(template, gen: SparseGeneration, pick):
    """Mirror `template` (a Generation, dataclasses, dicts and lists of arrays) with each array
    replaced by a _Rows reading it through `pick` from the block's own Generation."""
    if isinstance(template, np.ndarray):
        return _Rows(gen, pick)
    if isinstance(template, dict):
        return {k: _rows_view(v, gen, lambda g, k=k: pick(g)[k]) for k, v in template.items()}
    if isinstance(template, list):
        return [_rows_view(v, gen, lambda g, i=i: pick(g)[i]) for i, v in enumerate(template)]
    if dataclasses.is_dataclass(template):
        return dataclasses.replace(template, **{
            f.name: _rows_view(getattr(template, f.name), gen, lambda g, name=f.name: getattr(pick(g), name))
            for f in dataclasses.fields(template)})
    return template


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
    )
    book.generation(0)
    return book


@dataclass
class OtherCalls:
    """Non-crisis police calls: arrival times, priorities, travel and busy minutes (travel + on scene)."""

    arrival_min: np.ndarray
    travel_min: np.ndarray
    busy_min: np.ndarray
    priority: np.ndarray  # int queue priority per call
    team: str
    places: Places | None = None  # with geography (busy_min is then on-scene time only)


def make_other_calls(scenario: Scenario, seed: int, replication: int, horizon_min: float) -> OtherCalls | None:
    other = scenario.demand.other_police_calls
    if other is None or other.per_day <= 0:
        return None
    team_name = scenario.other_calls_team()
    team = scenario.teams[team_name]
    rates = hourly_rate_per_min(scenario.demand, other.per_day)
    arrivals = poisson_arrivals(rates, horizon_min, stream(seed, replication, "other.arrivals"))
    n = len(arrivals)
    u_travel = uniforms(seed, replication, "other.response", n)
    travel = team.response_min.from_uniform(u_travel)
    busy = travel + other.on_scene_min.from_uniform(uniforms(seed, replication, "other.on_scene", n))
    shares = other.priority_shares()
    levels = np.array(list(shares), dtype=np.int64)
    if len(levels) == 1:
        priority = np.full(n, levels[0], dtype=np.int64)
    else:
        u = uniforms(seed, replication, "other.priority", n)
        priority = levels[_choice_from_uniform(u, np.array(list(shares.values())))]
    city = CityMap.of(scenario)
    places = None if city is None else city.places(
        list(scenario.teams), uniforms(seed, replication, "other.zone", n), u_travel,
        uniforms(seed, replication, "other.turnout", n))
    return OtherCalls(arrival_min=arrivals, travel_min=travel, busy_min=busy, priority=priority, team=team_name,
                      places=places)


__all__ = ["CallBook", "OtherCalls", "make_call_book", "make_other_calls", "hourly_rate_per_min", "RISKS", "DAYS"]

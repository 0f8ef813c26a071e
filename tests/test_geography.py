"""Geography: zones, bases and nearest-free-unit dispatch, verified against Larson's hypercube model.

The hypercube model (Larson 1974; Larson & Odoni, Urban Operations Research, ch. 5) is a
Markov chain on which units are busy. Its stationary probabilities give each unit's
workload, the share of calls lost or sent past their first-choice unit, and the mean travel.
The chains are solved exactly here and set against the simulation with tolerances from the
replications (99% t-intervals), never golden numbers.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from helpers import erlang_b, erlang_c_wq, merge, one_team, small_city, write_yaml
from sim import run_experiment
from sim.cli import app
from sim.engine.eventlog import PRIMARY
from sim.engine.model import simulate
from sim.scenario.loading import validate_scenario
from test_verification import within_ci

MEAN_MIN = 60.0


# --- the exact hypercube chain -------------------------------------------------------------

def hypercube(n_units: int, rates: list[float], prefs: list[tuple[int, ...]], mu: float, infinite: bool):
    """Stationary probabilities of the 2^n busy sets (bit i = unit i busy) of the hypercube model.

    Calls of demand group j arrive at rate rates[j] and go to the first free unit in prefs[j].
    With `infinite`, calls that find every unit busy queue (FCFS): the all-busy states with a
    queue form a geometric tail, P(all busy, k waiting) = P(all busy, none waiting) * rho^k,
    returned as one extra last entry. Without it, such calls are lost.
    """
    full = 2 ** n_units - 1
    q = np.zeros((full + 1, full + 1))
    for s in range(full + 1):
        for i in range(n_units):
            if s >> i & 1:
                q[s, s & ~(1 << i)] += mu
        if s != full:
            for rate, pref in zip(rates, prefs):
                unit = next(u for u in pref if not s >> u & 1)
                q[s, s | 1 << unit] += rate
    np.fill_diagonal(q, -q.sum(axis=1))
    a = np.vstack([q.T, np.ones(full + 1)])
    b = np.zeros(full + 2)
    b[-1] = 1.0
    pi = np.linalg.lstsq(a, b, rcond=None)[0]
    if infinite:
        rho = sum(rates) / (n_units * mu)
        tail = pi[full] * rho / (1 - rho)
        pi = np.append(pi, tail) / (1 + tail)
    return pi


def workloads(pi: np.ndarray, n_units: int) -> list[float]:
    """P(unit i busy); the queue tail (an extra last entry) counts as all busy."""
    states = range(2 ** n_units)
    tail = pi[2 ** n_units] if len(pi) > 2 ** n_units else 0.0
    return [sum(pi[s] for s in states if s >> i & 1) + tail for i in range(n_units)]


def test_the_chain_gives_the_books_workloads():
    """Larson & Odoni's three-unit example: workloads 0.5574, 0.4734, 0.4693."""
    pi = hypercube(3, [0.5, 0.25, 0.35, 0.40], [(0, 1, 2), (0, 2, 1), (1, 0, 2), (2, 0, 1)], 1.0, True)
    assert np.allclose(workloads(pi, 3), [0.5574, 0.4734, 0.4693], atol=5e-5)


# --- scenario builders and readers ---------------------------------------------------------

def per_hour_to_per_day(rate_per_service: float) -> float:
    return rate_per_service / MEAN_MIN * 1440


def zoned_team(units: int, bases: dict, zones: dict, travel: dict, calls_per_day: float, **extra) -> dict:
    """One team on an infinite FCFS queue with exponential 60-minute service, in a zoned city."""
    data = one_team(units=units, calls_per_day=calls_per_day, mean_min=MEAN_MIN)
    data["teams"]["team"]["bases"] = bases
    data["geography"] = {"zones": zones, "travel_min": travel}
    return merge(data, extra)


def unit_busy_share(log, team: int, n_units: int) -> np.ndarray:
    """Each unit's busy share of the time after the warm-up (all units are on duty throughout)."""
    jobs = log.table("jobs")
    lo, hi = log.warmup_min, log.horizon_min
    mine = jobs["team"] == team
    busy = np.clip(jobs["clear_min"][mine], lo, hi) - np.clip(jobs["assigned_min"][mine], lo, hi)
    return np.bincount(jobs["unit"][mine].astype(int), weights=busy, minlength=n_units) / (hi - lo)


def first_choice_base(scenario, zone: str, team: str) -> str:
    """The base zone nearest to `zone` among the team's bases (ties: zone order)."""
    geo = scenario.geography
    bases = [z for z in geo.zone_names if z in scenario.teams[team].bases]
    return min(bases, key=lambda b: (geo.mean_travel_min(b, zone), geo.zone_names.index(b)))


# --- hypercube: infinite queue ---------------------------------------------------------------

# four demand groups and three units; travel (tiny against 60-minute service) orders the units
# for each group as in Larson & Odoni's example
HYPERCUBE_RATES = [0.50, 0.25, 0.35, 0.40]
HYPERCUBE_PREFS = [(0, 1, 2), (0, 2, 1), (1, 0, 2), (2, 0, 1)]
TINY = 0.001  # minutes per step of travel order


def three_unit_city() -> dict:
    lam = sum(HYPERCUBE_RATES)
    groups = ["a", "b", "c", "d"]
    zones = {g: {"share": r / lam} for g, r in zip(groups, HYPERCUBE_RATES)}
    zones.update({f"p{u}": {"share": 0.0} for u in range(3)})
    travel = {f"p{u}": {} for u in range(3)}
    for g, pref in zip(groups, HYPERCUBE_PREFS):
        for rank, u in enumerate(pref):
            travel[f"p{u}"][g] = (rank + 1) * TINY
    return zoned_team(3, {"p0": 1, "p1": 1, "p2": 1}, zones, travel, per_hour_to_per_day(lam))


def test_hypercube_infinite_queue_workloads_and_second_choice_share():
    scenario = validate_scenario(three_unit_city())
    pi = hypercube(3, HYPERCUBE_RATES, HYPERCUBE_PREFS, 1.0, True)
    exact = workloads(pi, 3)
    lam = sum(HYPERCUBE_RATES)
    # dispatches not to the first-choice unit: from a partly busy state, when the group's first unit is
    # busy; from the queue, when the unit that frees up (each equally likely) is not the group's first
    not_first = sum(pi[s] * sum(r for r, p in zip(HYPERCUBE_RATES, HYPERCUBE_PREFS) if s >> p[0] & 1)
                    for s in range(7)) / lam + (pi[7] + pi[8]) * 2 / 3

    reps, busy, shares = 10, [], []
    for rep in range(reps):
        log = simulate(scenario, rep, seed=41, days=120, warmup_days=5)
        busy.append(unit_busy_share(log, 0, 3))
        assert log.unit_bases == [[4, 5, 6]]  # unit i is stationed in zone p_i
        calls = log.table("calls")
        jobs = log.table("jobs")
        primary = (jobs["kind"] == PRIMARY) & (jobs["assigned_min"] >= log.warmup_min)
        zone_of = dict(zip(calls["call_id"].tolist(), calls["zone"].tolist()))
        sent = [(zone_of[c], u) for c, u in zip(jobs["call_id"][primary].tolist(), jobs["unit"][primary].tolist())]
        shares.append(np.mean([u != HYPERCUBE_PREFS[z][0] for z, u in sent]))
    busy = np.array(busy)
    for unit in range(3):
        ok, msg = within_ci(busy[:, unit], exact[unit], slack=0.003)
        assert ok, f"workload of unit {unit}: {msg}"
    ok, msg = within_ci(shares, not_first, slack=0.003)
    assert ok, "share not sent to the first-choice unit: " + msg


# --- hypercube: loss system, the two-unit linear city ---------------------------------------

LINE_LAMBDA = 1.25
LINE_SCALE = 0.01  # minutes per unit of distance (travel tiny against 60-minute service)


def linear_city_groups():
    """Demand groups of the linear city [-1, 1] with units at 0.75 (unit 0) and -0.25 (unit 1):
    half the calls uniform on [0.75, 1], half on [-1, 0.75), cut where the nearest unit changes
    (x = 0.25). Returns (names, rates, mean distance [unit][group], preferences)."""
    units = (0.75, -0.25)
    segments = {"east": (0.75, 1.0, 0.5), "middle": (0.25, 0.75, 0.5 * 0.5 / 1.75),
                "west": (-1.0, 0.25, 0.5 * 1.25 / 1.75)}

    def mean_distance(x: float, lo: float, hi: float) -> float:
        left = max(0.0, min(x, hi) - lo)
        right = max(0.0, hi - max(x, lo))
        gap = max(0.0, lo - x) if x < lo else max(0.0, x - hi)
        if gap > 0:
            return gap + (hi - lo) / 2
        return (left ** 2 + right ** 2) / 2 / (hi - lo)

    names = list(segments)
    rates = [LINE_LAMBDA * segments[n][2] for n in names]
    dist = [[mean_distance(x, *segments[n][:2]) for n in names] for x in units]
    prefs = [tuple(sorted(range(2), key=lambda u: (dist[u][j], u))) for j in range(len(names))]
    return names, rates, dist, prefs


def test_hypercube_loss_system_workloads_lost_share_and_travel():
    names, rates, dist, prefs = linear_city_groups()
    assert prefs == [(0, 1), (0, 1), (1, 0)]
    zones = {n: {"share": r / LINE_LAMBDA} for n, r in zip(names, rates)}
    zones.update({"u0": {"share": 0.0}, "u1": {"share": 0.0}, "depot": {"share": 0.0}})
    travel = {f"u{u}": {n: dist[u][j] * LINE_SCALE for j, n in enumerate(names)} for u in range(2)}
    travel["depot"] = {n: 1.0 for n in names}
    data = zoned_team(2, {"u0": 1, "u1": 1}, zones, travel, per_hour_to_per_day(LINE_LAMBDA))
    data["teams"]["mutual_aid"] = {"kind": "civilian", "units": 200, "bases": {"depot": 200},
                                   "on_scene_min": {"dist": "constant", "value": 30}}
    data["routing"] = [{"match": {}, "send": ["team", "mutual_aid"], "max_wait_min": 0}]
    scenario = validate_scenario(data)

    pi = hypercube(2, rates, prefs, 1.0, False)
    exact_busy = workloads(pi, 2)
    exact_lost = pi[3]
    dispatch_rate = sum(pi[s] * r for s in range(3) for r in rates)
    exact_distance = sum(pi[s] * r * dist[next(u for u in p if not s >> u & 1)][j]
                         for s in range(3) for j, (r, p) in enumerate(zip(rates, prefs))) / dispatch_rate

    busy, lost, distance = [], [], []
    exp = run_experiment([scenario], replications=10, days=120, warmup_days=5, seed=17, workers=1)
    for rep in range(10):
        log = simulate(scenario, rep, seed=17, days=120, warmup_days=5)
        busy.append(unit_busy_share(log, 0, 2))
    for rep, calls in exp.calls.groupby("replication"):
        mine = calls[calls["team"] == "team"]
        lost.append((calls["team"] == "mutual_aid").mean())
        distance.append(mine["travel_min"].mean() / LINE_SCALE)
        assert set(mine["unit_base"]) == {"u0", "u1"}
    busy = np.array(busy)
    for unit in range(2):
        ok, msg = within_ci(busy[:, unit], exact_busy[unit], slack=0.003)
        assert ok, f"workload of unit {unit}: {msg}"
    ok, msg = within_ci(lost, exact_lost, slack=0.003)
    assert ok, "lost share: " + msg
    ok, msg = within_ci(distance, exact_distance, slack=0.003)
    assert ok, "mean travel distance: " + msg


# --- one zone: queueing theory as in 0.1 -------------------------------------------------------

def one_zone(data: dict) -> dict:
    data["geography"] = {"zones": {"city": {"share": 1.0}}, "travel_min": {"city": {"city": 0}}}
    return data


def test_erlang_c_and_b_hold_with_one_zone():
    c, rho = 3, 0.7
    data = one_zone(one_team(units=c, calls_per_day=rho * c / MEAN_MIN * 1440, mean_min=MEAN_MIN))
    exp = run_experiment([validate_scenario(data)], replications=10, days=60, warmup_days=5, seed=103, workers=1)
    s = exp.summary
    wait = s[(s["metric"] == "wait_min_mean") & (s["team"] == "")]["value"]
    ok, msg = within_ci(wait, erlang_c_wq(c, rho * c, MEAN_MIN))
    assert ok, "Erlang C with one zone: " + msg

    data = one_zone(one_team(units=2, calls_per_day=0.6 * 2 / MEAN_MIN * 1440, mean_min=MEAN_MIN))
    data["teams"]["police"] = {"kind": "police", "units": 300, "on_scene_min": {"dist": "constant", "value": 30}}
    data["routing"] = [{"match": {}, "send": ["team", "police"], "max_wait_min": 0}]
    exp = run_experiment([validate_scenario(data)], replications=10, days=60, warmup_days=5, seed=7, workers=1)
    s = exp.summary
    ok, msg = within_ci(s[(s["metric"] == "fallback_share") & (s["team"] == "")]["value"], erlang_b(2, 1.2))
    assert ok, "Erlang B with one zone: " + msg


# --- monotone, and the square-root law ------------------------------------------------------------

def grid_city(side: int, bases: dict, calls_per_day: float, units_per_base: int = 1) -> dict:
    """A square city of side x side zones of 1 km, calls spread evenly, 60 km/h on a street grid."""
    zones = {f"z{i}_{j}": {"share": 1 / side ** 2, "x": i + 0.5, "y": j + 0.5} for i in range(side) for j in range(side)}
    data = one_team(units=units_per_base * len(bases), calls_per_day=calls_per_day, mean_min=10.0)
    data["teams"]["team"]["bases"] = {b: units_per_base for b in bases}
    data["geography"] = {"zones": zones, "speed_kmh": 60, "metric": "manhattan"}
    return data


def mean_travel(data: dict, reps: int = 3, days: int = 60) -> float:
    exp = run_experiment([validate_scenario(data)], replications=reps, days=days, warmup_days=2, seed=9, workers=1)
    calls = exp.calls[exp.calls["team"] != ""]
    return float(calls["travel_min"].mean())


def test_more_units_at_a_base_never_lengthen_mean_travel():
    """Same seed, same calls: adding units (one at a time, at either base) never makes travel longer."""
    base = zoned_team(2, {"w": 1, "e": 1}, {"w": {"share": 0.5}, "e": {"share": 0.5}},
                      {"w": {"w": 3, "e": 12}, "e": {"w": 12, "e": 3}}, per_hour_to_per_day(1.4))
    travel = []
    for west, east in [(1, 1), (2, 1), (2, 2), (3, 2), (3, 3)]:
        data = merge(base, {"teams": {"team": {"units": west + east, "bases": {"w": west, "e": east}}}})
        travel.append(mean_travel(data, reps=2, days=40))
    assert all(b <= a for a, b in zip(travel, travel[1:])), travel
    assert travel[-1] < travel[0] - 1.0, travel


def test_square_root_law_for_nearest_unit_travel():
    """Mean travel to the nearest of k evenly spread bases falls like 1/sqrt(k) (Larson & Odoni 3.6).

    With one unit per base and a light load (the nearest unit is almost always free), the
    simulated mean equals the exact mean of the zone grid to within 5%, and d * sqrt(k) stays
    within 15% of its value for k = 1 (the grid's discreteness is the rest).
    """
    side = 12
    scaled = {}
    for m in (1, 2, 3, 4):
        block = side // m
        bases = [f"z{i * block + block // 2}_{j * block + block // 2}" for i in range(m) for j in range(m)]
        data = grid_city(side, bases, calls_per_day=4)
        simulated = mean_travel(data, reps=2, days=100)
        centres = np.array([[i * block + block // 2 + 0.5, j * block + block // 2 + 0.5] for i in range(m)
                            for j in range(m)])
        zones = np.array([[i + 0.5, j + 0.5] for i in range(side) for j in range(side)])
        exact = np.abs(zones[:, None, :] - centres[None, :, :]).sum(axis=2).min(axis=1).mean()
        assert simulated == pytest.approx(exact, rel=0.05), (m, simulated, exact)
        scaled[m * m] = simulated * math.sqrt(m * m)
    for k, value in scaled.items():
        assert value == pytest.approx(scaled[1], rel=0.15), scaled


# --- invariants ---------------------------------------------------------------------------------------

def zoned_small_city() -> dict:
    data = small_city()
    data["geography"] = {
        "zones": {"north": {"share": 0.3, "x": 2, "y": 8}, "central": {"share": 0.5, "x": 5, "y": 5},
                  "south": {"share": 0.2, "x": 4, "y": 1}},
        "speed_kmh": 30, "metric": "manhattan", "travel_cv": 0.4,
    }
    for team in data["teams"].values():
        del team["response_min"]
    data["teams"]["police"]["bases"] = {"north": 2, "central": 4, "south": 2}
    data["teams"]["police"]["turnout_min"] = {"dist": "constant", "value": 1}
    data["teams"]["peer_team"]["bases"] = {"central": 1}
    data["teams"]["peer_team"]["travel_factor"] = 1.3
    return data


def test_invariants_with_geography():
    scenario = validate_scenario(zoned_small_city())
    for rep in range(2):
        log = simulate(scenario, rep, seed=4, days=15, warmup_days=1)
        jobs = log.table("jobs")
        for team in range(2):
            for unit in np.unique(jobs["unit"][jobs["team"] == team]):
                mine = (jobs["team"] == team) & (jobs["unit"] == unit)
                order = np.argsort(jobs["assigned_min"][mine], kind="stable")
                start, end = jobs["assigned_min"][mine][order], jobs["clear_min"][mine][order]
                assert np.all(start[1:] >= end[:-1] - 1e-9), f"unit {unit} of team {team} serves two jobs at once"
        travel = jobs["travel_min"][~np.isnan(jobs["travel_min"])]
        assert len(travel) and travel.min() >= 0
    exp = run_experiment([scenario], replications=2, days=15, warmup_days=1, seed=4, workers=1)
    calls = exp.calls
    sent = calls[calls["team"] != ""]
    assert len(sent) > 100
    assert (sent["unit"] >= 0).all() and (sent["unit_base"] != "").all() and (sent["travel_min"] >= 0).all()
    assert set(calls["zone"]) == {"north", "central", "south"}
    assert set(sent.loc[sent["team"] == "peer_team", "unit_base"]) == {"central"}
    unsent = calls[calls["team"] == ""]
    assert (unsent["unit"] == -1).all() and (unsent["unit_base"] == "").all()
    # response = wait + turnout + travel, for a team with constant turnout
    police = sent[sent["team"] == "police"]
    assert np.allclose(police["response_min"], police["wait_min"] + 1 + police["travel_min"])


def test_units_table_and_per_zone_metrics():
    """units.csv adds up to the team metrics; per-zone calls add up to the city's."""
    scenario = validate_scenario(zoned_small_city())
    days, warmup = 12, 1
    exp = run_experiment([scenario], replications=2, days=days, warmup_days=warmup, seed=6, workers=1)
    units = exp.units
    police = units[units["team"] == "police"]
    assert len(police) == 2 * 8
    assert np.allclose(police["staffed_hours"], days * 24)  # around the clock: every unit on duty throughout
    assert police.groupby("replication")["base"].apply(lambda b: b.value_counts().to_dict()).unstack().iloc[0].to_dict() \
        == {"north": 2, "central": 4, "south": 2}
    assert (units["busy_hours"] <= units["staffed_hours"] + 1e-9).all()
    peer = units[units["team"] == "peer_team"]
    assert set(peer["base"]) == {"central"} and (peer["staffed_hours"] > 0).all()
    s = exp.summary
    for rep in range(2):
        mine = s[s["replication"] == rep]
        util = mine[(mine["metric"] == "utilization") & (mine["team"] == "police")]["value"].iloc[0]
        rep_units = police[police["replication"] == rep]
        assert rep_units["busy_hours"].sum() / rep_units["staffed_hours"].sum() == pytest.approx(util, rel=1e-6)
        city = mine[(mine["metric"] == "calls") & (mine["team"] == "") & (mine["zone"] == "")]["value"].iloc[0]
        zones = mine[(mine["metric"] == "calls") & (mine["zone"] != "")]
        assert set(zones["zone"]) == {"north", "central", "south"} and zones["value"].sum() == city
    m = exp.metrics
    assert set(m.loc[m["zone"] != "", "metric"]) == {"calls", "response_min_mean", "response_min_median",
                                                     "response_min_p90", "police_on_scene_share", "fallback_share"}


def test_the_same_call_is_as_far_in_every_scenario():
    """Zones and travel factors are the call's own draws: a team change leaves them alone."""
    a = validate_scenario(zoned_small_city())
    b = validate_scenario(merge(zoned_small_city(), {"name": "more_police", "teams": {"police": {
        "units": 10, "bases": {"north": 3, "central": 4, "south": 3}}}}))
    exp = run_experiment([a, b], replications=1, days=10, warmup_days=1, seed=8, workers=1)
    calls = exp.calls.set_index(["scenario", "call_id"])
    za = calls.loc["small_city", "zone"]
    zb = calls.loc["more_police", "zone"]
    common = za.index.intersection(zb.index)
    assert len(common) > 100 and (za[common] == zb[common]).all()


def test_deterministic_across_workers():
    scenario = validate_scenario(zoned_small_city())
    one = run_experiment([scenario], replications=2, days=5, warmup_days=1, seed=2, workers=1)
    two = run_experiment([scenario], replications=2, days=5, warmup_days=1, seed=2, workers=2)
    assert one.calls.equals(two.calls) and one.summary.equals(two.summary)


# --- without geography: exactly as before -------------------------------------------------------------

V01_COLUMNS = ("scenario", "replication", "call_id", "person_id", "arrival_min", "call_type", "risk", "is_repeat",
               "first_choice", "team", "wait_min", "response_min", "disposition", "police_on_scene", "backup",
               "use_of_force", "injury", "linked", "follow_up")
# sha256 of the call columns and summary of a small run without geography, computed with the code as it was
# without geography (main at 85a5d32 with the shift planner, with roles and follow-up programs; earlier digests:
# 59a57c54... at a26e8b7, with costs and PSA, 0bb642cc... at 0.1 (919c986),
# f52be407... at 168ed5a, before repeat crises kept their call type and before the outcome tables,
# c9b223cd... at ef8266b, before the cost rows in summary)
V01_DIGEST = "1538b2fb06230ce585e434b0cc6d22fed3bea00d3efd2d2a95dc5aba466d5559"


def test_without_geography_results_are_bit_identical_to_before():
    """A scenario without `geography` gives the same bytes as before zones existed.

    If a later change moves these numbers on purpose, recompute the digest with that change
    and say in the commit which metrics moved and why."""
    exp = run_experiment([validate_scenario(small_city())], replications=2, days=10, warmup_days=2, seed=3)
    summary = exp.summary
    if "zone" in summary:
        summary = summary[summary["zone"] == ""].drop(columns="zone")
    digest = hashlib.sha256(exp.calls[list(V01_COLUMNS)].to_csv(index=False).encode()
                            + summary.to_csv(index=False).encode()).hexdigest()
    assert digest == V01_DIGEST
    assert (exp.calls["zone"] == "").all() and (exp.calls["unit_base"] == "").all()
    sent = exp.calls[exp.calls["team"] != ""]
    assert np.allclose(sent["travel_min"], sent["response_min"] - sent["wait_min"])


# --- bad input -----------------------------------------------------------------------------------------

def _geo(change):
    def build():
        data = zoned_small_city()
        change(data)
        return data
    return build


def _matrix(data):
    del data["geography"]["speed_kmh"]
    data["geography"]["travel_min"] = {z: {c: 10 for c in ("north", "central", "south")}
                                       for z in ("north", "central", "south")}
    return data


BAD = [
    ("unknown base zone", _geo(lambda d: d["teams"]["police"]["bases"].update({"east": 0})),
     "teams.police.bases.east"),
    ("bases not summing to units", _geo(lambda d: d["teams"]["police"]["bases"].update({"north": 5})),
     "teams.police.bases"),
    ("shares not summing to 1", _geo(lambda d: d["geography"]["zones"]["north"].update({"share": 0.6})),
     "geography.zones"),
    ("x, y missing with speed", _geo(lambda d: d["geography"]["zones"]["south"].pop("x")), "geography.zones.south"),
    ("response_min with geography", _geo(lambda d: d["teams"]["police"].update(
        {"response_min": {"dist": "constant", "value": 5}})), "teams.police.response_min"),
    ("unknown zone in travel matrix", _geo(lambda d: _matrix(d)["geography"]["travel_min"]["north"].update({"east": 4})),
     "geography.travel_min.north.east"),
    ("negative travel", _geo(lambda d: _matrix(d)["geography"]["travel_min"]["north"].update({"south": -4})),
     "geography.travel_min.north.south"),
    ("infinite travel", _geo(lambda d: _matrix(d)["geography"]["travel_min"]["north"].update({"south": math.inf})),
     "geography.travel_min.north.south"),
    ("missing cell for a base zone", _geo(lambda d: _matrix(d)["geography"]["travel_min"]["central"].pop("north")),
     "geography.travel_min.central.north"),
    ("both matrix and speed", _geo(lambda d: _matrix(d)["geography"].update({"speed_kmh": 30})), "geography.travel_min"),
    ("bases without geography", lambda: merge(small_city(), {"teams": {"police": {"bases": {"north": 8}}}}),
     "teams.police.bases"),
]


@pytest.mark.parametrize("case_id, build, expected", BAD, ids=[c[0] for c in BAD])
def test_bad_geography_exits_2_names_the_key_and_writes_nothing(tmp_path, case_id, build, expected):
    path = write_yaml(tmp_path / "bad.yaml", build())
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(out), "--workers", "1", "--quiet"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert expected in result.output, result.output
    assert not out.exists()


def test_check_prints_zones_bases_and_travel(tmp_path):
    data = zoned_small_city()
    del data["teams"]["peer_team"]["bases"]
    path = write_yaml(tmp_path / "zoned.yaml", data)
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 0, result.output
    assert "zones: north 30% (2, 8 km), central 50% (5, 5 km), south 20% (4, 1 km)" in result.output
    assert "manhattan distance at 30 km/h" in result.output
    assert "north 2, central 4, south 2" in result.output
    assert "team peer_team has no `bases`: every unit is in north" in result.output


def test_shipped_peer_vans_cannot_be_everywhere():
    """The shipped peer-embedded city: five vans in four districts, so calls in the west and southeast
    (no van based there) wait for one to drive over, and police response does not change by district."""
    from helpers import SCENARIOS

    exp = run_experiment([SCENARIOS / "peer_embedded.yaml"], replications=2, days=20, warmup_days=2, seed=5, workers=1)
    calls = exp.calls
    peer = calls[calls["team"] == "peer_team"].groupby("zone")["travel_min"].mean()
    assert set(calls.loc[calls["team"] == "peer_team", "unit_base"]) == {"downtown", "north", "east", "south"}
    assert peer["west"] > 2 * peer["downtown"] and peer["southeast"] > 2 * peer["downtown"], peer
    police = calls[calls["team"] == "police"].groupby("zone")["travel_min"].mean()
    assert police.max() < 2 * police.min(), police

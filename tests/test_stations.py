"""The planner's stations: Larson's hypercube approximation against the exact chain, and the bases it picks
against every stationing simulated with common random numbers."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from helpers import one_team
from sim import run_experiment
from sim.analysis.queueing import busy_distribution, erlang_b, erlang_c, reached_within
from sim.analysis.stations import hypercube_approximation
from sim.analysis.stats import t_interval
from sim.analysis.targets import parse_target
from sim.cli import app
from sim.designs.plan import PlanQuestion, Screen
from sim.scenario.loading import validate_scenario
from test_geography import HYPERCUBE_PREFS, HYPERCUBE_RATES, hypercube, linear_city_groups, workloads

DAILY = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def test_busy_distribution_is_erlangs():
    # no wait limit: Erlang C's chance of waiting; no patience at all: the Erlang loss system
    p = busy_distribution(3, 1.5, 1.0, None)
    assert p.sum() == pytest.approx(1.0)
    assert p[-1] == pytest.approx(erlang_c(3, 1.5))
    p = busy_distribution(2, 1.25, 1.0, 0.0)
    assert p[-1] == pytest.approx(erlang_b(2, 1.25))
    assert 1 - p[-1] == pytest.approx(reached_within(2, 1.25, 1.0, 0.0))


def test_hypercube_approximation_is_close_to_the_exact_chain():
    """Larson (1975) reports workloads within a few percent of the exact hypercube; so here, on the
    book's three-unit example (infinite queue) and the two-unit linear city (loss) at light to heavy load."""
    lam = sum(HYPERCUBE_RATES)
    exact = workloads(hypercube(3, HYPERCUBE_RATES, HYPERCUBE_PREFS, 1.0, True), 3)
    approx, f = hypercube_approximation(np.array(HYPERCUBE_RATES), np.array(HYPERCUBE_PREFS),
                                        busy_distribution(3, lam, 1.0, None), 1.0)
    assert np.allclose(approx, exact, atol=0.01)
    assert approx.sum() == pytest.approx(lam / 1.0)  # every call is served: the workloads add up to the load
    names, rates, dist, prefs = linear_city_groups()
    for scale in (0.3, 1.0, 2.5):
        r = [x * scale for x in rates]
        pi = hypercube(2, r, prefs, 1.0, False)
        p = busy_distribution(2, sum(r), 1.0, 0.0)
        approx, f = hypercube_approximation(np.array(r), np.array(prefs), p, reached_within(2, sum(r), 1.0, 0.0))
        assert np.allclose(approx, workloads(pi, 2), atol=0.01)
        # mean distance to the calls served, as the exact chain gives it
        served = sum(pi[s] * x for s in range(3) for x in r)
        exact_d = sum(pi[s] * x * dist[next(u for u in pr if not s >> u & 1)][j]
                      for s in range(3) for j, (x, pr) in enumerate(zip(r, prefs))) / served
        approx_d = sum(x * f[j, k] * dist[prefs[j][k]][j] for j, x in enumerate(r) for k in range(2)) / sum(
            x * f[j].sum() for j, x in enumerate(r))
        assert approx_d == pytest.approx(exact_d, rel=0.02)


def line_city(bases: dict, calls_per_day: float = 24.0) -> dict:
    """Three zones on a line, lopsided demand (60% in a, 10% in b, 30% in c), three units day and night."""
    data = one_team(units=3, calls_per_day=calls_per_day, mean_min=45)
    team = data["teams"]["team"]
    del team["units"]
    team.update({"cost_per_unit_hour": 100, "bases": bases,
                 "shifts": [{"days": DAILY, "start": "00:00", "end": "12:00", "units": 3},
                            {"days": DAILY, "start": "12:00", "end": "24:00", "units": 3}]})
    data["geography"] = {"zones": {"a": {"share": 0.6}, "b": {"share": 0.1}, "c": {"share": 0.3}},
                         "travel_min": {"a": {"a": 3, "b": 10, "c": 20}, "b": {"a": 10, "b": 3, "c": 10},
                                        "c": {"a": 20, "b": 10, "c": 3}}}
    data["run"] = {"days": 20, "warmup_days": 2, "replications": 3, "seed": 5}
    return data


def test_known_stationings_of_one_and_two_units():
    def bases(calls_per_day: float, units: int) -> dict:
        scenario = validate_scenario(line_city({"b": 1}, calls_per_day))
        question = PlanQuestion(scenario, "team", (parse_target("response_min_mean[team]<=30"),), shift_lengths=(12,),
                                starts=(0, 12))
        return Screen(question).schedule((units, units)).bases

    # one unit: the zone with 60% of calls (mean travel 0.6x3 + 0.1x10 + 0.3x20 = 8.8 against 9.3 from the middle)
    assert bases(24, 1) == {"a": 1}
    # two units that are almost never busy: the 2-median, one at each end (3.7 min against 5.1 with a and b)
    assert bases(0.5, 2) == {"a": 1, "c": 1}
    # busy ~40% of the time, a unit at the far end often drives 20 min to the other end: the approximation
    # hedges in the middle (7.6 min against 8.6 with a and c)
    assert bases(24, 2) == {"a": 1, "b": 1}


def test_planned_stations_are_no_worse_than_every_stationing_simulated():
    """All 10 ways to base 3 units in 3 zones, simulated with common random numbers: the planner's
    choice is not significantly worse than the best one (paired 95% interval), and beats the worst."""
    scenario = validate_scenario(line_city({"a": 1, "b": 1, "c": 1}))
    question = PlanQuestion(scenario, "team", (parse_target("response_min_mean[team]<=20"),), shift_lengths=(12,),
                            starts=(0, 12))
    screen = Screen(question)
    planned = screen.schedule((3, 3)).bases
    assert sum(planned.values()) == 3
    names, variants = [], []
    for counts in itertools.product(range(4), repeat=3):
        if sum(counts) != 3:
            continue
        name = "s" + "".join(map(str, counts))
        names.append(name)
        bases = {z: n for z, n in zip("abc", counts) if n}
        variants.append(validate_scenario({**line_city(bases), "name": name}))
    exp = run_experiment(variants, replications=6, days=20, warmup_days=2, seed=3, workers=1)
    s = exp.summary
    s = s[(s["metric"] == "response_min_mean") & (s["team"] == "team") & (s["zone"] == "")]
    values = {str(n): g.sort_values("replication")["value"].to_numpy() for n, g in s.groupby("scenario", observed=True)}
    mine = "s" + "".join(str(planned.get(z, 0)) for z in "abc")
    best = min(values, key=lambda k: values[k].mean())
    worst = max(values, key=lambda k: values[k].mean())
    _m, _sd, lo, _hi, _n = t_interval(values[mine] - values[best])
    assert lo <= 0, f"planned {mine} is worse than {best}: {values[mine].mean():.2f} against {values[best].mean():.2f}"
    _m, _sd, _lo, hi, _n = t_interval(values[mine] - values[worst])
    assert hi < 0
    # the approximation ranks stationings as the simulation does (rank correlation of travel)
    travel = {n: screen.stations.weekly_travel(screen.stations.counts_of(v.teams["team"].bases),
                                               *screen._station_inputs(screen.schedule((3, 3)).on_duty(screen.tours)))
              for n, v in zip(names, variants)}
    sim_travel = exp.calls[exp.calls["team"] == "team"].groupby("scenario", observed=True)["travel_min"].mean()
    order = np.argsort(np.argsort([travel[n] for n in names]))
    sim_order = np.argsort(np.argsort([sim_travel[n] for n in names]))
    assert np.corrcoef(order, sim_order)[0, 1] > 0.9
    for n in names:  # and its mean travel within 5% of the simulated
        assert travel[n] == pytest.approx(sim_travel[n], rel=0.05)


def test_plan_with_geography_writes_bases_stations_and_their_check(tmp_path):
    path = tmp_path / "line.yaml"
    path.write_text(yaml.safe_dump(line_city({"b": 3})))
    out = tmp_path / "plan"
    result = CliRunner().invoke(app, ["plan", str(path), "--team", "team", "--target", "response_min_mean[team]<=12",
                                      "--shift-lengths", "12", "--starts", "00:00,12:00", "-r", "3",
                                      "--max-replications", "6", "--curve-replications", "0", "--workers", "1",
                                      "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    pasted = yaml.safe_load((out / "shifts.yaml").read_text())
    assert set(pasted) == {"shifts", "bases"}
    assert set(pasted["bases"]) <= {"a", "b", "c"} and pasted["bases"] != {"b": 3}
    most = max(sum(s["units"] for s in pasted["shifts"] if s["start"] == start) for start in ("00:00", "12:00"))
    assert sum(pasted["bases"].values()) == most
    planned = yaml.safe_load((out / "planned_scenario.yaml").read_text())
    assert planned["teams"]["team"]["bases"] == pasted["bases"]
    manifest = yaml.safe_load((out / "manifest.json").read_text())
    assert manifest["plan"]["bases"] == pasted["bases"]
    import pandas as pd

    stations = pd.read_csv(out / "stations.csv")
    assert stations["planned_units"].sum() == most and stations["current_units"].sum() == most
    assert (stations["screen_travel_planned_min"] <= stations["screen_travel_current_min"]).all()
    check = pd.read_csv(out / "station_check.csv")
    row = check[check["metric"] == "response_min_mean[team]"].iloc[0]
    # all three units in the quiet middle zone against the planned bases: the plan is faster by simulation
    assert row["difference_ci_high"] < 0
    assert (out / "figures" / "plan_stations.png").exists()
    redraw = CliRunner().invoke(app, ["plot", str(out), "--out", str(tmp_path / "again")])
    assert redraw.exit_code == 0, redraw.output
    assert (tmp_path / "again" / "plan_stations.png").exists()

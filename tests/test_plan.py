"""The shift planner: the queueing screen against Erlang C, the integer program, budgets, bad input, confirmation."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from sim.analysis.queueing import HOURS_PER_WEEK, erlang_b, hourly_load, reached_within
from sim.analysis.targets import parse_target
from sim.cli import app
from sim.designs.plan import PlanQuestion, Screen, Tour, plan_shifts, scheduled
from sim.designs.staffing import Confirmation
from sim.scenario.loading import load_scenario, validate_scenario
from test_staffing import erlang_c_wait_min

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


def city(hourly=None, calls_per_day=96, service_min=60.0, max_wait=None, cost=100.0) -> dict:
    """One team taking every call, exponential time on scene, no travel."""
    rule = {"match": {}, "send": ["crew"]}
    if max_wait is not None:
        rule = {"match": {}, "send": ["crew", "backstop"], "max_wait_min": max_wait}
    raw = {
        "name": "flat", "run": {"days": 20, "warmup_days": 2, "replications": 3, "seed": 7},
        "demand": {"crisis_calls_per_day": calls_per_day, "call_types": {"mental_health": {"share": 1.0}}},
        "teams": {"crew": {"kind": "civilian", "units": 5, "cost_per_unit_hour": cost,
                           "on_scene_min": {"dist": "exponential", "mean": service_min},
                           "response_min": {"dist": "constant", "value": 0}}},
        "routing": [rule],
    }
    if hourly is not None:
        raw["demand"]["hourly_profile"] = hourly
    if max_wait is not None:
        raw["teams"]["backstop"] = {"kind": "police", "units": 50, "on_scene_min": {"dist": "constant", "value": 1}}
    return raw


def test_wait_limit_formula_is_erlang_loss_at_zero_and_erlang_c_without_limit():
    for c, load in [(1, 0.5), (3, 2.0), (5, 6.0), (10, 7.5)]:
        # no patience at all: a call reached at once or never, the Erlang loss system
        assert reached_within(c, load / 60, 60, 0.0) == pytest.approx(1 - erlang_b(c, load))
        # a very long patience: Erlang C's stable queue reaches everyone; an overloaded one c/a of calls
        expected = 1.0 if c > load else c / load
        assert reached_within(c, load / 60, 60, 1e6) == pytest.approx(expected, rel=1e-3)
        # reach grows with units and with patience
        assert reached_within(c + 1, load / 60, 60, 10) > reached_within(c, load / 60, 60, 10)
        assert reached_within(c, load / 60, 60, 20) > reached_within(c, load / 60, 60, 10)


def test_screen_reproduces_erlang_c_staffing_hour_by_hour_on_flat_arrivals():
    scenario = validate_scenario(city())
    load = hourly_load(scenario, "crew")
    assert np.allclose(load.offered_load(), 4.0)  # 4 calls an hour x 60 minutes
    for wait in (1.0, 5.0, 15.0):
        question = PlanQuestion(scenario, "crew", (parse_target(f"response_min_mean[crew]<={wait}"),))
        expected = min(c for c in range(1, 30) if erlang_c_wait_min(c, 96 / 1440, 60.0) <= wait)
        assert set(Screen(question).needs(0).tolist()) == {expected}


def test_integer_program_covers_needs_at_least_cost_on_a_hand_solvable_case():
    # quiet nights (00-12), busy days (12-24); short calls so the lag does not blur the change
    hourly = [1.0] * 12 + [4.0] * 12
    scenario = validate_scenario(city(hourly, calls_per_day=240, service_min=6.0))
    question = PlanQuestion(scenario, "crew", (parse_target("response_min_mean[crew]<=0.5"),),
                            shift_lengths=(8, 12), starts=(0, 8, 12, 16))
    screen = Screen(question)
    need = screen.needs(0)
    night, day = need[:12].max(), need[12:24].max()
    assert night < day
    best = screen.solve(0)
    # by hand: 12-hour tours at 00:00 and 12:00 cover each half exactly; anything else staffs more hours
    assert best.cost == pytest.approx(100 * 12 * 7 * (night + day) * 365 / 7)
    assert (best.on_duty(screen.tours) >= need).all()


def test_more_budget_never_lowers_the_reach_the_screen_can_buy():
    question = PlanQuestion(load_scenario(ROOT / "scenarios" / "peer_embedded.yaml"), "peer_team",
                            (parse_target("eligible_reached_share[peer_team]>=0.6"),), starts=tuple(range(0, 24, 2)))
    screen = Screen(question)
    fixed = question.fixed_cost
    assert fixed > 0  # the shipped team has a fixed yearly cost, paid first out of every budget
    assert screen.solve(budget=fixed - 1) is None
    reach = [screen.solve(budget=b).screen["eligible_reached_share[peer_team]"]
             for b in np.arange(fixed + 0.5e6, fixed + 5.1e6, 0.5e6)]
    assert all(b >= a - 1e-9 for a, b in zip(reach, reach[1:]))
    assert reach[-1] > reach[0]


def test_a_budget_pays_the_fixed_cost_first_in_plan_and_staff():
    from sim.designs.staffing import StaffingQuestion
    from sim.errors import ScenarioError

    hourly = [1.0] * 12 + [4.0] * 12
    plain = validate_scenario(city(hourly, calls_per_day=240, service_min=6.0))
    raw = city(hourly, calls_per_day=240, service_min=6.0)
    raw["teams"]["crew"]["fixed_per_year"] = 250_000
    fixed = validate_scenario(raw)
    target = (parse_target("response_min_mean[crew]<=0.5"),)
    kwargs = {"shift_lengths": (8, 12), "starts": (0, 8, 12, 16)}
    without = Screen(PlanQuestion(plain, "crew", target, **kwargs))
    with_fixed = Screen(PlanQuestion(fixed, "crew", target, **kwargs))
    # least cost for the targets: the same tours, and the fixed cost on top of their cost
    a, b = without.solve(0), with_fixed.solve(0)
    assert a.units == b.units and b.cost == pytest.approx(a.cost + 250_000)
    # within a budget: the tours get what the fixed cost leaves
    for budget in (900_000, 1_500_000):
        a, b = without.solve(budget=budget - 250_000), with_fixed.solve(budget=budget)
        assert a.units == b.units and b.cost <= budget + 1e-6
    one_tour = 100 * 8 * 365
    with pytest.raises(ScenarioError, match="fixed cost"):
        PlanQuestion(fixed, "crew", target, budget=250_000 + one_tour - 1, **kwargs).check()
    PlanQuestion(fixed, "crew", target, budget=250_000 + one_tour, **kwargs).check()
    # staff --budget: each level's yearly cost includes the fixed cost, and the budget pays it first
    staff = StaffingQuestion(fixed, "crew", target, budget=250_000 + 3 * 100 * 24 * 365)
    assert staff.cost_per_year(2) == pytest.approx(250_000 + 2 * 100 * 24 * 365)
    assert staff.units_within_budget() == 3


def test_a_tour_past_midnight_is_one_shift_in_the_scenario():
    raw = city()
    question = PlanQuestion(validate_scenario(raw), "crew", (parse_target("utilization[crew]<=0.9"),),
                            shift_lengths=(8,), starts=(22,))
    screen = Screen(question)
    s = screen.schedule((2,))
    variant = scheduled(question, screen.tours, s, "night")
    (shift,) = variant.teams["crew"].shifts
    assert (shift.start, shift.end, shift.units, shift.name) == ("22:00", "06:00", 2, "daily_22_8h")
    assert variant.teams["crew"].unit_hours_per_week() == 2 * 8 * 7
    assert Tour(("mon",), 22, 8).hours() == list(range(22, 30))


@pytest.mark.parametrize("args, where", [
    (["--team", "nobody"], "--team"),
    (["--target", "eligible_reached_share[crew]>=1.01"], "--target"),
    (["--target", "calls>=3"], "--target"),
    (["--budget", "100"], "--budget"),
    (["--shift-lengths", "8,x"], "--shift-lengths"),
    (["--shift-lengths", "30"], "--shift-lengths"),
    (["--starts", "06:30"], "--starts"),
    (["--starts", "25:00"], "--starts"),
    (["--days", "weekends"], "--days"),
])
def test_bad_plan_question_is_exit_2_and_writes_nothing(tmp_path, args, where):
    path = tmp_path / "flat.yaml"
    path.write_text(yaml.safe_dump(city(max_wait=10)))
    base = {"--team": "crew", "--target": "eligible_reached_share[crew]>=0.8"}
    for flag, value in zip(args[::2], args[1::2]):
        base[flag] = value
    argv = [a for kv in base.items() for a in kv] + [a for kv in zip(args[::2], args[1::2]) if kv[0] not in base
                                                     for a in kv]
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["plan", str(path), *argv, "--out", str(out), "--workers", "1", "--quiet"])
    assert result.exit_code == 2, result.output
    assert where in result.output
    assert not out.exists()


def test_confirmed_schedule_meets_the_target_and_no_cheaper_enumerated_schedule_does(tmp_path):
    # busy afternoons and evenings; two 12-hour tours, 0-3 units each: 16 schedules to enumerate
    hourly = [0.4] * 8 + [1.0] * 4 + [1.8] * 8 + [0.8] * 4
    raw = city(hourly, calls_per_day=60, service_min=45.0, max_wait=10)
    raw["run"] = {"days": 30, "warmup_days": 2, "replications": 4, "seed": 11}
    scenario = validate_scenario(raw)
    target = parse_target("eligible_reached_share[crew]>=0.75")
    question = PlanQuestion(scenario, "crew", (target,), shift_lengths=(12,), starts=(0, 12), replications=4,
                            max_replications=8, curve_replications=0)
    result = plan_shifts(question)
    assert result.met
    answer = result.candidates[result.answer]
    mean, lo, _hi, verdict = result.target_values(result.answer)[str(target)]
    assert verdict == "met" and lo >= 0.75
    # every schedule of the small tour set, simulated with the same seeds and replications
    screen = Screen(question)
    confirm = Confirmation((target,), 4, 8, 11, 30, 2)
    for units in itertools.product(range(4), repeat=2):
        s = screen.schedule(units)
        if s.cost < answer.cost - 1e-6:
            assert not confirm.meets(hash(units) % 10**6, scheduled(question, screen.tours, s, "enum")), units
    from sim.outputs.folders import save

    folder = save(result, tmp_path / "plan")
    assert (folder / "shifts.yaml").exists() and (folder / "planned_scenario.yaml").exists()
    pasted = yaml.safe_load((folder / "shifts.yaml").read_text())["shifts"]
    assert pasted == result.shifts()
    assert validate_scenario(yaml.safe_load((folder / "planned_scenario.yaml").read_text())).teams["crew"].shifts
    assert (folder / "figures" / "plan_units_by_hour.png").exists()
    assert CliRunner().invoke(app, ["plot", str(folder)]).exit_code == 0
    assert math.isfinite(mean)
    assert len(result.hourly) == HOURS_PER_WEEK


def test_documented_plan_command_runs_at_reduced_size(tmp_path):
    import re

    text = (ROOT / "docs" / "staffing.md").read_text()
    block = re.search(r"```\n(crisis-sim plan .*?)```", text, re.S).group(1)
    args = [a.strip('"') for a in re.findall(r'"[^"]*"|\S+', block.replace("\\\n", " "))[1:]]
    short = tmp_path / "short.yaml"
    short.write_text(yaml.safe_dump({"extends": str(ROOT / args[1]), "run": {"warmup_days": 1}}))
    args[1] = str(short)
    out = tmp_path / "plan"
    result = CliRunner().invoke(app, [*args, "--sim-days", "7", "-r", "2", "--max-replications", "2",
                                      "--curve-replications", "0", "--starts", "00:00,08:00,16:00",
                                      "--out", str(out), "--workers", "1", "--no-charts"])
    assert result.exit_code == 0, result.output
    assert "a year" in result.output and (out / "candidates.csv").exists()


def test_screen_routes_first_choices_as_the_model_does_with_triage_and_risk_rules():
    # the crew takes low and medium coded risk only; triage miscodes risk and misses 30% of calls
    raw = city(calls_per_day=120, service_min=30.0, max_wait=10)
    raw["demand"]["call_types"]["mental_health"]["risk"] = {"low": 0.5, "medium": 0.3, "high": 0.2}
    raw["routing"] = [{"match": {"risk": ["low", "medium"]}, "send": ["crew", "backstop"], "max_wait_min": 10},
                      {"match": {}, "send": ["backstop"]}]
    raw["triage"] = {"coded_risk": {"low": {"low": 0.8, "medium": 0.2}, "medium": {"low": 0.2, "medium": 0.6, "high": 0.2},
                                    "high": {"medium": 0.3, "high": 0.7}},
                     "recognised": {"mental_health": 0.7}}
    raw["run"] = {"days": 20, "warmup_days": 1, "replications": 6, "seed": 3}
    scenario = validate_scenario(raw)
    load = hourly_load(scenario, "crew")
    coded_low_or_medium = 0.5 * 1.0 + 0.3 * 0.8 + 0.2 * 0.3
    assert load.eligible_per_week == pytest.approx(120 * 7 * 0.7 * coded_low_or_medium)
    # the simulated first-choice calls a week: the screen's expectation lies in their 95% interval
    target = parse_target("eligible_reached_share[crew]>=0.5")
    confirm = Confirmation((target,), 6, 6, 3, 20, 1)
    level = confirm.simulate(0, scenario, 0, 6)
    from sim.analysis.stats import t_interval
    from sim.analysis.targets import MetricRef

    per_week = MetricRef("eligible_calls", "crew").values(level.summary)["value"].to_numpy() / 20 * 7
    _mean, _sd, lo, hi, _n = t_interval(per_week)
    assert lo <= load.eligible_per_week <= hi


def test_budget_curve_simulates_few_steps_up_to_where_reach_levels_off_and_always_the_budget():
    from sim.designs.plan import curve_points_to_simulate

    reach = [0.1, 0.3, 0.5, 0.7, 0.85, 0.95, 0.985, 0.995, 0.998, 0.999]
    budgets = [1e6 * (i + 1) for i in range(len(reach))]
    chosen = curve_points_to_simulate(reach, budgets, ceiling=0.999, most=4)
    assert len(chosen) == 4 and chosen[0] == 0 and chosen[-1] == 7  # 0.995 is the first within a point
    with_budget = curve_points_to_simulate(reach, budgets, ceiling=0.999, most=4, budget=2.5e6)
    assert 1 in with_budget and len(with_budget) == 4 and {0, 7} <= set(with_budget)
    assert curve_points_to_simulate(reach, budgets, 0.999, most=0) == []
    assert curve_points_to_simulate(reach[:2], budgets[:2], 0.999, most=6) == [0, 1]
    crossing = curve_points_to_simulate(reach, budgets, 0.999, most=4, budget=2.5e6, target=0.8)
    assert {1, 4} <= set(crossing) and len(crossing) == 4 and 0 in crossing  # the budget's step and 0.85 >= 0.8

"""`check`'s offered-load estimate: exact on simple cases, warnings naming hours, routing reach."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from helpers import SCENARIOS, merge, one_team
from sim.analysis.load import load_warnings, offered_load, routing_reach
from sim.cli import app
from sim.scenario.loading import load_raw, load_scenario, validate_scenario


def test_offered_load_is_rate_times_busy_time_over_units():
    sc = validate_scenario(one_team(units=3, calls_per_day=48, mean_min=60))
    tl = offered_load(sc)["team"]
    assert tl.load == pytest.approx(np.full(168, 48 / 24 * 1.0 / 3))


def test_load_follows_profile_shifts_and_transport():
    data = one_team(units=2, calls_per_day=24, mean_min=30)
    data["demand"]["hourly_profile"] = [0] * 12 + [2] * 12
    data["teams"]["team"]["transport_min"] = {"arrest": {"dist": "constant", "value": 60}}
    data["teams"]["team"]["outcomes"] = {"arrest": 0.5}
    tl = offered_load(validate_scenario(data))["team"]
    # afternoon: 2 calls an hour × (30 + 0.5 × 60) min / 2 units
    assert tl.load[12:24] == pytest.approx(2 * 60 / 60 / 2)
    assert tl.load[:12] == pytest.approx(0)


def test_shipped_base_city_has_no_load_warning():
    assert load_warnings(load_scenario(SCENARIOS / "base.yaml")) == []


def fixed_police(raw: dict, units: int) -> dict:
    """The base city's police as a fixed number of units; `bases` weights become whole counts (largest remainder)."""
    police = raw["teams"]["police"]
    police.pop("shifts")
    police["units"] = units
    weights = police.get("bases")
    if weights:
        total = sum(weights.values())
        exact = {z: units * w / total for z, w in weights.items()}
        counts = {z: int(x) for z, x in exact.items()}
        for z in sorted(exact, key=lambda z: counts[z] - exact[z])[: units - sum(counts.values())]:
            counts[z] += 1
        police["bases"] = counts
    return raw


def test_overloaded_and_idle_teams_are_named_with_their_hours():
    raw = fixed_police(load_raw(SCENARIOS / "base.yaml"), 18)
    warnings = load_warnings(validate_scenario(raw))
    over = [w for w in warnings if "over 85%" in w]
    assert len(over) == 1 and "Police" in over[0] and "(every day)" in over[0]
    raw = fixed_police(load_raw(SCENARIOS / "base.yaml"), 200)
    under = [w for w in load_warnings(validate_scenario(raw)) if "under 10%" in w]
    assert len(under) == 1 and "every day" in under[0]


def test_routing_reach_counts_the_calls_a_rule_can_take():
    data = merge(one_team(), {"demand": {"call_types": {"mental_health": {"share": 0.5, "risk": {"low": 0.4, "high": 0.6}},
                                                        "welfare_check": {"share": 0.5}}},
                              "teams": {"police": {"kind": "police", "units": 5, "on_scene_min": {"dist": "constant", "value": 30}}}})
    data["routing"] = [{"match": {"call_type": ["mental_health"], "risk": ["low"]}, "send": ["team", "police"]},
                       {"match": {}, "send": ["police"]}]
    lines = routing_reach(validate_scenario(data))
    assert "at most 40% of mental_health calls, 20% of dispatched crisis calls" in lines[0]
    assert "80%" in lines[1]


def test_check_prints_load_and_warning(tmp_yaml):
    raw = fixed_police(load_raw(SCENARIOS / "base.yaml"), 18)
    result = CliRunner().invoke(app, ["check", str(tmp_yaml(raw))])
    assert result.exit_code == 0
    assert "offered load police" in result.output and "warning" in result.output
    base = CliRunner().invoke(app, ["check", str(SCENARIOS / "base.yaml")])
    assert "warning" not in base.output and "offered load police" in base.output


def test_check_words_a_load_that_is_the_same_every_hour_once():
    """A follow-up team's visits are spread evenly over its hours: one figure, not a peak and a low
    at the same hour ("highest 75% (mon 09:00), lowest 75% (mon 09:00)")."""
    out = CliRunner().invoke(app, ["check", str(SCENARIOS / "peer_embedded.yaml")]).output
    line = next(x for x in out.splitlines() if "offered load peer_follow_up" in x)
    assert "in every hour on shift (its follow-up visits, spread evenly" in line and "highest" not in line
    police = next(x for x in out.splitlines() if "offered load police" in x)
    assert "highest" in police and "lowest" in police


def test_load_reads_travel_from_geography_as_the_nearest_base():
    # two zones 10 min apart (5 within), all units in zone a, turnout 1: a call in a takes 1 + 5,
    # a call in b 1 + 10, so travel is 0.7 × 6 + 0.3 × 11 = 7.5 min on top of 60 on scene
    data = one_team(units=3, calls_per_day=48, mean_min=60)
    data["geography"] = {"zones": {"a": {"share": 0.7}, "b": {"share": 0.3}},
                         "travel_min": {"a": {"a": 5, "b": 10}, "b": {"a": 10, "b": 5}}}
    data["teams"]["team"].update(bases={"a": 3}, turnout_min={"dist": "constant", "value": 1})
    tl = offered_load(validate_scenario(data))["team"]
    assert tl.load == pytest.approx(np.full(168, 2 * (60 + 7.5) / 60 / 3))


def test_load_routes_by_coded_risk_and_counts_extra_units():
    # the civilian team takes calls coded low; triage codes a quarter of high-risk calls as low.
    # Police send two units to calls coded high.
    data = one_team(units=2, calls_per_day=24, mean_min=60)
    data["demand"]["call_types"]["mental_health"]["risk"] = {"low": 0.5, "high": 0.5}
    data["teams"]["police"] = {"kind": "police", "units": 4, "on_scene_min": {"dist": "constant", "value": 30},
                               "units_per_call": {"high": 2}}
    data["routing"] = [{"match": {"risk": ["low"]}, "send": ["team"]}, {"match": {}, "send": ["police"]}]
    data["triage"] = {"coded_risk": {"high": {"low": 0.25, "high": 0.75}}}
    loads = offered_load(validate_scenario(data))
    # team: 1 call/h × (0.5 + 0.5 × 0.25) × 60 min / 2 units
    assert loads["team"].load == pytest.approx(np.full(168, 0.625 * 60 / 60 / 2))
    # police: 1 call/h × 0.5 × 0.75 coded high × 2 units × 30 min / 4 units
    assert loads["police"].load == pytest.approx(np.full(168, 0.375 * 2 * 30 / 60 / 4))


def test_follow_up_attempts_load_the_team_that_makes_them_while_on_shift():
    data = one_team(units=2, calls_per_day=24, mean_min=30)
    data["teams"]["peers"] = {"kind": "civilian", "on_scene_min": {"dist": "constant", "value": 30},
                              "shifts": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00",
                                          "end": "17:00", "units": 1}]}
    data["teams"]["team"]["follow_up"] = {"probability": 0.5, "after_hours": 24, "by": "peers", "attempts": 2,
                                          "contact": 0.5, "links": 0.3,
                                          "duration_min": {"dist": "constant", "value": 60}}
    loads = offered_load(validate_scenario(data))
    # 168 calls a week × 0.5 × (1 + 0.5) attempts × 1 h = 126 unit-hours over 40 unit-hours on shift
    on = loads["peers"].units > 0
    assert loads["peers"].load[on] == pytest.approx(126 / 40)
    assert np.isnan(loads["peers"].load[~on]).all()
    assert loads["team"].load == pytest.approx(np.full(168, 30 / 60 / 2))


def test_repeat_groups_add_their_own_chains_to_the_load():
    # 10% of people repeat with chance 0.6, the rest with 0.2: p / (1 - p) repeats per first crisis, by group
    repeat = {"probability": 0.2, "within_days": 30, "groups": {"frequent": {"share": 0.1, "probability": 0.6}}}
    sc = validate_scenario(merge(one_team(units=3, calls_per_day=48, mean_min=60), {"demand": {"repeat": repeat}}))
    chains = 1 + 0.1 * 0.6 / 0.4 + 0.9 * 0.2 / 0.8
    assert offered_load(sc)["team"].load == pytest.approx(np.full(168, 48 / 24 * chains / 3))


def test_sole_team_load_splits_calls_between_rules_as_the_routing_draw_does():
    from sim.scenario.sanity import sole_team_load

    # rules with shares 0.3 and 0.6 then the rest: one draw u takes rule 1 when u < 0.3, rule 2 when u < 0.6
    data = one_team(units=50, calls_per_day=100, mean_min=60)
    data["teams"]["other"] = {**data["teams"]["team"]}
    data["teams"]["third"] = {**data["teams"]["team"]}
    data["routing"] = [{"match": {}, "send": ["team"], "share": 0.3}, {"match": {}, "send": ["other"], "share": 0.6},
                       {"match": {}, "send": ["third"]}]
    load = sole_team_load(validate_scenario(data))
    per_call = load["team"] / 0.3  # unit-minutes a day if the rule took every call
    assert load["other"] == pytest.approx(0.3 * per_call) and load["third"] == pytest.approx(0.4 * per_call)

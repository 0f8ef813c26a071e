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

"""Costs a budget office recognises: team budget lines, payers, and police time as hours."""

from __future__ import annotations

import math

import pytest

from helpers import small_city
from sim.analysis.costs import TeamHours, team_cost
from sim.analysis.metrics import replication_tables
from sim.engine.model import simulate
from sim.errors import ScenarioErrors
from sim.scenario.loading import validate_scenario


def summary_of(data: dict, days: float = 8, warmup: float = 1) -> dict:
    scenario = validate_scenario(data)
    log = simulate(scenario, 0, seed=3, days=days, warmup_days=warmup)
    table = replication_tables(log, scenario, 0)["summary"]
    return {(m, t): v for m, t, v in zip(table["metric"], table["team"], table["value"])}


def test_the_short_form_keeps_the_usual_payer_and_the_long_form_names_one():
    data = small_city()
    data["costs"] = {"arrest": 2500, "ed_transport": {"cost": 2300, "payer": "city"}, "follow_up": {"cost": 40}}
    costs = validate_scenario(data).costs
    assert (costs.arrest.cost, costs.arrest.payer) == (2500, "justice")
    assert (costs.ed_transport.cost, costs.ed_transport.payer) == (2300, "city")
    assert (costs.follow_up.cost, costs.follow_up.payer) == (40, "city")


def test_a_negative_cost_or_an_unknown_cost_key_names_its_path():
    data = small_city()
    data["costs"] = {"arrest": {"cost": -1, "payer": "justice"}, "arests": 5}
    with pytest.raises(ScenarioErrors) as info:
        validate_scenario(data)
    paths = {e.path for e in info.value.errors}
    assert "costs.arrest.cost" in paths and "costs.arests" in paths


def test_team_cost_is_loaded_hours_plus_overtime_at_its_rate_plus_prorated_fixed_cost():
    data = small_city()
    data["teams"]["peer_team"].update(cost_per_unit_hour=100, overhead=0.3, fixed_per_year=365_000)
    team = validate_scenario(data).teams["peer_team"]
    hours = TeamHours(staffed_hours=1000, overtime_hours=10, handled=50)
    assert team_cost(team, hours, days=73) == pytest.approx(1000 * 130 + 10 * 130 + 73_000)
    data["teams"]["peer_team"]["overtime_cost_per_unit_hour"] = 200
    team = validate_scenario(data).teams["peer_team"]
    assert team_cost(team, hours, days=73) == pytest.approx(1000 * 130 + 10 * 200 + 73_000)


def test_budget_lines_payers_and_totals_add_up_in_a_run():
    data = small_city()
    data["teams"]["peer_team"].update(cost_per_unit_hour=100, overhead=0.5, fixed_per_year=36_500)
    data["costs"] = {"arrest": 2500, "involuntary_hold": 3200, "ed_transport": 2300,
                     "linked_to_services": {"cost": 300, "payer": "behavioral_health"},
                     "follow_up": {"cost": 50, "payer": "city"}, "police_hour_value": 80}
    s = summary_of(data, days=8)
    assert s[("cost_team", "peer_team")] > 36_500 * 8 / 365
    assert s[("cost_new_teams", "")] == pytest.approx(s[("cost_team", "peer_team")])
    assert s[("cost_staffing", "")] == pytest.approx(s[("cost_team", "peer_team")] + s[("cost_team", "police")])
    payers = {m: v for (m, t), v in s.items() if m.startswith("cost_downstream_")}
    assert set(payers) == {"cost_downstream_justice", "cost_downstream_health", "cost_downstream_behavioral_health",
                           "cost_downstream_city"}
    assert sum(payers.values()) == pytest.approx(s[("cost_downstream", "")])
    assert s[("cost_downstream_justice", "")] == pytest.approx(2500 * s[("arrests", "")])
    assert s[("cost_downstream_city", "")] == pytest.approx(50 * s[("follow_ups", "")])
    assert s[("cost_downstream_behavioral_health", "")] == pytest.approx(300 * s[("linked_to_services", "")])
    assert s[("cost_total", "")] == pytest.approx(s[("cost_staffing", "")] + s[("cost_downstream", "")])
    assert s[("cost_city", "")] == pytest.approx(s[("cost_staffing", "")] + s[("cost_downstream_city", "")])
    assert s[("police_time_value", "")] == pytest.approx(80 * s[("police_hours_crisis", "")])
    assert s[("cost_per_call_handled", "peer_team")] == pytest.approx(
        s[("cost_team", "peer_team")] / s[("handled", "peer_team")])


def test_peer_team_staffed_hours_times_loaded_rate_is_its_budget_line():
    data = small_city()
    data["teams"]["peer_team"].update(cost_per_unit_hour=100, overhead=0.25, units=2)
    del data["teams"]["peer_team"]["shifts"]
    s = summary_of(data, days=5)
    # around the clock: 2 units x 24 h x 5 days, plus any overtime past the horizon (none: never ends)
    assert s[("cost_team", "peer_team")] == pytest.approx(2 * 24 * 5 * 125)


def test_police_time_is_hours_unless_priced():
    s = summary_of(small_city())
    assert ("police_time_value", "") not in s
    assert not math.isnan(s[("police_hours_crisis", "")])

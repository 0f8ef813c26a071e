"""Triage that can be wrong, escalation on scene, multi-unit calls and other police calls by priority.

Statistical checks compare the replication mean with the expected value using a 99% t-interval
over replications (helpers in test_verification), never a golden number.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import merge, small_city
from sim import run_experiment
from sim.engine.eventlog import BACKUP, EXTRA, PRIMARY
from sim.engine.model import simulate
from sim.scenario.loading import validate_scenario
from test_verification import values, within_ci

CONST = lambda v: {"dist": "constant", "value": v}  # noqa: E731
RISK_MIX = {"low": 0.5, "medium": 0.3, "high": 0.2}


def ample(**team) -> dict:
    """Two teams with more units than they ever need (no waiting), constant times, no transports."""
    data = {
        "name": "ample",
        "run": {"days": 20, "warmup_days": 1, "replications": 6, "seed": 4},
        "demand": {"crisis_calls_per_day": 80, "call_types": {"mental_health": {"share": 0.7, "risk": RISK_MIX},
                                                              "welfare_check": {"share": 0.3, "risk": RISK_MIX}}},
        "teams": {
            "team": {"kind": "civilian", "units": 60, "response_min": CONST(10), "on_scene_min": CONST(50)},
            "police": {"kind": "police", "units": 60, "response_min": CONST(8), "on_scene_min": CONST(40)},
        },
        "routing": [{"match": {"risk": ["low"]}, "send": ["team"]}, {"match": {}, "send": ["police"]}],
    }
    data["teams"]["team"].update(team)
    return data


def test_identity_triage_gives_the_same_results_bit_for_bit():
    plain = small_city()
    identity = merge(small_city(), {"triage": {
        "coded_risk": {"low": {"low": 1.0}, "medium": {"medium": 1.0}, "high": {"high": 1.0}},
        "recognised": {"mental_health": 1.0, "idd": 1.0}}})
    a = run_experiment([validate_scenario(plain)], replications=2, days=6, warmup_days=1)
    b = run_experiment([validate_scenario(identity)], replications=2, days=6, warmup_days=1)
    pd.testing.assert_frame_equal(a.calls, b.calls)
    pd.testing.assert_frame_equal(a.summary, b.summary)
    assert (a.calls["coded_risk"] == a.calls["risk"]).all() and a.calls["recognised"].all()


def test_routing_follows_the_coded_risk_and_recognition_within_ci():
    low_row, medium_row, recognised = {"low": 0.7, "medium": 0.3}, {"low": 0.2, "medium": 0.8}, 0.6
    data = ample()
    data["triage"] = {"coded_risk": {"low": low_row, "medium": medium_row}, "recognised": {"mental_health": recognised}}
    exp = run_experiment([validate_scenario(data)], replications=8)
    calls = exp.calls
    mh = calls["call_type"] == "mental_health"
    wc = ~mh
    # welfare checks are all recognised: the team gets the true-low calls coded low, and true-medium coded low
    for true, expected in (("low", low_row["low"]), ("medium", medium_row["low"]), ("high", 0.0)):
        share = calls[wc & (calls["risk"] == true)].groupby("replication")["first_choice"].apply(
            lambda s: (s == "team").mean())
        ok, msg = within_ci(share.to_numpy(), expected, slack=1e-9)
        assert ok, f"true {true}: " + msg
    # an unrecognised mental-health call goes to police whatever its coded risk
    share = calls[mh & (calls["risk"] == "low")].groupby("replication")["first_choice"].apply(
        lambda s: (s == "team").mean())
    ok, msg = within_ci(share.to_numpy(), recognised * low_row["low"])
    assert ok, "recognised x coded low: " + msg
    assert not calls.loc[~calls["recognised"], "first_choice"].eq("team").any()
    # outcomes and the coded value are separate columns
    assert (calls["coded_risk"] != calls["risk"]).any()


def test_queue_priority_uses_the_coded_risk():
    data = ample()
    data["triage"] = {"coded_risk": {"high": {"low": 1.0}}}
    scenario = validate_scenario(data)
    log = simulate(scenario, 0, days=3, warmup_days=0)
    jobs = pd.DataFrame(log.table("jobs"))
    calls = pd.DataFrame(log.table("calls")).set_index("call_id")
    primary = jobs[jobs["kind"] == PRIMARY].set_index("call_id")
    assert (primary["priority"] == 3 - calls.loc[primary.index, "coded_risk"]).all()
    assert (calls["coded_risk"][calls["risk"] == 2] == 0).all()


def test_backup_share_is_the_risk_weighted_chance_and_is_asked_for_on_scene():
    chance = {"low": 0.1, "medium": 0.3, "high": 0.6}
    data = ample(backup={"team": "police", "probability_by_risk": chance})
    data["routing"] = [{"match": {}, "send": ["team"]}]
    exp = run_experiment([validate_scenario(data)], replications=8)
    expected = sum(RISK_MIX[r] * chance[r] for r in chance)
    ok, msg = within_ci(values(exp, "backup_share"), expected)
    assert ok, "backup share: " + msg
    by_risk = exp.calls.groupby("risk")["backup"].mean()
    assert by_risk["low"] < by_risk["medium"] < by_risk["high"]
    # ample police: the backup arrives its own travel time after the request made on arrival
    assert np.allclose(exp.calls["backup_response_min"].dropna(), 8.0)
    assert np.allclose(values(exp, "backup_response_min_mean", "team"), 8.0)

    log = simulate(validate_scenario(data), 0, days=2, warmup_days=0)
    jobs = pd.DataFrame(log.table("jobs"))
    primary = jobs[jobs["kind"] == PRIMARY].set_index("call_id")
    backup = jobs[jobs["kind"] == BACKUP].set_index("call_id")
    assert len(backup) > 0
    assert np.allclose(backup["requested_min"], primary.loc[backup.index, "on_scene_min"])


def test_busy_unit_hours_scale_with_units_per_call_littles_law():
    per_call = {"low": 1, "medium": 2, "high": 3}
    data = ample(units_per_call=per_call)
    data["routing"] = [{"match": {}, "send": ["team"]}]
    exp = run_experiment([validate_scenario(data)], replications=8)
    mean_units = sum(RISK_MIX[r] * per_call[r] for r in per_call)
    ok, msg = within_ci(values(exp, "units_per_call_mean", "team"), mean_units)
    assert ok, "units per call: " + msg
    busy_units = values(exp, "utilization", "team") * 60
    theory = 80 / 1440 * mean_units * (10 + 50)  # Little: arrival rate x units x (travel + on scene)
    ok, msg = within_ci(busy_units, theory, slack=0.02 * theory)
    assert ok, "Little's law with extra units: " + msg


def test_extra_units_by_type_override_and_are_busy_for_travel_plus_scene():
    data = ample(units_per_call={"high": 2}, units_per_call_by_type={"welfare_check": {"high": 4}})
    data["routing"] = [{"match": {}, "send": ["team"]}]
    scenario = validate_scenario(data)
    log = simulate(scenario, 0, days=3, warmup_days=0)
    jobs = pd.DataFrame(log.table("jobs"))
    extra = jobs[jobs["kind"] == EXTRA]
    assert np.allclose(extra["clear_min"] - extra["assigned_min"], 60.0)
    calls = pd.DataFrame(log.table("calls")).set_index("call_id")
    n_extra = extra.groupby("call_id").size()
    types = calls.loc[n_extra.index, "call_type"]
    assert set(n_extra[types == 1]) == {3} and set(n_extra[types == 0]) == {1}


def test_other_call_waits_fall_when_crisis_calls_move_to_a_civilian_team():
    priorities = {1: 0.2, 2: 0.5, 3: 0.3}
    base = small_city()
    base["demand"]["other_police_calls"].update(priorities=priorities)
    base["teams"]["police"]["units"] = 7
    police_only = merge(base, {"name": "police_only"})
    police_only["routing"] = [{"match": {}, "send": ["police"]}]
    exp = run_experiment([validate_scenario(police_only), validate_scenario(base)], replications=4, days=15,
                         warmup_days=2)
    s = exp.summary[exp.summary["team"] == ""].pivot_table(index=["metric", "replication"], columns="scenario",
                                                           values="value")
    for metric in ("other_response_min_mean", "other_p3_wait_min_mean", "other_wait_min_p90"):
        diff = (s.loc[metric]["small_city"] - s.loc[metric]["police_only"]).to_numpy()
        assert np.all(diff < 0), f"{metric}: peer team minus police only, per replication {diff}"
    # priority 1 waits least, priority 3 most
    p = {k: values(exp, f"other_p{k}_wait_min_mean").mean() for k in priorities}
    assert p[1] <= p[2] <= p[3]
    calls = values(exp, "other_calls")
    assert np.all(calls > 0) and np.all(values(exp, "other_unserved") >= 0)


def test_police_hours_are_patrol_plus_specialist():
    data = small_city()
    data["teams"]["peer_team"]["kind"] = "co_responder"
    exp = run_experiment([validate_scenario(data)], replications=2, days=6, warmup_days=1)
    total = values(exp, "police_hours_crisis")
    patrol, specialist = values(exp, "patrol_hours_crisis"), values(exp, "specialist_hours_crisis")
    assert np.allclose(total, patrol + specialist) and np.all(specialist > 0) and np.all(patrol > 0)


@pytest.mark.parametrize("key, value, where", [
    ("triage", {"coded_risk": {"low": {"low": 0.5, "medium": 0.4}}}, "triage.coded_risk"),
    ("triage", {"coded_risk": {"severe": {"low": 1.0}}}, "triage.coded_risk"),
    ("triage", {"recognised": {"burglary": 0.5}}, "triage.recognised.burglary"),
    ("triage", {"unrecognised_send": ["swat"]}, "triage.unrecognised_send[0]"),
])
def test_bad_triage_names_its_key_path(key, value, where):
    from sim.errors import ScenarioError

    data = small_city()
    data[key] = value
    with pytest.raises(ScenarioError, match=where.replace("[", r"\[").replace("]", r"\]")):
        validate_scenario(data)

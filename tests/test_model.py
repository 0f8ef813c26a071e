"""Model semantics, each checked on a scenario built to show it (DESIGN.md, 'Semantics that must hold')."""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers import merge, one_team
from sim.engine.eventlog import BACKUP, FOLLOW_UP, PRIMARY, WAITED_TOO_LONG
from sim.scenario.loading import validate_scenario
from sim.analysis.metrics import replication_tables
from sim.engine.model import simulate

CONST = lambda v: {"dist": "constant", "value": v}  # noqa: E731


def run(data: dict, days: float = 10, warmup: float = 0, replication: int = 0):
    scenario = validate_scenario(data)
    log = simulate(scenario, replication, seed=21, days=days, warmup_days=warmup)
    tables = replication_tables(log, scenario, replication)
    return log, tables["calls"], tables["summary"].set_index(["metric", "team"])["value"]


def jobs_of(log) -> pd.DataFrame:
    return pd.DataFrame(log.table("jobs"))


def test_a_unit_is_busy_for_travel_scene_and_the_dispositions_transport():
    data = one_team(units=50, calls_per_day=30)
    data["teams"]["team"].update(response_min=CONST(10), on_scene_min=CONST(30), outcomes={"arrest": 0.4},
                                 transport_min={"arrest": CONST(100)})
    log, calls, _ = run(data)
    jobs = jobs_of(log)
    busy = (jobs["clear_min"] - jobs["assigned_min"]).round(9)
    arrested = jobs["disposition"] == 0
    assert set(busy[arrested]) == {140.0} and set(busy[~arrested]) == {40.0}
    assert 0.3 < arrested.mean() < 0.5
    assert np.allclose(calls["response_min"], 10.0)  # ample units: no wait, response = travel


def test_phone_resolution_dispatches_nobody():
    data = one_team(units=5)
    data["demand"]["call_types"] = {"mental_health": {"share": 0.5}, "welfare_check": {"share": 0.5}}
    data["demand"]["phone_resolution"] = {"mental_health": 1.0}
    log, calls, s = run(data)
    mh = calls["call_type"] == "mental_health"
    assert (calls.loc[mh, "disposition"] == "resolved_by_phone").all()
    assert (calls.loc[mh, "team"] == "").all()
    assert not jobs_of(log)["call_id"].isin(calls.loc[mh, "call_id"]).any()
    assert s[("resolved_by_phone", "")] == mh.sum()


def test_backup_puts_police_on_scene_and_counts_their_use_of_force():
    data = one_team(units=20, calls_per_day=20)
    data["teams"]["team"].update(response_min=CONST(5), on_scene_min=CONST(60),
                                 backup={"team": "police", "probability": 1.0})
    data["teams"]["police"] = {"kind": "police", "units": 50, "response_min": CONST(10), "on_scene_min": CONST(20),
                               "use_of_force": 1.0}
    log, calls, s = run(data)
    jobs = jobs_of(log)
    assert (jobs["kind"] == BACKUP).sum() == (jobs["kind"] == PRIMARY).sum()
    assert calls["police_on_scene"].all() and calls["use_of_force"].all() and calls["backup"].all()
    assert s[("police_on_scene_share", "")] == 1.0
    assert s[("backup_requests", "team")] == len(calls)


def test_a_backup_that_would_arrive_after_the_call_cleared_is_not_on_scene():
    data = one_team(units=20, calls_per_day=20)
    data["teams"]["team"].update(on_scene_min=CONST(5), backup={"team": "police", "probability": 1.0})
    data["teams"]["police"] = {"kind": "police", "units": 50, "response_min": CONST(30), "on_scene_min": CONST(20),
                               "use_of_force": 1.0}
    _, calls, _ = run(data)
    assert calls["backup"].all()
    assert not calls["police_on_scene"].any() and not calls["use_of_force"].any()


def test_follow_up_occupies_the_team_later_and_links():
    data = one_team(units=30, calls_per_day=20)
    data["teams"]["team"].update(on_scene_min=CONST(30), follow_up={
        "probability": 1.0, "after_hours": 2, "duration_min": CONST(45), "links": 1.0})
    log, calls, s = run(data, days=5)
    jobs = jobs_of(log)
    primary = jobs[jobs["kind"] == PRIMARY].set_index("call_id")
    follow = jobs[jobs["kind"] == FOLLOW_UP].set_index("call_id")
    assert len(follow) > 0
    assert np.allclose(follow["assigned_min"], primary.loc[follow.index, "clear_min"] + 120)  # units are free
    assert np.allclose(follow["clear_min"] - follow["assigned_min"], 45)
    done = calls["call_id"].isin(follow.index)
    assert calls.loc[done, "linked"].all() and calls.loc[done, "follow_up"].all()
    assert s[("follow_ups", "")] == done.sum()


def test_linkage_cuts_repeat_crises():
    base = one_team(units=40, calls_per_day=20, mean_min=30)
    base["demand"]["repeat"] = {"probability": 0.5, "within_days": 20, "reduction_if_linked": 1.0}
    linked = merge(base, {"teams": {"team": {"outcomes": {"linked_to_services": 1.0}}}})
    _, calls_none, s_none = run(base, days=40)
    _, calls_all, s_all = run(linked, days=40)
    # a repeat comes to a linked person only if it is due before the first call has even cleared
    assert s_all[("repeat_calls", "")] < 0.02 * s_none[("repeat_calls", "")]
    assert s_none[("repeat_calls", "")] > 0.2 * len(calls_none)
    # the first crises are the same calls in both runs (common random numbers)
    first = lambda c: c[~c["is_repeat"]][["call_id", "arrival_min", "call_type"]].reset_index(drop=True)  # noqa: E731
    assert first(calls_none).equals(first(calls_all))


def test_queue_serves_high_risk_first_then_first_come():
    data = one_team(units=1, calls_per_day=40, mean_min=60)
    data["demand"]["call_types"] = {"mental_health": {"share": 1.0, "risk": {"low": 0.4, "medium": 0.3, "high": 0.3}}}
    _, calls, _ = run(data, days=6)
    served = calls[calls["team"] != ""].copy()
    served["assigned"] = served["arrival_min"] + served["wait_min"]
    served["priority"] = served["risk"].map({"high": 0, "medium": 1, "low": 2})
    checked = 0
    for row in served[served["wait_min"] > 0].itertuples():
        # nobody more urgent, or equally urgent and earlier, was still waiting when this call got its unit
        waiting = served[(served["arrival_min"] < row.assigned) & (served["assigned"] > row.assigned)]
        ahead = waiting[(waiting["priority"] < row.priority)
                        | ((waiting["priority"] == row.priority) & (waiting["arrival_min"] < row.arrival_min))]
        assert ahead.empty
        checked += 1
    assert checked > 20


def test_max_wait_moves_a_call_on_after_exactly_that_long():
    data = one_team(units=1, calls_per_day=60, mean_min=60)
    data["teams"]["police"] = {"kind": "police", "units": 100, "on_scene_min": CONST(30)}
    data["routing"] = [{"match": {}, "send": ["team", "police"], "max_wait_min": 12}]
    log, calls, s = run(data, days=5)
    fb = pd.DataFrame(log.table("fallbacks")).rename(columns={"team": "from_team"})
    fb = fb.merge(calls[["call_id", "arrival_min", "team", "wait_min"]], on="call_id")
    assert (fb["reason"] == WAITED_TOO_LONG).all()
    assert np.allclose(fb["time_min"] - fb["arrival_min"], 12)
    assert (fb["team"] == "police").all() and np.allclose(fb["wait_min"], 12)
    assert calls.loc[calls["team"] == "team", "wait_min"].max() <= 12 + 1e-9
    assert np.isclose(s[("fallback_share", "")], len(fb) / (calls["team"] != "").sum())


def test_outcomes_by_risk_and_by_type_override_in_that_order():
    data = one_team(units=50, calls_per_day=40)
    data["demand"]["call_types"] = {
        "mental_health": {"share": 0.7, "risk": {"low": 0.5, "medium": 0.2, "high": 0.3}},
        "idd": {"share": 0.3, "risk": {"low": 0.5, "high": 0.5}},
    }
    data["teams"]["team"].update(outcomes={"arrest": 0.0},
                                 outcomes_by_risk={"high": {"involuntary_hold": 1.0}},
                                 outcomes_by_type={"idd": {"involuntary_hold": 0.0, "linked_to_services": 1.0}})
    _, calls, _ = run(data)
    mh = calls["call_type"] == "mental_health"
    high = calls["risk"] == "high"
    assert (calls.loc[mh & high, "disposition"] == "involuntary_hold").all()
    assert (calls.loc[mh & ~high, "disposition"] == "resolved_on_scene").all()
    assert (calls.loc[~mh, "disposition"] == "linked_to_services").all()  # the call type wins over the risk
    assert (mh & high).sum() > 20 and (~mh & high).sum() > 20


def test_outcomes_over_one_for_some_risk_and_type_is_bad_input():
    import pytest

    from sim.errors import ScenarioError

    data = one_team()
    data["teams"]["team"].update(outcomes={"arrest": 0.5}, outcomes_by_risk={"low": {"involuntary_hold": 0.6}})
    with pytest.raises(ScenarioError, match=r"teams\.team\.outcomes\.by_risk\.low: .*low-risk mental_health"):
        validate_scenario(data)


def test_eligible_reached_share_counts_calls_the_first_choice_could_not_take():
    data = one_team(units=1, calls_per_day=60, mean_min=60)
    data["demand"]["phone_resolution"] = {"mental_health": 0.2}
    data["teams"]["police"] = {"kind": "police", "units": 100, "on_scene_min": CONST(30)}
    data["routing"] = [{"match": {}, "send": ["team", "police"], "max_wait_min": 12}]
    _, calls, s = run(data, days=5)
    eligible = calls[calls["disposition"] != "resolved_by_phone"]
    assert s[("eligible_calls", "team")] == len(eligible)
    assert np.isclose(s[("eligible_reached_share", "team")], (eligible["team"] == "team").mean())
    assert 0.1 < s[("eligible_reached_share", "team")] < 0.9
    assert s[("eligible_calls", "police")] == 0
    handled = calls.loc[calls["team"] == "team", "response_min"]
    assert np.isclose(s[("response_min_p90", "team")], handled.quantile(0.9))


def test_a_rule_with_a_share_takes_that_share_and_the_rest_fall_through():
    data = one_team(units=50, calls_per_day=60)
    data["teams"]["police"] = {"kind": "police", "units": 50, "on_scene_min": CONST(30)}
    data["routing"] = [{"match": {}, "send": ["team", "police"], "share": 0.3}, {"match": {}, "send": ["police"]}]
    _, calls, s = run(data, days=20)
    to_team = (calls["first_choice"] == "team").mean()
    n = len(calls)
    assert abs(to_team - 0.3) < 4 * np.sqrt(0.3 * 0.7 / n)  # binomial: 4 standard errors
    assert s[("eligible_calls", "team")] == (calls["first_choice"] == "team").sum()
    # the same calls take the shared rule whatever the other rules say (one routing draw per call)
    more = merge(data, {"routing": [{"match": {}, "send": ["team", "police"], "share": 0.6},
                                    {"match": {}, "send": ["police"]}]})
    _, calls_more, _ = run(more, days=20)
    first = set(calls.loc[calls["first_choice"] == "team", "call_id"])
    assert first <= set(calls_more.loc[calls_more["first_choice"] == "team", "call_id"])


def test_rules_that_only_take_a_share_need_a_rule_that_takes_the_rest():
    import pytest

    from sim.errors import ScenarioError

    data = one_team()
    data["routing"] = [{"match": {}, "send": ["team"], "share": 0.5}]
    with pytest.raises(ScenarioError, match="share 1"):
        validate_scenario(data)


def test_extends_merges_mappings_replaces_lists_and_whole_distributions(tmp_path):
    from sim.scenario.loading import deep_merge

    parent = {"teams": {"police": {"units": 10, "on_scene_min": {"dist": "lognormal", "mean": 45, "sd": 30},
                                   "outcomes": {"arrest": 0.06}}},
              "demand": {"hourly_profile": [1, 2, 3]}}
    child = {"teams": {"police": {"on_scene_min": {"dist": "gamma", "mean": 50, "sd": 20}, "outcomes": {"ed_transport": 0.1}}},
             "demand": {"hourly_profile": [5]}}
    merged = deep_merge(parent, child)
    assert merged["teams"]["police"]["units"] == 10
    assert merged["teams"]["police"]["on_scene_min"] == {"dist": "gamma", "mean": 50, "sd": 20}
    assert merged["teams"]["police"]["outcomes"] == {"arrest": 0.06, "ed_transport": 0.1}
    assert merged["demand"]["hourly_profile"] == [5]
    # without `dist`, a child changes one parameter and keeps the family
    tweak = deep_merge(parent, {"teams": {"police": {"on_scene_min": {"mean": 60}}}})
    assert tweak["teams"]["police"]["on_scene_min"] == {"dist": "lognormal", "mean": 60, "sd": 30}

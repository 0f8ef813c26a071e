"""Roles: cost and police on scene follow from who is on a unit; a role's effects multiply the team's chances."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import merge, one_team, small_city
from sim.analysis.metrics import replication_tables
from sim.engine.model import simulate
from sim.scenario.loading import validate_scenario
from sim.scenario.outcomes import team_outcomes as resolved_outcomes
from sim.scenario.roles import team_outcomes
from sim.scenario.variants import derive

CONST = lambda v: {"dist": "constant", "value": v}  # noqa: E731
ROLES = {
    "officer": {"cost_per_hour": 65, "police": True},
    "clinician": {"cost_per_hour": 52},
    "peer": {"label": "Peer support specialist", "cost_per_hour": 36},
}


def with_roles(data: dict, roles: dict = ROLES, **members) -> dict:
    """`data` with roles and each named team's members (kind and cost left to follow from them)."""
    out = merge(data, {"roles": roles})
    for team, who in members.items():
        out["teams"][team]["members"] = who
        out["teams"][team].pop("kind", None)
        out["teams"][team].pop("cost_per_unit_hour", None)
    return out


def run(data: dict, days: float = 10, replication: int = 0):
    scenario = validate_scenario(data)
    log = simulate(scenario, replication, seed=4, days=days, warmup_days=1)
    tables = replication_tables(log, scenario, replication)
    return scenario, tables["calls"], tables["summary"].set_index(["metric", "team"])["value"]


def test_unit_hour_cost_is_the_members_sum_unless_given():
    scenario = validate_scenario(with_roles(small_city(), peer_team=["peer", "clinician"], police=["officer"]))
    assert scenario.teams["peer_team"].cost_per_unit_hour == 36 + 52
    assert scenario.teams["police"].cost_per_unit_hour == 65
    given = merge(with_roles(small_city(), peer_team=["peer", "clinician"]), {"teams": {"peer_team": {"cost_per_unit_hour": 120}}})
    assert validate_scenario(given).teams["peer_team"].cost_per_unit_hour == 120
    # and the staffing cost is staffed unit-hours at that rate
    data = with_roles(one_team(units=3), team=["peer", "clinician"])
    _, _, s = run(data)
    hours = 3 * 10 * 24  # three units around the clock for the 10 measured days
    assert s[("cost_staffing", "")] == pytest.approx(hours * 88)
    # the resolved scenario says what was used, and reads back the same
    resolved = validate_scenario(data).to_dict()
    assert resolved["teams"]["team"]["cost_per_unit_hour"] == 88 and resolved["teams"]["team"]["kind"] == "civilian"
    assert validate_scenario(resolved).to_dict() == resolved


def test_a_variant_derives_cost_and_kind_from_the_roles_again():
    scenario = validate_scenario(with_roles(small_city(), peer_team=["peer", "clinician"], police=["officer"]))
    dearer = derive(scenario, {"roles.peer.cost_per_hour": 50}, "dearer")
    assert dearer.teams["peer_team"].cost_per_unit_hour == 50 + 52
    co = derive(scenario, {"teams.peer_team.members": ["officer", "clinician"]}, "co")
    assert co.teams["peer_team"].kind == "co_responder" and co.teams["peer_team"].cost_per_unit_hour == 65 + 52


def test_police_on_scene_follows_from_the_roles():
    co = with_roles(one_team(units=20, calls_per_day=20), team=["officer", "clinician"])
    civ = with_roles(one_team(units=20, calls_per_day=20), team=["peer", "clinician"])
    only = with_roles(one_team(units=20, calls_per_day=20), team=["officer"])
    for data, kind, share in ((co, "co_responder", 1.0), (civ, "civilian", 0.0), (only, "police", 1.0)):
        scenario, _, s = run(data)
        assert scenario.teams["team"].kind == kind
        assert s[("police_on_scene_share", "")] == share
    # with police only on the co-responder team, the police team is found for other police calls
    other = merge(co, {"demand": {"other_police_calls": {"per_day": 5, "on_scene_min": CONST(20)}}})
    with pytest.raises(Exception, match="needs a team of kind police"):
        validate_scenario(merge(civ, {"demand": {"other_police_calls": {"per_day": 5, "on_scene_min": CONST(20)}}}))
    assert validate_scenario(merge(only, {"demand": other["demand"]})).other_calls_team() == "team"


def test_a_role_with_no_effects_changes_nothing_bit_for_bit():
    plain = small_city()
    roles = {**ROLES, "peer": {**ROLES["peer"], "effects": {"linked_to_services": 1.0}}}
    named = with_roles(plain, roles=roles, peer_team=["peer", "clinician"], police=["officer"])
    for team in ("peer_team", "police"):  # the same costs as the plain file, given
        named["teams"][team]["cost_per_unit_hour"] = plain["teams"][team]["cost_per_unit_hour"]
    _, calls_plain, s_plain = run(plain, days=15)
    _, calls_named, s_named = run(named, days=15)
    assert calls_plain.equals(calls_named) and s_plain.equals(s_named)


def test_role_effects_multiply_the_teams_chances_by_type_key_by_key():
    roles = {
        "peer": {"cost_per_hour": 36, "effects": {"linked_to_services": 1.5, "involuntary_hold": 0.5}},
        "idd_peer": {"cost_per_hour": 36, "effects_by_type": {"idd": {"involuntary_hold": 0.4}}},
        "clinician": {"cost_per_hour": 52},
        "officer": ROLES["officer"],
    }
    data = with_roles(small_city(), roles=roles, peer_team=["peer", "idd_peer", "clinician"])
    data["teams"]["peer_team"]["outcomes"] = {"involuntary_hold": 0.1, "linked_to_services": 0.3}
    scenario = validate_scenario(data)
    mh = team_outcomes(scenario, "peer_team", "mental_health", "low")
    idd = team_outcomes(scenario, "peer_team", "idd", "low")
    assert mh[1] == pytest.approx(0.05) and mh[4] == pytest.approx(0.45)
    assert idd[1] == pytest.approx(0.1 * 0.5 * 0.4) and idd[4] == pytest.approx(0.45)
    assert team_outcomes(scenario, "police", "idd", "low") == resolved_outcomes(scenario, "police")["idd"]["low"].dispositions()


def test_a_peers_linkage_effect_shows_in_the_linkage_of_the_calls_the_team_handles():
    base = one_team(units=40, calls_per_day=40)
    base["teams"]["team"].update(on_scene_min=CONST(30), outcomes={"linked_to_services": 0.2})
    without = with_roles(base, team=["clinician"])
    with_peer = with_roles(base, roles={**ROLES, "peer": {"cost_per_hour": 36, "effects": {"linked_to_services": 2.0}}},
                           team=["peer", "clinician"])
    _, calls_without, s_without = run(without, days=20)
    _, calls_with, s_with = run(with_peer, days=20)
    # common random numbers: the same calls, and every call linked without the peer is linked with one
    assert calls_without["call_id"].equals(calls_with["call_id"])
    assert (calls_with["linked"] | ~calls_without["linked"]).all()
    ratio = calls_with["linked"].mean() / calls_without["linked"].mean()
    assert 1.8 < ratio < 2.2
    assert s_with[("cost_staffing", "")] == pytest.approx(s_without[("cost_staffing", "")] * (36 + 52) / 52)


def test_a_follow_up_teams_roles_change_how_often_an_attempt_reaches_the_person():
    def program(roles):
        data = one_team(units=30, calls_per_day=40)
        data["teams"]["team"].update(on_scene_min=CONST(30), follow_up={
            "probability": 1.0, "after_hours": 2, "duration_min": CONST(30), "links": 1.0, "contact": 0.4, "by": "fu"})
        data["teams"]["fu"] = {"units": 20, "members": ["who"]}
        return merge(data, {"roles": {"who": roles}, "teams": {"team": {"kind": "civilian"}}})
    _, _, plain = run(program({"cost_per_hour": 30}), days=15)
    _, _, peer = run(program({"cost_per_hour": 30, "effects": {"follow_up_contact": 2.0}}), days=15)
    assert plain[("follow_ups", "")] > 300
    assert plain[("follow_ups_reached", "")] / plain[("follow_ups", "")] == pytest.approx(0.4, abs=0.06)
    assert peer[("follow_ups_reached", "")] / peer[("follow_ups", "")] == pytest.approx(0.8, abs=0.06)
    with pytest.raises(Exception, match="teams.team.follow_up.contact"):
        validate_scenario(program({"cost_per_hour": 30, "effects": {"follow_up_contact": 3.0}}))


def test_roles_that_are_not_defined_keep_0_1_members_descriptive():
    data = small_city()
    data["teams"]["peer_team"]["members"] = ["anyone", "at all"]
    assert validate_scenario(data).teams["peer_team"].members == ["anyone", "at all"]
    assert np.isclose(validate_scenario(data).teams["peer_team"].cost_per_unit_hour, 80)


def test_a_linkage_gain_saturates_at_everyone_the_other_dispositions_leave():
    roles = {"peer": {"cost_per_hour": 36, "effects": {"linked_to_services": 3.0}}, "clinician": {"cost_per_hour": 52},
             "officer": ROLES["officer"]}
    data = with_roles(small_city(), roles=roles, peer_team=["peer", "clinician"])
    data["teams"]["peer_team"]["outcomes"] = {"involuntary_hold": 0.2, "ed_transport": 0.2, "linked_to_services": 0.3}
    chances = team_outcomes(validate_scenario(data), "peer_team", "mental_health", "low")
    # 0.3 × 3 = 0.9 would need more people than the 0.6 left after holds and ED transports
    assert chances[4] == pytest.approx(0.6) and sum(chances) == pytest.approx(1.0)
    data["teams"]["peer_team"]["outcomes"]["linked_to_services"] = 0.1
    assert team_outcomes(validate_scenario(data), "peer_team", "mental_health", "low")[4] == pytest.approx(0.3)
    # a ratio that pushes the other dispositions past 1 is still an error naming the team
    roles["peer"]["effects"] = {"involuntary_hold": 6.0}
    with pytest.raises(Exception, match="teams.peer_team.members"):
        validate_scenario(with_roles(small_city(), roles=roles, peer_team=["peer", "clinician"]) | {
            "teams": {**data["teams"], "peer_team": {**data["teams"]["peer_team"], "members": ["peer", "clinician"]}}})

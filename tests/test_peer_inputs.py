"""Bad input for roles, follow-up programs and people: exit 2, the file and key path named, nothing written."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from helpers import merge, small_city, write_yaml
from sim.cli import app

DAYTIME = [{"days": ["mon"], "start": "09:00", "end": "17:00"}]
FOLLOW = "teams.peer_team.follow_up"


def follow_up(**extra) -> dict:
    return {"teams": {"peer_team": {"follow_up": extra}}}


ROLES = {"roles": {"peer": {"cost_per_hour": 36}, "clinician": {"cost_per_hour": 52},
                   "officer": {"cost_per_hour": 65, "police": True}},
         "teams": {"police": {"members": ["officer"]}, "peer_team": {"members": ["peer", "clinician"]}}}


def roles(**change) -> dict:
    return merge(ROLES, change)


CASES = [
    ("unknown role", roles(teams={"peer_team": {"members": ["peer", "clinican"]}}), "teams.peer_team.members[1]"),
    ("effect out of range", roles(roles={"peer": {"effects": {"linked_to_services": -0.5}}}),
     "roles.peer.effects.linked_to_services"),
    ("unknown effect", roles(roles={"peer": {"effects": {"linked_to_service": 1.2}}}), "did you mean 'linked_to_services'"),
    # (a gain in linkage saturates at everyone left; a ratio on another disposition cannot)
    ("effects that push chances past 1", roles(roles={"peer": {"effects": {"ed_transport": 16.0}}}),
     "teams.peer_team.members"),
    ("effects for an unknown call type", roles(roles={"peer": {"effects_by_type": {"iddd": {"arrest": 0.5}}}}),
     "roles.peer.effects_by_type.iddd"),
    ("kind that contradicts the roles", roles(teams={"peer_team": {"kind": "co_responder"}}), "teams.peer_team.kind"),
    ("role cost negative", roles(roles={"peer": {"cost_per_hour": -3}}), "roles.peer.cost_per_hour"),
    # (id, what to merge into the small city, text expected in the message)
    ("follow-up team unknown", follow_up(by="peer_folowup"), f"{FOLLOW}.by"),
    ("follow-up hours malformed", follow_up(hours=[{"days": ["mon"], "start": "9am", "end": "17:00"}]),
     f"{FOLLOW}.hours[0].start"),
    ("follow-up hours end before start", follow_up(hours=[{"days": ["mon"], "start": "17:00", "end": "09:00"}]),
     f"{FOLLOW}.hours[0].end"),
    ("follow-up hours on an unknown day", follow_up(hours=[{"days": ["someday"], "start": "09:00", "end": "17:00"}]),
     f"{FOLLOW}.hours[0].days[0]"),
    ("follow-up hours not a list", follow_up(hours="09:00-17:00"), f"{FOLLOW}.hours"),
    ("zero attempts", follow_up(attempts=0), f"{FOLLOW}.attempts"),
    ("contact over 1", follow_up(contact=1.2), f"{FOLLOW}.contact"),
    ("phone follow-up without a team", {"follow_up_phone": {"probability": 0.5, "after_hours": 24, "links": 0.3,
                                                            "duration_min": {"dist": "constant", "value": 30}}},
     "follow_up_phone.by"),
    ("phone follow-up team unknown", {"follow_up_phone": {"probability": 0.5, "after_hours": 24, "links": 0.3, "by": "x",
                                                          "duration_min": {"dist": "constant", "value": 30}}},
     "follow_up_phone.by"),
    ("repeat group shares over 1", {"demand": {"repeat": {"groups": {"a": {"share": 0.8, "probability": 0.5},
                                                                     "b": {"share": 0.4, "probability": 0.1}}}}},
     "demand.repeat.groups"),
    ("repeat group chance over 1", {"demand": {"repeat": {"groups": {"a": {"share": 0.1, "probability": 1.5}}}}},
     "demand.repeat.groups.a.probability"),
    ("a team that takes calls needs its time on scene",
     {"teams": {"police": {"on_scene_min": None}}}, "teams.police.on_scene_min"),
    ("linkage lasting no days", {"demand": {"repeat": {"linkage_lasts_days": 0}}}, "demand.repeat.linkage_lasts_days"),
]


@pytest.mark.parametrize("case_id, change, expected", CASES, ids=[c[0] for c in CASES])
def test_bad_input_exits_2_and_names_the_key(tmp_path, case_id, change, expected):
    path = write_yaml(tmp_path / "bad.yaml", merge(small_city(), change))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(out), "--workers", "1", "--quiet"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "bad.yaml" in result.output and expected in result.output, result.output
    assert not out.exists()

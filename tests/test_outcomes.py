"""The reference outcome table, effects against it, the one resolution function, and its validation."""

from __future__ import annotations

import copy

import pytest
from typer.testing import CliRunner

from helpers import small_city, write_yaml
from sim.cli import app
from sim.errors import ScenarioError
from sim.scenario.loading import validate_scenario
from sim.scenario.outcomes import EffectTable, Effects, OutcomeTable, resolve_cell, team_outcomes

REFERENCE = {
    "default": {"arrest": 0.10, "involuntary_hold": 0.10, "use_of_force": 0.02, "injury": 0.01},
    "by_risk": {"high": {"involuntary_hold": 0.30, "use_of_force": 0.05}},
    "by_type": {"welfare_check": {"arrest": 0.01, "involuntary_hold": 0.02}},
    "by_type_risk": {"welfare_check": {"high": {"involuntary_hold": 0.40}}},
}


def city(**teams) -> dict:
    data = small_city()
    data["outcomes"] = copy.deepcopy(REFERENCE)
    for name, team in data["teams"].items():
        for key in ("outcomes", "use_of_force", "injury"):
            team.pop(key, None)
        team.update(teams.get(name, {}))
    return data


def test_most_specific_level_wins_key_by_key():
    table = OutcomeTable.model_validate(REFERENCE)
    cell = lambda ct, r: resolve_cell([(table, "outcomes.")], [], ct, r)  # noqa: E731
    assert cell("mental_health", "low")["arrest"] == 0.10
    assert cell("mental_health", "high")["involuntary_hold"] == 0.30  # by_risk over default
    assert cell("mental_health", "high")["arrest"] == 0.10  # a key the level leaves out falls through
    assert cell("welfare_check", "high")["involuntary_hold"] == 0.40  # by_type_risk over everything
    assert cell("welfare_check", "high")["arrest"] == 0.01  # by_type over default
    assert cell("welfare_check", "medium")["involuntary_hold"] == 0.02  # by_type over by_risk (none here)
    assert cell("welfare_check", "high")["use_of_force"] == 0.05  # by_risk still gives what by_type leaves out
    assert cell("idd", "low")["linked_to_services"] == 0.0  # given nowhere: 0
    assert cell("welfare_check", "high").sources["involuntary_hold"] == ("outcomes.by_type_risk.welfare_check.high",)


def test_effects_multiply_and_by_type_ratios_replace_the_general_ones():
    table = OutcomeTable.model_validate(REFERENCE)
    team = EffectTable(Effects(arrest=0.5, involuntary_hold=0.5), {"welfare_check": Effects(arrest=2.0)}, "teams.t.")
    role = EffectTable(Effects(arrest=0.4), None, "roles.peer.")
    cell = resolve_cell([(table, "outcomes.")], [team, role], "mental_health", "high")
    assert cell["arrest"] == pytest.approx(0.10 * 0.5 * 0.4)
    assert cell["involuntary_hold"] == pytest.approx(0.30 * 0.5)
    welfare = resolve_cell([(table, "outcomes.")], [team, role], "welfare_check", "high")
    assert welfare["arrest"] == pytest.approx(0.01 * 2.0 * 0.4)  # by-type ratio instead of the team's general one
    assert welfare["involuntary_hold"] == pytest.approx(0.40 * 0.5)


def test_a_team_table_replaces_the_reference_per_key_and_no_statement_means_the_reference():
    s = validate_scenario(city(peer_team={"outcomes": {"by_risk": {"low": {"arrest": 0.0}}},
                                          "effects": {"linked_to_services": 3.0}}))
    peer, police = team_outcomes(s, "peer_team"), team_outcomes(s, "police")
    assert peer["mental_health"]["low"]["arrest"] == 0.0
    assert peer["mental_health"]["low"]["linked_to_services"] == 0.0  # reference 0 x 3
    s2 = validate_scenario(city(peer_team={"outcomes": {"by_type": {"idd": {"involuntary_hold": 0.05}}},
                                           "effects": {"involuntary_hold": 0.5}}))
    peer2 = team_outcomes(s2, "peer_team")
    assert peer2["idd"]["high"]["involuntary_hold"] == 0.05  # stated absolutely: not scaled by the team's ratio
    assert peer2["mental_health"]["high"]["involuntary_hold"] == pytest.approx(0.15)  # reference 0.30 x 0.5
    assert peer["mental_health"]["medium"]["arrest"] == 0.10  # other risks: the reference
    assert police["welfare_check"]["high"]["involuntary_hold"] == 0.40
    assert police["idd"]["low"]["linked_to_services"] == 0.0


def test_version_0_1_team_keys_still_resolve_as_before():
    data = small_city()
    data["teams"]["police"].update(outcomes={"arrest": 0.06, "involuntary_hold": 0.12},
                                   outcomes_by_risk={"high": {"involuntary_hold": 0.3}},
                                   outcomes_by_type={"idd": {"arrest": 0.01}}, use_of_force=0.02, injury=0.01)
    s = validate_scenario(data)
    police = team_outcomes(s, "police")
    assert police["mental_health"]["high"]["involuntary_hold"] == 0.3
    assert police["idd"]["high"]["arrest"] == 0.01
    assert police["idd"]["high"]["involuntary_hold"] == 0.3
    assert police["welfare_check"]["low"]["use_of_force"] == 0.02
    assert team_outcomes(s, "peer_team")["idd"]["low"]["arrest"] == 0.0  # no reference: unstated chances are 0


@pytest.mark.parametrize("edit, where, cell", [
    (lambda d: d["outcomes"]["by_type_risk"]["welfare_check"].update(high={"arrest": 0.7, "involuntary_hold": 0.4}),
     "outcomes.by_type_risk.welfare_check.high", "high-risk welfare_check"),
    (lambda d: d["teams"]["peer_team"].update(effects={"involuntary_hold": 3.0}),
     "teams.peer_team.effects", "high-risk welfare_check"),
    (lambda d: d["teams"]["peer_team"].update(effects_by_type={"idd": {"arrest": 4.0, "involuntary_hold": 4.0}}),
     "teams.peer_team.effects_by_type.idd", "risk idd"),
    (lambda d: d["teams"]["peer_team"].update(effects={"use_of_force": 60}),
     "teams.peer_team.effects", "use_of_force chance for low-risk mental_health"),
])
def test_every_team_type_risk_cell_is_checked_and_the_error_names_it(edit, where, cell):
    data = city()
    edit(data)
    with pytest.raises(ScenarioError) as err:
        validate_scenario(data)
    assert where in str(err.value) and cell in str(err.value)


def test_effects_without_a_reference_table_say_how_to_fix_it():
    data = small_city()
    data["teams"]["peer_team"]["effects"] = {"arrest": 0.5}
    with pytest.raises(ScenarioError, match="teams.peer_team.effects: .*top-level `outcomes:`"):
        validate_scenario(data)


def test_check_prints_each_teams_resolved_table(tmp_path):
    path = write_yaml(tmp_path / "c.yaml", city(peer_team={"effects": {"arrest": 0.0, "linked_to_services": 3.0}}))
    out = CliRunner().invoke(app, ["check", str(path)])
    assert out.exit_code == 0, out.output
    assert "peer_team: outcomes (%) by call type and true risk" in out.output
    police_section, peer_section = out.output.split("peer_team: outcomes")
    line = next(ln for ln in police_section.splitlines() if ln.startswith("welfare_check") and " high " in ln)
    assert line.split()[2:4] == ["1.0", "40.0"]  # by_type arrest 1%, by_type_risk hold 40%
    peer_line = next(ln for ln in peer_section.splitlines() if ln.startswith("welfare_check") and " high " in ln)
    assert peer_line.split()[2] == "0.0" and peer_line.split()[3] == "40.0"


def test_a_teams_linkage_gain_saturates_like_a_roles_instead_of_making_an_impossible_cell():
    reference = OutcomeTable.model_validate({"default": {"arrest": 0.1, "involuntary_hold": 0.2,
                                                         "linked_to_services": 0.1}})
    gain = EffectTable(Effects(linked_to_services=12.0), None, "teams.t.")
    cell = resolve_cell([(reference, "outcomes.")], [gain], "mental_health", "low")
    # 0.1 x 12 = 1.2 would need more people than the 0.7 left after arrests and holds
    assert cell["linked_to_services"] == pytest.approx(0.7) and sum(cell.dispositions()) == pytest.approx(1.0)
    modest = resolve_cell([(reference, "outcomes.")], [EffectTable(Effects(linked_to_services=3.0), None, "t.")],
                          "mental_health", "low")
    assert modest["linked_to_services"] == pytest.approx(0.3)  # room enough: the plain product
    fewer = resolve_cell([(reference, "outcomes.")], [EffectTable(Effects(linked_to_services=0.5), None, "t.")],
                         "mental_health", "low")
    assert fewer["linked_to_services"] == pytest.approx(0.05)
    # the same through a scenario: validation accepts it and the model sees the saturated chance
    data = city(peer_team={"effects": {"linked_to_services": 40.0}})
    data["outcomes"]["default"]["linked_to_services"] = 0.05
    chances = team_outcomes(validate_scenario(data), "peer_team")["mental_health"]["low"]
    assert sum(chances.dispositions()) == pytest.approx(1.0)

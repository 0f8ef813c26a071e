"""Bad input: a clear message naming the file and key path, exit code 2, no traceback, nothing written."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from helpers import merge, small_city, write_yaml
from sim.cli import app


def _set(path: str, value):
    """A small city with one value replaced at a dotted path (creating the last key)."""
    def build():
        data = small_city()
        node = data
        parts = path.split(".")
        for p in parts[:-1]:
            node = node[int(p)] if isinstance(node, list) else node[p]
        last = parts[-1]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
        return data
    return build


def _drop(path: str):
    def build():
        data = small_city()
        node = data
        parts = path.split(".")
        for p in parts[:-1]:
            node = node[p]
        del node[parts[-1]]
        return data
    return build


SHIFT = "teams.peer_team.shifts"
CASES = [
    # (id, builder or raw text, text expected in the message)
    ("unknown top-level key", _set("colour", "blue"), "colour"),
    ("misspelt key gets a hint", _set("teams.police.respons_min", {"dist": "constant", "value": 1}), "did you mean 'response_min'"),
    ("misspelt demand key", _set("demand.crisis_call_per_day", 3), "crisis_call_per_day"),
    ("shares do not sum to 1", _set("demand.call_types.idd.share", 0.3), "demand.call_types"),
    ("risk shares do not sum to 1", _set("demand.call_types.mental_health.risk", {"low": 0.5, "high": 0.2}), "risk"),
    ("negative units", _set("teams.police.units", -3), "teams.police.units"),
    ("shift end equal to start", _set(SHIFT, [{"days": ["mon"], "start": "22:00", "end": "22:00", "units": 1}]), "peer_team.shifts[0].end"),
    ("shift names twice", _set(SHIFT, [{"name": "day", "days": ["mon"], "start": "08:00", "end": "16:00", "units": 1},
                                       {"name": "day", "days": ["tue"], "start": "08:00", "end": "16:00", "units": 1}]),
     "peer_team.shifts"),
    ("bad clock time", _set(SHIFT, [{"days": ["mon"], "start": "8am", "end": "17:00", "units": 1}]), "peer_team.shifts[0].start"),
    ("unknown weekday", _set(SHIFT, [{"days": ["funday"], "start": "08:00", "end": "17:00", "units": 1}]), "shifts[0].days[0]"),
    ("undefined team in routing", _set("routing", [{"match": {}, "send": ["polce"]}]), "routing[0].send[0]"),
    ("unknown call type in routing", _set("routing", [{"match": {"call_type": ["mental"]}, "send": ["police"]}, {"send": ["police"]}]), "routing[0].match.call_type[0]"),
    ("unknown risk in routing", _set("routing", [{"match": {"risk": ["severe"]}, "send": ["police"]}]), "routing[0].match.risk[0]"),
    ("calls that match no rule", _set("routing", [{"match": {"risk": ["low"]}, "send": ["police"]}]), "match no rule"),
    ("unknown distribution", _set("teams.police.on_scene_min", {"dist": "weibull", "mean": 3}), "teams.police.on_scene_min"),
    ("lognormal without sd", _set("teams.police.on_scene_min", {"dist": "lognormal", "mean": 30}), "on_scene_min.sd"),
    ("negative mean", _set("teams.police.on_scene_min", {"dist": "exponential", "mean": -5}), "on_scene_min.mean"),
    ("triangular out of order", _set("teams.police.on_scene_min", {"dist": "triangular", "low": 50, "mode": 10, "high": 60}), "on_scene_min"),
    ("dispositions sum over 1", _set("teams.police.outcomes", {"arrest": 0.6, "involuntary_hold": 0.6}), "teams.police.outcomes"),
    ("probability over 1", _set("teams.police.use_of_force", 1.5), "teams.police.use_of_force"),
    ("units and shifts both given", _set("teams.police.shifts", [{"days": ["mon"], "start": "08:00", "end": "17:00", "units": 1}]), "teams.police"),
    ("backup team undefined", _set("teams.peer_team.backup", {"team": "swat", "probability": 0.1}), "teams.peer_team.backup.team"),
    ("backup chance in both forms", _set("teams.peer_team.backup", {"team": "police", "probability": 0.1, "probability_by_risk": {"low": 0.1}}), "teams.peer_team.backup"),
    ("backup chance by risk over 1", _set("teams.peer_team.backup", {"team": "police", "probability_by_risk": {"high": 1.4}}), "teams.peer_team.backup.probability_by_risk.high"),
    ("reference cell over 1", _set("outcomes", {"by_type_risk": {"idd": {"high": {"arrest": 0.7, "ed_transport": 0.5}}}}), "outcomes.by_type_risk.idd.high"),
    ("reference for unknown type", _set("outcomes", {"by_type": {"robbery": {"arrest": 0.5}}}), "outcomes.by_type.robbery"),
    ("negative effect ratio", _set("teams.peer_team.effects", {"arrest": -1}), "teams.peer_team.effects.arrest"),
    ("effect for unknown outcome", _set("teams.peer_team.effects", {"arrests": 0.5}), "teams.peer_team.effects"),
    ("triage row not summing to 1", _set("triage", {"coded_risk": {"low": {"low": 0.5}}}), "triage.coded_risk"),
    ("triage for unknown type", _set("triage", {"recognised": {"robbery": 0.5}}), "triage.recognised.robbery"),
    ("zero units per call", _set("teams.police.units_per_call", {"high": 0}), "teams.police.units_per_call.high"),
    ("units per call for unknown type", _set("teams.police.units_per_call_by_type", {"robbery": {"high": 2}}), "teams.police.units_per_call_by_type.robbery"),
    ("priority shares not summing to 1", _set("demand.other_police_calls.priorities", {1: 0.5, 2: 0.2}), "demand.other_police_calls.priorities"),
    ("priority out of range", _set("demand.other_police_calls.priorities", {0: 1.0}), "demand.other_police_calls.priorities"),
    ("phone resolution for unknown type", _set("demand.phone_resolution", {"robbery": 0.2}), "demand.phone_resolution.robbery"),
    ("hourly profile of wrong length", _set("demand.hourly_profile", [1, 2, 3]), "demand.hourly_profile"),
    ("name with spaces", _set("name", "My City"), "name"),
    ("required key missing", _drop("demand.crisis_calls_per_day"), "demand.crisis_calls_per_day"),
    ("wrong type", _set("demand.crisis_calls_per_day", "lots"), "demand.crisis_calls_per_day"),
    ("YAML syntax error", "name: x\ndemand: [unclosed\n", "YAML syntax error"),
    ("duplicate key", "name: x\nname: y\n", "appears twice"),
    ("not a mapping", "- just\n- a list\n", "mapping"),
    ("empty file", "", "empty"),
]


@pytest.mark.parametrize("case_id, source, expected", CASES, ids=[c[0] for c in CASES])
def test_bad_scenario_exits_2_names_the_key_and_writes_nothing(tmp_path, case_id, source, expected):
    path = tmp_path / "bad.yaml"
    if isinstance(source, str):
        path.write_text(source)
    else:
        write_yaml(path, source())
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(out), "--workers", "1", "--quiet"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "bad.yaml" in result.output
    assert expected in result.output, result.output
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["bad.yaml"]


def test_at_least_twenty_cases():
    assert len(CASES) >= 20


def test_extends_cycle_is_an_error(tmp_path):
    write_yaml(tmp_path / "a.yaml", {"extends": "b.yaml", "name": "a"})
    write_yaml(tmp_path / "b.yaml", {"extends": "a.yaml", "name": "b"})
    result = CliRunner().invoke(app, ["check", str(tmp_path / "a.yaml")])
    assert result.exit_code == 2
    assert "cycle" in result.output and "extends" in result.output


def test_missing_parent_and_missing_file(tmp_path):
    write_yaml(tmp_path / "a.yaml", {"extends": "nowhere.yaml", "name": "a"})
    result = CliRunner().invoke(app, ["check", str(tmp_path / "a.yaml")])
    assert result.exit_code == 2 and "nowhere.yaml" in result.output
    result = CliRunner().invoke(app, ["check", str(tmp_path / "none.yaml")])
    assert result.exit_code == 2 and "not found" in result.output


def test_out_folder_that_holds_files_is_refused_before_running(tmp_path):
    path = write_yaml(tmp_path / "ok.yaml", small_city())
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(out), "--quiet", "--days", "1"])
    assert result.exit_code == 2 and "not empty" in result.output
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert (out / "keep.txt").read_text() == "mine"


def test_unknown_baseline_is_bad_input(tmp_path):
    path = write_yaml(tmp_path / "ok.yaml", small_city())
    result = CliRunner().invoke(app, ["run", str(path), "--baseline", "nope", "--quiet", "--days", "1",
                                      "--out", str(tmp_path / "o"), "--workers", "1"])
    assert result.exit_code == 2 and "nope" in result.output
    assert not (tmp_path / "o").exists()


def test_extends_merges_mappings_and_replaces_lists(tmp_path):
    from sim.scenario.loading import load_scenario

    write_yaml(tmp_path / "base.yaml", small_city())
    child = {"extends": "base.yaml", "name": "child", "teams": {"police": {"units": 12}},
             "routing": [{"match": {}, "send": ["police"]}]}
    write_yaml(tmp_path / "child.yaml", child)
    s = load_scenario(tmp_path / "child.yaml")
    assert s.name == "child"
    assert s.teams["police"].units == 12
    assert s.teams["police"].on_scene_min.mean == 45  # merged from the parent
    assert len(s.routing) == 1  # lists replace
    merged = merge(small_city(), {"teams": {"police": {"units": 12}}})
    assert merged["teams"]["police"]["kind"] == "police"

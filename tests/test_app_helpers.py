"""The planner's page helpers (no Streamlit): edits to variants, cached comparisons, words, zips."""

from __future__ import annotations

import io
import zipfile

import pandas as pd
import pytest

import sim
from helpers import SCENARIOS
from sim.app.edits import MORE, check_edits, editable_fields
from sim.app.presets import PRESETS, available_presets
from sim.app.runs import RunCache, RunSettings, comparison_key, run_comparison, save_comparison, zip_folder
from sim.app.words import summary_markdown
from sim.errors import ScenarioErrors
from sim.outputs.report import headline_rows
from sim.outputs.results import load_results
from sim.scenario.loading import load_raw, load_scenario

from fixtures_results import results_dir  # noqa: F401  (a fixture)

PEER_UNITS = "teams.peer_team.shifts[0].units"
SMALL = RunSettings(replications=2, days=8, seed=5, warmup_days=2)


def values(fields):
    return {f.path: f.value for f in fields}


@pytest.fixture(scope="module")
def peer_raw():
    return load_raw(SCENARIOS / "peer_embedded.yaml")


def test_fields_offer_team_staffing_routing_and_key_assumptions(peer_raw):
    paths = {f.path for f in editable_fields(peer_raw)}
    assert {PEER_UNITS, "teams.peer_team.shifts[0].start", "teams.peer_team.shifts[0].end",
            "teams.peer_team.shifts[0].days", "teams.peer_team.cost_per_unit_hour",
            "teams.peer_team.on_scene_min.mean", "teams.peer_team.backup.probability_by_risk.low", "routing[0].max_wait_min",
            "routing[0].share", "teams.police.shifts[3].units", "demand.crisis_calls_per_day"} <= paths
    assert not any(p.startswith("routing[1]") for p in paths), "the catch-all police rule has nothing to edit"


def test_unchanged_fields_give_the_scenario_itself(peer_raw):
    fields = editable_fields(peer_raw)
    checked = check_edits(peer_raw, fields, values(fields))
    assert checked.ok and checked.changes == {}
    assert checked.scenario == load_scenario(SCENARIOS / "peer_embedded.yaml")


def test_edits_make_a_named_variant_with_only_those_values_changed(peer_raw):
    fields = editable_fields(peer_raw)
    checked = check_edits(peer_raw, fields, {**values(fields), PEER_UNITS: 7, "teams.peer_team.shifts[0].end": "20:00"},
                          more="teams.peer_team.follow_up.probability: 0.6")
    assert checked.ok, checked.by_field
    s = checked.scenario
    assert (s.name, s.label) == ("peer_embedded_edited", "Peer-embedded teams (edited)")
    shift = s.teams["peer_team"].shifts[0]
    assert (shift.units, shift.end, s.teams["peer_team"].follow_up.probability) == (7, "20:00", 0.6)
    original = load_scenario(SCENARIOS / "peer_embedded.yaml")
    assert s.teams["police"] == original.teams["police"] and s.demand == original.demand


def test_invalid_edits_carry_the_check_messages_at_their_fields(peer_raw):
    fields = editable_fields(peer_raw)
    bad = {**values(fields), "teams.peer_team.shifts[0].end": "08:00", "teams.peer_team.backup.probability_by_risk.low": 1.5}
    checked = check_edits(peer_raw, fields, bad, more="teams.peer_team.follow_up.probabilty: 0.5\nnot a line")
    assert not checked.ok
    assert MORE in checked.by_field and "key.path: value" in checked.by_field[MORE][0]

    checked = check_edits(peer_raw, fields, bad)
    with pytest.raises(ScenarioErrors) as check:  # what `crisis-sim check` says of the same values
        load_scenario(SCENARIOS / "peer_embedded.yaml",
                      {"teams.peer_team.shifts[0].end": "08:00", "teams.peer_team.backup.probability_by_risk.low": 1.5})
    expected = {f"{e.path}: {e.message}" for e in check.value.errors}
    shown = {m for msgs in checked.by_field.values() for m in msgs}
    assert shown == expected
    assert set(checked.by_field) == {"teams.peer_team.shifts[0].end", "teams.peer_team.backup.probability_by_risk.low"}

    typo = check_edits(peer_raw, fields, values(fields), more="teams.peer_team.follow_up.probabilty: 0.5")
    assert "probabilty" in typo.by_field[MORE][0] and "did you mean 'probability'" in typo.by_field[MORE][0]


def test_presets_name_shipped_files():
    assert available_presets() == list(PRESETS)
    for preset in PRESETS:
        assert len(preset.files) >= 2
        for path in preset.paths():
            load_scenario(path)


def test_cached_comparison_equals_run_experiment_and_reruns_only_the_changed_scenario(tmp_path, peer_raw):
    police = load_scenario(SCENARIOS / "police_only.yaml")
    fields = editable_fields(peer_raw)
    peer7 = check_edits(peer_raw, fields, {**values(fields), PEER_UNITS: 7}).scenario
    direct = sim.run_experiment([police, peer7], replications=2, days=8, seed=5, warmup_days=2)

    cache = RunCache()
    first = run_comparison([police, peer7], SMALL, cache)
    assert cache.replications_simulated == 4
    for table in ("metrics", "comparison", "summary", "calls", "hourly"):
        pd.testing.assert_frame_equal(getattr(first, table), getattr(direct, table))

    peer3 = check_edits(peer_raw, fields, {**values(fields), PEER_UNITS: 3}).scenario
    what_if = run_comparison([police, peer3], SMALL, cache)
    assert cache.replications_simulated == 6, "the unchanged baseline came from the cache"
    again = run_comparison([police, peer7], SMALL, cache)
    assert cache.replications_simulated == 6
    pd.testing.assert_frame_equal(again.comparison, direct.comparison)
    assert not what_if.comparison.equals(direct.comparison)

    key = comparison_key([police, peer7], SMALL)
    folder = save_comparison(first, tmp_path, "test", cache, key)
    assert save_comparison(again, tmp_path, "test", cache, key) == folder, "one folder per comparison"
    assert folder.parent.parent == tmp_path
    saved = load_results(folder)
    assert saved.manifest["command"] == "test"
    pd.testing.assert_frame_equal(saved.metrics[["mean"]], direct.metrics[["mean"]], check_exact=False, rtol=1e-12)


def test_zip_holds_the_whole_folder(tmp_path):
    folder = tmp_path / "run"
    (folder / "figures").mkdir(parents=True)
    (folder / "metrics.csv").write_text("a\n1\n")
    (folder / "figures" / "cost.png").write_bytes(b"png")
    (folder / ".hidden").write_text("x")
    names = zipfile.ZipFile(io.BytesIO(zip_folder(folder))).namelist()
    assert sorted(names) == ["run/figures/cost.png", "run/metrics.csv"]


def test_summary_names_clear_and_unclear_differences(results_dir):
    results = load_results(results_dir)
    names = [s["name"] for s in results.manifest["scenarios"]]
    labels = [results.label(n) for n in names]
    rows = headline_rows(results, names)
    text = summary_markdown(rows, labels, labels[0])
    heads = [line for line in text.splitlines() if line.startswith("- ")]
    assert heads == [f"- **{label}** compared with {labels[0]}:" for label in labels[1:]]
    for j, block in enumerate(text.split("\n- ")[0:], start=1):
        for row in rows:
            cell = row["cells"][j]
            if cell.clear:
                assert f"{row['words']}: **{cell.change}** (95% CI {cell.change_interval})" in block
            elif cell.change:
                assert row["words"][1:] in block.splitlines()[-1]


def test_a_team_paid_by_its_roles_shows_that_cost_and_a_typed_cost_replaces_it(peer_raw):
    fields = {f.path: f for f in editable_fields(peer_raw)}
    cost = fields["teams.peer_team.cost_per_unit_hour"]
    resolved = load_scenario(SCENARIOS / "peer_embedded.yaml").teams["peer_team"].cost_per_unit_hour
    assert cost.value == resolved > 0 and "roles" in cost.help  # not 0: the members' pay
    unchanged = check_edits(peer_raw, list(fields.values()), values(list(fields.values())))
    assert unchanged.ok and unchanged.changes == {}
    typed = check_edits(peer_raw, list(fields.values()),
                        {**values(list(fields.values())), "teams.peer_team.cost_per_unit_hour": resolved + 13})
    assert typed.ok and typed.scenario.teams["peer_team"].cost_per_unit_hour == resolved + 13
